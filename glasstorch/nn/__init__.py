"""glasstorch.nn: Module and layers (modules/), functional (stateless ops), init, utils."""
from .parameter import (Parameter, Buffer, UninitializedParameter,  # noqa: F401
                        UninitializedBuffer)
from .modules import *  # noqa: F401,F403
from . import functional, grad, init, utils, parallel  # noqa: F401
from .parallel import DataParallel  # noqa: F401
