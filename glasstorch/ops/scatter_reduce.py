"""scatter_reduce and index_reduce: src's elements combined into input at index's positions by
sum / prod / mean / amax / amin, with or without input's own value (include_self).

Work is on flat positions: `pos[i]` is where src element i lands (gather/scatter addressing),
so every reduction is one ufunc.at. Gradients, as torch's scatter_reduce_backward:
  sum   gx = gy (0 where scattered when not include_self), gsrc = gy[pos]
  mean  both divided by the number of values averaged at the position
  prod  gx = gy * (product of the src values there), gsrc_i = gy * (product of the others,
        self included) - exact with zeros (no division by the value itself)
  amax/amin  gy shared evenly by every value equal to the result there.
Positions no index points at keep input's value and gradient.
"""
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor, _make
from .gather import _along, _check_gather_like, _prefix
from ._util import new_tensor

__all__ = ["scatter_reduce", "index_reduce", "segment_reduce"]

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _positions(y_shape, dim, index):
    if not index.size:
        return _xp.zeros(0, _xp.int64)
    if len(y_shape) == 0 or index.ndim == 0:
        return index.reshape(-1).astype(_xp.int64)
    return _xp.ravel_multi_index(_along(index, dim), y_shape).reshape(-1)


def _flat_src(src, index):
    if not index.size:
        return src.reshape(-1)[:0]
    if src.ndim == 0 or index.ndim == 0:
        return src.reshape(-1)[:index.size]
    return src[_prefix(index.shape)].reshape(-1)


def _identity(reduce, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = _xp.inf if dtype.kind == "f" else (True if dtype.kind == "b" else
                                            _xp.iinfo(dtype).max)
    small = -_xp.inf if dtype.kind == "f" else (False if dtype.kind == "b" else
                                               _xp.iinfo(dtype).min)
    return small if reduce == "amax" else big


class ScatterReduce(Op, name="scatter_reduce"):
    """y = x with src reduced into index's positions (see the module docstring)."""

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce, include_self):
        pos = _positions(x.shape, dim, index)
        s = _flat_src(src, index)
        y = x.copy().reshape(-1)
        hit = _xp.zeros(y.shape, bool)
        hit[pos] = True
        if not include_self:
            y[hit] = _identity(reduce, y.dtype)
        ufunc = {"sum": _xp.add, "mean": _xp.add, "prod": _xp.multiply,
                 "amax": _xp.maximum, "amin": _xp.minimum}[reduce]
        ufunc.at(y, pos, s)
        count = _xp.zeros(y.shape, _xp.int64)
        _xp.add.at(count, pos, 1)
        count = count + (1 if include_self else 0)
        if reduce == "mean":
            c = _xp.maximum(count, 1)
            y = _xp.where(hit, y / c if y.dtype.kind == "f" else y // c, y).astype(x.dtype)
        ctx.save(pos=pos, x=x, s=s, y=y, count=count, hit=hit)
        ctx.dim, ctx.reduce, ctx.include_self = dim, reduce, include_self
        ctx.x_shape, ctx.src_shape, ctx.index_shape = x.shape, src.shape, index.shape
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, gy):
        g = gy._data.reshape(-1)
        pos, x, s, y, count, hit = ctx.pos, ctx.x.reshape(-1), ctx.s, ctx.y, ctx.count, ctx.hit
        keep_self = ctx.include_self
        gx = _xp.where(hit & (not keep_self), 0, g)
        if ctx.reduce == "sum":
            gs = g[pos]
        elif ctx.reduce == "mean":
            c = _xp.maximum(count, 1)
            gx = _xp.where(hit, gx / c, gx)
            gs = (g / c)[pos]
        elif ctx.reduce == "prod":
            nonzero = _xp.where(s == 0, 1, s)
            nz_prod = _xp.ones_like(g)
            _xp.multiply.at(nz_prod, pos, nonzero)
            zeros = _xp.zeros(g.shape, _xp.int64)
            _xp.add.at(zeros, pos, (s == 0).astype(_xp.int64))
            src_prod = _xp.where(zeros > 0, 0, nz_prod)
            gx = _xp.where(hit, gx * src_prod, gx)
            z = zeros[pos]
            others = _xp.where(s != 0, _xp.where(z > 0, 0, nz_prod[pos] / nonzero),
                               _xp.where(z == 1, nz_prod[pos], 0))
            if keep_self:
                others = others * x[pos]
            gs = g[pos] * others
        else:                                   # amax / amin: shared among the ties
            ties = _xp.zeros(g.shape, _xp.int64)
            _xp.add.at(ties, pos, (s == y[pos]).astype(_xp.int64))
            self_tie = x == y             # counted even without include_self (as torch)
            ties = ties + self_tie
            share = g / _xp.maximum(ties, 1)
            gx = _xp.where(hit, _xp.where(self_tie & keep_self, share, 0), gx)
            gs = _xp.where(s == y[pos], share[pos], 0)
        gsrc = None
        if ctx.needs_input_grad[3]:
            full = _xp.zeros(ctx.src_shape, g.dtype)
            if len(ctx.index_shape) and len(ctx.src_shape):
                full[_prefix(ctx.index_shape)] = gs.reshape(ctx.index_shape)
            else:
                full.reshape(-1)[:gs.size] = gs
            gsrc = new_tensor(full)
        return new_tensor(gx.reshape(ctx.x_shape).astype(g.dtype)), None, None, gsrc, None, None


