"""Array kernels of the convolution ops (ops/conv.py holds the Ops, their gradients and the
argument checks): forward and weight gradient of an N-d convolution on NCHW arrays (the
transposed forward, i.e. every input gradient, is conv_kernels_t.py's, on these helpers),
as im2col + GEMM over chunks of the batch, with the special cases

    1x1 kernels (any stride)   one GEMM per sample on (C, H*W), no im2col, no transposes
    few channels, >= 5x5       (forward, stride 1 in height) kh GEMMs on columns gathered
                               along the width only (conv_kernels_rows.py)
    >= 256 output pixels       (one group) per-sample columns, each GEMM writing its sample's
                               output in place; smaller outputs use batch-last columns
    stride-1 transposed conv   (= a conv's input gradient) a conv with the flipped kernel
                               when that copies no more columns than col2im would add back
    other transposed 2-d convs (a strided conv's input gradient) on the channels-last
                               kernels (conv_kernels_nhwc.py), the result made contiguous
    numba installed            the col2im of transposed convs (input gradients) runs in
                               backend/numba_conv.py, the same bits (kernels.numba_for_exact)
    2 threads                  the chunks (im2col + one-thread GEMM + copy out) split over the
                               pool in backend/threads.py; weight gradients summed per thread

A geometry is a tuple of (kernel, stride, dilation, padding_before) per spatial dim.
"""
import threading

from ..backend import xp as _xp, cpu_kernels as _k, memory as _mem, threads as _threads
from ..backend import kernels as _kernels
from . import conv_kernels_nhwc as _nhwc, conv_regions as _regions

__all__ = ["conv_forward", "weight_grad"]     # conv_t_forward: conv_kernels_t.py


def _prod(xs):
    p = 1
    for v in xs:
        p *= v
    return p


# The columns are built for one chunk of the batch at a time, about this many bytes: memory
# stays bounded (torch's kernels never hold a whole batch's columns either) and each chunk is
# still in cache when its GEMM reads it (LeNet's first conv, fwd + bwd, runs ~1.5x faster).
_CHUNK_BYTES = 2 << 20


