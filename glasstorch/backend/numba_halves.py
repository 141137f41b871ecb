"""Two halves of a large matrix product, or of SGD's update, side by side on two cores: a
helper thread (named glasstorch-halves) that runs compiled code only (numba `nogil`), so
handing it work never waits for the GIL, nor for a sleeping thread (the caller takes back a
half nobody has started).

    matmul(helper, a, b)             a @ b for 2-D float32 operands, each C- or F-contiguous,
                                     no dimension above _MAX_DIM: two calls of OpenBLAS's
                                     cblas_sgemm on one OpenBLAS thread each, for halves of
                                     the output; None if the operands do not suit
    sgd(helper, items, numbers, options)  numba_optim's SGD update over [(x, g, b), ...], the
                                     second half of each large parameter on a spinning helper
    available(lib)                   the helper (started on first use), or None
    product(a, b, lib, blas_set)     matmul with the helper (started), OpenBLAS at one thread

Why (docs/perf/mlp.md, mlp5): at 2 threads the MLP step's five large products ran on
OpenBLAS's own two threads, whose worker then spins without a system call for ~13 ms, so no
other thread could use the second core meanwhile: SGD's update (6 parameters) ran serially,
and ~40 us slower than at 1 thread since the other core had written half of each weight's
gradient. Here each product's halves and the same halves of the update run side by side,
and OpenBLAS's own threads stay asleep (its count is 1 during a split product). MLP step at
2 threads (lock, real-time priority): 1.34-1.46 -> 1.24-1.34 ms; the SGD update 174 -> 112 us.

Which half: the output's rows for a weight's gradient gy^T @ x (`a` F-contiguous: its rows
are then the SGD update's halves), else its columns (x @ W^T, gy @ W). Each output element
then comes from one 1-thread OpenBLAS call with the whole product's K: the same bits as the
whole product on one OpenBLAS thread, whichever thread ran which half, so the same at 1 and
2 threads (OpenBLAS's own 2-thread split of 128x784 @ 784x256 rounds differently). Checked:
random float32 shapes (M, N 32-1024, K up to 1024, M*N*K >= 2^23) x 4 layouts, and
tests/backend/test_numba_halves.py's. Not tried further: rows of a C-contiguous `a`, faster
for gy2 @ W2 (93 vs 106 us in the step; slower for x @ W1^T: 311 vs 266), but two small
products' rows differed (54 x 108 @ 108 x 419, 160 x 51 @ 51 x 198); float64 (dgemm's halves differed for 200 x 129 x 300
and 64 rows of a transposed `a`), left to OpenBLAS.

Hand-off: the caller writes a job (pointers and sizes) into an int64 array and bumps its
number; the helper, spinning (a `pause` loop, no system call: sched_yield hands the core to
any other runnable process for a whole time slice) for SPIN_NS after its last job, claims it
with a compare-and-swap; the caller runs its own half, then claims the job itself if the
helper has not (asleep, or its core busy), else waits for it. An idle helper waits on a
futex (Linux), woken by the next caller.
"""
import ctypes
import os
import sys
import threading

import numpy
from numba import carray, types

from .numba_base import njit
from .numba_intrinsics import (SYS_FUTEX as _SYS_FUTEX, PAUSE as _PAUSE, load as _load,
                               store as _store, claim as _claim, pause as _pause, now as _now,
                               futex as _futex, gemm as _gemm, pointer as _pointer)
from .numba_optim import BUFFER, DECAY, NESTEROV, _sgd

__all__ = ["matmul", "product", "sgd", "sgd_options", "available", "helper", "SPIN_NS"]

SPIN_NS = 15_000_000     # the helper spins this long after a job before it sleeps
_jit = njit(nogil=True)
# _ctl's slots: the last job posted, the last claimed, the last done, stop, helper spinning
# and how many jobs the helper ran (for tests)
_POSTED, _CLAIMED, _DONE, _STOP, _SPINNING, _RAN = range(6)
_GEMM_S, _GEMM_D, _SGD = 1, 2, 3     # job kinds (_job[0])

@_jit
def _run(job, base, fptrs, numbers32, numbers64):
    """The job at job[base:]: a product's half (kind 1/2) or SGD slices (kind 3)."""
    kind = job[base]
    if kind == _GEMM_S:
        _gemm(fptrs[0], job, base + 1, False)
    elif kind == _GEMM_D:
        _gemm(fptrs[1], job, base + 1, True)
    else:   # job[base + 1]: options, [base + 2]: dtype 4/8, [base + 3]: count, then (n, x, g, b)
        options, size = job[base + 1], job[base + 2]
        for j in range(job[base + 3]):
            at = base + 4 + 4 * j
            n = job[at]
            if size == 4:
                _sgd(carray(_pointer(job[at + 1], types.float32), n),
                     carray(_pointer(job[at + 2], types.float32), n),
                     carray(_pointer(job[at + 3], types.float32), n), numbers32, options)
            else:
                _sgd(carray(_pointer(job[at + 1], types.float64), n),
                     carray(_pointer(job[at + 2], types.float64), n),
                     carray(_pointer(job[at + 3], types.float64), n), numbers64, options)


