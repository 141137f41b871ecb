"""Trigonometric and hyperbolic functions and their inverses (sin ... atanh), elementwise.

Each op saves what its derivative needs (tanh saves its output: dy/dx = 1 - y^2); integer
inputs compute in the default float dtype (`_float_input`, _util.py). Functions with a
restricted domain (asin, acosh, atanh) return NaN outside it silently, as torch does.
"""
from ..autograd.node import Op
from ._util import _DOMAIN, _float_input
from .unary import rsqrt

__all__ = ["sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh",
           "cosh", "tanh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh"]


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


def sin(input):
    return Sin.apply(_float_input(input))


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


def cos(input):
    return Cos.apply(_float_input(input))


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


def tan(input):
    return Tan.apply(_float_input(input))


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


def asin(input):
    return Asin.apply(_float_input(input))


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


def acos(input):
    return Acos.apply(_float_input(input))


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


def atan(input):
    return Atan.apply(_float_input(input))


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


def sinh(input):
    return Sinh.apply(_float_input(input))


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


def cosh(input):
    return Cosh.apply(_float_input(input))


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


def tanh(input):
    return Tanh.apply(_float_input(input))


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


def asinh(input):
    return Asinh.apply(_float_input(input))


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


def acosh(input):
    return Acosh.apply(_float_input(input))


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


def atanh(input):
    return Atanh.apply(_float_input(input))


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh
