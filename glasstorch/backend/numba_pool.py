"""Pooling loops for the optional numba kernels (re-exported by numba_kernels.py; ops/pool.py
calls them by default when numba is installed: kernels.numba_for_exact), 2-D windows on row-major
(n, C, H, W) or channels-last (n, H, W, C) data, one pass each, per slice of samples on
backend/threads.py's pool:

    max_pool2d        window max and flat per-plane argmax (channels-last; row-major: 2x2
                      windows only, others NumPy's)
    scatter_planes    max pooling's gradient: gy written (or added) at the argmax
    scatter_relu      the same followed by relu's gradient mask, one plane at a time (a
                      max pool of a relu's output: ops/pool.py's relu-masked scatter)

Each visits kernel offsets in the order of the NumPy kernels (backend/pool_kernels.py) and
does their arithmetic, so the results are the same bits: padding reads as -inf, the first
maximum keeps the index and a nan takes over (torch's rule, NumPy's running compare), the value
follows NumPy's maximum (a nan sticks, a tie takes the later value: -0.0 vs +0.0), and the
gradient is written or added in the order of NumPy's put_along_axis / add.at. (Average
pooling has no compiled kernel yet.) Returns None when the arrays do not suit (dtype,
layout, an index off its plane): the caller then takes the NumPy path.
"""
import numpy

from . import pool_kernels as _pk, threads as _threads
from .numba_base import _call, _jit

__all__ = ["max_pool2d", "scatter_planes", "scatter_relu"]

_FLOATS = (numpy.float32, numpy.float64)


def _layout(x, floats=True):
    """(array, nhwc) for a row-major or channels-last (n, C, H, W) (float) array, else None."""
    if x.ndim != 4 or (floats and x.dtype not in _FLOATS) or not x.size:
        return None
    if x.flags.c_contiguous:
        return x, False
    t = numpy.moveaxis(x, 1, -1)
    return (t, True) if t.flags.c_contiguous else None


@_jit
def _max_nhwc(x, kh, kw, sh, sw, dh, dw, ph, pw, low, y, idx):
    n, H, W, C = x.shape
    OH, OW = y.shape[1], y.shape[2]
    for b in range(n):
        for oy in range(OH):
            for ox in range(OW):
                for ky in range(kh):
                    iy = oy * sh - ph + ky * dh
                    for kx in range(kw):
                        ix = ox * sw - pw + kx * dw
                        inside = 0 <= iy < H and 0 <= ix < W
                        first = ky == 0 and kx == 0
                        for c in range(C):
                            v = x[b, iy, ix, c] if inside else low
                            if first:
                                y[b, oy, ox, c] = v
                                idx[b, oy, ox, c] = iy * W + ix
                                continue
                            best = y[b, oy, ox, c]
                            if v > best or v != v:
                                idx[b, oy, ox, c] = iy * W + ix
                            if best == best and (v != v or not best > v):
                                y[b, oy, ox, c] = v


# The 2x2 kernel below is one GIL-free call per slice, and not memory-bound (LeNet's first
# pool, 2.4 MB in, ~6 GB/s): it splits over the pool from this much input on, as the conv
# slices do (conv_kernels._FUSED_SPLIT_BYTES), instead of threads.THRESHOLD's 8 MiB. That pool
# at 2 threads after 0.5 ms of Python: 429 -> 359 us (median of 60; real-time priority);
# LeNet's step ~1% faster (docs/perf/lenet.md, lenet6)
MAX2X2_SPLIT_BYTES = 1 << 20


def max_pool2d(x, geometry, out):
    """(y, index) of 2-D max pooling over a channels-last float x (N, C, H, W) (results
    channels-last), or None. Row-major x stays on NumPy's strided passes: a loop per output
    with run-time window sizes cannot unroll them, and its compares mispredict on random data
    (LeNet's 128x6x28x28 pool: 2.2-3.3 ms in numba vs 1.4 in NumPy; here the inner loop runs
    over the contiguous channels and vectorizes: 64x32x32x32 1.1 ms vs NumPy's 6.7)."""
    lay = _layout(x)
    if lay is not None and not lay[1] and _two_by_two(x, geometry, out):
        y = numpy.empty(x.shape[:2] + tuple(out), x.dtype)
        idx = numpy.empty(y.shape, numpy.int64)
        (_, sh, _, _), (_, sw, _, _) = geometry
        _threads.parallel_for(x.shape[0], lambda i, j: _call(_max2x2_nchw, x[i:j], sh, sw,
                                                             y[i:j], idx[i:j]), x.nbytes,
                              threshold=MAX2X2_SPLIT_BYTES)
        return y, idx
    if lay is None or not lay[1] or len(geometry) != 2 or x.shape[1] < 16:
        return None     # (few channels: short inner loops, NumPy's passes are as fast)
    xa = lay[0]
    (kh, sh, dh, ph), (kw, sw, dw, pw) = geometry
    N, C = x.shape[:2]
    shape = (N,) + tuple(out) + (C,)
    y, idx = numpy.empty(shape, x.dtype), numpy.empty(shape, numpy.int64)
    low = x.dtype.type(-numpy.inf)
    _threads.parallel_for(N, lambda i, j: _call(_max_nhwc, xa[i:j], kh, kw, sh, sw, dh, dw,
                                                ph, pw, low, y[i:j], idx[i:j]), x.nbytes)
    y, idx = numpy.moveaxis(y, -1, 1), numpy.moveaxis(idx, -1, 1)
    _pk.first_inside(y, idx, geometry, x.shape[2:])     # as NumPy's: padding and -inf only
    return y, idx


