"""The LSTM layer's per-step elementwise work as numba loops (ops/rnn_lstm.py calls them when
`kernels.numba_for_exact()`: numba installed and not deselected), with the NumPy path's bits:

    lstm_cell     after tanh of the gates: sigmoid from tanh(a/2) for i and f, c' = f c + i g,
                  and backward's factors i(1-i)g, f(1-f)c, (1-g^2)i (times 4) and f
    lstm_hidden   after tanh(c'): h' = o tanh(c') into the state; backward's o(1-o) tanh(c')
                  and o (1 - tanh^2 c')
    lstm_bptt     one BPTT step before its GEMM: dc += dh' A, the four gate gradients, dc *= f
    scatter_rows  the embedding's backward (ops/embedding.py): rows added one by one in order

The NumPy path makes one call and one memory pass per ufunc (about 17 per step forward, 6
backward). Here each is one call: a run of short loops over contiguous rows, each loop reading
two or three arrays (LLVM vectorizes those; one loop doing everything, with a dozen arrays that
might overlap, stayed scalar and was slower than NumPy). Per (H 256, 32) step, hot caches,
1 thread: cell 32 -> 11 us, hidden 10 -> 6 us, bptt 16 -> 8 us. The arithmetic is the NumPy
formula's, operation by operation in the same order, each rounded to the array's dtype
(constants come in as scalars of that dtype, so nothing widens to float64); numba without
fastmath contracts no a*b+c into an FMA, and IEEE +, -, * round the same everywhere, so the
results are bit-identical (tests/backend/test_numba_rnn.py compares every output and gradient).
The transcendental calls (tanh) and the transposes of the layout stay in NumPy (numba's tiled
transposes measured slower).

Arrays: `g` the step's gates, flat (4H*m: row-major (4H, m)), its i f o rows holding
tanh(a/2) and its g row tanh(a); `c`, `h`, `d`, `dc` (H, mc) C-ordered state arrays whose first
m columns the step touches; K (4H per column), A and F (H per column) backward's saved factors,
flat, the step's block at column k. `save` False: no factors are written (K, A, F may be empty).
"""
import ctypes
import glob
import os

import numpy

from .numba_base import _call, _jit

__all__ = ["lstm_cell", "lstm_hidden", "lstm_bptt", "scatter_rows"]


@_jit
def _cell(g, c, K, F, kb, fb, n, R, L, S, save, one, half, four):
    for p in range(R):
        q, s = p * L, p * S
        gi, gf, gg = g[q:q + L], g[n + q:n + q + L], g[2 * n + q:2 * n + q + L]
        cr = c[s:s + L]
        if save:
            ki, kf = K[kb + q:kb + q + L], K[kb + n + q:kb + n + q + L]
            kg, fr = K[kb + 2 * n + q:kb + 2 * n + q + L], F[fb + q:fb + q + L]
            for j in range(L):
                kf[j] = (one - gf[j] * gf[j]) * cr[j]
            for j in range(L):
                ki[j] = (one - gi[j] * gi[j]) * gg[j]
        for j in range(L):
            gi[j] = gi[j] * half + half          # sigmoid(a) = (1 + tanh(a/2)) / 2
        for j in range(L):
            gf[j] = gf[j] * half + half
        if save:
            for j in range(L):
                kg[j] = ((one - gg[j] * gg[j]) * four) * gi[j]
            for j in range(L):
                fr[j] = gf[j]
        for j in range(L):
            cr[j] = cr[j] * gf[j] + gi[j] * gg[j]


@_jit
def _hidden(g, tc, h, K, A, kb, ab, n, R, L, S, save, one, half):
    for p in range(R):
        q, s = p * L, p * S
        go, tr, hr = g[3 * n + q:3 * n + q + L], tc[q:q + L], h[s:s + L]
        if save:
            ko, ar = K[kb + 3 * n + q:kb + 3 * n + q + L], A[ab + q:ab + q + L]
            for j in range(L):
                ko[j] = (one - go[j] * go[j]) * tr[j]
        for j in range(L):
            go[j] = go[j] * half + half
        for j in range(L):
            hr[j] = go[j] * tr[j]
        if save:
            for j in range(L):
                ar[j] = (one - tr[j] * tr[j]) * go[j]


