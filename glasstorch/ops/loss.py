"""Loss functions (nn.functional.cross_entropy, ...), each with torch's `reduction`
('none' | 'mean' | 'sum'; the legacy size_average/reduce flags still work, with torch's warning).

Four losses are fused ops with a hand-written backward, because numerics or speed demand it
(the two binary ones live in loss_binary.py and are re-exported here):
    CrossEntropy       log_softmax + nll in one node: gx = softmax(x) * sum(q) - q, where q is
                       the (weighted, smoothed) target distribution; stable for logits ~ 1e4
    NllLoss            -w[t] * x[t]; gx scatters -w[t] * gy into zeros
    BinaryCrossEntropy log clamped to >= -100 as torch, so p = 0 or 1 gives 100, not inf
    BinaryCrossEntropyWithLogits   written with log_sigmoid = min(x, 0) - log1p(exp(-|x|)),
                       which neither overflows nor cancels for |x| ~ 1e4
The others (mse, l1, huber, kl_div, margin losses, ...) are short compositions of existing ops
in loss_composed.py; _loss_args.py holds the reduction argument and the checks all of them share.
nn/modules/loss.py holds the Module forms.
"""
from .. import _dtype
from ..autograd.grad_mode import STATE
from ..autograd.node import Op
from ..backend import kernels as _kernels, xp as _xp
from ..tensor import _make
from ._inplace import _type_word
from ._loss_args import _check_float, _no_grad_weight, _reduce_array, _reduction
from ._util import to_dtype
from .loss_binary import binary_cross_entropy, binary_cross_entropy_with_logits  # noqa: F401
from .piecewise import _exact   # backend/numba_elementwise.py, imported once
from .softmax import _shifted, log_softmax, softmax

__all__ = []

_INT64, _UINT8 = _xp.dtype(_xp.int64), _xp.dtype(_xp.uint8)


# ---- class-index targets: shared by cross_entropy and nll_loss --------------------------------
def _check_class_target(input, target, weight, fn, kernel=None):
    """torch's nll_loss_nd checks, in its order and words (`kernel`: the float-only kernel
    whose dtype check comes after the shapes and before the weight's)."""
    x, t = input._data, target._data
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if t.dtype != _INT64 and t.dtype != _UINT8:
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_type_word(t.dtype)}")
    if x.ndim == 1:
        if t.ndim == 1 and t.shape[0] != 1:
            raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                             f"{t.shape[0]}")
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    else:
        if t.ndim == 0 or x.shape[0] != t.shape[0]:
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                             f"batch_size ({t.shape[0] if t.ndim else 0}).")
        if x.ndim == 2 and t.ndim != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if x.ndim > 2 and t.shape != x.shape[:1] + x.shape[2:]:
            raise RuntimeError(f"Expected target size {list(x.shape[:1] + x.shape[2:])}, got "
                               f"{list(t.shape)}")
    if kernel is not None:
        _check_float(input, kernel)
    if weight is not None:
        _check_class_weight(input, weight, "")
        _no_grad_weight(weight, fn)


def _check_class_weight(input, weight, prefix):
    if weight is None:
        return
    x = input._data
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    if weight._data.ndim != 1 or weight._data.shape[0] != c:
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {c} classes "
                           f"or no classes but got weight tensor of shape: "
                           f"{list(weight._data.shape)}")
    if weight._data.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {_type_word(x.dtype)} but found "
                           f"{_type_word(weight._data.dtype)}")


def _picked(xp, target, weight, ignore_index, shape, dtype):
    """Class targets (N, *d) of an (N, C, *d) input -> (at, wt, valid): flat indices of the
    target entries in a C-contiguous (N, C, *d) array (ignored targets point at class 0),
    the per-sample weight w[t] (0 where ignored) and the not-ignored mask. Raises torch's
    IndexError for a target outside [0, C)."""
    n_classes = shape[1]
    valid = target != ignore_index
    t = xp.where(valid, target, 0)
    if t.size and (t.min() < 0 or t.max() >= n_classes):
        raise IndexError(f"Target {t[(t < 0) | (t >= n_classes)][0]} is out of bounds. "
                         f"(nll_loss / cross_entropy: targets are class indices in "
                         f"[0, {n_classes}) or ignore_index {ignore_index})")
    # (n, t, *d) sits at (n * C + t) * D + d, D = prod(d): one fancy index, no take_along_axis
    inner = t.size // shape[0] if shape[0] else 0
    at = xp.arange(shape[0]).reshape((-1,) + (1,) * (t.ndim - 1)) * n_classes + t
    if inner > 1:
        at = at * inner + xp.arange(inner).reshape(t.shape[1:])
    wt = valid.astype(dtype) if weight is None else weight[t] * valid
    return at, wt, valid


