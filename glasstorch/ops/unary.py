"""Elementwise functions of one tensor: exp/log, powers and roots, trigonometric and hyperbolic
functions, sigmoid/relu/clamp, rounding, the erf family, and predicates (isnan, signbit, ...).

Each op saves what its derivative needs, preferring the output when the derivative is a function
of it (exp, tanh, sigmoid, sqrt), as tinygrad does; relu/clamp/nan_to_num keep boolean masks and
route the gradient through `_Masked` (torch's `where(mask, grad, 0)`). Dtypes follow torch:
integer and bool inputs of float functions compute in the default float dtype (`_float_input`);
abs/neg/sign/square keep integers; rounding returns integers unchanged. erf, erfc and erfinv come
from backend/special.py (NumPy has none). Read binary.py next.
"""
import math

from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp, special as _special
from ..tensor import Tensor, _make
from ._inplace import _type_word
from ._util import to_dtype

__all__ = ["neg", "negative", "positive", "abs", "absolute", "exp", "exp2", "expm1", "log",
           "log2", "log10", "log1p", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos",
           "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
           "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "sigmoid", "relu",
           "clamp", "clip", "clamp_min", "clamp_max", "sign", "sgn", "signbit", "floor", "ceil",
           "round", "trunc", "fix", "frac", "erf", "erfc", "erfinv", "bitwise_not",
           "logical_not", "isnan", "isinf", "isfinite", "nan_to_num"]

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0
# _DOMAIN: functions with poles or a restricted domain (log, sqrt, asin, 1/x, ...) return
# +-inf / NaN there silently in torch (log(0) = -inf is routine: masked entropies), so they
# run under `_DOMAIN` to silence NumPy's divide/invalid RuntimeWarning. Overflow (exp(1000))
# still warns as NumPy does: errstate costs ~1 us a call, too much for exp/tanh/sigmoid.
_DOMAIN = dict(divide="ignore", invalid="ignore")


def _float_input(x):
    """Integer inputs of float functions (exp, sin, ...) compute in the default float dtype."""
    if x._data.dtype.kind in "iub":
        return to_dtype(x, _dtype.get_default_dtype())
    return x


def _not_implemented(kernel, x):
    # torch's wording for a kernel that has no loop for this dtype
    return NotImplementedError(f'"{kernel}" not implemented for \'{_type_word(x._data.dtype)}\'')


def _zeros(gy):
    # the gradient of a piecewise-constant function (torch: zeros_like(grad), no graph)
    return _make(Op.xp.zeros_like(gy._data))


_SAME_SIZE_INT = {2: _xp.int16, 4: _xp.int32, 8: _xp.int64}


class _Masked(Op):
    """y = g where `keep` else 0, for a fixed boolean mask (the gradient of relu, clamp,
    nan_to_num);  dy/dg = the same mask, so second derivatives flow through it."""

    @staticmethod
    def forward(ctx, g, keep):
        ctx.keep = keep
        ints = _SAME_SIZE_INT.get(g.dtype.itemsize) if g.dtype.kind in "fc" else None
        if ints is None:
            return ctx.xp.where(keep, g, 0)
        # where() branches per element: on a relu mask it costs ~25x this branch-free AND of
        # g's bits with all-ones (keep) or all-zeros (+0.0), which gives the same bits. The
        # int8 mask (0 or -1) widens to g's size inside the ufunc's buffers, not in memory.
        mask = ctx.xp.negative(keep.view(ctx.xp.int8))
        return ctx.xp.asarray(ctx.xp.bitwise_and(g.view(ints), mask)).view(g.dtype)

    @staticmethod
    def backward(ctx, gy):
        return _Masked.apply(gy, ctx.keep), None


# ---- sign and magnitude ------------------------------------------------------------------------
class Neg(Op, name="neg"):
    """y = -x;  dy/dx = -1."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, gy):
        return -gy


def neg(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return Neg.apply(input)


negative = neg


def positive(input):
    """input itself (torch.positive returns its argument)."""
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


class Abs(Op, name="abs"):
    """y = |x|;  dy/dx = sign(x) (0 at x = 0, as torch)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * sign(x)


