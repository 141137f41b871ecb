"""The 3-D (volumetric) forms of F.affine_grid and F.grid_sample (5-D inputs), and torch's
grid_sampler_3d: grid.py's construction with one more axis.

affine_grid: the (x, y, z, 1) coordinates of the output voxels' centres (corners with
align_corners) in [-1, 1], times theta^T (theta (N, 3, 4)). grid_sample: each grid point
(x, y, z) in [-1, 1] (x along W, y along H, z along D) is mapped to input voxel coordinates,
padded as in 2-D (grid_sample.py's _source) and interpolated: bilinear is trilinear here (the 8
neighbours weighted by distance), nearest rounds half to even. A composition of gather / clamp
/ arithmetic, so the gradients of input and grid come from those ops.
"""
from .. import _dtype
from .grid_sample import _base, _source, _t

__all__ = ["grid_sampler_3d"]


def affine_grid_3d(theta, size, align):
    """The (N, D, H, W, 3) sampling grid of the 3-D affine maps theta (N, 3, 4)."""
    if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
        raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                         f"{size}. Got {theta.shape}.")
    if theta.shape[0] != size[0]:
        raise ValueError(f"Expected theta batch {theta.shape[0]} to match size's {size[0]}")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    N, _, D, H, W = size
    zs, ys, xs = (_base(n, align, theta.dtype) for n in (D, H, W))
    gz, gy, gx = _t().meshgrid(zs, ys, xs, indexing="ij")
    base = _t().stack([gx, gy, gz, _t().ones_like(gx)], -1).reshape(1, D * H * W, 4)
    return (base @ theta.transpose(1, 2)).reshape(N, D, H, W, 3)


def _gather(input, iz, iy, ix, valid):
    """input[n, :, iz, iy, ix] (0 where not valid) for index tensors (N, Do, Ho, Wo)."""
    N, C, D, H, W = input.shape
    flat = ((iz.clamp(0, D - 1) * H + iy.clamp(0, H - 1)) * W + ix.clamp(0, W - 1))
    flat = flat.reshape(N, 1, -1).expand(N, C, -1)
    vals = input.reshape(N, C, D * H * W).gather(2, flat).reshape(N, C, *iz.shape[1:])
    return _t().where(valid.unsqueeze(1), vals, _t().zeros((), dtype=input.dtype))  # no 0*inf


def grid_sample_3d(input, grid, mode, padding_mode, align):
    """Sample input (N, C, D, H, W) at grid's (N, Do, Ho, Wo, 3) normalized (x, y, z)."""
    if grid.shape[-1] != 3:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 3 in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but "
                           f"input has {input.dtype} and grid has {grid.dtype}")
    D, H, W = input.shape[-3:]
    x = _source(grid[..., 0], W, padding_mode, align)
    y = _source(grid[..., 1], H, padding_mode, align)
    z = _source(grid[..., 2], D, padding_mode, align)
    long = _dtype.int64

    def inside(iz, iy, ix):
        return (ix >= 0) & (ix < W) & (iy >= 0) & (iy < H) & (iz >= 0) & (iz < D)
    if mode == "nearest":
        ix, iy, iz = (c.detach().round().to(long) for c in (x, y, z))
        # + a zero that depends on grid: its gradient is zeros (torch's), not None
        zero = _t().where(_t().ones((), dtype=_dtype.bool), _t().zeros((), dtype=x.dtype),
                          x + y + z).unsqueeze(1)
        return _gather(input, iz, iy, ix, inside(iz, iy, ix)) + zero
    x0f, y0f, z0f = x.detach().floor(), y.detach().floor(), z.detach().floor()
    wx1, wy1, wz1 = x - x0f, y - y0f, z - z0f
    x0, y0, z0 = x0f.to(long), y0f.to(long), z0f.to(long)
    out = 0
    for dz, wz in ((0, 1 - wz1), (1, wz1)):
        for dy, wy in ((0, 1 - wy1), (1, wy1)):
            for dx, wx in ((0, 1 - wx1), (1, wx1)):
                iz, iy, ix = z0 + dz, y0 + dy, x0 + dx
                w = (wx * wy * wz).unsqueeze(1)
                out = out + _gather(input, iz, iy, ix, inside(iz, iy, ix)) * w
    return out


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    """torch.grid_sampler_3d: grid_sample on 5-D input with the modes as ints (0 bilinear,
    1 nearest; padding 0 zeros, 1 border, 2 reflection)."""
    modes, paddings = ("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection")
    return grid_sample_3d(input, grid, modes[interpolation_mode], paddings[padding_mode],
                          bool(align_corners))
