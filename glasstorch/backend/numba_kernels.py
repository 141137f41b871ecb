"""Compiled loops for the optional `glasstorch[fast]` extra (numba), selected through
backend/kernels.py (GLASSTORCH_KERNELS=numba or backend.set_kernels("numba")); the ops keep
their NumPy path as the default and as the reference these are tested against.

    col2im_nhwc       its adjoint (stride-2 input gradients): adds straight into the output,
                      kernel offsets in NumPy's order (same bits; NumPy: a zeroed canvas,
                      one strided add per offset, a cropping copy)
    transpose         (n, A, B) -> (n, B, A): NCHW <-> NHWC copies, tiled (a copy: same bits)
    relu_backward     gx = 0 where y <= 0 else gy in one pass (NumPy: three; same bits)
    im2col_nhwc       channels-last im2col with the zero padding fused in: writes the columns
                      straight from the unpadded input (the NumPy path first copies every
                      chunk into a zeroed, padded canvas, then gathers the windows).
                      Bit-identical to the NumPy path (a copy).
    bn_*              BatchNorm's per-channel passes over (n, L, C) channels-last or (n, C, L)
                      contiguous data: per-sample sums (of x, of (x - mean)^2, of gy and of
                      (x - mean) gy in one pass) and the affine maps y = x a + b and
                      gx = gy a + (x k + c0). The elementwise steps round as NumPy's do (no
                      fused multiply-add: numba's default is not fastmath), so the affine
                      maps are bit-identical given the same per-channel numbers; each
                      per-sample sum is accumulated in float64 and rounded once, where NumPy
                      adds float32s pairwise (or BLAS does, channels-last): the partial sums
                      differ by at most a few float32 ulps, and the statistics by what the
                      NumPy path's own rounding is (tests/backend/test_numba_kernels.py
                      bounds it). Across samples the partials are added by the caller in
                      NumPy, in the same order on both paths.
    bn_row_sums       BatchNorm's NCHW per-(sample, channel) row sums (of x, of (x - mean)^2,
                      of (x - mean) gy and gy) in NumPy's own order: the pairwise sum of
                      numpy's add.reduce over a contiguous row (leaves of <= 128 values in 8
                      running sums, halves above), so bit-identical to the NumPy path (which
                      forms (x - mean) * v with two ufuncs, then sums): a default kernel.

max_pool2d / scatter_planes (numba_pool.py, re-exported here): max pooling's window max and
argmax on channels-last data and its gradient's scatter, the same bits as the NumPy kernels.
numba_base.py holds the decorators and the first-call timing they all share.

Every kernel is `nogil`: the ops call them per slice of samples on backend/threads.py's pool,
so `set_num_threads` governs them as it does the NumPy kernels. `cache=True` keeps the
machine code on disk; `compile_seconds()` is the time the first call of each kernel and dtype
took (compiling, or loading the cache).
"""
import numpy

from . import cpu_kernels as _cpu, threads as _threads
from .numba_base import _call, _jit, _reassoc, compile_seconds, njit

__all__ = ["im2col_nhwc", "col2im_nhwc", "transpose", "relu_backward", "bn_sums",
           "bn_backward_sums", "bn_affine", "bn_input_grad", "bn_row_sums", "compile_seconds"]

# ---- im2col, channels-last, padding fused -------------------------------------------------

@_jit
def _im2col2d(x, kh, kw, sh, sw, dh, dw, ph, pw, cols):
    """cols[n, oy, ox, ky, kx, c] = x[n, oy*sh + ky*dh - ph, ox*sw + kx*dw - pw, c], 0 off x."""
    n, H, W, C = x.shape
    OH, OW = cols.shape[1], cols.shape[2]
    for b in range(n):
        for oy in range(OH):
            for ky in range(kh):
                iy = oy * sh + ky * dh - ph
                for ox in range(OW):
                    for kx in range(kw):
                        ix = ox * sw + kx * dw - pw
                        if 0 <= iy < H and 0 <= ix < W:
                            for c in range(C):
                                cols[b, oy, ox, ky, kx, c] = x[b, iy, ix, c]
                        else:
                            for c in range(C):
                                cols[b, oy, ox, ky, kx, c] = 0


