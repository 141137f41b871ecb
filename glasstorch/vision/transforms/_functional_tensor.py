"""Kernels for tensor images, on backend arrays: resampling, padding, affine warps, colour.

functional.py unwraps a Tensor, calls one of these on its array (..., C, H, W) or (H, W), and
wraps the result. Each follows torchvision's transforms/_functional_tensor.py (which calls
torch's interpolate and grid_sample), so the formulas here are those ops' written out:
- resize: separable weight matrices, out = Wy @ img @ Wx^T (interpolate with
  align_corners=False; antialias=True uses the PIL-style widened filter torch uses);
- rotate/affine: torchvision's affine grid sampled like grid_sample(align_corners=False,
  padding_mode="zeros"), plus its "mask channel" trick for the fill colour;
- colour: _blend, the 0.2989/0.587/0.114 grayscale, and the RGB<->HSV round trip of adjust_hue.
Integer images are computed in float32 and rounded back (torchvision's _cast_squeeze_in/out),
except where torchvision itself truncates (blend, grayscale, float->uint8 conversion).
"""
from ...backend import xp as _xp

_F32 = _xp.float32


def max_value(dtype):
    """1.0 for float images, the dtype's largest value for integer ones (uint8: 255)."""
    if dtype.kind == "f":
        return 1.0
    if dtype.kind == "b":
        return 1
    return int(_xp.iinfo(dtype).max)


def _to_float(x):
    return (x, x.dtype) if x.dtype in (_xp.float32, _xp.float64) else (x.astype(_F32), x.dtype)


def _from_float(y, dtype):
    if y.dtype == dtype:
        return y
    if dtype.kind in "iub":  # torchvision rounds before casting integer images back
        y = _xp.rint(y)
    return y.astype(dtype)


def _fill(fill, x):
    """`fill` (a number or one value per channel) as an array broadcasting over x (.., C, H, W),
    cast like torch casts a float into x's dtype (truncating for integers)."""
    f = _xp.asarray(fill, dtype=_xp.float64).reshape(-1)
    f = f[0] if f.size == 1 else f.reshape(-1, 1, 1)
    return _xp.asarray(f).astype(x.dtype)


# ---- resize --------------------------------------------------------------------------------

def _cubic(x, a):
    """Keys' cubic convolution kernel; torch uses a=-0.75 (a=-0.5, PIL's, when antialiasing)."""
    x = _xp.abs(x)
    return _xp.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                     _xp.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))


def _weights(n_in, n_out, mode, antialias):
    """(n_out, n_in) float64 matrix: row i holds the weights of output pixel i."""
    scale = n_in / n_out
    i = _xp.arange(n_out)
    w = _xp.zeros((n_out, n_in))
    if antialias:
        # torch's _upsample_*_aa (= PIL): the filter is stretched by the downscale factor so
        # every input pixel contributes; weights are renormalized to sum to 1
        support = (1.0 if mode == "bilinear" else 2.0) * max(scale, 1.0)
        invscale = 1.0 / scale if scale >= 1.0 else 1.0
        center = scale * (i + 0.5)
        lo = _xp.maximum(_xp.trunc(center - support + 0.5), 0)[:, None]
        hi = _xp.minimum(_xp.trunc(center + support + 0.5), n_in)[:, None]
        j = _xp.arange(n_in)[None, :]
        t = (j - center[:, None] + 0.5) * invscale
        f = _xp.maximum(1 - _xp.abs(t), 0) if mode == "bilinear" else _cubic(t, -0.5)
        w = _xp.where((j >= lo) & (j < hi), f, 0.0)
        return w / w.sum(axis=1, keepdims=True)
    src = scale * (i + 0.5) - 0.5  # align_corners=False: pixel centres line up
    if mode == "bilinear":
        src = _xp.maximum(src, 0.0)
        i0 = _xp.floor(src).astype(_xp.int64)
        lam = src - i0
        _xp.add.at(w, (i, i0), 1 - lam)
        _xp.add.at(w, (i, _xp.minimum(i0 + 1, n_in - 1)), lam)
        return w
    i0 = _xp.floor(src)
    t = src - i0
    for k, c in ((-1, _cubic(t + 1, -0.75)), (0, _cubic(t, -0.75)), (1, _cubic(1 - t, -0.75)),
                 (2, _cubic(2 - t, -0.75))):
        _xp.add.at(w, (i, _xp.clip(i0.astype(_xp.int64) + k, 0, n_in - 1)), c)  # edge clamp
    return w


