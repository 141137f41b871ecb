"""Reductions that select: max/min/median (values and indices), amax/amin/aminmax,
argmax/argmin, and logsumexp (the smooth maximum).

Selections (max, min, median) save a constant 0/1 "who was picked" array in forward, so
their backward is one multiply: linear in gy, hence differentiable again for free. amax/amin
split the gradient evenly between ties, as torch does. Shared helpers are in reduce.py.
"""
import builtins

from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor, _make, _wrap_dim
from ._reduction import _INF, _check_nonempty, _count, _dims, _kept_shape, _to_float

__all__ = ["max", "min", "amax", "amin", "aminmax", "argmax", "argmin", "logsumexp", "median"]


def _return_type(name, first, second):
    """torch.return_types.<name>: a 2-tuple whose items are also named attributes."""
    def __new__(cls, a, b):
        return tuple.__new__(cls, (a, b))

    def __repr__(self):
        return f"torch.return_types.{name}(\n{first}={self[0]!r},\n{second}={self[1]!r})"

    ns = {"__slots__": (), "__new__": __new__, "__repr__": __repr__,
          "__getnewargs__": lambda self: tuple(self),  # so pickle calls __new__(cls, a, b)
          first: property(lambda self: self[0]), second: property(lambda self: self[1]),
          "_fields": (first, second), "__module__": __name__,
          "__qualname__": f"_{name.capitalize()}Result"}
    return type(name, (tuple,), ns)


_MaxResult = _return_type("max", "values", "indices")
_MinResult = _return_type("min", "values", "indices")
_MedianResult = _return_type("median", "values", "indices")
_AminmaxResult = _return_type("aminmax", "min", "max")


# ---- max, min, median (selections) -------------------------------------------------------------
class _Selection(Op):
    """Base of max/min/median. Whole tensor (idx None): y = kernel(x), the gradient split
    evenly among tied elements (torch). Along a dim: y = x at `idx`, the gradient routed to
    that index only. Either way backward is gy times a saved constant array, so it is linear
    in gy and differentiable again."""
    kernel = None
    whole_suffix = 1  # torch: max() is MaxBackward1 and max(dim) MaxBackward0; median reverses

    @staticmethod
    def forward(ctx, x, idx, dim, keepdim):
        xp = ctx.xp
        need = ctx.needs_input_grad[0]
        if idx is None:
            y = type(ctx).kernel(xp, x)
            if need:
                pick = xp.isnan(x) if y != y else x == y  # a nan result: the nans are the ties
                ctx.save(scale=pick.astype(x.dtype) / builtins.int(pick.sum()))
                ctx.gshape, ctx.whole = None, True
            return y
        y = xp.take_along_axis(x, idx, dim)
        if not keepdim:
            y = y.squeeze(dim)
        if need:
            scale = xp.zeros_like(x)
            xp.put_along_axis(scale, idx, 1, dim)
            ctx.save(scale=scale)
            ctx.gshape, ctx.whole = (None if keepdim else idx.shape), False
        return y

    @staticmethod
    def backward(ctx, gy):
        if ctx.gshape is not None:
            gy = gy.reshape(ctx.gshape)
        return gy * _make(ctx.scale), None, None, None

    def name(self):
        suffix = self.whole_suffix if self.whole else 1 - self.whole_suffix
        return f"{type(self).__name__}Backward{suffix}"


def _lower_median(xp, x):
    flat = x.reshape(-1)
    if flat.size == 0:  # torch: the median of nothing is nan
        return xp.asarray(xp.nan, dtype=x.dtype)
    if x.dtype.kind == "f" and xp.isnan(flat).any():
        return xp.asarray(xp.nan, dtype=x.dtype)
    k = (flat.size - 1) // 2  # torch: the lower of the two middle values
    return xp.partition(flat, k)[k]


class Max(_Selection, name="max"):
    """y = max(x);  dy/dx = 1 at the maximum (1/count for ties of a whole-tensor max)."""
    kernel = staticmethod(lambda xp, x: x.max())


class Min(_Selection, name="min"):
    """y = min(x);  dy/dx = 1 at the minimum (1/count for ties of a whole-tensor min)."""
    kernel = staticmethod(lambda xp, x: x.min())


class Median(_Selection, name="median"):
    """y = lower median of x;  dy/dx = 1 at the median (1/count for whole-tensor ties)."""
    kernel = staticmethod(_lower_median)
    whole_suffix = 0


