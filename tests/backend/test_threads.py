"""backend/threads.py: the thread count shared by the pool and NumPy's OpenBLAS, and the
sliced kernels (same bits as the serial NumPy call, whatever the thread count)."""
import os

import numpy as np
import pytest

from glasstorch import backend
from glasstorch.backend import blas_lib, threads


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


def test_parallel_for_own_threshold(restore):
    """threshold= (compiled nogil kernels) replaces THRESHOLD for one call: split from it on,
    serial below it, whatever THRESHOLD says."""
    threads.set_num_threads(2)
    for threshold, nbytes, want in ((1 << 10, 1 << 10, [(0, 2), (2, 4)]),
                                    (1 << 10, (1 << 10) - 1, [(0, 4)]),
                                    (1 << 40, 1 << 30, [(0, 4)])):
        seen = []
        threads.parallel_for(4, lambda i, j: seen.append((i, j)), nbytes,
                             threshold=threshold)
        assert sorted(seen) == want


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


blas_only = pytest.mark.skipif(threads.blas_num_threads() is None, reason="OpenBLAS not found")


def _spy(monkeypatch):
    """Record OpenBLAS's thread setting at each matmul threads.matmul makes ("halves": a
    large float32 product at 2 threads as two 1-thread halves, backend/numba_halves.py)."""
    seen = []

    def spy(a, b):
        seen.append(threads.blas_num_threads())
        return np.matmul(a, b)
    monkeypatch.setattr(threads, "_matmul", spy)
    halves = threads.halves()
    if halves is not None:
        real = halves.matmul

        def spy_halves(helper, a, b):
            c = real(helper, a, b)
            if c is not None:
                seen.append("halves")
            return c
        monkeypatch.setattr(halves, "matmul", spy_halves)
    return seen


def _halved(n):
    """What _spy records for a 2-D float32 product of at least GEMM_SERIAL_MNK at n threads."""
    return "halves" if n == 2 and threads.halves() is not None else n


@blas_only
@pytest.mark.parametrize("n", [1, 2, 3])
def test_matmul_small_products_one_blas_thread(n, monkeypatch, restore):
    threads.set_num_threads(n)
    seen = _spy(monkeypatch)
    z = np.zeros
    small = [((1024, 32), (32, 32)), ((8, 128, 128), (8, 128, 64)), ((1, 2048), (2048, 512)),
             ((128, 400), (400, 120))]                   # LeNet's first fully connected layer
    tiny = [((64, 64), (64, 64)), ((1, 784), (784, 256)), ((5,), (5,))]   # OpenBLAS: 1 thread
    large = [((512, 128), (128, 128)), ((2, 256, 256), (2, 256, 256)), ((4096,), (4096, 4096))]
    for a, b in small:
        threads.matmul(z(a, np.float32), z(b, np.float32))
    assert seen == [1] * len(small) and threads.blas_num_threads() == n
    seen.clear()
    for a, b in tiny + large:   # no switch: torch.set_num_threads's count governs
        threads.matmul(z(a, np.float32), z(b, np.float32))
    assert seen == [n] * len(tiny) + [_halved(n), n, n] and threads.blas_num_threads() == n


@blas_only
def test_matmul_inside_blas_serial_region_stays_serial(monkeypatch, restore):
    threads.set_num_threads(2)
    seen = _spy(monkeypatch)
    big = np.zeros((512, 512), np.float32)
    threads.parallel_for(2, lambda i, j: threads.matmul(big, big), 1 << 30, blas_serial=True)
    assert seen == [1, 1] and threads.blas_num_threads() == 2


@blas_only
def test_glasstorch_products_use_the_rule(monkeypatch, restore):
    import glasstorch as gt
    threads.set_num_threads(2)
    seen = _spy(monkeypatch)
    x = gt.zeros(1024, 32, requires_grad=True)
    lin = gt.nn.Linear(32, 32)
    lin(x).sum().backward()                         # forward, gx, gW: all small
    gt.matmul(x, gt.zeros(32, 32))
    gt.bmm(gt.zeros(8, 128, 128), gt.zeros(8, 128, 64))
    assert seen and set(seen) == {1}
    seen.clear()
    gt.matmul(gt.zeros(1024, 512), gt.zeros(512, 512))
    assert seen == [_halved(2)]


@blas_only
@pytest.mark.parametrize("shape", [(1024, 32, 32), (256, 64, 64), (200, 130, 70), (1, 2048, 512),
                                   (512, 256, 256)])
def test_gemm_bits_same_at_1_and_2_blas_threads(shape, restore):
    """OpenBLAS splits the output between threads, never the k sum: same bits."""
    m, k, n = shape
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        results = []
        for t in (1, 2):
            threads.set_num_threads(t)
            results.append([np.matmul(a, b), np.matmul(a, b[:, :1].T.T), np.matmul(b.T, a.T)])
        for one, two in zip(*results):
            np.testing.assert_array_equal(one, two)


