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

    columns      im2col for the per-sample path (conv_kernels._sample_columns): the windows
                 of unpadded x copied straight into the column buffer, +0.0 off x (the NumPy
                 path zero-pads a canvas, then copies strided windows out of it: the same
                 values). ResNet-small, batch 64, 1 thread, CPU ms per layer's columns:
                 32 -> 32 at 32x32 6.4-8.2 -> 4.7-6.1, 64 -> 64 at 16x16 6.3 -> 4.4,
                 128 -> 128 at 8x8 5.1-5.5 -> 3.0-3.4, the stem 0.56 -> 0.33.

2-d geometries only; `nogil`, called per chunk of samples on backend/threads.py's pool like
the NumPy kernel it replaces.
"""
import numpy

from .numba_base import _call, _jit

__all__ = ["col2im", "columns"]


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


@_jit
def _columns_samples(x, kh, kw, sh, sw, dh, dw, ph, pw, cols):
    """cols (m, B, C, kh, kw, rows, OW): sample-major, B blocks of `rows` output rows."""
    m, B, C, _, _, rows, OW = cols.shape
    H, W = x.shape[2], x.shape[3]
    for b in range(m):
        for blk in range(B):
            for c in range(C):
                for ky in range(kh):
                    for kx in range(kw):
                        for r in range(rows):
                            iy = (blk * rows + r) * sh + ky * dh - ph
                            if iy < 0 or iy >= H:
                                for ox in range(OW):
                                    cols[b, blk, c, ky, kx, r, ox] = 0
                                continue
                            for ox in range(OW):
                                ix = ox * sw + kx * dw - pw
                                if ix < 0 or ix >= W:
                                    cols[b, blk, c, ky, kx, r, ox] = 0
                                else:
                                    cols[b, blk, c, ky, kx, r, ox] = x[b, c, iy, ix]


@_jit
def _columns_batch_inner(x, kh, kw, sh, sw, dh, dw, ph, pw, cols):
    """cols (C, kh, kw, m, OH, OW): the samples inside (weight gradients)."""
    C, _, _, m, OH, OW = cols.shape
    H, W = x.shape[2], x.shape[3]
    for c in range(C):
        for ky in range(kh):
            for kx in range(kw):
                for b in range(m):
                    for oy in range(OH):
                        iy = oy * sh + ky * dh - ph
                        if iy < 0 or iy >= H:
                            for ox in range(OW):
                                cols[c, ky, kx, b, oy, ox] = 0
                            continue
                        for ox in range(OW):
                            ix = ox * sw + kx * dw - pw
                            if ix < 0 or ix >= W:
                                cols[c, ky, kx, b, oy, ox] = 0
                            else:
                                cols[c, ky, kx, b, oy, ox] = x[b, c, iy, ix]


def columns(x, geometry, out, batch_inner, cols, rows=0):
    """The columns of x (m, C, H, W) (C-contiguous) written into cols, C-contiguous (m, K,
    P), or (K, m*P) with batch_inner, or with rows (m, B, K, P/B), each sample's output in B
    blocks of `rows` output rows: what conv_kernels._sample_columns copies out of its
    zero-padded canvas (the same values, so the same bits). The row blocks (32 -> 32
    channels at 32x32, rows of 2, batch 64, the conv's forward) measured 15.7 -> 14.8-15.2
    ms at 1 thread and 11.1-11.4 -> 8.1-8.3 at 2 (median of 25 calls, real-time priority):
    one GIL-free call per chunk where the NumPy path makes ~6 (canvas, border, windows)."""
    (kh, sh, dh, ph), (kw, sw, dw, pw) = geometry
    OH, OW = out
    m, C = x.shape[:2]
    if batch_inner:
        _call(_columns_batch_inner, x, kh, kw, sh, sw, dh, dw, ph, pw,
              cols.reshape(C, kh, kw, m, OH, OW))
    else:
        B = OH // rows if rows else 1
        _call(_columns_samples, x, kh, kw, sh, sw, dh, dw, ph, pw,
              cols.reshape(m, B, C, kh, kw, OH // B, OW))
    return cols
