"""Discrete distributions: Bernoulli, Categorical, OneHotCategorical, Geometric; and
Independent (reinterprets batch dims as event dims). Given `probs` or `logits` (exactly one),
both are available: logits = log(p) normalized (Categorical) or log(p / (1 - p)) (Bernoulli);
as in torch the one not given is derived on first use (a lazy_property).
"""
from .. import random as _random
from ..creation import full as _full
from ..nn import functional as _F
from ..tensor import Size
from . import constraints
from .distribution import Distribution, ExponentialFamily, broadcast_all
from .utils import lazy_property

__all__ = ["Bernoulli", "Categorical", "OneHotCategorical", "Geometric", "Independent"]


def _one_of(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def _enumerate(d, n, expand):
    """The values 0 .. n-1 shaped (n, 1, ..., 1), or expanded to (n, *batch_shape)."""
    from ..creation import arange
    values = arange(n, dtype=d.probs.dtype).reshape(-1, *(1,) * len(d.batch_shape))
    return values.expand(-1, *d.batch_shape) if expand else values


def _clamp_probs(p):
    from .._runtime import finfo
    eps = finfo(p.dtype).eps
    return p.clamp(min=eps, max=1 - eps)


class _BinaryParams:
    """For distributions given `probs` or `logits` of a binary event (Bernoulli, Binomial,
    Geometric, ...): the given one is stored (and `_param` points at it), the other is derived
    on first use, as torch's lazy_property does; logits come from clamped probs, so they stay
    finite at 0 and 1."""

    @lazy_property
    def logits(self):
        p = _clamp_probs(self.probs)
        return p.log() - (-p).log1p()

    @lazy_property
    def probs(self):
        return self.logits.sigmoid()

    param_shape = property(lambda self: self._param.shape)


class Bernoulli(_BinaryParams, ExponentialFamily):
    _mean_carrier_measure = 0
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            self._param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            self._param = self.logits
        super().__init__(self._param.shape, validate_args=validate_args)

    mean = property(lambda self: self.probs)
    mode = property(lambda self: (self.probs >= 0.5).to(self.probs.dtype))
    variance = property(lambda self: self.probs * (1 - self.probs))

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return _random.bernoulli(self.probs.detach().expand(*shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return _F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        return _enumerate(self, 2, expand)

    _natural_params = property(lambda self: (self.probs.log() - (-self.probs).log1p(),))

    def _log_normalizer(self, x):
        return x.exp().log1p()


class Categorical(Distribution):
    """Over {0, ..., K-1} along the last dim of probs/logits."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True
    support = constraints.dependent_property(
        lambda self: constraints.integer_interval(0, self._num_events - 1), is_discrete=True,
        event_dim=0)

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self._check_early(probs >= 0, validate_args)
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)

    @lazy_property
    def logits(self):
        return _clamp_probs(self.probs).log()

    @lazy_property
    def probs(self):
        return self.logits.softmax(-1)

    def _check_early(self, ok, validate_args):
        if (self._validate_default if validate_args is None else validate_args) and \
                not bool(ok.all()):
            raise ValueError(f"Expected parameter probs of {type(self).__name__} to satisfy "
                             "the constraint Simplex(), but found invalid values")

    param_shape = property(lambda self: self._param.shape)
    # undefined: nan, a constant with no graph (torch.full, as torch's Categorical)
    mean = variance = property(lambda self: _full(self._extended_shape(), float("nan"),
                                                  dtype=self.probs.dtype))
    mode = property(lambda self: self.probs.argmax(-1))

    def sample(self, sample_shape=Size()):
        n = 1
        for s in sample_shape:
            n *= s
        p2 = self.probs.detach().reshape(-1, self._num_events)
        draws = _random.multinomial(p2, n, replacement=True).T   # (n, batch)
        return draws.reshape(*sample_shape, *self._batch_shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        from ..ops.view import broadcast_tensors
        value, logits = broadcast_tensors(value, self.logits)
        return logits.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        from .._runtime import finfo
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        from ..creation import arange
        values = arange(self._num_events).reshape(-1, *(1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values


class OneHotCategorical(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args)
        super().__init__(self._categorical.batch_shape,
                         self._categorical.param_shape[-1:], validate_args)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    param_shape = property(lambda self: self._categorical.param_shape)

    mean = property(lambda self: self.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))
    mode = property(lambda self: _F.one_hot(self.probs.argmax(-1), self.probs.shape[-1])
                    .to(self.probs.dtype))

    def sample(self, sample_shape=Size()):
        idx = self._categorical.sample(sample_shape)
        return _F.one_hot(idx, self.probs.shape[-1]).to(self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    has_enumerate_support = True

    def enumerate_support(self, expand=True):
        from ..creation import eye
        n = self._event_shape[0]
        values = eye(n, dtype=self.probs.dtype).reshape(n, *(1,) * len(self._batch_shape), n)
        return values.expand(n, *self._batch_shape, n) if expand else values


class Geometric(_BinaryParams, Distribution):
    """Number of failures before the first success."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.shape, validate_args=validate_args)
        # torch: beyond unit_interval, a success probability of 0 never ends
        if self._validate_args and probs is not None and not bool((self.probs > 0).all()):
            raise ValueError(f"Expected parameter probs ({type(self.probs).__name__} of shape "
                             f"{tuple(self.probs.shape)}) of distribution {self!r} to be "
                             f"positive but found invalid values:\n{self.probs}")

    mean = property(lambda self: 1 / self.probs - 1)
    variance = property(lambda self: (1 / self.probs - 1) / self.probs)
    mode = property(lambda self: self.probs * 0)

    def sample(self, sample_shape=Size()):
        from .._runtime import finfo
        u = _random.rand(*self._extended_shape(sample_shape), dtype=self.probs.dtype)
        u = u.clamp(min=finfo(self.probs.dtype).tiny)
        return (u.log() / (-self.probs.detach()).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        p = _clamp_probs(self.probs)
        return value * (-p).log1p() + self.probs.log()

    def entropy(self):
        p = _clamp_probs(self.probs)
        return -((1 - p) * (1 - p).log() + p * p.log()) / p


class Independent(Distribution):
    """Treat the last `reinterpreted_batch_ndims` batch dims of `base_distribution` as event
    dims: log_prob and entropy sum over them."""

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        n = reinterpreted_batch_ndims
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        if n > len(base_distribution.batch_shape):
            raise ValueError("Expected reinterpreted_batch_ndims <= len(base_distribution."
                             f"batch_shape), actual {n} vs {len(base_distribution.batch_shape)}")
        split = len(base_distribution.batch_shape) - n
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, n
        self.has_rsample = base_distribution.has_rsample
        super().__init__(shape[:split], shape[split:], validate_args)

    arg_constraints = {}
    mean = property(lambda self: self.base_dist.mean)
    mode = property(lambda self: self.base_dist.mode)
    variance = property(lambda self: self.base_dist.variance)
    has_enumerate_support = property(lambda self: self.reinterpreted_batch_ndims == 0 and
                                     self.base_dist.has_enumerate_support)

    @constraints.dependent_property
    def support(self):
        s = self.base_dist.support
        n = self.reinterpreted_batch_ndims
        return constraints.independent(s, n) if n else s

    def _sum(self, x):
        n = self.reinterpreted_batch_ndims
        return x.sum(tuple(range(-n, 0))) if n else x

    def sample(self, sample_shape=Size()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=Size()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._sum(self.base_dist.log_prob(value))

    def entropy(self):
        return self._sum(self.base_dist.entropy())

    def enumerate_support(self, expand=True):
        if self.reinterpreted_batch_ndims > 0:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def expand(self, batch_shape, _instance=None):
        new = object.__new__(type(self)) if _instance is None else _instance
        new.__dict__.update(self.__dict__)
        batch_shape = Size(batch_shape)
        extra = tuple(self._event_shape[:self.reinterpreted_batch_ndims])
        new.base_dist = self.base_dist.expand(tuple(batch_shape) + extra)
        new._batch_shape = batch_shape
        return new





class OneHotCategoricalStraightThrough(OneHotCategorical):
    """OneHotCategorical whose rsample is the one-hot draw in the forward pass and carries
    the gradient of `probs` backwards (straight-through estimator, Bengio et al. 2013):
    y + (p - p.detach())."""
    has_rsample = True

    def rsample(self, sample_shape=Size()):
        y = self.sample(sample_shape)
        p = self.probs
        return y + (p - p.detach())
