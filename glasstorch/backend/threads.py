"""Both cores outside BLAS: a small thread pool for large elementwise and copy kernels, and the
one thread count that governs it and NumPy's BLAS together (torch.set_num_threads calls
`set_num_threads` here).

NumPy releases the GIL inside a ufunc loop or an array copy, so evaluating one big kernel as
a few slices on a few threads (each slice a ufunc call with `out=` on a view) runs them at
once. Waking the blocked pool thread costs 30-150 us on a KVM guest, so work below THRESHOLD
bytes stays on the calling thread, and the caller runs any slice no pool thread has claimed
yet (never waiting for a thread that is late); the split is along the first axis of
C-contiguous arrays, so every slice is a contiguous block and the result is bit-identical to
the serial call (elementwise math has no reduction order to change).

    parallel_for(n, fn)          fn(start, stop) over slices of range(n) (serial when small)
    unary(ufunc, x, out)         out = ufunc(x) in slices
    binary(ufunc, a, b, out)     out = ufunc(a, b) in slices (b may broadcast along axis 0)
    copy(dst, src)               dst[...] = src in slices (src may be any strided view)
    matmul(a, b)                 numpy.matmul, small products on one OpenBLAS thread

BLAS: numpy's OpenBLAS is found among the loaded libraries (/proc/self/maps) and its
`openblas_set_num_threads` (under whatever symbol prefix/suffix the wheel uses) called through
ctypes; when none is found only the pool changes. Its idle threads spin for at most
2^BLAS_SPIN_EXPONENT cycles (~13 ms) instead of ~0.1 s, so they leave the second core to the
pool (and to other processes) sooner after each threaded GEMM (backend/blas_lib.py).
"""
import contextlib
import os
import queue
import threading

import numpy

from .priority import realtime as _realtime, set_priority as _set_priority  # see there
from .blas_lib import (BLAS_SPIN_EXPONENT, corename as _corename,  # noqa: F401 (re-exported)
                       find_library as _blas_library, limit_spin as _limit_blas_spin)

__all__ = ["set_num_threads", "get_num_threads", "parallel_for", "unary", "binary", "copy",
           "matmul", "blas_corename", "serial_blas", "quiet_blas", "THRESHOLD", "GEMM_SERIAL_MNK"]

# Below this many bytes of work a kernel runs serially. Alone, a split pays once the serial
# call takes ~250 us: waking the blocked pool thread takes 30-150 us on this KVM guest, and the
# caller may then wait for it to finish. Min of 60 calls, real-time priority (an idle core
# pair), serial vs 2 threads: float32 add 0.5 MiB 62 vs 94 us, 1 MiB 108 vs 134-169, 2 MiB 216
# vs 194-240, 4 MiB 442 vs 298; a transposing copy 0.5 MiB 53 vs 86, 1 MiB 301 vs 259-283.
# Inside a training step it pays later still (the pool thread wakes on a halted vCPU, or next
# to OpenBLAS's spinning worker): LeNet's 4.9 and 7.4 MB conv regions made its step at 2
# threads 16.1-16.6 ms with 2 MiB vs 15.1-15.3 with 8 MiB (1 thread: 15.1-15.3); ResNet-small
# (338-340 vs 342-344 ms), the LSTM and the Transformer were the same either way (again
# 2026-12-06: 2 vs 8 MiB no difference in ResNet, LeNet, the LSTM). Spinning instead of
# blocking (GIL-free numba loops: a keep-warm thread, the caller's wait, a parked pool thread)
# did not make hand-offs cheaper inside a step: with the GIL every hand-off still ends in
# waking a thread on a condition variable (docs/perf/threads-and-variance.md, pool5).
THRESHOLD = 8 << 20
# unary/binary/copy cut their (order-free) work into this many slices per thread, so a thread
# that wakes late still finds work and the caller seldom waits for the last slice: 2 MiB add
# 194 us with 8 slices vs 240 with 2
_ELEMENTWISE_SLICES = 4

_lock = threading.Lock()
_pool = None
_num_threads = None


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_blas_lib, _blas_set, _blas_get = _blas_library()
_blas_spin_limited = _blas_lib is not None and _limit_blas_spin(_blas_lib)
_blas_threads = _blas_get() if _blas_get is not None else 1   # what OpenBLAS is set to now
_blas_shutdown = getattr(_blas_lib, "blas_thread_shutdown_", None)   # stops its workers


def _default_threads():
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        value = os.environ.get(var, "").split(",")[0]
        if value.isdigit() and int(value) > 0:
            return int(value)
    return _cpu_count()


