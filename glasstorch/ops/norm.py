"""Normalization layers' ops: batch_norm, instance_norm, layer_norm, group_norm, rms_norm and
local_response_norm (nn.functional forms; nn/modules/normalization.py holds the layers).

Batch, instance, layer and group norm are one computation with different reduction dims:

    xhat = (x - mean) / sqrt(var + eps),   y = xhat * weight + bias

so they share one fused op, `_Normalize`, whose backward is the closed form (Ioffe & Szegedy
2015, sec. 3) instead of a graph of a dozen elementwise nodes. The wrappers compute the
statistics (biased variance, as torch normalizes with) and update running statistics in place
with the *unbiased* variance, as torch does. Backward has two paths: `_array_backward` (every
ordinary step: the closed form on arrays, few temporaries) and `_graph_backward`
(create_graph=True: the same formula in recorded ops, statistics rebuilt from x).
"""
import math

from ..autograd.grad_mode import STATE
from ..autograd.node import Op
from ..backend import kernels as _kernels, xp as _xp
from ..tensor import _make
from ._inplace import _type_word, float_only
from .batchnorm import batch_norm, mixed_params  # noqa: F401  (batch_norm: nn.functional's path)
from .join import cat
from .unary import rsqrt

__all__ = ["layer_norm", "group_norm", "rms_norm", "local_response_norm"]
# batch_norm and instance_norm are nn.functional's forms: torch.batch_norm/instance_norm take
# their arguments in another order, so these two stay out of the top-level namespace.


class _Normalize(Op):
    """y = xhat w + b, xhat = (x - mean) * invstd, statistics over `dims`. With batch
    statistics (they depend on x): gx = invstd (g - mean(g) - xhat mean(g xhat)), g = gy w;
    with fixed (running) statistics gx = invstd g;  gw = gy xhat, gb = gy (summed to the
    weight's shape by the engine)."""

    @staticmethod
    def forward(ctx, x, w, b, mean, invstd, dims, batch_stats, eps):
        nb = None if w is None or b is None or b.shape != w.shape else \
            _rows_kernels(x, dims, w, mean, b, invstd)
        if nb is not None:    # layer norm's rows: one compiled pass, the same bits
            xhat, y = nb.forward(x, mean, invstd, w, b)
        else:
            xhat = x - mean
            xhat *= invstd
        need = ctx.needs_input_grad
        if need[0] or need[1] or need[2]:
            ctx.save_inputs(0, 1)
            ctx.save(xhat=xhat, mean=mean, invstd=invstd)
            ctx.dims, ctx.batch_stats, ctx.eps = dims, batch_stats, eps
        if nb is not None:
            return y
        if w is not None:
            y = xhat * w
            if b is not None:
                y += b
            return y
        if b is not None:
            return xhat + b
        return xhat.copy() if need[0] else xhat  # ctx.xhat must not alias the output

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        if STATE.enabled:
            return _graph_backward(ctx, gy, x, w)
        return _array_backward(ctx, gy._data, w)


def _graph_backward(ctx, gy, x, w):
    """create_graph=True: the closed form in recorded ops, with xhat (and batch statistics)
    rebuilt from x, so that second derivatives see how they depend on x."""
    need, dims = ctx.needs_input_grad, ctx.dims
    if ctx.batch_stats:
        mean = x.mean(dims, keepdim=True)
        invstd = rsqrt(x.var(dims, correction=0, keepdim=True) + ctx.eps)
    else:
        mean, invstd = _make(ctx.mean), _make(ctx.invstd)
    xhat = (x - mean) * invstd
    g = gy if w is None else gy * w
    gx = None
    if need[0]:
        if ctx.batch_stats:
            gx = (g - g.mean(dims, keepdim=True)
                  - xhat * (g * xhat).mean(dims, keepdim=True)) * invstd
        else:
            gx = g * invstd
    return (gx, gy * xhat if need[1] else None, gy if need[2] else None,
            None, None, None, None, None)