def _nearest(n_in, n_out, exact):
    """Source index of each output pixel, in float32 as torch's upsample_nearest computes it."""
    i = _xp.arange(n_out)
    if n_out == n_in:
        return i
    scale = _F32(n_in) / _F32(n_out)
    src = (i.astype(_F32) + _F32(0.5 if exact else 0.0)) * scale
    return _xp.minimum(_xp.floor(src).astype(_xp.int64), n_in - 1)


def resize(x, size, mode, antialias):
    """x resized to size (h, w); mode: nearest, nearest-exact, bilinear or bicubic."""
    (h, w), (oh, ow) = x.shape[-2:], size
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        return x[..., _nearest(h, oh, exact)[:, None], _nearest(w, ow, exact)]
    y, dtype = _to_float(x)
    wy = _weights(h, oh, mode, antialias).astype(y.dtype)
    wx = _weights(w, ow, mode, antialias).astype(y.dtype)
    y = _xp.matmul(_xp.matmul(wy, y), wx.T)
    if mode == "bicubic" and dtype == _xp.uint8:  # cubic weights overshoot
        y = _xp.clip(y, 0, 255)
    return _from_float(y, dtype)


# ---- pad -----------------------------------------------------------------------------------

def pad(x, left, top, right, bottom, fill=0, mode="constant"):
    """Pad the last two dims; negative amounts crop (torch.nn.functional.pad's convention).
    Modes are NumPy's: constant (fill, a number or per channel), edge, reflect, symmetric."""
    h, w = x.shape[-2:]
    x = x[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    top, bottom, left, right = max(top, 0), max(bottom, 0), max(left, 0), max(right, 0)
    if mode != "constant":
        return _xp.pad(x, [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)], mode=mode)
    h, w = x.shape[-2:]
    out = _xp.empty(x.shape[:-2] + (top + h + bottom, left + w + right), dtype=x.dtype)
    out[...] = _fill(fill, x)
    out[..., top:top + h, left:left + w] = x
    return out


# ---- affine warps (rotate, affine) ---------------------------------------------------------

def affine_output_size(matrix, w, h):
    """(w, h) of the box holding the whole transformed image (rotate(expand=True)); float32
    with a 1e-4 cut, as torchvision's _compute_affine_output_size (and PIL)."""
    pts = _xp.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                     [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=_F32)
    new = pts @ _xp.asarray(matrix, dtype=_F32).reshape(2, 3).T
    half = _xp.array([0.5 * w, 0.5 * h], dtype=_F32)
    lo, hi = new.min(axis=0) + half, new.max(axis=0) + half
    tol = _F32(1e-4)  # so a corner at 31.99999997 does not ceil to 33
    size = _xp.ceil(_xp.trunc(hi / tol) * tol) - _xp.floor(_xp.trunc(lo / tol) * tol)
    return int(size[0]), int(size[1])


def affine_grid_sample(x, matrix, out_size, mode, fill):
    """Output pixel (row, col) reads x at matrix @ (col - ow/2 + 0.5, row - oh/2 + 0.5, 1),
    shifted back to x's pixel grid; nearest (round half to even) or bilinear, zeros outside.
    With `fill` (number or per channel), outside pixels get it instead, weighted by how much
    of the pixel fell outside (torchvision samples a ones channel for that weight)."""
    y, dtype = _to_float(x)
    ft = y.dtype
    h, w = x.shape[-2:]
    oh, ow = out_size
    # torchvision's _gen_affine_grid then grid_sample's unnormalize, in the image's float type
    theta = _xp.asarray(matrix, dtype=ft).reshape(2, 3) / _xp.array([[0.5 * w], [0.5 * h]],
                                                                     dtype=ft)
    xs = _xp.arange(ow, dtype=ft)[None, :] - ft.type(ow * 0.5 - 0.5)
    ys = _xp.arange(oh, dtype=ft)[:, None] - ft.type(oh * 0.5 - 0.5)
    px = ((xs * theta[0, 0] + ys * theta[0, 1] + theta[0, 2] + 1) * w - 1) / 2
    py = ((xs * theta[1, 0] + ys * theta[1, 1] + theta[1, 2] + 1) * h - 1) / 2
    if mode == "nearest":
        ix, iy = _xp.rint(px).astype(_xp.int64), _xp.rint(py).astype(_xp.int64)
        mask = ((ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)).astype(ft)
        out = y[..., _xp.clip(iy, 0, h - 1), _xp.clip(ix, 0, w - 1)] * mask
    else:
        x0, y0 = _xp.floor(px), _xp.floor(py)
        wx1, wy1 = px - x0, py - y0
        x0, y0 = x0.astype(_xp.int64), y0.astype(_xp.int64)
        out, mask = 0, 0
        for dy, wy in ((0, 1 - wy1), (1, wy1)):
            for dx, wx in ((0, 1 - wx1), (1, wx1)):
                ix, iy = x0 + dx, y0 + dy
                wgt = wy * wx * ((ix >= 0) & (ix < w) & (iy >= 0) & (iy < h))
                out = out + y[..., _xp.clip(iy, 0, h - 1), _xp.clip(ix, 0, w - 1)] * wgt
                mask = mask + wgt
    if fill is not None:
        f = _fill(fill, y)
        out = _xp.where(mask < 0.5, f, out) if mode == "nearest" else \
            out * mask + (1.0 - mask) * f
    return _from_float(out.astype(ft, copy=False), dtype)


