"""The Distribution base class and parameter helpers (torch.distributions.Distribution).

A distribution holds tensors of parameters; `batch_shape` is their broadcast shape,
`event_shape` the shape of one draw (() for scalar distributions, (k,) for a k-dim
MultivariateNormal). `rsample` is differentiable in the parameters (reparameterized: a
function of the parameters and parameter-free noise), `sample` is `rsample` without grad
(or a discrete draw). Parameters are checked on construction (torch's validate_args default):
a bad one raises ValueError naming it.
"""
import math

from .. import creation as _creation
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor, Size

__all__ = ["Distribution", "broadcast_all"]


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
    arg_constraints = {}
    _validate_default = True

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        self._validate_args = self._validate_default if validate_args is None else validate_args

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

    def _check(self, name, ok, what):
        """Raise torch's ValueError for a parameter outside its support."""
        if self._validate_args and not bool(ok.all()):
            raise ValueError(f"Expected parameter {name} of {type(self).__name__} to satisfy "
                             f"the constraint {what}, but found invalid values")

    def sample(self, sample_shape=Size()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        raise NotImplementedError(f"{type(self).__name__} has no rsample (not reparameterizable)")

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
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def __repr__(self):
        params = ", ".join(f"{k}: {tuple(getattr(self, k).shape) if isinstance(getattr(self, k), Tensor) else getattr(self, k)}"  # noqa: E501
                           for k in self.arg_constraints if k in self.__dict__)
        return f"{type(self).__name__}({params})"


LOG_2PI = math.log(2 * math.pi)
