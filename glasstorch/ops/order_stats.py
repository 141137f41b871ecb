"""Order statistics and running extrema as compositions of registered ops: quantile,
nanquantile, nanmedian, mode, cummax, cummin. None has an Op class of its own: each finds
*which* elements it picks with plain array code (no gradient flows through a choice), then takes
them with `gather` or `sort`, whose backward scatters the gradient to the picked positions, as
torch's own backward formulas for these functions do.

    quantile(x, q):  r = q (n - 1) on the sorted slice s;
                     linear: lerp(s[floor r], s[ceil r], r - floor r)
    cummax(x)_k   =  x[i_k],  i_k = the last i <= k with x_i >= every earlier value (NaN wins)
"""
from .. import _dtype
from ..backend import xp as _xp
from ..tensor import Tensor, _make, _wrap_dim
from .sort import _return_type

__all__ = ["quantile", "nanquantile", "nanmedian", "mode", "cummax", "cummin"]

_cummax_result = _return_type("cummax", ("values", "indices"))
_cummin_result = _return_type("cummin", ("values", "indices"))
_mode_result = _return_type("mode", ("values", "indices"))
_nanmedian_result = _return_type("nanmedian", ("values", "indices"))
_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _long(array):
    return _make(_xp.array(array, dtype=_xp.int64))   # a contiguous copy (0-d stays 0-d)


