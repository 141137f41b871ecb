"""A Gamma(alpha, 1) draw that differentiates in alpha (implicit reparameterization, as torch's
Gamma.rsample): the draw x is held at its CDF level u = P(alpha, x), so

    dx/dalpha = -(dP/dalpha)(alpha, x) / p(x; alpha)

(P the regularized lower incomplete gamma function, p the density). With the series
P(alpha, x) = sum_n x^(alpha+n) e^-x / Gamma(alpha+n+1), the ratio is

    (dP/dalpha) / p = sum_n x^(n+1) Gamma(alpha) / Gamma(alpha+n+1) (log x - digamma(alpha+n+1))

whose terms shrink once n passes x - alpha (about 8 sqrt(x) more terms reach float64); above
alpha = 1000 the Wilson-Hilferty approximation takes over (the series would grow long).
Gamma, Beta, Dirichlet, StudentT, Chi2, InverseGamma and FisherSnedecor build rsample on it.
"""
import math

from .. import random as _random
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..creation import arange, as_tensor
from ..ops.gamma import digamma

__all__ = ["standard_gamma"]


def _series(a, x):
    """The series above, for float64 tensors a, x of one shape."""
    spread = (x - a).clamp(min=0).max().item() + 8 * math.sqrt(x.max().item()) + 30
    ak = a.unsqueeze(-1) + arange(int(spread), dtype=a.dtype)       # a + k, k = 0, 1, ...
    log_x = x.log().unsqueeze(-1)
    # Gamma(a + n + 1) / Gamma(a) = prod_{k<=n} (a + k) and digamma(a + n + 1) =
    # digamma(a) + sum_{k<=n} 1 / (a + k): running sums instead of lgamma/digamma per term
    log_terms = (log_x - ak.log()).cumsum(-1)
    psi = digamma(a).unsqueeze(-1) + ak.reciprocal().cumsum(-1)
    return -(log_terms.exp() * (log_x - psi)).sum(-1)


def _wilson_hilferty(a, x):
    """For large alpha, hold fixed the normal deviate z of the Wilson-Hilferty cube-root
    approximation x = alpha c^3, c = 1 - 1/(9 alpha) + z / (3 sqrt(alpha)); then
    dx/dalpha = c^3 + 3 alpha c^2 dc/dalpha (relative error < 2e-6 for alpha > 1000)."""
    z = ((x / a) ** (1 / 3) - (1 - 1 / (9 * a))) * (9 * a).sqrt()
    c = 1 - 1 / (9 * a) + z / (3 * a.sqrt())
    dc = 1 / (9 * a ** 2) - z / (6 * a ** 1.5)
    return c ** 3 + 3 * a * c ** 2 * dc


def _dx_dalpha(alpha, x):
    """dx/dalpha of a standard gamma draw x at concentration alpha (tensors, same shape):
    the exact series up to alpha = 1000 (its length grows like sqrt(alpha)), Wilson-Hilferty
    above."""
    with no_grad():
        a, x = alpha.double(), x.double()
        result = _wilson_hilferty(a, x)
        small = a <= 1000
        if bool(small.any()):
            result[small] = _series(a[small], x[small])
        return result.to(alpha.dtype)


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
