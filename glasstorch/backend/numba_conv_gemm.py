"""Whole convolution slices in one GIL-free call: columns, NumPy's own OpenBLAS GEMM (called
from compiled code) and the output, for the NCHW kernels of ops/conv_kernels*.py.

Why: on 2 threads the pool (backend/threads.py) splits a conv over the batch, but a slice made
of many short NumPy calls (a per-sample GEMM is 5-30 us) gains nothing: each call releases and
retakes the GIL, and with both threads doing so the hand-offs serialize them. Measured (real-
time priority, 2 idle cores), two threads each doing 400 float32 adds of 116k values: NumPy
calls 2.06x the time of one thread (no gain at all); one numba call per thread 1.11x. A
slice here is one numba call, so both cores run.

Same bits as the NumPy path: the GEMMs are the very `cblas_sgemm` calls NumPy's matmul makes
for the same operands (row-major, the same M, N, K, leading dimensions and transposes, in the
library NumPy loaded: found through backend/threads.py and checked against numpy.matmul on
first use), and everything else is a copy or the NumPy path's additions in its order.

    rows_forward   ops/conv_kernels_rows.py's row-column forward (LeNet's two convs)
    col2im_grad    conv_kernels_t.conv_t_forward's batch-last chunks: x's chunk transposed
                   batch-last, W^T @ it, numba_conv's col2im into y (LeNet's conv2 input
                   gradient)
    weight_grad_samples  conv_kernels._weight_grad_per_sample's chunk products (LeNet's
                   conv1 weight gradient); the caller sums them in chunk order
    weight_grad_batch_last  conv_kernels.weight_grad's batch-last chunk products, one group
                   (LeNet's conv2 weight gradient; ResNet-small's 8x8 stage)
    forward_batch_last  conv_kernels._conv_forward's batch-last chunks, one group (ResNet-
                   small's 8x8 stage: forwards and flipped input gradients)
    sum_parts      the weight gradients' chunk products summed as conv_kernels sums them
    forward_samples  conv_kernels._forward_per_sample's chunks (outputs of >= 256 pixels:
                   ResNet-small's 32x32 and 16x16 forwards and flipped input gradients)

float32 only (others keep the NumPy calls); `gemm()` is None when no usable sgemm was found.
"""
import ctypes

import numpy

from . import threads as _threads
from .numba_base import _call, _jit
from .numba_conv import _col2im2d, _columns_batch_inner, _columns_samples

