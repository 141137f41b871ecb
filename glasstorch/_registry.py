"""The op table: every built-in op registers here by name with its attributes.

`OPS["mul"]` -> OpInfo(name, cls, family, attrs). The tracer and ONNX exporter (coming) read
it to record any op without touching the op; tests enumerate it to make sure every op is
covered by a torch comparison. Registration happens when an `Op` subclass is defined with
`class Mul(Op, name="mul", ...)`, so an op cannot exist without an entry.
"""
from dataclasses import dataclass, field

__all__ = ["OpInfo", "OPS", "register"]


@dataclass(frozen=True)
class OpInfo:
    name: str                 # the public name (torch's): "mul", "sum", "conv2d"
    cls: type                 # the Op class (forward + backward)
    family: str               # the ops module it lives in: "binary", "reduce", ...
    attrs: dict = field(default_factory=dict)   # e.g. {"differentiable": True, "view": False}


OPS = {}


def register(name, cls, **attrs):
    if name in OPS and OPS[name].cls is not cls:
        raise RuntimeError(f"op {name!r} is registered twice ({OPS[name].cls} and {cls})")
    family = cls.__module__.rsplit(".", 1)[-1]
    OPS[name] = OpInfo(name, cls, family, dict(attrs))
