"""Pooling: max/avg pooling (1-D, 2-D), adaptive average/max pooling and max unpooling.

    MaxPool2DWithIndices  y = window max; the gradient goes to the (first) argmax, by the
                          indices (flat per (N, C) plane, as torch's return_indices)
    AvgPool2D             y = window sum / divisor; gx spreads gy / divisor back over windows
    PlaneScatter/Gather   y.flat[index] = v and its adjoint: max-pool backward, max_unpool
    adaptive_avg_pool     a Resample (ops/resample.py): a weighted gather per axis

Windows are (kernel, stride, dilation, padding) per spatial dim, computed by the kernels in
backend/cpu_kernels.py with a loop over kernel offsets only. 1-D pooling is the same code with
one spatial dim. Unbatched inputs (C, *S) get a batch dim of 1 on the way in.
"""
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.node import Op
from ..backend import xp as _xp, cpu_kernels as _k
from ..tensor import _make
from ._inplace import float_only
from .resample import Resample

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "avg_pool1d",
           "adaptive_avg_pool1d", "adaptive_max_pool1d"]


def _prod(xs):
    p = 1
    for v in xs:
        p *= v
    return p


def _flat(a):
    """(N, C, *S) -> (N, C, prod(S)), also for empty arrays."""
    return a.reshape(a.shape[:2] + (_prod(a.shape[2:]),))


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
        return PlaneScatter.apply(gy, ctx.index, ctx.shape, ctx.overlap), None, None, None


class AdaptiveMaxPool2D(MaxPool2DWithIndices, name="adaptive_max_pool2d"):
    """y = max over each adaptive window;  gx = gy routed to the argmax positions."""


class PlaneScatter(Op, name="max_pool2d_with_indices_backward"):
    """y[n, c].flat[index[n, c, m]] += v[n, c, m] (zeros elsewhere);  gv = gy at index."""

    @staticmethod
    def forward(ctx, v, index, shape, accumulate):
        ctx.save(index=index)
        y = _k.scatter_planes(_flat(v), _flat(index), _prod(shape[2:]), accumulate)
        return y.reshape(shape)

    @staticmethod
    def backward(ctx, gy):
        return PlaneGather.apply(gy, ctx.index), None, None, None


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