__all__ = ["gemm", "rows_forward", "col2im_grad", "weight_grad_samples",
           "weight_grad_batch_last", "forward_batch_last", "forward_samples", "sum_parts"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_gemm = []      # [ctypes function or None], found on first use


def _find_sgemm():
    lib = _threads._blas_lib
    if lib is None:
        return None
    for prefix in ("scipy_", ""):
        for suffix, index in (("64_", ctypes.c_int64), ("", ctypes.c_int)):
            fn = getattr(lib, f"{prefix}cblas_sgemm{suffix}", None)
            if fn is None:
                continue
            i, p = ctypes.c_int, ctypes.c_void_p
            proto = ctypes.CFUNCTYPE(None, i, i, i, index, index, index, ctypes.c_float, p,
                                     index, p, index, ctypes.c_float, p, index)
            return proto(ctypes.cast(fn, p).value)
    return None


@_jit
def _gemm_call(sgemm, a, b, c, trans_a, trans_b):
    """c = op(a) @ op(b), row-major, the call NumPy's matmul makes for these operands: a is
    stored (K, M) when trans_a (NumPy's matmul of a transposed view), b (N, K) when trans_b;
    the leading dimensions are the arrays' row strides."""
    M, N = c.shape
    K = a.shape[0] if trans_a else a.shape[1]
    sgemm(_ROW_MAJOR, _TRANS if trans_a else _NO_TRANS, _TRANS if trans_b else _NO_TRANS,
          M, N, K, 1.0, a.ctypes.data, a.strides[0] // 4, b.ctypes.data, b.strides[0] // 4,
          0.0, c.ctypes.data, c.strides[0] // 4)


def gemm():
    """NumPy's OpenBLAS cblas_sgemm as a ctypes function numba can call (None when NumPy's
    BLAS was not found, or a test product differed from numpy.matmul's bits)."""
    if not _gemm:
        fn = _find_sgemm()
        if fn is not None:
            rng = numpy.random.default_rng(0)
            for m, k, n in ((6, 5, 784), (16, 150, 100), (150, 1300, 16)):
                a = rng.standard_normal((m, k)).astype(numpy.float32)
                b = rng.standard_normal((k, n + 3)).astype(numpy.float32)[:, :n]
                c = numpy.empty((m, n), numpy.float32)
                at, bt = numpy.ascontiguousarray(a.T), numpy.ascontiguousarray(b.T)
                for ta, tb in ((False, False), (True, False), (False, True)):
                    _gemm_call(fn, at if ta else a, bt if tb else b, c, ta, tb)
                    if not numpy.array_equal(c, (at.T if ta else a) @ (bt.T if tb else b)):
                        fn = None
                if fn is None:
                    break
        _gemm.append(fn)
    return _gemm[0]


@_jit
def _rows_forward(x, wk, geo, bias, has_bias, y, rows, tmp, s0, s1, sgemm):
    """y[b] (O, OH*OW) for samples s0..s1 of x (N, C, Hin, Win): per sample, the row columns
    rows[(c, kx), h, ox] = x_pad[b, c, h, ox*sw + kx*dw] (C*kw, H*OW), then kh GEMMs
    wk[ky] (O, C*kw) @ rows[:, ky*dh*OW : +P] (ldb H*OW), the first into y, the others into
    tmp and added, then the bias: conv_kernels_rows.conv_forward's calls and order."""
    kh, kw, dh, dw, sw, ph, pw = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6]
    C, Hin, Win = x.shape[1], x.shape[2], x.shape[3]
    O, CK = wk.shape[1], wk.shape[2]
    H, OW = rows.shape[1], rows.shape[2]
    P = y.shape[2]
    r2 = rows.reshape(CK, H * OW)
    for b in range(s0, s1):
        for c in range(C):
            for kx in range(kw):
                for h in range(H):
                    iy = h - ph
                    if iy < 0 or iy >= Hin:
                        for ox in range(OW):
                            rows[c * kw + kx, h, ox] = 0.0
                        continue
                    for ox in range(OW):
                        ix = ox * sw + kx * dw - pw
                        if 0 <= ix < Win:
                            rows[c * kw + kx, h, ox] = x[b, c, iy, ix]
                        else:
                            rows[c * kw + kx, h, ox] = 0.0
        yb = y[b]
        _gemm_call(sgemm, wk[0], r2[:, :P], yb, False, False)
        for ky in range(1, kh):
            start = ky * dh * OW
            _gemm_call(sgemm, wk[ky], r2[:, start:start + P], tmp, False, False)
            for o in range(O):
                for i in range(P):
                    yb[o, i] += tmp[o, i]
        if has_bias:
            for o in range(O):
                for i in range(P):
                    yb[o, i] += bias[o]


def rows_forward(x, wk, geometry, out, H, bias, y, s0, s1, scratch):
    """conv_kernels_rows.conv_forward for samples s0..s1: x (N, C, Hin, Win) C-contiguous
    float32, wk (kh, O, C*kw) C-contiguous, y (N, O, OH*OW) written, H the padded canvas's
    rows, bias (O,) or None; scratch(name, shape, dtype) is a per-thread buffer."""
    (kh, _, dh, ph), (kw, sw, dw, pw) = geometry
    O, CK = wk.shape[1], wk.shape[2]
    rows = scratch("rows", (CK, H, out[1]), x.dtype)
    tmp = scratch("rows_sum", (O, y.shape[2]), x.dtype)
    b = numpy.ascontiguousarray(bias) if bias is not None else numpy.zeros(O, x.dtype)
    _call(_rows_forward, x, wk, (kh, kw, dh, dw, sw, ph, pw), b, bias is not None, y, rows,
          tmp, s0, s1, gemm())


@_jit
def _col2im_chunks(x, wt, geo, starts, c0, c1, xm, cols, canvas, y, sgemm):
    """conv_t_forward's chunks c0..c1 (samples starts[c]..starts[c+1]): xm (Cin, S, m) =
    x[chunk] batch-last, cols = wt^T (Cout*k, Cin) @ xm, col2im into y[chunk]."""
    kh, kw, sh, sw, dh, dw, ph, pw = geo
    Cin = x.shape[1]
    S = x.shape[2] * x.shape[3]
    R = wt.shape[1]
    OH, OW = x.shape[2], x.shape[3]
    C = R // (kh * kw)
    for ci in range(c0, c1):
        s, e = starts[ci], starts[ci + 1]
        m = e - s
        xc = x[s:e].reshape(m, Cin, S)
        xt = xm[:Cin * S * m].reshape(Cin, S, m)
        for c in range(Cin):
            for i in range(S):
                for b in range(m):
                    xt[c, i, b] = xc[b, c, i]
        cm = cols[:R * S * m].reshape(R, S * m)
        _gemm_call(sgemm, wt, xt.reshape(Cin, S * m), cm, True, False)
        yc = y[s:e]
        _col2im2d(cm.reshape(C, kh, kw, OH, OW, m), kh, kw, sh, sw, dh, dw, ph, pw,
                  canvas[:C * yc.shape[2] * yc.shape[3] * m].reshape(
                      C, yc.shape[2], yc.shape[3], m), yc)


def col2im_grad(x, wt, geometry, starts, c0, c1, y, scratch):
    """conv_kernels_t.conv_t_forward's chunks c0..c1 of one group, 2-d: x (N, Cin, OH, OW),
    wt (Cin, Cout*kh*kw) C-contiguous (the weight), y (N, Cout, H, W) written; starts: the
    chunks' first samples (and N)."""
    (kh, sh, dh, ph), (kw, sw, dw, pw) = geometry
    m = int(max(starts[i + 1] - starts[i] for i in range(c0, c1)))
    S = x.shape[2] * x.shape[3]
    xm = scratch("t_x", (x.shape[1] * S * m,), x.dtype)
    cols = scratch("t_cols", (wt.shape[1] * S * m,), x.dtype)
    canvas = scratch("t_canvas", (y.shape[1] * y.shape[2] * y.shape[3] * m,), x.dtype)
    _call(_col2im_chunks, x, wt, (kh, kw, sh, sw, dh, dw, ph, pw), starts, c0, c1, xm, cols,
          canvas, y, gemm())


@_jit
def _wgrad_chunks(b, a, geo, starts, c0, c1, cols, am, parts, sgemm):
    """_weight_grad_per_sample's chunks c0..c1: parts[c] (K, A) = columns(b[chunk]) (K, m*P)
    @ (a[chunk] as (A, m, P))^T."""
    kh, kw, sh, sw, dh, dw, ph, pw = geo
    A, OH, OW = a.shape[1], a.shape[2], a.shape[3]
    P = OH * OW
    C = b.shape[1]
    K = C * kh * kw
    for ci in range(c0, c1):
        s, e = starts[ci], starts[ci + 1]
        m = e - s
        cb = cols[:K * m * P]
        _columns_batch_inner(b[s:e], kh, kw, sh, sw, dh, dw, ph, pw,
                             cb.reshape(C, kh, kw, m, OH, OW))
        if m == 1:      # a's sample is already (A, P): no copy (the NumPy path's operand)
            _gemm_call(sgemm, cb.reshape(K, P), a[s].reshape(A, P), parts[ci], False, True)
            continue
        ac = a[s:e].reshape(m, A, P)
        at = am[:A * m * P].reshape(A, m, P)
        for o in range(A):
            for i in range(m):
                for p in range(P):
                    at[o, i, p] = ac[i, o, p]
        _gemm_call(sgemm, cb.reshape(K, m * P), at.reshape(A, m * P), parts[ci], False, True)


def weight_grad_samples(b, a, geometry, starts, c0, c1, parts, scratch):
    """parts[c] (K, A) of conv_kernels._weight_grad_per_sample's chunks c0..c1, 2-d: b (N,
    C, H, W) the conv's input, a (N, A, OH, OW) its output gradient, both C-contiguous."""
    (kh, sh, dh, ph), (kw, sw, dw, pw) = geometry
    m = int(max(starts[i + 1] - starts[i] for i in range(c0, c1)))
    P = a.shape[2] * a.shape[3]
    cols = scratch("cols", (parts.shape[1] * m * P,), b.dtype)
    am = scratch("gy", (a.shape[1] * m * P,), b.dtype)
    _call(_wgrad_chunks, b, a, (kh, kw, sh, sw, dh, dw, ph, pw), starts, c0, c1, cols, am,
          parts, gemm())


@_jit
def _batch_last_columns(b, s, m, geo, xt, cols, OH, OW):
    """cpu_kernels.im2col's batch-last columns of samples s..s+m of b (N, C, H, W), written
    into cols (flat, C*kh*kw*OH*OW*m): cols[c, ky, kx, oy, ox, i] = b_pad[s+i, c, oy*sh +
    ky*dh, ox*sw + kx*dw] (0 in the padding). b's chunk is transposed batch-last first (C, H,
    W, m) into xt, so every column entry is a run of m values; with stride 1 in width a whole
    output row's valid part is one run of (ox1 - ox0)*m values. Flat unsigned indices: with
    signed ones numba tests each for wraparound and LLVM vectorizes nothing (3x slower,
    2x slower than NumPy's strided copy)."""
    kh, kw, sh, sw, dh, dw, ph, pw = geo
    C, H, W = b.shape[1], b.shape[2], b.shape[3]
    n = numpy.uint64(C * H * W)
    um = numpy.uint64(m)
    bf = b.reshape(-1)
    for i in range(um):                     # xt[j, i] = b[s + i, j]
        src = (numpy.uint64(s) + i) * n
        for j in range(n):
            xt[j * um + i] = bf[src + j]
    row = OW * m
    for c in range(C):
        for ky in range(kh):
            for kx in range(kw):
                off = kx * dw - pw          # ix = ox*sw + off
                ox0 = 0
                while ox0 < OW and ox0 * sw + off < 0:
                    ox0 += 1
                ox1 = ox0
                while ox1 < OW and ox1 * sw + off < W:
                    ox1 += 1
                base = ((c * kh + ky) * kw + kx) * OH * row
                for oy in range(OH):
                    iy = oy * sh + ky * dh - ph
                    d = numpy.uint64(base + oy * row)
                    if iy < 0 or iy >= H or ox0 >= ox1:
                        for t in range(numpy.uint64(row)):
                            cols[d + t] = 0.0
                        continue
                    for t in range(numpy.uint64(ox0 * m)):
                        cols[d + t] = 0.0
                    src = (c * H + iy) * W * m
                    if sw == 1:
                        a0 = numpy.uint64(src + (ox0 + off) * m)
                        d0 = numpy.uint64(d + ox0 * m)
                        for t in range(numpy.uint64((ox1 - ox0) * m)):
                            cols[d0 + t] = xt[a0 + t]
                    else:
                        for ox in range(ox0, ox1):
                            a0 = numpy.uint64(src + (ox * sw + off) * m)
                            d0 = numpy.uint64(d + ox * m)
                            for i in range(um):
                                cols[d0 + i] = xt[a0 + i]
                    for t in range(numpy.uint64(ox1 * m), numpy.uint64(row)):
                        cols[d + t] = 0.0


@_jit
def _batch_last(a, s, m, out):
    """out (R, P*m) flat = a[s:s+m] (m, R, P) with the samples innermost (unsigned flat
    indices, as above)."""
    R, P = numpy.uint64(a.shape[1]), numpy.uint64(a.shape[2] * a.shape[3])
    um = numpy.uint64(m)
    af = a.reshape(-1)
    for i in range(um):
        src = (numpy.uint64(s) + i) * R * P
        for r in range(R):
            for p in range(P):
                out[(r * P + p) * um + i] = af[src + r * P + p]


@_jit
def _wgrad_batch_last_chunks(b, a, geo, starts, c0, c1, xt, cols, am, parts, sgemm):
    """weight_grad's batch-last chunks c0..c1: parts[c] (K, A) = cols (K, P*m) @ am^T, cols
    = cpu_kernels.im2col(b[chunk]) (C, kh, kw, OH, OW, m) and am = a[chunk] batch-last
    (A, OH*OW*m)."""
    C, kh, kw = b.shape[1], geo[0], geo[1]
    A, OH, OW = a.shape[1], a.shape[2], a.shape[3]
    P = OH * OW
    K = C * kh * kw
    for ci in range(c0, c1):
        s, e = starts[ci], starts[ci + 1]
        m = e - s
        _batch_last_columns(b, s, m, geo, xt, cols, OH, OW)
        _batch_last(a, s, m, am)
        _gemm_call(sgemm, cols[:K * P * m].reshape(K, P * m), am[:A * P * m].reshape(A, P * m),
                   parts[ci], False, True)


@_jit
def _forward_batch_last_chunks(x, wm, geo, starts, c0, c1, xt, cols, yt, y, sgemm):
    """conv_kernels._conv_forward's batch-last chunks c0..c1 (one group): yt (O, P*m) = wm
    (O, K) @ cpu_kernels.im2col(x[chunk]) (K, P*m), then y[chunk] (m, O, P) = yt's
    transpose per sample, as cpu_kernels.transpose2d copies it."""
    C, kh, kw = x.shape[1], geo[0], geo[1]
    O, OH, OW = y.shape[1], y.shape[2], y.shape[3]
    P = OH * OW
    K = C * kh * kw
    yf = y.reshape(-1)
    uo, up = numpy.uint64(O), numpy.uint64(P)
    for ci in range(c0, c1):
        s, e = starts[ci], starts[ci + 1]
        m = e - s
        _batch_last_columns(x, s, m, geo, xt, cols, OH, OW)
        _gemm_call(sgemm, wm, cols[:K * P * m].reshape(K, P * m),
                   yt[:O * P * m].reshape(O, P * m), False, False)
        um = numpy.uint64(m)
        for i in range(um):                 # y[s + i, o, p] = yt[o, p*m + i]
            dst = (numpy.uint64(s) + i) * uo * up
            for o in range(uo):
                for p in range(up):
                    yf[dst + o * up + p] = yt[(o * up + p) * um + i]


def forward_batch_last(x, wm, geometry, starts, c0, c1, y, scratch):
    """y[chunk] for conv_kernels._conv_forward's batch-last chunks c0..c1, one group, 2-d:
    x (N, C, H, W) and wm (O, C*kh*kw) C-contiguous float32, y (N, O, OH, OW) written."""
    (kh, sh, dh, ph), (kw, sw, dw, pw) = geometry
    m = int(max(starts[i + 1] - starts[i] for i in range(c0, c1)))
    P = y.shape[2] * y.shape[3]
    xt = scratch("bl_x", (x.shape[1] * x.shape[2] * x.shape[3] * m,), x.dtype)
    cols = scratch("bl_cols", (wm.shape[1] * P * m,), x.dtype)
    yt = scratch("bl_gy", (wm.shape[0] * P * m,), x.dtype)
    _call(_forward_batch_last_chunks, x, wm, (kh, kw, sh, sw, dh, dw, ph, pw), starts, c0, c1,
          xt, cols, yt, y, gemm())


def weight_grad_batch_last(b, a, geometry, starts, c0, c1, parts, scratch):
    """parts[c] (K, A) of conv_kernels.weight_grad's batch-last chunks c0..c1, one group,
    2-d: b (N, C, H, W) the conv's input, a (N, A, OH, OW) its output gradient, both
    C-contiguous."""
    (kh, sh, dh, ph), (kw, sw, dw, pw) = geometry
    m = int(max(starts[i + 1] - starts[i] for i in range(c0, c1)))
    P = a.shape[2] * a.shape[3]
    xt = scratch("bl_x", (b.shape[1] * b.shape[2] * b.shape[3] * m,), b.dtype)
    cols = scratch("bl_cols", (parts.shape[1] * P * m,), b.dtype)
    am = scratch("bl_gy", (a.shape[1] * P * m,), b.dtype)
    _call(_wgrad_batch_last_chunks, b, a, (kh, kw, sh, sw, dh, dw, ph, pw), starts, c0, c1,
          xt, cols, am, parts, gemm())


@_jit
def _forward_samples_chunks(x, wm, geo, starts, c0, c1, B, cols, y, sgemm):
    """conv_kernels._forward_per_sample's chunks c0..c1: numba_conv's per-sample columns (m,
    B, K, P/B) of each chunk, then one GEMM per sample and block, wm (O, K) @ cols[i, blk],
    written into y[sample] (O, P)'s columns blk*P/B.. (ldc P): the products NumPy's matmul
    makes for the chunk's (m, B) stack into y's strided view."""
    kh, kw, sh, sw, dh, dw, ph, pw = geo
    C, O, OH, OW = x.shape[1], y.shape[1], y.shape[2], y.shape[3]
    K, Q = C * kh * kw, OH * OW // B
    for ci in range(c0, c1):
        s, e = starts[ci], starts[ci + 1]
        m = e - s
        cm = cols[:m * B * K * Q]
        _columns_samples(x[s:e], kh, kw, sh, sw, dh, dw, ph, pw,
                         cm.reshape(m, B, C, kh, kw, OH // B, OW))
        c4 = cm.reshape(m, B, K, Q)
        for i in range(m):
            yi = y[s + i].reshape(O, B * Q)
            for blk in range(B):
                _gemm_call(sgemm, wm, c4[i, blk], yi[:, blk * Q:(blk + 1) * Q], False, False)


def forward_samples(x, wm, geometry, out, rows, starts, c0, c1, y, scratch):
    """y[chunk] for conv_kernels._forward_per_sample's chunks c0..c1, 2-d: x (N, C, H, W)
    and wm (O, C*kh*kw) C-contiguous float32, y (N, O, OH, OW) written; rows: output rows per
    GEMM block (0: one GEMM per sample)."""
    (kh, sh, dh, ph), (kw, sw, dw, pw) = geometry
    m = int(max(starts[i + 1] - starts[i] for i in range(c0, c1)))
    B = out[0] // rows if rows else 1
    cols = scratch("cols", (m * wm.shape[1] * out[0] * out[1],), x.dtype)
    _call(_forward_samples_chunks, x, wm, (kh, kw, sh, sw, dh, dw, ph, pw), starts, c0, c1,
          B, cols, y, gemm())


@_jit
def _sum_parts(parts, bounds, k0, k1, out):
    """out[j, k] (k0 <= k < k1) = ((0 + run_0) + run_1) + ..., run_g = ((p_b + p_b+1) + ...)
    + p_e-1 over parts[b:e, k, j] for the groups b, e = bounds[g], bounds[g+1]: the NumPy
    path's array additions in their order, element by element (the same bits)."""
    A = parts.shape[2]
    run = numpy.empty(A, parts.dtype)
    tot = numpy.empty(A, parts.dtype)
    for k in range(k0, k1):
        tot[:] = 0
        for g in range(bounds.shape[0] - 1):
            b, e = bounds[g], bounds[g + 1]
            for j in range(A):
                run[j] = parts[b, k, j]
            for c in range(b + 1, e):
                for j in range(A):
                    run[j] = run[j] + parts[c, k, j]
            for j in range(A):
                tot[j] = tot[j] + run[j]
        for j in range(A):
            out[j, k] = tot[j]


def sum_parts(parts, bounds, k0, k1, out):
    """out (A, K)[:, k0:k1] = the sum of parts (n, K, A) over n in the groups whose first
    chunks are `bounds` (int64, then n), transposed: see _sum_parts."""
    _call(_sum_parts, parts, bounds, k0, k1, out)
