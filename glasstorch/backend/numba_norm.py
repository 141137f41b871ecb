"""LayerNorm's elementwise passes as compiled loops, with the NumPy path's exact bits (so
ops/norm.py runs them whenever `backend.kernels.numba_for_exact()`). The statistics and the
two means of the backward stay NumPy's reductions; what is fused is the arithmetic around
them, each element computed by the same float operations in the same order as the NumPy
path (numba neither reorders nor contracts them into FMAs):

    forward(x, mean, invstd, w, b)      xhat = (x - mean) * invstd,  y = xhat * w + b
                                        (NumPy: 4 passes, here 1)
    backward_products(gy, w, xhat)      g = gy * w,  t = g * xhat,  gw = gy * xhat (3 -> 1)
    backward_input(g, xhat, m1, m2, invstd, out)
                                        gx = ((g - xhat * m2) - m1) * invstd (4 -> 1)

Arrays are seen as (rows, n): x's rows are the normalized blocks (C-contiguous), mean,
invstd, m1 and m2 have one value per row, w and b one per column. Callers check the layout.
"""
import numpy

from .numba_base import _call
from .numba_optim import _jit   # IEEE results, no Python error checks

__all__ = ["applies", "forward", "backward_products", "backward_input"]

_FLOATS = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


@_jit
def _forward(x, mean, invstd, w, b, xhat, y):
    rows, n = x.shape
    for r in range(rows):
        m, s = mean[r], invstd[r]
        for c in range(n):
            h = (x[r, c] - m) * s
            xhat[r, c] = h
            y[r, c] = h * w[c] + b[c]


@_jit
def _products(gy, w, xhat, g, t, gw):
    rows, n = gy.shape
    for r in range(rows):
        for c in range(n):
            gi = gy[r, c] * w[c]
            g[r, c] = gi
            t[r, c] = gi * xhat[r, c]
            gw[r, c] = gy[r, c] * xhat[r, c]


@_jit
def _input(g, xhat, m1, m2, invstd, out):
    rows, n = g.shape
    for r in range(rows):
        a, b, s = m1[r], m2[r], invstd[r]
        for c in range(n):
            out[r, c] = ((g[r, c] - xhat[r, c] * b) - a) * s


def applies(x, *others):
    """Whether these arrays suit the kernels: one float dtype, x C-contiguous and non-empty,
    the others C-contiguous (rows and columns are then plain reshapes)."""
    return (x.dtype in _FLOATS and x.size > 0 and x.flags.c_contiguous
            and all(a.dtype == x.dtype and a.flags.c_contiguous for a in others))


def forward(x, mean, invstd, w, b):
    """(xhat, y) for x normalized over its last w.ndim dims."""
    n = w.size
    x2 = x.reshape(-1, n)
    xhat, y = numpy.empty_like(x), numpy.empty_like(x)
    _call(_forward, x2, mean.reshape(-1), invstd.reshape(-1), w.reshape(-1), b.reshape(-1),
          xhat.reshape(-1, n), y.reshape(-1, n))
    return xhat, y


def backward_products(gy, w, xhat):
    """(g, t, gw) = (gy * w, gy * w * xhat, gy * xhat), shaped as gy."""
    n = w.size
    g, t, gw = numpy.empty_like(gy), numpy.empty_like(gy), numpy.empty_like(gy)
    _call(_products, gy.reshape(-1, n), w.reshape(-1), xhat.reshape(-1, n),
          g.reshape(-1, n), t.reshape(-1, n), gw.reshape(-1, n))
    return g, t, gw


def backward_input(g, xhat, m1, m2, invstd, out):
    """out = ((g - xhat * m2) - m1) * invstd (out may be g's or xhat's shape-mate buffer)."""
    n = g.size // m1.size
    _call(_input, g.reshape(-1, n), xhat.reshape(-1, n), m1.reshape(-1), m2.reshape(-1),
          invstd.reshape(-1), out.reshape(-1, n))
    return out
