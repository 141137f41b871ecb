"""F.ctc_loss / nn.CTCLoss against torch: values and gradients (through log_softmax and
directly on log_probs), padded and concatenated targets, every reduction, zero_infinity,
unbatched input, errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

T, N, C, S = 12, 4, 6, 5
RNG = np.random.default_rng(3)
TARGETS = RNG.integers(1, C, (N, S))
TARGETS[0, :4] = [2, 2, 3, 3]           # repeats need a blank between them
IL = np.array([12, 10, 7, 12])
TL = np.array([5, 4, 0, 3])


def _ctc(lib, x, reduction="mean", zero_infinity=False, blank=0, lengths="tensor",
         concat=False, il=IL, tl=TL, targets=TARGETS, direct=False):
    lp = x if direct else x.log_softmax(2)
    if concat:
        tg = lib.tensor(np.concatenate([targets[i, :tl[i]] for i in range(len(tl))]))
    else:
        tg = lib.tensor(targets)
    if lengths == "tensor":
        ilv, tlv = lib.tensor(il), lib.tensor(tl)
    else:
        ilv, tlv = [int(v) for v in il], tuple(int(v) for v in tl)
    return lib.nn.functional.ctc_loss(lp, tg, ilv, tlv, blank=blank, reduction=reduction,
                                      zero_infinity=zero_infinity)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("concat", [False, True])
def test_ctc_loss_matches_torch(reduction, concat):
    check_op(lambda lib, x: _ctc(lib, x, reduction, concat=concat), [(T, N, C)], lib=True)


def test_ctc_loss_gradient_on_log_probs_is_torchs():
    # torch's backward returns exp(lp) - ..., the gradient for log_softmax outputs; compared
    # on the log_probs leaf directly, so the exp(lp) term must be there too
    lp = np.log(np.random.default_rng(0).dirichlet(np.ones(C), (T, N)))
    check_op(lambda lib, x: _ctc(lib, x, "sum", direct=True), [lp], lib=True)


def test_ctc_loss_float32_list_lengths_and_blank():
    targets = TARGETS % (C - 1)  # labels 0..4, blank = 5
    check_op(lambda lib, x: _ctc(lib, x, "mean", blank=C - 1, lengths="list", targets=targets),
             [(T, N, C)], lib=True, dtype="float32", rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_loss_zero_infinity(reduction):
    il = np.array([12, 3, 0, 0])       # 3 frames cannot emit 5 labels; 0 frames: inf or 0
    tl = np.array([5, 5, 0, 2])
    check_op(lambda lib, x: _ctc(lib, x, reduction, True, il=il, tl=tl), [(T, N, C)], lib=True)
    g, t = check_op(lambda lib, x: _ctc(lib, x, "none", il=il, tl=tl), [(T, N, C)], lib=True,
                    grad=False)
    assert np.isinf(g.detach().numpy()[[1, 3]]).all() and g.detach().numpy()[2] == 0


def test_ctc_loss_unbatched_and_module():
    def fn(lib, x):
        loss = lib.nn.CTCLoss(blank=0, reduction="none")
        return loss(x.log_softmax(1), lib.tensor(TARGETS[0, :4]), lib.tensor(9), lib.tensor(4))
    g, _ = check_op(fn, [(T, C)], lib=True)
    assert g.shape == ()
    assert gt.nn.modules.loss.CTCLoss is gt.nn.CTCLoss


def test_ctc_loss_batch_of_16_is_fast():
    # the (T=50, N=16, C=20, S=30) batch of the brief, with values and gradients checked
    rng = np.random.default_rng(1)
    il, tl = rng.integers(40, 51, 16), rng.integers(1, 31, 16)
    targets = rng.integers(1, 20, (16, 30))
    check_op(lambda lib, x: _ctc(lib, x, "mean", il=il, tl=tl, targets=targets),
             [(50, 16, 20)], lib=True)


def _bad(**kw):
    return lambda lib, x: _ctc(lib, x, **kw)


@pytest.mark.parametrize("kw, exc, match", [
    (dict(tl=np.array([5, 4, 0, 6])), RuntimeError, "size at least 6 at dimension 1"),
    (dict(il=np.array([13, 4, 4, 4])), RuntimeError, "input_lengths to have value at most 12"),
    (dict(il=np.array([5, 5, 5])), RuntimeError, "input_lengths must be of size batch_size"),
    (dict(tl=np.array([1, 1])), RuntimeError, "target_lengths must be of size batch_size"),
    (dict(tl=np.array([-1, 1, 1, 1])), RuntimeError, "target_lengths to have value at least 0"),
    (dict(blank=C), RuntimeError, "blank must be in label range"),
    (dict(reduction="avg"), ValueError, "avg is not a valid value for reduction"),
])
def test_ctc_loss_errors(kw, exc, match):
    check_raises(_bad(**kw), [(T, N, C)], lib=True, match=match, exc=exc)


def test_ctc_loss_concatenated_targets_wrong_total():
    def fn(lib, x):
        return lib.nn.functional.ctc_loss(x.log_softmax(2), lib.tensor([1, 2, 3]),
                                          lib.tensor(IL), lib.tensor(TL))
    check_raises(fn, [(T, N, C)], lib=True, match="size 12 at dimension 0")


def test_ctc_loss_integer_log_probs():
    check_raises(lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(3, 1, 2, dtype=lib.int32), lib.tensor([[1]]), [3], [1]), lib=True,
        match="not implemented for 'Int'")


def test_ctc_loss_nonfinite_log_probs_like_torch():
    # torch's log-sum-exp: +inf among the terms gives NaN (NumPy's logaddexp would give inf);
    # an empty target reads its one position (-inf loss stays -inf under zero_infinity)
    x = np.random.default_rng(2).standard_normal((T, N, C))
    x[0, 0, 1], x[1, 1, 0], x[3, 2, 0], x[2, 3, 4] = np.inf, np.nan, np.inf, -np.inf
    for zi in (False, True):
        check_op(lambda lib, x: _ctc(lib, x, "none", zi, direct=True), [x], lib=True,
                 grad=False)


def test_ctc_loss_empty_log_probs():
    check_raises(lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(0, 0, 3), lib.zeros(0, 0, dtype=lib.int64), [], []), lib=True,
        match="log_probs tensor must not be empty")
