"""Pooling's window kernels on NumPy arrays (ops/pool.py, pool_avg.py, pool3d.py call these
through cpu_kernels, which re-exports them), and the window geometry that im2col shares.

A *window geometry* along one spatial dim is (k, s, d, p): kernel size, stride, dilation and the
zero padding before the first element. Output position o reads input o*s - p + j*d, j < k.
Each kernel loops over the k1*k2*... kernel offsets only: per offset one strided view of a
*canvas* (x, or x padded with `fill`) covering every output, and a few ufunc calls on it.

    window_max   running max/argmax over kernel offsets (torch's tie rule: first max, nan wins;
                 a window of padding and -inf only: its first in-bounds position)
    gather_max   the same over index-array windows (adaptive max pooling)
    window_sum   sum over kernel offsets (avg pooling); window_spread is its adjoint
    scatter_planes / gather_planes   values at flat per-plane indices (max-pool grads, unpool)

Layout: the canvas keeps x's own layout, row-major (N, C, *S) or channels-last (N, *S, C)
(then the views index it after the leading N and return channels-last results), so no
transposing copy is made; a strided input of neither layout is copied row-major first. (An
earlier (*S, N*C) batch-last canvas gave longer inner loops, but its two transposing copies
cost more than they saved: max pooling 64x32x32x32 took 30 ms, 8.8 ms now; LeNet's two
pools 3.1 -> 1.6 ms.)
"""
import itertools

import numpy

__all__ = ["channels_last", "window_max", "first_inside", "gather_max", "window_sum", "window_spread",
           "scatter_planes", "gather_planes"]


def _span(o, k, s, d):
    """Input extent read by o output positions: (o - 1) * s + (k - 1) * d + 1."""
    return (o - 1) * s + (k - 1) * d + 1 if o > 0 else 0


def _canvas_shape(geometry, out, size):
    """Canvas extent per dim: every position a window reads, and the whole padded input."""
    return tuple(max(_span(o, k, s, d), p + n) for o, (k, s, d, p), n in
                 zip(out, geometry, size))


def _offset_slices(geometry, out):
    """For every kernel offset (j1, j2, ...) the strided slices of the canvas it reads."""
    per_dim = [[slice(j * d, j * d + (o - 1) * s + 1, s) for j in range(k)]
               for o, (k, s, d, p) in zip(out, geometry)]
    return itertools.product(*per_dim)


def _inner(geometry, size):
    """The slices of the canvas that hold the (unpadded) input."""
    return tuple(slice(p, p + n) for (k, s, d, p), n in zip(geometry, size))


def channels_last(x):
    """x (N, C, *S) is laid out channels-last (memory (N, *S, C)) and not row-major: the
    window kernels below then work on (N, *S, C) directly, with no transposing copies, and
    return channels-last results."""
    return x.ndim >= 3 and not x.flags.c_contiguous and numpy.moveaxis(x, 1, -1).flags.c_contiguous


def _pre(cl):
    """The index prefix before the spatial dims of a canvas: N (channels-last), or N, C."""
    return (slice(None),) if cl else (slice(None), slice(None))


def _canvas(x, geometry, out, fill):
    """(canvas, cl): x (N, C, *S) as (N, C, *S_canvas) row-major, or (N, *S_canvas, C) when
    channels-last, holding x with `fill` around it (x itself when no padding is needed)."""
    nd = len(geometry)
    size = x.shape[-nd:]
    cl = channels_last(x)
    xt = numpy.moveaxis(x, 1, -1) if cl else numpy.ascontiguousarray(x)
    cshape = _canvas_shape(geometry, out, size)
    if cshape == tuple(size) and all(g[3] == 0 for g in geometry):
        return xt, cl
    lead, tail = (x.shape[:1], x.shape[1:2]) if cl else (x.shape[:2], ())
    canvas = numpy.full(lead + cshape + tail, fill, x.dtype)
    canvas[_pre(cl) + _inner(geometry, size)] = xt
    return canvas, cl


def _result(y, cl):
    """A canvas-layout result -> (N, C, *O): channels-last (N, *O, C) as its (N, C, *O) view."""
    return numpy.moveaxis(y, -1, 1) if cl else y


def _running_max(canvas, slices, need_index, nan):
    """(best, arg): the max over the views `slices` of canvas and the first offset reaching
    it (nan: a nan counts as the maximum and a later nan takes over)."""
    best = canvas[slices[0]].copy()
    # the winning offset per output: int8 while there are few offsets (less memory traffic)
    adt = numpy.int8 if len(slices) < 128 else numpy.intp
    arg = numpy.zeros(best.shape, adt) if need_index else None
    for j, sl in enumerate(slices[1:], 1):
        v = canvas[sl]
        if need_index:
            better = v > best          # strict: the first of equal maxima keeps the index
            if nan:
                better |= numpy.isnan(v)
            # putmask(arg, better, j) without its per-element branch (~3x faster here):
            # j exceeds every index stored so far, so a max writes it exactly where better
            numpy.maximum(arg, numpy.multiply(better, j, dtype=adt), out=arg)
        numpy.maximum(best, v, out=best)   # propagates nan, as torch's values do
    return best, arg


