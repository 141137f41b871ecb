"""Comparisons and selections of two tensors: maximum/minimum/fmax/fmin (gradient to the
winner), eq/ne/lt/le/gt/ge (bool results, no gradient), equal/isclose/allclose, and the
logical and bitwise ops. Operands are promoted by _operands.py.
"""
from .. import _dtype
from ..autograd.node import Op, _shape_error
from ..backend import xp as _xp, ndarray as _ndarray
from ..tensor import Tensor, _make
from ._inplace import _type_word
from ._operands import _into, _lift, _need_tensor, _not_implemented, _promote

__all__ = ["maximum", "minimum", "fmax", "fmin", "eq", "ne", "lt", "le", "gt", "ge", "greater",
           "less", "greater_equal", "less_equal", "not_equal", "equal", "isclose", "allclose",
           "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_left_shift", "bitwise_right_shift"]


# ---- maximum, minimum, fmax, fmin ---------------------------------------------------------------
def _split(xp, dt, a_loses, b_loses, tie):
    # torch: the smaller (larger) input gets no gradient, a tie sends half to each, and a NaN
    # comparison (neither loses) sends all of it to both
    wa = xp.where(tie, 0.5, xp.where(a_loses, 0, 1)).astype(dt)
    wb = xp.where(tie, 0.5, xp.where(b_loses, 0, 1)).astype(dt)
    return wa, wb


class _Select(Op):
    """Base of max/min-like ops: forward stores each input's weight array (1 where it won, 0
    where it lost); backward scales gy by them, so second derivatives are linear in gy."""

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        return ((gy * _make(ctx.wa)) if need[0] else None,
                (gy * _make(ctx.wb)) if need[1] else None)


class Maximum(_Select, name="maximum"):
    """y = max(a, b) (NaN propagates);  dy/da = 1 where a > b, 1/2 on ties, 0 where a < b."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            wa, wb = _split(xp, a.dtype, a < b, a > b, a == b)
            ctx.save(wa=wa, wb=wb)
        return xp.maximum(a, b)


class Minimum(_Select, name="minimum"):
    """y = min(a, b) (NaN propagates);  dy/da = 1 where a < b, 1/2 on ties, 0 where a > b."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            wa, wb = _split(xp, a.dtype, a > b, a < b, a == b)
            ctx.save(wa=wa, wb=wb)
        return xp.minimum(a, b)


class Fmax(_Select, name="fmax"):
    """y = max(a, b) ignoring NaN;  dy/da = 1 where a >= b or b is NaN, else dy/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            a_wins = (a >= b) | xp.isnan(b)
            wa, wb = a_wins.astype(a.dtype), (~a_wins).astype(a.dtype)
            ctx.save(wa=wa, wb=wb)
        return xp.fmax(a, b)


class Fmin(_Select, name="fmin"):
    """y = min(a, b) ignoring NaN;  dy/da = 1 where a <= b or b is NaN, else dy/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            a_wins = (a <= b) | xp.isnan(b)
            wa, wb = a_wins.astype(a.dtype), (~a_wins).astype(a.dtype)
            ctx.save(wa=wa, wb=wb)
        return xp.fmin(a, b)


def _select(op, fn, input, other, out=None):
    _need_tensor(fn, other)
    a, b = _promote(input, other)
    y = op.apply(a, b)
    return y if out is None else _into(y, out, fn)


def maximum(input, other, *, out=None):
    """Elementwise max (NaN if either is NaN); ties split the gradient equally, as torch."""
    return _select(Maximum, "maximum", input, other, out)


def minimum(input, other, *, out=None):
    """Elementwise min (NaN if either is NaN); ties split the gradient equally, as torch."""
    return _select(Minimum, "minimum", input, other, out)


def fmax(input, other, *, out=None):
    """Elementwise max that ignores NaN (NaN only where both are NaN)."""
    return _select(Fmax, "fmax", input, other, out)


def fmin(input, other, *, out=None):
    """Elementwise min that ignores NaN (NaN only where both are NaN)."""
    return _select(Fmin, "fmin", input, other, out)


# ---- comparisons (no gradient; bool results) --------------------------------------------------
def _compare(ufunc, a, b):
    if not isinstance(a, Tensor):
        a = _lift(a, b)
    a, b = _promote(a, b)
    return _kernel(ufunc, a, b)