@_jit
def _serve(ctl, wake, job, fptrs, numbers32, numbers64, spin_ns, futex):
    """The helper's loop: claim and run posted jobs; spin spin_ns after the last, then wait on
    the futex `wake` until a caller posts again; return when ctl[_STOP] is set."""
    _store(ctl, _SPINNING, 1)
    deadline = _now()          # asleep until the first job (a model without one: no spin)
    while _load(ctl, _STOP) == 0:
        posted = _load(ctl, _POSTED)
        if posted != _load(ctl, _CLAIMED):
            if _claim(ctl, _CLAIMED, posted - 1, posted):
                _run(job, 64, fptrs, numbers32, numbers64)
                _store(ctl, _DONE, posted)
                ctl[_RAN] += 1
            deadline = _now() + spin_ns
        elif _now() < deadline:
            _pause()
        else:
            # asleep: a caller that posts sees _SPINNING 0 (after its post) and wakes us; or
            # we see its post here (these loads follow the store: both are seq_cst)
            _store(ctl, _SPINNING, 0)
            while True:
                _store(wake, 0, 0)
                if _load(ctl, _POSTED) != _load(ctl, _CLAIMED) or _load(ctl, _STOP) != 0:
                    break
                _futex(futex, wake, 128, 0, 0)    # FUTEX_WAIT_PRIVATE while wake[0] == 0
            _store(ctl, _SPINNING, 1)
            deadline = _now() + spin_ns
    _store(ctl, _SPINNING, 0)


@_jit
def _wake(ctl, wake, futex):
    """Wake the helper if it sleeps."""
    if _load(ctl, _SPINNING) == 0:
        _store(wake, 0, 1)
        _futex(futex, wake, 129, 1, 0)    # FUTEX_WAKE_PRIVATE, one waiter


@_jit
def _post(ctl, wake, futex):
    """Publish the job written at job[64:] (the helper's slot)."""
    _store(ctl, _POSTED, _load(ctl, _POSTED) + 1)
    _wake(ctl, wake, futex)


@_jit
def _finish(ctl, job, fptrs, numbers32, numbers64):
    """After the caller's own half: run the posted job here unless the helper claimed it, then
    wait until it is done."""
    posted = _load(ctl, _POSTED)
    if _claim(ctl, _CLAIMED, posted - 1, posted):
        _run(job, 64, fptrs, numbers32, numbers64)
        _store(ctl, _DONE, posted)
        return
    while _load(ctl, _DONE) != posted:
        _pause()


@_jit
def _put(job, base, kind, ta, tb, m, n, k, pa, lda, pb, ldb, pc, ldc):
    job[base], job[base + 1], job[base + 2], job[base + 3] = kind, 101, ta, tb   # row-major
    job[base + 4], job[base + 5], job[base + 6] = m, n, k
    job[base + 7], job[base + 8], job[base + 9], job[base + 10] = pa, lda, pb, ldb
    job[base + 11], job[base + 12] = pc, ldc


@_jit
def _split_gemm(a, b, c, h, ctl, wake, job, fptrs, numbers32, numbers64, futex):
    """c = a @ b (float32) in two halves, the first h rows (a F-contiguous) or columns (else)
    run here, the rest posted to the helper."""
    m, k = a.shape
    n = b.shape[1]
    item = a.itemsize
    sa0, sa1 = a.strides[0] // item, a.strides[1] // item
    sb0, sb1 = b.strides[0] // item, b.strides[1] // item
    ta, lda = (111, sa0) if sa1 == 1 and m > 1 else (112, sa1)      # CblasNoTrans / Trans
    tb, ldb = (111, sb0) if sb1 == 1 and k > 1 else (112, sb1)
    pa, pb, pc = a.ctypes.data, b.ctypes.data, c.ctypes.data
    if ta == 112:    # rows: a's rows h: and c's
        _put(job, 0, _GEMM_S, ta, tb, h, n, k, pa, lda, pb, ldb, pc, n)
        _put(job, 64, _GEMM_S, ta, tb, m - h, n, k, pa + h * sa0 * item, lda, pb, ldb,
             pc + h * n * item, n)
    else:            # columns: b's columns h: and c's
        _put(job, 0, _GEMM_S, ta, tb, m, h, k, pa, lda, pb, ldb, pc, n)
        _put(job, 64, _GEMM_S, ta, tb, m, n - h, k, pa, lda, pb + h * sb1 * item, ldb,
             pc + h * item, n)
    _post(ctl, wake, futex)
    _run(job, 0, fptrs, numbers32, numbers64)
    _finish(ctl, job, fptrs, numbers32, numbers64)