def _array_backward(ctx, gy, w):
    """The same closed form on arrays, from the saved xhat, with few full-size temporaries:
    this is the path of every ordinary training step."""
    need, dims, xhat, invstd = ctx.needs_input_grad, ctx.dims, ctx.xhat, ctx.invstd
    gx = gw = None
    nb = None
    if need[0] and need[1] and ctx.batch_stats and w is not None:
        nb = _rows_kernels(xhat, dims, w._data, invstd, gy)
    if nb is not None:    # layer norm's rows: the passes around the two means fused, same bits
        g, t, gw = nb.backward_products(gy, w._data, xhat)
        m1 = g.mean(axis=dims, keepdims=True)
        m2 = t.mean(axis=dims, keepdims=True)
        gx = nb.backward_input(g, xhat, m1, m2, invstd, t)
        return (_make(gx), _make(gw), _make(gy) if need[2] else None,
                None, None, None, None, None)
    if need[0]:
        g = gy if w is None else gy * w._data
        if ctx.batch_stats and xhat.size:  # (an empty input has no means to subtract)
            m1 = g.mean(axis=dims, keepdims=True)
            t = g * xhat
            m2 = t.mean(axis=dims, keepdims=True)
            xp = ctx.xp
            xp.multiply(xhat, m2, out=t)
            gx = xp.subtract(g, t, out=t)   # into our buffer: gy itself is never written
            gx -= m1
            gx *= invstd
        else:
            gx = g * invstd
    if need[1]:
        gw = _make(gy * xhat)
    return (None if gx is None else _make(gx), gw, _make(gy) if need[2] else None,
            None, None, None, None, None)


def _rows_kernels(x, dims, w, stat, *others):
    """backend/numba_norm.py when numba_for_exact() and x is normalized over its last dims,
    weights of those dims' shape, one statistic per row (layer norm; not group, instance or
    batch norm), all of one float dtype and C-contiguous; else None (the NumPy passes)."""
    if not _kernels.numba_for_exact() or not dims or dims != tuple(range(dims[0], x.ndim)) \
            or w.shape != x.shape[dims[0]:] or stat.size * w.size != x.size:
        return None
    from ..backend import numba_norm
    return numba_norm if numba_norm.applies(x, w, stat, *others) else None


class NativeBatchNorm(_Normalize):
    """instance_norm's op: torch runs instance norm as a batch norm, so the grad_fn is named
    after it. (batch_norm itself is the fused op in ops/batchnorm.py, registered there.)"""


class NativeLayerNorm(_Normalize, name="layer_norm"):
    __doc__ = _Normalize.__doc__


class NativeGroupNorm(_Normalize, name="group_norm"):
    __doc__ = _Normalize.__doc__


def _stats(x, dims):
    """Mean and biased variance over `dims` (kept as size-1 dims), two-pass for accuracy."""
    if x.size == 0:  # nothing to average: torch returns an empty result, and no warning
        shape = tuple(1 if d in dims else s for d, s in enumerate(x.shape))
        return _xp.zeros(shape, x.dtype), _xp.ones(shape, x.dtype)
    mean = x.mean(axis=dims, keepdims=True)
    d = x - mean
    d *= d
    return mean, d.mean(axis=dims, keepdims=True)


def _layer_stats(x, dims):
    """_stats, except in rows whose values are near the square root of the dtype's largest
    (or not finite): there torch's own algorithm, _welford_rows, whose float32 overflow
    gives inf or nan variances (a NaN output) where the two-pass sums above stay finite."""
    mean, var = _stats(x, dims)
    if x.size == 0:
        return mean, var
    n = int(_xp.prod([x.shape[d] for d in dims]))
    rows = x.reshape(-1, n)
    limit = _xp.sqrt(_xp.finfo(x.dtype).max) / (4 * n)
    with _xp.errstate(all="ignore"):    # max |x| <= |mean| + sqrt(n var): large, inf or nan
        odd = ~(_xp.abs(mean) + _xp.sqrt(n * var) < limit).reshape(-1)
    if odd.any():
        m, v = mean.reshape(-1), var.reshape(-1)
        m[odd], v[odd] = _welford_rows(rows[odd])
    return mean, var


