"""Masks for padded sequence batches (d2l 10.7, 11.3): `sequence_mask`, `masked_softmax` and
`MaskedSoftmaxCELoss`. Compositions of glasstorch ops (where, cross_entropy), so their
gradients come for free; positions past a row's valid length get no gradient.
`masked_softmax` (X (B, Q, K), valid_lens None, (B,) or (B, Q)) is the attention layers' own
(attention.py).
"""
from .. import _dtype, creation
from ..nn import functional as F
from ..nn.modules.loss import CrossEntropyLoss
from ..tensor import Tensor

__all__ = ["sequence_mask", "masked_softmax", "MaskedSoftmaxCELoss"]


def _lengths(valid_len):
    return valid_len if isinstance(valid_len, Tensor) else creation.tensor(valid_len)


def sequence_mask(X, valid_len, value=0):
    """X (B, T, *) with X[b, t, ...] replaced by `value` where t >= valid_len[b].

    d2l writes `value` into X in place; this returns a new tensor (X is unchanged), so it is
    safe inside autograd.

    >>> import glasstorch as torch
    >>> sequence_mask(torch.tensor([[1, 2, 3], [4, 5, 6]]), torch.tensor([1, 2]))
    tensor([[1, 0, 0],
            [4, 5, 0]])
    """
    valid_len = _lengths(valid_len)
    T = X.shape[1]
    keep = creation.arange(T, device=X.device)[None, :] < valid_len[:, None]   # (B, T)
    keep = keep.reshape(keep.shape + (1,) * (X.dim() - 2))                     # (B, T, 1...)
    return X.where(keep, value)


def masked_softmax(X, valid_lens):
    """d2l's masked softmax over the last dim of X (B, ..., K): keys at positions >= valid_lens
    (B,) (one length per sequence) or X.shape[:-1] (one per query) are set to -1e6 first, so they
    get (almost) zero weight; valid_lens=None is a plain softmax.

    >>> import glasstorch as torch
    >>> masked_softmax(torch.zeros(1, 1, 4), torch.tensor([2]))
    tensor([[[0.5000, 0.5000, 0.0000, 0.0000]]])
    """
    if valid_lens is None:
        return F.softmax(X, -1)
    if valid_lens.dim() == 1:   # one length per sequence: broadcast over every dim but the batch
        lens = valid_lens.reshape((-1,) + (1,) * (X.dim() - 1))
    else:                       # one length per query row: X.shape[:-1]
        lens = valid_lens.reshape(tuple(valid_lens.shape) + (1,))
    keep = creation.arange(X.shape[-1], dtype=_dtype.float32) < lens
    return F.softmax(X.masked_fill(~keep, -1e6), -1)


class MaskedSoftmaxCELoss(CrossEntropyLoss):
    """Cross-entropy of pred (B, T, V) logits against label (B, T), counting only the first
    valid_len[b] steps of row b (padding after '<eos>' is ignored).

    Per sequence it is the sum of the valid steps' losses divided by T (d2l: a mean over all
    num_steps with padded steps as zeros), so the default reduction='none' gives a (B,) loss;
    'mean' / 'sum' reduce that over the batch. weight and label_smoothing act per step as in
    CrossEntropyLoss.

    >>> import glasstorch as torch
    >>> loss = MaskedSoftmaxCELoss()
    >>> loss(torch.ones(3, 4, 10), torch.ones((3, 4), dtype=torch.long), torch.tensor([4, 2, 0]))
    tensor([2.3026, 1.1513, 0.0000])
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="none", label_smoothing=0.0):
        super().__init__(weight=weight, ignore_index=ignore_index, reduction=reduction,
                         label_smoothing=label_smoothing)

    def forward(self, pred, label, valid_len):
        if pred.dim() != 3 or label.shape != pred.shape[:2]:
            raise ValueError(f"expected pred (B, T, V) and label (B, T), got pred "
                             f"{tuple(pred.shape)} and label {tuple(label.shape)}")
        # cross_entropy wants classes in dim 1: (B, V, T)
        per_step = F.cross_entropy(pred.permute(0, 2, 1), label, weight=self.weight,
                                   ignore_index=self.ignore_index, reduction="none",
                                   label_smoothing=self.label_smoothing)          # (B, T)
        per_seq = sequence_mask(per_step, valid_len).mean(dim=1)
        if self.reduction == "none":
            return per_seq
        if self.reduction == "mean":
            return per_seq.mean()
        if self.reduction == "sum":
            return per_seq.sum()
        raise ValueError(f"{self.reduction} is not a valid value for reduction")
