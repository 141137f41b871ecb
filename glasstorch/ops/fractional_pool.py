"""Fractional max pooling (Graham 2014), torch's fractional_max_pool2d/3d: kernel_size windows
whose starts advance by a pseudo-random mix of floor(alpha) and ceil(alpha) steps,
alpha = (in - k) / (out - 1), so any output size below the input's is reached. One sample
u in [0, 1) per (plane, axis) fixes the starts (torch's generate_intervals, in the input's dtype):

    start_i = int((i + u) alpha) - int(u alpha)  (i < out - 1),   start_{out-1} = in - k

Each output is its window's max (the first one; a NaN wins, the last NaN); the gradient goes
to that input (the max_pool_gather op of ops/pool.py does both directions).
"""
from ..backend import xp
from ..random import rand
from ..tensor import _make
from .pool import PlaneGather

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d"]


def _tuple(v, nd):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd


def _starts(u, size, out, k):
    """Window starts (..., out) for samples u (...,) along an axis of `size`."""
    seq = xp.zeros(u.shape + (out,), dtype="int64")
    if out > 1:
        alpha = u.dtype.type(size - k) / u.dtype.type(out - 1)
        i = xp.arange(out - 1, dtype=u.dtype)
        seq[..., :-1] = ((i + u[..., None]) * alpha).astype("int64") - \
            (u * alpha).astype("int64")[..., None]
    if out > 0:
        seq[..., -1] = size - k
    return seq


def _window_argmax(x, starts, kernel):
    """Flat index (within each plane) of each window's max: x (N, C, *S), starts[d] (N, C, o_d)."""
    nd = len(kernel)
    n, c, spatial = x.shape[0], x.shape[1], x.shape[2:]
    flat = 0
    for d, (st, k) in enumerate(zip(starts, kernel)):
        # output axis d and kernel axis nd + d of an (N, C, o_1..o_nd, k_1..k_nd) grid
        pos = st.reshape((n, c) + tuple(st.shape[2] if e == d else 1 for e in range(nd))
                         + (1,) * nd)
        pos = pos + xp.arange(k).reshape((1, 1) + (1,) * nd
                                         + tuple(k if e == d else 1 for e in range(nd)))
        stride = 1
        for size in spatial[d + 1:]:
            stride *= size
        flat = flat + pos * stride
    out_shape = flat.shape[:2 + nd]
    flat = flat.reshape(out_shape + (-1,)) if flat.size else xp.zeros(out_shape + (1,), "int64")
    m = 1
    for o in out_shape[2:]:
        m *= o
    planes = x.reshape(n, c, 1, -1) if x.size else x.reshape(n, c, 1, 0)
    v = xp.take_along_axis(planes, flat.reshape(n, c, 1, m * flat.shape[-1]), axis=3)
    v = v.reshape(flat.shape)
    nan = xp.isnan(v)
    first_max = xp.argmax(xp.where(nan, -xp.inf, v), axis=-1)
    last_nan = flat.shape[-1] - 1 - xp.argmax(nan[..., ::-1], axis=-1)
    pick = xp.where(nan.any(axis=-1), last_nan, first_max)
    return xp.take_along_axis(flat, pick[..., None], axis=-1)[..., 0]


_AXES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices,
                         samples, nd):
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         "output_ratio")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    for d in range(input.dim() - nd - 1, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but got{list(input.shape)} with dimension {d} "
                               "being empty.")
    if output_size is None:
        ratio = _tuple(output_ratio, nd)
        output_size = tuple(int(input.size(d - nd) * ratio[d]) for d in range(nd))
    kernel, out = _tuple(kernel_size, nd), _tuple(output_size, nd)
    batched = input.dim() == nd + 2
    x = input if batched else input.unsqueeze(0)
    n, c, spatial = x.shape[0], x.shape[1], tuple(x.shape[2:])
    # torch checks 2-D (height, width) allowing o + k - 1 == size, 3-D (time, width, height)
    # strictly
    checks = list(zip(_AXES[nd], kernel, out, spatial))
    where = f"{name}()" if nd == 2 else f"{name}_out()"
    for axis, k, o, size in (checks if nd == 2 else [checks[i] for i in (0, 2, 1)]):
        if o + k - 1 > size or (nd == 3 and o + k - 1 == size):
            raise RuntimeError(f"{where}: pool {axis} {k} too large relative to input "
                               f"{axis} {size}")
    if samples is None:
        samples = rand(n, c, nd, dtype=input.dtype)
    u = samples._data
    if u.shape != (n, c, nd):
        raise RuntimeError(f"{name}(): expected _random_samples of shape {[n, c, nd]}, got "
                           f"{list(u.shape)}")
    # 2-D: sample 0 is the width's, 1 the height's; 3-D: 0 time, 1 height, 2 width (torch)
    order = (1, 0) if nd == 2 else (0, 1, 2)
    starts = [_starts(u[..., order[d]], spatial[d], out[d], kernel[d]) for d in range(nd)]
    index = _window_argmax(x._data, starts, kernel)
    values = PlaneGather.apply(x, index)
    indices = _make(index)
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) to `output_size` (or
    int(size * output_ratio)); `_random_samples` (N, C, 2) in [0, 1) fix the windows
    ([..., 0] for the width, [..., 1] for the height), drawn with glasstorch.rand when None."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices,
                                _random_samples, 2)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of (N, C, T, H, W) or (C, T, H, W); `_random_samples`
    (N, C, 3): [..., 0] time, [..., 1] height, [..., 2] width."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices,
                                _random_samples, 3)
