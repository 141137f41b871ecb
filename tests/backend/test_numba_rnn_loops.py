"""The LSTM layer's whole time loops as one numba call (backend/numba_rnn_loops.py) and the
batch split over threads (ops/rnn_layers.py `_column_slices`): every output and gradient has
the NumPy path's bits, at 1 and 2 threads, split or not; np.tanh's inner loop called from
numba gives np.tanh's bits."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import kernels, threads
from glasstorch.ops import rnn_layers, rnn_lstm

pytest.importorskip("numba")
from glasstorch.backend import numba_rnn_loops  # noqa: E402

LM = (3, 32, 128, 256, None, False)                  # the LM's sizes: OpenBLAS's row blocks
CASES = [  # T, B, I, H, batch_sizes, bidirectional
    (6, 32, 16, 64, None, False),                    # two slices of 16 at 2 threads
    (5, 35, 7, 33, None, True),                      # small-matrix kernels, 35: unsplit
    (4, 48, 7, 33, None, False),                     # small-matrix kernels: 16 + 32
    (3, 37, 64, 128, None, False),                   # packed kernels: 18 + 19
    LM,
    (5, 40, 9, 20, [40, 40, 30, 20, 2], False),      # a slice with no rows in late steps
    (4, 34, 9, 20, [34, 30, 17, 3], True),           # a step with 1 active column: unsplit
    (4, 8, 5, 6, None, False),                       # too narrow to split
    (4, 32, 9, 20, None, True),                      # split, reverse direction too
]


def _run(case, dtype):
    T, B, I, H, batch_sizes, bidi = case
    rng = np.random.default_rng(T * B + H)
    lstm = gt.nn.LSTM(I, H, bidirectional=bidi).to(getattr(gt, dtype))
    with gt.no_grad():
        for p in lstm.parameters():
            p.copy_(gt.tensor(rng.uniform(-1, 1, p.shape).astype(dtype)))
    n = sum(batch_sizes) if batch_sizes else T * B
    xa = rng.uniform(-3, 3, (n, I)).astype(dtype)
    x = gt.tensor(xa if batch_sizes else xa.reshape(T, B, I), requires_grad=True)
    inp = gt.nn.utils.rnn.PackedSequence(x, gt.tensor(batch_sizes)) if batch_sizes else x
    y, (h, c) = lstm(inp)
    yd = y.data if batch_sizes else y
    gy = rng.standard_normal(yd.shape).astype(dtype)
    (yd * gt.tensor(gy)).sum().add((h * 0.5).sum()).add((c * 0.25).sum()).backward()
    with gt.no_grad():
        y2 = lstm(inp)[0]
    return ([t.detach().numpy() for t in (yd, h, c, y2.data if batch_sizes else y2)]
            + [x.grad.numpy()] + [p.grad.numpy() for p in lstm.parameters()])


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


@pytest.fixture
def restore():
    before, n = kernels.get_kernels(), threads.get_num_threads()
    yield
    kernels.set_kernels(before)
    threads.set_num_threads(n)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_whole_loops_and_split_have_the_numpy_bits(restore, monkeypatch, case, dtype):
    runs = {}
    for which, n in (("numpy", 1), ("numba", 1), ("numpy", 2), ("numba", 2)):
        kernels.set_kernels(which)
        threads.set_num_threads(n)
        runs[which, n] = _run(case, dtype)
    monkeypatch.setattr(rnn_lstm, "_whole_loops", lambda nk, dt: (None, None))
    threads.set_num_threads(1)
    runs["per-step", 1] = _run(case, dtype)              # numba_rnn's per-step kernels
    pairs = [(("numpy", 1), k) for k in (("numba", 1), ("per-step", 1))]
    pairs.append((("numpy", 2), ("numba", 2)))
    if dtype == "float32":
        # 1 vs 2 threads. (float64: OpenBLAS's 2-thread all-steps dW GEMM, e.g. (512, 111)
        # @ (111, 193), gives other bits in some columns than one thread, split or not)
        pairs.append((("numpy", 1), ("numba", 2)))
    for a, b in pairs:
        for u, v in zip(runs[a], runs[b]):
            assert u.dtype == v.dtype and u.shape == v.shape, (a, b)
            assert np.array_equal(_bits(u), _bits(v)), (a, b)


def test_the_lm_batch_is_split_at_two_threads(restore, monkeypatch):
    calls = []
    real = rnn_lstm._run_slices

    def spy(run, slices, mnk):
        calls.append(slices)
        return real(run, slices, mnk)
    monkeypatch.setattr(rnn_lstm, "_run_slices", spy)
    kernels.set_kernels("numba")
    if rnn_lstm._numba(np.dtype(np.float32)).blas_gemm(np.float32) is None:
        pytest.skip("NumPy bundles no OpenBLAS here: no cblas calls from numba")
    threads.set_num_threads(2)
    _run(LM, "float32")
    assert calls[:2] == [[(0, 16), (16, 32)]] * 2          # forward and BPTT
    calls.clear()
    threads.set_num_threads(1)
    _run(LM, "float32")
    assert calls[0] == [(0, 32)]
    calls.clear()
    kernels.set_kernels("numpy")                           # NumPy's loop: never split
    threads.set_num_threads(2)
    _run(LM, "float32")
    assert calls[0] == [(0, 32)]


def test_the_whole_lm_step_has_one_threads_bits_at_two(restore):
    # all 35 steps: the all-steps dW and dx products have K = 1120 and 1024 (the short cases
    # above stay under OpenBLAS's K block), on OpenBLAS's 2 threads against one
    case = (35,) + LM[1:]
    kernels.set_kernels("numpy")
    threads.set_num_threads(1)
    ref = _run(case, "float32")
    kernels.set_kernels("numba")
    threads.set_num_threads(2)
    for u, v in zip(ref, _run(case, "float32")):
        assert np.array_equal(_bits(u), _bits(v))


def test_the_split_forward_builds_backwards_w_hh_t(restore, monkeypatch):
    # at 2 threads each forward slice builds its share of W_hh^T / 4 (backward then builds
    # none); the bits of the whole run are the NumPy path's (test above, LM case)
    built = []
    real = numba_rnn_loops.transposed_quarter
    monkeypatch.setattr(numba_rnn_loops, "transposed_quarter",
                        lambda w, out, q0, q1: (built.append((q0, q1)), real(w, out, q0, q1)))
    kernels.set_kernels("numba")
    if rnn_lstm._numba(np.dtype(np.float32)).blas_gemm(np.float32) is None:
        pytest.skip("NumPy bundles no OpenBLAS here: no cblas calls from numba")
    threads.set_num_threads(2)
    _run(LM, "float32")
    assert sorted(built)[:2] == [(0, 512), (512, 1024)]    # the grad-mode forward's shares
    built.clear()
    threads.set_num_threads(1)                              # not split: backward builds it
    _run(LM, "float32")
    assert built == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, q0, q1", [((1024, 256), 0, 1024), ((1024, 256), 512, 1024),
                                            ((132, 33), 0, 132), ((132, 33), 17, 70)])
def test_transposed_quarter_has_numpys_bits(dtype, shape, q0, q1):
    rng = np.random.default_rng(1)
    w = (rng.standard_normal(shape) * rng.choice([1e-40, 1e-3, 1, 1e30], shape)).astype(dtype)
    w.flat[:4] = [np.inf, -np.inf, np.nan, -0.0]
    out = np.full(shape[::-1], 7, dtype)
    numba_rnn_loops.transposed_quarter(w, out, q0, q1)
    ref = np.full(shape[::-1], 7, dtype)
    np.multiply(w[q0:q1].T, 0.25, out=ref[:, q0:q1])
    assert np.array_equal(_bits(out), _bits(ref))


def test_split_only_where_the_kernel_family_is_kept(restore, monkeypatch):
    threads.set_num_threads(2)
    f32 = np.dtype(np.float32)
    assert rnn_layers._column_slices(31, [(1024, 256)], f32) == [(0, 31)]   # < 2 x 16
    monkeypatch.setattr(threads, "blas_corename", lambda: "skylakex")
    monkeypatch.setattr(rnn_layers, "_SMALL_GEMM_DTYPES", (f32,))
    # batch 32: row blocks for the whole batch and for 16 columns alike
    assert rnn_layers._column_slices(32, [(1024, 256), (256, 1024)], f32) == \
        [(0, 16), (16, 32)]
    # batch 64: packed kernels for 64 columns, small-matrix blocks for 32: not split
    assert rnn_layers._column_slices(64, [(1024, 256)], f32) == [(0, 64)]
    # small-matrix kernels: whole 16-column groups only (their bits depend on N)
    assert rnn_layers._column_slices(48, [(132, 33)], f32) == [(0, 16), (16, 48)]
    assert rnn_layers._column_slices(40, [(132, 33)], f32) == [(0, 40)]
    assert rnn_layers._column_slices(48, [(132, 33)], np.dtype(np.float64)) == [(0, 48)]
    # float64 (no row blocks): 256 x 64 x 32 under 100^3, x 64 over: not split
    f64 = np.dtype(np.float64)
    assert rnn_layers._column_slices(64, [(256, 64)], f64) == [(0, 64)]
    assert rnn_layers._column_slices(64, [(1024, 1024)], f64) == [(0, 32), (32, 64)]
    monkeypatch.setattr(threads, "blas_corename", lambda: "haswell")
    assert rnn_layers._column_slices(64, [(256, 64)], f64) == [(0, 64)]
    assert rnn_layers._column_slices(32, [(1024, 256)], f32) == [(0, 16), (16, 32)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpys_tanh_loop_from_numba_has_numpys_bits(dtype):
    loop = numba_rnn_loops.tanh_loop(dtype)
    assert loop is not None
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(20011) * rng.choice([1e-6, 0.3, 3, 30], 20011)).astype(dtype)
    x[:6] = [np.inf, -np.inf, np.nan, -0.0, 0.0, 1e-38]
    if dtype == np.float32:    # every 4099th bit pattern of float32 as well
        x = np.concatenate([x, np.arange(0, 2**32, 4099, dtype=np.uint64).astype(
            np.uint32).view(np.float32)])
    out = np.empty_like(x)
    buf = np.empty(5, np.intp)
    for lo, hi in ((0, x.size), (5, 6), (7, 40), (41, 58)):   # run lengths do not matter
        numba_rnn_loops._probe(x[lo:hi], loop[0], loop[1], out[lo:hi], buf)
    assert np.array_equal(_bits(out), _bits(np.tanh(x)))
    assert numba_rnn_loops.tanh_loop(np.float16) is None


def test_quiet_blas_runs_one_blas_thread_and_restores_the_count(restore):
    threads.set_num_threads(2)
    if threads.blas_num_threads() is None:
        pytest.skip("NumPy's OpenBLAS not found")
    a = np.arange(300 * 300, dtype=np.float32).reshape(300, 300) % 7
    before = a @ a                                     # on OpenBLAS's 2 threads
    with threads.quiet_blas():
        assert threads.blas_num_threads() == 1
        inside = a @ a
    assert threads.blas_num_threads() == 2
    assert np.array_equal(inside, before) and np.array_equal(a @ a, before)
    threads.set_num_threads(1)
    with threads.quiet_blas():                         # one thread already: nothing to do
        assert threads.blas_num_threads() == 1
    assert threads.blas_num_threads() == 1


def test_quiet_blas_stops_the_workers_only_without_other_threads(restore, monkeypatch):
    import threading
    stops = []
    monkeypatch.setattr(threads, "_blas_shutdown", lambda: stops.append(1))
    threads.set_num_threads(2)
    if threads.blas_num_threads() is None:
        pytest.skip("NumPy's OpenBLAS not found")
    with monkeypatch.context() as alone:   # (other tests may leave threads behind)
        alone.setattr(threads.threading, "enumerate", lambda: [threading.current_thread()])
        with threads.quiet_blas():
            pass
    assert stops == [1]
    for daemon in (False, True):   # a daemon thread may be inside a NumPy product too
        release = threading.Event()
        other = threading.Thread(target=release.wait, daemon=daemon)
        other.start()
        try:
            with threads.quiet_blas():
                assert threads.blas_num_threads() == 1
        finally:
            release.set()
            other.join()
        assert stops == [1] and threads.blas_num_threads() == 2


@pytest.mark.parametrize("K", [129, 448, 1024])
def test_time_loop_products_have_one_threads_bits_at_two(restore, K):
    # _gemm_rows: whole on OpenBLAS's threads only up to SAME_BITS_K (one K block), else the
    # same row blocks as at one thread
    from glasstorch.ops.rnn_layers import _blocks, _gemm_rows, _mm
    rng = np.random.default_rng(K)
    w = rng.standard_normal((768, K)).astype(np.float32)
    h = rng.standard_normal((K, 32)).astype(np.float32)
    out = {}
    for n in (1, 2):
        threads.set_num_threads(n)
        rows = _gemm_rows(768, K, 32, np.dtype(np.float32))
        out[n] = np.empty((768, 32), np.float32)
        rnn_layers._time_loop(lambda: _mm(_blocks(w, rows), h, out[n]), 768 * K * 32)
    assert np.array_equal(_bits(out[1]), _bits(out[2]))
