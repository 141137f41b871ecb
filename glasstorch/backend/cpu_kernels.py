"""Window kernels on NumPy arrays for convolution, pooling, padding and resampling (ops/conv.py,
ops/pool.py, ops/pad.py, ops/upsample.py call these; read those first); the scatter-add
kernels of indexing (ops/index.py, gather.py, embedding.py) are in scatter_kernels.py.

A *window geometry* along one spatial dim is (k, s, d, p): kernel size, stride, dilation and the
zero padding before the first element. Output position o reads input o*s - p + j*d, j < k.
Everything is vectorized over the batch and channel dims and loops at most over the kernel
offsets (k1*k2 of them), never over pixels:

    im2col       x (N, C, *S) -> cols (C, *k, *O, N): one strided view, copied once (for a GEMM)
    col2im       the adjoint: cols -> x, one strided-slice add per kernel offset
    window_max, gather_max, window_sum, window_spread, scatter_planes, gather_planes
                 pooling's kernels: backend/pool_kernels.py (re-exported here)
    relu_backward    gx = gy where relu's output y != 0, else 0: in blocks, branch-free
    take_axis / scatter_axis         a gather along one axis and its adjoint (pads, resampling)
    add_at / put     (scatter_kernels.py, re-exported here) out[index] += src with repeats
                     accumulating, and out[basic][adv] = value: indexing's scatter kernels

Layout: im2col's loops run on a *batch-last* copy (C, *S, N), so that every strided slice of
a kernel offset still has a long contiguous inner run (the N values of one pixel). In NCHW a
LeNet-sized 10x10 plane gives NumPy inner loops of 10 elements and the same slices cost 3-5x
more. The transposes in and out are single cheap copies. (Pooling keeps x's layout instead:
pool_kernels.py says why.)
"""
import ctypes
import itertools
import os
import sys

import numpy
from numpy.lib.stride_tricks import as_strided

from . import memory as _mem, threads as _threads
from .pool_kernels import (_canvas_shape, _inner, _offset_slices, channels_last,  # noqa: F401
                           gather_max, gather_planes, scatter_planes, window_max,
                           window_spread, window_sum)   # (re-exported: pooling's kernels)

__all__ = ["im2col", "col2im", "batch_last", "batch_first", "transpose2d", "window_max",
           "gather_max", "window_sum", "window_spread", "scatter_planes", "gather_planes",
           "take_axis", "scatter_axis", "AxisPlan", "add_at", "put", "dense_flat",
           "relu_backward"]


def _keep_freed_memory():
    """Let glibc reuse freed memory instead of returning it to the OS between steps.

    glibc mmaps large arrays (above 128 KiB, a threshold that rises to the largest freed size
    up to 32 MiB) and trims the heap top once twice that is free, so every training step maps
    fresh pages and pays a page fault per 4 KiB on first touch: in a LeNet conv step the
    im2col columns alone (3.8 MB) cost ~2 ms, 3x the copy itself, and the step ran 2.5x
    slower. Serving arrays up to 32 MiB from the heap and keeping up to 256 MiB of free heap
    makes the next step reuse the same pages (PyTorch gets the same effect from its
    allocator). 64 MiB was too little for the ResNet-small step (bench_resnet), whose
    activations free ~75 MiB at its end: 8,800 page faults per step, ~20-50 ms of system
    time (~4% of the step), none at 256 MiB. Process-wide, glibc only; set
    GLASSTORCH_KEEP_MALLOC=1 to leave malloc alone."""
    if not sys.platform.startswith("linux") or os.environ.get("GLASSTORCH_KEEP_MALLOC"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl...): nothing to tune
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
    libc.mallopt(M_TRIM_THRESHOLD, 256 << 20)


_keep_freed_memory()


def batch_last(a):
    """(N, C, *S) -> contiguous (C, *S, N): the GEMM layout of im2col's columns."""
    return numpy.ascontiguousarray(numpy.moveaxis(a, 0, -1))


def batch_first(a, out=None):
    """(C, *S, N) -> contiguous (N, C, *S): back to PyTorch's layout (into `out` if given)."""
    n = a.shape[-1]
    if out is None:
        out = _mem.empty((n,) + a.shape[:-1], a.dtype)
    transpose2d(numpy.ascontiguousarray(a).reshape(-1, n), out.reshape(n, -1))
    return out


# Rows per block of transpose2d: a block of the source (rows x N) and of the destination
# (N x rows) both stay in L1/L2 while NumPy walks one of them against its strides.
_BLOCK_ROWS = 256