def _grad_scale(ctx, gy):
    """(g, c): the upstream gradient, broadcastable against (N, C, *d), and a constant factor
    (1 / denom for 'mean') that backward folds into its constant arrays."""
    if ctx.reduction == "none":
        return gy.unsqueeze(1), 1.0
    # (denom 0: every target ignored, so q = 0 and torch's gradient is 0, not 0 * nan)
    return gy, (1.0 / float(ctx.denom) if ctx.reduction == "mean" and ctx.denom else 1.0)


def _class_shape(weight, ndim):
    # (C,) -> (1, C, 1, ...): broadcasts along the class dim of (N, C, *d)
    return weight.reshape((1, weight.shape[0]) + (1,) * (ndim - 2))


class CrossEntropy(Op, name="cross_entropy"):
    """y = -sum_c q_c log_softmax(x)_c, q the weighted (smoothed) target distribution;
    gx = gy * (softmax(x) * sum_c q_c - q),  gq = -gy * log_softmax(x)."""

    def name(self):
        return "NllLossBackward0"  # torch: log_softmax + nll_loss, so its grad_fn says NllLoss

    plain = False   # forward's plain path (class targets in range, no weight or smoothing)

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, smoothing, reduction):
        xp = ctx.xp
        n_classes = x.shape[1]
        plain = target.dtype.kind != "f" and weight is None and not smoothing and \
            _plain_shape(x, target, ignore_index)
        # x - max: exp cannot overflow, even for logits ~ 1e4 (and the target's entry of each
        # row, in one compiled pass with the same bits when numba may run: _shift_pick, which
        # also checks every target is a class; else two reductions check them)
        picked = _shift_pick(x, target) if plain else None
        if picked is False or picked is None and plain and not _in_range(target, n_classes):
            plain, picked = False, None
        s = _shifted(x, 1) if picked is None else picked[0]
        w = None if weight is None else _class_shape(weight, x.ndim)
        logp = None
        if target.dtype.kind == "f":  # class probabilities (N, C, *d)
            e = xp.exp(s)
            sum_e = e.sum(axis=1, keepdims=True)
            logp = s - xp.log(sum_e)
            q = target * (1 - smoothing) + smoothing / n_classes if smoothing > 0 else target
            loss = -((q if w is None else q * w) * logp).sum(axis=1)
            denom = loss.size
        elif plain:
            # the common case (N, C) logits, every target a class, no weights: 8 array calls
            # instead of _picked's 16 (~25 us of a 128 x 10 batch); backward takes its own path
            rows = _rows(xp, x.shape[0])
            s_t = s[rows, target] if picked is None else picked[1]
            e = xp.exp(s, out=s)
            sum_e = xp.add.reduce(e, axis=1, keepdims=True)   # (ufuncs: no Python frames)
            loss = xp.log(sum_e)[:, 0] - s_t
            denom = x.dtype.type(x.shape[0])
            ctx.save(at=(rows, target), wt=None, valid=None)
            ctx.plain = True
        else:  # class indices (N, *d): log p_t = s_t - lse, no full log_softmax needed
            at, wt, valid = _picked(xp, target, weight, ignore_index, x.shape, x.dtype)
            s_t = s.reshape(-1)[at]
            if smoothing > 0:
                s_sum = (s if w is None else s * w).sum(axis=1)
            e = xp.exp(s, out=s)  # s is a fresh array: exp in place
            sum_e = e.sum(axis=1, keepdims=True)
            lse = xp.log(sum_e)[:, 0]
            loss = (lse - s_t) * wt
            if smoothing > 0:
                # torch: (1 - eps) nll + eps / C sum_c w_c (-log p_c), 0 where ignored
                w_sum = n_classes if w is None else weight.sum()
                uniform = lse * w_sum - s_sum
                loss = (1 - smoothing) * loss + (smoothing / n_classes) * uniform * valid
            denom = wt.sum()
            ctx.save(at=at, wt=wt, valid=valid)
        need = ctx.needs_input_grad
        if need[0] or need[1] or need[2]:
            ctx.save_inputs(0, 1)  # x: create_graph recomputes softmax from it; prob targets
            ctx.save(p=xp.divide(e, sum_e, out=e) if need[0] else None,
                     logp=logp if need[1] or need[2] else None, weight=weight)
            ctx.n_classes, ctx.smoothing = n_classes, smoothing
            ctx.reduction, ctx.denom = reduction, denom
        return _reduce_array(xp, loss, reduction, denom)

    @staticmethod
    def backward(ctx, gy):
        x, target = ctx.saved_tensors
        need = ctx.needs_input_grad
        g, c = _grad_scale(ctx, gy)
        if ctx.plain and need[0] and not STATE.enabled:   # plain class targets (forward):
            # on the arrays, softmax * c - c at each row's target (c = 1/N for 'mean'), times gy
            k = g._data * c   # () for 'mean' and 'sum', (N, 1) for 'none'
            gx = _exact().softmax_grad_pick(ctx.p, ctx.at[1], k) \
                if _kernels.numba_for_exact() else None   # (one compiled pass, same bits)
            if gx is None:
                gx = ctx.p * k
                gx[ctx.at] -= k.reshape(-1) if k.ndim else k
            return _make(gx), None, None, None, None, None
        eps, n_classes = ctx.smoothing, ctx.n_classes
        w = None if ctx.weight is None else _make(_class_shape(ctx.weight, x.ndim))
        if target.dtype.is_floating_point:
            q = target * ((1 - eps) * c) + eps * c / n_classes if eps > 0 or c != 1 else target
            qw = q if w is None else q * w
            q_sum = qw.sum(1, keepdim=True)
        else:
            qw, q_sum = _class_target_q(ctx, x.shape, x._data.dtype, c)
        gx = gt = gw = None
        if need[0]:
            # without create_graph the softmax saved by forward serves; with it, softmax must
            # be an op of x again so that second derivatives reach x
            p = softmax(x, 1) if STATE.enabled else _make(ctx.p)
            gx = (p * q_sum - qw) * g
        if need[1] or need[2]:
            logp = log_softmax(x, 1) if STATE.enabled else _make(ctx.logp)
            lg = logp * g
            if need[1]:
                k = -(1 - eps) * c
                gt = lg * k if w is None else lg * w * k
            if need[2]:
                gw = -(lg * q).sum([d for d in range(x.ndim) if d != 1])
        return gx, gt, gw, None, None, None


