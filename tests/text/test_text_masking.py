"""sequence_mask, masked_softmax and MaskedSoftmaxCELoss against d2l's torch code (forward and
gradients through check_op)."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.text import MaskedSoftmaxCELoss, masked_softmax, sequence_mask
from helpers import check_op


def torch_sequence_mask(X, valid_len, value=0):
    """d2l's sequence_mask (on a clone: d2l writes into X)."""
    X = X.clone()
    mask = torch.arange(X.size(1))[None, :] < valid_len[:, None]
    X[~mask] = value
    return X


def torch_masked_softmax(X, valid_lens):
    """d2l's masked_softmax."""
    if valid_lens is None:
        return torch.nn.functional.softmax(X, dim=-1)
    shape = X.shape
    if valid_lens.dim() == 1:
        valid_lens = torch.repeat_interleave(valid_lens, shape[1])
    else:
        valid_lens = valid_lens.reshape(-1)
    X = torch_sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
    return torch.nn.functional.softmax(X.reshape(shape), dim=-1)


class TorchMaskedSoftmaxCELoss(torch.nn.CrossEntropyLoss):
    """d2l's MaskedSoftmaxCELoss."""

    def forward(self, pred, label, valid_len):
        weights = torch_sequence_mask(torch.ones_like(label), valid_len)
        self.reduction = "none"
        unweighted_loss = super().forward(pred.permute(0, 2, 1), label)
        return (unweighted_loss * weights).mean(dim=1)


def lens(*values):
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize("shape, valid, value, dtype", [
    ((2, 4), lens(1, 3), 0, "float64"),
    ((3, 4, 5), lens(0, 2, 4), -1.5, "float64"),
    ((2, 3, 2, 2), lens(3, 1), 7, "float32"),
    ((2, 3), lens(5, 0), 0, "float32"),          # valid length past T, and zero
    ((0, 3), lens(), 0, "float64"),
])
def test_sequence_mask(shape, valid, value, dtype):
    check_op(lambda x, v: sequence_mask(x, v, value), [shape, valid],
             torch_fn=lambda x, v: torch_sequence_mask(x, v, value), dtype=dtype)


def test_sequence_mask_int_input_and_list_lengths():
    X = gt.tensor([[1, 2, 3], [4, 5, 6]])
    assert sequence_mask(X, [2, 1]).tolist() == [[1, 2, 0], [4, 0, 0]]
    assert X.tolist() == [[1, 2, 3], [4, 5, 6]]             # unchanged (d2l's is in place)


@pytest.mark.parametrize("shape, valid, dtype", [
    ((2, 2, 4), lens(2, 3), "float64"),
    ((2, 3, 4), np.array([[1, 3, 4], [2, 4, 0]]), "float64"),
    ((2, 2, 5), lens(0, 5), "float32"),
    ((3, 1, 6), lens(1, 2, 6), "float32"),
])
def test_masked_softmax(shape, valid, dtype):
    check_op(masked_softmax, [shape, valid], torch_fn=torch_masked_softmax, dtype=dtype)


def test_masked_softmax_without_lengths():
    check_op(lambda x: masked_softmax(x, None), [(2, 3, 4)],
             torch_fn=lambda x: torch_masked_softmax(x, None))


@pytest.mark.parametrize("B, T, V, valid, dtype", [
    (3, 4, 10, lens(4, 2, 0), "float64"),
    (2, 5, 7, lens(1, 5), "float32"),
    (4, 1, 3, lens(1, 0, 1, 1), "float64"),
])
def test_masked_softmax_ce_loss_matches_d2l(B, T, V, valid, dtype):
    labels = np.random.default_rng(0).integers(0, V, (B, T))
    check_op(lambda p, y, v: MaskedSoftmaxCELoss()(p, y, v), [(B, T, V), labels, valid],
             torch_fn=lambda p, y, v: TorchMaskedSoftmaxCELoss()(p, y, v), dtype=dtype)


def test_masked_loss_equals_cross_entropy_with_ignored_padding():
    # the same loss from torch alone: padded labels set to ignore_index, summed, / T
    rng = np.random.default_rng(1)
    pred, labels = rng.standard_normal((3, 6, 5)), rng.integers(0, 5, (3, 6))
    valid = lens(6, 3, 1)
    ignored = np.where(np.arange(6)[None, :] < valid[:, None], labels, -100)
    want = torch.nn.functional.cross_entropy(torch.tensor(pred).permute(0, 2, 1),
                                             torch.tensor(ignored), reduction="none").sum(1) / 6
    loss = MaskedSoftmaxCELoss()(gt.tensor(pred), gt.tensor(labels), gt.tensor(valid))
    np.testing.assert_allclose(loss.numpy(), want.numpy(), rtol=1e-12)
    for reduction, reduce in (("mean", np.mean), ("sum", np.sum)):
        total = MaskedSoftmaxCELoss(reduction=reduction)(gt.tensor(pred), gt.tensor(labels),
                                                         gt.tensor(valid))
        assert total.shape == () and np.isclose(total.item(), reduce(want.numpy()))


def test_masked_loss_options_and_errors():
    rng = np.random.default_rng(2)
    pred, labels = rng.standard_normal((2, 3, 4)), rng.integers(0, 4, (2, 3))
    weight = rng.uniform(0.5, 2, 4)     # a constant (torch: weight may not require grad)
    check_op(lambda p, y, v: MaskedSoftmaxCELoss(gt.tensor(weight), label_smoothing=0.1)(
                 p, y, v),
             [pred, labels, lens(3, 1)],
             torch_fn=lambda p, y, v: torch.nn.functional.cross_entropy(
                 p.permute(0, 2, 1), y, weight=torch.tensor(weight), reduction="none",
                 label_smoothing=0.1).masked_fill(torch.arange(3)[None, :] >= v[:, None], 0)
             .mean(1))
    with pytest.raises(ValueError, match="pred"):
        MaskedSoftmaxCELoss()(gt.zeros(2, 3), gt.zeros(2, 3, dtype=gt.long), gt.tensor([1, 2]))
    with pytest.raises(ValueError, match="reduction"):
        MaskedSoftmaxCELoss(reduction="avg")(gt.zeros(1, 2, 3), gt.zeros(1, 2, dtype=gt.long),
                                             gt.tensor([1]))