def im2col_nhwc(xh, geometry, out, cols):
    """xh (n, H, W, C) C-contiguous -> cols (n, *out, kh, kw, C): 2-d geometries only."""
    (kh, sh, dh, ph), (kw, sw, dw, pw) = geometry
    _call(_im2col2d, xh, kh, kw, sh, sw, dh, dw, ph, pw, cols)
    return cols


@_jit
def _col2im2d(cols, kh, kw, sh, sw, dh, dw, ph, pw, y):
    """y[n, i*s + j*d - p, c] += cols[n, i, j, c] over the kernel offsets j in order, from 0."""
    n, IH, IW = cols.shape[0], cols.shape[1], cols.shape[2]
    C = cols.shape[5]
    OH, OW = y.shape[1], y.shape[2]
    for b in range(n):
        for oy in range(OH):
            for ox in range(OW):
                for c in range(C):
                    y[b, oy, ox, c] = 0
        for ky in range(kh):
            for kx in range(kw):
                for iy in range(IH):
                    oy = iy * sh + ky * dh - ph
                    if 0 <= oy < OH:
                        for ix in range(IW):
                            ox = ix * sw + kx * dw - pw
                            if 0 <= ox < OW:
                                for c in range(C):
                                    y[b, oy, ox, c] += cols[b, iy, ix, ky, kx, c]


def col2im_nhwc(cols, geometry, y):
    """The adjoint of im2col_nhwc: cols (n, *in, kh, kw, C) added into y (n, *out, C) where
    each column was read, kernel offsets in order (NumPy's strided adds: the same bits)."""
    (kh, sh, dh, ph), (kw, sw, dw, pw) = geometry
    _call(_col2im2d, cols, kh, kw, sh, sw, dh, dw, ph, pw, y)
    return y


# ---- layout changes ---------------------------------------------------------------------

@_jit
def _transpose(src, dst):
    """dst[b, j, i] = src[b, i, j], in 16 x 16 tiles (both sides stay in cache lines)."""
    n, A, B = src.shape
    for b in range(n):
        for i0 in range(0, A, 16):
            i1 = min(i0 + 16, A)
            for j0 in range(0, B, 16):
                j1 = min(j0 + 16, B)
                for j in range(j0, j1):
                    for i in range(i0, i1):
                        dst[b, j, i] = src[b, i, j]


def transpose(src, dst):
    """dst (n, B, A) = src (n, A, B) with its last two axes swapped (NCHW <-> NHWC per
    sample); both C-contiguous."""
    _call(_transpose, src, dst)
    return dst


# ---- relu's gradient ----------------------------------------------------------------------

@_jit
def _relu_backward(y, g, out):
    for i in range(y.size):
        out[i] = 0 if y[i] <= 0 else g[i]


def relu_backward(y, g):
    """gx = 0 where y <= 0 else gy (torch's threshold_backward: a NaN passes gy), one pass
    over flat views of y and gy; the same bits as ops/piecewise.py's mask. None unless y and
    gy are float arrays with the same dense layout (cpu_kernels.dense_flat)."""
    flat = _cpu.dense_flat(y, g)
    if flat is None:
        return None
    yf, gf, out, of = flat
    _threads.parallel_for(yf.size, lambda i, j: _call(_relu_backward, yf[i:j], gf[i:j],
                                                      of[i:j]), out.nbytes)
    return out


# ---- BatchNorm passes -----------------------------------------------------------------------
# x3 (n, L, C) when nlc (channels-last memory), else (n, C, L); per-channel numbers shaped (C,)

@_jit
def _sums_nlc(x, mean, centered, out):
    n, L, C = x.shape
    acc = numpy.empty(C, numpy.float64)
    for b in range(n):
        acc[:] = 0
        for i in range(L):
            for c in range(C):
                if centered:
                    d = x[b, i, c] - mean[c]
                    acc[c] += d * d
                else:
                    acc[c] += x[b, i, c]
        for c in range(C):
            out[b, c] = acc[c]