_SERVE, _SPLIT, _POST, _FINISH, _WAKE = range(5)     # _enter's operations


@_jit
def _enter(op, a, b, c, h, ctl, wake, job, fptrs, numbers32, numbers64, futex, spin_ns):
    """The one compiled entry point: the helper's loop, c = a @ b in halves (h: _split_gemm's),
    post, finish or wake. One machine-code library, with one copy of _run, compiled for
    float32 arrays of any layout ('A', _compile_enter): six entry points, three of them for
    the MLP's three layouts of a product, held 3.4 MiB (docs/perf/mlp.md, mlpmem6)."""
    if op == _SERVE:
        _serve(ctl, wake, job, fptrs, numbers32, numbers64, spin_ns, futex)
    elif op == _SPLIT:
        _split_gemm(a, b, c, h, ctl, wake, job, fptrs, numbers32, numbers64, futex)
    elif op == _POST:
        _post(ctl, wake, futex)
    elif op == _FINISH:
        _finish(ctl, job, fptrs, numbers32, numbers64)
    else:
        _wake(ctl, wake, futex)


def _compile_enter():
    """Compile _enter (or load it from numba's cache) once, for 'A'-layout float32 matrices,
    and no other: numba converts C- and F-contiguous arguments to that one specialization."""
    if not _enter.signatures:
        m = types.Array(types.float32, 2, "A")
        i64, i32 = types.Array(types.int64, 1, "C"), types.Array(types.int32, 1, "C")
        _enter.compile((types.int64, m, m, m, types.int64, i64, i32, i64, i64,
                        types.Array(types.float32, 1, "C"), types.Array(types.float64, 1, "C"),
                        types.int64, types.int64))
        _enter.disable_compile()


class _Helper:
    """The helper thread and the arrays it shares with the callers (one per process)."""

    def __init__(self, lib, prefix):
        self.ctl = numpy.zeros(8, numpy.int64)
        self.wake = numpy.zeros(16, numpy.int32)
        self.job = numpy.zeros(256, numpy.int64)
        self.numbers32 = numpy.zeros(4, numpy.float32)
        self.numbers64 = numpy.zeros(4, numpy.float64)
        self.fptrs = numpy.array([ctypes.cast(getattr(lib, f"{prefix}cblas_{t}gemm64_"),
                                              ctypes.c_void_p).value for t in "sd"], numpy.int64)
        # _enter's arguments after (op, a, b, c, h)
        self.args = (self.ctl, self.wake, self.job, self.fptrs, self.numbers32,
                     self.numbers64, _SYS_FUTEX, SPIN_NS)
        # compile (or load from numba's cache) here, holding the GIL, before the thread starts
        _compile_enter()
        self.ctl[_STOP] = 1
        _enter(_SERVE, _NO, _NO, _NO, 0, *self.args)
        self.ctl[_STOP] = 0
        self.thread = threading.Thread(target=_enter, daemon=True, name="glasstorch-halves",
                                       args=(_SERVE, _NO, _NO, _NO, 0) + self.args)
        self.thread.start()

    def stop(self):
        self.ctl[_STOP] = 1
        _enter(_WAKE, _NO, _NO, _NO, 0, *self.args)
        self.thread.join()


_NO = numpy.zeros((0, 0), numpy.float32)     # _enter's matrices when it runs no product
_helper = None
_lock = threading.Lock()
_unusable = [_SYS_FUTEX is None or _PAUSE is None or not sys.platform.startswith("linux")]


def available(lib):
    """The helper for NumPy's OpenBLAS `lib` (blas_lib.find_library's), started on first use;
    None where it cannot run (no ILP64 cblas symbols, not Linux)."""
    global _helper
    if _helper is not None or _unusable[0]:
        return _helper
    with _lock:
        if _helper is None and not _unusable[0]:
            prefix = next((p for p in ("scipy_", "") if lib is not None
                           and getattr(lib, f"{p}cblas_sgemm64_", None) is not None), None)
            if prefix is None:
                _unusable[0] = True
                return None
            _helper = _Helper(lib, prefix)
    return _helper


def _forget():
    """In a forked child: the helper thread is not there (a new one starts on first use)."""
    global _helper
    _helper = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget)

