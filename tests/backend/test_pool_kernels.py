"""Max pooling's kernels: NumPy's (backend/pool_kernels.py, on x's own layout) against torch,
and the optional numba ones (backend/numba_pool.py) against NumPy's bit for bit: values and
flat argmax of max_pool2d (padding, dilation, overlapping windows, nan, -inf, ties of -0.0 and
+0.0), and the gradient scatter (written or added at the argmax), row-major and channels-last,
at 1 and 2 threads. The op-level torch comparisons run on both kernel choices."""
import numpy as np
import pytest

from glasstorch.backend import pool_kernels, threads
from helpers import check_op
from kernel_choice import kernels  # noqa: F401  (fixture: NumPy and numba kernels)

GEOMETRIES = [  # ((k, s, d, p) per dim, output size) for an 9 x 8 input
    (((2, 2, 1, 0), (2, 2, 1, 0)), (4, 4)),
    (((2, 1, 1, 0), (2, 3, 1, 0)), (8, 3)),       # 2x2, other strides (row-major in numba)
    (((2, 2, 1, 0), (2, 2, 1, 0)), (3, 2)),       # 2x2, fewer windows than fit
    (((3, 1, 1, 1), (3, 1, 1, 1)), (9, 8)),       # overlapping, padded
    (((3, 2, 1, 1), (2, 1, 2, 0)), (5, 6)),       # dilation along W
    (((3, 2, 1, 0), (3, 3, 1, 1)), (4, 3)),       # ceil-mode-like: the last window hangs over
]


def _input(dtype, cl):
    rng = np.random.default_rng(1)
    x = rng.integers(-3, 4, (3, 16, 9, 8)).astype(dtype)      # many ties
    x[0, 0, 0, :4] = [np.nan, 1, np.nan, -np.inf]
    x[1, 2, :2, :2] = [[-0.0, 0.0], [0.0, -0.0]]
    x[2, 4] = -np.inf
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2) if cl else x


@pytest.fixture(params=[1, 2])
def n_threads(request, monkeypatch):
    monkeypatch.setattr(threads, "THRESHOLD", 1 << 8)
    try:
        from glasstorch.backend import numba_pool
        monkeypatch.setattr(numba_pool, "MAX2X2_SPLIT_BYTES", 1 << 8)
    except ImportError:     # (no numba)
        pass
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(before)


