"""Fractional max pooling (Graham 2014), torch's fractional_max_pool2d: kernel_size windows
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

__all__ = ["fractional_max_pool2d"]


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


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


def _window_argmax(x, hs, ws, kh, kw):
    """Flat (H*W) index of each window's max: x (N, C, H, W), starts hs (N, C, oH), ws (N, C, oW)."""
    rows = hs[:, :, :, None, None, None] + xp.arange(kh)[:, None]       # (N, C, oH, 1, kH, 1)
    cols = ws[:, :, None, :, None, None] + xp.arange(kw)                 # (N, C, 1, oW, 1, kW)
    flat = (rows * x.shape[3] + cols)                                    # (N, C, oH, oW, kH, kW)
    flat = flat.reshape(flat.shape[:4] + (kh * kw,))
    n, c, oh, ow, k = flat.shape
    planes = x.reshape(n, c, 1, x.shape[2] * x.shape[3])
    v = xp.take_along_axis(planes, flat.reshape(n, c, 1, oh * ow * k), axis=3).reshape(flat.shape)
    nan = xp.isnan(v)
    first_max = xp.argmax(xp.where(nan, -xp.inf, v), axis=-1)
    last_nan = kh * kw - 1 - xp.argmax(nan[..., ::-1], axis=-1)
    pick = xp.where(nan.any(axis=-1), last_nan, first_max)
    return xp.take_along_axis(flat, pick[..., None], axis=-1)[..., 0]


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) to `output_size` (or
    int(size * output_ratio)); `_random_samples` (N, C, 2) in [0, 1) fix the windows
    ([..., 0] for the width, [..., 1] for the height), drawn with glasstorch.rand when None."""
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool2d requires specifying either an output_size or "
                         "an output_ratio")
    if input.dim() not in (3, 4):
        raise RuntimeError("fractional_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{list(input.shape)}")
    for d in range(input.dim() - 3, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError("fractional_max_pool2d(): Expected input to have non-zero size "
                               f"for non-batch dimensions, but got{list(input.shape)} with "
                               f"dimension {d} being empty.")
    if output_size is None:
        ratio = _pair(output_ratio)
        output_size = (int(input.size(-2) * ratio[0]), int(input.size(-1) * ratio[1]))
    kh, kw = _pair(kernel_size)
    oh, ow = _pair(output_size)
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    n, c, h, w = x.shape
    if oh + kh - 1 > h:
        raise RuntimeError(f"fractional_max_pool2d_out(): pool height {kh} too large relative "
                           f"to input height {h}")
    if ow + kw - 1 > w:
        raise RuntimeError(f"fractional_max_pool2d_out(): pool width {kw} too large relative "
                           f"to input width {w}")
    if _random_samples is None:
        _random_samples = rand(n, c, 2, dtype=input.dtype)
    u = _random_samples._data
    if u.shape != (n, c, 2):
        raise RuntimeError(f"fractional_max_pool2d(): expected _random_samples of shape "
                           f"{[n, c, 2]}, got {list(u.shape)}")
    ws, hs = _starts(u[..., 0], w, ow, kw), _starts(u[..., 1], h, oh, kh)
    index = _window_argmax(x._data, hs, ws, kh, kw)
    values = PlaneGather.apply(x, index)
    indices = _make(index)
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values