def _two_by_two(x, geometry, out):
    """2x2 windows, no padding or dilation, every window inside x (any stride)."""
    return len(geometry) == 2 and all(
        k == 2 and d == 1 and p == 0 and (o - 1) * s + 2 <= n
        for (k, s, d, p), o, n in zip(geometry, out, x.shape[2:]))


@_jit
def _max2x2_nchw(x, sh, sw, y, idx):
    """Row-major 2x2 windows (LeNet's, VGG's MaxPool2d(2)): the four values and the running
    max / argmax in registers, the compares as selects. The loop with run-time window sizes
    was slower than NumPy's passes; with the window spelt out it vectorizes: LeNet's
    128x6x28x28 pool 3.1 -> 0.49 ms, 128x16x10x10 0.88 -> 0.17 (alternating calls, load ~6).
    Offsets in NumPy's order, each step as _max_nhwc's (a nan takes over, ties take the
    later value as NumPy's maximum does). Flat unsigned indices (no negative-index test per
    read) and the tests as non-short-circuit `|`/`&` (selects, not branches): LeNet's pools
    520 -> 345 us and 204 -> 152 (min of 80 calls, 1 thread; lenet7)."""
    n, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    xf, yf, jf = x.reshape(-1), y.reshape(-1), idx.reshape(-1)
    uw, one = numpy.uint64(W), numpy.uint64(1)
    for plane in range(n * C):
        xb = numpy.uint64(plane * H * W)
        ob = numpy.uint64(plane * OH * OW)
        for oy in range(OH):
            iy = numpy.uint64(oy * sh)
            r0 = xb + iy * uw                   # the window's two rows in x
            r1 = r0 + uw
            a0 = numpy.int64(iy * uw)           # their flat offsets in the plane
            a1 = a0 + numpy.int64(W)
            o = ob + numpy.uint64(oy * OW)
            for ox in range(OW):
                ix = numpy.uint64(ox * sw)
                jx = numpy.int64(ix)
                best = xf[r0 + ix]
                arg = a0 + jx
                v = xf[r0 + ix + one]
                take = (v > best) | (v != v)
                keep = (best != best) | ((best > v) & (v == v))
                arg = a0 + jx + 1 if take else arg
                best = best if keep else v
                v = xf[r1 + ix]
                take = (v > best) | (v != v)
                keep = (best != best) | ((best > v) & (v == v))
                arg = a1 + jx if take else arg
                best = best if keep else v
                v = xf[r1 + ix + one]
                take = (v > best) | (v != v)
                keep = (best != best) | ((best > v) & (v == v))
                arg = a1 + jx + 1 if take else arg
                best = best if keep else v
                yf[o + numpy.uint64(ox)] = best
                jf[o + numpy.uint64(ox)] = arg


@_jit
def _scatter_ncm(g, idx, accumulate, out):
    """out[b, c, idx[b, c, m]] = (or +=) g[b, c, m], m in order; -1 if an index is off."""
    n, C, M = g.shape
    plane = out.shape[2]
    for b in range(n):
        for c in range(C):
            for m in range(M):
                i = idx[b, c, m]
                if i < 0 or i >= plane:
                    return -1
                if accumulate:
                    out[b, c, i] += g[b, c, m]
                else:
                    out[b, c, i] = g[b, c, m]
    return 0


