"""Binary cross entropy, fused ops with a hand-written backward (loss.py's docstring says why):
    BinaryCrossEntropy             log clamped to >= -100 as torch, so p = 0 or 1 gives 100
    BinaryCrossEntropyWithLogits   written with log_sigmoid = min(x, 0) - log1p(exp(-|x|)),
                                   which neither overflows nor cancels for |x| ~ 1e4
loss.py re-exports both functions (nn.functional's path).
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import _make
from ._inplace import _type_word
from ._loss_args import _check_out_shape, _no_grad_weight, _reduce_array, _reduction
from .activation_smooth import logsigmoid

__all__ = []


def _scale_pointwise(ctx, gy):
    # 'none': gy is input-shaped already; 'sum' / 'mean': a 0-d gy broadcasts
    return gy / ctx.denom if ctx.reduction == "mean" else gy


class BinaryCrossEntropy(Op, name="binary_cross_entropy"):
    """y = -w (t log x + (1 - t) log(1 - x)), each log clamped to >= -100;
    gx = gy w (x - t) / max(x (1 - x), 1e-12),  gt = gy w (log(1 - x) - log x)."""

    @staticmethod
    def forward(ctx, x, t, w, reduction):
        xp = ctx.xp
        if not ((x >= 0) & (x <= 1)).all():
            raise RuntimeError("all elements of input should be between 0 and 1")
        with xp.errstate(divide="ignore"):  # log(0) = -inf, clamped to -100 as torch
            loss = (t - 1) * xp.maximum(xp.log1p(-x), -100) - t * xp.maximum(xp.log(x), -100)
        if w is not None:
            loss = loss * w
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_inputs(0, 1)
            ctx.save(w=w)
            ctx.reduction, ctx.denom = reduction, loss.size
        return _reduce_array(xp, loss, reduction, loss.size)

    @staticmethod
    def backward(ctx, gy):
        x, t = ctx.saved_tensors
        g = _scale_pointwise(ctx, gy)
        if ctx.w is not None:
            g = g * _make(ctx.w)
        need = ctx.needs_input_grad
        gx = g * (x - t) / (x * (1 - x)).clamp_min(1e-12) if need[0] else None
        gt = g * ((-x).log1p() - x.log()) if need[1] else None
        return gx, gt, None, None


class BinaryCrossEntropyWithLogits(Op, name="binary_cross_entropy_with_logits"):
    """y = w ((1 - t) x - l log_sigmoid(x)), l = 1 + (pos_weight - 1) t;
    gx = gy w (sigmoid(x) l - pos_weight t),  gt = -gy w (x + (pos_weight - 1) log_sigmoid(x))."""

    @staticmethod
    def forward(ctx, x, t, w, pos_weight, reduction, rounds=None):
        xp = ctx.xp
        # rounds = (input's, target's dtype) when they differ (x, t come in the promoted one):
        # torch's composition rounds log_sigmoid to the input's dtype and each in-place step
        # of loss = (1 - t).mul_(x).sub_(log_sig).mul_(w) to the target's
        a, b = rounds or (x.dtype, x.dtype)
        log_sig = (xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))).astype(a, copy=False)
        if pos_weight is not None:
            log_sig = (log_sig * ((pos_weight - 1) * t + 1)).astype(a, copy=False)
        loss = ((1 - t).astype(b, copy=False) * x).astype(b, copy=False)
        loss = (loss - log_sig).astype(b, copy=False)
        if w is not None:
            loss = (loss * w).astype(b, copy=False)
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_inputs(0, 1)
            ctx.save(w=w, pos_weight=pos_weight)
            ctx.reduction, ctx.denom = reduction, loss.size
        return _reduce_array(xp, loss, reduction, loss.size).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, gy):
        x, t = ctx.saved_tensors
        g = _scale_pointwise(ctx, gy)
        if ctx.w is not None:
            g = g * _make(ctx.w)
        need = ctx.needs_input_grad
        pw = None if ctx.pos_weight is None else _make(ctx.pos_weight)
        gx = gt = None
        if need[0]:
            if pw is None:
                gx = (x.sigmoid() - t) * g
            else:
                tp = pw * t
                gx = ((tp + 1 - t) * x.sigmoid() - tp) * g
        if need[1]:
            gt = -x * g if pw is None else -(x + (pw - 1) * logsigmoid(x)) * g
        return gx, gt, None, None, None, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-weight * (target log(input) + (1 - target) log(1 - input)) for probabilities `input`;
    each log is clamped to >= -100 (torch), so a confident wrong answer costs 100, not inf."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    dt = input._data.dtype
    if target._data.dtype != dt:
        raise RuntimeError(f"Found dtype {_type_word(target._data.dtype)} but expected "
                           f"{_type_word(dt)}")
    if dt.kind != "f":
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for "
                                  f"'{_type_word(dt)}'")
    _check_out_shape(input.shape, weight)
    _no_grad_weight(weight, "binary_cross_entropy")
    weight = _as_input_dtype(weight, input)
    t = target._data
    if t.size and not bool(((t >= 0) & (t <= 1)).all()):      # NaN fails too (torch)
        raise RuntimeError("all elements of target should be between 0 and 1 "
                           f"(binary_cross_entropy: target shape {list(t.shape)}, min "
                           f"{t.min():g}, max {t.max():g})")
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target) computed from the logits `input` without
    overflow or log(0); `pos_weight` (broadcast over the last dim: one per class) scales
    the positive term, `weight` the whole loss."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    if input._data.dtype.kind != "f":       # torch's log_sigmoid(input) runs first
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for "
                                  f"'{_type_word(input._data.dtype)}'")
    if target._data.dtype.kind == "b":       # then (1 - target)
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if target._data.dtype.kind != "f":
        raise RuntimeError(f"result type {_type_word(input._data.dtype)} can't be cast to the "
                           f"desired output type {_type_word(target._data.dtype)}")
    _check_out_shape(input.shape, weight, pos_weight)
    _no_grad_weight(weight, "binary_cross_entropy_with_logits")
    _no_grad_weight(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    a, b = input._data.dtype, target._data.dtype
    if a != b and a.kind == "f":
        # torch computes in the promoted dtype and returns the target's dtype
        rt = _dtype.from_numpy_dtype(_xp.promote_types(a, b))
        x = input.to(rt)
        loss = BinaryCrossEntropyWithLogits.apply(x, target.to(rt), _as_input_dtype(weight, x),
                                                  _as_input_dtype(pos_weight, x), reduction,
                                                  rounds=(a, b))
        return loss.to(_dtype.from_numpy_dtype(b))
    # torch multiplies the weights into the loss in place: they take the input's dtype
    return BinaryCrossEntropyWithLogits.apply(input, target, _as_input_dtype(weight, input),
                                              _as_input_dtype(pos_weight, input), reduction)


def _as_input_dtype(w, input):
    """A weight tensor in the input's dtype (torch scales the loss by it in place, so an int64
    or float64 weight never promotes a float32 loss)."""
    if w is None or w._data.dtype == input._data.dtype:
        return w
    return w.to(_dtype.from_numpy_dtype(input._data.dtype))
