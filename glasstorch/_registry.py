"""The op table: every built-in op registers here by name with its attributes.

`OPS["mul"]` -> OpInfo(name, cls, family, attrs). The jit tracer (jit/tracer.py) and the ONNX
exporter (onnx/) read it to record and export any op without touching the op; the fuzzer
(tests/fuzz) draws inputs for its ops, and a full test run fails when a registered op was
never compared with torch by tests/helpers.py's check_op (tests/conftest.py). Registration
happens when an `Op` subclass is defined with `class Mul(Op, name="mul", ...)`, so an op
cannot exist without an entry; registering another class under a taken name raises.
"""
from dataclasses import dataclass, field

__all__ = ["OpInfo", "OPS", "register"]


@dataclass(frozen=True)
class OpInfo:
    name: str                 # the public name (torch's): "mul", "sum", "conv2d"
    cls: type                 # the Op class (forward + backward)
    family: str               # the ops module it lives in: "arith", "reduce", ...
    attrs: dict = field(default_factory=dict)   # e.g. {"view": True} (a view of its input)


OPS = {}


def register(name, cls, **attrs):
    if name in OPS and OPS[name].cls is not cls:
        raise RuntimeError(f"op {name!r} is registered twice ({OPS[name].cls} and {cls})")
    family = cls.__module__.rsplit(".", 1)[-1]
    OPS[name] = OpInfo(name, cls, family, dict(attrs))
