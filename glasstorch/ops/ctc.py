"""Connectionist temporal classification loss (Graves et al. 2006), torch's `ctc_loss`.

A target l = (l_1 .. l_S) is extended with blanks, l' = (b, l_1, b, l_2, .. b, l_S, b), 2S+1
labels. A path of the T frames emits one label of l' per frame, moving 0, 1 or 2 positions on
(2 only over a blank between two different labels); p(l | x) sums the paths' probabilities.

    alpha_t(s) = log sum_{k in s-2..s} alpha_{t-1}(k) + lp_t(l'_s)     (forward variable)
    beta_t(s)  = log sum_{k in s..s+2} beta_{t+1}(k)  + lp_t(l'_s)     (backward variable)
    nll = -log(exp alpha_{T-1}(2S) + exp alpha_{T-1}(2S-1))

Both recursions run in log space, vectorized over the batch (a Python loop over time only).
The gradient is torch's: for t < T_n,

    d nll / d lp_t(c) = exp(lp_t(c)) - exp(log sum_{s: l'_s = c} alpha_t(s) beta_t(s) + nll - lp_t(c))

The exp(lp) term makes it the gradient with respect to the logits when `log_probs` is a
log_softmax output (as the docs require); through log_softmax's backward it cancels, so
composed with log_softmax it is the exact gradient. Frames past an input's length get 0.
"""
import math

from ..tensor import Tensor, _make
from ..autograd.node import Op
from ._inplace import _type_word
from ._loss_args import _reduction

__all__ = ["ctc_loss"]

_NEG_INF = -math.inf


def _extended(xp, targets, target_lengths, offsets, blank, padded):
    """l' per sample, (N, 2 S_max + 1), padded with blanks; and where a skip s-2 -> s is allowed."""
    n, s_max = len(target_lengths), int(target_lengths.max(initial=0))
    labels = xp.full((n, s_max), blank, dtype=xp.int64)
    for i in range(n):
        k = int(target_lengths[i])
        labels[i, :k] = targets[i, :k] if padded else targets[offsets[i]:offsets[i] + k]
    ext = xp.full((n, 2 * s_max + 1), blank, dtype=xp.int64)
    ext[:, 1::2] = labels
    skip = xp.zeros(ext.shape, dtype=bool)  # from label s-2 to label s (odd s, as in torch:
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]  # a target equal to blank is a label too)
    return ext, skip


def _lse3(xp, a, b, c):
    """log(e^a + e^b + e^c) as torch computes it: m + log sum e^(x - m), -inf when all are
    (so an infinite log-probability gives NaN, as in torch, not NumPy's logaddexp's inf)."""
    m = xp.maximum(xp.maximum(a, b), c)
    with xp.errstate(invalid="ignore", over="ignore", divide="ignore"):
        safe = xp.where(m == _NEG_INF, 0.0, m)
        out = xp.log(xp.exp(a - safe) + xp.exp(b - safe) + xp.exp(c - safe)) + safe
    return xp.where(m == _NEG_INF, _NEG_INF, out).astype(a.dtype)


def _shift(xp, a, k):
    """a moved k positions right along the last axis (-inf fills), or left for k < 0."""
    out = xp.full(a.shape, _NEG_INF, dtype=a.dtype)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


