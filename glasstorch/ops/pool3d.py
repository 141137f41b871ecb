"""3-D pooling over (N, C, D, H, W) volumes: max_pool3d, avg_pool3d, adaptive_avg_pool3d,
adaptive_max_pool3d, lp_pool3d and max_unpool3d.

The pooling ops of pool.py and pool_avg.py (window max with its argmax, window sum and its
adjoint, adaptive gathers, plane scatter) and their kernels in backend/cpu_kernels.py take any
number of spatial dims, as 1-D pooling already runs on the 2-D ops: a 3-D pool is the same op
with a (kT, kH, kW) geometry. What differs is torch's argument checking for three dims (its
3-D kernels word their errors their own way), which this file does before calling them.
"""
from ._inplace import float_only
from ._pool_shapes import _tuple
from .pool import _adaptive_max, _max_pool, _max_unpool
from .pool_avg import _adaptive_avg, _avg_pool, AdaptiveAvgPool2D

__all__ = ["max_pool3d"]     # torch's namespace; nn.functional imports the others

_TDIMS = "4D or 5D (batch mode) tensor"


def _names(values, prefix):
    return " ".join(f"{prefix}{n}: {v}" for n, v in zip("THW", values))


def _check_volume(input, kernel, stride, padding, dilation, where, avg=False):
    """torch's checks of a 3-D pool, in its order: a 4-D or 5-D input; per dim, a non-zero
    stride and a padding of at most half the effective kernel (C++ integer division, which
    truncates); positive kernel, stride and dilation; no empty dim but the batch (torch's
    message prints that dim's size, so "dimension 0"); for average pooling, no input dim
    smaller than the kernel (padding not counted); a padding of at most half the kernel
    (dilation not counted). The output size is checked after."""
    shape = list(input._data.shape)
    if len(shape) not in (4, 5):
        raise RuntimeError(f"non-empty {_TDIMS} expected for input")
    for k, s, p, d in zip(kernel, stride, padding, dilation):
        if s == 0:
            raise RuntimeError(f"stride should not be zero (3-D pooling: stride {list(stride)} "
                               f"for an input of shape {shape})")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > int(((k - 1) * d + 1) / 2):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    if any(v <= 0 for v in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got "
                           f"{_names(kernel, 'k')}")
    if any(v <= 0 for v in stride):
        raise RuntimeError(f"stride should be greater than zero, but got {_names(stride, 'd')}")
    if any(v <= 0 for v in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got "
                           f"{_names(dilation, 'dilation')}")
    if 0 in shape[len(shape) - 4:]:
        raise RuntimeError(f"{where}: Expected input's non-batch dimensions to have positive "
                           f"length, but input has a shape of {shape} and non-batch dimension "
                           "0 has length zero!")
    if avg and any(n < k for n, k in zip(shape[-3:], kernel)):
        raise RuntimeError(f"input image ({_names(shape[-3:], '')}) smaller than kernel size "
                           f"({_names(kernel, 'k')})")
    if any(k // 2 < p for k, p in zip(kernel, padding)):   # (this one ignores dilation)
        (kt, kh, kw), (pt, ph, pw) = kernel, padding
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but "
                           f"got kT: {kt} kW: {kw} kH: {kh} padT: {pt} padW: {pw} padH: {ph}")


# ---- max pooling -------------------------------------------------------------------------------

def _max_args(kernel_size, stride, padding, dilation):
    name, three = "max_pool3d", "a tuple of three ints"
    k = _tuple(kernel_size, 3, name, f"kernel_size must either be a single int, or {three}")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, 3, name, f"stride must either be omitted, a single int, or {three}")
    p = _tuple(padding, 3, name, f"padding must either be a single int, or {three}")
    d = _tuple(dilation, 3, name, f"dilation must be either a single int, or {three}")
    return k, s, p, d


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W); stride defaults to kernel_size.
    return_indices: also the argmax of each window, flat within its (D, H, W) volume (what
    max_unpool3d takes).

    >>> import glasstorch as torch
    >>> torch.max_pool3d(torch.arange(8.).reshape(1, 2, 2, 2), 2).tolist()
    [[[[7.0]]]]
    """
    k, s, p, d = _max_args(kernel_size, stride, padding, dilation)
    _check_volume(input, k, s, p, d, "max_pool3d_with_indices_out_cpu_template()")
    if input._data.dtype.kind == "b":       # torch's 3-D kernel has integer loops, no bool
        raise NotImplementedError("\"max_pool3d\" not implemented for 'Bool'")
    return _max_pool(input, k, s, p, d, ceil_mode, return_indices, 3, "max_pool3d")


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    """max_pool3d returning (values, indices)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---- average pooling ---------------------------------------------------------------------------

