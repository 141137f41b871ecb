"""Loss functions that are short compositions of existing ops, their gradients following
from those ops: mse/l1/smooth_l1/huber, kl_div, poisson/gaussian nll, the margin and embedding
losses, triplet losses. The argument checks and `reduction` handling they share are in loss.py
(with the four fused losses); ops/distance.py has the distances some of them use.
"""
import math
import warnings

from .. import _dtype
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..autograd.node import Op
from ..creation import full_like
from ..tensor import Tensor, _make
from ._inplace import _type_word
from .activation_smooth import logsigmoid
from .binary_math import xlogy
from .compare import minimum
from .distance import pairwise_distance
from .gather import gather
from ._loss_args import (_REDUCTIONS, _check_broadcast, _check_out_shape, _no_grad_weight,
                         _reduce, _reduction)
from .mask import where
from .view import broadcast_tensors


# ---- pointwise regression losses (compositions) ----------------------------------------------
def _difference(input, target, kernel):
    """input - target of a pointwise loss, in torch's dtype rules: the operands promote to
    their result type, whose kernel must be floating (huber's writes into an input-dtype
    result, so the result type must also cast to it). torch warns when the shapes differ (and
    then broadcasts: a (N, 1) input against an (N,) target gives an (N, N) loss)."""
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)
        _check_broadcast(input, target)
    # torch broadcasts the operands first, so a 0-d one promotes like a dimensioned one
    rt = _dtype.promote_types(input.dtype, target.dtype)
    if kernel == "huber_cpu" and not _dtype.can_cast(rt, input.dtype):
        raise RuntimeError(f"result type {rt.cpp_name} can't be cast to the desired output "
                           f"type {input.dtype.cpp_name}")
    if not rt.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{rt.cpp_name}\'')
    d = input.to(rt) - target.to(rt)
    return d.to(input.dtype) if kernel == "huber_cpu" else d


