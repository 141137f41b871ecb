"""Exponentials and logarithms, elementwise: exp, exp2, expm1, log, log2, log10, log1p.

The exponentials save their output (dy/dx is a multiple of y), the logarithms their input
(dy/dx = 1 / (x ln b)). Integer and bool inputs compute in the default float dtype
(`_float_input`); logarithms of 0 and of negative numbers give -inf and NaN silently, as in
torch (`_DOMAIN`). unary.py re-exports them; read unary.py first.
"""
import math

from ..autograd.node import Op
from ._util import _DOMAIN, _float_input

__all__ = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p"]

_LN2, _LN10 = math.log(2.0), math.log(10.0)


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


def exp(input):
    return Exp.apply(_float_input(input))


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


def exp2(input):
    return Exp2.apply(_float_input(input))


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


def expm1(input):
    return Expm1.apply(_float_input(input))


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


def log(input):
    return Log.apply(_float_input(input))


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


def log2(input):
    return Log2.apply(_float_input(input))


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


def log10(input):
    return Log10.apply(_float_input(input))


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


def log1p(input):
    return Log1p.apply(_float_input(input))