@_jit
def _bptt(d, dc, K, A, F, kb, ab, n, R, L, S, da, t):
    for p in range(R):
        q, s = p * L, p * S
        dr, cr, tr = d[s:s + L], dc[s:s + L], t[q:q + L]
        ar, fr = A[ab + q:ab + q + L], F[ab + q:ab + q + L]
        for j in range(L):
            tr[j] = cr[j] + ar[j] * dr[j]        # dc + dh' o (1 - tanh^2 c')
        for b in range(3):                       # 4 da_i, da_f, da_g
            kr, dar = K[kb + b * n + q:kb + b * n + q + L], da[b * n + q:b * n + q + L]
            for j in range(L):
                dar[j] = tr[j] * kr[j]
        kr, dar = K[kb + 3 * n + q:kb + 3 * n + q + L], da[3 * n + q:3 * n + q + L]
        for j in range(L):
            dar[j] = dr[j] * kr[j]               # 4 da_o
        for j in range(L):
            cr[j] = tr[j] * fr[j]                # dc f


def _rows(state, m):
    """(R, L, S): the step's m columns of an (H, mc) state array as R runs of L elements,
    S apart (one run when the step takes every column)."""
    H, mc = state.shape
    return (1, H * m, H * m) if m == mc else (H, m, mc)


def lstm_cell(g, c, K, F, k, m, save):
    """c[:, :m] <- f c + i g from the tanh'd gates g (i, f rows become sigmoids); K's i, f,
    g rows and F at column block k when save."""
    H, t = c.shape[0], g.dtype.type
    _call(_cell, g, c.reshape(-1), K, F, 4 * H * k, H * k, H * m, *_rows(c, m), save, t(1),
          t(0.5), t(4))


def lstm_hidden(g, tc, h, K, A, k, m, save):
    """h[:, :m] <- o tanh(c') (tc: tanh(c'), flat (H, m)); K's o rows and A when save."""
    H, t = h.shape[0], g.dtype.type
    _call(_hidden, g, tc, h.reshape(-1), K, A, 4 * H * k, H * k, H * m, *_rows(h, m), save,
          t(1), t(0.5))


def lstm_bptt(d, dc, K, A, F, k, m, da, t):
    """One BPTT step after dh' (d) has its dy_t: t <- dc + A dh', da (flat (4H, m)) <- the
    four gate gradients (times 4), dc *= F; t is scratch (H * m)."""
    H = d.shape[0]
    _call(_bptt, d.reshape(-1), dc.reshape(-1), K, A, F, 4 * H * k, H * k, H * m,
          *_rows(d, m), da, t)


@_jit
def _scatter_rows(out, idx, src):
    n = out.shape[0]
    for j in range(idx.shape[0]):            # all indices first: out stays untouched on a
        r = idx[j]                           # bad one (the caller's NumPy path then raises)
        if r < -n or r >= n:
            return False
    for j in range(idx.shape[0]):
        r = idx[j]
        if r < 0:
            r += n
        o, s = out[r], src[j]
        for q in range(o.shape[0]):
            o[q] += s[q]
    return True


def scatter_rows(out, idx, src):
    """out[idx[j]] += src[j] for j in order (rows of a C-ordered (n, w) out and (m, w) src,
    one row at a time, in out's dtype): the order of backend/scatter_kernels.py `add_at`'s
    rounds and padded table (the embedding LM's backward: 1120 lookups of 30 rows, 0.5 ms
    there). False, with out untouched, when an index is out of range."""
    return _call(_scatter_rows, out, idx, src)


# ---- the time loop's GEMMs: the cblas calls NumPy's matmul makes, from numba -------------
# np.matmul(a, b, out=o) on 2-D float arrays whose dimensions are all >= 2 calls cblas ?gemm
# of the OpenBLAS NumPy's wheel bundles once, row-major, each operand NoTrans when its rows
# are contiguous (leading dimension: its row stride) else Trans (numpy/_core/src/umath/
# matmul.c.src); a dimension of 1 takes gemv or NumPy's own loop instead, so the callers keep
# those. The same function with the same arguments gives the same bits, without NumPy's
# ~1.5 us per call (ops/rnn_layers.py calls W_hh in row blocks: 14 products per step).
_ROW, _NOTRANS, _TRANS = 101, 111, 112
_GEMM_NAMES = ("scipy_cblas_%sgemm64_", "cblas_%sgemm64_", "cblas_%sgemm")
_gemms = {}


def blas_gemm(dtype):
    """The ctypes cblas ?gemm of NumPy's bundled OpenBLAS for float32/float64, else None."""
    dtype = numpy.dtype(dtype)
    if dtype not in _gemms:
        _gemms[dtype] = _load_gemm(dtype)
    return _gemms[dtype]