def _weighted(loss, weight, input, reduction, mean_by_weight):
    """torch's optional elementwise `weight` (input-shaped) of mse/l1/huber."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target)^2, reduced; `weight` (input-shaped) makes 'mean' a weighted mean."""
    d = _difference(input, target, "mse_cpu")
    reduction = _reduction(reduction, size_average, reduce)
    loss = d.square()
    if weight is not None:
        return _weighted(loss, weight, input, reduction, True)
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced; `weight` (input-shaped) makes 'mean' a weighted mean."""
    if input.shape != target.shape:
        _difference(input, input, "l1")     # only warns (below: torch's own composition)
        _check_broadcast(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    a, b = broadcast_tensors(input, target)      # torch broadcasts first, then composes:
    loss = (a - b).abs()      # bool subtraction and integer means fail as in torch
    if weight is not None:
        return _weighted(loss, weight, input, reduction, True)
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta = 0 is
    l1_loss. Its slope is 1 outside [-beta, beta], so huber_loss(delta=beta) / beta."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, size_average, reduce, reduction)
    d = _difference(input, target, "smooth_l1_cpu")
    reduction = _reduction(reduction, size_average, reduce)
    ad = d.abs()
    return _reduce(where(ad < beta, d.square() * (0.5 / beta), ad - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), d = input - target."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = _difference(input, target, "huber_cpu")
    reduction = _reduction(reduction)
    ad = d.abs()
    loss = where(ad < delta, d.square() * 0.5, (ad - 0.5 * delta) * delta)
    if weight is not None:
        return _weighted(loss, weight, input, reduction, False)  # torch: a plain mean here
    return _reduce(loss, reduction)


# ---- divergences and likelihoods -------------------------------------------------------------
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) pointwise: target (log target - input), with 0 log 0 = 0;
    `log_target` takes target as log-probabilities. 'batchmean' divides the sum by the batch
    size (the true KL divergence); 'mean' divides by the element count (torch warns)."""
    if size_average is None and reduce is None:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        red = "sum" if reduction == "batchmean" else _reduction(reduction)
    else:
        red = _reduction(reduction, size_average, reduce)
    if not (input.dtype.is_floating_point and target.dtype.is_floating_point):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    _check_broadcast(target, input)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = xlogy(target, target) - target * input
    loss = _reduce(loss, red)
    if reduction == "batchmean" and input.ndim != 0:
        loss = loss / input.shape[0]
    return loss


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(input) - target * input (log_input) or input - target * log(input + eps); `full`
    adds Stirling's term target log target - target + 0.5 log(2 pi target) where target > 1."""
    reduction = _reduction(reduction, size_average, reduce)
    _check_broadcast(target, input)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + (target * (2 * math.pi)).log() * 0.5
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi if `full`); `var` is input-
    shaped, one dim short of it, or size 1 in one dim (homoscedastic); clamped to >= eps
    without stopping its gradient (torch)."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = full_like(input, var)
    elif not isinstance(var, Tensor):
        raise TypeError(f"gaussian_nll_loss(): var must be a Tensor or a float, got "
                        f"{type(var).__name__}")
    elif (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(
                v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    _check_broadcast(input, target)
    var = var.clone()
    with no_grad():  # torch: the clamp is invisible to autograd (the gradient passes as is)
        var.clamp_(min=eps)
    loss = (var.log() + (input - target).square() / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---- margin and embedding losses --------------------------------------------------------------
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target * (input1 - input2) + margin): target 1 wants input1 ranked higher."""
    reduction = _reduction(reduction, size_average, reduce)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape} ")
    _check_broadcast(target, _check_broadcast(input1, input2))   # torch's order (its errors)
    d = input1 - input2
    return _reduce((-target * d + float(margin)).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """input where target == 1, max(0, margin - input) where target == -1 (other targets add
    both terms, as torch)."""
    reduction = _reduction(reduction, size_average, reduce)
    _check_broadcast(target, input)
    zero = _make(_xp.zeros_like(input._data))   # torch: zeros_like (input * 0 is NaN at inf)
    loss = where(target != 1, (margin - input).clamp_min(0), zero) + \
        where(target != -1, input, zero)
    return _reduce(loss.to(input.dtype), reduction)    # torch: the input's dtype


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)), the logistic loss for targets +-1."""
    reduction = _reduction(reduction, size_average, reduce)
    _check_out_shape(input.shape, target)
    _no_grad_weight(target, "soft_margin_loss", "target")
    # torch: neg(input).mul_(target).exp_().log1p_(): computed in place in the input's dtype
    z = -input
    rt = _dtype.result_type(z, target)
    if not rt.is_floating_point:
        rt = _dtype.get_default_dtype()
    if not _dtype.can_cast(rt, input.dtype):
        raise RuntimeError(f"result type {rt.cpp_name} can't be cast to the desired output "
                           f"type {input.dtype.cpp_name}")
    return _reduce((z * target).to(input.dtype).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Mean over the C classes (last dim) of the per-class logistic loss
    -(t log sigmoid(x) + (1 - t) log sigmoid(-x)), times `weight`."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    _check_broadcast(target, input)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1]
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(input1, input2) where target == 1, max(0, cos - margin) where target == -1;
    cos along dim 1 of (N, D) inputs with (N,) targets, or of (D,) inputs with a 0-d target."""
    reduction = _reduction(reduction, size_average, reduce)
    dim = target.ndim
    if dim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.ndim != dim + 1 or input2.ndim != dim + 1:
        raise RuntimeError(f"{dim}D target tensor expects {dim + 1}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}.")
    _check_broadcast(input1, input2)
    eps = 1e-12  # torch's EPSILON keeps zero vectors finite
    prod = (input1 * input2).sum(dim)
    mag = ((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)
    cos = prod / mag.sqrt()
    zero = cos * 0
    loss = where(target == 1, 1 - cos, zero) + \
        where(target == -1, (cos - margin).clamp_min(0), zero)
    return _reduce(loss, reduction)


def _margin_shape(input):
    x = input._data
    if not ((x.ndim == 2 and x.shape[1] != 0) or (x.ndim == 1 and x.shape[0] != 0)
            or x.ndim == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(x.shape)}")
    n = x.shape[0] if x.ndim == 2 else 1
    c = x.shape[-1] if x.ndim else 1
    return n, c


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: sum over j != y of w[y] max(0, margin - x[y] + x[j])^p / C for
    input (N, C) or (C,) and class indices y (N,); p is 1 or 2."""
    reduction = _reduction(reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    n, c = _margin_shape(input)
    t = target._data
    if t.ndim > 1 or t.size != n:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{n}], but got {list(t.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if t.dtype.name != "int64":
        raise RuntimeError(f"expected scalar type Long but found {_type_word(t.dtype)}")
    if weight is not None and weight._data.size != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                           f"{list(weight.shape)}")
    t = t.reshape(n)
    if ((t < 0) | (t >= c)).any():
        bad = t[(t < 0) | (t >= c)]
        raise RuntimeError(f"target out of range (multi_margin_loss: target {int(bad[0])} is "
                           f"not a class index in [0, {c}) of input shape {list(input.shape)})")
    x = input.reshape(n, c)
    xp = Op.xp
    idx = _make(t[:, None])
    z = (x - gather(x, 1, idx) + margin).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * _make(weight._data[t][:, None])
    others = xp.ones((n, c), dtype=input._data.dtype)
    xp.put_along_axis(others, t[:, None], 0, axis=1)  # the j == y term does not count
    loss = (z * _make(others)).sum(1) / c
    return _reduce(loss.reshape(target.shape), reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: sum over target classes j and non-target classes k of
    max(0, 1 - (x[j] - x[k])) / C. Each row of `target` lists class indices, ended by -1."""
    reduction = _reduction(reduction, size_average, reduce)
    n, c = _margin_shape(input)
    t = target._data
    ok = (t.ndim <= 1 and t.size == c) if input.ndim <= 1 else \
        (t.ndim == 2 and t.shape == (n, c))
    if not ok:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(input.shape)}")
    if t.dtype.name != "int64":
        raise RuntimeError(f"expected scalar type Long but found {_type_word(t.dtype)}")
    if ((t < -1) | (t >= c)).any():
        bad = t[(t < -1) | (t >= c)]
        raise RuntimeError(f"argument #2 'target' is out of range (multilabel_margin_loss: "
                           f"target {int(bad[0])} is not a class index in [0, {c}) or the end "
                           f"mark -1, input shape {list(input.shape)})")
    xp = Op.xp
    t = t.reshape(n, c)
    listed = xp.cumprod(t != -1, axis=1).astype(bool)  # the entries before the first -1
    t_safe = xp.where(listed, t, 0)
    is_target = xp.zeros((n, c), dtype=bool)
    is_target[xp.nonzero(listed)[0], t_safe[listed]] = True
    x = input.reshape(n, c)
    xt = gather(x, 1, _make(t_safe))
    pairs = (listed[:, :, None] & ~is_target[:, None, :]).astype(input._data.dtype)
    z = (1 - xt.unsqueeze(2) + x.unsqueeze(1)).clamp_min(0) * _make(pairs)
    loss = z.sum((1, 2)) / c
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction)


def _check_triplet(anchor, positive, negative):
    if anchor.ndim == positive.ndim == negative.ndim:    # (else the message below)
        _check_broadcast(anchor, positive)
        _check_broadcast(anchor, negative)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)), d the p-norm pairwise distance; `swap` uses
    min(d(a, n), d(p, n)) (Balntas et al., 2016)."""
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet(anchor, positive, negative)
    return triplet_margin_with_distance_loss(
        anchor, positive, negative, margin=margin, swap=swap, reduction=reduction,
        distance_function=lambda x1, x2: pairwise_distance(x1, x2, p, eps))


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """triplet_margin_loss with any distance_function(x1, x2) (pairwise_distance if None)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {p}D, "
                           f"and negative {n}D inputs")
    if distance_function is None:     # (a custom distance may take any shapes)
        _check_triplet(anchor, positive, negative)
        distance_function = pairwise_distance
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, distance_function(positive, negative))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)
