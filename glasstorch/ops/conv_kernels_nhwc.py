"""Array kernels of the convolution ops on channels-last data (torch.channels_last): the
arrays keep their (N, C, *S) shape but their memory is (N, *S, C), so `x.transpose(0, 2, 3,
1)` is a C-contiguous (N, H, W, C) array at no cost, and the results are laid out the same
way: a network converted once (`model.to(memory_format=torch.channels_last)`, the input
likewise) never goes back to NCHW between layers. One group only (the others, empty inputs
and few-channel input gradients take conv_kernels.py's NCHW path and are laid out
channels-last afterwards: ops/conv.py).

With a pixel's C values adjacent, the GEMMs need no transposes:

    forward        y (n*P, O) = cols (n*P, k*C) @ W^T    cols[p, (j, c)] = x_pad[p*s + j*d, c]
                   1x1 kernels: cols is x itself (strided: subsampled), one GEMM, no im2col
    input grad     stride 1 and gy with no more channels than x: the forward with the
                   flipped kernel (no col2im); else cols = gy @ W, then col2im (one strided
                   add per kernel offset)
    weight grad    gW (O, k*C) = gy^T (O, n*P) @ cols (n*P, k*C), summed over the chunks

Columns are built for chunks of whole samples (~1 MiB of columns each, still in cache when
their GEMM reads them), and the chunks run on the thread pool with one-thread GEMMs, as in
conv_kernels.py. A geometry is a tuple of (kernel, stride, dilation, padding_before) per
spatial dim; the kernels take N-d inputs, but only 2-d convs reach them (torch's conv3d
returns contiguous results for channels_last_3d input).
"""
import itertools
import threading

from .. import _memory_format as _mf
from ..backend import xp as _xp, cpu_kernels as _k, kernels as _kernels, memory as _mem, \
    threads as _threads
from . import layout as _layout

__all__ = ["conv_forward", "conv_t_forward", "weight_grad", "nhwc", "from_nhwc",
           "use_channels_last", "to_channels_last", "takes", "channels_last_like"]

# ~1 MiB of columns per chunk: the ResNet step (channels-last, 1 thread, numba im2col) took
# 459-471 ms with 1 MiB chunks, 471-514 with 2 MiB, 465-493 with 768 KiB (load ~9, CPU time)
_CHUNK_BYTES = 1 << 20
_FLIP = True     # stride-1 input gradients as flipped-kernel convolutions (tests switch it)


def _prod(xs):
    p = 1
    for v in xs:
        p *= v
    return p


def use_channels_last(x, w):
    """torch's rule: a 2-d convolution's result is channels-last when its input's or its
    weight's strides suggest that format (ops/layout.py); its gradients follow. (torch's CPU
    conv3d returns a contiguous result for channels_last_3d input too: so does glasstorch.)"""
    return x.ndim == 4 and (_layout.channels_last_like(x) or _layout.channels_last_like(w))


channels_last_like = _layout.channels_last_like


def to_channels_last(y):
    """A copy of an NCHW result laid out channels-last (the NCHW-kernel fallbacks)."""
    return _layout.copy_as(y, _mf.channels_last if y.ndim == 4 else _mf.channels_last_3d)


# Transposed convs (a conv's input gradient) with few channels on either side run on the
# NCHW kernels, the result laid out channels-last after: their NHWC col2im adds (or flipped
# columns) move runs of only C values. Measured, 1 thread, batch 64, fwd+bwd: LeNet's 6 -> 16
# 5x5 conv + max pool 8.9 ms all-NHWC, 6.4 so, 6.2 NCHW; forward and weight gradient stay on
# the NHWC kernels (ResNet's 3 -> 32 stem: 15.7 ms, 26.8 with everything on NCHW kernels,
# 17.6 for an NCHW input).
_NHWC_MIN_CHANNELS = 16


def takes(a, b, channels, geometry, groups):
    """Whether these kernels take a call on the arrays a and b whose channel counts (input
    and output) are `channels` (None: any); else the NCHW kernels and to_channels_last."""
    if groups != 1 or not a.size or not b.size:
        return False
    return _pointwise(geometry) or channels is None or min(channels) >= _NHWC_MIN_CHANNELS


