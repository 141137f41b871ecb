"""More continuous families: GeneralizedPareto (peaks over a threshold), FisherSnedecor (the
F ratio of two scaled Chi2's) and VonMises (the circular normal, on [-pi, pi)). Densities in
tensor ops; GeneralizedPareto and FisherSnedecor reparameterize (inverse CDF, gamma draws),
VonMises samples by Best & Fisher's (1979) rejection scheme.
"""
import math

from .. import random as _random
from ..autograd.grad_mode import no_grad
from ..ops.gamma import lgamma
from ..tensor import Size
from . import constraints
from .distribution import Distribution, broadcast_all
from .gamma_family import Gamma

__all__ = ["GeneralizedPareto", "FisherSnedecor", "VonMises"]


def _rand(shape, like):
    return _random.rand(*shape, dtype=like.dtype) if shape else _random.rand((), dtype=like.dtype)


class GeneralizedPareto(Distribution):
    """F(x) = 1 - (1 + c z)^(-1/c), z = (x - loc) / scale (c = concentration; c = 0 is the
    exponential tail 1 - e^-z, handled by its own branch)."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def _safe(self):
        """(c == 0 mask, c with the zeros replaced by 1 so both branches stay finite)."""
        c = self.concentration
        zero = c.abs() <= 1e-8          # torch: isclose(c, 0) with its default tolerances
        return zero, c.masked_fill(zero, 1.0)

    def _z(self, x):
        return (x - self.loc) / self.scale

    def rsample(self, sample_shape=Size()):
        return self.icdf(_rand(self._extended_shape(sample_shape), self.loc))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        zero, c = self._safe()
        y = 1 / c + z * 0 + 1
        nonzero = y.where(y == 0, y * (c * z).log1p())
        return -self.scale.log() - z.where(zero, nonzero)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        zero, c = self._safe()
        return (-z).where(zero, -(c * z).log1p() / c)

    def log_cdf(self, value):
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        zero, c = self._safe()
        log_u = (-value).log1p()
        return (self.loc - self.scale * log_u).where(
            zero, self.loc + self.scale / c * (-c * log_u).expm1())

    @property
    def mean(self):
        valid = self.concentration < 1
        c = self.concentration.masked_fill(~valid, 0.5)
        return (self.loc + self.scale / (1 - c)).masked_fill(~valid, math.nan)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        c = self.concentration.masked_fill(~valid, 0.25)
        return (self.scale ** 2 / ((1 - c) ** 2 * (1 - 2 * c))).masked_fill(~valid, math.nan)

    def entropy(self):
        return (self.scale.log() + self.concentration + 1).expand(*self._batch_shape)

    mode = property(lambda self: self.loc)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = (self.loc - self.scale / self._safe()[1]).masked_fill(
            self.concentration >= 0, math.inf)
        return constraints.interval(self.loc, upper)


class FisherSnedecor(Distribution):
    """(X1 / df1) / (X2 / df2), Xi ~ Chi2(dfi)."""
    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1, validate_args=False)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2, validate_args=False)
        super().__init__(self.df1.shape, validate_args=validate_args)

    @property
    def mean(self):
        df2 = self.df2.masked_fill(self.df2 <= 2, math.nan)
        return df2 / (df2 - 2)

    @property
    def mode(self):
        m = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return m.masked_fill(self.df1 <= 2, math.nan)

    @property
    def variance(self):
        df2 = self.df2.masked_fill(self.df2 <= 4, math.nan)
        return 2 * df2 ** 2 * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2) ** 2 * (df2 - 4))

    def rsample(self, sample_shape=Size()):
        from .._runtime import finfo
        x1 = self._gamma1.rsample(sample_shape)
        tiny = finfo(x1.dtype).tiny
        x2 = self._gamma2.rsample(sample_shape).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        ct1, ct2, ct3 = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        t1 = lgamma(ct1 + ct2) - lgamma(ct1) - lgamma(ct2)
        t2 = ct1 * ct3.log() + (ct1 - 1) * value.log()
        t3 = (ct1 + ct2) * (ct3 * value).log1p()
        return t1 + t2 - t3


# Abramowitz & Stegun 9.8.1-9.8.4: polynomial approximations of I0 and I1 below and above
# x = 3.75 (the large-x ones are of e^-x sqrt(x) I(x)); torch uses the same, so log_prob agrees
_I0_SMALL = [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813]
_I0_LARGE = [0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706,
             0.02635537, -0.01647633, 0.00392377]
_I1_SMALL = [0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411]
_I1_LARGE = [0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967,
             -0.02895312, 0.01787654, -0.00420059]


def _poly(y, coef):
    result = coef[-1]
    for c in reversed(coef[:-1]):
        result = c + y * result
    return result


def _log_bessel_i(x, order):
    """log I_order(x) for x > 0, order 0 or 1."""
    small = _poly((x / 3.75) ** 2, _I1_SMALL if order else _I0_SMALL)
    if order:
        small = x.abs() * small
    large = x - 0.5 * x.log() + _poly(3.75 / x, _I1_LARGE if order else _I0_LARGE).log()
    return small.log().where(x < 3.75, large)


class VonMises(Distribution):
    """p(x) = exp(kappa cos(x - loc)) / (2 pi I0(kappa)) on the circle."""
    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, Size(), validate_args)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.concentration * (value - self.loc).cos() - math.log(2 * math.pi) - \
            _log_bessel_i(self.concentration, 0)

    def _proposal_r(self, kappa):
        tau = 1 + (1 + 4 * kappa ** 2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        # torch: for tiny kappa the closed form cancels; its Taylor series 1/kappa + kappa
        return ((1 + rho ** 2) / (2 * rho)).where(kappa >= 1e-5, 1 / kappa + kappa)

    def sample(self, sample_shape=Size()):
        """Best & Fisher's wrapped-Cauchy envelope, in float64; each entry keeps proposing
        until accepted."""
        from ..creation import zeros
        with no_grad():
            shape = self._extended_shape(sample_shape)
            loc = self.loc.double().expand(*shape)
            kappa = self.concentration.double().expand(*shape)
            r = self._proposal_r(kappa)
            x = zeros(tuple(shape), dtype=loc.dtype)
            done = zeros(tuple(shape), dtype=loc.dtype) > 0
            while not bool(done.all()):
                u1, u2, u3 = (_rand(shape, loc) for _ in range(3))
                z = (math.pi * u1).cos()
                f = (1 + r * z) / (r + z)
                c = kappa * (r - f)
                accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
                accept = accept & ~done
                x = ((u3 - 0.5).sign() * f.acos()).where(accept, x)
                done = done | accept
            return ((x + math.pi + loc) % (2 * math.pi) - math.pi).to(self.loc.dtype)

    mean = mode = property(lambda self: self.loc)

    @property
    def variance(self):
        k = self.concentration
        return 1 - (_log_bessel_i(k, 1) - _log_bessel_i(k, 0)).exp()
