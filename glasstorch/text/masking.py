"""Masks for padded sequence batches (d2l 10.7, 11.3): `sequence_mask`, `masked_softmax` and
`MaskedSoftmaxCELoss`. Compositions of glasstorch ops (where, cross_entropy), so their
gradients come for free; positions past a row's valid length get no gradient.
`masked_softmax` (X (B, Q, K), valid_lens None, (B,) or (B, Q)) is the attention modules' own,
from ops/attention.py, re-exported here.
"""
from .. import creation
from ..nn import functional as F
from ..nn.modules.loss import CrossEntropyLoss
from ..ops.attention import masked_softmax
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
