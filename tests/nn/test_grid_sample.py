"""F.affine_grid / F.grid_sample (ops/grid_sample.py) and torch's affine_grid_generator /
grid_sampler forms vs torch: every mode x padding x align_corners, points inside, on the
edges and outside, gradients of input and grid; errors."""
import numpy as np
import pytest

from tests.helpers import check_op, check_raises


def _F(m):
    return m.nn.functional


@pytest.mark.parametrize("align", [False, True])
def test_affine_grid(align):
    check_op(lambda m, t: _F(m).affine_grid(t, (2, 3, 4, 5), align_corners=align),
             [(2, 2, 3)], lib=True)
    check_op(lambda m, t: m.affine_grid_generator(t, (1, 1, 1, 3), align), [(1, 2, 3)],
             lib=True)


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample(mode, padding, align):
    # grid points in [-1.6, 1.6]: inside, near the edges and outside (padding matters),
    # kept off the pixel boundaries where bilinear's floor and nearest's round jump
    rng = np.random.default_rng(0)
    grid = rng.uniform(-1.6, 1.6, (2, 3, 4, 2))
    check_op(lambda m, x, g: _F(m).grid_sample(x, g, mode, padding, align), [(2, 3, 4, 5), grid],
             lib=True)


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_nonfinite(mode, padding, align):
    # NaN/inf/1e30 grid points (torch clips NaN to pixel 0 under border/reflection, reflects
    # 1e30 with the rounding of x - trunc(x / 2span) * 2span) and inf pixels next to the taps
    # (an out-of-range tap reads 0, never 0 * inf). Values only: the gradient of the grid next
    # to an inf pixel is still open (torch multiplies its 0 clip gradient by inf: nan)
    nan, inf = float("nan"), float("inf")
    coords = [nan, inf, -inf, 1e30, -1e30, 0.3, -1.2]
    grid = np.array([[a, b] for a in coords for b in coords]).reshape(1, 7, 7, 2)
    x = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    x[0, 0, 0, 0] = inf
    check_op(lambda m, x, g: _F(m).grid_sample(x, g, mode, padding, align),
             [x, grid], lib=True, grad=False)
    g2 = np.array([-1.2, 0.3, 0.3, -1.0, 1.0, 0.3, 0.0, -3.0]).reshape(1, 2, 2, 2)
    check_op(lambda m, x, g: _F(m).grid_sample(x, g, mode, padding, align), [x, g2], lib=True,
             grad=False)


def test_spatial_transformer_pipeline_and_int_forms():
    theta = np.array([[[0.8, -0.3, 0.1], [0.25, 0.9, -0.2]]])
    check_op(lambda m, x, t: _F(m).grid_sample(x, _F(m).affine_grid(t, (1, 2, 6, 5), False),
                                                align_corners=False), [(1, 2, 5, 4), theta],
             lib=True)
    for mode in (0, 1):
        for pad in (0, 1, 2):
            check_op(lambda m, x, g: m.grid_sampler(x, g, mode, pad, False), [(1, 2, 3, 3),
                                                                              (1, 2, 2, 2)],
                     lib=True, grad=False)
    check_op(lambda m, x, g: m.grid_sampler_2d(x, g, 0, 0, True), [(1, 1, 3, 3), (1, 2, 2, 2)],
             lib=True)


ERRORS = {
    "mode": lambda m, x, g: _F(m).grid_sample(x, g, mode="cubic"),
    "padding": lambda m, x, g: _F(m).grid_sample(x, g, padding_mode="wrap"),
    "grid_last_dim": lambda m, x, g: _F(m).grid_sample(x, g[..., :1]),
    "dtype": lambda m, x, g: _F(m).grid_sample(x, g.float()),
    "theta_shape": lambda m, x, g: _F(m).affine_grid(g[0], (1, 1, 2, 2)),
    "theta_int": lambda m, x, g: _F(m).affine_grid(g.long()[0, :, :1, :].reshape(1, 2, 2)
                                                   .repeat(1, 1, 2)[..., :3], (1, 1, 2, 2)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    check_raises(ERRORS[name], [(1, 2, 3, 3), (1, 2, 3, 2)], lib=True)