class AvgPool2D(Op, name="avg_pool2d"):
    """y = (sum of the zero-padded window) / divisor;  gx = gy / divisor added over windows."""

    @staticmethod
    def forward(ctx, x, geometry, out, divisor):
        ctx.geometry, ctx.size, ctx.divisor = geometry, x.shape[2:], divisor
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)   # unused by backward; torch keeps x too (so a second
                                 # backward raises as in torch)
        y = _k.window_sum(x, geometry, out)
        if y.dtype.kind == "f":
            y /= divisor
            return y
        # torch: integer average pooling truncates toward zero
        return (_xp.sign(y) * (_xp.abs(y) // divisor)).astype(y.dtype)

    @staticmethod
    def backward(ctx, gy):
        return AvgPoolAdjoint.apply(gy, ctx.geometry, ctx.size, ctx.divisor), None, None, None


class AvgPoolAdjoint(Op, name="avg_pool2d_backward"):
    """gx = window_spread(g / divisor);  its gradient is avg pooling again."""

    @staticmethod
    def forward(ctx, g, geometry, size, divisor):
        ctx.geometry, ctx.out, ctx.divisor = geometry, g.shape[2:], divisor
        return _k.window_spread(g / divisor, geometry, size)

    @staticmethod
    def backward(ctx, gy):
        return AvgPool2D.apply(gy, ctx.geometry, ctx.out, ctx.divisor), None, None, None


class AdaptiveAvgPool1D(Resample, name="adaptive_avg_pool1d"):
    keeps_input = True


class AdaptiveAvgPool2D(Resample, name="adaptive_avg_pool2d"):
    keeps_input = True


# ---- shapes and checks -----------------------------------------------------------------------

def _tuple(value, nd, name, what):
    if isinstance(value, int):
        return (value,) * nd
    value = tuple(value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        raise RuntimeError(f"{name}: {what}")
    return value


def _pool_args(kernel_size, stride, padding, dilation, nd, name):
    word = "a tuple of two ints" if nd == 2 else "a tuple of one int"
    k = _tuple(kernel_size, nd, name, f"kernel_size must either be a single int, or {word}")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, nd, name, f"stride must either be omitted, a single int, or {word}")
    p = _tuple(padding, nd, name, f"padding must either be a single int, or {word}")
    d = _tuple(dilation, nd, name, f"dilation must be either a single int, or {word}")
    return k, s, p, d


def _out_size(size, k, s, p, d, ceil_mode):
    """torch's pooling_output_shape (with its checks, in its order)."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > ((k - 1) * d + 1) // 2:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                           f"pad={p}, kernel_size={k} and dilation={d}")
    o = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1  # the last window must start inside the input or its left padding
    return o


def _batched(input, nd, name):
    """(input with a batch dim, whether it had one); torch's dim checks."""
    x = input._data
    if x.ndim not in (nd + 1, nd + 2):
        if nd == 2:
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(x.shape)}")
    if any(v == 0 for v in x.shape[-nd - 1:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional "
                           f"0 dim batch size for input, but got:{list(x.shape)}")
    batched = x.ndim == nd + 2
    return (input if batched else input.unsqueeze(0)), batched


def _geometry(x, k, s, p, d, ceil_mode, nd):
    size = x._data.shape[2:]
    out = tuple(_out_size(*a, ceil_mode) for a in zip(size, k, s, p, d))
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got {_hw(k, 'k')}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got {_hw(s, 'd')}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got "
                           f"{_hw(d, 'dilation')}")
    if any(o < 1 for o in out):
        C = x._data.shape[1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (C,) + size))}). Calculated "
                           f"output size: ({'x'.join(map(str, (C,) + out))}). Output size is "
                           "too small")
    return tuple(zip(k, s, d, p)), out


def _hw(values, prefix):
    names = ("H", "W") if len(values) == 2 else ("W",)
    return " ".join(f"{prefix}{n}: {v}" for n, v in zip(names, values))


# ---- max pooling -------------------------------------------------------------------------------

