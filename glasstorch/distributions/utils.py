"""torch.distributions.utils: the parameter helpers distribution code imports
(broadcast_all, probs <-> logits, clamp_probs, lazy_property, the lower-triangle packing of
CorrCholeskyTransform)."""
from .distribution import broadcast_all
from .transforms import _sum_rightmost  # noqa: F401  (torch keeps it here too)
from .transforms_vector import _tril_to_vec, _vec_to_tril

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits",
           "lazy_property", "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.5772156649015329


def logits_to_probs(logits, is_binary=False):
    """sigmoid(logits) (binary) or softmax over the last dim."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def clamp_probs(probs):
    """probs kept in [eps, 1 - eps] so their logs stay finite."""
    from .._runtime import finfo
    eps = finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


class lazy_property:
    """A property computed on first access, then stored on the instance (grad mode on, as
    torch: a lazily derived parameter stays differentiable)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        from ..autograd.grad_mode import enable_grad
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _check_diag(n, diag):
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")


def tril_matrix_to_vec(mat, diag=0):
    """The entries on and below diagonal `diag`, row by row."""
    _check_diag(mat.shape[-1], diag)
    return _tril_to_vec(mat, diag)


def vec_to_tril_matrix(vec, diag=0):
    """Inverse of tril_matrix_to_vec: a square matrix with zeros above diagonal `diag`."""
    from .._runtime import finfo
    k = 1 + 2 * diag
    n = (-k + (k ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if abs(round(n) - n) > finfo(vec.dtype).eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be "
                         "expressed as the lower triangular part of a square D x D matrix.")
    return _vec_to_tril(vec, round(n), diag)