@pytest.mark.parametrize("cl", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geometry, out", GEOMETRIES)
def test_numba_max_pool_same_bits(geometry, out, dtype, cl, n_threads):
    nb = pytest.importorskip("glasstorch.backend.numba_kernels")
    x = _input(dtype, cl)
    want_y, want_i = pool_kernels.window_max(x, geometry, out)
    from glasstorch.backend import numba_pool
    if not cl and not numba_pool._two_by_two(x, geometry, out):
        assert nb.max_pool2d(x, geometry, out) is None  # row-major: NumPy's but for 2x2
        return
    y, i = nb.max_pool2d(x, geometry, out)
    assert y.strides == want_y.strides and i.strides == want_i.strides
    assert np.ascontiguousarray(y).tobytes() == np.ascontiguousarray(want_y).tobytes()
    assert np.array_equal(i, want_i)


def test_lenet_sized_2x2_pool_splits_at_two_threads(monkeypatch):
    # LeNet's first pool (2.4 MB, under threads.THRESHOLD) runs on both threads: two slices
    # of samples, NumPy's bits
    pytest.importorskip("glasstorch.backend.numba_kernels")
    from glasstorch.backend import numba_pool
    x = np.random.default_rng(2).standard_normal((128, 6, 28, 28)).astype(np.float32)
    x[3, 1, 4, :4] = [np.nan, 1, 1, -0.0]
    geometry, out = ((2, 2, 1, 0), (2, 2, 1, 0)), (14, 14)
    assert numba_pool.MAX2X2_SPLIT_BYTES <= x.nbytes < threads.THRESHOLD
    ran, real = [], threads.parallel_for

    def spy(n, fn, nbytes, **options):
        real(n, lambda i, j: (ran.append((i, j)), fn(i, j)), nbytes, **options)
    monkeypatch.setattr(threads, "parallel_for", spy)
    want_y, want_i = pool_kernels.window_max(x, geometry, out)
    before = threads.get_num_threads()
    try:
        for t, slices in ((1, [(0, 128)]), (2, [(0, 64), (64, 128)])):
            threads.set_num_threads(t)
            ran.clear()
            y, i = numba_pool.max_pool2d(x, geometry, out)
            assert sorted(ran) == slices
            assert y.tobytes() == np.ascontiguousarray(want_y).tobytes()
            assert np.array_equal(i, want_i)
    finally:
        threads.set_num_threads(before)


@pytest.mark.parametrize("cl", [False, True])
@pytest.mark.parametrize("accumulate", [False, True])
def test_numba_scatter_same_bits(accumulate, cl, n_threads):
    nb = pytest.importorskip("glasstorch.backend.numba_kernels")
    geometry, out = ((3, 1, 1, 0), (3, 2, 1, 0)), (7, 3)   # overlapping windows
    x = _input(np.float32, cl)
    _, index = pool_kernels.window_max(x, geometry, out)
    g = np.random.default_rng(2).standard_normal(index.shape).astype(np.float32)
    if cl:
        g = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    N, C = g.shape[:2]
    want = pool_kernels.scatter_planes(np.ascontiguousarray(g).reshape(N, C, -1),
                                       np.ascontiguousarray(index).reshape(N, C, -1), 72,
                                       accumulate).reshape(x.shape)
    assert accumulate or np.count_nonzero(want) > 0
    got = nb.scatter_planes(g, index, (9, 8), accumulate)
    assert got.strides == x.strides
    assert np.ascontiguousarray(got).tobytes() == want.tobytes()
    bad = index.copy()
    bad[0, 0, 0, 0] = 72                            # off the plane: the NumPy path decides
    assert nb.scatter_planes(g, bad, (9, 8), accumulate) is None


@pytest.mark.parametrize("cl", [False, True])
@pytest.mark.parametrize("args", [(2,), (3, 1, 1), (3, 2, 1, 2), ((3, 2), (2, 1), (1, 0))])
def test_max_pool2d_against_torch(args, cl, kernels):
    def fn(lib, x):
        if cl:
            x = x.contiguous(memory_format=lib.channels_last)
        y, i = lib.nn.functional.max_pool2d(x, *args, return_indices=True)
        return y, i, lib.nn.functional.max_pool2d(x, *args, ceil_mode=True)
    check_op(fn, [(3, 4, 9, 8)], lib=True)
    check_op(fn, [(3, 4, 9, 8)], lib=True, dtype="float32")


@pytest.mark.parametrize("cl", [False, True])
def test_max_unpool2d_against_torch(cl, kernels):
    def fn(lib, x):
        if cl:
            x = x.contiguous(memory_format=lib.channels_last)
        y, i = lib.nn.functional.max_pool2d(x, 2, return_indices=True)
        return lib.nn.functional.max_unpool2d(y * 2, i, 2)
    check_op(fn, [(3, 4, 8, 6)], lib=True)


def test_default_without_a_choice_scatters_in_numba(monkeypatch):
    """No set_kernels / GLASSTORCH_KERNELS and numba installed: max pooling's gradient
    scatter (the NumPy kernels' exact bits) runs in numba (kernels.numba_for_exact)."""
    pytest.importorskip("numba")
    from glasstorch.backend import kernels as selection, numba_pool
    from glasstorch.ops import pool
    monkeypatch.setattr(selection, "_active", None)
    monkeypatch.setattr(selection, "_chosen", False)
    assert pool._numba_pool() is numba_pool
    monkeypatch.setattr(selection, "_chosen", True)
    assert pool._numba_pool() is None
