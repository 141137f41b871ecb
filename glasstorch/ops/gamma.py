"""The gamma-function ops: lgamma, digamma, polygamma, and the Hurwitz zeta (forward in
backend/gamma.py).

Each derivative is the next function of the family, so every order differentiates:
lgamma' = digamma, digamma' = polygamma(1, .), polygamma(n, .)' = polygamma(n + 1, .),
d/dq zeta(x, q) = -x zeta(x + 1, q).
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import gamma as _gamma
from ._util import _float_input

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma"]   # (zeta: torch.special.zeta)


class Lgamma(Op, name="lgamma"):
    """y = log|Gamma(x)|;  dy/dx = digamma(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_inputs(0)
        return _gamma.lgamma(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * digamma(x)


class Digamma(Op, name="digamma"):
    """y = psi(x) = d/dx log Gamma(x);  dy/dx = polygamma(1, x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_inputs(0)
        return _gamma.digamma(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * polygamma(1, x)


class Polygamma(Op, name="polygamma"):
    """y = psi^(n)(x);  dy/dx = psi^(n+1)(x)."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.save_inputs(0)
        ctx.n = n
        return _gamma.polygamma(n, x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * polygamma(ctx.n + 1, x), None


class Zeta(Op, name="zeta"):
    """y = zeta(x, q) = sum_k (q + k)^-x;  dy/dq = -x zeta(x + 1, q). As torch, there is no
    derivative in x: a backward that needs it raises NotImplementedError."""

    @staticmethod
    def forward(ctx, x, q, dtype):
        if ctx.needs_input_grad[1]:
            ctx.save_inputs(0, 1)
        return _gamma.zeta(x, q).astype(dtype)

    @staticmethod
    def backward(ctx, gy):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        x, q = ctx.saved_tensors
        return None, gy * -x * zeta(x + 1, q), None


def zeta(input, other):
    """Hurwitz zeta(input, other); either may be a number. The result dtype is the promoted
    one, or the default float for integers and bools (torch's)."""
    dt = _dtype.result_type(input, other)   # promoted as arithmetic; integers: the default
    if not dt.is_floating_point:
        dt = _dtype.get_default_dtype()
    if dt.name == "float16":                # torch's CPU kernel has no Half loop
        raise NotImplementedError("\"zeta_cpu\" not implemented for 'Half'")
    return Zeta.apply(input, other, dt.np)


def lgamma(input):
    return Lgamma.apply(_float_input(input))


def digamma(input):
    return Digamma.apply(_float_input(input))


def polygamma(n, input):
    if not isinstance(n, int) or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got {n!r})")
    return Polygamma.apply(_float_input(input), n)


def mvlgamma(input, p):
    """Multivariate log-gamma: p(p-1)/4 log(pi) + sum_{j<p} lgamma(x - j/2)."""
    import math
    if p < 1:
        raise RuntimeError(f"p has to be greater than or equal to 1 (got {p})")
    from .join import stack
    x = _float_input(input)
    terms = stack([lgamma(x - j / 2) for j in range(p)], -1).sum(-1)
    return terms + p * (p - 1) / 4 * math.log(math.pi)