def _alpha(xp, lp, ext, skip, il, valid):
    """Forward variables (T, N, 2S+1) and the per-sample nll (N,)."""
    t_max, n = lp.shape[0], lp.shape[1]
    # (T, N, 2S+1): lp_t(l'_s)
    emit = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (t_max,) + ext.shape), axis=2)
    alpha = xp.full((t_max,) + ext.shape, _NEG_INF, dtype=lp.dtype)
    if t_max == 0:
        return alpha, emit, xp.full(n, math.inf, dtype=lp.dtype)
    a = xp.full(ext.shape, _NEG_INF, dtype=lp.dtype)
    a[:, :2] = emit[0, :, :2]
    a[~valid] = _NEG_INF
    alpha[0] = a
    for t in range(1, t_max):
        step = _lse3(xp, a, _shift(xp, a, 1), xp.where(skip, _shift(xp, a, 2), _NEG_INF))
        step = step + emit[t]
        step[~valid] = _NEG_INF
        a = xp.where((t < il)[:, None], step, a)  # past its length a sample keeps its alpha
        alpha[t] = a
    last = 2 * target_len_of(valid)
    end = a[xp.arange(n), last]
    end_blank = xp.where(last > 0, a[xp.arange(n), xp.maximum(last - 1, 0)], _NEG_INF)
    # torch: an empty target reads its one position, others the log-sum of the last two
    two = _lse3(xp, end, end_blank, xp.full(n, _NEG_INF, dtype=lp.dtype))
    nll = -xp.where(last > 0, two, end)
    # no frames: only the empty target has a path (p = 1)
    nll = xp.where(il == 0, xp.where(last == 0, 0.0, math.inf), nll).astype(lp.dtype)
    return alpha, emit, nll


def target_len_of(valid):
    """S_n from the mask of valid extended positions (2 S_n + 1 of them)."""
    return (valid.sum(axis=1) - 1) // 2


def _beta(xp, emit, ext, skip, il, valid):
    t_max = emit.shape[0]
    n = ext.shape[0]
    last = 2 * target_len_of(valid)
    beta = xp.full(emit.shape, _NEG_INF, dtype=emit.dtype)
    init = xp.full(ext.shape, _NEG_INF, dtype=emit.dtype)
    start = init.copy()  # beta at a sample's last frame: 0 (+ lp) at its last two positions
    start[xp.arange(n), last] = 0.0
    start[xp.arange(n)[last > 0], last[last > 0] - 1] = 0.0
    b = init
    skip_back = _shift(xp, skip, -2) if skip.shape[1] > 2 else xp.zeros(skip.shape, bool)
    for t in range(t_max - 1, -1, -1):
        step = _lse3(xp, b, _shift(xp, b, -1), xp.where(skip_back, _shift(xp, b, -2), _NEG_INF))
        step = xp.where((t == il - 1)[:, None], start, step) + emit[t]
        step[~valid] = _NEG_INF
        step[t >= il] = _NEG_INF
        beta[t] = b = step
    return beta


class CtcLoss(Op, name="ctc_loss"):
    """Per-sample negative log-likelihood (N,) of the targets under the frame distributions."""

    @staticmethod
    def forward(ctx, lp, targets, il, tl, offsets, blank, padded, zero_infinity):
        xp = ctx.xp
        ext, skip = _extended(xp, targets, tl, offsets, blank, padded)
        valid = xp.arange(ext.shape[1])[None, :] < (2 * tl + 1)[:, None]
        alpha, emit, nll = _alpha(xp, lp, ext, skip, il, valid)
        inf = nll == math.inf
        if ctx.needs_input_grad[0]:
            ctx.save(lp=lp, ext=ext, skip=skip, il=il, valid=valid, alpha=alpha, emit=emit,
                     nll=nll, zero=inf & zero_infinity)
        if zero_infinity:
            nll = xp.where(inf, 0.0, nll).astype(lp.dtype)
        return nll

    @staticmethod
    def backward(ctx, gy):
        xp, lp, ext, il, nll = ctx.xp, ctx.lp, ctx.ext, ctx.il, ctx.nll
        beta = _beta(xp, ctx.emit, ext, ctx.skip, il, ctx.valid)
        ab = ctx.alpha + beta  # (T, N, 2S+1): log alpha beta, counting lp_t(l'_s) twice
        m = ab.max(axis=2, keepdims=True, initial=_NEG_INF)
        m = xp.where(xp.isfinite(m), m, 0.0)
        onehot = (ext[:, :, None] == xp.arange(lp.shape[2])).astype(lp.dtype)  # (N, 2S+1, C)
        with xp.errstate(divide="ignore"):
            lcab = xp.log(xp.einsum("tns,nsc->tnc", xp.exp(ab - m), onehot)) + m
        with xp.errstate(invalid="ignore", over="ignore"):
            g = xp.exp(lp) - xp.exp(lcab + nll[None, :, None] - lp)
        g[xp.arange(lp.shape[0])[:, None] >= il[None, :]] = 0.0
        g[:, ctx.zero] = 0.0
        # linear in gy: the per-sample gradient times gy (a Tensor, so create_graph works)
        return _make(g.astype(lp.dtype)) * gy.reshape(1, -1, 1), None, None, None, None, None, None, None


