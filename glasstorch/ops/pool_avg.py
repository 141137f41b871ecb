"""Average pooling: avg_pool1d/2d and adaptive_avg_pool1d/2d (pool.py re-exports them).

    AvgPool2D / AvgPoolAdjoint  y = window sum / divisor; gx spreads gy / divisor back over
                                windows, and the adjoint's gradient is avg pooling again
    adaptive_avg_pool           a Resample (ops/resample.py): a weighted gather per axis

Windows and checks come from _pool_shapes.py; the kernels from backend/cpu_kernels.py.
"""
from .. import _memory_format as _mf
from ..autograd.node import Op
from ..backend import xp as _xp, cpu_kernels as _k
from . import layout as _layout
from ._inplace import _type_word, float_only
from ._pool_shapes import _adaptive_args, _batched, _geometry, _pool_args, _windows
from .resample import Resample

__all__ = ["avg_pool1d", "adaptive_avg_pool1d", "lp_pool1d", "lp_pool2d"]


class AvgPool2D(Op, name="avg_pool2d"):
    """y = (sum of the zero-padded window) / divisor;  gx = gy / divisor added over windows."""

    @staticmethod
    def forward(ctx, x, geometry, out, divisor):
        ctx.geometry, ctx.size = geometry, x.shape[2:]
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)   # unused by backward; torch keeps x too (so a second
                                 # backward raises as in torch)
            ctx.save(divisor=divisor)   # an array of window counts (or a number)
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
        ctx.geometry, ctx.out = geometry, g.shape[2:]
        ctx.save(divisor=divisor)
        return _k.window_spread(g / divisor, geometry, size)

    @staticmethod
    def backward(ctx, gy):
        return AvgPool2D.apply(gy, ctx.geometry, ctx.out, ctx.divisor), None, None, None


class AdaptiveAvgPool1D(Resample, name="adaptive_avg_pool1d"):
    keeps_input = True


class AdaptiveAvgPool2D(Resample, name="adaptive_avg_pool2d"):
    keeps_input = True


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
    n = input._data.ndim
    if n not in (nd + 1, nd + 2):        # torch's checks differ by kernel and by side
        if nd == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {n}-dimensional tensor for "
                               "argument #1 'self' (while checking arguments for avg_pool1d) "
                               f"({name}: input shape {list(input.shape)})")
        if n == 0:
            raise IndexError("Dimension specified as -3 but tensor has no dimensions "
                             f"({name}: a 0-d input)")
        if n < nd + 1:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, "
                             f"{n - 1}], but got {-nd - 1}) ({name}: input shape "
                             f"{list(input.shape)}, {nd + 1}-D or {nd + 2}-D expected)")
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(input.shape)}")
    k, s, p, d = _pool_args(kernel_size, stride, padding, 1, nd, name)
    x, batched = _batched(input, nd, name)
    geometry, out = _geometry(x, k, s, p, d, ceil_mode, nd)
    dt = x._data.dtype
    if dt.kind != "f" and dt.name != "int64":   # torch's kernels: floats and int64 only
        raise NotImplementedError(f'"{"avg_pool3d_out_frame" if nd == 3 else "avg_pool2d"}" '
                                  f"not implemented for '{_type_word(dt)}'")
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


def _is_global(x, output_size, nd):
    """Whether the output is 1 (x 1): torch then takes a mean, before any check of x's sizes
    (an empty plane gives nan, a 2-D input to adaptive_avg_pool2d passes)."""
    if isinstance(output_size, int):
        return output_size == 1 and (nd == 2 or x.ndim in (2, 3))
    o = tuple(output_size)
    if nd == 1:
        return o == (1,) and x.ndim in (2, 3)
    return len(o) == 2 and x.ndim > 2 and all(
        (sz if v is None else v) == 1 for v, sz in zip(o, x.shape[-2:]))


def _adaptive_avg(input, output_size, nd, name, op):
    if _is_global(input._data, output_size, nd):
        # an integer or bool x: mean's RuntimeError, as torch (no float_only's kernel error)
        if nd == 1:
            return input.mean(-1, keepdim=True)
        # global average pooling is a plain mean over the plane, as torch computes it (its
        # grad_fn is MeanBackward1 too): 0.4 ms instead of 12 for a ResNet's last feature map
        y = input.mean((-2, -1), keepdim=True)
        if input._data.ndim == 4 and _layout.channels_last_like(input._data):
            y = y.to(memory_format=_mf.channels_last)   # torch's strides (N, C, 1, 1)
        return y
    out, size = _adaptive_args(input, output_size, nd, name)
    float_only(input, name)
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


# ---- power-average pooling ---------------------------------------------------------------------
def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd):
    """(sum over the window of x^p)^(1/p), as torch computes it: the average of x^p times the
    window size, with negative averages (odd p) clamped to 0 before the root."""
    pool = avg_pool1d if nd == 1 else avg_pool2d
    if abs(norm_type) == float("inf"):    # the limit: max pooling of |x| (-inf: the min)
        from .pool import max_pool1d, max_pool2d
        mp = max_pool1d if nd == 1 else max_pool2d
        sign = 1 if norm_type > 0 else -1
        return sign * mp(sign * input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    x = input.pow(norm_type)
    out = pool(x, kernel_size, padding=0, ceil_mode=ceil_mode) if stride is None else \
        pool(x, kernel_size, stride, 0, ceil_mode)
    size = kernel_size if nd == 1 else _prod_pair(kernel_size)
    return (out.sign() * out.abs().relu()).mul(size).pow(1.0 / norm_type)


def _prod_pair(k):
    kh, kw = (k, k) if isinstance(k, int) else tuple(k)
    return kh * kw


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling: the p-norm of each window (p = inf is max pooling's limit)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling over (N, C, H, W): the p-norm of each window."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)
