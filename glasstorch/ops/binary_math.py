"""Math of two (or three) tensors beyond arithmetic: pow/float_power, atan2, hypot, lerp,
addcmul/addcdiv, xlogy, copysign. Operands are promoted by _operands.py; arith.py has +-*/.
"""
import math

from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp, ndarray as _ndarray
from ..tensor import Tensor, _make
from . import unary as _unary
from ._operands import (_INT_RANGE, _into, _lift, _need_tensor, _not_implemented, _number, _promote,
                        _to_float, _wrap_int)
from ._util import to_dtype
from .arith import _overload_name
from .view import _broadcast

__all__ = ["pow", "float_power", "atan2", "arctan2", "hypot", "lerp", "addcmul", "addcdiv", "xlogy",
           "copysign"]


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
        elif type(b) is float and b != 0 and a.dtype.kind == "f" and a.dtype.itemsize < 8 \
                and a.dtype.type(b) == 0:
            # torch keeps a number exponent in double: x ** -1e-50 is nan for x < 0 and inf
            # at 0, where rounding it to float32 first (-0.0) would give 1
            y = (a.astype("float64") ** b).astype(a.dtype)
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
            _broadcast([a._data.shape, b._data.shape], tensors=True)  # torch checks shapes first
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


# ---- atan2, hypot, lerp, addcmul, addcdiv, xlogy, copysign -----------------------------------
class Atan2(Op, name="atan2"):
    """y = atan2(a, b);  dy/da = b / (a^2 + b^2),  dy/db = -a / (a^2 + b^2), with torch's
    1 / (a^2 + b^2) taken as 0 where a^2 + b^2 is 0 (at the origin, or where the squares
    underflow: a = 1e-30 in float32), so the gradient is 0 there, not 0 * inf = nan."""

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
        from .mask import where
        recip = where(r2 == 0, 0.0, 1 / r2)
        return (gy * b * recip if need[0] else None), (gy * -a * recip if need[1] else None)


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
        scalar = type(w) is not _ndarray
        # torch keeps a number weight as a plain scalar (then dy/da, dy/db need no tensor, and a
        # second backward works); a tensor weight saves all three inputs
        ctx.weight = w if scalar else None
        if not scalar and (need[0] or need[1] or need[2]):
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
        need = ctx.needs_input_grad
        if ctx.weight is not None:
            w = ctx.weight
            return (gy * (1 - w) if need[0] else None), (gy * w if need[1] else None), None
        a, b, w = ctx.saved_tensors
        return (gy * (1 - w) if need[0] else None, gy * w if need[1] else None,
                gy * (b - a) if need[2] else None)


def _expect_dtype(x, dt, what):
    if x._data.dtype != dt:
        raise RuntimeError(f"expected dtype {_dtype.c_type_name(dt)} for `{what}` but got "
                           f"dtype {_dtype.c_type_name(x._data.dtype)}")


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
    """y = x log(z), 0 where x == 0 (unless z is NaN);  dy/dz = x / z,
    dy/dx = log(z) as torch writes it: xlogy(gy, z), 0 where x == 0 and z <= 0 (for a number
    z: everywhere x == 0 unless z > 0)."""

    @staticmethod
    def forward(ctx, x, z, z_number=False):
        xp = ctx.xp
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_inputs(0, 1)
            ctx.z_number = z_number
        with xp.errstate(divide="ignore", invalid="ignore"):  # log(0), log(-1): torch is quiet
            y = x * xp.log(z)
        return xp.where((x == 0) & ~xp.isnan(z), 0, y)

    @staticmethod
    def backward(ctx, gy):
        x, z = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = gz = None
        if need[0]:
            bad = ~(z._data > 0) if ctx.z_number else z._data <= 0
            gx = xlogy(gy, z).masked_fill(_make((x._data == 0) & bad), 0)
        if need[1]:
            gz = gy * x / z
        return gx, gz, None


def xlogy(input, other, *, out=None):
    """input * log(other), defined as 0 where input == 0 (entropy terms); either may be a
    number; integers compute in the default float dtype."""
    if not isinstance(input, Tensor):
        if isinstance(other, Tensor) and other._data.dtype.kind != "f":
            other = to_dtype(other, _dtype.get_default_dtype())
        input = _lift(input, other)
    a, b = _to_float(input, other)
    number = not isinstance(b, Tensor)
    if number:  # a 0-d array, so log(b) keeps a's dtype
        b = _make(_xp.asarray(b, dtype=a._data.dtype))
    y = Xlogy.apply(a, b, number)
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