def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W). count_include_pad: the
    zeros of the padding count in the divisor; divisor_override: divide every window sum by
    this instead."""
    name, three = "avg_pool3d", "a tuple of three ints"
    k = _tuple(kernel_size, 3, name, f"kernel_size must be a single int, or {three}")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, 3, name, f"stride must be omitted, a single int, or {three}")
    p = _tuple(padding, 3, name, f"padding must be a single int, or {three}")
    _check_volume(input, k, s, p, (1, 1, 1), "avg_pool3d()", avg=True)
    return _avg_pool(input, k, s, p, ceil_mode, count_include_pad, divisor_override, 3, name)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """3-D power-average pooling: (sum over the window of x^p)^(1/p), as torch computes it
    (the average of x^p times the window volume, negative averages of odd p clamped to 0
    before the root); p = inf is max pooling of |x|."""
    k = _tuple(kernel_size, 3, "avg_pool3d", "kernel_size must be a single int, or a tuple "
                                             "of three ints")
    if abs(norm_type) == float("inf"):
        sign = 1 if norm_type > 0 else -1
        return sign * max_pool3d(sign * input.abs(), k, stride, 0, 1, ceil_mode)
    x = input.pow(norm_type)
    out = avg_pool3d(x, k, padding=0, ceil_mode=ceil_mode) if stride is None else \
        avg_pool3d(x, k, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(k[0] * k[1] * k[2]).pow(1.0 / norm_type)


# ---- adaptive pooling --------------------------------------------------------------------------

def adaptive_avg_pool3d(input, output_size):
    """Average pooling to a fixed (oD, oH, oW) (None keeps that input size): output (i, j, l)
    averages the input's [floor(i*D/oD), ceil((i+1)*D/oD)) slices, and so on per dim."""
    x = input._data
    if not isinstance(output_size, int) and x.ndim <= len(tuple(output_size)):
        raise ValueError(f"Input dimension should be at least {len(tuple(output_size)) + 1} "
                         f"(adaptive_avg_pool3d: input shape {list(input.shape)})")
    size = output_size if not isinstance(output_size, int) else (output_size,) * 3
    if x.ndim in (4, 5) and len(tuple(size)) == 3 and \
            all(o == 1 for o in size):
        # torch: a global average pool is a mean over the volume (grad_fn MeanBackward1)
        float_only(input, "adaptive_avg_pool3d_cpu")
        return input.mean((-3, -2, -1), keepdim=True)
    if x.ndim in (4, 5):
        for i in range(1, x.ndim):      # (torch's 3-D form checks the channels too)
            if x.shape[i] == 0:
                raise RuntimeError(f"adaptive_avg_pool3d(): Expected input to have non-zero "
                                   f"size for non-batch dimensions, but input has sizes "
                                   f"{list(x.shape)} with dimension {i} being empty")
        float_only(input, "adaptive_avg_pool3d_cpu")
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d", AdaptiveAvgPool2D)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling to a fixed (oD, oH, oW) (adaptive windows as adaptive_avg_pool3d);
    return_indices: also the argmax, flat within each (D, H, W) volume."""
    x = input._data
    if not isinstance(output_size, int) and x.ndim <= len(tuple(output_size)):
        raise ValueError(f"Input dimension should be at least {len(tuple(output_size)) + 1} "
                         f"(adaptive_max_pool3d: input shape {list(input.shape)})")
    if x.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: "
                           f"{list(x.shape)}")
    # torch checks the shapes first, then finds no integer loop
    y, idx = _adaptive_max(input, output_size, 3, "adaptive_max_pool3d",
                           float_kernel="adaptive_max_pool3d_cpu")
    return (y, idx) if return_indices else y


# ---- unpooling ---------------------------------------------------------------------------------

def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d: y (N, C, D_out, H_out, W_out) zeros, with each
    input value written at its index (flat per volume, as max_pool3d(return_indices=True))."""
    shape = list(input._data.shape)
    if len(shape) not in (4, 5):
        raise RuntimeError(f"Input to max_unpooling3d should be a 4d or 5d Tensor, but got a "
                           f"tensor with {len(shape)} dimensions.")
    for i in range(1, len(shape)):         # (an unbatched input's channels may be 0)
        if shape[i] == 0:
            raise RuntimeError("max_unpooling3d_forward_out_cpu(): Expected input to have "
                               f"non-zero size for non-batch dimensions, but got {shape} "
                               f"with dimension {i} being empty.")
    if indices._data.dtype.name != "int64":
        raise RuntimeError("elements in indices should be type int64")
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)
