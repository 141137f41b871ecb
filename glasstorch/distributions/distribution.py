"""The Distribution base class and parameter helpers (torch.distributions.Distribution).

A distribution holds tensors of parameters; `batch_shape` is their broadcast shape,
`event_shape` the shape of one draw (() for scalar distributions, (k,) for a k-dim
MultivariateNormal). `rsample` is differentiable in the parameters (reparameterized: a
function of the parameters and parameter-free noise), `sample` is `rsample` without grad
(or a discrete draw). With validate_args (torch's default: on), every parameter is checked
against its `arg_constraints` entry on construction and every value given to log_prob against
`support`: a bad one raises ValueError naming it. ExponentialFamily adds the entropy of
exponential families from their log-normalizer (by autograd).
"""
import math
import warnings

from .. import creation as _creation
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor, Size

__all__ = ["Distribution", "ExponentialFamily", "broadcast_all"]


def broadcast_all(*values):
    """Numbers and tensors -> tensors of one broadcast shape (numbers take the default float
    dtype, or the dtype of the tensors among the values)."""
    from ..ops.view import broadcast_tensors
    ref = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = ref.dtype if ref is not None and ref.dtype.is_floating_point else None
    tensors = [v if isinstance(v, Tensor) else _creation.tensor(float(v), dtype=dtype)
               for v in values]
    return broadcast_tensors(*tensors)


class Distribution:
    has_rsample = False
    has_enumerate_support = False
    _validate_default = True
    _lazy_params = ()
    _expand_also = ()           # tensors besides arg_constraints' that expand() broadcasts
    _expand_skip = ()           # inner distributions a subclass's expand() handles itself

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        from . import constraints
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        self._validate_args = self._validate_default if validate_args is None else validate_args
        if not self._validate_args:
            return
        try:
            arg_constraints = self.arg_constraints
        except NotImplementedError:
            arg_constraints = {}
            warnings.warn(f"{type(self)} does not define `arg_constraints`. Please set "
                          "`arg_constraints = {}` or initialize the distribution with "
                          "`validate_args=False` to turn off validation.", stacklevel=2)
        for param, constraint in arg_constraints.items():
            # skipped: parameters not given (logits when probs was) and ones derived lazily
            # (MultivariateNormal's covariance_matrix from scale_tril); properties delegating
            # to a base distribution (HalfCauchy.scale) are checked
            if constraints.is_dependent(constraint) or param in self._lazy_params:
                continue
            if param in self.__dict__:
                value = self.__dict__[param]
            elif isinstance(getattr(type(self), param, None), property):
                value = getattr(self, param)
            else:
                continue
            if not bool(constraint.check(value).all()):
                raise ValueError(
                    f"Expected parameter {param} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                    f"constraint {constraint!r}, but found invalid values:\n{value}")

    @staticmethod
    def set_default_validate_args(value):
        Distribution._validate_default = bool(value)

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=Size()):
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value):
        """Raise ValueError unless `value` broadcasts with batch_shape + event_shape and lies
        in the support (called by log_prob when validate_args is on)."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim = len(self._event_shape)
        shape = tuple(value.shape)
        if shape[len(shape) - event_dim:] != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{shape} vs {tuple(self._event_shape)}.")
        actual, expected = shape[:len(shape) - event_dim], tuple(self._batch_shape)
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{shape} vs {tuple(self._batch_shape + self._event_shape)}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{type(self)} does not define `support` to enable sample "
                          "validation. Please initialize the distribution with "
                          "`validate_args=False` to turn off validation.", stacklevel=2)
            return
        if not bool(support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                             f"{shape}) to be within the support ({support!r}) of the "
                             f"distribution {self!r}, but found invalid values:\n{value}")

    def _get_checked_instance(self, cls, _instance=None):
        """The object a subclass's expand() fills in (torch's helper for user classes)."""
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {type(self).__name__} of {cls.__name__} that "
                                      "defines a custom __init__ method must also define a "
                                      "custom .expand() method.")
        return object.__new__(type(self)) if _instance is None else _instance

    @property
    def arg_constraints(self):
        """{parameter name: constraint}; subclasses set it (a user class that does not gets
        a warning when validating, as in torch)."""
        raise NotImplementedError

    @property
    def support(self):
        raise NotImplementedError

    def _arg_names(self):
        try:
            return list(self.arg_constraints)
        except NotImplementedError:
            return []

    def sample(self, sample_shape=Size()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        raise NotImplementedError(f"{type(self).__name__} has no rsample (not reparameterizable)")

    def expand(self, batch_shape, _instance=None):
        """The same distribution with batch_shape broadcast up to `batch_shape` (views, no
        copies): parameters expand, and so do inner distributions (a Multinomial's
        Categorical) keeping their extra trailing batch dims."""
        new = object.__new__(type(self)) if _instance is None else _instance
        new.__dict__.update(self.__dict__)
        batch_shape, old = Size(batch_shape), len(self._batch_shape)
        given = [n for n in ("probs", "logits") if "_param" in self.__dict__ and
                 self.__dict__["_param"] is self.__dict__.get(n)]
        for name, value in self.__dict__.items():
            if isinstance(value, Tensor) and (name in self._arg_names() or
                                              name in self._expand_also):
                new.__dict__[name] = value.expand(*batch_shape, *value.shape[old:])
            elif isinstance(value, Distribution) and name not in self._expand_skip:
                extra = tuple(value.batch_shape[old:]) if \
                    len(value.batch_shape) >= old else ()
                new.__dict__[name] = value.expand(tuple(batch_shape) + extra)
        if given:                                  # the parameter the user gave
            new.__dict__["_param"] = new.__dict__[given[0]]
        new._batch_shape = batch_shape
        return new

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def sample_n(self, n):
        return self.sample(Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError

    def prob(self, value):
        return self.log_prob(value).exp()

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return self.entropy().exp()

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self)} does not implement mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self)} does not implement variance")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def __repr__(self):
        """torch's form: given parameters by name, a number when it has one element, else
        its shape."""
        def show(t):     # as torch's f-string: a 0-d tensor formats as its number
            return t.item() if t.ndim == 0 else t if t.numel() == 1 else t.shape
        args = ", ".join(f"{k}: {show(self.__dict__[k])}" for k in self._arg_names()
                         if isinstance(self.__dict__.get(k), Tensor))
        return f"{type(self).__name__}({args})"


LOG_2PI = math.log(2 * math.pi)


class ExponentialFamily(Distribution):
    """p(x) = h(x) exp(<theta, t(x)> - A(theta)). Subclasses give `_natural_params` (theta)
    and `_log_normalizer(*theta)` (A); the entropy is then the Bregman divergence of A:
    H = A(theta) - <theta, grad A(theta)> - E[log h(x)] (the last is `_mean_carrier_measure`).
    """

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        from ..autograd import grad
        result = -self._mean_carrier_measure
        params = [p.detach().requires_grad_() for p in self._natural_params]
        from ..autograd.grad_mode import enable_grad
        with enable_grad():
            lg = self._log_normalizer(*params)
            grads = grad(lg.sum(), params, create_graph=True)
        result = result + lg
        for p, g in zip(params, grads):
            result = result - p * g
        return result
