"""Moments: mean, var, std, var_mean, std_mean (reduce.py re-exports them).

mean divides by N (floating inputs only, as torch); var divides the squared deviations by
N - correction (correction=1, Bessel's, by default), and its backward, 2 (x - mean) / (N -
correction), is written in glasstorch ops, so var and std differentiate twice. std's backward
divides by 2 std and takes 0 where std is 0, as torch does. Helpers in _reduction.py.
"""
import warnings

from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import _make
from ._inplace import _type_word
from ._reduction import _INF, _count, _dims, _expand_back, _infers_float, _unreduce
from ._util import to_dtype

__all__ = ["mean", "var", "std", "var_mean", "std_mean"]


class Mean(Op, name="mean"):
    """y = sum(x) / N over dims;  dy/dx = 1/N."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        n = _count(x.shape, dims)
        ctx.shape, ctx.dims, ctx.keepdim, ctx.n = x.shape, dims, keepdim, n
        if n == 0:  # torch: the mean of nothing is nan, silently
            with ctx.xp.errstate(invalid="ignore"):
                return x.sum(axis=dims, keepdims=keepdim) / n
        return x.sum(axis=dims, keepdims=keepdim) / n

    @staticmethod
    def backward(ctx, gy):
        if ctx.n == 0:  # the input is empty: nothing to divide
            return _expand_back(gy, ctx.shape, ctx.dims, ctx.keepdim), None, None
        return _expand_back(gy / ctx.n, ctx.shape, ctx.dims, ctx.keepdim), None, None


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over `dim` (all dims when None). Floating inputs only, unless `dtype` is given."""
    if dtype is not None:
        if not dtype.is_floating_point:
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be "
                               "either a floating point or complex dtype. Got: "
                               f"{_type_word(dtype.np)}")
        input = to_dtype(input, dtype)
    _infers_float(input, "mean")
    return Mean.apply(input, _dims(dim, input._data.ndim), keepdim)


# ---- var, std ----------------------------------------------------------------------------------
def _var_kernel(xp, x, dims, correction, keepdim, name):
    # numpy divides by max(0, N - correction), as torch does; torch also warns when that is 0
    if _count(x.shape, dims) - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
        with xp.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return xp.var(x, axis=dims, ddof=correction, keepdims=keepdim)
    return xp.var(x, axis=dims, ddof=correction, keepdims=keepdim)


def _var_backward(x, gy, dims, correction, keepdim, rnumel):
    """d var / dx = 2 (x - mean) / (N - correction), written in glasstorch ops (so
    differentiable), with torch's conventions when N - correction <= 0."""
    xd = x._data
    if rnumel is None:  # whole tensor (dim=None): torch returns inf, or nan where x == mean
        dof = xd.size - correction
        if dof <= 0:
            bad = _xp.where(xd == xd.mean(), _xp.nan, _INF).astype(xd.dtype)
            return gy * _make(bad)
        return (2.0 / dof) * gy * (x - Mean.apply(x, dims, False))
    # torch: with an explicit dim the factor is 2 / (N - correction), unclamped (N of () is 1)
    dof = rnumel - correction
    factor = 2.0 / dof if dof != 0 else _INF
    gy = _unreduce(gy, xd.shape, dims, keepdim)
    return factor * gy * (x - Mean.apply(x, dims, True))


class Var(Op, name="var"):
    """y = sum((x - mean)^2) / (N - correction);  dy/dx = 2 (x - mean) / (N - correction)."""

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, rnumel):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.args = (dims, correction, keepdim, rnumel)
        return _var_kernel(ctx.xp, x, dims, correction, keepdim, "var")

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return _var_backward(x, gy, *ctx.args), None, None, None, None


class Std(Op, name="std"):
    """y = sqrt(var(x));  dy/dx = dvar/dx / (2 y), taken as 0 where y == 0 (torch)."""

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, rnumel):
        y = ctx.xp.sqrt(_var_kernel(ctx.xp, x, dims, correction, keepdim, "std"))
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.save_output(y)
            ctx.args = (dims, correction, keepdim, rnumel)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        y = ctx.output()
        zero = y._data == 0
        if zero.any():  # constant std: torch defines the gradient as 0 (not 0/0)
            keep = _make((~zero).astype(y._data.dtype))
            gvar = gy / (2 * (y + _make(zero.astype(y._data.dtype)))) * keep
        else:
            gvar = gy / (2 * y)
        return _var_backward(x, gvar, *ctx.args), None, None, None, None


def _var_args(input, dim, unbiased, correction, name):
    """Normalize torch's var/std overloads: (dim, unbiased, keepdim), legacy (unbiased) and
    correction=. Returns (dims, correction, rnumel); rnumel is None for dim=None."""
    if isinstance(dim, bool):  # legacy var(unbiased)
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments - got both "
                            "unbiased and correction")
        correction = 1 if unbiased else 0
    elif correction is None:
        correction = 1  # torch: Bessel's correction by default
    if input._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    shape = input._data.shape
    dims = _dims(dim, len(shape))
    if dim is None or not shape:
        return dims, correction, None
    return dims, correction, _count(shape, dims)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over `dim`, dividing by N - correction (default correction=1, Bessel's)."""
    dims, correction, rnumel = _var_args(input, dim, unbiased, correction, "var")
    return Var.apply(input, dims, correction, keepdim, rnumel)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: sqrt(var(input, dim, ...))."""
    dims, correction, rnumel = _var_args(input, dim, unbiased, correction, "std")
    return Std.apply(input, dims, correction, keepdim, rnumel)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over the same dims."""
    dims, correction, rnumel = _var_args(input, dim, unbiased, correction, "var_mean")
    return Var.apply(input, dims, correction, keepdim, rnumel), Mean.apply(input, dims, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over the same dims."""
    dims, correction, rnumel = _var_args(input, dim, unbiased, correction, "std_mean")
    return Std.apply(input, dims, correction, keepdim, rnumel), Mean.apply(input, dims, keepdim)
