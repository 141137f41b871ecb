"""Elementwise ops of two (or three) operands: arithmetic, integer division, powers, max/min,
atan2/lerp/addcmul-style math, comparisons, logical and bitwise ops.

Operands broadcast (NumPy's rules, which are PyTorch's); gradients come back in the
broadcast shape and the engine sums them to each input's shape (engine.sum_to), so the
backward formulas below are written as if no broadcasting happened.

Type promotion is PyTorch's (`_dtype.result_type`), done once in `_promote` before the
kernel: `int_tensor * 1.5` is float32, `float16 + 1.0` stays float16. A Python number stays
a Python number when the tensor's dtype wins, because NumPy 2 treats Python scalars as
"weak" (NEP 50) exactly as torch treats wrapped numbers. Tensor dunders (tensor.py) and
in-place methods (_inplace.py) call the functions here. Read unary.py for one-input ops.
"""
import math

from .. import _dtype
from ..autograd.grad_mode import STATE
from ..autograd.node import Op, _shape_error
from ..backend import xp as _xp, ndarray as _ndarray
from ..tensor import Tensor, _make
from . import unary as _unary
from ._inplace import _type_word, _write
from ._util import to_dtype

__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "fmod", "pow", "float_power", "maximum", "minimum",
           "fmax", "fmin", "atan2", "arctan2", "hypot", "lerp", "addcmul", "addcdiv", "xlogy",
           "copysign", "eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal",
           "less_equal", "not_equal", "equal", "isclose", "allclose", "logical_and",
           "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_left_shift", "bitwise_right_shift", "result_type", "promote_types",
           "can_cast"]

result_type = _dtype.result_type
promote_types = _dtype.promote_types
can_cast = _dtype.can_cast

_INT_RANGE = {_xp.dtype(t): (int(_xp.iinfo(t).min), int(_xp.iinfo(t).max))
              for t in (_xp.uint8, _xp.int8, _xp.int16, _xp.int32, _xp.int64)}


# ---- operands: numbers, arrays, promotion -----------------------------------------------------
def _number(x):
    """A non-Tensor operand as torch's argument parser reads it: a NumPy scalar becomes a Python
    number (np.bool_ counts as a float there), anything else that is not a number raises."""
    if isinstance(x, _xp.generic):
        return int(x) if x.dtype.kind in "iu" else float(x)
    if type(x) in (int, float, bool):
        return x
    raise TypeError(f"unsupported operand type for a tensor op: '{type(x).__name__}'")


def _promote(a, b):
    """(a, b) cast to their PyTorch result dtype; `a` is a Tensor, `b` a Tensor or a number. A
    number stays a Python number whenever NumPy then computes in the right dtype (NEP 50)."""
    if isinstance(b, Tensor):
        if a._data.dtype == b._data.dtype:
            return a, b
        rt = _dtype.result_type(a, b)
        return to_dtype(a, rt), to_dtype(b, rt)
    tb = type(b)
    if tb is float:
        if a._data.dtype.kind == "f":
            return a, b
        return to_dtype(a, _dtype.get_default_dtype()), b
    if tb is int:
        dt = a._data.dtype
        if dt.kind == "f":
            return a, b
        if dt.kind == "b":
            return to_dtype(a, _dtype.int64), b
        return a, _wrap_int(b, dt)
    if tb is bool:
        return a, b
    if isinstance(b, _ndarray):
        # torch hands `tensor op array` to NumPy (Tensor.__array__), so NumPy's promotion
        # applies, and a tensor that requires grad refuses
        if a._rg:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        rt = _dtype.from_numpy_dtype(_xp.result_type(a._data.dtype, b.dtype))
        return to_dtype(a, rt), to_dtype(_make(b), rt)
    return _promote(a, _number(b))


def _wrap_int(b, dt):
    # torch wraps an out-of-range int into the tensor's dtype (uint8 + 300 == uint8 + 44);
    # NumPy 2 would raise OverflowError instead
    lo, hi = _INT_RANGE[dt]
    return b if lo <= b <= hi else int(_xp.array(b).astype(dt))