# --- the pool's scheduling policy (no timings: which thread runs what, and when it waits) ---

def _stalled_pool(monkeypatch):
    """A pool whose thread never starts: jobs are queued for nobody."""
    import queue
    nobody = queue.SimpleQueue()
    monkeypatch.setattr(threads, "_workers", lambda: nobody)
    return nobody


def test_caller_runs_slices_no_thread_has_claimed(monkeypatch, restore):
    """A pool thread that is late (asleep, or its core busy) is never waited for: the caller
    claims every slice nobody started, in order, with the partition fixed by n and slices."""
    threads.set_num_threads(2)
    jobs = _stalled_pool(monkeypatch)
    seen = []
    threads.parallel_for(10, lambda i, j: seen.append((i, j)), 1 << 30)
    assert seen == [(0, 5), (5, 10)]
    seen.clear()
    threads.parallel_for(10, lambda i, j: seen.append((i, j)), 1 << 30, slices=4)
    assert seen == [(0, 2), (2, 5), (5, 7), (7, 10)]
    job = jobs.get_nowait()                    # the late thread finds nothing left to run
    job.run()
    assert len(seen) == 4


def test_claimed_slices_are_waited_for(restore):
    """Every slice is done when parallel_for returns, whichever thread ran it."""
    import threading
    import time
    threads.set_num_threads(2)
    done, names = [], set()

    def slow(i, j):
        names.add(threading.current_thread().name)
        time.sleep(0.02)
        done.append((i, j))
    for _ in range(3):
        done.clear()
        threads.parallel_for(8, slow, 1 << 30, slices=8)
        assert sorted(done) == [(k, k + 1) for k in range(8)]
    assert "MainThread" in names


def test_error_in_callers_slice_waits_then_raises(restore):
    import time
    threads.set_num_threads(2)
    finished = []

    def fn(i, j):
        if i == 0:
            time.sleep(0.01)
            raise KeyError("first slice")
        time.sleep(0.05)
        finished.append(i)
    with pytest.raises(KeyError, match="first slice"):
        threads.parallel_for(2, fn, 1 << 30)
    assert finished in ([], [1])    # a slice a pool thread claimed ran to its end


def test_small_work_and_one_thread_stay_serial(monkeypatch, restore):
    """Below THRESHOLD bytes, at 1 thread, or inside a slice: one call fn(0, n), no queueing."""
    _stalled_pool(monkeypatch)
    calls = []
    threads.set_num_threads(2)
    threads.parallel_for(10, lambda i, j: calls.append((i, j)), threads.THRESHOLD - 1)
    threads.set_num_threads(1)
    threads.parallel_for(10, lambda i, j: calls.append((i, j)), 1 << 30)
    threads.set_num_threads(2)
    threads.parallel_for(
        2, lambda i, j: threads.parallel_for(10, lambda a, b: calls.append((a, b)), 1 << 30),
        1 << 30)
    assert calls == [(0, 10), (0, 10), (0, 10), (0, 10)]


def test_threshold_is_the_measured_break_even():
    """docs/perf/threads-and-variance.md ("Two threads"): alone, a split pays from ~250 us of
    serial work (~2 MiB of a float32 add on this guest); inside a training step LeNet's 5-7 MB
    regions still lost, so 8 MiB."""
    assert threads.THRESHOLD == 8 << 20
    assert threads.GEMM_SERIAL_MNK == 1 << 23


def test_elementwise_helpers_cut_finer_slices(monkeypatch, restore):
    monkeypatch.setattr(threads, "THRESHOLD", 64)
    threads.set_num_threads(2)
    parts = []
    real = threads.parallel_for

    def spy(n, fn, nbytes, blas_serial=False, slices=None):
        parts.append(slices)
        return real(n, fn, nbytes, blas_serial, slices)
    monkeypatch.setattr(threads, "parallel_for", spy)
    a = np.arange(4096, dtype=np.float32)
    np.testing.assert_array_equal(threads.unary(np.negative, a), -a)
    assert parts == [threads._ELEMENTWISE_SLICES * 2]


def test_set_num_threads_replaces_the_pool_threads(restore):
    import threading
    threads.set_num_threads(3)
    threads.parallel_for(6, lambda i, j: None, 1 << 30)
    alive = lambda: sum(t.name.startswith("glasstorch_") and t.is_alive()  # noqa: E731
                        for t in threading.enumerate())
    assert alive() == 2
    threads.set_num_threads(1)
    assert alive() == 0
    threads.set_num_threads(2)
    threads.parallel_for(6, lambda i, j: None, 1 << 30)
    assert alive() == 1