def _plain_shape(x, target, ignore_index):
    """Can cross_entropy take its plain path? (N, C) logits with targets (N,) and no
    ignore_index inside [0, C); then none of the targets may be ignored, and if every one is
    a class in [0, C) (`_in_range`, or the numba kernel's own check) the path is taken."""
    return x.ndim == 2 and target.size and not 0 <= ignore_index < x.shape[-1]


def _in_range(target, n_classes):
    return _xp.minimum.reduce(target) >= 0 and _xp.maximum.reduce(target) < n_classes


def _shift_pick(x, target):
    """(x - row max, its entry at each row's target) from backend/numba_elementwise.py when
    numba may run kernels with NumPy's bits (4 NumPy calls -> 1), else None; False when a
    target is outside [0, C)."""
    return _exact().shift_pick(x, target) if _kernels.numba_for_exact() else None


_ROWS = {}


def _rows(xp, n):
    """arange(n), kept per n (read-only): the row index of a (N, C) fancy index."""
    rows = _ROWS.get(n)
    if rows is None:
        if len(_ROWS) > 64:
            _ROWS.clear()
        rows = _ROWS[n] = xp.arange(n)
        rows.flags.writeable = False
    return rows


def _class_target_q(ctx, shape, dtype, c):
    """Constants (q, sum_c q) of class-index targets, times c: q = (1 - eps) w[t] onehot(t) +
    eps / C * w, rows of ignored targets 0."""
    xp, eps, n_classes = ctx.xp, ctx.smoothing, ctx.n_classes
    wt = xp.ones(shape[0], dtype=dtype) if ctx.plain else ctx.wt
    picked = wt * ((1 - eps) * c) if eps > 0 or c != 1 else wt
    q = xp.zeros(shape, dtype=dtype)
    if ctx.plain:   # forward's plain path keeps (rows, target), not flat indices
        q[ctx.at] = picked
    else:
        q.reshape(-1)[ctx.at] = picked
    q_sum = picked[:, None]
    if eps > 0:
        valid = ctx.valid[:, None].astype(dtype)
        if ctx.weight is None:
            q += (eps * c / n_classes) * valid
            q_sum = q_sum + (eps * c) * valid
        else:
            q += (eps * c / n_classes) * _class_shape(ctx.weight, len(shape)) * valid
            q_sum = q_sum + (eps * c / n_classes) * ctx.weight.sum() * valid
    return _make(q), _make(q_sum)