def _batch_chunks(n, sample_bytes, chunk_bytes=None):
    """Slices covering range(n), each holding about chunk_bytes (default _CHUNK_BYTES) of
    columns (>= 1 sample)."""
    step = max(1, (chunk_bytes or _CHUNK_BYTES) // max(sample_bytes, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


# Both cores: the chunks of a batch are independent (im2col + GEMM + copy out each), so with
# 2 threads each thread runs half of them with a one-thread GEMM (backend/threads.py). Splitting
# every small chunk GEMM inside OpenBLAS instead gained ~1.1x; chunks in parallel also overlap
# the copies. Weight gradients are summed in fixed runs of chunks, then in order (the same
# bits at any thread count: conv_kernels_nhwc._chunk_groups).

def _per_chunk(n, sample_bytes, fn, chunk_bytes=None):
    """fn(slice) for every chunk of range(n), the chunks spread over the thread pool."""
    chunks = _batch_chunks(n, sample_bytes, chunk_bytes)
    _threads.parallel_for(len(chunks), lambda i, j: [fn(c) for c in chunks[i:j]],
                          n * sample_bytes, blas_serial=True)


# A slice that is one GIL-free call (backend/numba_conv_gemm.py) splits from this many bytes
# of columns on: the pool's hand-off (30-150 us) is then its only cost.
_FUSED_SPLIT_BYTES = 1 << 20


# The calling thread starts its slice ~50-70 us before a woken pool thread does, and when it
# finishes first it sleeps until the pool thread's slice is done (another ~60 us wake-up): so
# the first slice (the caller's) is this much larger than the others. LeNet's five conv
# regions at 2 threads (real-time priority): ~60 us less per region.
_CALLER_SHARE = 1.25
# Chunks of this many bytes of columns or more (~0.3-1 ms of work each) are claimed one at a
# time instead: fixed slices left the caller 6 of 10 chunks (ResNet-small's 8x8 weight
# gradients) or 36 of 64 (its 32x32 ones), so the caller then ran ~20% longer than the pool
# thread while the pool thread idled; claimed one by one they finish within a chunk.
_CLAIM_BYTES = 1 << 19


def _per_slice(n, nbytes, fn, joinable=False):
    """fn(start, stop) over one slice of range(n) per thread (fn: one GIL-free call), the
    first slice (which the caller claims) _CALLER_SHARE times the others; items (chunks) of
    _CLAIM_BYTES or more each are claimed one at a time by whichever thread is free.
    joinable: inside a conv_regions.joined() block the call is only queued (its result is
    read after the block), to run in the block's one region."""
    t = min(_threads.get_num_threads(), n)
    if t <= 1:      # (parallel_for runs it here, OpenBLAS on one thread: its bits)
        _threads.parallel_for(n, fn, nbytes, blas_serial=True)
        return
    claim = nbytes >= n * _CLAIM_BYTES
    queue = _regions.queue() if joinable else None
    if queue is not None and t == _threads.get_num_threads():
        queue.append((claim, n, nbytes, fn))        # run by conv_regions.joined
        return
    if claim:
        _threads.parallel_for(n, fn, nbytes, blas_serial=True, slices=n,
                              threshold=_FUSED_SPLIT_BYTES)
        return
    edges = _slice_edges(n, t)
    _threads.parallel_for(t, lambda i, j: fn(edges[i], edges[j]), nbytes, blas_serial=True,
                          threshold=_FUSED_SPLIT_BYTES)


def _slice_edges(n, t):
    total = _CALLER_SHARE + t - 1
    return [0] + [min(n - t + i, max(i, round(n * (_CALLER_SHARE + i - 1) / total)))
                  for i in range(1, t)] + [n]


def _fused(x, *dims):
    """backend/numba_conv_gemm.py when it runs this conv with the NumPy path's bits (numba
    for exact kernels, float32, C-contiguous x, NumPy's sgemm found, no GEMM size in dims
    of 1: NumPy's matmul takes gemv there, other bits), else None."""
    if x.dtype != _xp.float32 or not x.flags.c_contiguous or min(dims, default=2) < 2 \
            or not _kernels.numba_for_exact():
        return None
    from ..backend import numba_conv_gemm
    return numba_conv_gemm if numba_conv_gemm.gemm() is not None else None


def _chunk_starts(n, sample_bytes, chunk_bytes=None):
    """The first sample of every chunk of _batch_chunks, then n (an int64 array)."""
    chunks = _batch_chunks(n, sample_bytes, chunk_bytes)
    return _xp.array([c.start for c in chunks] + [n], _xp.int64)


# 1x1 convs (ResNet's projection shortcuts) split over the pool from this much output on:
# below THRESHOLD their per-sample GEMMs (>= 2^18 multiply-adds) ran on OpenBLAS's 2 threads,
# whose worker then spun ~13 ms (threads.BLAS_SPIN_EXPONENT), and with the process at
# real-time priority the pool thread could not start on that core meanwhile: the next
# regions (BatchNorm, a 3x3 conv) ran on one thread (ResNet-small at 2 threads: 4-6 such
# regions, ~10 ms per step)
_POINTWISE_SPLIT_BYTES = 1 << 20


def _per_samples(n, fn, nbytes):
    """fn(slice) over slices of range(n) on the thread pool (a GEMM per sample each)."""
    _threads.parallel_for(n, lambda i, j: fn(slice(i, j)), nbytes, blas_serial=True,
                          threshold=_POINTWISE_SPLIT_BYTES)


def _sum_per_chunk(n, sample_bytes, fn, zero, chunk_bytes=None, threshold=None):
    """The sum over the chunks of range(n) of fn(slice): partial sums over fixed runs of
    chunks (_nhwc._chunk_groups), added in order: the same bits at any thread count."""
    chunks = _batch_chunks(n, sample_bytes, chunk_bytes)
    groups = _nhwc._chunk_groups(len(chunks))
    parts = {}

    def run(i, j):
        for g in range(i, j):
            total = None
            for c in chunks[groups[g]]:
                v = fn(c)
                total = v if total is None else total + v
            parts[g] = total
    _threads.parallel_for(len(groups), run, n * sample_bytes, blas_serial=True,
                          threshold=threshold)
    total = zero                   # (an empty batch has no chunks)
    for i in sorted(parts):
        if parts[i] is not None:
            total = total + parts[i]
    return total


_FLIP = True     # stride-1 input gradients as flipped-kernel convolutions (tests switch it)
_NHWC_STRIDED = True    # other transposed convs on the channels-last kernels (tests switch it)


def _pointwise(geometry, groups):
    """A 1x1 kernel without padding or dilation (any stride), one group: a plain GEMM per
    sample on NCHW data, no im2col and no transposes (ResNet's projection shortcuts)."""
    return groups == 1 and all(k == 1 and p == 0 for k, s, d, p in geometry)


def _subsample(x, geometry, out):
    """x[..., ::s1, ::s2] (the out[i] positions a strided 1x1 kernel reads) as (N, C, P)."""
    sl = tuple(slice(None, g[1] * (o - 1) + 1, g[1]) for g, o in zip(geometry, out))
    return x[(slice(None), slice(None)) + sl].reshape(x.shape[0], x.shape[1], -1)


def conv_forward(x, w, geometry, groups, out, bias=None):
    """x (N, C, *S), w (O, C/G, *k) -> y (N, O, *out), + bias (O,) if given."""
    from . import conv_kernels_rows as _rows      # (imports this module)
    if _rows.takes(x, w, geometry, groups):
        return _rows.conv_forward(x, w, geometry, out, bias)
    y = _conv_forward(x, w, geometry, groups, out)
    if bias is not None:
        y += bias.reshape((-1,) + (1,) * (y.ndim - 2))
    return y


def _conv_forward(x, w, geometry, groups, out):
    N, C = x.shape[:2]
    O = w.shape[0]
    G = groups
    if _pointwise(geometry, G):
        xs = _subsample(x, geometry, out)
        y = _mem.empty((N, O, xs.shape[2]), x.dtype)
        _per_samples(N, lambda n: _xp.matmul(w.reshape(O, C), xs[n], out=y[n]), y.nbytes)
        return y.reshape((N, O) + tuple(out))
    K, P = C // G * _prod(w.shape[2:]), _prod(out)
    if G == 1 and _PER_SAMPLE and P >= _PER_SAMPLE_MIN_P:
        return _forward_per_sample(x, w.reshape(O, K), geometry, out)
    wm = w.reshape(G, O // G, K)
    y = _mem.empty((N, O) + tuple(out), x.dtype)
    fz = _fused(x, O, K, P) if G == 1 and len(out) == 2 and w.dtype == x.dtype and N else None
    if fz is not None:      # the chunks below, one GIL-free call per thread
        starts, w2 = _chunk_starts(N, K * P * x.itemsize), _xp.ascontiguousarray(wm[0])
        _per_slice(len(starts) - 1, N * K * P * x.itemsize, lambda i, j: fz.forward_batch_last(
            x, w2, geometry, starts, i, j, y, _scratch))
        return y

    def chunk(n):
        cols = _k.im2col(x[n], geometry, out).reshape(G, K, P * (n.stop - n.start))
        yn = wm[0] @ cols[0] if G == 1 else _xp.matmul(wm, cols)
        _k.transpose2d(yn.reshape(O * P, n.stop - n.start), y[n].reshape(n.stop - n.start, -1))
    _per_chunk(N, G * K * P * x.itemsize, chunk)
    return y


_NUMBA_DTYPES = (_xp.float32, _xp.float64)


def _numba_conv():
    """backend/numba_conv.py when numba may run kernels with NumPy's exact results, else None
    (its kernels are copies and the NumPy path's own additions: the same bits)."""
    if not _kernels.numba_for_exact():
        return None
    from ..backend import numba_conv
    return numba_conv


def weight_grad(a, b, geometry, groups):
    """gW[a, b, j] = sum_{n, o} a[n, a, o] * b_pad[n, b, o*s + j*d] per group: (A, B/G, *k)."""
    G = groups
    A, B = a.shape[1], b.shape[1]
    kshape = tuple(g[0] for g in geometry)
    if _pointwise(geometry, G):   # gW = sum_n a[n] @ b_s[n]^T: one GEMM per sample
        am = a.reshape(a.shape[0], A, -1)
        bm = _subsample(b, geometry, a.shape[2:])
        gw = _sum_per_chunk(a.shape[0], am[0].nbytes, lambda n: _xp.matmul(
            am[n], bm[n].swapaxes(1, 2)).sum(0), _xp.zeros((A, B), a.dtype),
            _SAMPLE_CHUNK_BYTES, _POINTWISE_SPLIT_BYTES)
        return gw.reshape((A, B) + kshape)
    Ka, Kb, Sa = A // G, B // G * _prod(kshape), a.shape[2:]
    if G == 1 and _PER_SAMPLE and _prod(Sa) >= _PER_SAMPLE_MIN_P:
        return _weight_grad_per_sample(a, b, geometry).reshape((A, B) + kshape)

    fz = _fused(b, Kb, _prod(Sa), A) if (G == 1 and len(Sa) == 2 and a.dtype == b.dtype
                       and a.flags.c_contiguous and a.shape[0]) else None
    if fz is not None:    # the chunks' products below, one GIL-free call per thread
        return _fused_weight_grad(fz.weight_grad_batch_last, a, b, geometry, Kb,
                                  Kb * _prod(Sa) * a.itemsize, None).reshape(
                                      (A, B) + kshape)

    def chunk(n):
        cols = _k.im2col(b[n], geometry, Sa)                      # (B, *k, *Sa, n)
        am = _k.batch_last(a[n]).reshape(G, Ka, -1)               # (G, A/G, Sa*n)
        cm = cols.reshape(G, Kb, am.shape[2])                     # (G, B/G*K, Sa*n)
        # (cols @ a^T)^T: this order runs ~1.7x faster in OpenBLAS than a @ cols^T here
        return _xp.matmul(cm, am.swapaxes(1, 2)) if G > 1 else (cm[0] @ am[0].T)[None]
    gw = _sum_per_chunk(a.shape[0], G * Kb * _prod(Sa) * a.itemsize, chunk,
                        _xp.zeros((G, Kb, Ka), a.dtype))
    return gw.swapaxes(-1, -2).reshape((A, B // G) + kshape)


# ---- one group: per-sample columns (the default NCHW path) -------------------------------
# A chunk of m samples gets its columns as (m, K, P), K = C*prod(k), P = prod(out): then
# W (O, K) @ cols[i] is sample i's (O, P) output, so the GEMMs write y in place
# (np.matmul(..., out=y[chunk])) and nothing is transposed in or out (the batch-last path
# above transposes x into (C, *S, n) and every result back). The weight gradient takes the
# columns as (K, m, P) and the chunk's gy as (A, m, P): one GEMM with an m*P-long sum.
# Padding goes into a per-thread canvas, the columns into a per-thread buffer (no allocation
# per chunk). Measured (1 thread, batch 64, CPU ms per call, ResNet-small's 3x3 convs
# forward: batch-last -> per-sample): stem 5.1 -> 1.8, 32->32 24.2 -> 19.7, 32->64 stride 2
# 13.8 -> 9.5, 64->64 18.6 -> 15.5, 64->128 stride 2 8.9 -> 8.4, 128->128 at 8x8 equal.
_PER_SAMPLE = True       # tests switch it off to reach the batch-last path
_SAMPLE_CHUNK_BYTES = 1 << 19   # 512 KiB of columns: 256 KiB to 2 MiB all within ~5%
# Outputs of fewer pixels (ResNet-small's 8x8 stages) keep the batch-last path: their
# per-sample GEMMs are narrow (N = P) and the short rows of their columns copy slowly;
# measured 128->128 at 8x8 fwd / weight grad 13.0 / 12.7 ms batch-last, 16.6 / 20.5
# per-sample, 14.7-15.8 / 14.3-15.7 with several samples' columns side by side in one GEMM.
_PER_SAMPLE_MIN_P = 256
# Few output channels: OpenBLAS multiplies small products (up to ~1M multiply-adds) without
# packing its operands, much faster for a 32-row W: each sample's output is then computed in
# blocks of a few rows, W (O, K) @ cols (K, rows*W_out), written straight into y. Measured
# (1 thread, batch 64, CPU ms, fwd): 32->32 3x3 at 32x32 21 -> 15.8 (blocks of 32 or 64
# pixels; 128: 21.8), stem equal; 64->64 at 16x16 gets worse with blocks of 32 (15.9 -> 20)
# so blocks stay within _SMALL_GEMM and hold >= _MIN_BLOCK pixels.
_SMALL_GEMM = 1 << 20
_MIN_BLOCK = 32

_local = threading.local()


def _scratch(name, shape, dtype):
    """This thread's work buffer `name` (64-byte aligned, grown as needed) viewed as shape:
    the kernels below fill and consume it within one chunk."""
    nbytes = _prod(shape) * _xp.dtype(dtype).itemsize
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    buf = bufs.get(name)
    if buf is None or buf.nbytes < nbytes:
        buf = bufs[name] = _mem.empty(max(nbytes, 1), _xp.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


def _padded(x, geometry, out):
    """x (m, C, *S) zero-padded so that every window position read is inside: this thread's
    canvas (m, C, *span) with x at offset padding_before, or x itself when nothing pads."""
    size = x.shape[2:]
    span = tuple(max((o - 1) * s + (k - 1) * d + 1 if o else 0, p + n)
                 for o, (k, s, d, p), n in zip(out, geometry, size))
    if span == tuple(size) and not any(g[3] for g in geometry):
        return x
    canvas = _scratch("canvas", x.shape[:2] + span, x.dtype)
    lead = (slice(None), slice(None))
    inner = tuple(slice(g[3], g[3] + n) for g, n in zip(geometry, size))
    for i, sl in enumerate(inner):         # only the border is zeroed
        canvas[lead + inner[:i] + (slice(0, sl.start),)] = 0
        canvas[lead + inner[:i] + (slice(sl.stop, None),)] = 0
    canvas[lead + inner] = x
    return canvas


def _sample_columns(x, geometry, out, batch_inner, rows=0):
    """The columns of x (m, C, *S) in this thread's buffer: (m, C*k, P), cols[i, (c, j..),
    o..] = x_pad[i, c, o*s + j*d ..]; batch_inner: (C*k, m*P), the samples inside; rows:
    (m, B, C*k, P/B), each sample's output in B blocks of `rows` rows (out[0] = B * rows)."""
    nb = _numba_conv() if (len(geometry) == 2 and x.dtype in _NUMBA_DTYPES
                           and x.flags.c_contiguous) else None
    if nb is not None:      # the same copies straight from x, no canvas (numba_conv.py)
        m, K, P = x.shape[0], x.shape[1] * geometry[0][0] * geometry[1][0], _prod(out)
        B = out[0] // rows if rows else 0
        cols = _scratch("cols", (K, m * P) if batch_inner else (m, B, K, P // B) if rows
                        else (m, K, P), x.dtype)
        return nb.columns(x, geometry, out, batch_inner, cols, rows)
    xp = _padded(x, geometry, out)
    st = xp.strides
    m, C = x.shape[:2]
    kshape = tuple(g[0] for g in geometry)
    kst = tuple(st[2 + i] * g[2] for i, g in enumerate(geometry))
    ost = tuple(st[2 + i] * g[1] for i, g in enumerate(geometry))
    K, P = C * _prod(kshape), _prod(out)
    if batch_inner:
        shape, strides = (C,) + kshape + (m,) + tuple(out), (st[1],) + kst + (st[0],) + ost
    elif rows:
        shape = (m, out[0] // rows, C) + kshape + (rows,) + tuple(out[1:])
        strides = (st[0], ost[0] * rows, st[1]) + kst + ost
    else:
        shape, strides = (m, C) + kshape + tuple(out), (st[0], st[1]) + kst + ost
    cols = _scratch("cols", shape, x.dtype)
    _xp.copyto(cols, _xp.lib.stride_tricks.as_strided(xp, shape, strides, writeable=False))
    if rows:
        return cols.reshape(m, out[0] // rows, K, P * rows // out[0])
    return cols.reshape((K, m * P) if batch_inner else (m, K, P))


def _block_rows(ok, out):
    """Rows of output per GEMM block (0: one GEMM per sample): the most rows whose product
    (O*K multiply-adds per pixel) stays within _SMALL_GEMM, blocks of >= _MIN_BLOCK pixels."""
    row = _prod(out[1:])
    best = 0
    for r in range(1, out[0]):
        if out[0] % r == 0 and r * row >= _MIN_BLOCK and r * row * ok <= _SMALL_GEMM:
            best = r
    return best


def _forward_per_sample(x, wm, geometry, out):
    """y (N, O, *out) = wm (O, K) @ columns, one GEMM per sample written into y."""
    N = x.shape[0]
    O, K = wm.shape
    y = _mem.empty((N, O) + tuple(out), x.dtype)
    P = _prod(out)
    if not y.size:
        return y
    y3 = y.reshape(N, O, P)
    rows = _block_rows(O * K, out)
    fz = _fused(x, O, K, P * rows // out[0] if rows else P) \
        if len(out) == 2 and wm.dtype == x.dtype else None
    if fz is not None:      # the chunks below, one GIL-free call per thread
        starts, w2 = _chunk_starts(N, K * P * x.itemsize, _SAMPLE_CHUNK_BYTES), \
            _xp.ascontiguousarray(wm)
        _per_slice(len(starts) - 1, N * K * P * x.itemsize, lambda i, j: fz.forward_samples(
            x, w2, geometry, out, rows, starts, i, j, y, _scratch))
        return y
    if rows:
        B = out[0] // rows

        def blocks(n):
            m = n.stop - n.start
            _xp.matmul(wm, _sample_columns(x[n], geometry, out, False, rows),
                       out=y3[n].reshape(m, O, B, P // B).transpose(0, 2, 1, 3))
        _per_chunk(N, K * P * x.itemsize, blocks, _SAMPLE_CHUNK_BYTES)
        return y
    _per_chunk(N, K * P * x.itemsize, lambda n: _xp.matmul(
        wm, _sample_columns(x[n], geometry, out, False), out=y3[n]), _SAMPLE_CHUNK_BYTES)
    return y


def _fused_weight_grad(kernel, a, b, geometry, K, sample_bytes, chunk_bytes):
    """gW (A, K) from a numba_conv_gemm kernel writing each chunk's product (K, A), the
    chunks split over the threads, summed as _sum_per_chunk sums them (the same bits)."""
    N, A = a.shape[:2]
    starts = _chunk_starts(N, sample_bytes, chunk_bytes)
    parts = _xp.empty((len(starts) - 1, K, A), a.dtype)
    queue = _regions.queue()
    queued = queue is not None and len(queue)
    _per_slice(len(parts), N * sample_bytes, lambda i, j: kernel(
        b, a, geometry, starts, i, j, parts, _scratch), joinable=True)
    # the sum in one compiled pass over parts, split over the threads by rows of K (the
    # NumPy path's additions, element by element; it made up to 64 array additions serially)
    groups = _nhwc._chunk_groups(len(parts))
    bounds = _xp.array([g.start for g in groups] + [len(parts)], _xp.int64)
    gw = _mem.empty((A, K), a.dtype)
    from ..backend import numba_conv_gemm as ncg         # (kernel is one of its functions)

    def total():
        _threads.parallel_for(K, lambda i, j: ncg.sum_parts(parts, bounds, i, j, gw),
                              parts.nbytes, threshold=_FUSED_SPLIT_BYTES)
    if queue is not None and len(queue) > queued:       # (joined: after its region)
        _regions.after(total)
    else:
        total()
    return gw


def _weight_grad_per_sample(a, b, geometry):
    """gW (A, B*k) = sum over chunks of a (A, m*P) @ columns(b) (B*k, m*P)^T."""
    N, A = a.shape[:2]
    Sa = a.shape[2:]
    P, K = _prod(Sa), b.shape[1] * _prod(g[0] for g in geometry)
    fz = _fused(b, K, P, A) if (len(Sa) == 2 and a.dtype == b.dtype and a.flags.c_contiguous
                                and N) else None
    if fz is not None:    # the chunks' products below, one GIL-free call per thread
        return _fused_weight_grad(fz.weight_grad_samples, a, b, geometry, K, K * P * a.itemsize,
                                  _SAMPLE_CHUNK_BYTES)

    def chunk(n):
        m = n.stop - n.start
        cols = _sample_columns(b[n], geometry, Sa, True)
        if m == 1:
            am = a[n.start].reshape(A, P)
        else:
            am = _scratch("gy", (A, m, P), a.dtype)
            _xp.copyto(am, a[n].reshape(m, A, P).transpose(1, 0, 2))
        # (cols @ a^T)^T: this order runs faster in OpenBLAS than a @ cols^T (O = 32: ~1.3x)
        return cols @ am.reshape(A, m * P).T
    gw = _sum_per_chunk(N, K * P * a.itemsize, chunk, _xp.zeros((K, A), a.dtype),
                        _SAMPLE_CHUNK_BYTES)
    return _xp.ascontiguousarray(gw.T)
