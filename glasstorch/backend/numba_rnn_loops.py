"""The LSTM layer's whole time loop, forward or BPTT, as one numba call (ops/rnn_lstm.py runs
it when numba_rnn's per-step kernels would run and every step's products go to cblas):

    forward_loop    per step: the two products and their sum (numba_rnn `_step_gemms`),
                    tanh of the gates, `_cell`, tanh(c'), `_hidden`, the output rows (h'^T)
    backward_loop   per step from the last: dh' += dy_t^T, `_bptt_gemm` (the BPTT pass and
                    dh <- W_hh^T da), dA's rows (da^T)

The per-step path makes ~6 Python calls per step; here a loop over a slice of sequences is one
call that holds no GIL, so at 2 threads the pool's two slices run side by side without the GIL
changing hands ~12 times a step (ops/rnn_layers.py `_column_slices`).

tanh is NumPy's own: the 1-D inner loop np.tanh runs for a contiguous float array (its
PyUFuncObject's `functions` entry for the dtype, the SIMD loop NumPy chose for this CPU at
import), called through a ctypes pointer with the arguments NumPy passes. It is elementwise
(the same bits for any run length: checked on load, and tests/backend/test_numba_rnn_loops.py
compares whole layers bit for bit with the NumPy path). Everything else is the per-step
kernels' arithmetic (numba_rnn.py) and exact copies.
"""
import ctypes

import numpy

from .numba_base import _call, _jit
from .numba_rnn import _bptt_gemm, _cell, _hidden, _step_gemms

__all__ = ["tanh_loop", "forward_loop", "backward_loop", "transposed_quarter"]

_LOOP = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                         ctypes.c_void_p)


class _UFuncHead(ctypes.Structure):
    """The start of NumPy's PyUFuncObject (numpy/ufuncobject.h, public ABI)."""
    _fields_ = [("ob_refcnt", ctypes.c_ssize_t), ("ob_type", ctypes.c_void_p),
                ("nin", ctypes.c_int), ("nout", ctypes.c_int), ("nargs", ctypes.c_int),
                ("identity", ctypes.c_int), ("functions", ctypes.c_void_p),
                ("data", ctypes.c_void_p), ("ntypes", ctypes.c_int)]


_loops = {}


def tanh_loop(dtype):
    """(ctypes function, data pointer) of np.tanh's inner loop for float32/float64, or None
    when it cannot be found or does not reproduce np.tanh on a probe (then the per-step path
    runs)."""
    dtype = numpy.dtype(dtype)
    if dtype not in _loops:
        try:
            _loops[dtype] = _find_loop(numpy.tanh, dtype)
        except (ValueError, TypeError, OSError):
            _loops[dtype] = None
    return _loops[dtype]


def _find_loop(ufunc, dtype):
    if dtype not in (numpy.float32, numpy.float64) or not isinstance(ufunc, numpy.ufunc):
        return None
    head = _UFuncHead.from_address(id(ufunc))
    sig = f"{dtype.char}->{dtype.char}"
    if (head.nin, head.nout, head.nargs) != (1, 1, 2) or head.ntypes != len(ufunc.types) \
            or sig not in ufunc.types or not head.functions:
        return None
    i = ufunc.types.index(sig)
    ptr = ctypes.c_void_p.from_address(head.functions + i * ctypes.sizeof(ctypes.c_void_p))
    data = ctypes.c_void_p.from_address(head.data + i * ctypes.sizeof(ctypes.c_void_p)) \
        if head.data else ctypes.c_void_p(0)
    if not ptr.value:
        return None
    loop = (_LOOP(ptr.value), data.value or 0)
    # the probe: odd lengths and unaligned starts, specials, over the range tanh bends in
    x = numpy.concatenate([numpy.linspace(-12, 12, 4099, dtype=dtype),
                           numpy.array([0.0, -0.0, 1e-30, -1e-30, numpy.inf, -numpy.inf,
                                        numpy.nan, 20, -20, 1e-4], dtype)])
    out = numpy.empty_like(x)
    for lo, hi in ((0, x.size), (1, 18), (3, 4), (5, 4103), (4099, x.size)):
        _call(_probe, x[lo:hi], loop[0], loop[1], out[lo:hi], numpy.empty(5, numpy.intp))
    if not numpy.array_equal(out.view(numpy.uint8), numpy.tanh(x).view(numpy.uint8)):
        return None
    return loop


@_jit
def _unary(fn, data, buf, src, dst, n, sz):
    """NumPy's inner loop over n contiguous elements (args, dimensions, steps in buf)."""
    buf[0], buf[1], buf[2], buf[3], buf[4] = src, dst, n, sz, sz
    p = buf.ctypes.data
    fn(p, p + 16, p + 24, data)


@_jit
def _probe(x, fn, data, out, buf):
    _unary(fn, data, buf, x.ctypes.data, out.ctypes.data, x.shape[0], x.itemsize)