def _lift(value, ref):
    """A number in the first operand slot (`2 - x`, `torch.add(2, x)`) as a 0-d tensor of the
    dtype torch computes `value op ref` in, so the kernels below see a tensor first."""
    if isinstance(value, Tensor):
        return value
    if not isinstance(ref, Tensor):
        raise TypeError(f"expected a Tensor operand, got {type(value).__name__} and "
                        f"{type(ref).__name__}")
    dt = ref._data.dtype
    if dt.kind == "f" and type(value) in (float, int, bool):  # fast path: `1 - y` in backwards
        return _make(_xp.array(value, dtype=dt))
    if isinstance(value, _ndarray):
        _dtype.from_numpy_dtype(value.dtype)
        return _make(value)
    value = _number(value)
    # via a default-dtype array, so ints wrap (torch) instead of raising (NumPy 2)
    return _make(_xp.array(value).astype(_dtype.result_type(ref, value).np))


def _need_tensor(fn, x, name="other", pos=2):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def _not_implemented(kernel, dt):
    # torch's wording for a kernel without a loop for this dtype
    return NotImplementedError(f'"{kernel}" not implemented for \'{_type_word(dt)}\'')


def _to_float(a, b):
    """Promoted operands of a float-valued op (div, atan2, ...): integers and bools compute in
    the default float dtype."""
    if a._data.dtype.kind != "f" and not isinstance(b, Tensor):
        # cast first: `u8 / -1` divides by -1.0, not by -1 wrapped to uint8 (255)
        a = to_dtype(a, _dtype.get_default_dtype())
    a, b = _promote(a, b)
    if a._data.dtype.kind != "f":
        ft = _dtype.get_default_dtype()
        a = to_dtype(a, ft)
        if isinstance(b, Tensor):
            b = to_dtype(b, ft)
    return a, b


def _into(y, out, fn):
    """torch's `out=`: write y into `out` (resized when its shape differs; cast to its dtype
    when torch's casting rule allows); returns `out`."""
    if out is None:
        return y
    if STATE.enabled and y._rg:
        raise RuntimeError(f"{fn}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if out._data.shape != y._data.shape:
        out._data = _xp.empty(y._data.shape, dtype=out._data.dtype)
    return _write(out, y)


def _check_int_divisor(a, b):
    # torch: integer division by zero raises; NumPy would return 0 with a warning
    if a._data.dtype.kind in "iu":
        if (b._data == 0).any() if isinstance(b, Tensor) else b == 0:
            raise RuntimeError("ZeroDivisionError")


# ---- add, sub, mul, div -----------------------------------------------------------------------
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
        gb = -gy * a / (b * b) if need[1] else None
        return ga, gb


def _scaled(b, alpha, dt):
    """alpha * other for add/sub, with torch's checks of alpha against the result dtype."""
    alpha = _number(alpha)
    if type(alpha) is bool and dt.kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if dt.kind != "f" and isinstance(alpha, float):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
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
        b = _scaled(b, alpha, a._data.dtype)
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
        b = _scaled(b, alpha, a._data.dtype)
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
            ctx.quotient = ctx.xp.floor_divide(a, b)
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
            ctx.quotient = ctx.xp.trunc(a / b)
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


# ---- powers -------------------------------------------------------------------------------------
def _int_power(xp, a, b):
    """Integer a ** b as torch computes it: a negative exponent gives 0, except for bases 1
    (1) and -1 (+-1); NumPy raises for those instead."""
    neg = b < 0
    if not neg.any():
        return xp.power(a, b)
    y = xp.power(a, xp.where(neg, 0, b))
    odd = (b & 1) == 1
    inverse = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0))
    return xp.where(neg, inverse, y).astype(y.dtype)


class Pow(Op, name="pow"):
    """y = a^b for tensor ** number, tensor ** tensor and number ** tensor;
    dy/da = b a^(b-1) (0 where b == 0),  dy/db = y ln(a) (0 where a == 0 and b >= 0)."""

    @staticmethod
    def forward(ctx, a, b):
        need = ctx.needs_input_grad
        if type(b) is _ndarray and b.dtype.kind in "iu":
            y = _int_power(ctx.xp, a, b)
        else:
            y = a ** b
        if need[0] or need[1]:
            ctx.save_inputs(0, 1)
            if need[1]:
                ctx.save_output(y)
        return y

    def name(self):
        # torch's node names: PowBackward0/1/2 for tensor ** number, ** tensor, number ** tensor
        meta = self._in_meta
        return "PowBackward" + ("0" if meta[1] is None else "1" if meta[0] is not None else "2")

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (_pow_grad_base(gy, a, b) if need[0] else None,
                _pow_grad_exponent(gy, a, b, ctx.output()) if need[1] else None)


