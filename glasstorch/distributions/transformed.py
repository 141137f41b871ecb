"""TransformedDistribution and the families torch builds on it: a base distribution pushed
through Transforms (transforms.py), with the change-of-variables density

    log p_Y(y) = log p_X(x) - sum_t log |det dt/dx|,   x = t.inv(y) step by step backwards.

Here: LogNormal (exp of a Normal), LogisticNormal (StickBreaking of a Normal), HalfNormal and
HalfCauchy (|Normal|, |Cauchy|), Gumbel (-log(-log U)); transformed_power.py: Weibull, Pareto,
Kumaraswamy, InverseGamma. rsample is the base's rsample pushed through, so it
differentiates; closed forms replace the generic log_prob/cdf where torch has them.
"""
import math

from ..autograd.grad_mode import no_grad
from ..creation import full_like, zeros_like
from ..tensor import Size
from . import constraints
from .continuous import Cauchy, Normal, Uniform
from .discrete import Independent
from .distribution import Distribution, broadcast_all
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform,
                         StickBreakingTransform, Transform, _sum_rightmost)

__all__ = ["TransformedDistribution", "LogNormal", "LogisticNormal", "HalfNormal",
           "HalfCauchy", "Gumbel"]

_EULER = 0.5772156649015329


class TransformedDistribution(Distribution):
    """`base_distribution` pushed through `transforms` (one Transform or a list, applied in
    order). Batch and event shapes follow the transforms' forward_shape and event dims."""
    arg_constraints = {}
    _expand_skip = ("base_dist",)

    def __init__(self, base_distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            transforms = [transforms]
        if not isinstance(transforms, list) or \
                not all(isinstance(t, Transform) for t in transforms):
            raise ValueError(f"transforms must be a Transform or a list of Transforms, "
                             f"but was {transforms}")
        self.transforms = transforms
        base_shape = Size(tuple(base_distribution.batch_shape) +
                          tuple(base_distribution.event_shape))
        base_event_dim = len(base_distribution.event_shape)
        chain = ComposeTransform(self.transforms)
        if len(base_shape) < chain.domain.event_dim:
            raise ValueError(f"base_distribution needs to have shape with size at least "
                             f"{chain.domain.event_dim}, but got {base_shape}.")
        forward_shape = chain.forward_shape(base_shape)
        expanded = chain.inverse_shape(forward_shape)
        if tuple(base_shape) != tuple(expanded):       # transform parameters broadcast it
            base_distribution = base_distribution.expand(
                expanded[:len(expanded) - base_event_dim])
        extra = chain.domain.event_dim - base_event_dim
        if extra > 0:
            base_distribution = Independent(base_distribution, extra)
        self.base_dist = base_distribution
        event_dim = max(chain.codomain.event_dim,
                        base_event_dim + chain.codomain.event_dim - chain.domain.event_dim)
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)     # own parameters (Weibull's scale)
        shape = Size(tuple(batch_shape) + tuple(self.event_shape))
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        new.base_dist = self.base_dist.expand(shape[:len(shape) -
                                                    len(self.base_dist.event_shape)])
        return new

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        if len(self.event_shape) > support.event_dim:
            support = constraints.independent(support, len(self.event_shape) -
                                              support.event_dim)
        return support

    has_rsample = property(lambda self: self.base_dist.has_rsample)

    def sample(self, sample_shape=Size()):
        with no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape=Size()):
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        event_dim = len(self.event_shape)
        log_prob, y = 0.0, value
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            log_prob = log_prob - _sum_rightmost(t.log_abs_det_jacobian(x, y),
                                                 event_dim - t.domain.event_dim)
            y = x
        return log_prob + _sum_rightmost(self.base_dist.log_prob(y),
                                         event_dim - len(self.base_dist.event_shape))

    def _monotonize_cdf(self, value):
        """A decreasing chain flips the CDF: F_Y(y) = 1 - F_X(x)."""
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value):
        for t in self.transforms[::-1]:
            value = t.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value):
        value = self.base_dist.icdf(self._monotonize_cdf(value))
        for t in self.transforms:
            value = t(value)
        return value


