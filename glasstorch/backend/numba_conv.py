"""Compiled kernels for the NCHW convolution kernels (ops/conv_kernels.py), bit-identical to
their NumPy path, so they run by default when numba is installed (backend/kernels.py
`numba_for_exact`):

    col2im       the adjoint of im2col from batch-last columns (C, kh, kw, OH, OW, n)
                 straight into NCHW y (n, C, H, W): each element of y starts at 0 and adds
                 its kernel offsets in NumPy's order. The NumPy path (cpu_kernels.col2im)
                 zeroes a padded batch-last canvas, adds one strided slice per offset, crops
                 and transposes: the same additions in the same order, so the same bits
                 (numba's default is not fastmath: nothing is reassociated or contracted).
                 LeNet's 16 -> 6 channel 5x5 input gradient (128 x 16 x 10 x 10): 2.5 ->
                 1.5 ms, its col2im part 2.0 -> 0.5-0.7 ms (1 thread, CPU time; adding
                 straight into NCHW y, samples innermost with a stride: 1.0 ms).

2-d geometries only; `nogil`, called per chunk of samples on backend/threads.py's pool like
the NumPy kernel it replaces.
"""
import numpy

from .numba_base import _call, _jit

__all__ = ["col2im"]


@_jit
def _col2im2d(cols, kh, kw, sh, sw, dh, dw, ph, pw, canvas, y):
    """y[b, c, oy*sh + ky*dh - ph, ox*sw + kx*dw - pw] += cols[c, ky, kx, oy, ox, b] over the
    offsets (ky, kx) in order, each element of y from 0; positions off y are dropped. The sums
    run on a batch-last canvas (C, H, W, n), samples innermost on both sides (vector adds),
    then it is transposed into y."""
    n, C, H, W = y.shape
    OH, OW = cols.shape[3], cols.shape[4]
    canvas[:] = 0
    for c in range(C):
        for ky in range(kh):
            for kx in range(kw):
                for oy in range(OH):
                    iy = oy * sh + ky * dh - ph
                    if iy < 0 or iy >= H:
                        continue
                    for ox in range(OW):
                        ix = ox * sw + kx * dw - pw
                        if 0 <= ix < W:
                            for b in range(n):
                                canvas[c, iy, ix, b] += cols[c, ky, kx, oy, ox, b]
    for b in range(n):
        for c in range(C):
            for iy in range(H):
                for ix in range(W):
                    y[b, c, iy, ix] = canvas[c, iy, ix, b]


def col2im(cols, geometry, y):
    """cols (C, kh, kw, OH, OW, n) batch-last -> y (n, C, H, W) (written, not added to)."""
    (kh, sh, dh, ph), (kw, sw, dw, pw) = geometry
    n, C, H, W = y.shape
    canvas = numpy.empty((C, H, W, n), y.dtype)
    _call(_col2im2d, cols, kh, kw, sh, sw, dh, dw, ph, pw, canvas, y)
    return y