class NllLoss(Op, name="nll_loss"):
    """y = -w[t] x[t] (x: log-probabilities);  gx = -gy w[t] at class t, 0 elsewhere."""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        xp = ctx.xp
        at, wt, _ = _picked(xp, target, weight, ignore_index, x.shape, x.dtype)
        loss = x.reshape(-1)[at] * -wt  # `at` indexes in logical C order, as reshape does
        denom = wt.sum()
        if ctx.needs_input_grad[0]:
            ctx.save(at=at, wt=wt)
            ctx.shape = x.shape
            ctx.reduction, ctx.denom = reduction, denom
        return _reduce_array(xp, loss, reduction, denom)

    @staticmethod
    def backward(ctx, gy):
        # linear in gy: the constant -w[t] onehot(t) times the per-sample gradient
        g, c = _grad_scale(ctx, gy)
        q = ctx.xp.zeros(ctx.shape, dtype=ctx.wt.dtype)
        q.reshape(-1)[ctx.at] = ctx.wt * -c
        return _make(q) * g, None, None, None, None


def _batch_of_one(input, target, prob):
    # (C,) input: a batch of one sample; 'none' then gives a 0-d loss (torch)
    return input.unsqueeze(0), (target.unsqueeze(0) if prob else target.reshape(1))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross entropy of logits `input` (N, C, *d) or (C,) against class indices (N, *d) or
    class probabilities (N, C, *d); `weight` (C,) rescales classes, targets equal to
    `ignore_index` count nothing ('mean' divides by the summed weight of the others), and
    `label_smoothing` mixes the targets with the uniform distribution.

    >>> import glasstorch as torch
    >>> torch.nn.functional.cross_entropy(torch.tensor([[0.0, 0.0]]), torch.tensor([1]))
    tensor(0.6931)
    """
    reduction = _reduction(reduction, size_average, reduce)
    x, t = input._data, target._data
    if x.shape == t.shape:  # torch: equal shapes mean class probabilities
        if t.dtype.kind != "f":
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {_type_word(t.dtype)}")
        _check_float(input, "log_softmax_lastdim_kernel_impl")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if x.ndim == 0:
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        _check_class_weight(input, weight, "cross_entropy: ")
        if x.dtype != t.dtype:
            dt = _dtype.result_type(input, target)
            input, target = to_dtype(input, dt), to_dtype(target, dt)
            weight = None if weight is None else to_dtype(weight, dt)
        prob = True
    else:
        _check_float(input, "log_softmax_lastdim_kernel_impl")   # log_softmax runs first
        _check_class_target(input, target, weight, "nll_loss_forward")
        prob = False
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    smoothing = float(label_smoothing) if label_smoothing > 0 else 0.0
    if input._data.ndim == 1:
        input, target = _batch_of_one(input, target, prob)
        loss = CrossEntropy.apply(input, target, weight, ignore_index, smoothing, reduction)
        return loss.reshape(()) if reduction == "none" else loss
    return CrossEntropy.apply(input, target, weight, ignore_index, smoothing, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log likelihood of log-probabilities `input` (N, C, *d) or (C,) at class
    indices `target` (N, *d): -weight[t] * input[t], reduced as cross_entropy."""
    reduction = _reduction(reduction, size_average, reduce)
    _check_class_target(input, target, weight, "nll_loss_forward", "nll_loss_out_frame")
    if input._data.ndim == 1:
        input, target = _batch_of_one(input, target, False)
        loss = NllLoss.apply(input, target, weight, ignore_index, reduction)
        return loss.reshape(()) if reduction == "none" else loss
    return NllLoss.apply(input, target, weight, ignore_index, reduction)