_F32 = numpy.dtype(numpy.float32)
# Products with a dimension above this keep OpenBLAS's own two threads: the Transformer's
# (4480 rows: batch x sequence) were no faster in halves (bench_transformer at 2 threads
# 33.5-38.0 ms vs 32.5-34.1, lock, real-time priority), and a product left to OpenBLAS's
# threads sets its worker spinning on the helper's core, where the halves then wait for it.
_MAX_DIM = 1024
# ... and the smallest: threads.GEMM_SERIAL_MNK's 2^23, and each half at least 2^21. Far
# smaller halves may take another path in OpenBLAS (its small-matrix kernels?) with other
# bits: 160 x 51 @ 51 x 198 as 112 + 86 columns (1.6M multiply-adds), 35 x 920 @ 920 x 313
# as 32 + 3 rows, differed from the whole product
_MIN = 1 << 23


def _split(a, b):
    """Where a @ b splits (matmul's rules): the first half's rows (a F-contiguous, _split_gemm
    then splits rows) or columns, a multiple of 16 and the smaller half; 0: do not split."""
    dt = a.dtype
    if dt is not _F32 and dt != _F32 or b.dtype != dt or a.ndim != 2 or b.ndim != 2:
        return 0
    if not (a.flags.c_contiguous or a.flags.f_contiguous) or \
            not (b.flags.c_contiguous or b.flags.f_contiguous):
        return 0
    m, n, k = a.shape[0], b.shape[1], a.shape[1]
    if not (32 <= m <= _MAX_DIM and 32 <= n <= _MAX_DIM and k <= _MAX_DIM
            and m * n * k >= _MIN):
        return 0
    h = (m if not a.flags.c_contiguous else n) // 32 * 16     # >= 16, >= a third
    return h if h * (m * n // (m if not a.flags.c_contiguous else n)) * k >= _MIN // 4 else 0



def matmul(helper, a, b):
    """a @ b in two halves on the caller and the helper (OpenBLAS's count must be 1: the
    caller sets it), or None when the operands do not suit: 2-D float32, each C- or
    F-contiguous, M, N and K at most _MAX_DIM, M and N at least 32, M*N*K at least _MIN
    (float64: see the top)."""
    h = _split(a, b)
    if not h:
        return None
    c = numpy.empty((a.shape[0], b.shape[1]), a.dtype)
    _enter(_SPLIT, a, b, c, h, *helper.args)
    return c


_SGD_SPLIT = 32768        # parameters of at least this many elements are halved
_SGD_MAX = (256 - 64 - 4) // 4  # (n, x, g, b) records that fit in the helper's job slot


def sgd_options(decay, nesterov):
    """numba_optim's option bits for an update with a momentum buffer."""
    return (decay and DECAY) | (nesterov and NESTEROV) | BUFFER


def sgd(helper, items, numbers, options):
    """numba_optim's SGD update (with a momentum buffer: options has BUFFER) of every (x, g, b)
    in items (numba_optim.suits, numbers' dtype): the second half of each large parameter on
    the helper, the rest here. The same operations per element as numba_optim.sgd's.
    Only a spinning helper gets work (one that ran this step's products): waking it would
    set it spinning for SPIN_NS on the core where a model without large products (LeNet,
    ResNet) runs its pool's slices."""
    job = helper.job
    mine = []
    count = 0
    hot = helper.ctl[_SPINNING] != 0
    for x, g, b in items:
        x, g, b = x.reshape(-1), g.reshape(-1), b.reshape(-1)
        if not hot or x.size < _SGD_SPLIT or count == _SGD_MAX:
            mine.append((x, g, b))
            continue
        h = x.size // 2
        at = 64 + 4 + 4 * count
        job[at], job[at + 1] = x.size - h, x[h:].ctypes.data
        job[at + 2], job[at + 3] = g[h:].ctypes.data, b[h:].ctypes.data
        mine.append((x[:h], g[:h], b[:h]))
        count += 1
    if count:
        (helper.numbers32 if numbers.dtype.itemsize == 4 else helper.numbers64)[:] = numbers
        job[64], job[65], job[66], job[67] = _SGD, options, numbers.dtype.itemsize, count
        _enter(_POST, _NO, _NO, _NO, 0, *helper.args)
    for x, g, b in mine:
        _sgd(x, g, b, numbers, options)
    if count:
        _enter(_FINISH, _NO, _NO, _NO, 0, *helper.args)


def helper():
    """The running helper (available() started it), or None."""
    return _helper


def product(a, b, lib, blas_set):
    """a @ b in halves if the operands suit (matmul's rules), starting the helper for NumPy's
    OpenBLAS `lib` on first use, with OpenBLAS set to one thread meanwhile (blas_set:
    threads.py's setter; the count goes back to 2, the only count products come here at);
    else None."""
    if not _split(a, b) or available(lib) is None:
        return None
    blas_set(1)
    try:
        return matmul(_helper, a, b)
    finally:
        blas_set(2)