@_reassoc
def _sums_ncl(x, mean, centered, out):
    n, C, L = x.shape
    for b in range(n):
        for c in range(C):
            acc = 0.0
            m = mean[c]
            if centered:
                for i in range(L):
                    d = x[b, c, i] - m
                    acc += d * d
            else:
                for i in range(L):
                    acc += x[b, c, i]
            out[b, c] = acc


@_jit
def _backward_sums_nlc(x, g, mean, gsum, xgsum):
    n, L, C = x.shape
    a1 = numpy.empty(C, numpy.float64)
    a2 = numpy.empty(C, numpy.float64)
    for b in range(n):
        a1[:] = 0
        a2[:] = 0
        for i in range(L):
            for c in range(C):
                gv = g[b, i, c]
                a1[c] += gv
                a2[c] += (x[b, i, c] - mean[c]) * gv
        for c in range(C):
            gsum[b, c] = a1[c]
            xgsum[b, c] = a2[c]


@_reassoc
def _backward_sums_ncl(x, g, mean, gsum, xgsum):
    n, C, L = x.shape
    for b in range(n):
        for c in range(C):
            a1 = 0.0
            a2 = 0.0
            m = mean[c]
            for i in range(L):
                gv = g[b, c, i]
                a1 += gv
                a2 += (x[b, c, i] - m) * gv
            gsum[b, c] = a1
            xgsum[b, c] = a2


@_jit
def _affine_nlc(x, a, s, out):
    n, L, C = x.shape
    for b in range(n):
        for i in range(L):
            for c in range(C):
                out[b, i, c] = x[b, i, c] * a[c] + s[c]


@_jit
def _affine_ncl(x, a, s, out):
    n, C, L = x.shape
    for b in range(n):
        for c in range(C):
            ac, sc = a[c], s[c]
            for i in range(L):
                out[b, c, i] = x[b, c, i] * ac + sc


@_jit
def _input_grad_nlc(g, x, a, k, c0, out):
    n, L, C = x.shape
    for b in range(n):
        for i in range(L):
            for c in range(C):
                out[b, i, c] = g[b, i, c] * a[c] + (x[b, i, c] * k[c] + c0[c])


@_jit
def _input_grad_ncl(g, x, a, k, c0, out):
    n, C, L = x.shape
    for b in range(n):
        for c in range(C):
            ac, kc, cc = a[c], k[c], c0[c]
            for i in range(L):
                out[b, c, i] = g[b, c, i] * ac + (x[b, c, i] * kc + cc)


def bn_sums(x3, nlc, out, mean=None):
    """out[b, c] = per-sample sum of x (or of (x - mean)^2 when mean is given), rounded once."""
    centered = mean is not None
    m = mean if centered else numpy.zeros(out.shape[1], x3.dtype)
    _call(_sums_nlc if nlc else _sums_ncl, x3, m.reshape(-1), centered, out)
    return out


def bn_backward_sums(x3, g3, mean, nlc, gsum, xgsum):
    """Per sample and channel: sum of gy, and of (x - mean) gy, in one pass."""
    _call(_backward_sums_nlc if nlc else _backward_sums_ncl, x3, g3, mean.reshape(-1), gsum,
          xgsum)


def bn_affine(x3, a, s, nlc, out):
    """out = x a + s, per channel."""
    _call(_affine_nlc if nlc else _affine_ncl, x3, a.reshape(-1), s.reshape(-1), out)
    return out


def bn_input_grad(g3, x3, a, k, c0, nlc, out):
    """out = gy a + (x k + c0), per channel: batch norm's input gradient in training."""
    _call(_input_grad_nlc if nlc else _input_grad_ncl, g3, x3, a.reshape(-1), k.reshape(-1),
          c0.reshape(-1), out)
    return out


from .numba_bn_rows import bn_row_sums  # noqa: E402,F401  (NCHW row sums: numba_bn_rows.py)
from .numba_pool import max_pool2d, scatter_planes  # noqa: E402,F401  (pooling: numba_pool.py)