def _pow_grad_base(gy, a, b):
    if not isinstance(b, Tensor):
        if b == 0:  # torch: zeros, also where a == 0 (0 * 0^-1 would be NaN)
            return _make(Op.xp.zeros_like(gy._data))
        return gy * (b * pow(a, b - 1))
    e = b - 1
    zero = b._data == 0
    if zero.any():  # torch: 0 where b == 0; the exponent is nudged to 0 there so 0 * inf != NaN
        e = e + _make(zero.astype(e._data.dtype))
    return gy * (b * pow(a, e))


def _pow_grad_exponent(gy, a, b, y):
    if isinstance(a, Tensor):
        at_zero = (a._data == 0) & (b._data >= 0)
        if at_zero.any():  # torch: 0 where a == 0 and b >= 0; log(1) = 0 stands in for log(0)
            a = a + _make(at_zero.astype(a._data.dtype))
        return gy * (y * _unary.log(a))
    if a == 0:  # number base 0: 0 where b >= 0, y * log(0) = -inf where b < 0 (y = inf)
        return gy * _make(Op.xp.where(b._data >= 0, 0, y._data * -math.inf))
    return gy * (y * (math.log(a) if a > 0 else math.nan))


def pow(input, exponent, *, out=None):
    """input ** exponent (torch.pow); either side may be a number (not both)."""
    if not isinstance(input, Tensor):
        return rpow(exponent, input)
    if isinstance(exponent, (Tensor, _ndarray)):
        a, b = _promote(input, exponent)
        if a._data.dtype.kind == "b":
            raise _not_implemented("pow", a._data.dtype)
        y = Pow.apply(a, b)
    else:
        y = _pow_number(input, _number(exponent))
    return y if out is None else _into(y, out, "pow")


def _pow_number(a, e):
    """tensor ** number. torch converts the exponent to the tensor's dtype and raises where
    other ops would wrap it (int8 ** 300)."""
    if a._data.dtype.kind == "b" and type(e) is bool:
        # torch: bool ** bool stays bool (x ** True == x, x ** False == True)
        return _make(a._data.copy() if e else _xp.ones_like(a._data))
    a, _ = _promote(a, e)
    dt = a._data.dtype
    if dt.kind in "iu" and type(e) is int:
        if e < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if e > _INT_RANGE[dt][1]:
            raise RuntimeError(f"value cannot be converted to type {dt.name}_t without overflow")
    elif dt.itemsize == 2 and dt.kind == "f" and abs(e) > 65504:
        raise RuntimeError("value cannot be converted to type c10::Half without overflow")
    return Pow.apply(a, e)


def rpow(input, other):
    """other ** input (the reflected `number ** tensor`)."""
    if isinstance(other, (Tensor, _ndarray)):
        return pow(_lift(other, input), input)
    base = _number(other)
    if input._data.dtype.kind != "f":  # an integer exponent: promote with the number base
        input = to_dtype(input, _dtype.result_type(input, base))
        dt = input._data.dtype
        if dt.kind == "b":
            raise _not_implemented("pow", dt)
        if dt.kind in "iu":
            base = _wrap_int(int(base), dt)
    return Pow.apply(base, input)


def float_power(input, exponent):
    """input ** exponent computed in float64 (torch.float_power)."""
    if not isinstance(input, Tensor):
        return rpow(to_dtype(exponent, _dtype.float64), float(_number(input)))
    a = to_dtype(input, _dtype.float64)
    if isinstance(exponent, Tensor):
        return pow(a, to_dtype(exponent, _dtype.float64))
    return pow(a, float(_number(exponent)))


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
            ctx.wa, ctx.wb = _split(xp, a.dtype, a < b, a > b, a == b)
        return xp.maximum(a, b)


class Minimum(_Select, name="minimum"):
    """y = min(a, b) (NaN propagates);  dy/da = 1 where a < b, 1/2 on ties, 0 where a > b."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.wa, ctx.wb = _split(xp, a.dtype, a > b, a < b, a == b)
        return xp.minimum(a, b)


class Fmax(_Select, name="fmax"):
    """y = max(a, b) ignoring NaN;  dy/da = 1 where a >= b or b is NaN, else dy/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            a_wins = (a >= b) | xp.isnan(b)
            ctx.wa, ctx.wb = a_wins.astype(a.dtype), (~a_wins).astype(a.dtype)
        return xp.fmax(a, b)


