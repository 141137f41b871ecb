"""Arithmetic of two tensors: add, sub, mul, div, and integer division (floor_divide,
remainder, fmod, rounded div). Operands are promoted by _operands.py.

Tensor dunders (tensor_methods/operators.py) and in-place methods (_inplace.py) call the
functions here. Powers, max/min-like and other two-input math are in binary_math.py,
comparisons in compare.py; one-input ops in unary.py.
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp, memory as _mem, threads as _threads
from ..tensor import Tensor, _make
from ._operands import (_check_int_divisor, _into, _lift, _not_implemented, _number, _promote,
                        _to_float, _wrap_int)
from ._util import to_dtype

__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "fmod"]


# ---- add, sub, mul, div -----------------------------------------------------------------------
class Add(Op, name="add"):
    """y = a + alpha b;  dy/da = 1, dy/db = alpha (broadcast dims summed by the engine).
    alpha is a number kept as a plain attribute, as torch's AddBackward0 keeps it: nothing is
    saved, so a second backward works (an `alpha * b` through mul would save b)."""
    alpha = 1

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        if alpha == 1:
            if type(a) is _xp.ndarray and a.nbytes >= _SPLIT_ADD_BYTES:
                return _large_add(a, b)
            return a + b
        ctx.alpha = alpha
        return a + b * alpha

    @staticmethod
    def backward(ctx, gy):
        alpha = ctx.alpha
        return gy, (gy if alpha == 1 else gy * alpha)


# A residual connection's add, and the engine's accumulation of a gradient that reaches a
# tensor along two paths (prev + g), on large arrays: NumPy's add in slices over the pool (it
# releases the GIL; elementwise, so the same bits) into a 64-byte-aligned result. 1 MiB and
# up: a float32 8 MiB add took 851 us serial, 510-590 split; 4 MiB 425 vs 285-360; 2 MiB 212
# vs 151-231 (min / median of 40 calls at 2 threads, real-time priority).
_SPLIT_ADD_BYTES = 1 << 20


def _large_add(a, b):
    """a + b for a large ndarray a: sliced over the thread pool when b has a's shape and dtype
    (a float) and both are C-contiguous (the result is then too, as NumPy's), else NumPy's."""
    if type(b) is not _xp.ndarray or b.shape != a.shape or b.dtype != a.dtype \
            or a.dtype.kind != "f" or not (a.flags.c_contiguous and b.flags.c_contiguous):
        return a + b
    return _threads.binary(_xp.add, a, b, _mem.empty(a.shape, a.dtype),
                           threshold=_SPLIT_ADD_BYTES)


class Sub(Op, name="sub"):
    """y = a - alpha b;  dy/da = 1, dy/db = -alpha (alpha as in Add)."""
    alpha = 1

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        if alpha == 1:
            return a - b
        ctx.alpha = alpha
        return a - b * alpha

    @staticmethod
    def backward(ctx, gy):
        if not ctx.needs_input_grad[1]:
            return gy, None
        alpha = ctx.alpha
        return gy, (-gy if alpha == 1 else gy * -alpha)


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
    """y = a / b;  dy/da = 1/b, dy/db = -a/b^2."""

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
        gb = -gy * ((a / b) / b) if need[1] else None   # torch's order: b * b underflows
        return ga, gb


def _check_alpha(alpha, dt):
    """alpha as a Python number, with torch's checks of alpha against the result dtype."""
    alpha = _number(alpha)
    if type(alpha) is bool and dt.kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if dt.kind != "f" and isinstance(alpha, float):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    return alpha


def _scaled(b, alpha, dt):
    """alpha * other for add/sub where the op cannot take alpha itself: a number `other`, or
    integer and bool results (which have no gradient)."""
    if dt.kind == "b":  # bool results: alpha acts as a bool (a + 2 * b is a or b)
        if alpha:
            return b
        return mul(b, False) if isinstance(b, Tensor) else False
    if isinstance(b, Tensor):
        return mul(b, alpha)
    return b * alpha if dt.kind == "f" else _wrap_int(b * alpha, dt)


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other (torch.add)."""
    if not isinstance(input, Tensor):
        input = _lift(input, other)
    a, b = _promote(input, other)
    if alpha != 1 or alpha is True:
        dt = a._data.dtype
        alpha = _check_alpha(alpha, dt)
        if dt.kind == "f" and isinstance(b, Tensor):
            y = Add.apply(a, b, alpha=alpha)
            return y if out is None else _into(y, out, "add")
        b = _scaled(b, alpha, dt)
    y = Add.apply(a, b)
    return y if out is None else _into(y, out, "add")


def _is_bool(x):
    return type(x) is bool or (isinstance(x, Tensor) and x._data.dtype.kind == "b")


def _check_sub(a, b):
    a_bool, b_bool = _is_bool(a), _is_bool(b)
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other (torch.sub); bools raise, as in torch."""
    if not isinstance(input, Tensor):
        input = _lift(input, other)
    if input._data.dtype.kind == "b" or type(other) is bool or (
            isinstance(other, Tensor) and other._data.dtype.kind == "b"):
        _check_sub(input, other)
    a, b = _promote(input, other)
    if alpha != 1 or alpha is True:
        dt = a._data.dtype
        alpha = _check_alpha(alpha, dt)
        if dt.kind == "f" and isinstance(b, Tensor):
            y = Sub.apply(a, b, alpha=alpha)
            return y if out is None else _into(y, out, "sub")
        b = _scaled(b, alpha, dt)
    y = Sub.apply(a, b)
    return y if out is None else _into(y, out, "sub")


subtract = sub


def rsub(input, other, *, alpha=1):
    """other - alpha * input (torch.rsub; the reflected `number - tensor`)."""
    if type(other) in (float, int) and type(alpha) is int and alpha == 1 \
            and isinstance(input, Tensor) and input._data.dtype.kind == "f":
        # `1 - y` in backward formulas: nothing to check or promote (as sub below would find)
        return Sub.apply(_lift(other, input), input)
    if _is_bool(other) or _is_bool(input):
        _check_sub(other, input)  # before lifting: `True - int_tensor` raises in torch too
    return sub(_lift(other, input), input, alpha=alpha)


def mul(input, other, *, out=None):
    """input * other (torch.mul)."""
    if not isinstance(input, Tensor):
        input, other = other, input
    a, b = _promote(input, other)
    y = Mul.apply(a, b)
    return y if out is None else _into(y, out, "mul")


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """input / other: true division (integers give the default float dtype), or rounded with
    rounding_mode 'trunc' / 'floor' (then integers stay integers)."""
    if rounding_mode is not None:
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found '{rounding_mode}'")
        y = _rounded_div(input, other, rounding_mode)
    else:
        if not isinstance(input, Tensor):  # `2 / x`: lift 2 to the float dtype of the result
            if isinstance(other, Tensor) and other._data.dtype.kind != "f":
                other = to_dtype(other, _dtype.get_default_dtype())
            input = _lift(input, other)
        if input._data.dtype.kind == "f":
            a, b = _promote(input, other)
        else:  # torch: integer true division gives the default float
            a, b = _to_float(input, other)
        y = Div.apply(a, b)
    return y if out is None else _into(y, out, "div")


divide = true_divide = div


def rdiv(input, other):
    """other / input (the reflected `number / tensor`)."""
    return div(other, input)


# ---- integer division: floor_divide, remainder, fmod, rounded div ---------------------------
def _remainder(xp, a, b):
    if a.dtype.kind != "f":
        return xp.remainder(a, b)
    # torch's float kernel (NumPy's gives -0.0 instead of 0.0 when b < 0)
    m = xp.fmod(a, b)
    return xp.where((m != 0) & ((b < 0) != (m < 0)), m + b, m)


def _overload_name(node, op, i):
    # torch numbers a node by overload: <Op>Backward0 had a number at position i, 1 a tensor
    return f"{op}Backward{0 if node._in_meta[i] is None else 1}"


class _NoDerivative(Op):
    """Base of ops torch gives no derivative formula: the result still requires grad (the
    graph is recorded, grad_fn prints `<NotImplemented>`), but backward raises, as in torch."""
    aten = None

    def name(self):
        return "NotImplemented"

    @classmethod
    def backward(cls, ctx, gy):
        raise RuntimeError(f"derivative for aten::{cls.aten} is not implemented")


class FloorDivide(_NoDerivative, name="floor_divide"):
    """y = floor(a / b) (Python's rounding: toward -inf);  no derivative (torch has none)."""
    aten = "floor_divide"

    @staticmethod
    def forward(ctx, a, b):
        return ctx.xp.floor_divide(a, b)


class RemainderScalarTensor(_NoDerivative, name="remainder.Scalar_Tensor"):
    """y = a mod b for a number a (torch.remainder(Scalar, Tensor));  no derivative in torch."""
    aten = "remainder"

    @staticmethod
    def forward(ctx, a, b):
        return _remainder(ctx.xp, a, b)


class Remainder(Op, name="remainder"):
    """y = a - floor(a / b) * b (sign of b, like Python's %);  dy/da = 1, dy/db = -floor(a / b)."""

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad[1]:
            ctx.save(quotient=ctx.xp.floor_divide(a, b))
        return _remainder(ctx.xp, a, b)

    def name(self):
        return _overload_name(self, "Remainder", 1)

    @staticmethod
    def backward(ctx, gy):
        return gy, (-gy * _make(ctx.quotient) if ctx.needs_input_grad[1] else None)


class Fmod(Op, name="fmod"):
    """y = a - trunc(a / b) * b (sign of a, like C's fmod);  dy/da = 1, dy/db = -trunc(a / b)."""

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad[1]:
            ctx.save(quotient=ctx.xp.trunc(a / b))
        return ctx.xp.fmod(a, b)

    def name(self):
        return _overload_name(self, "Fmod", 1)

    @staticmethod
    def backward(ctx, gy):
        return gy, (-gy * _make(ctx.quotient) if ctx.needs_input_grad[1] else None)


class RoundedDiv(Op, name="div.Tensor_mode"):
    """y = trunc(a / b) or floor(a / b) (div's rounding_mode);  dy/da = dy/db = 0 (torch's
    DivBackward gives zeros: the result is piecewise constant)."""

    @staticmethod
    def forward(ctx, a, b, mode):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_inputs(1)   # unused (zero gradients), but torch saves it: a second
                                 # backward raises as in torch
        if mode == "floor":
            return xp.floor_divide(a, b)
        if a.dtype.kind == "f":
            return xp.trunc(a / b)
        return xp.floor_divide(a - xp.fmod(a, b), b)  # exact: a - fmod(a, b) is a multiple of b

    def name(self):
        return "DivBackward2"  # torch's div.Tensor_mode

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        zeros = _make(Op.xp.zeros_like(gy._data))
        return (zeros if need[0] else None), (zeros if need[1] else None), None


def _int_division(input, other, kernel):
    """Promoted operands of floor_divide / remainder / fmod (bools have no kernel in torch)."""
    if not isinstance(input, Tensor):
        input = _lift(input, other)
    a, b = _promote(input, other)
    if a._data.dtype.kind == "b":
        if isinstance(b, Tensor):   # torch checks the shapes first
            from .view import _broadcast
            _broadcast([a._data.shape, b._data.shape], tensors=True)
        raise _not_implemented(kernel, a._data.dtype)
    _check_int_divisor(a, b)
    return a, b


def _rounded_div(input, other, mode):
    a, b = _int_division(input, other, "div_floor_cpu" if mode == "floor" else "div_trunc_cpu")
    return RoundedDiv.apply(a, b, mode)


def floor_divide(input, other, *, out=None):
    """input // other, rounding toward -inf (torch.floor_divide; no gradient in torch)."""
    a, b = _int_division(input, other, "div_floor_cpu")
    y = FloorDivide.apply(a, b)
    return y if out is None else _into(y, out, "floor_divide")


def rfloor_divide(input, other):
    """other // input (the reflected `number // tensor`)."""
    return floor_divide(_lift(other, input), input)


def remainder(input, other, *, out=None):
    """input mod other with the sign of `other` (Python's %, torch.remainder)."""
    a, b = _int_division(input, other, "remainder_cpu")
    y = Remainder.apply(a, b)
    return y if out is None else _into(y, out, "remainder")


def rremainder(input, other):
    """other % input (the reflected `number % tensor`)."""
    a, b = _int_division(_lift(other, input), input, "remainder_cpu")
    return RemainderScalarTensor.apply(a, b)


def fmod(input, other, *, out=None):
    """input mod other with the sign of `input` (C's fmod, torch.fmod)."""
    a, b = _int_division(input, other, "fmod_cpu")
    y = Fmod.apply(a, b)
    return y if out is None else _into(y, out, "fmod")
