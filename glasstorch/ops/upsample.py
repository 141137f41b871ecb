"""Resampling: interpolate (nearest, linear, bilinear, area), pixel_shuffle / pixel_unshuffle.

Nearest and (bi)linear interpolation are separable: along each spatial axis the output is a
weighted sum of one or two gathered input slices (an AxisPlan, backend/cpu_kernels.py). The
`Resample` op (resample.py) applies a list of plans (last axis first, so a bilinear value is
torch's h0*(w0*x00 + w1*x01) + h1*(w0*x10 + w1*x11)); its adjoint scatters back
(`ResampleAdjoint`). Reflect/replicate/circular padding (pad.py) and adaptive average pooling
(pool.py) are resamplings too and reuse the pair. Indices and weights follow ATen's UpSample.h
formulas in the input's precision (float32 for float32).
"""
import warnings

from .._dtype import type_word as _type_word
from ..backend import xp as _xp, cpu_kernels as _k
from ..tensor import _make
from .pool_avg import adaptive_avg_pool1d, adaptive_avg_pool2d
from .resample import Resample

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]


# torch's grad_fn names (UpsampleNearest2DBackward0, ...): same op, named per mode
class UpsampleNearest1D(Resample, name="upsample_nearest1d"):
    pass


class UpsampleNearest2D(Resample, name="upsample_nearest2d"):
    pass


class UpsampleNearestExact1D(Resample, name="_upsample_nearest_exact1d"):
    pass


class UpsampleNearestExact2D(Resample, name="_upsample_nearest_exact2d"):
    pass


class UpsampleNearest3D(Resample, name="upsample_nearest3d"):
    pass


class UpsampleNearestExact3D(Resample, name="_upsample_nearest_exact3d"):
    pass


class UpsampleLinear1D(Resample, name="upsample_linear1d"):
    pass


class UpsampleBilinear2D(Resample, name="upsample_bilinear2d"):
    pass


class UpsampleTrilinear3D(Resample, name="upsample_trilinear3d"):
    pass


_OPS = {("nearest", 1): UpsampleNearest1D, ("nearest", 2): UpsampleNearest2D,
        ("nearest", 3): UpsampleNearest3D, ("nearest-exact", 1): UpsampleNearestExact1D,
        ("nearest-exact", 2): UpsampleNearestExact2D,
        ("nearest-exact", 3): UpsampleNearestExact3D, ("linear", 1): UpsampleLinear1D,
        ("bilinear", 2): UpsampleBilinear2D, ("trilinear", 3): UpsampleTrilinear3D}
_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}  # mode -> its number of spatial dims


def _opmath(dtype):
    # torch computes float16 coordinates in float32, others in their own precision
    return _xp.float64 if dtype == _xp.float64 else _xp.float32


def nearest_plan(axis, size, out, scale, exact=False):
    """ATen's nearest_idx: src = min(floor(dst * s), size - 1), s = 1/scale_factor or
    size/out in float32, with exact shortcuts for out == size and out == 2*size;
    nearest-exact samples pixel centers: src = min(floor((dst + 0.5) * s), size - 1)."""
    dst = _xp.arange(out)
    if not exact and out == size:
        idx = dst
    elif not exact and out == 2 * size:
        idx = dst >> 1
    else:
        s = _xp.float32(1.0 / scale) if scale else _xp.float32(size) / _xp.float32(out)
        pos = dst.astype(_xp.float32) + _xp.float32(0.5 if exact else 0.0)
        idx = _xp.minimum(_xp.floor(pos * s).astype(_xp.int64), size - 1)
    return _k.AxisPlan(axis, size, [(idx, None)])


