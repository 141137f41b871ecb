"""torch.nn.utils: gradient clipping (clip_grad.py), parameters <-> one vector
(convert_parameters.py), sequence packing for RNNs (rnn.py), conv/linear + BN fusion
(fusion.py), weight and spectral normalization (weight_norm.py hooks; parametrizations.py on
parametrize.py) and functional_call (stateless.py)."""
from .clip_grad import (clip_grad_norm_, clip_grad_norm, clip_grad_value_,  # noqa: F401
                        get_total_norm, clip_grads_with_norm_)
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from . import rnn  # noqa: F401
from .fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,  # noqa: F401
                     fuse_linear_bn_weights, skip_init, convert_conv2d_weight_memory_format,
                     convert_conv3d_weight_memory_format)

from .weight_norm import (weight_norm, remove_weight_norm, spectral_norm,  # noqa: F401
                          remove_spectral_norm)
from . import parametrize, parametrizations, stateless  # noqa: F401

__all__ = ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm",
           "parametrize", "parametrizations", "stateless", "clip_grad_norm_", "clip_grad_norm",
           "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_", "parameters_to_vector", "vector_to_parameters",
           "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights", "skip_init", "convert_conv2d_weight_memory_format",
           "convert_conv3d_weight_memory_format"]