def abs(input):
    if input._data.dtype.kind == "b":
        raise _not_implemented("abs_cpu", input)
    return Abs.apply(input)


absolute = abs


class Sign(Op, name="sign"):
    """y = sign(x) in {-1, 0, 1} (0 for NaN, as torch);  dy/dx = 0."""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "f":  # (x > 0) - (x < 0): torch's formula, so sign(NaN) = 0
            return (x > 0).astype(x.dtype) - (x < 0)
        return ctx.xp.sign(x)

    @staticmethod
    def backward(ctx, gy):
        return _zeros(gy)


def sign(input):
    if input._data.dtype.kind == "b":
        return _make(input._data.copy())
    return Sign.apply(input)


sgn = sign


def signbit(input):
    """True where the sign bit is set (-0.0 and -NaN included)."""
    d = input._data
    return _make(_xp.signbit(d) if d.dtype.kind == "f" else _xp.asarray(d < 0))


# ---- exponentials and logarithms ---------------------------------------------------------------
class Exp(Op, name="exp"):
    """y = e^x;  dy/dx = y (the output is saved, not recomputed)."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.exp(x)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        return gy * ctx.output()


class Exp2(Op, name="exp2"):
    """y = 2^x;  dy/dx = y ln 2."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.exp2(x)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        return gy * ctx.output() * _LN2


class Expm1(Op, name="expm1"):
    """y = e^x - 1 (accurate for small x);  dy/dx = y + 1."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.expm1(x)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        return gy * (ctx.output() + 1)


class Log(Op, name="log"):
    """y = ln x;  dy/dx = 1 / x."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        with ctx.xp.errstate(**_DOMAIN):
            return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / x


