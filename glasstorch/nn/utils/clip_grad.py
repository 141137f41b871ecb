"""Gradient clipping (torch.nn.utils.clip_grad_norm_ & co): rescale or clamp `.grad` in place
between backward() and optimizer.step(), the usual guard against exploding gradients (RNNs)."""
import types
import warnings

from ...autograd.grad_mode import no_grad
from ...creation import tensor as _tensor
from ...ops.join import stack as _stack
from ...ops.reduce import norm as _norm
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm_type-norm of all `tensors` together, as if concatenated into one vector
    (computed as the norm of their norms). 'inf' gives the largest absolute value.

    Raises RuntimeError when the result is nan/inf and error_if_nonfinite.
    """
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _tensor(0.0)
    with no_grad():
        norms = [_norm(g, norm_type) for g in tensors]
        # torch stacks per-dtype norms after casting them to the first norm's... device only,
        # so mixed dtypes promote in stack; with one dtype the result keeps it (float32 stays)
        total = _norm(_stack(norms), norm_type)
    if error_if_nonfinite and (total.isnan() | total.isinf()).item():
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every `.grad` by min(max_norm / (total_norm + 1e-6), 1), in place."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    with no_grad():
        # torch: the factor is a tensor in total_norm's dtype, applied even when it is 1
        coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Rescale the gradients of `parameters` so their total norm_type-norm (all grads as one
    vector) is at most max_norm: grad *= min(max_norm / (total + 1e-6), 1). In place.

    Returns the total norm before clipping (a 0-d tensor).

    Example::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.ones(4))
        >>> w.grad = torch.full((4,), 3.0)
        >>> torch.nn.utils.clip_grad_norm_([w], max_norm=1.0)
        tensor(6.)
        >>> w.grad
        tensor([0.5000, 0.5000, 0.5000, 0.5000])
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will "
                          "occur.", stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated spelling of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every `.grad` of `parameters` to [-clip_value, clip_value], in place."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    with no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
