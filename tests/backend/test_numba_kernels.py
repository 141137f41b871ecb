"""backend/numba_kernels.py (the optional numba extra) against the NumPy paths it replaces:
im2col bit for bit, BatchNorm's affine passes bit for bit given the same per-channel numbers,
its per-sample sums within float32 rounding (a different summation order: float64 accumulation
rounded once, where NumPy adds float32s pairwise); kernel selection by API and environment.
(The ops' torch comparisons run on both kernel choices through tests/kernel_choice.py.)"""
import os
import subprocess
import sys

import numpy as np
import pytest

from glasstorch.backend import kernels as selection
from glasstorch.ops import batchnorm, conv_kernels_nhwc as nhwc
from kernel_choice import kernels  # noqa: F401  (fixture: NumPy and numba kernels)

nb = pytest.importorskip("glasstorch.backend.numba_kernels")

GEOMETRIES = [  # (kernel, stride, dilation, padding) per dim, output size
    (((3, 1, 1, 1), (3, 1, 1, 1)), (7, 6)),
    (((3, 2, 1, 1), (3, 2, 1, 1)), (4, 3)),
    (((5, 1, 1, 0), (3, 1, 2, 2)), (3, 6)),
    (((2, 3, 1, 0), (3, 1, 1, 0)), (3, 4)),       # the last window reaches past x
    (((1, 2, 1, 0), (1, 2, 1, 0)), (4, 3)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geometry, out", GEOMETRIES)
def test_im2col_same_bits(geometry, out, dtype):
    rng = np.random.default_rng(0)
    xh = rng.standard_normal((3, 7, 6, 5)).astype(dtype)
    xh[0, 0, 0, 0] = -0.0
    want = np.ascontiguousarray(nhwc._windows(xh, geometry, out))
    got = np.full(want.shape, np.nan, dtype)
    nb.im2col_nhwc(xh, geometry, out, got)
    assert want.tobytes() == got.tobytes()


def _layouts(shape=(5, 6, 7, 9), dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    for cl in (False, True):
        xi = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2) if cl else x
        yield batchnorm._layout(xi)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bn_affine_and_input_grad_same_bits(dtype):
    rng = np.random.default_rng(1)
    for x3, axis, ps in _layouts(dtype=dtype):
        a, b, k, c0 = (rng.standard_normal(ps).astype(dtype) for _ in range(4))
        g3 = rng.standard_normal(x3.shape).astype(dtype)
        want = x3 * a + b
        got = nb.bn_affine(x3, a, b, axis == 1, np.empty_like(x3))
        assert want.tobytes() == got.tobytes()
        want = g3 * a + (x3 * k + c0)
        got = nb.bn_input_grad(g3, x3, a, k, c0, axis == 1, np.empty_like(x3))
        assert want.tobytes() == got.tobytes()


def _ulps(got, exact, dtype):
    """|got - exact| in units of the float32 spacing at |exact|."""
    return np.abs(got.astype(np.float64) - exact) / np.spacing(np.abs(exact).astype(dtype))


def test_bn_sums_rounded_once():
    """Per-sample sums: float64 accumulation rounded once to float32 is within 1 ulp of the
    exact sum (NumPy's float32 pairwise/BLAS sums, the default path, within a few)."""
    for x3, axis, ps in _layouts():
        nlc = axis == 1
        xs = x3.astype(np.float64)
        exact = xs.sum(1 if nlc else 2)
        got = nb.bn_sums(x3, nlc, np.empty(exact.shape, np.float32))
        assert _ulps(got, exact, np.float32).max() <= 1
        mean = (exact.sum(0) / (x3.size // exact.shape[1])).astype(np.float32).reshape(ps)
        d = (x3 - mean) ** 2                      # float32, as both paths square
        exact = d.astype(np.float64).sum(1 if nlc else 2)
        got = nb.bn_sums(x3, nlc, np.empty(exact.shape, np.float32), mean)
        assert _ulps(got, exact, np.float32).max() <= 1
        g3 = np.random.default_rng(2).standard_normal(x3.shape).astype(np.float32)
        gsum, xgsum = (np.empty(exact.shape, np.float32) for _ in range(2))
        nb.bn_backward_sums(x3, g3, mean, nlc, gsum, xgsum)
        assert _ulps(gsum, g3.astype(np.float64).sum(1 if nlc else 2), np.float32).max() <= 1
        exact = ((x3 - mean) * g3).astype(np.float64).sum(1 if nlc else 2)
        assert _ulps(xgsum, exact, np.float32).max() <= 1


def test_batch_norm_statistics_close_to_numpy_path():
    """The op's outputs on both paths: the same up to the statistics' rounding (documented in
    backend/numba_kernels.py): rtol 1e-5 on these sizes (64 x 32 x 16 x 16)."""
    import glasstorch as gt
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((64, 32, 16, 16)) * 2 + 0.5).astype(np.float32)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    before = selection.get_kernels()
    results = []
    try:
        for name in ("numpy", "numba"):
            selection.set_kernels(name)
            for cl in (False, True):
                xt = gt.tensor(x)
                if cl:
                    xt = xt.contiguous(memory_format=gt.channels_last)
                xt.requires_grad_()
                w = gt.ones(32, requires_grad=True)
                y = gt.nn.functional.batch_norm(xt, None, None, w, None, training=True)
                y.backward(gt.tensor(gy))
                results.append([y.detach().numpy(), xt.grad.numpy(), w.grad.numpy()])
    finally:
        selection.set_kernels(before)
    for i in (0, 1):
        for a, b in zip(results[i], results[i + 2]):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=2e-6)


def test_select_kernels_api():
    before = selection.get_kernels()
    try:
        selection.set_kernels("numba")
        assert selection.get_kernels() == "numba" and selection.numba_kernels() is nb
        selection.set_kernels("numpy")
        assert selection.get_kernels() == "numpy" and selection.numba_kernels() is None
        with pytest.raises(ValueError, match="set_kernels expects one of"):
            selection.set_kernels("cuda")
        assert selection.get_kernels() == "numpy"
    finally:
        selection.set_kernels(before)


@pytest.mark.parametrize("value, want, warns", [("numba", "numba", False),
                                                ("NumPy", "numpy", False),
                                                ("fast", "numpy", True), ("", "numpy", False)])
def test_select_kernels_environment(value, want, warns):
    code = ("import warnings; warnings.simplefilter('always');"
            "import glasstorch.backend as b; print(b.get_kernels())")
    env = dict(os.environ, GLASSTORCH_KERNELS=value)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       check=True)
    assert r.stdout.split() == [want]
    assert ("GLASSTORCH_KERNELS='fast' is not one of" in r.stderr) == warns


@pytest.mark.parametrize("geometry, out", GEOMETRIES)
def test_col2im_same_bits(geometry, out):
    """The stride > 1 input gradient's col2im: the numba kernel adds in NumPy's order."""
    import glasstorch as gt
    rng = np.random.default_rng(4)
    k = (geometry[0][0], geometry[1][0])
    gy = rng.standard_normal((2, 4) + tuple(out)).astype(np.float32)
    w = rng.standard_normal((4, 3) + k).astype(np.float32)
    size = tuple((o - 1) * s + (kk - 1) * d + 1 for o, (kk, s, d, p) in zip(out, geometry))
    size = tuple(sz - 2 * p + extra for sz, (kk, s, d, p), extra in zip(size, geometry, (0, 1)))
    geo = tuple((kk, s, d, p) for kk, s, d, p in geometry)
    before = selection.get_kernels()
    results = []
    try:
        for name in ("numpy", "numba"):
            selection.set_kernels(name)
            flip = nhwc._FLIP
            nhwc._FLIP = False              # always the GEMM + col2im path
            try:
                results.append(nhwc.conv_t_forward(gy, w, geo, size))
            finally:
                nhwc._FLIP = flip
    finally:
        selection.set_kernels(before)
    assert np.ascontiguousarray(results[0]).tobytes() == \
        np.ascontiguousarray(results[1]).tobytes()


@pytest.mark.parametrize("shape", [(3, 5, 7, 6), (2, 40, 17, 3), (2, 1, 4, 4)])
def test_nhwc_copy_same_bits(shape, kernels):
    """conv_kernels_nhwc.nhwc of a contiguous NCHW array (tiled transposes) is NumPy's copy."""
    x = np.random.default_rng(6).standard_normal(shape).astype(np.float32)
    got = nhwc.nhwc(x)
    assert got.flags.c_contiguous
    assert got.tobytes() == np.ascontiguousarray(np.moveaxis(x, 1, -1)).tobytes()


@pytest.mark.parametrize("cl", [False, True])
def test_relu_against_torch(cl, kernels):
    """relu's gradient on either kernel choice."""
    from helpers import check_op

    def fn(lib, x):
        return (x.contiguous(memory_format=lib.channels_last) if cl else x).relu()
    check_op(fn, [(3, 4, 5, 6)], lib=True, avoid=[0.0])
    check_op(fn, [(3, 4, 5, 6)], lib=True, dtype="float32", avoid=[0.0])


# ---- BatchNorm's NCHW row sums in NumPy's pairwise order (a default kernel: same bits) -------
LENGTHS = list(range(0, 140)) + [255, 256, 257, 263, 511, 1000, 1023, 1024, 1031, 4099, 20000]


def _rows(rng, R, L, dtype):
    """Values over many magnitudes (so the summation order shows in the bits), some rows
    special: all -0.0, inf, nan."""
    x = rng.standard_normal((R, L)) * rng.choice([1, 1e4, 1e-4], (R, L))
    x = x.astype(dtype)
    if L:
        x[0] = -0.0
        x[1, L // 2] = np.inf
        x[2, L - 1] = np.nan
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bn_row_sums_numpy_bits(dtype):
    """Sums of x, of (x - m)^2 and of (x - m) gy with the sum of gy, against the NumPy path's
    ufuncs + add.reduce over each row (batchnorm_rows._rows_sum / _rows_centered), byte for byte,
    for every row length up to 139 and longer ones (the pairwise tree's halves)."""
    rng = np.random.default_rng(5)
    for L in LENGTHS:
        R, C = 6, 4
        x, g = _rows(rng, R, L, dtype), _rows(rng, R, L, dtype)[::-1].copy()
        mean = rng.standard_normal(C).astype(dtype)
        first = 3                                  # rows start at channel 3 of 4
        m = mean[(first + np.arange(R)) % C].reshape(R, 1)
        want, got = np.empty(R, dtype), np.empty(R, dtype)
        x.sum(-1, out=want)
        assert nb.bn_row_sums(x, got).tobytes() == want.tobytes(), L
        with np.errstate(invalid="ignore"):
            d = np.subtract(x, m)
            np.multiply(d, d, out=d).sum(-1, out=want)
            assert nb.bn_row_sums(x, got, mean, first).tobytes() == want.tobytes(), L
            d = np.subtract(x, m)
            np.multiply(d, g, out=d).sum(-1, out=want)
            gwant, ggot = g.sum(-1), np.empty(R, dtype)
            nb.bn_row_sums(x, got, mean, first, g, ggot)
        assert got.tobytes() == want.tobytes() and ggot.tobytes() == gwant.tobytes(), L


def test_bn_row_sums_plan():
    """The split tree: leaves of <= 128 values cover the row in order; halves at n // 2 rounded
    down to a multiple of 8 (NumPy's pairwise_sum)."""
    # 1031 -> 512 + 519; 519 -> 256 + 263; 263 -> 128 + 135; 135 -> 64 + 71
    from glasstorch.backend import numba_bn_rows
    offs, lens, steps = numba_bn_rows._plan(1031)
    assert list(lens) == [128] * 7 + [64, 71]
    assert offs[0] == 0 and (np.diff(offs) == lens[:-1]).all() and lens.sum() == 1031
    assert (lens <= 128).all() and (steps == -1).sum() == len(lens) - 1
