"""relu and its gradient as one compiled pass each, with the NumPy path's exact bits (so
ops/piecewise.py runs them whenever `backend.kernels.numba_for_exact()`: numba installed,
not deselected with GLASSTORCH_KERNELS=numpy):

    relu            y = 0 where x < 0 else x: NumPy's maximum(0, x), which returns x on a
                    tie (relu(-0.0) = -0.0) and x itself when it is a NaN (payload, sign and
                    signalling bit kept: both paths copy the bits)
    relu_backward   gx = +0.0 where y == 0 else gy, for y = relu(x) (>= 0, -0.0 or NaN):
                    the NumPy path's `y != 0` mask ANDed into gy's bits

NumPy spends 2-3 calls and a temporary mask on the gradient; an MLP's (128, 256) gradient
took 26 us that way against 13 here (warm). For C-contiguous float32/64 arrays only (else
None: the caller's NumPy path); large arrays go in slices over backend/threads.py's pool
(the kernels are nogil), so `set_num_threads` governs them as it does the NumPy kernels.
"""
import numpy

from . import threads as _threads
from .numba_base import _call
from .numba_optim import _jit   # IEEE results, no Python error checks

__all__ = ["relu", "relu_backward", "shift_pick", "softmax_grad_pick", "batch_sum"]

_FLOATS = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


@_jit
def _relu(x, y):
    for i in range(x.size):
        v = x[i]
        y[i] = 0 if v < 0 else v


@_jit
def _relu_backward(y, g, out):
    for i in range(y.size):
        out[i] = 0 if y[i] == 0 else g[i]


def _run(kernel, arrays, out):
    """kernel(*flat arrays, flat out), in slices over the pool when large."""
    flat = [a.reshape(-1) for a in arrays] + [out.reshape(-1)]
    if out.nbytes < _threads.THRESHOLD:
        _call(kernel, *flat)
    else:
        _threads.parallel_for(out.size, lambda i, j: _call(kernel, *(a[i:j] for a in flat)),
                              out.nbytes)
    return out


def relu(x):
    """max(0, x) as NumPy computes it, or None unless x is a C-contiguous float array."""
    if x.dtype not in _FLOATS or not x.flags.c_contiguous or not x.size:
        return None
    return _run(_relu, (x,), numpy.empty_like(x))


def relu_backward(y, g):
    """where(y != 0, g, +0.0) for y = relu(x), or None unless y and g are C-contiguous float
    arrays of one dtype and shape."""
    if y.dtype not in _FLOATS or g.dtype != y.dtype or g.shape != y.shape or not y.size \
            or not (y.flags.c_contiguous and g.flags.c_contiguous):
        return None
    return _run(_relu_backward, (y, g), numpy.empty_like(g))


@_jit
def _shift_pick(x, target, s, s_t):
    n, c = x.shape
    for r in range(n):
        if not 0 <= target[r] < c:
            return False
    for r in range(n):
        m = x[r, 0]
        for j in range(1, c):   # NumPy's maximum(m, v): a NaN m stays, a NaN v wins, else
            v = x[r, j]         # the larger, the second operand on a tie (-0.0 vs 0.0)
            if m == m and (v != v or not m > v):
                m = v
        for j in range(c):
            s[r, j] = x[r, j] - m
        s_t[r] = s[r, target[r]]
    return True


def shift_pick(x, target):
    """(s, s_t): s = x - (row max of x), s_t[r] = s[r, target[r]], for (N, C) logits and
    class targets; the bits of ops/softmax.py's _shifted (its transposed-copy row max, which
    reduces with maximum(m, v) column after column) and of s[rows, target]. None unless x is
    C-contiguous float32/64 with 2 <= C <= 32 and at least 64 * C elements (where _shifted
    takes that route); False if a target is outside [0, C) (the kernel checks them all before
    it picks, so cross_entropy's plain path needs no min/max reductions of its own)."""
    n, c = x.shape
    if x.dtype not in _FLOATS or not x.flags.c_contiguous or not 2 <= c <= 32 \
            or x.size < 64 * c or target.dtype.kind not in "iu" or target.shape != (n,):
        return None
    s = numpy.empty_like(x)
    s_t = numpy.empty(n, x.dtype)
    if not _call(_shift_pick, x, target, s, s_t):
        return False
    return s, s_t


@_jit
def _softmax_grad_pick(p, target, k, gx):
    n, c = p.shape
    for r in range(n):
        for j in range(c):
            gx[r, j] = p[r, j] * k
        t = target[r]
        gx[r, t] = gx[r, t] - k


def softmax_grad_pick(p, target, k):
    """gx = p * k, then gx[r, target[r]] -= k: cross_entropy's plain backward for 'mean' and
    'sum' (k the 0-d scale of the array path: gy / N or gy), the NumPy formula's operations in
    its order (one multiply, then one subtract at the targets), so its bits. The targets were
    checked to be classes by the forward. None unless p is a C-contiguous float32/64 (N, C)
    array and k a 0-d array of its dtype."""
    if p.dtype not in _FLOATS or not p.flags.c_contiguous or p.ndim != 2 \
            or k.shape != () or k.dtype != p.dtype or target.shape != (p.shape[0],) \
            or target.dtype.kind not in "iu":
        return None
    gx = numpy.empty_like(p)
    _call(_softmax_grad_pick, p, target, k[()], gx)
    return gx


@_jit
def _batch_sum(g, start, stop, out):
    # flat unsigned indices: with g[r, c] and c from a run-time start, numba tests every
    # index for a negative wraparound and the loop does not vectorize (128 x 4704 float32:
    # 394 us, this 53, NumPy's sum(0) 62)
    gf, m = g.reshape(-1), numpy.uint64(g.shape[1])
    for c in range(start, stop):
        out[numpy.uint64(c)] = 0
    for r in range(g.shape[0]):
        row = numpy.uint64(r) * m
        for c in range(start, stop):
            out[numpy.uint64(c)] += gf[row + numpy.uint64(c)]


def batch_sum(g, start, stop, out):
    """out[start:stop] = g[:, start:stop].sum(0) for a C-contiguous (N, M) float array, as
    NumPy's add.reduce over axis 0 sums it (from 0, row after row: the same bits); a conv's
    bias gradient in column blocks (ops/conv_regions.py). One GIL-free call."""
    _call(_batch_sum, g, start, stop, out)
