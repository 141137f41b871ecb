"""A Gamma(alpha, 1) draw that differentiates in alpha (implicit reparameterization, as torch's
Gamma.rsample): the draw x is held at its CDF level u = P(alpha, x), so

    dx/dalpha = -(dP/dalpha)(alpha, x) / p(x; alpha)

(P the regularized lower incomplete gamma function, p the density). With the series
P(alpha, x) = sum_n x^(alpha+n) e^-x / Gamma(alpha+n+1), the ratio is

    (dP/dalpha) / p = sum_n x^(n+1) Gamma(alpha) / Gamma(alpha+n+1) (log x - digamma(alpha+n+1))

whose terms shrink once n passes x - alpha (about 8 sqrt(x) more terms reach float64).
Gamma, Beta, Dirichlet, StudentT, Chi2, InverseGamma and FisherSnedecor build rsample on it.
"""
import math

from .. import random as _random
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..creation import arange, as_tensor
from ..ops.gamma import digamma, lgamma

__all__ = ["standard_gamma"]


def _dx_dalpha(alpha, x):
    """dx/dalpha of a standard gamma draw x at concentration alpha (tensors, same shape)."""
    with no_grad():
        a, x = alpha.double(), x.double()
        spread = (x - a).clamp(min=0).max().item() + 8 * math.sqrt(x.max().item()) + 30
        n = arange(int(spread), dtype=a.dtype)
        a_, x_ = a.unsqueeze(-1), x.unsqueeze(-1)
        log_x = x_.log()
        log_terms = (n + 1) * log_x + lgamma(a_) - lgamma(a_ + n + 1)
        ratio = (log_terms.exp() * (log_x - digamma(a_ + n + 1))).sum(-1)
        return (-ratio).to(alpha.dtype)


class _StandardGamma(Function):
    @staticmethod
    def forward(ctx, alpha):
        from .._runtime import finfo
        a = alpha.detach().numpy()
        x = as_tensor(_random._rng(None).standard_gamma(a).astype(alpha.dtype.np))
        x = x.clamp(min=finfo(alpha.dtype).tiny)
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, gy):
        alpha, x = ctx.saved_tensors
        return gy * _dx_dalpha(alpha, x)


def standard_gamma(alpha):
    """A Gamma(alpha, 1) draw of alpha's shape; gradients flow to alpha."""
    return _StandardGamma.apply(alpha)