# ---- quantile ---------------------------------------------------------------------------------
def _check_quantile(fn, input, q, interpolation):
    if input._data.size == 0:
        raise RuntimeError(f"{fn}() input tensor must be non-empty")
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"{fn}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.dim() > 1:
            raise RuntimeError(f"{fn}() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{fn}() q tensor must be same dtype as the input tensor")
        values = q._data
    else:
        values = _xp.asarray(q, dtype=_xp.float64)
    if values.size and not ((values >= 0) & (values <= 1)).all():
        if isinstance(q, Tensor):
            raise RuntimeError(f"{fn}() q values must be in the range [0, 1]")
        raise RuntimeError(f"{fn}() q must be in the range [0, 1] but got {q}")
    if interpolation not in _MODES:
        raise RuntimeError(f"{fn}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    return values


def _quantile(fn, input, q, dim, keepdim, interpolation, ignore_nan):
    qs = _check_quantile(fn, input, q, interpolation)
    x = input.reshape(-1) if dim is None else input.movedim(_wrap_dim(dim, input.dim()), -1)
    if x.dim() == 0:
        x = x.reshape(1)
    s = x.sort(-1).values                                # NaN sorts last, as in torch
    nan = _xp.isnan(s._data)
    n = s.shape[-1]
    # the rank of q in each slice: among its non-NaN values (nanquantile), or among all of them
    # with a NaN slice pointing at its last (NaN) entry (quantile: NaN in, NaN out)
    valid = (n - nan.sum(-1, keepdims=True)) if ignore_nan else _xp.full(nan.shape[:-1] + (1,), n)
    qv = qs.reshape(-1).astype(s._data.dtype)
    ranks = qv * (_xp.maximum(valid, 1) - 1)                    # (..., Q)
    if not ignore_nan:
        ranks = _xp.where(nan.any(-1, keepdims=True), n - 1, ranks)
    if interpolation == "nearest":
        ranks = _xp.round(ranks)                          # half to even, as torch.round
    lo, hi = _xp.floor(ranks).astype(_xp.int64), _xp.ceil(ranks).astype(_xp.int64)
    if ignore_nan:                                        # an all-NaN slice: its first NaN
        lo, hi = _xp.minimum(lo, n - 1), _xp.minimum(hi, n - 1)
    below, above = s.gather(-1, _long(lo)), s.gather(-1, _long(hi))
    if interpolation in ("lower", "nearest"):
        out = below
    elif interpolation == "higher":
        out = above
    elif interpolation == "midpoint":
        out = below.lerp(above, 0.5)
    else:
        out = below.lerp(above, _make((ranks - lo).astype(s._data.dtype)))
    # out is (..., Q): Q moves to the front for a tensor q, and is dropped for a number q
    if keepdim:
        if dim is None:
            out = out.reshape((1,) * input.dim() + (out.shape[-1],))
        else:
            out = out.unsqueeze(-2).movedim(-2, _wrap_dim(dim, input.dim()))
    scalar_q = not isinstance(q, Tensor) or q.dim() == 0
    return out.squeeze(-1) if scalar_q else out.movedim(-1, 0)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The q-th quantiles of input (all elements, or each slice along dim), interpolating
    between the two nearest sorted values; a slice holding NaN gives NaN."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """quantile ignoring NaN values (a slice of only NaN gives NaN)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


# ---- nanmedian, mode -------------------------------------------------------------------------
def nanmedian(input, dim=None, keepdim=False):
    """The lower median of the non-NaN values, or (values, indices) along dim."""
    if input._data.dtype.kind == "b":
        raise NotImplementedError("\"nanmedian_cpu\" not implemented for 'Bool'")
    flat = dim is None
    x = input.reshape(-1) if flat else input.movedim(_wrap_dim(dim, input.dim()), -1)
    if x.dim() == 0:
        x = x.reshape(1)
    if x.shape[-1] == 0:
        raise IndexError(f"nanmedian(): Expected reduction dim {dim} to have non-zero size.")
    s = x.sort(-1, stable=True)
    valid = x.shape[-1] - _xp.isnan(s.values._data).sum(-1, keepdims=True)
    # an all-NaN slice gives NaN at the middle position, as torch's kernel does
    k = _long(_xp.where(valid > 0, (valid - 1) // 2, (x.shape[-1] - 1) // 2))
    values, indices = s.values.gather(-1, k), s.indices.gather(-1, k)
    if flat:
        return values.reshape(())
    if keepdim:
        d = _wrap_dim(dim, input.dim())
        return _nanmedian_result(values.movedim(-1, d), indices.movedim(-1, d))
    return _nanmedian_result(values.squeeze(-1), indices.squeeze(-1))


def mode(input, dim=-1, keepdim=False):
    """The most frequent value of each slice along dim (the smallest among ties) and the index
    of its last occurrence."""
    d = _wrap_dim(dim, max(input.dim(), 1))
    x = input.reshape(1) if input.dim() == 0 else input.movedim(d, -1)
    a = x._data
    if a.shape[-1] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    order = _xp.argsort(a, axis=-1, kind="stable")
    s = _xp.take_along_axis(a, order, -1)
    new_run = _xp.ones(s.shape, bool)
    new_run[..., 1:] = s[..., 1:] != s[..., :-1]
    run_id = _xp.cumsum(new_run, -1) - 1
    counts = _xp.zeros(s.shape, _xp.int64)
    rows = _xp.indices(s.shape)[:-1]
    _xp.add.at(counts, tuple(rows) + (run_id,), 1)
    best = _xp.argmax(counts, -1)[..., None]          # the first (smallest) most frequent run
    value = _xp.take_along_axis(s, _xp.argmax(run_id == best, -1)[..., None], -1)
    # torch's index: the last position holding that value
    pos = _xp.arange(a.shape[-1])
    last = _xp.where(a == value, pos, -1).max(-1, keepdims=True)
    index = _long(last)
    values = x.gather(-1, index)
    if input.dim() == 0:
        return _mode_result(values.reshape(()), index.reshape(()))
    if keepdim:
        return _mode_result(values.movedim(-1, d), index.movedim(-1, d))
    return _mode_result(values.squeeze(-1), index.squeeze(-1))


# ---- cummax, cummin ----------------------------------------------------------------------------
def _running(input, dim, fn, result, better):
    d = _wrap_dim(dim, max(input.dim(), 1))
    if input.dim() == 0:
        values, index = _running(input.reshape(1), 0, fn, result, better)
        return result(values.reshape(()), index.reshape(()))
    a = input._data
    if a.dtype.kind == "b":
        a = a.astype(_xp.uint8)
    if a.shape[d] == 0:
        return result(input.clone(), _long(_xp.zeros(a.shape, _xp.int64)))
    run = fn.accumulate(a, axis=d)                      # NaN propagates (np.maximum/minimum)
    prev = _xp.concatenate([_xp.take(a, [0], d), _xp.delete(run, -1, d)], d)
    # a position takes over when it ties or beats the running extremum, or is NaN
    takes = better(a, prev) | (a == prev)
    if a.dtype.kind == "f":
        takes |= _xp.isnan(a)
    shape = [1] * a.ndim
    shape[d] = a.shape[d]
    pos = _xp.broadcast_to(_xp.arange(a.shape[d]).reshape(shape), a.shape)
    index = _long(_xp.maximum.accumulate(_xp.where(takes, pos, 0), axis=d))
    return result(input.gather(d, index), index)


def cummax(input, dim):
    """(values, indices): the running maximum along dim and where it was (the last of ties)."""
    return _running(input, dim, _xp.maximum, _cummax_result, _xp.greater)


def cummin(input, dim):
    """(values, indices): the running minimum along dim and where it was (the last of ties)."""
    return _running(input, dim, _xp.minimum, _cummin_result, _xp.less)
