"""The `torch.*` forms of nn functions: torch.kl_div, torch.batch_norm, torch.embedding, ...

torch exposes its ATen kernels at the top level with their own calling conventions, which
differ from `torch.nn.functional`'s: `reduction` is an int (0 none, 1 mean, 2 sum), every
argument of batch_norm is positional and required, embedding takes (weight, indices). Code
written against them (often generated or ported from C++) runs unchanged here; each function
converts its arguments and calls the nn.functional form, where the computation lives.
torch.dropout / alpha_dropout / feature_alpha_dropout take (input, p, train), all required, and
raise RuntimeError (not nn.functional's ValueError) for p outside [0, 1]; torch.layer_norm and
group_norm take cudnn_enable(d), which chooses a GPU kernel and changes nothing on the CPU
(torch's CPU result is the same either way); torch.rrelu takes a generator. torch.lstm, gru,
rnn_tanh and rnn_relu have a padded overload (input, hx, params, has_biases, num_layers, dropout,
train, bidirectional, batch_first) and a packed one (data, batch_sizes, hx, params, ...): by
position ops/rnn.py tells them apart; the packed one's keywords data= / batch_sizes= are
resolved here.
"""
import warnings

__all__ = ["kl_div", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
           "hinge_embedding_loss", "margin_ranking_loss", "poisson_nll_loss",
           "triplet_margin_loss", "embedding", "bilinear", "batch_norm", "instance_norm",
           "detach", "dropout", "alpha_dropout", "feature_alpha_dropout", "layer_norm",
           "group_norm", "rrelu", "ctc_loss", "lstm", "gru", "rnn_tanh", "rnn_relu",
           "embedding_bag"]

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _F():
    from .nn import functional
    return functional


def _reduction(fn, reduction):
    """torch's int enum for `reduction` (ATen's Reduction: 1 mean, 2 sum) as nn.functional's
    name; like ATen, any other int leaves the loss unreduced."""
    if isinstance(reduction, bool) or not isinstance(reduction, int):
        raise TypeError(f"{fn}(): argument 'reduction' must be int, not "
                        f"{type(reduction).__name__}")
    return _REDUCTIONS.get(reduction, "none")