# ---- colour --------------------------------------------------------------------------------

def _float_type(x):
    return x.dtype if x.dtype.kind == "f" else _F32


def blend(a, b, ratio):
    """ratio * a + (1 - ratio) * b, clamped to the image range; integer results truncate."""
    ft = _float_type(a)
    out = ratio * a.astype(ft, copy=False) + (1.0 - ratio) * b.astype(ft, copy=False)
    return _xp.clip(out, 0, max_value(a.dtype)).astype(a.dtype)


def rgb_to_grayscale(x, num_output_channels=1):
    """L = 0.2989 R + 0.587 G + 0.114 B (torchvision's coefficients), truncated to x's dtype."""
    if x.shape[-3] == 3:
        ft = _float_type(x)
        r, g, b = (x[..., c, :, :].astype(ft, copy=False) for c in range(3))
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).astype(x.dtype)[..., None, :, :]
    else:
        gray = x.copy()
    if num_output_channels == 3:
        return _xp.ascontiguousarray(_xp.broadcast_to(gray, x.shape[:-3] + (3,) + x.shape[-2:]))
    return gray


def adjust_contrast(x, factor):
    ft = _float_type(x)
    src = rgb_to_grayscale(x) if x.ndim >= 3 and x.shape[-3] == 3 else x
    axes = tuple(range(-min(x.ndim, 3), 0))
    mean = src.astype(ft).mean(axis=axes, keepdims=True)
    return blend(x, mean, factor)


def convert_dtype(x, dtype):
    """torchvision's convert_image_dtype: rescale between [0, 1] floats and integer ranges."""
    dtype = _xp.dtype(dtype)
    if x.dtype == dtype:
        return x
    if x.dtype.kind == "f":
        if dtype.kind == "f":
            return x.astype(dtype)
        if (x.dtype == _xp.float32 and dtype in (_xp.int32, _xp.int64)) or \
                (x.dtype == _xp.float64 and dtype == _xp.int64):
            raise RuntimeError(f"The cast from {x.dtype} to {dtype} cannot be performed "
                               "safely.")
        # 255.999 rather than 255: each integer gets an equal share of [0, 1], and 1.0 -> 255
        return (x * (max_value(dtype) + 1.0 - 1e-3)).astype(dtype)
    in_max = max_value(x.dtype)
    if dtype.kind == "f":
        return x.astype(dtype) / dtype.type(in_max)
    out_max = max_value(dtype)
    if in_max > out_max:
        return (x // ((in_max + 1) // (out_max + 1))).astype(dtype)
    return x.astype(dtype) * ((out_max + 1) // (in_max + 1))


def _rgb_to_hsv(img):
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    eqc = maxc == minc  # gray pixels: hue and saturation 0, avoid 0/0
    cr = maxc - minc
    ones = _xp.ones_like(maxc)
    s = cr / _xp.where(eqc, ones, maxc)
    cr_divisor = _xp.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = _xp.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return h, s, maxc


def _hsv_to_rgb(h, s, v):
    i = _xp.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(_xp.int32) % 6
    p = _xp.clip(v * (1.0 - s), 0.0, 1.0)
    q = _xp.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = _xp.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    r = _xp.choose(i, (v, q, p, p, t, v))
    g = _xp.choose(i, (t, v, v, q, p, p))
    b = _xp.choose(i, (p, p, t, v, v, q))
    return _xp.stack((r, g, b), axis=-3)


def adjust_hue(x, factor):
    """Rotate the hue by `factor` turns, in float HSV (integer images via [0, 1] floats)."""
    img = convert_dtype(x, _F32) if x.dtype.kind != "f" else x
    h, s, v = _rgb_to_hsv(img)
    return convert_dtype(_hsv_to_rgb((h + factor) % 1.0, s, v).astype(img.dtype), x.dtype)
