"""Pooling: max pooling (1-D, 2-D), adaptive max pooling and max unpooling; average pooling
(avg_pool*, adaptive_avg_pool*) is in pool_avg.py and re-exported here.

    MaxPool2DWithIndices  y = window max; the gradient goes to the (first) argmax, by the
                          indices (flat per (N, C) plane, as torch's return_indices)
    PlaneScatter/Gather   y.flat[index] = v and its adjoint: max-pool backward, max_unpool

Windows are (kernel, stride, dilation, padding) per spatial dim, computed by the kernels in
backend/cpu_kernels.py with a loop over kernel offsets only; _pool_shapes.py checks the
arguments and computes output sizes. 1-D pooling is the same code with one spatial dim.
Unbatched inputs (C, *S) get a batch dim of 1 on the way in.
"""
from .. import _memory_format as _mf
from ..autograd import node as _node
from ..autograd.grad_mode import GLOBAL, STATE, is_grad_enabled
from ..autograd.node import Op
from ..backend import xp as _xp, cpu_kernels as _k, kernels as _kernels
from ..tensor import _make
from . import layout as _layout
from ._inplace import float_only
from .piecewise import Relu as _Relu
from ._pool_shapes import (_adaptive_args, _batched, _flat, _geometry, _pool_args, _prod,
                           _tuple, _windows)
from .pool_avg import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d,  # noqa: F401
                       avg_pool2d)

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "avg_pool1d",
           "adaptive_avg_pool1d", "adaptive_max_pool1d"]


class MaxPool2DWithIndices(Op, name="max_pool2d_with_indices"):
    """y = max over each window, computed with its argmax `index` before the op (the indices
    are a second, non-differentiable result);  gx = gy routed to the argmax positions.
    `window` = (geometry, out) that y was computed with: unused here, it lets the jit tracer
    recompute y from a new x (jit/derived.py)."""

    @staticmethod
    def forward(ctx, x, y, index, overlap, window=None):
        ctx.save(index=index)
        ctx.shape, ctx.overlap = x.shape, overlap
        return y

    @staticmethod
    def backward(ctx, gy):
        gx = _relu_masked(ctx, gy)
        if gx is None:
            gx = PlaneScatter.apply(gy, ctx.index, ctx.shape, ctx.overlap)
        return gx, None, None, None


def _relu_masked(ctx, gy):
    """The gradient scatter with the mask of the relu whose output was pooled (a conv ->
    ReLU -> MaxPool2d stack) already applied, in one compiled pass (numba_pool.scatter_relu),
    or None. The relu's backward, given exactly this array, then returns it as it is: its
    mask would change nothing (+0.0 where y == 0 already, gy's bits elsewhere). If other
    gradients are added to it first, the relu masks the sum as usual: the same bits, since
    the sum differs only where the mask zeroes it. Only where nobody else can see this
    gradient: no graph being recorded (create_graph), no autograd.grad / inputs= capture,
    no hooks on this node or the relu's, anomaly mode off, no op observers (the tracer).
    LeNet's step: the relu's pass over 128x6x28x28 and the scatter's zeroed canvas go."""
    relu = ctx.next_functions[0][0]
    if type(relu) is not _Relu or STATE.enabled or STATE.capturing or GLOBAL.anomaly \
            or _node._OBSERVERS or ctx._post_hooks or relu._pre_hooks or relu._post_hooks \
            or relu._out is None:
        return None
    nb = _numba_pool()
    y, counter, version = relu._out
    if nb is None or counter[0] != version or y.shape != ctx.shape:
        return None
    gx = nb.scatter_relu(gy._data, ctx.index, y, ctx.overlap)
    if gx is None:
        return None
    relu._masked = gx
    return _make(gx)


class AdaptiveMaxPool2D(MaxPool2DWithIndices, name="adaptive_max_pool2d"):
    """y = max over each adaptive window;  gx = gy routed to the argmax positions."""


