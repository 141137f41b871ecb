"""torch.special: special functions. Most are the same ops as in `torch` (erf, expit =
sigmoid, log_softmax...); the rest are compositions of them, so they differentiate for free
(ndtr from erf, entr from log). The classical orthogonal polynomials (three-term recurrences)
and spherical_bessel_j0 have no derivative in torch, so they run without a graph here too. The
gamma family and zeta are ops/gamma.py; the Bessel and Airy functions and gammainc/gammaincc
are ops/special_bessel.py.
"""
import functools
import math

from .autograd.grad_mode import no_grad
from .ops import gamma as _g
from .ops._util import _float_input
from .ops.special_bessel import (airy_ai, bessel_j0, bessel_j1, bessel_y0,  # noqa: F401
                                 bessel_y1, i0, i0e, i1, i1e, modified_bessel_i0,
                                 modified_bessel_i1, modified_bessel_k0, modified_bessel_k1,
                                 scaled_modified_bessel_k0, scaled_modified_bessel_k1)
from .ops.special_bessel import igamma as gammainc, igammac as gammaincc  # noqa: F401
from .tensor import Tensor

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1",
           "gammaln", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln",
           "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "spherical_bessel_j0",
           "xlog1py", "xlogy", "zeta", "chebyshev_polynomial_t", "chebyshev_polynomial_u",
           "chebyshev_polynomial_v", "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
           "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
           "laguerre_polynomial_l", "legendre_polynomial_p", "airy_ai", "bessel_j0",
           "bessel_j1", "bessel_y0", "bessel_y1", "gammainc", "gammaincc", "i0", "i0e", "i1",
           "i1e", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
           "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1"]

_SQRT2 = math.sqrt(2.0)


def _t():
    import glasstorch
    return glasstorch


digamma = psi = _g.digamma
gammaln = _g.lgamma
multigammaln = _g.mvlgamma


def polygamma(n, input, *, out=None):
    return _g.polygamma(n, input)


def erf(input, *, out=None):
    return _float_input(input).erf()


def erfc(input, *, out=None):
    return _float_input(input).erfc()


def erfinv(input, *, out=None):
    return _float_input(input).erfinv()


def erfcx(input, *, out=None):
    """exp(x^2) erfc(x) (overflows to inf beyond ~26, where torch still answers)."""
    x = _float_input(input)
    return (x * x).exp() * x.erfc()


def exp2(input, *, out=None):
    return _t().exp2(input)


def expm1(input, *, out=None):
    return _t().expm1(input)


def log1p(input, *, out=None):
    return _t().log1p(input)


def expit(input, *, out=None):
    return _float_input(input).sigmoid()


def logit(input, eps=None, *, out=None):
    x = _float_input(input)
    if eps is not None:
        x = x.clamp(eps, 1 - eps)
    return (x / (1 - x)).log()


def round(input, *, decimals=0, out=None):
    return _t().round(input, decimals=decimals)


def sinc(input, *, out=None):
    """sin(pi x) / (pi x), 1 at 0."""
    x = _float_input(input)
    safe = _t().where(x == 0, x * 0 + 1, x) * math.pi
    return _t().where(x == 0, x * 0 + 1, safe.sin() / safe)


def entr(input, *, out=None):
    """-x log x for x > 0, 0 at 0, -inf below."""
    x = _float_input(input)
    pos = -x * x.clamp(min=1e-300).log()
    return _t().where(x > 0, pos, _t().where(x == 0, x * 0, x * 0 - math.inf))


def ndtr(input, *, out=None):
    """Standard normal CDF: (1 + erf(x / sqrt 2)) / 2."""
    return 0.5 * (1 + (_float_input(input) / _SQRT2).erf())


def ndtri(input, *, out=None):
    """Inverse of ndtr: sqrt 2 * erfinv(2p - 1)."""
    return _SQRT2 * (2 * _float_input(input) - 1).erfinv()


def log_ndtr(input, *, out=None):
    return (0.5 * (-_float_input(input) / _SQRT2).erfc()).log()


def xlogy(input, other, *, out=None):
    return _t().xlogy(input, other)


def xlog1py(input, other, *, out=None):
    """x log(1 + y), 0 where x == 0."""
    x, y = (t if isinstance(t, Tensor) else _t().tensor(float(t)) for t in (input, other))
    return _t().where(x == 0, x * 0, x * y.log1p())


def zeta(input, other, *, out=None):
    """Hurwitz zeta sum_k (other + k)^-input; differentiable in `other` only, as in torch."""
    return _g.zeta(input, other)