def _lengths(value, name, n):
    """input_lengths/target_lengths (a Tensor or a sequence of ints) as an int64 array."""
    from ..backend import asarray
    data = value._data if isinstance(value, Tensor) else value
    arr = asarray(data).astype("int64").reshape(-1)
    if arr.shape[0] != n:
        raise RuntimeError(f"{name} must be of size batch_size")
    return arr


def _check_bounds(arr, name, low, high=None):
    if len(arr) and int(arr.min()) < low:
        raise RuntimeError(f"Expected {name} to have value at least {low}, but got value "
                           f"{int(arr.min())} (while checking arguments for "
                           "ctc_loss_allocate_outputs)")
    if high is not None and len(arr) and int(arr.max()) > high:
        raise RuntimeError(f"Expected {name} to have value at most {high}, but got value "
                           f"{int(arr.max())} (while checking arguments for "
                           "ctc_loss_allocate_outputs)")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """CTC loss of `log_probs` (T, N, C) or (T, C) (log_softmax outputs) against `targets`,
    padded (N, S) or concatenated (sum(target_lengths),); `input_lengths` and
    `target_lengths` (N,) as Tensors or sequences of ints. 'mean' divides each loss by its
    target length (at least 1), then averages over the batch; `zero_infinity` turns the
    infinite losses of impossible alignments (and their gradients) into zeros.

    >>> import glasstorch as torch
    >>> lp = torch.zeros(2, 1, 2)                      # two frames, p(blank) = p(a) = 1
    >>> torch.nn.functional.ctc_loss(lp, torch.tensor([[1]]), [2], [1], reduction="sum")
    tensor(-1.0986)
    """
    reduction = _reduction(reduction)
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor):
        raise TypeError("ctc_loss(): input_lengths and target_lengths must both be Tensors "
                        "or both be sequences of ints")
    if log_probs._data.dtype.kind != "f" or log_probs._data.dtype.itemsize == 2:  # no Half
        raise NotImplementedError(f'"ctc_loss_cpu" not implemented for '
                                  f"'{_type_word(log_probs._data.dtype)}'")
    batched = log_probs.dim() == 3
    if not batched:
        if log_probs.dim() != 2:
            raise RuntimeError(f"ctc_loss: expected log_probs of 2 or 3 dimensions (T, N, C) "
                               f"or (T, C), got shape {tuple(log_probs.shape)}")
        log_probs = log_probs.unsqueeze(1)  # 1-D targets then read as concatenated (torch)
    t_max, n, c = log_probs.shape
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    il = _lengths(input_lengths, "input_lengths", n)
    tl = _lengths(target_lengths, "target_lengths", n)
    _check_bounds(il, "input_lengths", 0, t_max)
    _check_bounds(tl, "target_lengths", 0)
    tg = targets._data.astype("int64")
    padded = tg.ndim == 2
    offsets = il[:0]
    if padded:
        need = int(tl.max(initial=0))
        if tg.shape[1] < need:
            raise RuntimeError(f"Expected tensor to have size at least {need} at dimension 1, "
                               f"but got size {tg.shape[1]} for argument #2 'targets' (while "
                               "checking arguments for ctc_loss_allocate_outputs)")
    else:
        total = int(tl.sum())
        if tg.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got "
                               f"size {tg.shape[0]} for argument #2 'targets' (while checking "
                               "arguments for ctc_loss_allocate_outputs)")
        offsets = tl.cumsum() - tl
    loss = CtcLoss.apply(log_probs, tg, il, tl, offsets, int(blank), padded, bool(zero_infinity))
    if reduction == "mean":
        denom = _make(tl.clip(1, None).astype(log_probs._data.dtype))
        return (loss / denom).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss.squeeze(0)