def nhwc(a):
    """(N, C, *S) -> C-contiguous (N, *S, C): a view when `a` is channels-last, else a copy
    (contiguous `a`: blocked transposes per sample, backend/cpu_kernels.transpose2d)."""
    v = _xp.moveaxis(a, 1, -1)
    if v.flags.c_contiguous or not a.flags.c_contiguous or a.ndim < 3 or not a.size:
        return _xp.ascontiguousarray(v)
    out = _mem.empty(v.shape, a.dtype)
    N, C = a.shape[:2]
    _transposed(a.reshape(N, C, -1), out.reshape(N, -1, C))
    return out


def _copy_kernels():
    """backend/numba_kernels.py for the passes that are copies or adds in NumPy's order
    (tiled transposes, im2col with the padding fused, col2im: the same bits, tested), when
    numba is selected or may run exact kernels (backend/kernels.py), else None. At 2 threads
    (batch 64, real-time priority, median of 25 calls) the stride-2 input gradients of
    ResNet-small went 11.3 -> 7.6 ms (64 -> 32 channels) and 6.5 -> 4.6 (128 -> 64)."""
    return _kernels.numba_kernels() or _kernels.exact_kernels()


# A compiled transpose (one nogil call per slice) splits over the pool from this many bytes
_COPY_SPLIT_BYTES = 1 << 20


def _transposed(src, dst):
    """dst[n] = src[n].T for (N, A, B) -> (N, B, A), C-contiguous both, over the pool."""
    nb = _copy_kernels()
    if nb is not None and src.dtype in (_xp.float32, _xp.float64):
        _threads.parallel_for(src.shape[0], lambda i, j: nb.transpose(src[i:j], dst[i:j]),
                              src.nbytes, threshold=_COPY_SPLIT_BYTES)
        return
    _threads.parallel_for(src.shape[0], lambda i, j: [_k.transpose2d(src[n], dst[n])
                                                      for n in range(i, j)], src.nbytes)


def contiguous(a):
    """A channels-last (N, C, *S) array's C-contiguous copy, by the blocked transposes per
    sample of nhwc() (NumPy's own copy of that view: 1.9 ms for 64 x 32 x 32 x 32 float32)."""
    N, C = a.shape[:2]
    out = _mem.empty(a.shape, a.dtype)
    if a.size:
        _transposed(nhwc(a).reshape(N, -1, C), out.reshape(N, C, -1))
    return out


def from_nhwc(a):
    """(N, *S, C) -> the (N, C, *S) view of it (a channels-last array)."""
    return _xp.moveaxis(a, -1, 1)