def _load_gemm(dtype):
    if dtype not in (numpy.float32, numpy.float64):
        return None
    char, real = ("s", ctypes.c_float) if dtype == numpy.float32 else ("d", ctypes.c_double)
    root = os.path.dirname(numpy.__file__)
    for path in glob.glob(os.path.join(root + ".libs", "*openblas*")) + \
            glob.glob(os.path.join(root, ".dylibs", "*openblas*")):
        try:
            lib = ctypes.CDLL(path)          # already loaded by NumPy: the same instance
        except OSError:
            continue
        for name in _GEMM_NAMES:
            fn = getattr(lib, name % char, None)
            if fn is not None:
                i = ctypes.c_int64 if "64" in name else ctypes.c_int
                fn.restype = None
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i, i, i, real,
                               ctypes.c_void_p, i, ctypes.c_void_p, i, real, ctypes.c_void_p, i]
                return fn
    return None


@_jit
def _gemm_blocks(gemm, w, rows, bptr, tb, ldb, n, optr, ldc, one, zero):
    """out (ldc apart) = w @ B (n columns at bptr) in blocks of `rows` rows of w, as NumPy's
    matmul calls ?gemm for each block (ops/rnn_layers.py `_mm`)."""
    sz = w.itemsize
    M, K = w.shape
    if w.strides[1] == sz:
        ta, lda = _NOTRANS, w.strides[0] // sz
    else:
        ta, lda = _TRANS, w.strides[1] // sz
    for r in range(0, M, rows):
        gemm(_ROW, ta, tb, min(rows, M - r), n, K, one, w.ctypes.data + r * w.strides[0],
             lda, bptr, ldb, zero, optr + r * ldc * sz, ldc)


@_jit
def _operand(b, col):
    """(pointer, trans, leading dimension) of b[:, col:] as NumPy's matmul passes it."""
    sz = b.itemsize
    ptr = b.ctypes.data + col * b.strides[1]
    if b.strides[1] == sz:
        return ptr, _NOTRANS, b.strides[0] // sz
    return ptr, _TRANS, b.strides[1] // sz


@_jit
def _step_gemms(g, a, gemm, wi, irows, xT, col, wh, hrows, h, m, one, zero):
    G = wi.shape[0]
    bptr, tb, ldb = _operand(xT, col)
    _gemm_blocks(gemm, wi, irows, bptr, tb, ldb, m, g.ctypes.data, m, one, zero)
    bptr, tb, ldb = _operand(h, 0)
    _gemm_blocks(gemm, wh, hrows, bptr, tb, ldb, m, a.ctypes.data, m, one, zero)
    for q in range(G * m):
        g[q] = g[q] + a[q]


@_jit
def _bptt_gemm(d, dc, K, A, F, kb, ab, n, R, L, S, da, t, gemm, wT, rows, m, one, zero):
    _bptt(d, dc, K, A, F, kb, ab, n, R, L, S, da, t)
    _gemm_blocks(gemm, wT, rows, da.ctypes.data, _NOTRANS, m, m, d.ctypes.data, S if R > 1
                 else m, one, zero)


def gemm_ok(w, rows, m):
    """Whether w's row blocks (and m >= 2 columns) are products NumPy sends to ?gemm."""
    M, K = w.shape
    return m >= 2 and K >= 2 and rows >= 2 and M % rows != 1 and (
        w.strides[1] == w.itemsize or w.strides[0] == w.itemsize)


def step_gemms(gemm, wi, irows, xT, col, wh, hrows, h, m, g, a):
    """g[:4H*m] <- [W_ih | b] [x | 1]^T (xT's columns col..) + W_hh h[:, :m] (flat (4H, m)
    blocks; a is scratch): the forward step's two products and their sum, in one call."""
    t = g.dtype.type
    _call(_step_gemms, g, a, gemm, wi, irows, xT, col, wh, hrows, h, m, t(1), t(0))


def lstm_bptt_gemm(d, dc, K, A, F, k, m, da, t, gemm, wT, rows):
    """lstm_bptt, then d[:, :m] <- wT @ da (the recurrence's product, wT in blocks of rows)."""
    H, one = d.shape[0], d.dtype.type
    _call(_bptt_gemm, d.reshape(-1), dc.reshape(-1), K, A, F, 4 * H * k, H * k, H * m,
          *_rows(d, m), da, t, gemm, wT, rows, m, one(1), one(0))
