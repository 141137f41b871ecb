"""Distributions whose densities need the gamma function: Gamma, Chi2, Beta, Dirichlet,
Poisson, Binomial, StudentT. log_prob, entropy, mean and variance are closed forms in tensor
ops (lgamma/digamma from ops/gamma.py, so they differentiate in the parameters). Gamma, Beta,
Dirichlet and StudentT have rsample: gamma draws differentiate in their concentration
implicitly (_standard_gamma.py), as torch's do; Poisson and Binomial draw from NumPy's
generator behind glasstorch.random.
"""
import math

from .. import random as _random
from ..creation import as_tensor
from ..ops.gamma import lgamma, digamma
from ..tensor import Size
from . import constraints
from ._standard_gamma import standard_gamma
from .discrete import _BinaryParams
from .distribution import Distribution, ExponentialFamily, broadcast_all

__all__ = ["Gamma", "Chi2", "Beta", "Dirichlet", "Poisson", "Binomial", "StudentT"]

def _draw(like, fn):
    """A sample from NumPy's generator as a tensor of `like`'s dtype."""
    return as_tensor(fn(_random._rng(None)).astype(like.dtype.np))


def _dirichlet_mode(a):
    """(a - 1)+ normalized; where every a_k < 1 (density unbounded at the corners) torch
    returns the first corner, and so does this."""
    from ..nn import functional as F
    am1 = (a - 1).clamp(min=0.0)
    total = am1.sum(-1, True)
    mode = am1 / total.masked_fill(total == 0, 1.0)
    corner = F.one_hot(mode.argmax(-1), a.shape[-1]).to(a.dtype)
    return corner.where((a < 1).all(-1, keepdim=True), mode)


class Gamma(ExponentialFamily):
    _mean_carrier_measure = 0
    has_rsample = True
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    mean = property(lambda self: self.concentration / self.rate)
    mode = property(lambda self: ((self.concentration - 1) / self.rate).clamp(min=0))
    variance = property(lambda self: self.concentration / self.rate ** 2)

    def rsample(self, sample_shape=Size()):
        from .._runtime import finfo
        shape = self._extended_shape(sample_shape)
        x = standard_gamma(self.concentration.expand(*shape)) / self.rate.expand(*shape)
        return x.clamp(min=finfo(x.dtype).tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return a * b.log() + (a - 1) * value.log() - b * value - lgamma(a)

    def cdf(self, value):
        """P(concentration, rate * value), the regularized lower incomplete gamma function
        (like torch, not differentiable in concentration)."""
        from ..special import gammainc
        if self._validate_args:
            self._validate_sample(value)
        return gammainc(self.concentration, self.rate * value)

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + lgamma(a) + (1 - a) * digamma(a)

    _natural_params = property(lambda self: (self.concentration - 1, -self.rate))

    def _log_normalizer(self, x, y):
        return lgamma(x + 1) + (x + 1) * (-y.reciprocal()).log()


class Chi2(Gamma):
    arg_constraints = {"df": constraints.positive}
    _expand_also = ("concentration", "rate")

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, df * 0 + 0.5, validate_args)
        self.df = df


class Beta(ExponentialFamily):
    has_rsample = True
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.shape, validate_args=validate_args)

    mean = property(lambda self: self.concentration1 / (self.concentration1 +
                                                        self.concentration0))

    @property
    def mode(self):
        """The Dirichlet(a, b) mode's first coordinate (0 or 1 at the edge cases)."""
        from ..ops.concat import stack
        return _dirichlet_mode(stack([self.concentration1, self.concentration0], -1))[..., 0]
    variance = property(lambda self: (lambda a, b: a * b / ((a + b) ** 2 * (a + b + 1)))(
        self.concentration1, self.concentration0))

    def rsample(self, sample_shape=Size()):
        from .._runtime import finfo
        shape = self._extended_shape(sample_shape)
        x = standard_gamma(self.concentration1.expand(*shape))
        y = standard_gamma(self.concentration0.expand(*shape))
        fi = finfo(x.dtype)
        return (x / (x + y)).clamp(min=fi.tiny, max=1 - fi.eps)

    def _log_beta(self):
        a, b = self.concentration1, self.concentration0
        return lgamma(a) + lgamma(b) - lgamma(a + b)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return (a - 1) * value.log() + (b - 1) * (-value).log1p() - self._log_beta()

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        return self._log_beta() - (a - 1) * digamma(a) - (b - 1) * digamma(b) + \
            (a + b - 2) * digamma(a + b)

    _natural_params = property(lambda self: (self.concentration1, self.concentration0))

    def _log_normalizer(self, x, y):
        return lgamma(x) + lgamma(y) - lgamma(x + y)


