"""channel_shuffle, pdist, lp_pool1d/2d (+ ChannelShuffle, LPPool1d/2d) and gumbel_softmax
against torch: values, gradients, shapes and torch's errors."""
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises


def F(m):
    return m.nn.functional


@pytest.mark.parametrize("call", [
    lambda m, x: F(m).channel_shuffle(x, 3), lambda m, x: F(m).channel_shuffle(x, 1),
    lambda m, x: m.channel_shuffle(x[:, :, 0], 2), lambda m, x: m.nn.ChannelShuffle(6)(x),
    lambda m, x: F(m).lp_pool2d(x.abs() + 0.1, 2, 2),
    lambda m, x: F(m).lp_pool2d(x, 3, (2, 3), stride=1, ceil_mode=True),
    lambda m, x: F(m).lp_pool2d(x.abs() + 0.1, 1.5, 2, (1, 2)),
    lambda m, x: F(m).lp_pool1d(x[:, :, 0].abs() + 0.1, 2, 2),
    lambda m, x: F(m).lp_pool1d(x[:, :, 0], 1, 3, 1),
    lambda m, x: m.nn.LPPool2d(2, 2)(x.abs() + 0.1), lambda m, x: m.nn.LPPool1d(2, 3, 2)(x[0]),
    lambda m, x: F(m).lp_pool2d(x, float("inf"), 2),
    lambda m, x: F(m).lp_pool1d(x[0], -float("inf"), 2),
])
def test_shuffle_and_lp_pool(call):
    check_op(call, [(2, 6, 5, 4)], lib=True)


@pytest.mark.parametrize("p", [2, 1, 0, 3.5, float("inf")])
def test_pdist(p):
    check_op(lambda m, x: F(m).pdist(x, p), [(5, 3)], lib=True, grad=p != 0)
    check_op(lambda m, x: m.pdist(x, p), [(1, 3)], lib=True, grad=False)


@pytest.mark.parametrize("call", [
    lambda m, x: F(m).channel_shuffle(x, 4), lambda m, x: F(m).channel_shuffle(x, 0),
    lambda m, x: F(m).channel_shuffle(x[0, 0], 2), lambda m, x: F(m).pdist(x),
    lambda m, x: F(m).pdist(x[0, 0], -1), lambda m, x: F(m).pdist(x[0, 0].long()),
    lambda m, x: F(m).lp_pool2d(x[0, 0, 0], 2, 2), lambda m, x: F(m).lp_pool2d(x[None], 2, 2),
    lambda m, x: F(m).lp_pool1d(x, 2, 2), lambda m, x: F(m).avg_pool1d(x[0, 0, 0], 2),
    lambda m, x: F(m).avg_pool2d(x[0, 0, 0, 0], 1),
])
def test_errors(call):
    check_raises(call, [(2, 6, 5, 4)], lib=True)


def test_module_reprs():
    for lib in (gt, torch):
        assert repr(lib.nn.LPPool2d(2, 3)) == \
            "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
        assert repr(lib.nn.ChannelShuffle(3)) == "ChannelShuffle(groups=3)"


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_samples(hard):
    # random: compared with torch by its distribution's properties, not values
    gt.manual_seed(0)
    logits = gt.tensor([[2.0, 0.0, -1.0]] * 4000, requires_grad=True)
    y = F(gt).gumbel_softmax(logits, tau=0.5, hard=hard)
    assert y.shape == logits.shape and y.dtype == gt.float32
    assert gt.allclose(y.sum(-1), gt.ones(4000))
    if hard:
        assert ((y == 0) | (y == 1)).all() and (y.sum(-1) == 1).all()
    # argmax of logits + Gumbel noise is a sample of softmax(logits)
    freq = gt.nn.functional.one_hot(y.argmax(-1), 3).float().mean(0)
    want = torch.tensor([2.0, 0.0, -1.0]).softmax(0)
    assert torch.allclose(torch.tensor(freq.numpy()), want, atol=0.03)
    y[:, 0].sum().backward()
    g = logits.grad
    assert g.shape == logits.shape and gt.isfinite(g).all() and g.abs().sum() > 0
    # straight-through: hard samples carry the soft sample's gradient (rows sum to 0)
    assert gt.allclose(g.sum(-1), gt.zeros(4000), atol=1e-5)


def test_gumbel_softmax_deprecated_eps_warns():
    for lib in (gt, torch):
        with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
            F(lib).gumbel_softmax(lib.zeros(2, 3), eps=1e-5)
