"""Folding an eval-mode BatchNorm into the Conv or Linear before it (inference speed-up), and
other module utilities of torch.nn.utils: skip_init, convert_conv*_weight_memory_format.

BatchNorm in eval mode is y = (x - mean) / sqrt(var + eps) * gamma + beta, an affine map per
channel, so it folds into the preceding layer: w' = w * gamma / sqrt(var + eps) (per output
channel), b' = (b - mean) * gamma / sqrt(var + eps) + beta.
"""
import copy

from ...autograd.grad_mode import no_grad
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights", "skip_init", "convert_conv2d_weight_memory_format",
           "convert_conv3d_weight_memory_format"]


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """(fused weight, fused bias) as Parameters; `transpose` for ConvTranspose weights
    (output channels on dim 1)."""
    import glasstorch as gt
    dt = conv_w.dtype
    if conv_b is None:
        conv_b = gt.zeros_like(bn_rm)
    if bn_w is None:
        bn_w = gt.ones_like(bn_rm)
    if bn_b is None:
        bn_b = gt.zeros_like(bn_rm)
    scale = bn_w * (bn_rv + bn_eps).rsqrt()
    shape = [1] * conv_w.ndim
    shape[1 if transpose else 0] = -1
    w = (conv_w * scale.reshape(shape)).to(dt)
    b = ((conv_b - bn_rm) * scale + bn_b).to(dt)
    return Parameter(w, conv_w.requires_grad), Parameter(b, conv_b.requires_grad)


def fuse_conv_bn_eval(conv, bn, transpose=False):
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    import glasstorch as gt
    if linear_b is None:
        linear_b = gt.zeros_like(bn_rm)
    scale = bn_w * (bn_rv + bn_eps).rsqrt()
    w = linear_w * scale.unsqueeze(-1)
    b = (linear_b - bn_rm) * scale + bn_b
    return Parameter(w, linear_w.requires_grad), Parameter(b, linear_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features must equal bn.num_features or "
                             "bn.num_features must equal 1")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


def skip_init(module_cls, *args, **kwargs):
    """The module built without its parameter initialization being meaningful: glasstorch
    builds it normally and then leaves the values as they are (torch allocates on a meta
    device and leaves memory uninitialized; either way the caller must initialize)."""
    kwargs.pop("device", None)
    with no_grad():
        return module_cls(*args, **kwargs)


def _convert_weights(module, memory_format, classes):
    if memory_format is not None and isinstance(module, classes):
        w = module.weight
        w._data = w.detach().clone(memory_format=memory_format)._data
        w._version_counter[0] += 1
    for child in module.children():
        _convert_weights(child, memory_format, classes)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """The weights of every Conv2d / ConvTranspose2d in `module` copied into `memory_format`
    (torch.channels_last: the convolutions then run on the channels-last kernels)."""
    from ..modules.conv import Conv2d, ConvTranspose2d
    return _convert_weights(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """The same for every Conv3d / ConvTranspose3d (torch.channels_last_3d)."""
    from ..modules.conv import Conv3d, ConvTranspose3d
    return _convert_weights(module, memory_format, (Conv3d, ConvTranspose3d))
