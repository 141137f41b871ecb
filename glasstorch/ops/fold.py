"""unfold / fold: sliding local blocks out of an image (im2col) and summed back in (col2im),
torch.nn.functional's names. The ops themselves (Im2Col, Col2Im: forward and backward side by
side) live with the convolutions in conv.py, which use the same kernels; this module checks
the arguments as torch does and calls them."""
from .. import _dtype
from .conv import Col2Im, Im2Col, _blocks, ntuple

__all__ = ["unfold", "fold"]


def _fold_args(kernel_size, dilation, padding, stride):
    k = ntuple(kernel_size, 2, "kernel_size")
    d = ntuple(dilation, 2, "dilation")
    p = ntuple(padding, 2, "padding")
    s = ntuple(stride, 2, "stride")
    if any(v < 0 for v in p):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} "
                           f"pad_width: {p[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} "
                           f"stride_width: {s[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: "
                           f"{d[0]} dilation_width: {d[1]}")
    return k, d, p, s, tuple(zip(k, s, d, p))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks (im2col): (N, C, H, W) -> (N, C*kH*kW, L), L = number of blocks."""
    x = input._data
    if x.ndim < 3:  # torch reads size(ndim - 2 + 2) first
        raise IndexError(f"Dimension out of range (expected to be in range of [{-x.ndim}, "
                         f"{x.ndim - 1}], but got {x.ndim})")
    if x.ndim != 3 and x.ndim != 4:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: {list(x.shape)}")
    k, d, p, s, geometry = _fold_args(kernel_size, dilation, padding, stride)
    batched = x.ndim == 4
    t = input if batched else input.unsqueeze(0)
    size = t._data.shape[2:]
    out = tuple(_blocks(sz, g) for sz, g in zip(size, geometry))
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input with spatial size {tuple(size)}, kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of "
                           f"sliding blocks as {out}, but its components must be at least one.")
    if x.dtype.kind in "iu":   # torch's im2col has float and bool loops, no integer one
        raise NotImplementedError(f'"im2col_out_cpu" not implemented for '
                                  f"'{_dtype.type_word(x.dtype)}'")
    y = Im2Col.apply(t, geometry, out)
    return y if batched else y.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding blocks back into an image (col2im): (N, C*kH*kW, L) -> (N, C, *output_size),
    overlapping blocks add up. The adjoint of unfold."""
    x = input._data
    if x.ndim not in (2, 3):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{list(x.shape)}")
    size = ntuple(output_size, 2, "output_size")
    k, d, p, s, geometry = _fold_args(kernel_size, dilation, padding, stride)
    batched = x.ndim == 3
    t = input if batched else input.unsqueeze(0)
    CK, L = t._data.shape[1:]
    if CK % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={CK} and kernel_size={k}")
    out = tuple(_blocks(sz, g) for sz, g in zip(size, geometry))
    if out[0] * out[1] != L:
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {out[0]} * {out[1]} "
                           f"= {out[0] * out[1]}, but got input.size(2)={L}.")
    y = Col2Im.apply(t, geometry, size)
    return y if batched else y.squeeze(0)
