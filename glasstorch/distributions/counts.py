"""Count distributions: Multinomial (counts of total_count Categorical draws over K classes)
and NegativeBinomial (torch's convention: the number of successes, each with probability
probs, before total_count failures). Both take `probs` or `logits`; log_prob is in lgamma
terms, so it differentiates in the parameters.
"""
import math

from ..autograd.grad_mode import no_grad
from ..nn import functional as _F
from ..ops.gamma import lgamma
from ..tensor import Size
from . import constraints
from .discrete import Categorical, _BinaryParams, _one_of
from .distribution import Distribution, broadcast_all
from .gamma_family import Binomial, Gamma

__all__ = ["Multinomial", "NegativeBinomial"]


class Multinomial(Distribution):
    """P(x) = n! / prod x_k! prod p_k^x_k over count vectors x summing to n = total_count."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs,
                                  validate_args=False)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    mean = property(lambda self: self.probs * self.total_count)
    variance = property(lambda self: self.total_count * self.probs * (1 - self.probs))
    logits = property(lambda self: self._categorical.logits)
    probs = property(lambda self: self._categorical.probs)
    param_shape = property(lambda self: self._categorical.param_shape)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    def sample(self, sample_shape=Size()):
        with no_grad():
            draws = self._categorical.sample(Size((self.total_count,) + tuple(sample_shape)))
            K = self._categorical._num_events
            return _F.one_hot(draws, K).sum(0).to(self.probs.dtype)

    def entropy(self):
        """n H(Categorical) - log n! + sum_k E[log x_k!], x_k ~ Binomial(n, p_k) summed over
        its support (torch's formula)."""
        from ..creation import arange
        n = self.total_count
        term1 = n * self._categorical.entropy() - math.lgamma(n + 1)
        support = arange(1, n + 1, dtype=self.probs.dtype).reshape(
            -1, *(1,) * len(self._binomial.batch_shape))
        weights = self._binomial.log_prob(support).exp() * lgamma(support + 1)
        return term1 + weights.sum((0, -1))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        logits = logits.masked_fill((value == 0) & (logits == -math.inf), 0)
        return lgamma(value.sum(-1) + 1) - lgamma(value + 1).sum(-1) + (logits * value).sum(-1)


class NegativeBinomial(_BinaryParams, Distribution):
    """P(k) = C(k + r - 1, k) p^k (1 - p)^r, r = total_count > 0 (need not be an integer)."""
    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self._param = self.probs
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self._param = self.logits
        self.total_count = self.total_count.to(self._param.dtype)
        super().__init__(self._param.shape, validate_args=validate_args)

    mean = property(lambda self: self.total_count * self.logits.exp())
    mode = property(lambda self: ((self.total_count - 1) * self.logits.exp()).floor()
                    .clamp(min=0.0))
    variance = property(lambda self: self.mean / (-self.logits).sigmoid())

    def sample(self, sample_shape=Size()):
        """A Poisson draw whose rate is a Gamma(total_count, (1 - p) / p) draw."""
        from .. import random as _random
        with no_grad():
            gamma = Gamma(self.total_count, (-self.logits).exp(), validate_args=False)
            return _random.poisson(gamma.sample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        r = self.total_count
        unnormalized = r * _F.logsigmoid(-self.logits) + value * _F.logsigmoid(self.logits)
        normalization = -lgamma(r + value) + lgamma(1.0 + value) + lgamma(r)
        # r + k == 0 (both zero): the empty product, probability 1
        normalization = normalization.masked_fill(r + value == 0.0, 0.0)
        return unnormalized - normalization
