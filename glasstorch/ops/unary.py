"""Elementwise functions of one tensor. Each op saves what its derivative needs, preferring
the output when the derivative is a function of it (exp, tanh, sigmoid), as tinygrad does.
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor, _make
from ._util import to_dtype

__all__ = ["neg", "negative", "exp", "tanh", "relu"]


def _float_input(x):
    """Integer inputs of float functions (exp, sin, ...) compute in the default float dtype."""
    if x._data.dtype.kind in "iub":
        return to_dtype(x, _dtype.get_default_dtype())
    return x


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


class Relu(Op, name="relu"):
    """y = max(x, 0);  dy/dx = 1 where x > 0 else 0 (0 at the kink, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.maximum(x, 0)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        return gy * (ctx.output() > 0)


def relu(input):
    return Relu.apply(input)