def transpose2d(src, dst):
    """dst[...] = src.T for 2-D arrays, in blocks of _BLOCK_ROWS source rows. NumPy's own
    transposing copy of a (M, N) array with small N strides through the whole destination
    for every element column: a conv output (32*32*32, 64) -> (64, 32*32*32) took 14 ms,
    blocked 2.3 ms. Blocks are independent, so large ones go to the thread pool."""
    m = src.shape[0]
    if src.shape[1] * src.itemsize <= 32:  # short rows (a few samples): NumPy's copy is fine
        _threads.copy(dst, src.T)
        return
    step = _BLOCK_ROWS

    def run(i, j):
        for b in range(i * step, min(j * step, m), step):
            dst[:, b:b + step] = src[b:b + step].T
    _threads.parallel_for(-(-m // step), run, dst.nbytes)


def im2col(x, geometry, out):
    """x (N, C, *S) -> contiguous cols (C, *k, *O, N): cols[c, j.., o.., n] = x_pad[n, c,
    o*s + j*d ..]; (C*prod(k), prod(O)*N) is the matrix of one GEMM."""
    size = x.shape[2:]
    xt = numpy.moveaxis(x, 0, -1)                                      # (C, *S, N) view
    cshape = _canvas_shape(geometry, out, size)
    if cshape == tuple(size) and all(g[3] == 0 for g in geometry):
        canvas = numpy.ascontiguousarray(xt)
    else:  # one copy does the padding and the transpose; only the border is zeroed
        canvas = _mem.empty((x.shape[1],) + cshape + (x.shape[0],), x.dtype)
        inner = _inner(geometry, size)
        for i, sl in enumerate(inner):
            lead = (slice(None),) + inner[:i]        # earlier dims: inner part only
            canvas[lead + (slice(0, sl.start),)] = 0
            canvas[lead + (slice(sl.stop, None),)] = 0
        canvas[(slice(None),) + inner] = xt
    st = canvas.strides
    shape = (canvas.shape[0],) + tuple(g[0] for g in geometry) + tuple(out) + (x.shape[0],)
    strides = ((st[0],) + tuple(st[1 + i] * g[2] for i, g in enumerate(geometry))
               + tuple(st[1 + i] * g[1] for i, g in enumerate(geometry)) + (st[-1],))
    return _threads.copy(_mem.empty(shape, x.dtype),
                         as_strided(canvas, shape, strides, writeable=False))


def col2im(cols, geometry, size):
    """The adjoint of im2col: cols (C, *k, *O, N) -> x (N, C, *size), each column added back
    where it was read (overlapping windows sum). One strided add per kernel offset."""
    nd = len(geometry)
    out = cols.shape[1 + nd:-1]
    canvas = numpy.zeros((cols.shape[0],) + _canvas_shape(geometry, out, size)
                         + (cols.shape[-1],), cols.dtype)
    ks = [range(g[0]) for g in geometry]
    for j, sl in zip(itertools.product(*ks), _offset_slices(geometry, out)):
        canvas[(slice(None),) + sl] += cols[(slice(None),) + j]
    return batch_first(canvas[(slice(None),) + _inner(geometry, size)])


class AxisPlan:
    """y = sum_t take(x, index_t, axis) * weight_t along one axis: a gather (pads, nearest) or a
    weighted sum of gathers (linear interpolation, adaptive average). Built once per call;
    holds the sorted order its adjoint (scatter_axis) sums with. With skip_zero=True a zero
    weight marks a padding tap that adds exactly nothing, even where x is inf or nan (adaptive
    windows of unequal sizes); interpolation keeps 0 * inf = nan, as torch."""
    __slots__ = ("axis", "size", "terms", "_sorted", "skip_zero")

    def __init__(self, axis, size, terms, skip_zero=False):
        self.axis, self.size = axis, size          # axis counted from the end (-1, -2, ...)
        self.terms = terms                          # [(index (M,), weight (M,) or None)]
        self._sorted = None
        self.skip_zero = skip_zero

    def sorted_terms(self):
        """Per term: the stable order sorting its index, the distinct indices and where each
        run starts (so a reduceat sums each input position's contributions in order)."""
        if self._sorted is None:
            res = []
            for idx, w in self.terms:
                order = numpy.argsort(idx, kind="stable")
                uniq, starts = numpy.unique(idx[order], return_index=True)
                res.append((order, uniq, starts, w))
            self._sorted = res
        return self._sorted


def _weight_shape(w, axis, ndim):
    return w.reshape((-1,) + (1,) * (-axis - 1)) if ndim else w


def take_axis(x, plan):
    """Apply an AxisPlan: gathers along plan.axis, weighted and summed."""
    y = None
    for idx, w in plan.terms:
        t = numpy.take(x, idx, axis=plan.axis)
        if w is not None:
            ws = _weight_shape(w.astype(x.dtype, copy=False), plan.axis, x.ndim)
            t *= ws
            if plan.skip_zero and not w.all():
                t = numpy.where(ws != 0, t, 0).astype(t.dtype, copy=False)
        if y is None:
            y = t
        else:
            y += t
    return y


def scatter_axis(gy, plan):
    """The adjoint of take_axis: each output slice (times its weight) is added back onto the
    input position it came from. Sort once, then one reduceat per term (no per-pixel loop)."""
    shape = list(gy.shape)
    shape[plan.axis] = plan.size
    gx = numpy.zeros(shape, gy.dtype)
    pre = (slice(None),) * (gy.ndim + plan.axis)
    for order, uniq, starts, w in plan.sorted_terms():
        g = gy
        if w is not None:
            ws = _weight_shape(w.astype(gy.dtype, copy=False), plan.axis, gy.ndim)
            g = gy * ws
            if plan.skip_zero and not w.all():
                g = numpy.where(ws != 0, g, 0).astype(g.dtype, copy=False)
        if uniq.size == 0:
            continue
        g = numpy.take(g, order, axis=plan.axis)
        gx[pre + (uniq,)] += numpy.add.reduceat(g, starts, axis=plan.axis)
    return gx


from .scatter_kernels import add_at, put  # noqa: E402,F401  (the scatter kernels of indexing)


# ---- relu's gradient ----------------------------------------------------------------------

_INT_OF_SIZE = {2: numpy.int16, 4: numpy.int32, 8: numpy.int64}
_RELU_BLOCK = 1 << 16      # elements: a block's mask stays in L1/L2 between the three calls


def dense_flat(y, g):
    """(yf, gf, out, of): flat views of y and g, and of a new `out` laid out like g, all in
    the one memory order y and g share (NCHW or channels-last alike); None unless y and g
    have the same shape, strides and float dtype and are dense."""
    if y.shape != g.shape or y.strides != g.strides or y.dtype != g.dtype or \
            y.dtype not in (numpy.float32, numpy.float64) or not y.size:
        return None
    order = tuple(int(i) for i in numpy.argsort([-s for s in y.strides], kind="stable"))
    out = numpy.empty_like(g)                  # g's layout when dense (order K)
    yv, gv, ov = (a.transpose(order) for a in (y, g, out))
    if not (yv.flags.c_contiguous and gv.flags.c_contiguous and ov.flags.c_contiguous):
        return None
    return yv.reshape(-1), gv.reshape(-1), out, ov.reshape(-1)


def relu_backward(y, g):
    """gx = gy where y != 0 else 0, for y = relu(x) (>= 0, -0.0 or nan, so this is torch's
    where(y <= 0, 0, gy)); None unless dense_flat(y, g) applies (ops/piecewise.py then
    masks). Per block of _RELU_BLOCK elements: the != test into a bool mask, its int8
    negation (0 or -1) and an AND of gy's bits with it, widened (piecewise._Masked's
    branch-free AND: the same bits). Blocks keep the mask in cache, and `!= 0` saves the
    inversion of `<= 0`: the ResNet-small step's relu gradients ~16 -> ~14.5 ms (the rest is
    reading y and gy from memory)."""
    flat = dense_flat(y, g)
    if flat is None:
        return None
    yf, gf, out, of = flat
    gi, oi = gf.view(_INT_OF_SIZE[gf.itemsize]), of.view(_INT_OF_SIZE[gf.itemsize])

    def run(i, j):
        mask = numpy.empty(min(_RELU_BLOCK, j - i), numpy.bool_)
        for k in range(i, j, _RELU_BLOCK):
            m = mask[:min(_RELU_BLOCK, j - k)]
            numpy.not_equal(yf[k:k + m.size], 0, out=m)
            m8 = m.view(numpy.int8)
            numpy.negative(m8, out=m8)
            numpy.bitwise_and(gi[k:k + m.size], m8, out=oi[k:k + m.size])
    _threads.parallel_for(yf.size, run, out.nbytes)
    return out