def linear_plan(axis, size, out, scale, align_corners, dtype):
    """ATen's linear weights: src = s*dst (align_corners) or s*(dst + 0.5) - 0.5 clamped at 0;
    idx0 = floor(src), idx1 = idx0 + 1 (clamped), lambda1 = src - idx0, lambda0 = 1 - lambda1.
    The same size is ATen's copy case: idx1 = idx0 = dst, lambda1 = 0 (so an inf becomes
    inf * 1 + inf * 0 = nan there, and a finite value next to an inf stays itself)."""
    t = _opmath(dtype)
    if out == size:
        i = _xp.arange(out)
        return _k.AxisPlan(axis, size, [(i, _xp.ones(out, dtype)), (i, _xp.zeros(out, dtype))])
    if align_corners:
        s = t(size - 1) / t(out - 1) if out > 1 else t(0)
    else:
        s = t(1.0 / scale) if scale else t(size) / t(out)
    dst = _xp.arange(out).astype(t)
    if align_corners:
        src = s * dst
    else:
        src = _xp.maximum(s * (dst + t(0.5)) - t(0.5), t(0))
    i0 = _xp.minimum(_xp.floor(src).astype(_xp.int64), size - 1)
    lam1 = _xp.clip(src - i0.astype(t), t(0), t(1))
    i1 = i0 + (i0 < size - 1)
    w1 = lam1.astype(dtype)
    w0 = (t(1) - lam1).astype(dtype)
    return _k.AxisPlan(axis, size, [(i0, w0), (i1, w1)])


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) to `size` or by
    `scale_factor`. Modes: 'nearest', 'nearest-exact', 'linear' (3-D), 'bilinear' (4-D),
    'trilinear' (5-D), 'area' (adaptive average pooling, 3-D and 4-D); scale_factor without recompute_scale_factor is also the kernel's scale.

    >>> import glasstorch as torch
    >>> x = torch.tensor([[[1., 2.]]])
    >>> torch.nn.functional.interpolate(x, size=4, mode="linear", align_corners=True).tolist()
    [[[1.0, 1.3333332538604736, 1.6666667461395264, 2.0]]]
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    x = input._data
    nd = x.ndim - 2
    spatial = list(x.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                    "size in (o1, o2, ...,oK) format.")
            out = list(size)
        else:
            out = [size] * nd
        if not all(isinstance(o, int) for o in out):
            raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                            f"Tuple[int, int, int], but got size with types "
                            f"{[type(o) for o in out]}")
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nd:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {spatial} and scale_factor of "
                    f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, "
                    "...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * nd
        out = [int(sz * s) for sz, s in zip(spatial, scales)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or mode == "area":
        scales = None  # torch: the kernel then derives the scale from the integer sizes
    if antialias:
        if mode in ("bilinear", "bicubic", "lanczos") and nd == 2:
            raise NotImplementedError(f"glasstorch: interpolate(mode={mode!r}, antialias=True) "
                                      "is not implemented")
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if mode in ("bicubic", "lanczos") or (mode == "area" and nd == 3):
        raise NotImplementedError(f"glasstorch: interpolate(mode={mode!r}) on {x.ndim}-D input "
                                  "is not implemented")
    if mode == "area" and nd in (1, 2):
        return (adaptive_avg_pool1d if nd == 1 else adaptive_avg_pool2d)(input, tuple(out))
    if mode in _LINEAR and nd in (1, 2, 3) and nd != _LINEAR[mode]:
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs "
                                  f"{_LINEAR[mode] + 2}D input")
    op = _OPS.get((mode, nd))
    if op is None:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {x.ndim}D) for the "
            "modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode}) (interpolate: input shape {list(x.shape)})")
    if any(o <= 0 for o in out) or any(s <= 0 for s in spatial):
        names = ("D", "H", "W")[-nd:]
        raise RuntimeError(
            "Input and output sizes should be greater than 0, but got input ("
            + ", ".join(f"{n}: {v}" for n, v in zip(names, spatial))
            + (") and output (" if nd == 1 else ") output (")
            + ", ".join(f"{n}: {v}" for n, v in zip(names, out)) + ")"
            + f" (upsample_{mode}: input shape {list(x.shape)}, output size {list(out)})")
    if x.shape[1] == 0:
        raise RuntimeError(f"Non-empty {x.ndim}D data tensor expected but got a tensor with "
                           f"sizes {list(x.shape)}")
    if mode == "bilinear" and x.dtype.name == "uint8":   # torch's fixed-point image kernel
        y = x
        for i in (1, 0):    # the last axis first, each pass rounded to uint8 (as torch)
            if out[i] != spatial[i]:
                y = _bilinear_u8_axis(y, i - 2, out[i], scales[i] if scales else None,
                                      align_corners)
        return _make(_xp.ascontiguousarray(y))
    if mode in _LINEAR and x.dtype.kind != "f":
        raise NotImplementedError(f'"upsample_{mode}{nd}d" not implemented for '
                                  f"'{_type_word(x.dtype)}'")
    if mode in ("nearest", "nearest-exact") and x.dtype.kind != "f" and x.dtype.name != "uint8":
        raise NotImplementedError(f'"compute_indices_weights_nearest" not implemented for '
                                  f"'{_type_word(x.dtype)}'")  # torch: floats and uint8 only
    plans = []
    for i in reversed(range(nd)):  # the last axis first: torch's order of the weighted sums
        axis = i - nd
        scale = scales[i] if scales is not None else None
        if mode in ("nearest", "nearest-exact"):
            plans.append(nearest_plan(axis, spatial[i], out[i], scale, mode == "nearest-exact"))
        else:
            plans.append(linear_plan(axis, spatial[i], out[i], scale, align_corners, x.dtype))
    return op.apply(input, plans)