def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd,
              name):
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, nd, name)
    x, batched = _batched(input, nd, name)
    geometry, out = _geometry(x, k, s, p, d, ceil_mode, nd)
    need_index = return_indices or (input.requires_grad and is_grad_enabled())
    y, index = _k.window_max(x._data, geometry, out, need_index)
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
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     2, "max_pool2d")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over (N, C, L) or (C, L); see max_pool2d."""
    _float_only(input, "max_pool1d_impl")
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     1, "max_pool1d")


# torch: the 1-D kernels have no integer version (the 2-D ones do)
_float_only = float_only


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 2,
                     "max_pool2d")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    _float_only(input, "max_pool1d_impl")
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 1,
                     "max_pool1d")


# ---- average pooling ---------------------------------------------------------------------------

def _divisor(size, geometry, out, count_include_pad, divisor_override, dtype):
    """torch's divide_factor: the window clipped to input+padding (count_include_pad) or to
    the input; a product of per-dim counts, so an outer product of 1-D arrays."""
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        return divisor_override
    total = None
    for i, ((k, s, d, p), L, o) in enumerate(zip(geometry, size, out)):
        start = _xp.arange(o) * s - p
        end = _xp.minimum(start + k, L + p)
        n = end - start if count_include_pad else \
            _xp.minimum(end, L) - _xp.maximum(start, 0)
        n = n.reshape((-1,) + (1,) * (len(out) - 1 - i))
        total = n if total is None else total * n
    if (total == total.flat[0]).all():
        return int(total.flat[0])  # one divisor for every window: a scalar keeps it cheap
    return total.astype(dtype if dtype.kind == "f" else _xp.int64)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, nd, name):
    if input._data.ndim not in (nd + 1, nd + 2):
        n = input._data.ndim
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {-nd - 1})")
    k, s, p, d = _pool_args(kernel_size, stride, padding, 1, nd, name)
    x, batched = _batched(input, nd, name)
    geometry, out = _geometry(x, k, s, p, d, ceil_mode, nd)
    divisor = _divisor(x._data.shape[2:], geometry, out, count_include_pad, divisor_override,
                       x._data.dtype)
    y = AvgPool2D.apply(x, geometry, out, divisor)
    return y if batched else y.squeeze(0)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling over (N, C, H, W) or (C, H, W). count_include_pad: zeros of the
    padding count in the divisor; divisor_override: divide every window sum by this."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling over (N, C, L) or (C, L); see avg_pool2d."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1,
                     "avg_pool1d")


# ---- adaptive pooling --------------------------------------------------------------------------

def _adaptive_args(input, output_size, nd, name, all_dims=False):
    """(output size, input size) of the pooled dims. all_dims: every dim but the batch must
    be non-empty (max pooling), not only the pooled ones."""
    x = input._data
    if nd >= 2 and not isinstance(output_size, int) and x.ndim <= len(tuple(output_size)):
        # torch's _list_with_default, run before the op
        raise ValueError(f"Input dimension should be at least {len(tuple(output_size)) + 1}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{list(x.shape)}")
    for i in range(1 if all_dims else x.ndim - nd, x.ndim):
        if x.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(x.shape)} with dimension "
                               f"{i} being empty")
    if isinstance(output_size, int):
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    size = x.shape[-nd:]
    return tuple(sz if o is None else o for o, sz in zip(output_size, size)), size


def _windows(L, o):
    """Adaptive windows: [floor(i*L/o), ceil((i+1)*L/o)) for i < o."""
    i = _xp.arange(o)
    return (i * L) // o, -((-(i + 1) * L) // o)


def _adaptive_avg(input, output_size, nd, name, op):
    out, size = _adaptive_args(input, output_size, nd, name)
    float_only(input, name)
    if nd == 2 and all(o == 1 for o in out):
        # global average pooling is a plain mean over the plane, as torch computes it (its
        # grad_fn is MeanBackward1 too): 0.4 ms instead of 12 for a ResNet's last feature map
        return input.mean((-2, -1), keepdim=True)
    dtype = input._data.dtype
    plans = []
    for i in reversed(range(nd)):
        start, end = _windows(size[i], out[i])
        count = end - start
        kmax = int(count.max()) if out[i] else 0
        terms = [(_xp.minimum(start + j, end - 1), ((j < count) / count).astype(dtype))
                 for j in range(kmax)] or [(_xp.zeros(0, _xp.int64), None)]   # out[i] == 0
        plans.append(_k.AxisPlan(i - nd, size[i], terms, skip_zero=True))
    return op.apply(input, plans)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (oH, oW) (None keeps that input size): output
    (i, j) averages rows [floor(i*H/oH), ceil((i+1)*H/oH)) and the same for columns."""
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d", AdaptiveAvgPool2D)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) to a fixed length; see adaptive_avg_pool2d."""
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d", AdaptiveAvgPool1D)


def _adaptive_max(input, output_size, nd, name):
    out, size = _adaptive_args(input, output_size, nd, name, all_dims=True)
    batched = input._data.ndim == nd + 2
    x = input if batched else input.unsqueeze(0)
    offsets = []
    for L, o in zip(size, out):
        start, end = _windows(L, o)
        kmax = int((end - start).max()) if o else 0
        offsets.append([_xp.minimum(start + j, end - 1) for j in range(kmax)])
    y, index = _k.gather_max(x._data, offsets)
    values = AdaptiveMaxPool2D.apply(x, y, index, True)
    indices = _make(index)
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return values, indices


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (adaptive windows as adaptive_avg_pool2d)."""
    y, idx = _adaptive_max(input, output_size, 2, "adaptive_max_pool2d")
    return (y, idx) if return_indices else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) to a fixed length (adaptive windows)."""
    y, idx = _adaptive_max(input, output_size, 1, "adaptive_max_pool1d")
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
    if tuple(indices._data.shape) != tuple(input._data.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input._data.shape)}) but got indices tensor with shape: "
                           f"{list(indices._data.shape)}")
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
