"""F.affine_grid and F.grid_sample (2-D: 4-D inputs; 5-D ones go to grid_sample3d.py), and torch's affine_grid_generator /
grid_sampler / grid_sampler_2d forms: the spatial-transformer pair.

affine_grid: the (x, y, 1) coordinates of the output pixels' centres (corners with
align_corners) in [-1, 1], times theta^T. grid_sample: each grid point (x, y) in [-1, 1] is
mapped to input pixel coordinates, padded (zeros: out-of-range samples read 0; border: clamped;
reflection: mirrored at the edges) and interpolated (bilinear: the 4 neighbours weighted by
distance; nearest: round half to even). Everything is a composition of gather / clamp /
arithmetic, so the gradients of input and grid come from those ops (the grid's through the
bilinear weights and the padding, as in torch).
"""
from .. import _dtype

__all__ = ["affine_grid", "grid_sample", "affine_grid_generator", "grid_sampler",
           "grid_sampler_2d"]

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}


def _t():
    import glasstorch
    return glasstorch


def _base(n, align_corners, dtype):
    if n <= 1:
        return _t().zeros(n, dtype=dtype)
    line = _t().linspace(-1, 1, n, dtype=dtype)
    return line if align_corners else line * ((n - 1) / n)


def affine_grid(theta, size, align_corners=None):
    """The (N, H, W, 2) sampling grid of the 2-D affine maps theta (N, 2, 3)."""
    align = bool(align_corners)
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 5:                  # volumes: grid_sample3d.py
        from .grid_sample3d import affine_grid_3d
        return affine_grid_3d(theta, size, align)
    if len(size) != 4:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                         f"{list(size)}. Got {list(theta.shape)}.")
    if theta.shape[0] != size[0]:
        raise ValueError(f"Expected theta batch {theta.shape[0]} to match size's "
                         f"{size[0]}")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {list(size)}")
    N, _, H, W = size
    xs, ys = _base(W, align, theta.dtype), _base(H, align, theta.dtype)
    grid_y, grid_x = _t().meshgrid(ys, xs, indexing="ij")
    base = _t().stack([grid_x, grid_y, _t().ones_like(grid_x)], -1).reshape(1, H * W, 3)
    return (base @ theta.transpose(1, 2)).reshape(N, H, W, 2)


def _unnormalize(coord, size, align):
    return (coord + 1) / 2 * (size - 1) if align else ((coord + 1) * size - 1) / 2


def _reflect(x, low2, high2):
    """Mirror x into [low2/2, high2/2] (twice the bounds, as torch's reflect_coordinates).
    As torch's CPU kernel: the number of whole double spans is trunc(x / (2 span)) and the
    rest x - that * 2 span, so a huge x (1e30) keeps that product's rounding, like torch."""
    if low2 == high2:
        return x * 0
    lo, span, twice = low2 / 2, (high2 - low2) / 2, high2 - low2
    x = (x - lo).abs()
    extra = x - (x / twice).trunc().detach() * twice
    return _t().where(extra < span, extra, twice - extra) + lo


def _clip(x, size):
    """Clamp to [0, size - 1]; NaN (a NaN grid point, or inf reflected) goes to 0 as in
    torch's kernel, whose max(x, 0) returns 0 when x is NaN (gradient 0 there)."""
    x = _t().where(x.isnan(), _t().zeros((), dtype=x.dtype), x)
    return x.clamp(0, size - 1)


def _source(coord, size, padding, align):
    x = _unnormalize(coord, size, align)
    if padding == "border":
        x = _clip(x, size)
    elif padding == "reflection":
        x = _reflect(x, 0, 2 * (size - 1)) if align else _reflect(x, -1, 2 * size - 1)
        x = _clip(x, size)
    return x


def _gather(input, iy, ix, valid):
    """input[n, :, iy, ix] (0 where not valid) for integer index tensors (N, Ho, Wo)."""
    N, C, H, W = input.shape
    flat = (iy.clamp(0, H - 1) * W + ix.clamp(0, W - 1)).reshape(N, 1, -1).expand(N, C, -1)
    vals = input.reshape(N, C, H * W).gather(2, flat).reshape(N, C, *iy.shape[1:])
    # where, not a product: torch's masked gather reads 0 there, so an inf pixel that the
    # clamped index lands on does not become 0 * inf = nan
    return _t().where(valid.unsqueeze(1), vals, _t().zeros((), dtype=input.dtype))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample input (N, C, H, W) at grid's (N, Ho, Wo, 2) normalized (x, y) points."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if input.ndim == 5 and grid.ndim == 5:      # volumes: grid_sample3d.py
        from .grid_sample3d import grid_sample_3d
        return grid_sample_3d(input, grid, mode, padding_mode, bool(align_corners))
    if input.ndim != 4 or grid.ndim != 4:
        raise NotImplementedError("grid_sample: glasstorch samples 4-D inputs (N, C, H, W) "
                                  f"with a 4-D grid; got {input.ndim}-D input and "
                                  f"{grid.ndim}-D grid")
    if mode == "bicubic":
        raise NotImplementedError("grid_sample: mode 'bicubic' is not implemented in "
                                  "glasstorch (bilinear and nearest are)")
    if grid.shape[0] != input.shape[0] or grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension "
                           f"and the same batch size as input, but got grid with sizes "
                           f"{list(grid.shape)} and input with sizes {list(input.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but "
                           f"input has {input.dtype} and grid has {grid.dtype}")
    align = bool(align_corners)
    H, W = input.shape[-2:]
    x = _source(grid[..., 0], W, padding_mode, align)
    y = _source(grid[..., 1], H, padding_mode, align)
    long = _dtype.int64
    if mode == "nearest":
        ix, iy = x.detach().round().to(long), y.detach().round().to(long)
        valid = (ix >= 0) & (ix < W) & (iy >= 0) & (iy < H)
        # + a zero that depends on grid: its gradient is zeros (torch's), not None
        zero = _t().where(_t().ones((), dtype=_dtype.bool), _t().zeros((), dtype=x.dtype),
                          x + y).unsqueeze(1)
        return _gather(input, iy, ix, valid) + zero
    x0f, y0f = x.detach().floor(), y.detach().floor()
    wx1, wy1 = x - x0f, y - y0f
    wx0, wy0 = 1 - wx1, 1 - wy1
    x0, y0 = x0f.to(long), y0f.to(long)
    out = 0
    for dy, wy in ((0, wy0), (1, wy1)):
        for dx, wx in ((0, wx0), (1, wx1)):
            ix, iy = x0 + dx, y0 + dy
            valid = (ix >= 0) & (ix < W) & (iy >= 0) & (iy < H)
            out = out + _gather(input, iy, ix, valid) * (wx * wy).unsqueeze(1)
    return out


def affine_grid_generator(theta, size, align_corners):
    return affine_grid(theta, size, align_corners)


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """torch.grid_sampler: the modes as ints (0 bilinear, 1 nearest, 2 bicubic; padding 0
    zeros, 1 border, 2 reflection)."""
    modes = {v: k for k, v in _MODES.items()}
    paddings = {v: k for k, v in _PADDINGS.items()}
    return grid_sample(input, grid, modes[interpolation_mode], paddings[padding_mode],
                       align_corners)


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)