def _bilinear_u8_axis(x, axis, out, scale, align_corners):
    """torch's uint8 linear resampling of one axis (Pillow's method): the two weights of
    linear_plan (computed in float64), the one past the edge folded onto the last pixel,
    scaled to integers with p fraction bits (the most that keep the largest weight under
    2**15); y = clamp((sum x_k w_k + 2**(p-1)) >> p, 0, 255)."""
    size = x.shape[axis]
    if align_corners:
        s = (size - 1) / (out - 1) if out > 1 else 0.0
    else:
        s = 1.0 / scale if scale else size / out
    dst = _xp.arange(out, dtype=_xp.float64)
    src = s * dst if align_corners else _xp.maximum(s * (dst + 0.5) - 0.5, 0.0)
    i0 = _xp.minimum(_xp.floor(src).astype(_xp.int64), size - 1)
    lam = _xp.clip(src - i0, 0.0, 1.0)
    n = _xp.minimum(i0 + 2, size) - i0          # 1 at the last pixel: both weights on it
    w = _xp.zeros((out, 2))
    w[:, 0] = 1 - lam
    w[_xp.arange(out), n - 1] += lam
    p = 0
    while p < 22 and int(0.5 + w.max() * (1 << (p + 1))) < (1 << 15):
        p += 1
    wi = _xp.floor(0.5 + w * (1 << p)).astype(_xp.int64)
    a = _xp.moveaxis(x, axis, -1).astype(_xp.int64)
    acc = (1 << (p - 1)) + a[..., i0] * wi[:, 0] + a[..., i0 + n - 1] * wi[:, 1] * (n > 1)
    return _xp.moveaxis(_xp.clip(acc >> p, 0, 255).astype(_xp.uint8), -1, axis)


def _pixel_check(input, factor, name):
    x = input._data
    if x.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {x.ndim} dimension(s)")
    if factor <= 0:
        word = "upscale_factor" if name == "pixel_shuffle" else "downscale_factor"
        raise RuntimeError(f"{name} expects {word} to be greater than 0, but got: {factor}")


def pixel_shuffle(input, upscale_factor):
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r): y[c, h*r + i, w*r + j] = x[c*r^2 + i*r + j, h, w].
    A reshape-permute-reshape (the gradient is the inverse permutation)."""
    r = upscale_factor
    _pixel_check(input, r, "pixel_shuffle")
    *lead, C, H, W = input.shape
    if C % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={C} "
                           f"is not divisible by {r * r}")
    n = len(lead)
    y = input.reshape(*lead, C // (r * r), r, r, H, W)
    y = y.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, C // (r * r), H * r, W * r)


def channel_shuffle(input, groups):
    """(N, C, *) with C = g k -> channel c = i k + j moves to j g + i (ShuffleNet, Zhang et al.
    2017): a reshape-transpose-reshape that mixes the channels of grouped convolutions."""
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    if input.dim() < 3:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    y = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return y.reshape(n, c, *rest)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W): the inverse of pixel_shuffle."""
    r = downscale_factor
    _pixel_check(input, r, "pixel_unshuffle")
    *lead, C, H, W = input.shape
    for size, dim, word in ((H, -2, "height"), (W, -1, "width")):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {word} to be divisible by "
                               f"downscale_factor, but input.size({dim})={size} is not "
                               f"divisible by {r}")
    if input._data.size == 0:   # torch returns an empty input unchanged (shape included)
        return input.clone()
    n = len(lead)
    y = input.reshape(*lead, C, H // r, r, W // r, r)
    y = y.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, C * r * r, H // r, W // r)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate (torch warns the same way)."""
    warnings.warn(f"`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='nearest')."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