class Log2(Op, name="log2"):
    """y = log2 x;  dy/dx = 1 / (x ln 2)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        with ctx.xp.errstate(**_DOMAIN):
            return ctx.xp.log2(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / (x * _LN2)


class Log10(Op, name="log10"):
    """y = log10 x;  dy/dx = 1 / (x ln 10)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        with ctx.xp.errstate(**_DOMAIN):
            return ctx.xp.log10(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / (x * _LN10)


class Log1p(Op, name="log1p"):
    """y = ln(1 + x) (accurate for small x);  dy/dx = 1 / (1 + x)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        with ctx.xp.errstate(**_DOMAIN):
            return ctx.xp.log1p(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / (x + 1)


def exp(input):
    return Exp.apply(_float_input(input))


def exp2(input):
    return Exp2.apply(_float_input(input))


def expm1(input):
    return Expm1.apply(_float_input(input))


def log(input):
    return Log.apply(_float_input(input))


def log2(input):
    return Log2.apply(_float_input(input))


def log10(input):
    return Log10.apply(_float_input(input))


def log1p(input):
    return Log1p.apply(_float_input(input))


# ---- powers and roots --------------------------------------------------------------------------
class Sqrt(Op, name="sqrt"):
    """y = sqrt(x);  dy/dx = 1 / (2 y)."""

    @staticmethod
    def forward(ctx, x):
        with ctx.xp.errstate(**_DOMAIN):
            y = ctx.xp.sqrt(x)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        return gy / (ctx.output() * 2)


class Rsqrt(Op, name="rsqrt"):
    """y = 1 / sqrt(x);  dy/dx = -y^3 / 2."""

    @staticmethod
    def forward(ctx, x):
        with ctx.xp.errstate(**_DOMAIN):
            y = 1 / ctx.xp.sqrt(x)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y = ctx.output()
        return gy * (y * y * y) * -0.5


class Square(Op, name="square"):
    """y = x^2;  dy/dx = 2x."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return x * x

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * (x * 2)


class Reciprocal(Op, name="reciprocal"):
    """y = 1 / x;  dy/dx = -y^2."""

    @staticmethod
    def forward(ctx, x):
        with ctx.xp.errstate(**_DOMAIN):
            y = 1 / x
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y = ctx.output()
        return -gy * (y * y)


def sqrt(input):
    return Sqrt.apply(_float_input(input))


def rsqrt(input):
    return Rsqrt.apply(_float_input(input))


def square(input):
    if input._data.dtype.kind == "b":  # torch: square is pow(x, 2), and bool ** 2 is int64
        input = to_dtype(input, _dtype.int64)
    return Square.apply(input)


def reciprocal(input):
    return Reciprocal.apply(_float_input(input))


# ---- trigonometric and hyperbolic --------------------------------------------------------------
class Sin(Op, name="sin"):
    """y = sin x;  dy/dx = cos x."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * cos(x)


class Cos(Op, name="cos"):
    """y = cos x;  dy/dx = -sin x."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return ctx.xp.cos(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * -sin(x)


class Tan(Op, name="tan"):
    """y = tan x;  dy/dx = 1 + y^2."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tan(x)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y = ctx.output()
        return gy * (y * y + 1)


class Asin(Op, name="asin"):
    """y = asin x;  dy/dx = 1 / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        with ctx.xp.errstate(**_DOMAIN):
            return ctx.xp.arcsin(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * rsqrt(1 - x * x)


class Acos(Op, name="acos"):
    """y = acos x;  dy/dx = -1 / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        with ctx.xp.errstate(**_DOMAIN):
            return ctx.xp.arccos(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * -rsqrt(1 - x * x)


class Atan(Op, name="atan"):
    """y = atan x;  dy/dx = 1 / (1 + x^2)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return ctx.xp.arctan(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / (x * x + 1)


class Sinh(Op, name="sinh"):
    """y = sinh x;  dy/dx = cosh x."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return ctx.xp.sinh(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * cosh(x)


class Cosh(Op, name="cosh"):
    """y = cosh x;  dy/dx = sinh x."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return ctx.xp.cosh(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * sinh(x)


class Tanh(Op, name="tanh"):
    """y = tanh(x);  dy/dx = 1 - y^2, so backward reuses y instead of computing tanh again."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tanh(x)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y = ctx.output()
        return gy * (1 - y * y)


class Asinh(Op, name="asinh"):
    """y = asinh x;  dy/dx = 1 / sqrt(x^2 + 1)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return ctx.xp.arcsinh(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * rsqrt(x * x + 1)


class Acosh(Op, name="acosh"):
    """y = acosh x;  dy/dx = 1 / sqrt(x^2 - 1)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        with ctx.xp.errstate(**_DOMAIN):
            return ctx.xp.arccosh(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * rsqrt(x * x - 1)


class Atanh(Op, name="atanh"):
    """y = atanh x;  dy/dx = 1 / (1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        with ctx.xp.errstate(**_DOMAIN):
            return ctx.xp.arctanh(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy / (1 - x * x)


def sin(input):
    return Sin.apply(_float_input(input))


def cos(input):
    return Cos.apply(_float_input(input))


def tan(input):
    return Tan.apply(_float_input(input))


def asin(input):
    return Asin.apply(_float_input(input))


def acos(input):
    return Acos.apply(_float_input(input))


def atan(input):
    return Atan.apply(_float_input(input))


def sinh(input):
    return Sinh.apply(_float_input(input))


def cosh(input):
    return Cosh.apply(_float_input(input))


def tanh(input):
    return Tanh.apply(_float_input(input))


def asinh(input):
    return Asinh.apply(_float_input(input))


def acosh(input):
    return Acosh.apply(_float_input(input))


def atanh(input):
    return Atanh.apply(_float_input(input))


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


# ---- activations and clamping ------------------------------------------------------------------
class Sigmoid(Op, name="sigmoid"):
    """y = 1 / (1 + e^-x);  dy/dx = y (1 - y), from the saved output."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        # e = e^-|x| lies in (0, 1], so nothing overflows for any x; for x < 0 the result is
        # e / (1 + e), which keeps tiny values (sigmoid(-40) = 4e-18) instead of 1 - ~1 = 0
        e = xp.exp(-xp.abs(x))
        r = 1 / (1 + e)
        y = xp.where(x >= 0, r, e * r)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y = ctx.output()
        return gy * (1 - y) * y


def sigmoid(input):
    return Sigmoid.apply(_float_input(input))


class Relu(Op, name="relu"):
    """y = max(x, 0);  dy/dx = 1 where x > 0 else 0 (0 at the kink, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.maximum(0, x)  # x second: NumPy returns it on ties, so relu(-0.0) = -0.0
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        # torch: where(y <= 0, 0, grad), so a NaN input passes its gradient
        return _Masked.apply(gy, ~(ctx.output()._data <= 0))


def relu(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu.apply(input)


class Clamp(Op, name="clamp"):
    """y = min(max(x, lo), hi), lo/hi numbers, arrays or None;  dy/dx = 1 where lo <= x <= hi
    (the bounds included, as torch) else 0; dy/dlo = 1 where x < lo (and lo < hi); dy/dhi = 1
    where x > hi (or hi < lo: hi wins when the bounds cross)."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = ctx.xp
        # x second: NumPy returns it on ties, so the sign of a zero survives (torch keeps x)
        y = x if lo is None else xp.maximum(lo, x)
        if hi is not None:
            y = xp.minimum(hi, y)
        need = ctx.needs_input_grad
        if need[0]:
            if lo is None:
                ctx.keep_x = x <= hi
            else:
                ctx.keep_x = x >= lo if hi is None else (x >= lo) & (x <= hi)
        if need[1]:
            ctx.keep_lo = x < lo if hi is None else (x < lo) & (lo < hi)
        if need[2]:
            ctx.keep_hi = x > hi if lo is None else (x > hi) | (hi < lo)
        return y

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        return (_Masked.apply(gy, ctx.keep_x) if need[0] else None,
                _Masked.apply(gy, ctx.keep_lo) if need[1] else None,
                _Masked.apply(gy, ctx.keep_hi) if need[2] else None)


def clamp(input, min=None, max=None):
    """Clamp every element into [min, max]; min/max are numbers or (broadcastable) tensors,
    either may be None. The result dtype is torch.result_type(input, min, max)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, _xp.generic):  # NumPy scalars act as Python numbers (not float64 arrays)
        min = min.item()
    if isinstance(max, _xp.generic):
        max = max.item()
    rt = _dtype.result_type(input, *[b for b in (min, max) if b is not None])
    if rt is _dtype.bool:
        raise _not_implemented("clamp_scalar_cpu", input)
    return Clamp.apply(to_dtype(input, rt), _bound(min, rt), _bound(max, rt))


def _bound(b, rt):
    if b is None:
        return None
    if isinstance(b, Tensor):
        return to_dtype(b, rt)
    if rt.is_floating_point:
        return b
    # torch: an integer bound is cast to the tensor's integer type (wrapping, like C)
    return _xp.asarray(b).astype(rt.np)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min, None)


def clamp_max(input, max):
    return clamp(input, None, max)


# ---- rounding ----------------------------------------------------------------------------------
class Floor(Op, name="floor"):
    """y = floor(x);  dy/dx = 0."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.floor(x)

    @staticmethod
    def backward(ctx, gy):
        return _zeros(gy)


class Ceil(Op, name="ceil"):
    """y = ceil(x);  dy/dx = 0."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.ceil(x)

    @staticmethod
    def backward(ctx, gy):
        return _zeros(gy)


class Trunc(Op, name="trunc"):
    """y = x rounded toward zero;  dy/dx = 0."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.trunc(x)

    @staticmethod
    def backward(ctx, gy):
        return _zeros(gy)


class Round(Op, name="round"):
    """y = x rounded to `decimals` places, halves to even (rint);  dy/dx = 0."""

    @staticmethod
    def forward(ctx, x, decimals):
        xp = ctx.xp
        if decimals == 0:
            return xp.rint(x)
        # torch: rint(x * 10^d) / 10^d (x / 10^-d ... for d < 0), in float32 at least
        wide = x.astype(xp.float32) if x.dtype.itemsize < 4 else x
        f = xp.asarray(10.0 ** (decimals if decimals > 0 else -decimals), dtype=wide.dtype)
        y = xp.rint(wide * f) / f if decimals > 0 else xp.rint(wide / f) * f
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, gy):
        return _zeros(gy), None


class Frac(Op, name="frac"):
    """y = x - trunc(x);  dy/dx = 1."""

    @staticmethod
    def forward(ctx, x):
        return x - ctx.xp.trunc(x)

    @staticmethod
    def backward(ctx, gy):
        return gy


def _rounding(op, kernel, input, *args):
    kind = input._data.dtype.kind
    if kind == "b":
        raise _not_implemented(kernel, input)
    if kind != "f":  # integers are already whole: a copy, same dtype (torch)
        return _make(input._data.copy())
    return op.apply(input, *args)


def floor(input):
    return _rounding(Floor, "floor_vml_cpu", input)


def ceil(input):
    return _rounding(Ceil, "ceil_vml_cpu", input)


def trunc(input):
    return _rounding(Trunc, "trunc_vml_cpu", input)


fix = trunc


def round(input, *, decimals=0):
    if decimals != 0 and input._data.dtype.kind != "f":
        raise _not_implemented("round_cpu", input)
    return _rounding(Round, "round_vml_cpu", input, decimals)


def frac(input):
    if input._data.dtype.kind != "f":
        raise _not_implemented("frac_cpu", input)
    return Frac.apply(input)


# ---- error function ----------------------------------------------------------------------------
class Erf(Op, name="erf"):
    """y = erf(x);  dy/dx = 2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return _special.erf(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * exp(-(x * x)) * _TWO_OVER_SQRT_PI


class Erfc(Op, name="erfc"):
    """y = erfc(x) = 1 - erf(x);  dy/dx = -2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return _special.erfc(x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * exp(-(x * x)) * -_TWO_OVER_SQRT_PI


class Erfinv(Op, name="erfinv"):
    """y = erfinv(x), the y with erf(y) = x;  dy/dx = sqrt(pi)/2 e^(y^2)."""

    @staticmethod
    def forward(ctx, x):
        y = _special.erfinv(x)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        y = ctx.output()
        return gy * exp(y * y) * _SQRT_PI_OVER_TWO


def erf(input):
    return Erf.apply(_float_input(input))


def erfc(input):
    return Erfc.apply(_float_input(input))


def erfinv(input):
    return Erfinv.apply(_float_input(input))


# ---- predicates, logical and bitwise not, nan_to_num (no gradient unless noted) ---------------
def bitwise_not(input):
    d = input._data
    if d.dtype.kind == "f":
        raise _not_implemented("bitwise_not_cpu", input)
    return _make(_xp.invert(d))  # bool: logical not; integers: two's complement ~x


def _invert(input):
    """`~x` (Tensor.__invert__): bitwise_not, with the operator's own TypeError for floats."""
    if input._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(input)


def logical_not(input):
    return _make(_xp.asarray(_xp.logical_not(input._data)))


def isnan(input):
    return _make(_xp.asarray(_xp.isnan(input._data)))


def isinf(input):
    return _make(_xp.asarray(_xp.isinf(input._data)))


def isfinite(input):
    return _make(_xp.asarray(_xp.isfinite(input._data)))


class NanToNum(Op, name="nan_to_num"):
    """y = x with NaN, +inf and -inf replaced by numbers;  dy/dx = 1 where x is finite else 0."""

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        xp = ctx.xp
        if ctx.needs_input_grad[0]:
            ctx.keep = xp.isfinite(x)
        with xp.errstate(over="ignore"):  # torch: a replacement beyond the dtype's range is inf
            return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, gy):
        return _Masked.apply(gy, ctx.keep), None, None, None


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN -> `nan`, +inf -> `posinf`, -inf -> `neginf` (None: the dtype's largest / lowest
    finite value). Integer and bool tensors are returned as copies."""
    if input._data.dtype.kind != "f":
        return _make(input._data.copy())
    return NanToNum.apply(input, 0.0 if nan is None else nan, posinf, neginf)