@_jit
def _scatter_nmc(g, idx, accumulate, out):
    """The channels-last twin: out[b, idx[b, m, c], c] = (or +=) g[b, m, c]."""
    n, M, C = g.shape
    plane = out.shape[1]
    for b in range(n):
        for m in range(M):
            for c in range(C):
                i = idx[b, m, c]
                if i < 0 or i >= plane:
                    return -1
                if accumulate:
                    out[b, i, c] += g[b, m, c]
                else:
                    out[b, i, c] = g[b, m, c]
    return 0


def scatter_planes(g, index, size, accumulate):
    """Max pooling's gradient: zeros (N, C, *size) with gy (N, C, *O) written at (accumulate:
    added to) the flat per-plane `index` (same shape and layout as gy), in gy's layout
    (row-major or channels-last); the same order as NumPy's put_along_axis / add.at, so the
    same bits. None when gy and index do not suit, or an index is off its plane."""
    lay, ilay = _layout(g), _layout(index, floats=False)
    if lay is None or ilay is None or lay[1] != ilay[1] or index.dtype != numpy.int64:
        return None
    ga, nhwc = lay
    N, C = g.shape[:2]
    plane = int(numpy.prod(size))
    ia = numpy.moveaxis(index, 1, -1) if nhwc else index
    if nhwc:
        g3, i3 = ga.reshape(N, -1, C), ia.reshape(N, -1, C)
        out = numpy.zeros((N, plane, C), g.dtype)
    else:
        g3, i3 = ga.reshape(N, C, -1), ia.reshape(N, C, -1)
        out = numpy.zeros((N, C, plane), g.dtype)
    kernel = _scatter_nmc if nhwc else _scatter_ncm
    bad = []

    def run(i, j):
        if _call(kernel, g3[i:j], i3[i:j], accumulate, out[i:j]):
            bad.append(i)
    _threads.parallel_for(N, run, out.nbytes)
    if bad:
        return None
    if nhwc:
        return numpy.moveaxis(out.reshape((N,) + tuple(size) + (C,)), -1, 1)
    return out.reshape((N, C) + tuple(size))


@_jit
def _scatter_relu_ncm(g, idx, y, accumulate, out):
    """_scatter_ncm into a zeroed plane, then relu's gradient mask on it (+0.0 where y == 0,
    numba_elementwise._relu_backward's test): per (b, c) plane, so the plane is still in cache
    for the mask; -1 if an index is off its plane. Flat unsigned indices (no negative-index
    test per access): 148 -> 135 us for LeNet's first pool's gradient."""
    n, C, M = g.shape
    plane = out.shape[2]
    gf, jf, yf, of = g.reshape(-1), idx.reshape(-1), y.reshape(-1), out.reshape(-1)
    for k in range(n * C):
        ob, gb = numpy.uint64(k * plane), numpy.uint64(k * M)
        for p in range(plane):
            of[ob + numpy.uint64(p)] = 0
        for m in range(M):
            i = jf[gb + numpy.uint64(m)]
            if i < 0 or i >= plane:
                return -1
            if accumulate:
                of[ob + numpy.uint64(i)] += gf[gb + numpy.uint64(m)]
            else:
                of[ob + numpy.uint64(i)] = gf[gb + numpy.uint64(m)]
        for p in range(plane):
            q = ob + numpy.uint64(p)
            of[q] = 0 if yf[q] == 0 else of[q]
    return 0


def scatter_relu(g, index, y, accumulate):
    """relu_backward(y, scatter_planes(g, index, y.shape[2:], accumulate)) in one pass, the same
    bits (each element gets the same operations in the same order), for row-major (C-contiguous)
    g, index (N, C, *O) and y (N, C, *S), y = relu's output: max pooling's gradient with the
    gradient mask of the relu before it. Split over the pool from MAX2X2_SPLIT_BYTES of output
    (one GIL-free call per slice). None when the arrays do not suit or an index is off."""
    if g.ndim < 3 or g.dtype not in _FLOATS or y.dtype != g.dtype or index.dtype != numpy.int64 \
            or index.shape != g.shape or y.shape[:2] != g.shape[:2] or not g.size \
            or not (g.flags.c_contiguous and index.flags.c_contiguous and y.flags.c_contiguous):
        return None
    N, C = g.shape[:2]
    g3, i3, y3 = g.reshape(N, C, -1), index.reshape(N, C, -1), y.reshape(N, C, -1)
    out = numpy.empty(y3.shape, y.dtype)
    bad = []

    def run(i, j):
        if _call(_scatter_relu_ncm, g3[i:j], i3[i:j], y3[i:j], accumulate, out[i:j]):
            bad.append(i)
    _threads.parallel_for(N, run, out.nbytes, threshold=MAX2X2_SPLIT_BYTES)
    return None if bad else out.reshape(y.shape)
