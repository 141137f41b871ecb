"""nn.AdaptiveLogSoftmaxWithLoss against torch (same weights): forward's (output, loss) and
the gradients of the loss to input and every parameter, log_prob, predict, unbatched input,
errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

IN, NCLS, CUTOFFS = 8, 20, [4, 10, 15]
TARGET = np.array([0, 3, 5, 9, 12, 19, 2, 16, 4, 11])


def _model(lib, div_value=2.0, head_bias=True):
    lib.manual_seed(0)
    m = lib.nn.AdaptiveLogSoftmaxWithLoss(IN, NCLS, CUTOFFS, div_value=div_value,
                                          head_bias=head_bias).double()
    rng = np.random.default_rng(5)  # the same weights in both frameworks
    for p in m.parameters():
        p.data.copy_(lib.tensor(rng.standard_normal(tuple(p.shape))))
    return m


def _params_and_input(lib, x, **kw):
    m = _model(lib, **kw)
    out, loss = m(x, lib.tensor(TARGET))
    grads = lib.autograd.grad(loss, list(m.parameters()), retain_graph=True)
    return (out, loss, *grads)


@pytest.mark.parametrize("kw", [dict(), dict(div_value=4.0, head_bias=False)])
def test_forward_and_parameter_gradients(kw):
    g, t = check_op(lambda lib, x: _params_and_input(lib, x, **kw), [(10, IN)], lib=True)
    assert len(g) == len(t)
    assert [tuple(p.shape) for p in _model(gt, **kw).parameters()] == \
        [tuple(p.shape) for p in _model(torch, **kw).parameters()]


def test_unbatched_and_subset_of_clusters():
    check_op(lambda lib, x: tuple(_model(lib)(x, lib.tensor(17))), [(IN,)], lib=True)
    check_op(lambda lib, x: tuple(_model(lib)(x, lib.tensor([1, 2, 0]))), [(3, IN)], lib=True)


def test_log_prob_and_predict():
    check_op(lambda lib, x: _model(lib).log_prob(x), [(10, IN)], lib=True)
    for seed in range(4):  # mixes of rows predicted in and out of the shortlist
        g, t = check_op(lambda lib, x: _model(lib).predict(x), [(10, IN)], lib=True,
                        grad=False, seed=seed, low=-3, high=3)
    lp = _model(gt).log_prob(gt.randn(6, IN, dtype=gt.float64))
    assert np.allclose(lp.exp().sum(1).detach().numpy(), 1.0)


@pytest.mark.parametrize("cutoffs", [[], [4, 2], [0, 5], [5, 20], [5, 5], [2.5]])
def test_bad_cutoffs(cutoffs):
    check_raises(lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(IN, NCLS, cutoffs), lib=True,
                 match="cutoffs should be a sequence")


@pytest.mark.parametrize("shape, target, match", [
    ((3, IN), [1, 2], "same size in the batch dimension"),
    ((3, IN), [[1], [2], [3]], "multi-target not supported"),
    ((IN,), 3, None), ((2, IN), 3, "0D target tensor expects 1D input"),
    ((2, IN), [1, 20], r"Target values should be in \[0, 19\], but values in range \[1, 20\]"),
])
def test_forward_errors(shape, target, match):
    def fn(lib, x):
        return _model(lib)(x, lib.tensor(target))
    if match is None:
        check_op(lambda lib, x: tuple(fn(lib, x)), [shape], lib=True)
    else:
        check_raises(fn, [shape], lib=True, match=match)
    assert gt.nn.modules.adaptive.AdaptiveLogSoftmaxWithLoss is gt.nn.AdaptiveLogSoftmaxWithLoss