class PlaneScatter(Op, name="max_pool2d_with_indices_backward"):
    """y[n, c].flat[index[n, c, m]] += v[n, c, m] (zeros elsewhere);  gv = gy at index."""

    @staticmethod
    def forward(ctx, v, index, shape, accumulate):
        ctx.save(index=index)
        nb = _numba_pool()
        y = None if nb is None else nb.scatter_planes(v, index, shape[2:], accumulate)
        if y is not None:         # one compiled pass, in v's layout (channels-last too)
            return y
        y = _k.scatter_planes(_flat(v), _flat(index), _prod(shape[2:]), accumulate)
        if _k.channels_last(v):   # (a copy: the scatter runs per (N, C) plane)
            return _layout.copy_as(y.reshape(shape), _mf.channels_last)
        return y.reshape(shape)

    @staticmethod
    def backward(ctx, gy):
        return PlaneGather.apply(gy, ctx.index), None, None, None


def _numba_pool():
    """backend/numba_pool.py when numba may run kernels with the NumPy kernels' exact bits
    (kernels.numba_for_exact: by default when numba is installed): its window max / argmax
    and gradient scatter are such kernels (LeNet's two pools, CPU ms: forward ~4 -> ~0.7,
    backward 0.79 -> 0.30 at load ~6)."""
    if not _kernels.numba_for_exact():
        return None
    from ..backend import numba_pool
    return numba_pool


class MaxUnpool2D(PlaneScatter, name="max_unpool2d"):
    """y.flat[index] = x (the last write wins on repeats, as torch's CPU loop);
    gx = gy read at index."""


