"""Elementwise functions of one tensor: neg/abs/sign, powers and roots, sigmoid, the erf
family; exp/log live in exp_log.py (re-exported here). Trigonometric and hyperbolic functions
are in trig.py; functions whose gradient is a mask or zero (relu, clamp, rounding, predicates,
nan_to_num) in piecewise.py; the helpers they share (`_float_input`, `_DOMAIN`) in _util.py.

Each op saves what its derivative needs, preferring the output when the derivative is a function
of it (exp, tanh, sigmoid, sqrt), as tinygrad does. Dtypes follow torch: integer and bool
inputs of float functions compute in the default float dtype (`_float_input`); abs/neg/sign/
square keep integers. erf, erfc and erfinv come from backend/special.py (NumPy has none).
Read arith.py next.
"""
import math

from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp, special as _special
from ..tensor import _make
from ._util import _DOMAIN, _float_input, _not_implemented, _zeros, to_dtype
from .exp_log import exp, exp2, expm1, log, log2, log10, log1p  # noqa: F401 (re-exported)

__all__ = ["neg", "negative", "positive", "abs", "absolute", "exp", "exp2", "expm1", "log", "log2",
           "log10", "log1p", "sqrt", "rsqrt", "square", "reciprocal", "sigmoid", "sign", "sgn",
           "signbit", "erf", "erfc", "erfinv"]


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


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


class Sgn(Sign, name="sgn"):
    """sgn(x) = sign(x) for real x;  dy/dx = 0. Its own op because torch's SgnBackward0
    saves x and y (sign's saves nothing), so a second backward raises as in torch."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return Sign.forward(ctx, x)


def sgn(input):
    if input._data.dtype.kind == "b":
        return _make(input._data.copy())
    return Sgn.apply(input)


def signbit(input):
    """True where the sign bit is set (-0.0 and -NaN included)."""
    d = input._data
    return _make(_xp.signbit(d) if d.dtype.kind == "f" else _xp.asarray(d < 0))


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


def sqrt(input):
    return Sqrt.apply(_float_input(input))


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


def rsqrt(input):
    return Rsqrt.apply(_float_input(input))


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


def square(input):
    if input._data.dtype.kind == "b":  # torch: square is pow(x, 2), and bool ** 2 is int64
        input = to_dtype(input, _dtype.int64)
    return Square.apply(input)


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


def reciprocal(input):
    return Reciprocal.apply(_float_input(input))


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


def erf(input):
    return Erf.apply(_float_input(input))


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


def erfc(input):
    return Erfc.apply(_float_input(input))


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


def erfinv(input):
    return Erfinv.apply(_float_input(input))