def window_max(x, geometry, out, need_index=True):
    """Max over each window of x (N, C, *S) and, if asked, the flat per-plane index of its
    first maximum (a nan counts as the maximum and a later nan takes over, as in torch's
    `val > max || isnan(val)`). Padding reads as -inf (or the integer minimum): it never wins."""
    nd = len(geometry)
    floating = x.dtype.kind == "f"
    low = -numpy.inf if floating else numpy.iinfo(x.dtype).min
    canvas, cl = _canvas(x, geometry, out, low)
    slices = [_pre(cl) + sl for sl in _offset_slices(geometry, out)]
    best, arg = _running_max(canvas, slices, need_index, False)
    # a nan in a window makes its max nan (maximum propagates it): only then is the index
    # worth a second pass with the nan rule (no full isnan pass over x every call)
    if need_index and floating and bool(numpy.isnan(best).any()):
        best, arg = _running_max(canvas, slices, need_index, True)
    if not need_index:
        return _result(best, cl), None
    # flat index = window start (per output) + offset of the winning kernel position
    spatial = x.shape[-nd:]
    delta = numpy.zeros(tuple(g[0] for g in geometry), numpy.intp)
    base = 0
    for i, (k, s, d, p) in enumerate(geometry):
        stride = int(numpy.prod(spatial[i + 1:]))
        delta = delta + (numpy.arange(k) * d * stride).reshape((-1,) + (1,) * (nd - 1 - i))
        base = base + ((numpy.arange(out[i]) * s - p) * stride).reshape((-1,) + (1,) * (nd - i))
    if not cl:
        base = base[..., 0]                    # (*O, 1) is for channels-last's (N, *O, C)
    flat = numpy.take(delta.reshape(-1), arg)
    flat += base
    best, flat = _result(best, cl), _result(flat, cl)
    first_inside(best, flat, geometry, spatial)
    return best, flat


def first_inside(y, index, geometry, spatial):
    """A window holding only padding and the lowest value (-inf, an integer minimum) has no
    strict maximum: torch keeps its first in-bounds position (its running max starts there, at
    the lowest value), the running max above the first offset, which may be padding. Patches
    index (N, C, *O) in place there; only padding makes a difference."""
    if not any(g[3] for g in geometry):
        return
    low = -numpy.inf if y.dtype.kind == "f" else numpy.iinfo(y.dtype).min
    lowest = y == low
    if not lowest.any():
        return
    first, nd = 0, len(spatial)
    for i, ((k, s, d, p), n) in enumerate(zip(geometry, spatial)):
        start = numpy.arange(y.shape[2 + i]) * s - p
        start = numpy.where(start < 0, start + (-start + d - 1) // d * d, start)
        first = first * n + start.reshape((-1,) + (1,) * (nd - 1 - i))
    numpy.copyto(index, numpy.broadcast_to(first, y.shape), where=lowest)


def gather_max(x, offsets):
    """Max and first-argmax (flat per-plane index) over windows given by index arrays:
    offsets[i] lists, per window offset along spatial dim i, the input index (out_i,) each
    output reads (adaptive max pooling: windows of varying size; short ones repeat their last
    element, which changes neither the max nor, by the tie rule, the argmax).

    Separable: reduce the last dim, then the one before (sum, not product, of the window
    sizes in passes). Row-major first maximum = first max of each row, then the first row with
    the largest row max; a nan (later ones taking over) likewise."""
    nd = len(offsets)
    spatial = x.shape[-nd:]
    nan = x.dtype.kind == "f" and bool(numpy.isnan(x).any())
    values, flat = x, None
    for i in reversed(range(nd)):
        axis, stride = i - nd, int(numpy.prod(spatial[i + 1:]))
        best = arg = None
        for idx in offsets[i]:
            v = numpy.take(values, idx, axis=axis)
            pos = idx.reshape((-1,) + (1,) * (nd - 1 - i)) * stride
            f = pos if flat is None else numpy.take(flat, idx, axis=axis) + pos
            if best is None:
                best, arg = v, numpy.broadcast_to(f, v.shape).copy()
                continue
            better = v > best
            if nan:
                better |= numpy.isnan(v)
            numpy.copyto(best, v, where=better)
            numpy.copyto(arg, f, where=better)
        values, flat = best, arg
    return values, flat



def window_sum(x, geometry, out):
    """Zero-padded window sums of x (N, C, *S): y[.., o] = sum_j x_pad[.., o*s + j*d]."""
    canvas, cl = _canvas(x, geometry, out, 0)
    slices = (_pre(cl) + sl for sl in _offset_slices(geometry, out))
    y = canvas[next(slices)].copy()
    for sl in slices:
        y += canvas[sl]
    return _result(y, cl)


def window_spread(gy, geometry, size):
    """The adjoint of window_sum: every window adds gy (N, C, *O) back onto the positions it
    read; returns (N, C, *size)."""
    nd = len(geometry)
    out = gy.shape[-nd:]
    g, cl = _canvas(gy, tuple((1, 1, 1, 0) for _ in out), out, 0)   # (N, C, *O) or (N, *O, C)
    lead, tail = (g.shape[:1], g.shape[-1:]) if cl else (g.shape[:2], ())
    canvas = numpy.zeros(lead + _canvas_shape(geometry, out, size) + tail, gy.dtype)
    for sl in _offset_slices(geometry, out):
        canvas[_pre(cl) + sl] += g
    return _result(numpy.ascontiguousarray(canvas[_pre(cl) + _inner(geometry, size)]), cl)


def scatter_planes(values, index, plane, accumulate):
    """out (..., plane) zeros with out[..., index] = values (accumulate: +=, repeated indices
    sum; else the last write wins); values and index (..., M) over the same leading dims."""
    lead = values.shape[:-1]
    out = numpy.zeros(lead + (plane,), values.dtype)
    if values.size == 0:
        return out
    if accumulate:
        rows = numpy.arange(int(numpy.prod(lead))).reshape(-1, 1)
        numpy.add.at(out.reshape(-1, plane), (rows, index.reshape(rows.size, -1)),
                     values.reshape(rows.size, -1))
    else:
        numpy.put_along_axis(out, index, values, -1)
    return out


def gather_planes(x, index):
    """x (..., plane) read at index (..., M): the adjoint of scatter_planes."""
    return numpy.take_along_axis(x, index, -1)