@_jit
def _forward(g, gemm, tanh, tdata, buf, wi, irows, xT, wh, hrows, h, c, a, tc, K, A, F, y,
             plan, save, one, zero, half, four):
    H, mc = c.shape
    sz = g.itemsize
    hf, cf = h.reshape(-1), c.reshape(-1)
    for s in range(plan.shape[0]):
        r0, m, k = plan[s, 0], plan[s, 1], plan[s, 2]
        _step_gemms(g, a, gemm, wi, irows, xT, r0, wh, hrows, h, m, one, zero)
        _unary(tanh, tdata, buf, g.ctypes.data, g.ctypes.data, 4 * H * m, sz)
        if m == mc:
            R, L, S = 1, H * m, H * m
            _cell(g, cf, K, F, 4 * H * k, H * k, H * m, R, L, S, save, one, half, four)
            _unary(tanh, tdata, buf, c.ctypes.data, tc.ctypes.data, H * m, sz)
        else:
            R, L, S = H, m, mc
            _cell(g, cf, K, F, 4 * H * k, H * k, H * m, R, L, S, save, one, half, four)
            for i in range(H):           # tanh of c[:, :m], row by row (elementwise)
                _unary(tanh, tdata, buf, c.ctypes.data + i * mc * sz,
                       tc.ctypes.data + i * m * sz, m, sz)
        _hidden(g, tc, hf, K, A, 4 * H * k, H * k, H * m, R, L, S, save, one, half)
        for j in range(m):               # y's rows of the step: h'^T
            yr = y[r0 + j]
            for i in range(H):
                yr[i] = h[i, j]


def forward_loop(gemm, tanh, wi, irows, xT, wh, hrows, h, c, g, a, tc, K, A, F, y, plan, save):
    """The forward time loop of one slice of sequences (ops/rnn_lstm.py `rows`): plan an
    (steps, 3) int array of (first row, active columns m, saved column block k); h, c the
    slice's (H, mc) C-ordered state; g, a (4H mc), tc (H mc) scratch; y (N, H) rows written."""
    t = g.dtype.type
    _call(_forward, g, gemm, tanh[0], tanh[1], numpy.empty(5, numpy.intp), wi, irows, xT,
          wh, hrows, h, c, a, tc, K, A, F, y, plan, save, t(1), t(0), t(0.5), t(4))


@_jit
def _backward(da, gemm, wT, rows, dh, dc, dy, K, A, F, t, dA, plan, one, zero):
    P, mc = dh.shape
    H = P
    G = wT.shape[1]
    dhf, dcf = dh.reshape(-1), dc.reshape(-1)
    for s in range(plan.shape[0] - 1, -1, -1):
        r0, m, k = plan[s, 0], plan[s, 1], plan[s, 2]
        for i in range(P):               # dh' += dy_t^T
            for j in range(m):
                dh[i, j] += dy[r0 + j, i]
        if m == mc:
            R, L, S = 1, H * m, H * m
        else:
            R, L, S = H, m, mc
        _bptt_gemm(dhf, dcf, K, A, F, 4 * H * k, H * k, H * m, R, L, S, da, t, gemm, wT, rows,
                   m, one, zero)
        for j in range(m):               # dA's rows of the step: da^T
            dr = dA[r0 + j]
            for q in range(G):
                dr[q] = da[q * m + j]


def backward_loop(gemm, wT, rows, dh, dc, dy, K, A, F, da, t, dA, plan):
    """BPTT over one slice of sequences (ops/rnn_lstm.py backward `rows`): dh, dc the slice's
    (H, mc) state gradients (updated in place), dy (N, H) the output's gradient, dA (N, 4H)
    rows written; da (4H mc), t (H mc) scratch; wT (H, 4H) W_hh^T / 4 in blocks of `rows`."""
    one = dh.dtype.type
    _call(_backward, da, gemm, wT, rows, dh, dc, dy, K, A, F, t, dA, plan, one(1), one(0))


@_jit
def _transposed(w, out, q0, q1, s):
    """out[:, q0:q1] = w[q0:q1].T * s in 16 x 16 tiles, each written along out's rows."""
    P = w.shape[1]
    for qb in range(q0, q1, 16):
        qe = min(qb + 16, q1)
        for pb in range(0, P, 16):
            for p in range(pb, min(pb + 16, P)):
                for q in range(qb, qe):
                    out[p, q] = w[q, p] * s


def transposed_quarter(w, out, q0, q1):
    """out[:, q0:q1] = w[q0:q1].T / 4 (out C-ordered (P, G) for w (G, P)): backward's W_hh^T / 4
    (a power of two: exact, the bits of NumPy's multiply), a share built by each forward slice
    after its loop (ops/rnn_lstm.py). Holds no GIL; the LM's (1024, 256) whole on one thread:
    211 us, NumPy's 64-row blocks 301 (in the 1-thread step no faster: not used there)."""
    _call(_transposed, w, out, q0, q1, w.dtype.type(0.25))
