"""3-D convolutions: conv3d and conv_transpose3d over (N, C, D, H, W) volumes.

The convolution ops of conv.py (Convolution, ConvWeight: forward, gradients and double
gradients) and their im2col/col2im kernels take any number of spatial dims, as torch's
`convolution` does: a 3-D convolution is the same op with a (kD, kH, kW) geometry. This file
adds what torch says differently for three dims (the output_padding check names depth, height
and width) and the public functions.
"""
import re

from .conv import _conv_transpose_nd, _convnd, ntuple

__all__ = ["conv3d", "conv_transpose3d"]

_WORDS = ("depth", "height", "width")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D cross-correlation: input (N, C_in, D, H, W) or (C_in, D, H, W), weight
    (C_out, C_in/groups, kD, kH, kW), bias (C_out,); padding an int, a 3-tuple, 'valid' or
    'same'. Returns (N, C_out, D_out, H_out, W_out), per dim
    out = (in + 2*padding - dilation*(k - 1) - 1) // stride + 1.

    >>> import glasstorch as torch
    >>> torch.conv3d(torch.ones(1, 1, 2, 2, 2), torch.ones(1, 1, 2, 2, 2)).tolist()
    [[[[[8.0]]]]]
    """
    try:
        return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")
    except NotImplementedError as e:       # (a RuntimeError subclass: first)
        raise _bool_kernel(e, weight, stride, padding, dilation, groups) from None
    except RuntimeError as e:
        raise _worded_3d(e, weight) from None


def _bool_kernel(error, weight, stride, padding, dilation, groups):
    """torch names the 3-D kernel that has no bool loop: the dilated one, the plain GEMM of
    a 1x1x1 kernel (stride 1, no padding, one group), else the im2col one (conv.py's word)."""
    if "compute_columns3d" not in str(error):
        return error
    if any(d != 1 for d in ntuple(dilation, 3, "dilation")):
        kernel = "slow_conv_dilated<>"
    elif all(k == 1 for k in weight.shape[2:]) and groups == 1 and \
            ntuple(stride, 3, "stride") == (1, 1, 1) and not isinstance(padding, str) and \
            ntuple(padding, 3, "padding") == (0, 0, 0):
        kernel = "slow_conv3d_cpu"
    else:
        return error
    return NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of conv3d: weight (C_in, C_out/groups, kD, kH, kW); per spatial dim
    out = (in - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1."""
    if not isinstance(padding, str):
        op = ntuple(output_padding, 3, "output_padding")
        s, d = ntuple(stride, 3, "stride"), ntuple(dilation, 3, "dilation")
        if input.dim() in (4, 5) and weight.dim() == 5 and \
                any(o >= si and o >= di for o, si, di in zip(op, s, d)):
            parts = [f"{kind}_{w}: {v}" for kind, vals in
                     (("output_padding", op), ("stride", s), ("dilation", d))
                     for w, v in zip(_WORDS, vals)]
            raise RuntimeError("output padding must be smaller than either stride or "
                               f"dilation, but got {' '.join(parts)}")
    try:
        y = _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                               dilation, 3, "conv_transpose3d")
    except RuntimeError as e:
        raise _worded_3d(e, weight) from None
    size, out = input.shape[-3:], y.shape[-3:]
    if 0 in out and 0 not in input.shape[-4:-3] + (input.shape[0],) and \
            any(k > 1 for k in weight.shape[2:]):
        # conv.py lets an empty output through for float32 (torch's 2-D oneDNN kernel);
        # torch's 3-D kernels refuse it (observed: all dtypes, but a 1x1x1 kernel passes)
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, size))}). "
                           f"Calculated output size per channel: "
                           f"({' x '.join(map(str, out))}). Output size is too small")
    return y


def _worded_3d(error, weight):
    """conv.py's error in the words of torch's 3-D kernels (slow_conv3d's shape check):
    sizes as "a x b x c"; an empty kernel of the transposed form refused as such."""
    text = str(error)
    if text.startswith("Given input size per channel:"):
        for t in re.findall(r"\([-\d, ]+\)", text):
            text = text.replace(t, t.replace(", ", " x "))
    elif text.startswith("conv_transpose3d: kernel size should be greater than zero"):
        text = ("non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height "
                f"x kernel_width) tensor expected for weight, but got: {list(weight.shape)}")
    return RuntimeError(text) if text != str(error) else error