def log_softmax(input, dim, *, dtype=None):
    return _t().log_softmax(input, dim, dtype=dtype)


def softmax(input, dim, *, dtype=None):
    return _t().softmax(input, dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False, *, out=None):
    return _t().logsumexp(input, dim, keepdim)


def _no_derivative(fn):
    """torch defines no derivative for these: the result never requires grad (no graph)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with no_grad():
            return fn(*args, **kwargs)
    return wrapper


@_no_derivative
def spherical_bessel_j0(input, *, out=None):
    """sin(x) / x (1 at 0)."""
    x = _float_input(input)
    safe = _t().where(x == 0, x * 0 + 1, x)
    return _t().where(x == 0, x * 0 + 1, safe.sin() / safe)


# ---- orthogonal polynomials by recurrence: p_{k+1} = a(x) p_k - b p_{k-1} ---------------
def _recurrence(x, n, p0, p1, step):
    """Evaluate p_n(x) elementwise for integer n (an int or a tensor broadcast with x)."""
    x = _float_input(x) if isinstance(x, Tensor) else _t().tensor(float(x))
    ns = n if isinstance(n, Tensor) else _t().tensor(n)
    nmax = int(ns.max()) if ns.numel() else 0
    polys = [p0(x), p1(x)]
    for k in range(1, nmax):
        polys.append(step(x, k, polys[-1], polys[-2]))
    out = x * 0
    for k in range(0, max(nmax, 0) + 1):
        out = _t().where(ns == k, polys[k] if k < len(polys) else out, out)
    return _t().where(ns < 0, x * 0, out)


def _one(x):
    return x * 0 + 1


@_no_derivative
def chebyshev_polynomial_t(input, n, *, out=None):
    return _recurrence(input, n, _one, lambda x: x, lambda x, k, p, q: 2 * x * p - q)


@_no_derivative
def chebyshev_polynomial_u(input, n, *, out=None):
    return _recurrence(input, n, _one, lambda x: 2 * x, lambda x, k, p, q: 2 * x * p - q)


@_no_derivative
def chebyshev_polynomial_v(input, n, *, out=None):
    return _recurrence(input, n, _one, lambda x: 2 * x - 1, lambda x, k, p, q: 2 * x * p - q)


@_no_derivative
def chebyshev_polynomial_w(input, n, *, out=None):
    return _recurrence(input, n, _one, lambda x: 2 * x + 1, lambda x, k, p, q: 2 * x * p - q)


@_no_derivative
def shifted_chebyshev_polynomial_t(input, n, *, out=None):
    return chebyshev_polynomial_t(2 * _float_input(input) - 1, n)


@_no_derivative
def shifted_chebyshev_polynomial_u(input, n, *, out=None):
    return chebyshev_polynomial_u(2 * _float_input(input) - 1, n)


@_no_derivative
def shifted_chebyshev_polynomial_v(input, n, *, out=None):
    return chebyshev_polynomial_v(2 * _float_input(input) - 1, n)


@_no_derivative
def shifted_chebyshev_polynomial_w(input, n, *, out=None):
    return chebyshev_polynomial_w(2 * _float_input(input) - 1, n)


@_no_derivative
def hermite_polynomial_h(input, n, *, out=None):
    """Physicists' Hermite: H_{k+1} = 2x H_k - 2k H_{k-1}."""
    return _recurrence(input, n, _one, lambda x: 2 * x,
                       lambda x, k, p, q: 2 * x * p - 2 * k * q)


@_no_derivative
def hermite_polynomial_he(input, n, *, out=None):
    """Probabilists' Hermite: He_{k+1} = x He_k - k He_{k-1}."""
    return _recurrence(input, n, _one, lambda x: x, lambda x, k, p, q: x * p - k * q)


@_no_derivative
def laguerre_polynomial_l(input, n, *, out=None):
    """L_{k+1} = ((2k + 1 - x) L_k - k L_{k-1}) / (k + 1)."""
    return _recurrence(input, n, _one, lambda x: 1 - x,
                       lambda x, k, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1))


@_no_derivative
def legendre_polynomial_p(input, n, *, out=None):
    """P_{k+1} = ((2k + 1) x P_k - k P_{k-1}) / (k + 1)."""
    return _recurrence(input, n, _one, lambda x: x,
                       lambda x, k, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1))


from . import _aliases  # noqa: E402  (keepdim must be a bool, as torch's parser says)
_aliases.wrap_keepdim(globals(), ["logsumexp"], "special_")