def _kernel(ufunc, a, b):
    """An ufunc without a gradient (comparisons, bitwise ops) on promoted operands."""
    try:
        y = ufunc(a._data, b._data if isinstance(b, Tensor) else b)
    except ValueError as e:
        raise _shape_error(e, (a, b), ufunc.__name__) from None
    return _make(_xp.asarray(y))


def _comparable(other):
    return isinstance(other, (Tensor, int, float, _xp.generic, _ndarray))


def eq(input, other, *, out=None):
    """input == other elementwise. A non-number `other` (None, a string) gives NotImplemented,
    so `t == None` is False, as in torch."""
    if not _comparable(other):
        return NotImplemented
    y = _compare(_xp.equal, input, other)
    return y if out is None else _into(y, out, "eq")


def ne(input, other, *, out=None):
    if not _comparable(other):
        return NotImplemented
    y = _compare(_xp.not_equal, input, other)
    return y if out is None else _into(y, out, "ne")


def lt(input, other, *, out=None):
    y = _compare(_xp.less, input, other)
    return y if out is None else _into(y, out, "lt")


def le(input, other, *, out=None):
    y = _compare(_xp.less_equal, input, other)
    return y if out is None else _into(y, out, "le")


def gt(input, other, *, out=None):
    y = _compare(_xp.greater, input, other)
    return y if out is None else _into(y, out, "gt")


def ge(input, other, *, out=None):
    y = _compare(_xp.greater_equal, input, other)
    return y if out is None else _into(y, out, "ge")


greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def equal(input, other):
    """True if both have the same shape and the same values (compared after promotion)."""
    _need_tensor("equal", other)
    return input._data.shape == other._data.shape and \
        bool(_xp.array_equal(input._data, other._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other| elementwise (equal infinities are close)."""
    _need_tensor("isclose", other)
    da, db = input._data.dtype, other._data.dtype
    if da != db:
        raise RuntimeError(f"{_type_word(da)} did not match {_type_word(db)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    xp = _xp
    a, b = input._data, other._data
    close = a == b
    if equal_nan and da.kind == "f":
        close |= xp.isnan(a) & xp.isnan(b)
    if rtol or atol:
        if da.kind != "f":  # torch: the tolerance is computed in the default float dtype
            ft = _dtype.get_default_dtype().np
            a, b = a.astype(ft), b.astype(ft)
        allowed = atol + xp.abs(rtol * b)
        with xp.errstate(invalid="ignore"):  # inf - inf
            actual = xp.abs(a - b)
        close |= xp.isfinite(actual) & (actual <= allowed)
    return _make(xp.asarray(close))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if every element is close (see isclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


# ---- logical and bitwise ops ------------------------------------------------------------------
def _logical(ufunc, fn, input, other, out):
    _need_tensor(fn, other)
    y = _kernel(ufunc, input, other)
    return y if out is None else _into(y, out, fn)


def logical_and(input, other, *, out=None):
    """Elementwise `input and other` of truth values (nonzero is True); bool result."""
    return _logical(_xp.logical_and, "logical_and", input, other, out)


def logical_or(input, other, *, out=None):
    return _logical(_xp.logical_or, "logical_or", input, other, out)


def logical_xor(input, other, *, out=None):
    return _logical(_xp.logical_xor, "logical_xor", input, other, out)


def _bitwise(ufunc, kernel, input, other, bool_ok=True):
    if not isinstance(input, Tensor):
        input = _lift(input, other)
    a, b = _promote(input, other)
    dt = a._data.dtype
    if dt.kind == "f" or (dt.kind == "b" and not bool_ok):
        raise _not_implemented(kernel, dt)
    return _kernel(ufunc, a, b)


def bitwise_and(input, other):
    """Elementwise AND of integers or bools (`&`)."""
    return _bitwise(_xp.bitwise_and, "bitwise_and_cpu", input, other)


def bitwise_or(input, other):
    return _bitwise(_xp.bitwise_or, "bitwise_or_cpu", input, other)


def bitwise_xor(input, other):
    return _bitwise(_xp.bitwise_xor, "bitwise_xor_cpu", input, other)


def bitwise_left_shift(input, other):
    """input << other for integers (shifts of the bit width or more give 0, as torch)."""
    return _bitwise(_xp.left_shift, "lshift_cpu", input, other, bool_ok=False)


def bitwise_right_shift(input, other):
    """input >> other for integers, arithmetic (sign-filling) for signed types."""
    return _bitwise(_xp.right_shift, "rshift_cpu", input, other, bool_ok=False)
