"""Row columns: the forward of a one-group 2-d convolution with stride 1 along the height
as kh GEMMs on columns gathered along the width only (ops/conv_kernels.py calls it).

im2col copies every input value kh*kw times (columns (C*kh*kw, OH*OW) per sample); here the
columns are R[(c, kx), h, ox] = x_pad[c, h, ox*sw + kx*dw] for every padded row h, kw copies
per value. Kernel row ky reads the OH consecutive rows from h = ky*dh, a contiguous run of
R's last axis, so

    y[o, (oy, ox)] = sum_ky  W[:, :, ky, :] (O, C*kw)  @  R[:, ky*dh*OW : ky*dh*OW + OH*OW]

is kh GEMMs on views of R (BLAS reads them with a leading dimension: no copy), the first
written into y, the others added. Few channels make im2col's copy the larger part of a conv;
LeNet's 6 -> 16 5x5 conv on 14x14 (batch 128, 1 thread, CPU time): 1.39 -> 1.04-1.09 ms.
"""
from ..backend import xp as _xp, memory as _mem
from . import conv_kernels as _ck

__all__ = ["takes", "conv_forward"]

_ON = True                 # tests switch it off and on
# Where it wins, measured per shape (1 thread, CPU ms per forward, im2col path -> rows):
# LeNet 1 -> 6 5x5 pad 2 at 28x28 (batch 128) 1.35 -> 1.06, LeNet 6 -> 16 5x5 at 14x14 1.35
# -> 1.05, 16 -> 32 5x5 at 16x16 (batch 64) 6.9 -> 4.4, 3 -> 16 7x7 stride (1, 2) 1.02 ->
# 0.51, 16 -> 16 3x3 at 32x32 6.2 -> 4.7; where it loses, many output channels per column
# row (O > 2*C*kw: the kh GEMMs with K = C*kw run slowly): 3 -> 32 5x5 4.9 -> 5.1, 3 -> 32
# 3x3 (ResNet's stem) 2.0 -> 3.6, 32 -> 32 3x3 16.0 -> 17.8 (batch 64, 32x32). 3x3 kernels
# keep im2col (ResNet's layers: not measured in a whole step yet).
_MAX_CHANNELS = 16
_MIN_KERNEL = 5


def takes(x, w, geometry, groups):
    """The shapes this path runs: one group, 2-d, stride 1 along the height, few input
    channels (<= _MAX_CHANNELS), kernels of >= _MIN_KERNEL rows, O <= 2 * C * kw."""
    return (_ON and groups == 1 and len(geometry) == 2 and geometry[0][1] == 1
            and x.shape[1] <= _MAX_CHANNELS and geometry[0][0] >= _MIN_KERNEL
            and w.shape[0] <= 2 * x.shape[1] * geometry[1][0] and x.dtype.kind == "f")


def conv_forward(x, w, geometry, out, bias=None):
    """x (N, C, H, W), w (O, C, kh, kw) -> y (N, O, OH, OW), + bias (O,) if given: added per
    chunk while its part of y is in cache (a separate pass over LeNet's first conv output,
    2.4 MB, took 0.2 ms of its 1.2)."""
    N, C = x.shape[:2]
    O = w.shape[0]
    (kh, _, dh, _), (kw, sw, dw, _) = geometry
    OH, OW = out
    P = OH * OW
    y = _mem.empty((N, O, P), x.dtype)
    if not y.size:
        return y.reshape((N, O) + tuple(out))
    wk = [_xp.ascontiguousarray(w[:, :, j, :]).reshape(O, C * kw) for j in range(kh)]
    H = max((OH - 1) + (kh - 1) * dh + 1, geometry[0][3] + x.shape[2])   # canvas rows
    b = None if bias is None else bias.reshape(O, 1)
    nb = _ck._fused(x, O, C * kw, OH * OW)
    if nb is not None:              # one GIL-free call per thread (numba_conv_gemm.py)
        wks = _xp.ascontiguousarray(_xp.stack(wk))
        _ck._per_slice(N, N * C * kw * H * OW * x.itemsize, lambda i, j: nb.rows_forward(
            x, wks, geometry, out, H, bias, y, i, j, _ck._scratch))
        return y.reshape((N, O) + tuple(out))

    def chunk(n):
        m = n.stop - n.start
        xp = _ck._padded(x[n], geometry, out)              # (m, C, H, W_span)
        st = xp.strides
        shape = (m, C, kw, H, OW)
        rows = _ck._scratch("rows", shape, x.dtype)
        _xp.copyto(rows, _xp.lib.stride_tricks.as_strided(
            xp, shape, (st[0], st[1], st[3] * dw, st[2], st[3] * sw), writeable=False))
        r = rows.reshape(m, C * kw, H * OW)
        yn = y[n]
        _xp.matmul(wk[0], r[:, :, :P], out=yn)
        tmp = _ck._scratch("rows_sum", (m, O, P), x.dtype)
        for j in range(1, kh):
            start = j * dh * OW
            _xp.matmul(wk[j], r[:, :, start:start + P], out=tmp)
            yn += tmp
        if b is not None:
            yn += b
    _ck._per_chunk(N, C * kw * H * OW * x.itemsize, chunk, _ck._SAMPLE_CHUNK_BYTES)
    return y.reshape((N, O) + tuple(out))