def _spin_limit_supported():
    """NumPy's OpenBLAS is its pthreads build and exports what the spin limit needs (and the
    getter these tests read it back with)."""
    lib = threads._blas_lib
    return blas_lib.spin_limit_supported(lib) and hasattr(lib, "openblas_thread_timeout")


spin_limit = pytest.mark.skipif(not _spin_limit_supported(),
                                reason="OpenBLAS pthreads build with openblas_read_env needed")


@spin_limit
def test_openblas_spin_limited_at_import():
    """OpenBLAS's idle threads spin ~13 ms (2^25 cycles), not ~0.1 s, after a threaded call,
    unless the user set OPENBLAS_THREAD_TIMEOUT; the setting does not leak into the environment
    (children keep their own default)."""
    import os
    user = os.environ.get("OPENBLAS_THREAD_TIMEOUT")
    assert threads._blas_spin_limited == (user is None)
    if user is None:
        assert threads._blas_lib.openblas_thread_timeout() == threads.BLAS_SPIN_EXPONENT
        assert "OPENBLAS_THREAD_TIMEOUT" not in os.environ


@spin_limit
def test_openblas_spin_left_to_the_user():
    """A user's OPENBLAS_THREAD_TIMEOUT wins; GEMMs after the restart are still right."""
    import os
    import subprocess
    import sys
    code = ("import numpy as np; from glasstorch.backend import threads as t; "
            "a = np.arange(512 * 512, dtype=np.float64).reshape(512, 512) % 7; "
            "ok = np.array_equal(a @ a, np.einsum('ij,jk->ik', a, a)); "
            "print(t._blas_spin_limited, t._blas_lib.openblas_thread_timeout(), ok)")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2")
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["True", str(threads.BLAS_SPIN_EXPONENT), "True"]
    env["OPENBLAS_THREAD_TIMEOUT"] = "9"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["False", "9", "True"]


def test_serial_blas_runs_one_blas_thread_and_restores_the_count():
    # ops/rnn_layers.py `_time_loop`: a time loop of small per-step GEMMs at 2 threads
    before = threads.get_num_threads()
    try:
        threads.set_num_threads(2)
        with threads.serial_blas():
            assert threads.blas_num_threads() in (None, 1)
        assert threads.blas_num_threads() in (None, 2)
        with pytest.raises(ValueError):
            with threads.serial_blas():
                raise ValueError("restored on errors too")
        assert threads.blas_num_threads() in (None, 2)
    finally:
        threads.set_num_threads(before)


def test_blas_corename_names_the_kernel_family():
    # ops/rnn_layers.py picks OpenBLAS's small-matrix row blocks by it
    name = threads.blas_corename()
    assert name == name.lower()
    assert bool(name) == (threads.blas_num_threads() is not None)


class _FakeSched:
    """os's scheduling calls, per thread: every thread starts under SCHED_FIFO priority 10;
    records (thread name, priority) of every change."""
    def __init__(self, policy):
        import threading
        self.threading, self.policy, self.prio, self.changes = threading, policy, {}, []

    def _me(self):
        return self.threading.current_thread().name

    def sched_getscheduler(self, pid):
        return self.policy

    def sched_getparam(self, pid):
        return os.sched_param(self.prio.get(self._me(), 10))

    def sched_setscheduler(self, pid, policy, param):
        self.prio[self._me()] = param.sched_priority
        self.changes.append((self._me(), param.sched_priority))


@pytest.mark.parametrize("policy", ["SCHED_FIFO", "SCHED_OTHER"])
def test_realtime_pool_thread_and_splitting_caller_one_step_up(policy, monkeypatch, restore):
    """Under SCHED_FIFO the pool thread runs at its starter's priority + 1 and the caller
    is raised to it for a split region, then restored (so the woken pool thread preempts
    OpenBLAS's spinning worker rather than queueing behind it); otherwise nothing changes."""
    if not hasattr(os, "SCHED_FIFO"):
        pytest.skip("no POSIX real-time scheduling here")
    fake = _FakeSched(getattr(os, policy))
    for name in ("sched_getscheduler", "sched_getparam", "sched_setscheduler"):
        monkeypatch.setattr(threads.os, name, getattr(fake, name))
    threads.set_num_threads(2)
    seen = []
    threads.parallel_for(2, lambda i, j: seen.append(fake.prio.get(
        threads.threading.current_thread().name, 10)), threads.THRESHOLD)
    threads.set_num_threads(1)                   # joins the pool thread: its change is made
    if policy == "SCHED_OTHER":
        assert fake.changes == [] and seen == [10, 10]
        return
    main = threads.threading.main_thread().name
    assert ("glasstorch_0", 11) in fake.changes
    assert [c for c in fake.changes if c[0] == main] == [(main, 11), (main, 10)]
    assert seen == [11, 11]                      # whoever ran the two slices