class LogNormal(TransformedDistribution):
    """exp(X), X ~ Normal(loc, scale)."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        super().__init__(Normal(loc, scale, validate_args=validate_args), ExpTransform(),
                         validate_args=validate_args)

    loc = property(lambda self: self.base_dist.loc)
    scale = property(lambda self: self.base_dist.scale)
    mean = property(lambda self: (self.loc + self.scale ** 2 / 2).exp())
    mode = property(lambda self: (self.loc - self.scale ** 2).exp())
    variance = property(lambda self: ((self.scale ** 2).exp() - 1) *
                        (2 * self.loc + self.scale ** 2).exp())

    def entropy(self):
        return self.base_dist.entropy() + self.loc


class LogisticNormal(TransformedDistribution):
    """StickBreakingTransform of Normal(loc, scale): a distribution on the simplex of one
    more dim than loc."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand([1])
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    loc = property(lambda self: self.base_dist.base_dist.loc)
    scale = property(lambda self: self.base_dist.base_dist.scale)


# |X| for a base symmetric about 0 (HalfCauchy, HalfNormal): twice the density on x >= 0,
# cdf 2 F(x) - 1, entropy lower by log 2. Plain functions, so both classes keep torch's bases.
def _half_log_prob(self, value):
    if self._validate_args:
        self._validate_sample(value)
    return (self.base_dist.log_prob(value) + math.log(2)).masked_fill(value < 0, -math.inf)


def _half_cdf(self, value):
    if self._validate_args:
        self._validate_sample(value)
    return 2 * self.base_dist.cdf(value) - 1


def _half_icdf(self, prob):
    return self.base_dist.icdf((prob + 1) / 2)


def _half_entropy(self):
    return self.base_dist.entropy() - math.log(2)


class HalfCauchy(TransformedDistribution):
    """|X| for X ~ Cauchy(0, scale)."""
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        super().__init__(Cauchy(0, scale, validate_args=False), AbsTransform(),
                         validate_args=validate_args)

    scale = property(lambda self: self.base_dist.scale)
    mean = property(lambda self: full_like(self.scale, math.inf).expand(
        *self._extended_shape()))
    mode = property(lambda self: zeros_like(self.scale))
    variance = property(lambda self: self.base_dist.variance)

    log_prob, cdf, icdf, entropy = (_half_log_prob, _half_cdf, _half_icdf, _half_entropy)


class HalfNormal(TransformedDistribution):
    """|X| for X ~ Normal(0, scale)."""
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        super().__init__(Normal(0, scale, validate_args=False), AbsTransform(),
                         validate_args=validate_args)

    scale = property(lambda self: self.base_dist.scale)
    mean = property(lambda self: self.scale * math.sqrt(2 / math.pi))
    mode = property(lambda self: zeros_like(self.scale))
    variance = property(lambda self: self.scale ** 2 * (1 - 2 / math.pi))

    log_prob, cdf, icdf, entropy = (_half_log_prob, _half_cdf, _half_icdf, _half_entropy)


class Gumbel(TransformedDistribution):
    """loc - scale log(-log U), U ~ Uniform(tiny, 1 - eps): density
    exp(-(z + e^-z)) / scale, z = (x - loc) / scale."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args=None):
        from .._runtime import finfo
        self.loc, self.scale = broadcast_all(loc, scale)
        fi = finfo(self.loc.dtype)
        base = Uniform(full_like(self.loc, fi.tiny), full_like(self.loc, 1 - fi.eps),
                       validate_args=validate_args)
        super().__init__(base, [ExpTransform().inv, AffineTransform(loc=0, scale=-1.0),
                                ExpTransform().inv,
                                AffineTransform(loc=self.loc, scale=-self.scale)],
                         validate_args=validate_args)

    mean = property(lambda self: self.loc + self.scale * _EULER)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: (math.pi / math.sqrt(6)) * self.scale)
    variance = property(lambda self: self.stddev ** 2)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -(self.scale.log() + z + (-z).exp())

    def entropy(self):
        return self.scale.log() + 1 + _EULER
