"""What every loss shares: torch's `reduction` argument (with the legacy size_average/reduce
flags and their warning), the reductions on Tensors and on arrays, and argument checks (float
input, constant weights, operands that may only broadcast to the input's shape). loss.py,
loss_binary.py and loss_composed.py import these; nn/modules/loss.py reads `_reduction`.
"""
import warnings

from ..autograd.grad_mode import STATE
from ..tensor import _caller_op
from ._inplace import _type_word

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction, size_average=None, reduce=None):
    """torch's reduction string; the deprecated size_average/reduce flags override it."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", stacklevel=3)
    elif reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=3)
        reduction = "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_float(input, kernel):
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_type_word(input._data.dtype)}'")


def _no_grad_weight(weight, fn, arg="weight"):
    # torch: class weights of nll/bce are constants; a weight requiring grad is an error
    if weight is not None and weight.requires_grad and STATE.enabled:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to "
                           f"argument '{arg}'. This input cannot have requires_grad True.")


def _check_out_shape(shape, *others):
    """torch's losses write into an input-shaped result: operands may broadcast to it only."""
    full = shape
    for o in others:
        if o is not None:
            full = _broadcast(full, o.shape)
    if full != shape:
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                           f"{list(full)}")


def _check_broadcast(a, b):
    """Operands of a pointwise loss whose shapes differ must broadcast: torch's error, here
    naming the loss and both shapes (not the sub or mul inside it). a, b: tensors or shapes,
    in torch's order. Returns the broadcast shape."""
    a, b = getattr(a, "shape", a), getattr(b, "shape", b)
    return a if a == b else _broadcast(a, b)


def _broadcast(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i} ({_caller_op()}: shapes "
                               f"{list(a)}, {list(b)})")
        out.append(y if x == 1 else x)
    return tuple(out)


def _reduce_array(xp, loss, reduction, denom):
    """'none' | 'sum' | 'mean' (sum / denom: torch's weighted mean; 0/0 = nan as torch)."""
    if reduction == "none":
        return loss
    total = xp.add.reduce(loss, axis=None)   # loss.sum() without its Python frame
    if reduction == "sum":
        return total
    if denom == 0:
        with xp.errstate(invalid="ignore", divide="ignore"):
            return total / denom
    return total / denom