def _welford_rows(x):
    """torch's RowwiseMoments (ATen cpu/moments_utils.h, its CPU kernels here running 32-byte
    vectors): Welford per vector lane over the whole vectors, Welford over the tail, then each
    lane merged into the tail's moments with m2 += m2_lane + d * d * c * m0, in x's dtype.
    That merge is where torch's NaN comes from: d * d overflows to inf and c or m0 is 0."""
    t, (rows, N) = x.dtype.type, x.shape
    L = 32 // x.dtype.itemsize
    n = N // L
    with _xp.errstate(all="ignore"):
        m1, m2 = _xp.zeros((rows, L), x.dtype), _xp.zeros((rows, L), x.dtype)
        for j in range(n):          # each lane: Welford with c = 1 / (j + 1)
            v = x[:, j * L:(j + 1) * L]
            d = v - m1
            m1 = m1 + d / t(j + 1)
            m2 = m2 + d * (v - m1)
        a1, a2, a0 = _xp.zeros(rows, x.dtype), _xp.zeros(rows, x.dtype), 0
        for i in range(n * L, N):   # the tail, element by element
            v = x[:, i]
            d = v - a1
            a0 += 1
            a1 = a1 + d / t(a0)
            a2 = a2 + d * (v - a1)
        for lane in range(L):       # AddMoments(n, lane's m1, m2) into the tail's
            tot = a0 + n
            c = t(0) if tot == 0 else t(n) / t(tot)
            d = m1[:, lane] - a1
            a1 = a1 + c * d
            a2 = a2 + (m2[:, lane] + d * d * c * t(a0))
            a0 = tot
        return a1, a2 / t(N)


def _invstd(var, eps):
    return 1 / _xp.sqrt(_xp.maximum(var, 0) + eps)     # torch's max(var, 0): NaN stays


def _update(buf, stat, momentum):
    """buf = (1 - momentum) buf + momentum stat, in place (a buffer: no autograd)."""
    d = buf._data
    d *= 1 - momentum
    d += momentum * stat.reshape(d.shape)
    buf._version_counter[0] += 1


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _channel(t, ndim):
    """A per-channel (C,) tensor shaped (C, 1, ..., 1) to broadcast over (N, C, *)."""
    return None if t is None else t.reshape((-1,) + (1,) * (ndim - 2))


