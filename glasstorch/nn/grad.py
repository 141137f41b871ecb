"""torch.nn.grad: the gradients of a convolution with respect to its input and its weight, as
functions (for custom autograd Functions that re-derive a convolution's backward).

A convolution is linear in its input and in its weight, so the gradient w.r.t. either is
the vector-Jacobian product with grad_output at any point: here at zeros, through the
convolution's own backward (ops/conv.py: the transposed convolution and ConvWeight). The
results are differentiable w.r.t. the other operand and grad_output when those need grad.
"""
from .. import creation
from ..autograd import grad as _grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..ops.conv import conv1d, conv2d
from ..ops.conv3d import conv3d

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]


def _vjp(conv, input, weight, grad_output, wrt, stride, padding, dilation, groups):
    if input.dim() != weight.dim():
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-"
                           f"dimensional weight {list(weight.shape)}, but got {input.dim()}-"
                           f"dimensional input of size {list(input.shape)} instead")
    other = weight if wrt == 0 else input
    keep = is_grad_enabled() and (other.requires_grad or grad_output.requires_grad)
    with enable_grad():
        leaf = (input if wrt == 0 else weight).detach().requires_grad_(True)
        args = (leaf, weight) if wrt == 0 else (input, leaf)
        y = conv(*args, None, stride, padding, dilation, groups)
        if tuple(y.shape) != tuple(grad_output.shape):
            raise RuntimeError(f"Expected grad_output of size {list(y.shape)} for this "
                               f"convolution, but got {list(grad_output.shape)}")
        g, = _grad(y, leaf, grad_output, create_graph=keep)
    return g if keep else g.detach()


def _input_grad(conv, input_size, weight, grad_output, stride, padding, dilation, groups):
    x = creation.zeros(tuple(input_size), dtype=weight.dtype)
    return _vjp(conv, x, weight, grad_output, 0, stride, padding, dilation, groups)


def _weight_grad(conv, input, weight_size, grad_output, stride, padding, dilation, groups):
    w = creation.zeros(tuple(weight_size), dtype=input.dtype)
    return _vjp(conv, input, w, grad_output, 1, stride, padding, dilation, groups)


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv1d w.r.t. an input of size input_size (N, C_in, L)."""
    return _input_grad(conv1d, input_size, weight, grad_output, stride, padding, dilation,
                       groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv1d w.r.t. a weight of size weight_size (C_out, C_in/groups, k)."""
    return _weight_grad(conv1d, input, weight_size, grad_output, stride, padding, dilation,
                        groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d w.r.t. an input of size input_size (N, C_in, H, W)."""
    return _input_grad(conv2d, input_size, weight, grad_output, stride, padding, dilation,
                       groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d w.r.t. a weight of size weight_size (C_out, C_in/groups, kH,
    kW)."""
    return _weight_grad(conv2d, input, weight_size, grad_output, stride, padding, dilation,
                        groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv3d w.r.t. an input of size input_size (N, C_in, D, H, W)."""
    return _input_grad(conv3d, input_size, weight, grad_output, stride, padding, dilation,
                       groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv3d w.r.t. a weight of size weight_size (C_out, C_in/groups, kD,
    kH, kW)."""
    return _weight_grad(conv3d, input, weight_size, grad_output, stride, padding, dilation,
                        groups)
