"""Automatic differentiation: the graph (node.py), the engine that walks it backwards
(engine.py), grad mode (grad_mode.py), custom Functions (function.py), anomaly detection
(anomaly.py) and numerical gradient checks (gradcheck.py)."""
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,  # noqa: F401
                        is_grad_enabled, is_inference_mode_enabled,
                        enforce_grad_layout_policy)
from .engine import backward, grad  # noqa: F401
from .function import Function, FunctionCtx, once_differentiable  # noqa: F401
from .anomaly import detect_anomaly, set_detect_anomaly, is_anomaly_enabled  # noqa: F401
from . import function  # noqa: F401
from .node import Node  # noqa: F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401


class set_multithreading_enabled:
    """torch: whether backward runs on several threads. glasstorch's engine runs in the calling
    thread, so this only records the flag (usable as a call or a `with` block)."""
    enabled = True

    def __init__(self, mode):
        self.prev = set_multithreading_enabled.enabled
        set_multithreading_enabled.enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        set_multithreading_enabled.enabled = self.prev


def __getattr__(name):
    """`Variable` (torch's pre-0.4 name: constructing one returns a Tensor) and `variable`
    (the tensor factory), resolved late because Tensor imports this package."""
    if name == "Variable":
        from ._variable import Variable
        return Variable
    if name == "variable":
        from ..creation import tensor
        return tensor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