def _median_index(xp, x, d):
    # the lower middle of a stable sort (matches torch on ties); a nan slice picks its nan
    idx = xp.take(xp.argsort(x, axis=d, kind="stable"), [(x.shape[d] - 1) // 2], axis=d)
    if x.dtype.kind == "f":
        nan = xp.isnan(x)
        idx = xp.where(nan.any(d, keepdims=True), nan.argmax(d, keepdims=True), idx)
    return idx


def _select(op, result, input, dim, keepdim, index_fn, name):
    """max/min/median: the whole-tensor value, or (values, indices) along `dim`."""
    x = input._data
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            "(keepdim=bool), but expected a dim with keepdim")
        if name != "median":  # torch: the median of nothing is nan, max/min raise
            _check_nonempty(input, (), False, name)
        return op.apply(input, None, None, False)
    d = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:  # a 0-d tensor accepts dim 0 / -1: select from its 1-element view
        values = op.apply(input.reshape(1), _xp.zeros(1, _xp.int64), 0, False)
        return result(values, _make(_xp.asarray(0)))
    _check_nonempty(input, (d,), True, name)
    idx = index_fn(_xp, x, d)
    values = op.apply(input, idx, d, keepdim)
    return result(values, _make(idx if keepdim else idx.squeeze(d)))


def _argmax_keep(xp, x, d):
    return xp.argmax(x, axis=d, keepdims=True)  # first occurrence on ties, nan counts as max


def _argmin_keep(xp, x, d):
    return xp.argmin(x, axis=d, keepdims=True)


def max(input, dim=None, keepdim=False, *, other=None):
    """max(input) -> max of all elements; max(input, dim, keepdim=False) -> (values, indices);
    max(input, other) -> the elementwise maximum (torch's three overloads)."""
    if other is not None or isinstance(dim, Tensor):
        from .compare import maximum
        return maximum(input, dim if other is None else other)
    return _select(Max, _MaxResult, input, dim, keepdim, _argmax_keep, "max")


def min(input, dim=None, keepdim=False, *, other=None):
    """min(input), min(input, dim, keepdim=False) -> (values, indices), min(input, other)."""
    if other is not None or isinstance(dim, Tensor):
        from .compare import minimum
        return minimum(input, dim if other is None else other)
    return _select(Min, _MinResult, input, dim, keepdim, _argmin_keep, "min")


def median(input, dim=None, keepdim=False):
    """Lower median of all elements, or (values, indices) along `dim`. Nan if any is nan."""
    if input._data.dtype.kind == "b" and input._data.size:     # torch has no bool kernel
        kernel = "median_cpu" if dim is None else "median_out"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    return _select(Median, _MedianResult, input, dim, keepdim, _median_index, "median")


# ---- amax, amin, argmax, argmin ----------------------------------------------------------------
class _Extremum(Op):
    """Base of amax/amin: y = extremum over dims;  dy/dx = 1/count at the extrema of each
    slice (ties share the gradient evenly), 0 elsewhere."""
    method = None

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        y = getattr(x, type(ctx).method)(axis=dims, keepdims=keepdim)
        if ctx.needs_input_grad[0]:
            kshape = _kept_shape(x.shape, dims)
            pick = (x == ctx.xp.reshape(y, kshape)).astype(x.dtype)
            with ctx.xp.errstate(invalid="ignore", divide="ignore"):  # a nan slice: torch's nan
                ctx.save(scale=pick / pick.sum(axis=dims, keepdims=True))
            ctx.gshape = None if keepdim else kshape
        return y

    @staticmethod
    def backward(ctx, gy):
        if ctx.gshape is not None:
            gy = gy.reshape(ctx.gshape)
        return gy * _make(ctx.scale), None, None


class Amax(_Extremum, name="amax"):
    """y = max over dims;  dy/dx = 1/count at the maxima of each slice."""
    method = "max"


class Amin(_Extremum, name="amin"):
    """y = min over dims;  dy/dx = 1/count at the minima of each slice."""
    method = "min"


def _extremum(op, input, dim, keepdim, name):
    dims = _dims(dim, input._data.ndim)
    _check_nonempty(input, dims, dim is not None and dim != () and dim != [], name)
    return op.apply(input, dims, keepdim)


def amax(input, dim=(), keepdim=False):
    """Max over `dim` (int or tuple; all dims when empty). Ties share the gradient."""
    return _extremum(Amax, input, dim, keepdim, "amax")


def amin(input, dim=(), keepdim=False):
    """Min over `dim` (int or tuple; all dims when empty). Ties share the gradient."""
    return _extremum(Amin, input, dim, keepdim, "amin")


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over `dim` (all dims when None)."""
    dims = _dims(dim, input._data.ndim)
    if input._data.size == 0 and (dim is None or _count(input._data.shape, dims) == 0):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    return _AminmaxResult(Amin.apply(input, dims, keepdim), Amax.apply(input, dims, keepdim))


def _arg(fn, input, dim, keepdim, name):
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:  # the index into the flattened tensor
        _check_nonempty(input, (), False, name, dim_msg=False)
        return _make(_xp.asarray(fn(x)).reshape((1,) * x.ndim if keepdim else ()))
    d = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return _make(_xp.asarray(0))
    _check_nonempty(input, (d,), True, name)
    return _make(fn(x, axis=d, keepdims=keepdim))


def argmax(input, dim=None, keepdim=False):
    """Index of the (first) maximum along `dim`, or into the flattened tensor when None."""
    return _arg(_xp.argmax, input, dim, keepdim, "argmax")


def argmin(input, dim=None, keepdim=False):
    """Index of the (first) minimum along `dim`, or into the flattened tensor when None."""
    return _arg(_xp.argmin, input, dim, keepdim, "argmin")


# ---- logsumexp ---------------------------------------------------------------------------------
class Logsumexp(Op, name="logsumexp"):
    """y = m + log(sum(exp(x - m))) with m = max(x), so exp cannot overflow;
    dy/dx = exp(x - y) (the softmax of x, from the saved output)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = ctx.xp
        m = x.max(axis=dims, keepdims=True, initial=-_INF)
        # rows of -inf (or holding +inf) must not shift by an infinite m: inf - inf = nan
        m = xp.where(xp.isfinite(m), m, 0)
        with xp.errstate(divide="ignore"):  # log(0) = -inf for rows of -inf: torch's answer
            y = xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m
        if not keepdim:
            y = y.squeeze(dims)
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.save_output(y)
            ctx.gshape = None if keepdim else _kept_shape(x.shape, dims)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        y = ctx.output()
        if ctx.gshape is not None:
            gy, y = gy.reshape(ctx.gshape), y.reshape(ctx.gshape)
        return gy * (x - y).exp(), None, None


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) over `dim`, computed stably. Integer inputs give floats."""
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' must be tuple of ints, not NoneType")
    input = _to_float(input)
    return Logsumexp.apply(input, _dims(dim, input._data.ndim), keepdim)