class Dirichlet(ExponentialFamily):
    has_rsample = True
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex

    def __init__(self, concentration, validate_args=None):
        if concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args)

    mean = property(lambda self: self.concentration / self.concentration.sum(-1, True))
    mode = property(lambda self: _dirichlet_mode(self.concentration))

    @property
    def variance(self):
        a0 = self.concentration.sum(-1, True)
        return self.concentration * (a0 - self.concentration) / (a0 ** 2 * (a0 + 1))

    def rsample(self, sample_shape=Size()):
        from .._runtime import finfo
        shape = self._extended_shape(sample_shape)
        g = standard_gamma(self.concentration.expand(*shape))
        fi = finfo(g.dtype)
        return (g / g.sum(-1, keepdim=True)).clamp(min=fi.tiny, max=1 - fi.eps)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a = self.concentration
        return ((a - 1) * value.log()).sum(-1) + lgamma(a.sum(-1)) - lgamma(a).sum(-1)

    def entropy(self):
        a = self.concentration
        k = a.shape[-1]
        a0 = a.sum(-1)
        return lgamma(a).sum(-1) - lgamma(a0) - (k - a0) * digamma(a0) - \
            ((a - 1) * digamma(a)).sum(-1)

    _natural_params = property(lambda self: (self.concentration,))

    def _log_normalizer(self, x):
        return lgamma(x).sum(-1) - lgamma(x.sum(-1))


class Poisson(ExponentialFamily):
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    mean = variance = property(lambda self: self.rate)
    mode = property(lambda self: self.rate.floor())

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        lam = self.rate.detach().expand(*shape).numpy()
        return _draw(self.rate, lambda g: g.poisson(lam))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        from .. import special
        return special.xlogy(value, self.rate) - self.rate - lgamma(value + 1)

    # torch: no carrier measure E[-log x!], so the generic entropy raises as torch's does
    _natural_params = property(lambda self: (self.rate.log(),))

    def _log_normalizer(self, x):
        return x.exp()


class Binomial(_BinaryParams, Distribution):
    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self._param = self.probs
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self._param = self.logits
        self.total_count = self.total_count.to(self._param.dtype)
        super().__init__(self._param.shape, validate_args=validate_args)

    mean = property(lambda self: self.total_count * self.probs)
    mode = property(lambda self: ((self.total_count + 1) * self.probs).floor()
                    .clamp(max=self.total_count))
    variance = property(lambda self: self.total_count * self.probs * (1 - self.probs))

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        n = self.total_count.detach().expand(*shape).numpy().astype("int64")
        p = self.probs.detach().expand(*shape).numpy()
        return _draw(self.probs, lambda g: g.binomial(n, p))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_comb = lgamma(n + 1) - lgamma(value + 1) - lgamma(n - value + 1)
        # value * logits - n * log(1 + e^logits), written stably
        norm = n * logits.clamp(min=0) + n * (-logits.abs()).exp().log1p()
        return log_comb + value * logits - norm

    def _homogeneous_count(self, what):
        n = int(self.total_count.max())
        if int(self.total_count.min()) != n:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return n

    def enumerate_support(self, expand=True):
        from ..creation import arange
        n = self._homogeneous_count("enumerate_support")
        values = arange(n + 1, dtype=self.probs.dtype).reshape(-1, *(1,) *
                                                               len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values

    def entropy(self):
        """-sum_k P(k) log P(k) over k = 0 .. total_count."""
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)


class StudentT(Distribution):
    has_rsample = True
    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(self.df.shape, validate_args=validate_args)

    mode = property(lambda self: self.loc)

    @property
    def mean(self):
        return self.loc.masked_fill(self.df <= 1, float("nan"))

    @property
    def variance(self):
        v = self.scale ** 2 * self.df / (self.df - 2)
        v = v.masked_fill((self.df <= 2) & (self.df > 1), float("inf"))
        return v.masked_fill(self.df <= 1, float("nan"))

    def rsample(self, sample_shape=Size()):
        """loc + scale * X / sqrt(Z / df), X ~ Normal(0, 1), Z ~ Chi2(df)."""
        shape = self._extended_shape(sample_shape)
        x = _random.randn(*shape, dtype=self.df.dtype) if shape else \
            _random.randn((), dtype=self.df.dtype)
        z = 2 * standard_gamma(0.5 * self.df.expand(*shape))
        return self.loc + self.scale * x * (z / self.df).rsqrt()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi) + \
            lgamma(0.5 * self.df) - lgamma(0.5 * (self.df + 1.0))
        return -0.5 * (self.df + 1.0) * (y ** 2 / self.df).log1p() - z

    def entropy(self):
        df = self.df
        lbeta = lgamma(0.5 * df) + math.lgamma(0.5) - lgamma(0.5 * (df + 1))
        return self.scale.log() + 0.5 * (df + 1) * (digamma(0.5 * (df + 1)) -
                                                    digamma(0.5 * df)) + 0.5 * df.log() + lbeta