def _check(input, dim, index, src, reduce, name):
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if not isinstance(index, Tensor) or index.dtype.name != "int64":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if src.dtype != input.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """out[.., index[i], ..] = reduce(input's value (if include_self), src[i] for each i)."""
    _check(input, dim, index, src, reduce, "scatter_reduce")
    nd = max(input.ndim, 1)
    dim = dim % nd
    _check_gather_like(input._data, dim, index._data, src._data)
    return ScatterReduce.apply(input, dim, index._data, src, reduce, bool(include_self))


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """input with source's slices reduced (prod / mean / amax / amin) into input.select(dim,
    index[i]) for each i."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    if index.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    _check(input, dim, index, source, reduce, "index_reduce")
    nd = max(input.ndim, 1)
    dim = dim % nd
    if index.numel() != (source.shape[dim] if source.ndim else 1):
        raise RuntimeError("index_reduce_(): Number of indices should be equal to "
                           "source.size(dim)")
    shape = [1] * source.ndim
    if source.ndim:
        shape[dim] = -1
    full = _xp.broadcast_to(index._data.reshape(shape), source._data.shape)
    _check_gather_like(input._data, dim, full, source._data)
    return ScatterReduce.apply(input, dim, _xp.ascontiguousarray(full), source, reduce,
                               bool(include_self))


_EMPTY = {"sum": 0.0, "prod": 1.0, "max": -float("inf"), "min": float("inf")}


def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0,
                   unsafe=False, initial=None):
    """Reduce consecutive segments of data along dim 0 (segment lengths, or offsets: their
    boundaries) by sum / mean / max / min / prod; `initial` joins every segment (mean: it is
    added to the sum, not counted), empty segments give initial or the reduction's identity
    (mean: nan). A composition of scatter_reduce and where, so it differentiates as torch."""
    import glasstorch as t
    if reduce not in ("sum", "mean", "max", "min", "prod"):
        raise RuntimeError(f"segment_reduce(): reduction {reduce!r} is not supported")
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined")
    if axis not in (0, -data.ndim) or (lengths is not None and lengths.ndim != 1) or \
            (offsets is not None and offsets.ndim != 1):
        raise NotImplementedError("segment_reduce: glasstorch reduces along axis 0 with 1-D "
                                  "lengths or offsets")
    if lengths is None:
        lengths = offsets[1:] - offsets[:-1]
    counts = lengths._data.astype(_xp.int64)
    if not unsafe and (counts.min(initial=0) < 0 or counts.sum() != data.shape[0]):
        raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum "
                           "to data.size(lengths.dim()-1) when !unsafe.")
    ids = _xp.repeat(_xp.arange(counts.size), counts)
    full = _xp.ascontiguousarray(_xp.broadcast_to(ids.reshape((-1,) + (1,) * (data.ndim - 1)),
                                                  data.shape))
    rest = tuple(data.shape[1:])
    op = {"sum": "sum", "mean": "sum", "prod": "prod", "max": "amax", "min": "amin"}[reduce]
    fill = _EMPTY["sum" if reduce == "mean" else reduce]
    base = t.full((counts.size,) + rest, fill, dtype=data.dtype)
    seg = ScatterReduce.apply(base, 0, full, data, op, False)
    n = t.tensor(counts.reshape((-1,) + (1,) * len(rest)), dtype=data.dtype)
    if reduce in ("sum", "prod"):
        if initial is None:
            return seg
        return seg + initial if reduce == "sum" else seg * initial
    if reduce == "mean":
        total = seg if initial is None else seg + initial
        empty = t.full((), float("nan") if initial is None else initial, dtype=data.dtype)
        return t.where(n == 0, empty, total / t.where(n == 0, t.ones_like(n), n))
    if initial is None:
        return seg
    better = seg >= initial if reduce == "max" else seg <= initial
    return t.where(better, seg, t.full((), initial, dtype=data.dtype))