def _chunks(n, sample_bytes):
    step = max(1, _CHUNK_BYTES // max(sample_bytes, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


# Weight gradients add one product per chunk of samples: in at most _SUM_GROUPS runs of
# consecutive chunks (fixed by the chunk count alone), the runs on the thread pool, then the
# runs in order, so the bits do not depend on the thread count (conv_kernels.py too)
_SUM_GROUPS = 4


def _chunk_groups(count):
    """range(count) as at most _SUM_GROUPS consecutive runs, fixed by count alone."""
    g = min(count, _SUM_GROUPS)
    return [slice(count * i // g, count * (i + 1) // g) for i in range(g)]


def _per_chunk(n, sample_bytes, fn):
    """fn(slice) for chunks of range(n) spread over the thread pool, BLAS one thread each."""
    chunks = _chunks(n, sample_bytes)
    _threads.parallel_for(len(chunks), lambda i, j: [fn(c) for c in chunks[i:j]],
                          n * sample_bytes, blas_serial=True)


def _pointwise(geometry):
    return all(k == 1 and p == 0 for k, s, d, p in geometry)


def _windows(xh, geometry, out):
    """The read-only (n, *out, *k, C) view of xh's windows (zero-padded into a canvas first
    when the geometry pads): windows[n, o.., j.., c] = x_pad[n, o*s + j*d, c]."""
    nd = len(geometry)
    size = xh.shape[1:-1]
    need = tuple(max((o - 1) * s + (k - 1) * d + 1, 0) for o, (k, s, d, p) in
                 zip(out, geometry))
    if any(p for k, s, d, p in geometry) or any(e > n for e, n in zip(need, size)):
        shape = tuple(max(e, p + n) for e, (k, s, d, p), n in zip(need, geometry, size))
        canvas = _xp.zeros((xh.shape[0],) + shape + (xh.shape[-1],), xh.dtype)
        canvas[(slice(None),) + tuple(slice(g[3], g[3] + n) for g, n in
                                      zip(geometry, size))] = xh
        xh = canvas
    st = xh.strides
    shape = (xh.shape[0],) + tuple(out) + tuple(g[0] for g in geometry) + (xh.shape[-1],)
    strides = ((st[0],) + tuple(st[1 + i] * g[1] for i, g in enumerate(geometry))
               + tuple(st[1 + i] * g[2] for i, g in enumerate(geometry)) + (st[-1],))
    assert len(shape) == 2 * nd + 2
    return _xp.lib.stride_tricks.as_strided(xh, shape, strides, writeable=False)


_local = threading.local()


def _scratch(shape, dtype):
    """This thread's column buffer (64-byte aligned, grown as needed) viewed as `shape`: the
    columns of one chunk live only until its GEMM has read them, so one buffer per thread
    serves every chunk (no allocation per chunk)."""
    nbytes = _prod(shape) * _xp.dtype(dtype).itemsize
    buf = getattr(_local, "buf", None)
    if buf is None or buf.nbytes < nbytes:
        buf = _local.buf = _mem.empty(max(nbytes, 1), _xp.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


def _columns(xh, geometry, out):
    """The (n*P, k*C) column matrix of xh's windows (im2col), in this thread's scratch
    buffer (valid until its next call): by the numba kernel (padding fused,
    backend/kernels.py) when selected, else by NumPy."""
    nb = _copy_kernels()
    shape = (xh.shape[0],) + tuple(out) + tuple(g[0] for g in geometry) + (xh.shape[-1],)
    cols = _scratch(shape, xh.dtype)
    if nb is not None and len(geometry) == 2 and xh.dtype in (_xp.float32, _xp.float64) \
            and xh.flags.c_contiguous:
        nb.im2col_nhwc(xh, geometry, out, cols)
    else:
        _threads.copy(cols, _windows(xh, geometry, out))
    return cols.reshape(-1, _prod(shape[1 + len(out):]))


def _gemm_forward(xh, wm, geometry, out):
    """yh (N, *out, O) = cols(xh) @ wm^T, wm (O, k*C) with columns ordered (j.., c)."""
    N, C = xh.shape[0], xh.shape[-1]
    O, K, P = wm.shape[0], wm.shape[1], _prod(out)
    yh = _mem.empty((N,) + tuple(out) + (O,), xh.dtype)
    y2 = yh.reshape(N * P, O)
    wt = wm.T
    if _pointwise(geometry):
        if all(g[1] == 1 for g in geometry):               # the input is the column matrix
            x2 = xh.reshape(N * P, C)
            _threads.parallel_for(N, lambda i, j: _xp.matmul(
                x2[i * P:j * P], wt, out=y2[i * P:j * P]), y2.nbytes, blas_serial=True)
            return yh
        sub = (slice(None),) + tuple(slice(None, g[1] * (o - 1) + 1, g[1])
                                     for g, o in zip(geometry, out))
        xs = xh[sub]

        def pw(n):
            cols = _xp.ascontiguousarray(xs[n]).reshape(-1, C)
            _xp.matmul(cols, wt, out=y2[n.start * P:n.stop * P])
        _per_chunk(N, P * C * xh.itemsize, pw)
        return yh

    def chunk(n):
        _xp.matmul(_columns(xh[n], geometry, out), wt, out=y2[n.start * P:n.stop * P])
    _per_chunk(N, P * K * xh.itemsize, chunk)
    return yh


def _wmat(w):
    """(O, C, *k) -> (O, k*C) with columns ordered (j.., c): a view of channels-last w."""
    return _xp.ascontiguousarray(_xp.moveaxis(w, 1, -1)).reshape(w.shape[0], -1)


def conv_forward(x, w, geometry, out):
    """x (N, C, *S), w (O, C, *k) -> y (N, O, *out), channels-last."""
    return from_nhwc(_gemm_forward(nhwc(x), _wmat(w), geometry, out))


def conv_t_forward(x, w, geometry, out):
    """x (N, Cin, *S), w (Cin, Cout, *k) -> y (N, Cout, *out) channels-last: the adjoint of
    conv_forward (a conv's input gradient). Stride 1 (padding within the kernel's reach): the
    forward of the flipped kernel with in/out channels swapped; else GEMM + col2im."""
    nd = len(geometry)
    kshape = w.shape[2:]
    xh = nhwc(x)
    N, Cin = xh.shape[0], xh.shape[-1]
    Cout = w.shape[1]
    size = xh.shape[1:-1]
    # flip when its columns (Cin per kernel offset) are no more than col2im's adds (Cout), as
    # conv_kernels.py decides
    if _FLIP and Cin <= Cout and all(s == 1 and p <= d * (k - 1) for k, s, d, p in geometry):
        flipped = w[(slice(None), slice(None)) + (slice(None, None, -1),) * nd]
        wm = _xp.ascontiguousarray(_xp.moveaxis(flipped, 0, -1)).reshape(Cout, -1)
        geo = tuple((k, 1, d, d * (k - 1) - p) for k, s, d, p in geometry)
        return from_nhwc(_gemm_forward(xh, wm, geo, out))
    # cols[(n, i..), (j.., c)] = sum_ci x[n, i.., ci] w[ci, c, j..]; added back at
    # y_pad[i*s + j*d] for every kernel offset j
    wm = _xp.ascontiguousarray(_xp.moveaxis(w, 1, -1)).reshape(Cin, -1)
    P = _prod(size)
    yh = _mem.empty((N,) + tuple(out) + (Cout,), x.dtype)
    span = tuple(max((n - 1) * s + (k - 1) * d + 1, p + o) for n, (k, s, d, p), o in
                 zip(size, geometry, out))

    nb = _copy_kernels()
    nb = nb if nd == 2 and x.dtype in (_xp.float32, _xp.float64) else None

    def chunk(n):
        m = n.stop - n.start
        cols = (xh[n].reshape(m * P, Cin) @ wm).reshape((m,) + tuple(size) + tuple(kshape)
                                                         + (Cout,))
        if nb is not None:
            nb.col2im_nhwc(cols, geometry, yh[n])
            return
        canvas = _xp.zeros((m,) + span + (Cout,), x.dtype)
        for j in itertools.product(*[range(k) for k in kshape]):
            sl = tuple(slice(jj * d, jj * d + (sz - 1) * s + 1, s) for jj, (k, s, d, p), sz
                       in zip(j, geometry, size))
            canvas[(slice(None),) + sl] += cols[(slice(None),) * (1 + nd) + j]
        yh[n] = canvas[(slice(None),) + tuple(slice(g[3], g[3] + o) for g, o in
                                              zip(geometry, out))]
    _per_chunk(N, P * _prod(kshape) * Cout * x.itemsize, chunk)
    return from_nhwc(yh)


def weight_grad(a, b, geometry, channels_last):
    """gW[o, c, j] = sum_{n, p} a[n, o, p] * b_pad[n, c, p*s + j*d]: (A, B, *k), laid out
    channels-last when `channels_last` (the weight's own format), else contiguous."""
    ah, bh = nhwc(a), nhwc(b)
    N, A, B = ah.shape[0], ah.shape[-1], bh.shape[-1]
    out = ah.shape[1:-1]
    kshape = tuple(g[0] for g in geometry)
    P, K = _prod(out), _prod(kshape) * B
    a2 = ah.reshape(N * P, A)
    chunks = _chunks(N, P * K * ah.itemsize)
    groups = _chunk_groups(len(chunks))
    parts = {}

    def group_sum(group):
        total = None
        for n in chunks[group]:
            if _pointwise(geometry) and all(g[1] == 1 for g in geometry):
                cols = bh[n].reshape(-1, B)
            else:
                cols = _columns(bh[n], geometry, out)
            # (cols^T a)^T: ~10% faster in OpenBLAS than a^T cols for these shapes
            v = cols.T @ a2[n.start * P:n.stop * P]
            total = v if total is None else total + v
        return total

    def run(i, j):
        for k in range(i, j):
            parts[k] = group_sum(groups[k])
    _threads.parallel_for(len(groups), run, N * P * K * ah.itemsize, blas_serial=True)
    gw = _xp.zeros((K, A), a.dtype)
    for i in sorted(parts):          # in order: the same bits at any thread count
        if parts[i] is not None:
            gw += parts[i]
    gw = from_nhwc(_xp.ascontiguousarray(gw.T).reshape((A,) + kshape + (B,)))
    return gw if channels_last else _xp.ascontiguousarray(gw)
