"""backend/threads.py: the thread count shared by the pool and NumPy's OpenBLAS, and the
sliced kernels (same bits as the serial NumPy call, whatever the thread count)."""
import numpy as np
import pytest

from glasstorch import backend
from glasstorch.backend import threads


@pytest.fixture
def restore():
    before = threads.get_num_threads()
    yield
    threads.set_num_threads(before)


def test_set_num_threads_sets_pool_and_blas(restore):
    for n in (1, 3, 2):
        backend.set_num_threads(n)
        assert backend.get_num_threads() == n
        if threads.blas_num_threads() is not None:   # OpenBLAS found (NumPy's wheels)
            assert threads.blas_num_threads() == n


@pytest.mark.parametrize("bad, match", [(0, "positive integer"), (-1, "positive integer"),
                                        (1.5, "expects an int, but got float"),
                                        ("2", "expects an int, but got str"),
                                        (True, "expects an int, but got bool")])
def test_set_num_threads_rejects(bad, match, restore):
    before = threads.get_num_threads()
    with pytest.raises(RuntimeError, match=match):
        threads.set_num_threads(bad)
    assert threads.get_num_threads() == before


@pytest.mark.parametrize("n", [1, 2, 3])
def test_sliced_kernels_match_numpy(n, monkeypatch, restore):
    monkeypatch.setattr(threads, "THRESHOLD", 64)
    threads.set_num_threads(n)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 5, 6)).astype(np.float32)
    b = rng.standard_normal((5, 6)).astype(np.float32)
    np.testing.assert_array_equal(threads.unary(np.tanh, a), np.tanh(a))
    out = np.empty_like(a)
    np.testing.assert_array_equal(threads.binary(np.multiply, a, b, out), a * b)
    np.testing.assert_array_equal(threads.binary(np.add, a, a[::-1], out), a + a[::-1])
    dst = np.empty((6, 5, 7), np.float32)
    np.testing.assert_array_equal(threads.copy(dst, a.transpose(2, 1, 0)), a.T)
    seen = []
    threads.parallel_for(10, lambda i, j: seen.append((i, j)), 1 << 30)
    assert sorted(seen)[0][0] == 0 and sum(j - i for i, j in seen) == 10


def test_parallel_for_propagates_errors(monkeypatch, restore):
    threads.set_num_threads(2)

    def fail(i, j):
        if i > 0:
            raise ValueError("slice failed")
    with pytest.raises(ValueError, match="slice failed"):
        threads.parallel_for(4, fail, 1 << 30)


def test_transpose2d_blocks(monkeypatch, restore):
    from glasstorch.backend import cpu_kernels
    monkeypatch.setattr(cpu_kernels, "_BLOCK_ROWS", 3)
    monkeypatch.setattr(threads, "THRESHOLD", 64)
    for n in (1, 2):
        threads.set_num_threads(n)
        a = np.arange(10 * 64, dtype=np.float32).reshape(10, 64)
        out = np.empty((64, 10), np.float32)
        cpu_kernels.transpose2d(a, out)
        np.testing.assert_array_equal(out, a.T)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_pool_works_in_forked_child(monkeypatch, restore):
    import os
    monkeypatch.setattr(threads, "THRESHOLD", 64)
    threads.set_num_threads(2)
    a = np.arange(4096, dtype=np.float32)
    threads.unary(np.sqrt, a)                  # the parent's pool is running
    pid = os.fork()
    if pid == 0:                               # child: must not wait on the parent's threads
        import signal
        signal.alarm(20)                       # a hang kills the child: the test fails
        ok = np.array_equal(threads.unary(np.sqrt, a), np.sqrt(a))
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the forked child hung or failed"


@pytest.mark.parametrize("shape, dtype", [((3, 100), np.float32), ((7,), np.float64),
                                          ((2, 3, 50), np.int64), ((0, 5), np.float32)])
def test_aligned_buffers(shape, dtype):
    from glasstorch.backend import memory
    a = memory.empty(shape, dtype)
    assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous
    if a.nbytes >= 4 * memory.ALIGNMENT:
        assert a.ctypes.data % memory.ALIGNMENT == 0
    z = memory.zeros(shape, dtype)
    assert not z.any()