class Fmin(_Select, name="fmin"):
    """y = min(a, b) ignoring NaN;  dy/da = 1 where a <= b or b is NaN, else dy/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            a_wins = (a <= b) | xp.isnan(b)
            ctx.wa, ctx.wb = a_wins.astype(a.dtype), (~a_wins).astype(a.dtype)
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


# ---- atan2, hypot, lerp, addcmul, addcdiv, xlogy, copysign -----------------------------------
class Atan2(Op, name="atan2"):
    """y = atan2(a, b);  dy/da = b / (a^2 + b^2),  dy/db = -a / (a^2 + b^2)."""

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_inputs(0, 1)
        return ctx.xp.arctan2(a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        r2 = a * a + b * b
        return (gy * b / r2 if need[0] else None), (gy * -a / r2 if need[1] else None)


def atan2(input, other, *, out=None):
    """Angle of the point (other, input) in (-pi, pi]; integers compute in float."""
    _need_tensor("atan2", other)
    y = Atan2.apply(*_to_float(input, other))
    return y if out is None else _into(y, out, "atan2")


arctan2 = atan2


class Hypot(Op, name="hypot"):
    """y = sqrt(a^2 + b^2);  dy/da = a / y,  dy/db = b / y."""

    @staticmethod
    def forward(ctx, a, b):
        y = ctx.xp.hypot(a, b)
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_inputs(0, 1)
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        y = ctx.output()
        need = ctx.needs_input_grad
        return (gy * a / y if need[0] else None), (gy * b / y if need[1] else None)


def hypot(input, other, *, out=None):
    """sqrt(input^2 + other^2) without overflow for large inputs (floats only, as torch)."""
    _need_tensor("hypot", other)
    a, b = _promote(input, other)
    if a._data.dtype.kind != "f":
        raise _not_implemented("hypot_cpu", a._data.dtype)
    y = Hypot.apply(a, b)
    return y if out is None else _into(y, out, "hypot")


class Lerp(Op, name="lerp"):
    """y = a + w (b - a);  dy/da = 1 - w,  dy/db = w,  dy/dw = b - a."""

    @staticmethod
    def forward(ctx, a, b, w):
        need = ctx.needs_input_grad
        if need[0] or need[1] or need[2]:
            ctx.save_inputs(0, 1, 2)
        d = b - a
        # torch's kernel: two forms, each exact at its end (w = 0 gives a, w = 1 gives b)
        if type(w) is not _ndarray:
            return a + w * d if abs(w) < 0.5 else b - d * (1 - w)
        return ctx.xp.where(ctx.xp.abs(w) < 0.5, a + w * d, b - d * (1 - w))

    def name(self):
        return _overload_name(self, "Lerp", 2)

    @staticmethod
    def backward(ctx, gy):
        a, b, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (gy * (1 - w) if need[0] else None, gy * w if need[1] else None,
                gy * (b - a) if need[2] else None)


_C_NAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
           "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
           "bool": "bool"}


def _expect_dtype(x, dt, what):
    if x._data.dtype != dt:
        raise RuntimeError(f"expected dtype {_C_NAME[dt.name]} for `{what}` but got dtype "
                           f"{_C_NAME[x._data.dtype.name]}")


def lerp(input, end, weight, *, out=None):
    """input + weight * (end - input); `weight` a number or a tensor (same dtype unless 0-d)."""
    _need_tensor("lerp", end, "end")
    dt = input._data.dtype
    _expect_dtype(end, dt, "end")
    if isinstance(weight, Tensor):
        # torch: a 0-d weight of another dtype takes part in promotion like any 0-d operand
        if weight._data.ndim:
            _expect_dtype(weight, dt, "weight")
        rt = _dtype.result_type(input, end, weight)
        input, end, weight = to_dtype(input, rt), to_dtype(end, rt), to_dtype(weight, rt)
        kernel = "lerp_kernel_tensor"
    else:
        weight = _number(weight)
        kernel = "lerp_kernel_scalar"
    if input._data.dtype.kind != "f":
        raise _not_implemented(kernel, input._data.dtype)
    y = Lerp.apply(input, end, weight)
    return y if out is None else _into(y, out, "lerp")


def _three(fn, input, tensor1, tensor2, value):
    """The three tensors of addcmul/addcdiv cast to their common dtype; value cast to it."""
    _need_tensor(fn, tensor1, "tensor1")
    _need_tensor(fn, tensor2, "tensor2", 3)
    rt = _dtype.result_type(input, tensor1, tensor2)
    value = _number(value)
    if rt.category == 0:
        raise _not_implemented(fn + "_cpu_out", rt.np)
    if rt.category == 1:
        value = int(value)  # torch casts value to the integer result type (2.5 -> 2)
    return to_dtype(input, rt), to_dtype(tensor1, rt), to_dtype(tensor2, rt), value


class Addcmul(Op, name="addcmul"):
    """y = a + v * t1 * t2;  dy/da = 1,  dy/dt1 = v * t2,  dy/dt2 = v * t1."""

    @staticmethod
    def forward(ctx, a, t1, t2, value):
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            ctx.save_inputs(1, 2)
            ctx.value = value
        return a + value * t1 * t2

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        if not (need[1] or need[2]):
            return gy, None, None, None
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        return (gy, gy * (t2 * v) if need[1] else None, gy * (t1 * v) if need[2] else None,
                None)


class Addcdiv(Op, name="addcdiv"):
    """y = a + v * t1 / t2;  dy/da = 1,  dy/dt1 = v / t2,  dy/dt2 = -v * t1 / t2^2."""

    @staticmethod
    def forward(ctx, a, t1, t2, value):
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            ctx.save_inputs(1, 2)
            ctx.value = value
        return a + value * t1 / t2

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        if not (need[1] or need[2]):
            return gy, None, None, None
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        return (gy, gy * (v / t2) if need[1] else None,
                -gy * v * t1 / (t2 * t2) if need[2] else None, None)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2 (one kernel, one node)."""
    y = Addcmul.apply(*_three("addcmul", input, tensor1, tensor2, value))
    return y if out is None else _into(y, out, "addcmul")


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2 (true division; integer tensor1 / tensor2 raise)."""
    _need_tensor("addcdiv", tensor1, "tensor1")
    _need_tensor("addcdiv", tensor2, "tensor2", 3)
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for tensor inputs or as (input + value * tensor1 // tensor2) for "
            "scalar inputs.")
    y = Addcdiv.apply(*_three("addcdiv", input, tensor1, tensor2, value))
    return y if out is None else _into(y, out, "addcdiv")


class Xlogy(Op, name="xlogy"):
    """y = x log(z), 0 where x == 0 (unless z is NaN);  dy/dx = xlogy(x != 0, z),  dy/dz = x / z."""

    @staticmethod
    def forward(ctx, x, z):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_inputs(0, 1)
        with xp.errstate(divide="ignore", invalid="ignore"):  # log(0), log(-1): torch is quiet
            y = x * xp.log(z)
        return xp.where((x == 0) & ~xp.isnan(z), 0, y)

    @staticmethod
    def backward(ctx, gy):
        x, z = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = gz = None
        if need[0]:
            gx = gy * xlogy(_make((x._data != 0).astype(gy._data.dtype)), z)
        if need[1]:
            gz = gy * x / z
        return gx, gz


def xlogy(input, other, *, out=None):
    """input * log(other), defined as 0 where input == 0 (entropy terms); either may be a
    number; integers compute in the default float dtype."""
    if not isinstance(input, Tensor):
        if isinstance(other, Tensor) and other._data.dtype.kind != "f":
            other = to_dtype(other, _dtype.get_default_dtype())
        input = _lift(input, other)
    a, b = _to_float(input, other)
    if not isinstance(b, Tensor):  # a 0-d array, so log(b) keeps a's dtype
        b = _make(_xp.asarray(b, dtype=a._data.dtype))
    y = Xlogy.apply(a, b)
    return y if out is None else _into(y, out, "xlogy")


class Copysign(Op, name="copysign"):
    """y = |a| with the sign of b (also of -0.0);  dy/da = y / a (0 at a == 0),  dy/db = 0."""

    @staticmethod
    def forward(ctx, a, b):
        y = ctx.xp.copysign(a, b)
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        ga = None
        if need[0]:
            a, = ctx.saved_tensors
            zero = a._data == 0
            if zero.any():  # y = +-0 there, so y / 1 gives torch's 0
                a = a + _make(zero.astype(a._data.dtype))
            ga = gy * (ctx.output() / a)
        return ga, (_make(Op.xp.zeros_like(gy._data)) if need[1] else None)


def copysign(input, other, *, out=None):
    """|input| with the sign of other; integers compute in the default float dtype."""
    y = Copysign.apply(*_to_float(input, other))
    return y if out is None else _into(y, out, "copysign")


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
        raise _shape_error(e, (a, b)) from None
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