class PlaneGather(Op, name="max_pool_gather"):
    """y[n, c, m] = x[n, c].flat[index[n, c, m]];  gx = scatter-add of gy at index."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.save(index=index)
        ctx.shape = x.shape
        return _k.gather_planes(_flat(x), _flat(index)).reshape(index.shape)

    @staticmethod
    def backward(ctx, gy):
        return PlaneScatter.apply(gy, ctx.index, ctx.shape, True), None


# ---- max pooling -------------------------------------------------------------------------------

def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd,
              name, float_kernel=None):
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, nd, name)
    x, batched = _batched(input, nd, name)
    geometry, out = _geometry(x, k, s, p, d, ceil_mode, nd)
    if float_kernel:   # torch checks the shapes first, then finds no integer kernel
        float_only(input, float_kernel)
    need_index = return_indices or (input.requires_grad and is_grad_enabled())
    nb = _numba_pool()
    found = None if nb is None else nb.max_pool2d(x._data, geometry, out)
    y, index = found or _k.window_max(x._data, geometry, out, need_index)
    if not need_index:
        index = None
    # windows overlap (so gradients may add up at one input) when a stride is under the span
    overlap = any(si < di * (ki - 1) + 1 for ki, si, di in zip(k, s, d))
    values = MaxPool2DWithIndices.apply(x, y, index, overlap, window=(geometry, out))
    if not batched:
        values = values.squeeze(0)
    if not return_indices:
        return values
    indices = _make(index)
    return values, (indices if batched else indices.squeeze(0))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over (N, C, H, W) or (C, H, W); stride defaults to kernel_size.
    return_indices: also the argmax of each window, flat within its (H, W) plane.

    >>> import glasstorch as torch
    >>> torch.max_pool2d(torch.arange(16.).reshape(1, 4, 4), 2).tolist()
    [[[5.0, 7.0], [13.0, 15.0]]]
    """
    no_loop = "max_pool2d" if input._data.dtype.kind == "b" else None   # integers work
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     2, "max_pool2d", no_loop)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over (N, C, L) or (C, L); see max_pool2d."""
    # torch: the 1-D kernels have no integer version (the 2-D ones do)
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     1, "max_pool1d", "max_pool1d_impl")


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    no_loop = "max_pool2d" if input._data.dtype.kind == "b" else None   # as max_pool2d
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 2,
                     "max_pool2d", no_loop)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    # torch runs the 2-D kernel here: integers work, bool does not
    no_loop = "max_pool2d" if input._data.dtype.kind == "b" else None
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 1,
                     "max_pool1d", no_loop)


def _adaptive_max(input, output_size, nd, name, float_kernel=None):
    out, size = _adaptive_args(input, output_size, nd, name, all_dims=True)
    if float_kernel:   # torch's kernel has no integer or bool loop
        float_only(input, float_kernel)
    batched = input._data.ndim == nd + 2
    x = input if batched else input.unsqueeze(0)
    offsets = []
    for L, o in zip(size, out):
        start, end = _windows(L, o)
        kmax = int((end - start).max()) if o else 0
        offsets.append([_xp.minimum(start + j, end - 1) for j in range(kmax)])
    if 0 in out:        # an empty output (torch allows an output size of 0)
        shape = x._data.shape[:-nd] + tuple(out)
        y, index = _xp.empty(shape, x._data.dtype), _xp.empty(shape, _xp.int64)
    else:
        y, index = _k.gather_max(x._data, offsets)
    values = AdaptiveMaxPool2D.apply(x, y, index, True)
    indices = _make(index)
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return values, indices


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (adaptive windows as adaptive_avg_pool2d)."""
    y, idx = _adaptive_max(input, output_size, 2, "adaptive_max_pool2d",
                           float_kernel="adaptive_max_pool2d")
    return (y, idx) if return_indices else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) to a fixed length (adaptive windows)."""
    y, idx = _adaptive_max(input, output_size, 1, "adaptive_max_pool1d",
                           float_kernel="adaptive_max_pool2d")
    return (y, idx) if return_indices else y


# ---- unpooling ---------------------------------------------------------------------------------

def _max_unpool(input, indices, kernel_size, stride, padding, output_size, nd):
    k = _tuple(kernel_size, nd, "max_unpool", "kernel_size")
    s = k if stride is None else _tuple(stride, nd, "max_unpool", "stride")
    p = _tuple(padding, nd, "max_unpool", "padding")
    size = input._data.shape[-nd:]
    default = [(sz - 1) * si + ki - 2 * pi for sz, si, ki, pi in zip(size, s, k, p)]
    if output_size is None:
        out = default
    else:
        out = list(output_size)
        if len(out) == nd + 2:
            out = out[2:]
        if len(out) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                             f"elements, but it has a length of '{len(out)}'")
        for i in range(nd):
            lo, hi = default[i] - s[i], default[i] + s[i]
            if not lo < out[i] < hi:
                raise ValueError(f'invalid output_size "{list(output_size)}" (dim {i} must be '
                                 f"between {lo} and {hi})")
    if indices._data.dtype != _xp.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{indices.dtype}")
    n = input._data.ndim + (nd == 1)         # (torch unpools 1-D through 2-D: one dim more)
    if nd < 3 and n not in (3, 4):           # (max_unpool3d checks its own dims first)
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a "
                           f"tensor with {n} dimensions. (max_unpool{nd}d: input shape "
                           f"{list(input.shape)})")
    if tuple(indices._data.shape) != tuple(input._data.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input._data.shape)}) but got indices tensor with shape: "
                           f"{list(indices._data.shape)}")
    float_only(input, "max_unpool2d")   # torch: no integer or bool loop (1-D runs the 2-D one)
    plane = _prod(out)
    idx = indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = idx[(idx < 0) | (idx >= plane)].flat[0]
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, out))})")
    batched = input._data.ndim == nd + 2
    x = input if batched else input.unsqueeze(0)
    idx = idx if batched else idx[None]
    y = MaxUnpool2D.apply(x, idx, x._data.shape[:2] + tuple(out), False)
    return y if batched else y.squeeze(0)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: y (N, C, H_out, W_out) zeros, with each input value
    written at its index (flat per plane, as returned by max_pool2d(return_indices=True))."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d; see max_unpool2d."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)