def kl_div(input, target, reduction=1, *, log_target=False):
    with warnings.catch_warnings():     # nn.functional's 'mean' vs 'batchmean' advice only
        warnings.filterwarnings("ignore", "reduction: 'mean' divides", UserWarning)
        return _F().kl_div(input, target, reduction=_reduction("kl_div", reduction),
                           log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    return _F().binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction("binary_cross_entropy_with_logits",
                                                    reduction), pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1):
    return _F().cosine_embedding_loss(input1, input2, target, margin,
                                      reduction=_reduction("cosine_embedding_loss", reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=1):
    return _F().hinge_embedding_loss(input, target, margin,
                                     reduction=_reduction("hinge_embedding_loss", reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1):
    return _F().margin_ranking_loss(input1, input2, target, margin,
                                    reduction=_reduction("margin_ranking_loss", reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return _F().poisson_nll_loss(input, target, log_input, full, eps=eps,
                                 reduction=_reduction("poisson_nll_loss", reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        reduction=1):
    return _F().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                    reduction=_reduction("triplet_margin_loss", reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1,
             zero_infinity=False):
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                         _reduction("ctc_loss", reduction), zero_infinity)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """ATen's order: the table first; padding_idx -1 means none."""
    return _F().embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """ATen's form: (output, offset2bag, bag_size, max_indices), output being
    nn.functional's (mode 0 sum, 1 mean, 2 max). The other three are what torch's backward
    keeps, by its CPU rules (offsets well formed: with include_last_offset the last one is
    the number of indices): offset2bag the bag of every index (empty for a 'sum' on torch's
    fast path: float32/float16 rows of unit stride, no padding_idx, unit-stride weights);
    bag_size the count of non-padding indices per bag ('sum': zeros, one per bag);
    max_indices: 'max' the row of each bag's maximum per column (the first on ties, 0 for an
    empty bag), 'mean' bag_size, 'sum' zeros."""
    from .backend import xp
    from .creation import tensor as _tensor
    if not hasattr(offsets, "shape"):
        raise TypeError(f"embedding_bag(): argument 'offsets' (position 3) must be Tensor, not "
                        f"{type(offsets).__name__}")
    if mode not in (0, 1, 2):
        raise RuntimeError(f"embedding_bag: mode must be 0 (sum), 1 (mean) or 2 (max), got "
                           f"{mode}")
    out = _F().embedding_bag(indices, weight, offsets, scale_grad_by_freq=scale_grad_by_freq,
                             mode=("sum", "mean", "max")[mode], sparse=sparse,
                             per_sample_weights=per_sample_weights,
                             include_last_offset=include_last_offset, padding_idx=padding_idx)
    idx, off = indices._data.reshape(-1), offsets._data.astype(xp.int64)
    B = off.size - 1 if include_last_offset else off.size
    bag = xp.searchsorted(off[:B], xp.arange(idx.size), side="right") - 1
    pad = None if padding_idx is None else padding_idx % weight.shape[0]
    keep = idx != pad if pad is not None else xp.ones(idx.size, dtype=bool)
    int64 = lambda a: _tensor(xp.asarray(a, dtype=xp.int64))   # noqa: E731
    if mode == 0:
        st = weight.stride()
        fast = (weight.dtype.itemsize in (2, 4) and weight.dtype.is_floating_point
                and st[1] == 1 and pad is None
                and (per_sample_weights is None or per_sample_weights.stride()[0] == 1))
        zeros = xp.zeros(B, dtype=xp.int64)
        return out, int64(xp.zeros(0) if fast else bag), int64(zeros), int64(zeros)
    size = xp.bincount(bag[keep], minlength=B)[:B]
    if mode == 1:
        return out, int64(bag), int64(size), int64(size)
    w = weight._data
    best = xp.zeros((B, w.shape[1]), dtype=xp.int64)
    for b in range(B):
        rows = idx[(bag == b) & keep]
        if rows.size:
            best[b] = rows[xp.argmax(w[rows], axis=0)]      # argmax: the first maximum
    return out, int64(bag), int64(size), int64(best)


def bilinear(input1, input2, weight, bias=None):
    return _F().bilinear(input1, input2, weight, bias)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    return _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                           eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    return _F().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                              momentum, eps)


def detach(input):
    return input.detach()



def _aten_p(p):
    if p < 0.0 or p > 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p, train):
    from .ops import dropout as _dropout
    _aten_p(p)
    return _dropout._dropout(input, p, train, False)


def alpha_dropout(input, p, train):
    from .ops import dropout as _dropout
    _aten_p(p)
    return _dropout._dropout(input, p, train, False, alpha=True)


def feature_alpha_dropout(input, p, train):
    from .ops import dropout as _dropout
    _aten_p(p)
    return _dropout._dropout(input, p, train, False, feature=True, alpha=True)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    return _F().group_norm(input, num_groups, weight, bias, eps)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    from .ops import activation
    return activation._rrelu(input, lower, upper, training, False, generator)


def _same_float_dtype(mode, x, hx, params):
    """torch's RNN kernels: the input, the weights and the states share one floating dtype
    (a RuntimeError otherwise, as torch's first matmul gives)."""
    from . import _dtype
    states = list(hx) if isinstance(hx, (list, tuple)) else [hx]
    for t in [*params, *states]:
        if t.dtype != x.dtype or not x.dtype.is_floating_point:
            raise RuntimeError(f"{mode}: expected m1 and m2 to have the same dtype, but got: "
                               f"{_dtype.c_type_name(x._data.dtype)} != "
                               f"{_dtype.c_type_name(t._data.dtype)} (the input, the weights "
                               "and the hidden state must share one floating dtype)")


def _recurrent(mode, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
               batch_first, data, batch_sizes):
    from .ops import rnn
    fn = getattr(rnn, mode)
    if data is None and batch_sizes is None:      # padded, or packed given by position
        args = (input, hx, params, has_biases, num_layers, dropout, train, bidirectional)
        if any(a is None for a in args):
            raise TypeError(f"{mode}() missing required arguments: (input, hx, params, "
                            "has_biases, num_layers, dropout, train, bidirectional) or (data, "
                            "batch_sizes, hx, params, has_biases, num_layers, dropout, train, "
                            "bidirectional)")
        if isinstance(has_biases, bool):          # padded: (input, hx, params, ...)
            _same_float_dtype(mode, input, hx, params)
        else:                                     # packed: (data, batch_sizes, hx, params, ...)
            _same_float_dtype(mode, input, params, has_biases)
        return fn(*args, batch_first) if batch_first is not None else fn(*args)
    if data is not None and input is not None:
        raise TypeError(f"{mode}() got multiple values for argument 'data'")
    if batch_sizes is None or batch_first is not None:
        raise TypeError(f"{mode}(): the packed overload takes (data, batch_sizes, hx, params, "
                        "has_biases, num_layers, dropout, train, bidirectional)")
    data = input if data is None else data
    _same_float_dtype(mode, data, hx, params)
    return fn(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
              bidirectional)


def lstm(input=None, hx=None, params=None, has_biases=None, num_layers=None, dropout=None,
         train=None, bidirectional=None, batch_first=None, *, data=None, batch_sizes=None):
    return _recurrent("lstm", input, hx, params, has_biases, num_layers, dropout, train,
                      bidirectional, batch_first, data, batch_sizes)


def gru(input=None, hx=None, params=None, has_biases=None, num_layers=None, dropout=None,
        train=None, bidirectional=None, batch_first=None, *, data=None, batch_sizes=None):
    return _recurrent("gru", input, hx, params, has_biases, num_layers, dropout, train,
                      bidirectional, batch_first, data, batch_sizes)


def rnn_tanh(input=None, hx=None, params=None, has_biases=None, num_layers=None, dropout=None,
             train=None, bidirectional=None, batch_first=None, *, data=None, batch_sizes=None):
    return _recurrent("rnn_tanh", input, hx, params, has_biases, num_layers, dropout, train,
                      bidirectional, batch_first, data, batch_sizes)


def rnn_relu(input=None, hx=None, params=None, has_biases=None, num_layers=None, dropout=None,
             train=None, bidirectional=None, batch_first=None, *, data=None, batch_sizes=None):
    return _recurrent("rnn_relu", input, hx, params, has_biases, num_layers, dropout, train,
                      bidirectional, batch_first, data, batch_sizes)
