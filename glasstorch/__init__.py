"""glasstorch: a define-by-run deep-learning framework on NumPy with PyTorch's API.

    import glasstorch as torch

This module only re-exports; read tensor.py (the Tensor, its other methods by group in
tensor_methods/), autograd/ (the engine) and ops/ (every op's forward and backward) to see how
it works.
"""
from ._cli_guard import quiet_interrupt_while_importing as _quiet_import
_end_quiet_import = _quiet_import()   # the command line: Ctrl-C during this import, no traceback
from ._dtype import (dtype, float16, half, float32, float, float64, double, uint8,  # noqa: F401
                     int8, int16, short, int32, int, int64, long, bool, get_default_dtype,
                     set_default_dtype, promote_types, result_type, can_cast)
from ._device import device  # noqa: F401
from ._memory_format import (memory_format, contiguous_format, channels_last,  # noqa: F401
                             channels_last_3d, preserve_format)
from .tensor import Tensor, Size  # noqa: F401
from .creation import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled,  # noqa: F401
                                 inference_mode, is_grad_enabled, is_inference_mode_enabled)
from . import autograd  # noqa: F401
from .ops.unary import *  # noqa: F401,F403
from .ops.trig import *  # noqa: F401,F403
from .ops.piecewise import *  # noqa: F401,F403
from .ops.arith import *  # noqa: F401,F403
from .ops.binary_math import *  # noqa: F401,F403
from .ops.compare import *  # noqa: F401,F403
from .ops._operands import *  # noqa: F401,F403
from .ops.reduce import *  # noqa: F401,F403
from .ops.extrema import *  # noqa: F401,F403
from .ops.cumulative import *  # noqa: F401,F403
from .ops.softmax import *  # noqa: F401,F403
from .ops.view import *  # noqa: F401,F403
from .ops.slice import *  # noqa: F401,F403
from .ops.concat import *  # noqa: F401,F403
from .ops.join import *  # noqa: F401,F403
from .ops.index import *  # noqa: F401,F403
from .ops.index_dim import *  # noqa: F401,F403
from .ops.gather import *  # noqa: F401,F403
from .ops.mask import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .ops.einsum import *  # noqa: F401,F403
from .ops.sort import *  # noqa: F401,F403
from .ops.convert import *  # noqa: F401,F403
from .ops.conv import *  # noqa: F401,F403
from .ops.pool import *  # noqa: F401,F403
from .ops.conv3d import *  # noqa: F401,F403
from .ops.pool3d import *  # noqa: F401,F403
from .ops.grid_sample3d import *  # noqa: F401,F403
from .ops.pad import *  # noqa: F401,F403
from .ops.upsample import *  # noqa: F401,F403
from .ops.activation import *  # noqa: F401,F403
from .ops.norm import *  # noqa: F401,F403
from .ops.dropout import *  # noqa: F401,F403
from .ops.distance import *  # noqa: F401,F403
from .ops.rnn import *  # noqa: F401,F403
from ._registry import OPS  # noqa: F401
from . import viz  # noqa: F401
from .serialization import save, load  # noqa: F401
from . import nn  # noqa: F401,E402
from . import optim  # noqa: F401,E402
from . import utils  # noqa: F401,E402
from . import accelerator, multiprocessing  # noqa: F401,E402
from . import cuda, backends, linalg, distributions, testing, fft, special  # noqa: F401,E402
from .ops.gamma import lgamma, digamma, polygamma, mvlgamma  # noqa: F401,E402
from .special import sinc  # noqa: F401,E402
from .ops.special_bessel import i0, igamma, igammac  # noqa: F401,E402
from .ops.linalg_lu import lu_unpack  # noqa: F401,E402
from ._torch_misc import *  # noqa: F401,F403,E402  (autocast state, cond, vmap, range, ...)
from . import cpu  # noqa: F401,E402
from .ops.compose_extra import *  # noqa: F401,F403,E402  (frexp, renorm, *_scatter, ...)
from .ops.native_forms import *  # noqa: F401,F403,E402  (native_layer_norm, gradient, ...)
from .ops.scatter_reduce import *  # noqa: F401,F403,E402
from .ops.strided_extra import *  # noqa: F401,F403,E402  (empty_strided, svd_lowrank, ...)
from .ops.lobpcg import lobpcg  # noqa: F401,E402
from .ops.grid_sample import affine_grid_generator, grid_sampler, grid_sampler_2d  # noqa
from .ops.composite import *  # noqa: F401,F403,E402
from .ops.order_stats import *  # noqa: F401,F403,E402
from . import jit, onnx  # noqa: F401,E402  (torch.jit.trace, torch.onnx.export)
from . import distributed  # noqa: F401,E402  (torch.distributed.is_available(), ...)
from .autograd import functional as _autograd_functional  # noqa: F401,E402  (after Tensor)
from ._runtime import *  # noqa: F401,F403,E402  (finfo, iinfo, threads, start-up switches)
from ._torch_level import *  # noqa: F401,F403,E402  (torch.kl_div, torch.batch_norm, ...)

from ._layout import *  # noqa: F401,F403,E402  (torch.strided, torch.sparse_coo: values only)
from . import _families, _aliases, _tensor_extra  # noqa: E402
_tensor_extra.install(globals(), Tensor)  # cauchy_, fill_diagonal_, sum_to_size, nonzero_static
_families.install(globals(), Tensor)  # cos_, arccos, permute_copy... (tables in _families.py)
_aliases.install(globals(), Tensor)  # axis= for dim=, keepdims= for keepdim= (read _aliases.py)

__version__ = "0.1.0"
from ._tensor_types import *  # noqa: F401,F403,E402  (torch.LongTensor([1, 2]) & co)
_end_quiet_import()