def get_num_threads():
    """The number of threads glasstorch's kernels (and NumPy's BLAS) use."""
    global _num_threads
    if _num_threads is None:
        _num_threads = _default_threads()
    return _num_threads


def set_num_threads(n):
    """Use n threads for the pool and for BLAS (n >= 1)."""
    global _num_threads, _blas_threads
    if not isinstance(n, int) or isinstance(n, bool):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, but got {n}")
    with _lock:
        _num_threads = n
        _stop_workers()
    if _blas_set is not None:
        _blas_set(n)
        _blas_threads = n


def blas_num_threads():
    """What OpenBLAS reports (None when it was not found): for tests and benchmarks."""
    return None if _blas_get is None else _blas_get()


def blas_corename():
    """OpenBLAS's kernel family in lower case ('skylakex', 'haswell', ...), '' if unknown."""
    return _corename(_blas_lib)


@contextlib.contextmanager
def serial_blas():
    """OpenBLAS on one thread inside the block (a time loop of small GEMMs: ops/rnn_layers.py),
    the thread count restored after."""
    global _blas_threads
    if _blas_threads <= 1 or _blas_set is None:
        yield
        return
    _blas_set(1)
    _blas_threads = 1
    try:
        yield
    finally:
        _blas_threads = get_num_threads()
        _blas_set(_blas_threads)


def _alone():
    """No Python thread but this one and the pool's could be inside a BLAS call: no other
    thread is alive, daemon or not (a user's background thread may run a NumPy product; a
    monitor such as tqdm's only costs the stop, not correctness)."""
    me = threading.current_thread()
    return not any(t is not me and not t.name.startswith("glasstorch_") and t.is_alive()
                   for t in threading.enumerate())


@contextlib.contextmanager
def quiet_blas():
    """OpenBLAS on one thread inside the block with its worker threads stopped, so none spins
    on the other core while the pool's slices run there (each slice's GEMMs on one thread:
    the LSTM's time loops, ops/rnn_layers.py). A worker spins ~13 ms after each threaded GEMM;
    at real-time priority the pool thread then did not start within a 5 ms slice. The
    workers restart when the count is restored (~0.1 ms). They are stopped only while no
    other thread of the program may be inside a BLAS call (stopping them under a running
    threaded GEMM could hang it); otherwise the block only sets one thread."""
    global _blas_threads
    if _blas_threads <= 1 or _blas_set is None:
        yield
        return
    _blas_set(1)                 # first: setting a count restarts stopped workers
    _blas_threads = 1
    if _blas_shutdown is not None and _alone():
        _blas_shutdown()
    try:
        yield
    finally:
        _blas_threads = get_num_threads()
        _blas_set(_blas_threads)


def _workers():
    """The queue the pool's threads take jobs from (started on first use)."""
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                jobs = queue.SimpleQueue()
                helpers = [threading.Thread(target=_worker, args=(jobs,), daemon=True,
                                            name=f"glasstorch_{i}")
                           for i in range(get_num_threads() - 1)]
                for t in helpers:
                    t.start()
                _pool = (jobs, helpers)
    return _pool[0]


def _stop_workers():
    global _pool
    if _pool is not None:
        jobs, helpers = _pool
        _pool = None
        for _ in helpers:
            jobs.put(None)
        for t in helpers:
            t.join()


