"""Layers (stateful modules). Each holds parameters/buffers and calls nn.functional."""
from .module import Module  # noqa: F401
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