def _check_channels(C, **tensors):
    for name, t in tensors.items():
        if t is not None and t._data.size != C:
            raise RuntimeError(f"{name} should contain {C} elements not {t._data.size}")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Instance normalization (Ulyanov et al. 2016): statistics per sample and channel over
    the spatial dims. Running statistics move towards the batch average of the instances'."""
    shape = tuple(input.shape)
    if use_input_stats and _prod(shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    float_only(input, "batch_norm")
    x = input._data
    C = shape[1]
    _check_channels(C, weight=weight, bias=bias, running_mean=running_mean,
                    running_var=running_var)
    dims = tuple(range(2, x.ndim))
    if use_input_stats:
        mean, var = _stats(x, dims)
        n = _prod(shape[2:])
        if running_mean is not None:
            _update(running_mean, mean.mean(axis=0), momentum)
        if running_var is not None:
            _update(running_var, (var * (n / (n - 1))).mean(axis=0), momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when "
                               "use_input_stats is false")
        stat_shape = (1, C) + (1,) * (x.ndim - 2)
        mean = running_mean._data.reshape(stat_shape).astype(x.dtype)
        var = running_var._data.reshape(stat_shape).astype(x.dtype)
    return NativeBatchNorm.apply(input, _channel(weight, x.ndim), _channel(bias, x.ndim), mean,
                                 _invstd(var, eps), dims, use_input_stats, eps)


def _normalized_shape(normalized_shape, fn):
    if isinstance(normalized_shape, int):
        raise TypeError(f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not int")
    ns = tuple(normalized_shape)
    if not ns:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    return ns


def _check_normalized(input, ns, **tensors):
    for name, t in tensors.items():
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(ns)}")
    shape = tuple(input.shape)
    if shape[len(shape) - len(ns):] != ns or len(shape) < len(ns):
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size"
                           f"{list(shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalization (Ba et al. 2016) over the last len(normalized_shape) dims; weight
    and bias (elementwise) have shape normalized_shape."""
    ns = _normalized_shape(normalized_shape, "layer_norm")
    _check_normalized(input, ns, weight=weight, bias=bias)
    if mixed_params(input._data, weight, bias):
        return layer_norm(input.float(), ns, weight, bias, eps).to(input.dtype)
    float_only(input, "LayerNormKernelImpl")
    x = input._data
    dims = tuple(range(x.ndim - len(ns), x.ndim))
    mean, var = _layer_stats(x, dims)
    return NativeLayerNorm.apply(input, weight, bias, mean, _invstd(var, eps), dims, True, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization (Wu & He 2018): the C channels of (N, C, *) in num_groups groups,
    each normalized over its channels and *; weight and bias are per channel."""
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{len(shape)}")
    N, C = shape[:2]
    size = [N * C // num_groups, num_groups] + list(shape[2:])     # F.group_norm's check
    if math.prod(size[:1] + size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {size}")
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.size != C):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} "
                               f"and input of shape {list(shape)}")
    if mixed_params(input._data, weight, bias):
        return group_norm(input.float(), num_groups, weight, bias, eps).to(input.dtype)
    float_only(input, "GroupNormKernelImpl")
    G = num_groups
    # (N, G, C/G, L): a group is a (C/G, L) block, and the per-channel weight is (G, C/G, 1)
    x4 = input.reshape(N, G, C // G, _prod(shape[2:]))
    dims = (2, 3)
    mean, var = _layer_stats(x4._data, dims)     # torch's RowwiseMoments here too
    w = None if weight is None else weight.reshape(G, C // G, 1)
    b = None if bias is None else bias.reshape(G, C // G, 1)
    y = NativeGroupNorm.apply(x4, w, b, mean, _invstd(var, eps), dims, True, eps)
    return y.reshape(shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """RMS normalization (Zhang & Sennrich 2019): x / sqrt(mean(x^2) + eps) * weight over the
    last len(normalized_shape) dims; eps defaults to the dtype's machine epsilon."""
    ns = _normalized_shape(normalized_shape, "rms_norm")
    _check_normalized(input, ns, weight=weight)
    float_only(input, "rms_norm")
    if eps is None:
        eps = float(_xp.finfo(input._data.dtype).eps)
    dims = tuple(range(input._data.ndim - len(ns), input._data.ndim))
    y = input * rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return y if weight is None else (y * weight).to(input.dtype)  # torch keeps input's dtype


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalization across channels (Krizhevsky et al. 2012, AlexNet):
    y = x / (k + alpha/size * sum of x^2 over `size` neighbouring channels)^beta, the window
    zero-padded by size//2 before and (size-1)//2 after. Composed of recorded ops."""
    ndim = input._data.ndim
    if ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {ndim} dimensions) (local_response_norm: input shape "
                         f"{list(input.shape)})")
    if input._data.size == 0:
        return input
    dt = input._data.dtype
    # torch averages with avg_pool2d (3-D input) or avg_pool3d: they have no loop for these
    if (dt.kind != "f" and dt.name != "int64") or (ndim > 3 and dt.name == "float16"):
        kernel = "avg_pool2d" if ndim == 3 else "avg_pool3d_out_frame"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_word(dt)}' "
                                  f"(local_response_norm)")
    sq = input * input
    C = sq.shape[1]
    before, after = size // 2, (size - 1) // 2
    pad = [sq.new_zeros((sq.shape[0], n) + tuple(sq.shape[2:])) for n in (before, after)]
    padded = cat([pad[0], sq, pad[1]], 1)
    total = padded.narrow(1, 0, C)
    for j in range(1, size):  # `size` is small (5 in AlexNet): one shifted slice each
        total = total + padded.narrow(1, j, C)
    # an int64 input: avg_pool's integer average truncates, as torch's
    mean = total.div(size, rounding_mode="trunc") if dt.kind == "i" else total / size
    div = (mean * alpha + k) ** beta
    return input / div