def _forget_pool():
    """In a forked child (DataLoader workers) the parent's pool threads do not exist: start a
    fresh pool on first use instead of queueing work for threads that never run."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


_local = threading.local()     # .inside: this thread is running a slice (no nesting)


class _Job:
    """One parallel_for call: its slices are claimed in order by whichever thread is free,
    the caller first. A helper that wakes late finds fewer slices (or none) left, so a call
    never waits for a thread that has not started: at worst the caller runs every slice."""
    __slots__ = ("fn", "bounds", "next", "busy", "errors", "lock", "waiter")

    def __init__(self, fn, bounds):
        self.fn, self.bounds, self.next, self.busy, self.errors = fn, bounds, 0, 0, []
        self.lock, self.waiter = threading.Lock(), None

    def run(self):
        count = len(self.bounds) - 1
        while True:
            with self.lock:
                i = self.next
                if i >= count:
                    return
                self.next = i + 1
                self.busy += 1
            try:
                self.fn(self.bounds[i], self.bounds[i + 1])
            except BaseException as e:          # handed to the caller, which raises it
                self.errors.append(e)
                self.next = count               # no new slices after a failure
            finally:
                with self.lock:
                    self.busy -= 1
                    if self.busy == 0 and self.waiter is not None:
                        self.waiter.release()

    def wait(self):
        """Block until the slices other threads claimed are done (all have been claimed)."""
        with self.lock:
            if self.busy == 0:
                return
            self.waiter = threading.Lock()
            self.waiter.acquire()
        self.waiter.acquire()                   # released by the last slice to finish


def _worker(jobs):
    _local.inside = True                        # a pool thread never splits again
    rt = _realtime()
    if rt is not None:
        _set_priority(rt[0], rt[1] + 1)
    while True:
        job = jobs.get()
        if job is None:
            return
        job.run()
        job = None                              # hold no arrays (via fn) while idle


def parallel_for(n, fn, nbytes, blas_serial=False, slices=None, threshold=None):
    """Call fn(start, stop) over contiguous slices covering range(n) when nbytes (the work's
    size) reaches `threshold` (default THRESHOLD), else fn(0, n) here. There are `slices` slices (default: one per
    thread), fixed by n and the thread count alone, so per-slice partial results are the same
    whoever runs them; the calling thread runs slices too, and claims any slice a pool thread
    has not started (a woken thread takes 30-150 us to start on this KVM guest). Exceptions
    from any slice propagate. A call from inside a slice runs serially (a pool thread waiting
    on the pool could deadlock it).

    blas_serial: the slices call BLAS themselves (a conv's chunks: im2col + GEMM each), so
    OpenBLAS runs one thread per call for the duration, instead of every small GEMM being
    split again (and its threads busy-waiting against ours); also when the work is not split
    (small, one slice, 1 thread): OpenBLAS's own 2-thread split of a GEMM with K above ~450
    rounds differently (threads-and-variance.md), so a one-chunk conv weight gradient (K =
    918 pixels summed) had other bits at 2 threads than at 1.
    threshold: for a compiled `nogil` kernel called once per slice (no GIL handed over per
    block), which pays from less work than NumPy's ufunc calls do."""
    global _blas_threads
    threads = min(get_num_threads(), n)
    if threads <= 1 or nbytes < (THRESHOLD if threshold is None else threshold) \
            or getattr(_local, "inside", False):
        if blas_serial and _blas_threads > 1:
            with serial_blas():     # one OpenBLAS thread here too: the same bits as split
                fn(0, n)
        else:
            fn(0, n)
        return
    count = min(n, max(threads, slices or threads))
    job = _Job(fn, [n * i // count for i in range(count + 1)])
    jobs = _workers()
    one_blas = blas_serial and _blas_set is not None
    if one_blas:
        _blas_set(1)
        _blas_threads = 1
    rt = _realtime()
    raised = rt is not None and _set_priority(rt[0], rt[1] + 1)
    try:
        for _ in range(threads - 1):
            jobs.put(job)
        _local.inside = True
        try:
            job.run()
        finally:
            _local.inside = False
            job.wait()                          # every claimed slice is done before leaving
            job.fn = None                       # a late thread still holding it: no arrays
        if job.errors:
            raise job.errors[0]
    finally:
        if raised:
            _set_priority(*rt)
        if one_blas:
            _blas_threads = get_num_threads()
            _blas_set(_blas_threads)


# A matrix product of fewer multiply-adds (m*n*k, per matrix of a batch) than this runs on one
# OpenBLAS thread. On 2 cores two threads pay (wall 0.52-0.78x of one) from 2^21-2^22 on, but
# OpenBLAS's threads busy-wait: with the other core busy a (1024, 32) @ (32, 32) product costs
# milliseconds of CPU instead of 25 us (docs/perf/threads-and-variance.md, "Why throughput
# differed").
# OpenBLAS itself runs products of at most 2^18 (interface/gemm.c) on one thread: no switch.
# Raised from 2^21 to 2^23: after a threaded product OpenBLAS's worker spins on the other core
# for ~13 ms (BLAS_SPIN_EXPONENT), which is where the pool's next slices (convs, BatchNorm)
# would run. LeNet's fully connected products (128 x 400 x 120 = 6.1M multiply-adds) woke it
# every step: its step at 2 threads (idle machine, no priority, 3 fresh processes each)
# 11.1-12.5 ms wall / 21-24 ms CPU at 2^21 against 8.9-9.3 ms / 12.3-12.7 ms at 2^23 (torch
# 8.1-10.3); a product under 2^23 saves at most ~60 us on the second core. The MLP's
# 128 x 256 x 256 products (exactly 2^23) stay threaded.
GEMM_SERIAL_MNK = 1 << 23
_GEMM_OWN_SERIAL = 1 << 18
_matmul = numpy.matmul
_dot = numpy.dot


def matmul(a, b):
    """numpy.matmul(a, b) (arrays of ndim >= 1), a small product on one OpenBLAS thread; the
    setting is switched only when it differs (~1.5 us per ctypes call) and restored, so large
    products use torch.set_num_threads's count. A product switched here has its 1-thread bits
    at any setting; one left to OpenBLAS's own threads may round differently at 2 threads than
    at 1 for some shapes (its split of 128x784 @ 784x256 float32 does; 128x256 @ 256x256 does
    not), as MKL's may in torch: tests/backend/test_threads.py checks the switched window."""
    if _blas_threads > 1:
        n = b.shape[-1] if b.ndim > 1 else 1
        mnk = a.size * n            # every product's work: the cheap test for tiny ones
        if mnk > _GEMM_OWN_SERIAL and a.ndim > 2:
            mnk = a.shape[-2] * a.shape[-1] * n        # one product of the batch
        return matmul_mnk(a, b, mnk)
    return _matmul(a, b)


def matmul_mnk(a, b, mnk, row=False):
    """matmul(a, b) for a product whose m*n*k (per matrix of a batch) the caller already has
    from the shapes it checked: the same routing without re-reading them (F.linear's batch-1
    call, where `matmul`'s shape reads were ~0.2 us of a ~4 us layer at 2 threads).
    row: a is one C-contiguous float32/64 row (1, k) and b the transpose of a C-contiguous
    matrix of its dtype; then numpy.dot makes the call: the same cblas gemv as matmul's for
    this layout (the same bits), without the gufunc's set-up (a batch-1 784-256-256-10 MLP
    ~1.2-1.5 us faster)."""
    product = _dot if row else _matmul
    if _blas_threads == 2 and mnk >= GEMM_SERIAL_MNK and not row:
        split = halves()        # two 1-thread halves side by side (backend/numba_halves.py)
        c = None if split is None else split.product(a, b, _blas_lib, _blas_set)
        if c is not None:
            return c
    if _blas_threads > 1 and _GEMM_OWN_SERIAL < mnk < GEMM_SERIAL_MNK:
        threads = _blas_threads
        _blas_set(1)
        try:
            return product(a, b)
        finally:
            _blas_set(threads)
    return product(a, b)


def halves(running=False):
    """backend/numba_halves.py where it may run (numba's exact kernels; with its helper thread
    already started if running), else None (mlp5's edit)."""
    from . import kernels
    if kernels.numba_for_exact():
        from . import numba_halves
        if not running or numba_halves.helper() is not None:
            return numba_halves
    return None


def _rows(a):
    """a as a 2-D view (first axis, rest) when that needs no copy, else None."""
    return a.reshape(a.shape[0], -1) if a.ndim and a.flags.c_contiguous else None


def unary(ufunc, x, out=None):
    """out = ufunc(x), sliced over threads for large arrays (serial result, bit for bit)."""
    if out is None:
        out = numpy.empty_like(x)
    if x.ndim == 0 or out.nbytes < THRESHOLD or not (x.flags.c_contiguous
                                                     and out.flags.c_contiguous):
        return ufunc(x, out=out)
    xf, of = x.reshape(-1), out.reshape(-1)
    parallel_for(xf.size, lambda i, j: ufunc(xf[i:j], out=of[i:j]), out.nbytes,
                 slices=_ELEMENTWISE_SLICES * get_num_threads())
    return out


def binary(ufunc, a, b, out, threshold=None):
    """out = ufunc(a, b) into an existing `out`; a and b either have out's shape (any
    strides) or broadcast to it; sliced along out's first axis from `threshold` bytes of out
    (default THRESHOLD)."""
    threshold = THRESHOLD if threshold is None else threshold
    if out.ndim == 0 or out.nbytes < threshold:
        return ufunc(a, b, out=out)
    n = out.shape[0]

    def rows(v):
        v = numpy.asarray(v)
        if v.ndim == out.ndim and v.shape[0] == n:
            return lambda i, j: v[i:j]
        return lambda i, j: v                       # broadcasts along the first axis
    ra, rb = rows(a), rows(b)
    parallel_for(n, lambda i, j: ufunc(ra(i, j), rb(i, j), out=out[i:j]), out.nbytes,
                 slices=_ELEMENTWISE_SLICES * get_num_threads(), threshold=threshold)
    return out


def copy(dst, src):
    """dst[...] = src (same shape, any strides): a strided gather such as im2col's windows,
    sliced along the first axis for large arrays."""
    if dst.ndim == 0 or dst.nbytes < THRESHOLD:
        numpy.copyto(dst, src)
        return dst
    parallel_for(dst.shape[0], lambda i, j: numpy.copyto(dst[i:j], src[i:j]), dst.nbytes,
                 slices=_ELEMENTWISE_SLICES * get_num_threads())
    return dst
