"""Continuous relaxations of discrete distributions, all with rsample: RelaxedBernoulli and
RelaxedOneHotCategorical (Concrete / Gumbel-softmax, Maddison et al. 2017; Jang et al. 2017),
built on LogitRelaxedBernoulli and ExpRelaxedCategorical, and ContinuousBernoulli
(Loaiza-Ganem & Cunningham 2019), the [0, 1] density proportional to p^x (1 - p)^(1 - x).
"""
import math

from .. import random as _random
from ..nn import functional as _F
from ..ops.gamma import lgamma
from ..tensor import Size
from . import constraints
from .discrete import Categorical, _BinaryParams, _clamp_probs, _one_of
from .distribution import Distribution, ExponentialFamily, broadcast_all
from .transformed import TransformedDistribution
from .transforms import ExpTransform, SigmoidTransform
from .utils import lazy_property

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli", "ExpRelaxedCategorical",
           "RelaxedOneHotCategorical", "ContinuousBernoulli"]


def _rand(shape, like):
    return _random.rand(*shape, dtype=like.dtype) if shape else _random.rand((), dtype=like.dtype)


def _given(d, probs, logits):
    """Store the one of probs/logits that was given (broadcast to a tensor) as d.probs or
    d.logits and d._param; the other is _BinaryParams' lazy property."""
    _one_of(probs, logits)
    if probs is not None:
        (d.probs,) = broadcast_all(probs)
        d._param = d.probs
    else:
        (d.logits,) = broadcast_all(logits)
        d._param = d.logits


class LogitRelaxedBernoulli(_BinaryParams, Distribution):
    """The logit of a RelaxedBernoulli: (logit u + logits) / temperature, u ~ U(0, 1)."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        _given(self, probs, logits)
        super().__init__(self._param.shape, validate_args=validate_args)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        p = _clamp_probs(self.probs.expand(*shape))
        u = _clamp_probs(_rand(shape, p))
        return (u.log() - (-u).log1p() + p.log() - (-p).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(TransformedDistribution):
    """sigmoid of a LogitRelaxedBernoulli: a (0, 1) value that tends to Bernoulli(probs) as
    temperature -> 0."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

    temperature = property(lambda self: self.base_dist.temperature)
    logits = property(lambda self: self.base_dist.logits)
    probs = property(lambda self: self.base_dist.probs)


class ExpRelaxedCategorical(Distribution):
    """log of a RelaxedOneHotCategorical: log_softmax((logits + Gumbel noise) / temperature)."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    param_shape = property(lambda self: self._categorical.param_shape)
    logits = property(lambda self: self._categorical.logits)
    probs = property(lambda self: self._categorical.probs)

    def rsample(self, sample_shape=Size()):
        u = _clamp_probs(_rand(self._extended_shape(sample_shape), self.logits))
        scores = (self.logits - (-u.log()).log()) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value):
        K = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_scale = lgamma(self.temperature * 0 + K) + (K - 1) * self.temperature.log()
        score = logits - value * self.temperature
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    """exp of an ExpRelaxedCategorical: a point of the simplex that tends to a one-hot
    OneHotCategorical(probs) draw as temperature -> 0 (Gumbel-softmax)."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    temperature = property(lambda self: self.base_dist.temperature)
    logits = property(lambda self: self.base_dist.logits)
    probs = property(lambda self: self.base_dist.probs)


class ContinuousBernoulli(_BinaryParams, ExponentialFamily):
    """p(x) = C(p) p^x (1 - p)^(1 - x) on [0, 1], C(p) = 2 atanh(1 - 2p) / (1 - 2p). Near
    p = 1/2 (inside `lims`) the closed forms divide 0 by 0, so Taylor expansions take over."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if probs is not None:
            (probs,) = broadcast_all(probs)
            # torch: probs is range-checked here only when validate_args is given explicitly
            if validate_args is not None and not bool(
                    self.arg_constraints["probs"].check(probs).all()):
                raise ValueError("The parameter probs has invalid values")
        _given(self, probs, logits)
        if probs is not None:               # torch stores the given probs clamped
            self.probs = self._param = _clamp_probs(self.probs)
        self._lims = lims
        super().__init__(self._param.shape, validate_args=validate_args)

    @lazy_property
    def probs(self):
        return _clamp_probs(self.logits.sigmoid())

    def _stable(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        return self.probs.where(self._stable(), self._lims[0] * self.probs.new_ones(()))

    def _cont_bern_log_norm(self):
        p = self._cut_probs()
        below = p.where(p <= 0.5, p.new_zeros(()))
        above = p.where(p >= 0.5, p.new_ones(()))
        log_norm = ((-p).log1p() - p.log()).abs().log() - \
            (-2.0 * below).log1p().where(p <= 0.5, (2.0 * above - 1.0).log())
        x = (self.probs - 0.5) ** 2
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return log_norm.where(self._stable(), taylor)

    @property
    def mean(self):
        p = self._cut_probs()
        mus = p / (2.0 * p - 1.0) + 1.0 / ((-p).log1p() - p.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x ** 2) * x
        return mus.where(self._stable(), taylor)

    @property
    def variance(self):
        p = self._cut_probs()
        var = p * (p - 1.0) / (1.0 - 2.0 * p) ** 2 + 1.0 / ((-p).log1p() - p.log()) ** 2
        x = (self.probs - 0.5) ** 2
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return var.where(self._stable(), taylor)

    def rsample(self, sample_shape=Size()):
        return self.icdf(_rand(self._extended_shape(sample_shape), self.probs))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_F.binary_cross_entropy_with_logits(logits, value, reduction="none") + \
            self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        p = self._cut_probs()
        cdfs = (p ** value * (1.0 - p) ** (1.0 - value) + p - 1.0) / (2.0 * p - 1.0)
        inside = cdfs.where(self._stable(), value)
        return (value * 0).where(value <= 0.0, (value * 0 + 1).where(value >= 1.0, inside))

    def icdf(self, value):
        p = self._cut_probs()
        x = ((-p + value * (2.0 * p - 1.0)).log1p() - (-p).log1p()) / (p.log() - (-p).log1p())
        return x.where(self._stable(), value)

    def entropy(self):
        log_p0, log_p1 = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log_p0 - log_p1) - self._cont_bern_log_norm() - log_p0

    _natural_params = property(lambda self: (self.logits,))

    def _log_normalizer(self, x):
        stable = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut = x.where(stable, (self._lims[0] - 0.5) * x.new_ones(()))
        log_norm = cut.expm1().abs().log() - cut.abs().log()
        taylor = 0.5 * x + x ** 2 / 24.0 - x ** 4 / 2880.0
        return log_norm.where(stable, taylor)
