"""Automatic differentiation: the graph (node.py), the engine that walks it backwards
(engine.py), grad mode (grad_mode.py), custom Functions (function.py), anomaly detection
(anomaly.py) and numerical gradient checks (gradcheck.py)."""
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,  # noqa: F401
                        is_grad_enabled, is_inference_mode_enabled)
from .engine import backward, grad  # noqa: F401
from .function import Function, FunctionCtx, once_differentiable  # noqa: F401
from .anomaly import detect_anomaly, set_detect_anomaly, is_anomaly_enabled  # noqa: F401
from . import function  # noqa: F401
from .node import Node  # noqa: F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401
