"""Elementwise ops of two operands: arithmetic, comparisons, logical and bitwise ops.

Operands broadcast (NumPy's rules, which are PyTorch's); gradients come back in the
broadcast shape and the engine sums them to each input's shape (engine.sum_to), so the
backward formulas below are written as if no broadcasting happened.

Type promotion is PyTorch's (`_dtype.result_type`), done once in `_promote` before the
kernel: `int_tensor * 1.5` is float32, `float16 + 1.0` stays float16.
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor, _make
from ._util import to_dtype

__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
           "eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal",
           "less_equal", "not_equal", "equal", "result_type", "promote_types", "can_cast"]

result_type = _dtype.result_type
promote_types = _dtype.promote_types
can_cast = _dtype.can_cast

_PY_SCALARS = (int, float, bool)


def _promote(a, b):
    """Cast operands to their PyTorch result dtype. `b` may be a Python number; it is
    returned as is when NumPy would keep the tensor's dtype (NEP 50 weak scalars)."""
    if isinstance(b, Tensor):
        ad, bd = a._data.dtype, b._data.dtype
        if ad == bd:
            return a, b
        rt = _dtype.result_type(a, b)
        return to_dtype(a, rt), to_dtype(b, rt)
    if isinstance(b, _PY_SCALARS):
        kind = a._data.dtype.kind
        if kind == "f" or (kind in "iu" and not isinstance(b, float)) or \
                (kind == "b" and isinstance(b, bool)):
            return a, b
        return to_dtype(a, _dtype.result_type(a, b)), b
    if isinstance(b, _xp.generic):  # NumPy scalars behave like Python numbers here
        return _promote(a, b.item())
    from ..creation import as_tensor
    return _promote(a, as_tensor(b))


def _tensor(x):
    if isinstance(x, Tensor):
        return x
    from ..creation import as_tensor
    return as_tensor(x)


# ---- arithmetic -------------------------------------------------------------------------------
class Add(Op, name="add"):
    """y = a + b;  dy/da = 1, dy/db = 1 (broadcast dims summed by the engine)."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, gy):
        return gy, gy


class Sub(Op, name="sub"):
    """y = a - b;  dy/da = 1, dy/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, gy):
        return gy, (-gy if ctx.needs_input_grad[1] else None)


class Mul(Op, name="mul"):
    """y = a * b;  dy/da = b, dy/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        need = ctx.needs_input_grad
        if need[0] or need[1]:
            ctx.save_inputs(0, 1)
        return a * b

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (gy * b if need[0] else None), (gy * a if need[1] else None)


class Div(Op, name="div"):
    """y = a / b;  dy/da = 1/b, dy/db = -a/b^2 = -y/b."""

    @staticmethod
    def forward(ctx, a, b):
        need = ctx.needs_input_grad
        if need[0] or need[1]:
            ctx.save_inputs(0, 1)
        return a / b

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = gy / b if need[0] else None
        gb = -gy * a / (b * b) if need[1] else None
        return ga, gb


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other."""
    a, b = _promote(input, other) if isinstance(input, Tensor) else _swap(_promote, input, other)
    if alpha != 1:
        b = mul(b, alpha) if isinstance(b, Tensor) else b * alpha
    return Add.apply(a, b)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other."""
    if isinstance(input, Tensor) and input._data.dtype.kind == "b" and (
            isinstance(other, bool) or (isinstance(other, Tensor) and
                                        other._data.dtype.kind == "b")):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    a, b = _promote(input, other) if isinstance(input, Tensor) else _swap(_promote, input, other)
    if alpha != 1:
        b = mul(b, alpha) if isinstance(b, Tensor) else b * alpha
    return Sub.apply(a, b)


subtract = sub


def rsub(input, other, *, alpha=1):
    """other - alpha * input (the reflected `number - tensor`)."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    a, b = _promote(input, other)
    if alpha != 1:
        a = mul(a, alpha)
    return Sub.apply(_make(_xp.asarray(b, dtype=a._data.dtype)), a)


def _swap(promote, x, y):
    # x is not a tensor: promote with y as the tensor, keep the order
    b, a = promote(_tensor(y), x)
    return (_tensor(a) if not isinstance(a, Tensor) else a), b


def mul(input, other, *, out=None):
    if not isinstance(input, Tensor):
        input, other = other, input
    a, b = _promote(input, other)
    return Mul.apply(a, b)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """True division (ints give the default float dtype), or 'trunc' / 'floor' rounding."""
    if rounding_mode is not None:
        if rounding_mode == "floor":
            return floor_divide(input, other)
        if rounding_mode == "trunc":
            return _trunc_divide(input, other)
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    input = _tensor(input)
    a, b = _promote(input, other)
    if a._data.dtype.kind != "f":  # torch: integer true division gives the default float
        ft = _dtype.get_default_dtype()
        a = to_dtype(a, ft)
        if isinstance(b, Tensor):
            b = to_dtype(b, ft)
    elif isinstance(b, Tensor) and b._data.dtype.kind != "f":
        b = to_dtype(b, _dtype.from_numpy_dtype(a._data.dtype))
    return Div.apply(a, b)


divide = true_divide = div


def rdiv(input, other):
    """other / input (the reflected `number / tensor`)."""
    return div(_make(_xp.asarray(other)) if not isinstance(other, Tensor) else other, input) \
        if not isinstance(other, _PY_SCALARS) else div(_scalar_like(other, input), input)


def _scalar_like(value, ref):
    # a Python number as a 0-d tensor of the promoted dtype (keeps float32 math in float32)
    rt = _dtype.result_type(ref, value)
    return _make(_xp.asarray(value, dtype=rt.np))


def _trunc_divide(input, other):
    from . import unary
    q = div(input, other)
    input = _tensor(input)
    rt = _dtype.result_type(input, other)
    y = unary.trunc(q)
    return to_dtype(y, rt) if rt.category < 2 else y


# ---- comparisons (no gradient; bool results) --------------------------------------------------
def _compare(ufunc, a, b):
    if not isinstance(a, Tensor):
        a = _tensor(a)
    a, b = _promote(a, b)
    bd = b._data if isinstance(b, Tensor) else b
    return _make(_xp.asarray(ufunc(a._data, bd)))


def eq(input, other):
    return _compare(_xp.equal, input, other)


def ne(input, other):
    return _compare(_xp.not_equal, input, other)


def lt(input, other):
    return _compare(_xp.less, input, other)


def le(input, other):
    return _compare(_xp.less_equal, input, other)


def gt(input, other):
    return _compare(_xp.greater, input, other)


def ge(input, other):
    return _compare(_xp.greater_equal, input, other)


greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def equal(input, other):
    """True if both have the same shape and elements."""
    return input.shape == other.shape and bool(_xp.array_equal(input._data, other._data))
