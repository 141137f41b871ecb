"""Margin and embedding losses and the loss Modules (nn/modules/loss.py) against torch: option
tables (values and gradients in float64; float32 with transposed inputs), the Module forms
(outputs, buffers, state_dict, repr) and their argument errors. The other losses: test_loss.py."""

import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import check_op, check_raises
from _loss_data import IGN, POS, PROB, SIGNS, W4, W5, F, _c


# ---- margin and embedding losses ---------------------------------------------------------------
MMT = np.array([0, 3, 1, 3, 2])  # targets of multi_margin_loss, C = 4
MLT = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 2, 2], [-1, 0, 0, 0], [2, 2, 0, -1]])


def _mm(**kw):
    w = kw.pop("weight", None)
    return lambda lib, x, t: F(lib).multi_margin_loss(
        x, t, weight=None if w is None else _c(lib, w, x), **kw)


MARGIN = [
    ("cosine_embedding", lambda lib, a, b, t: F(lib).cosine_embedding_loss(a, b, t),
     [(4, 6), (4, 6), SIGNS]),
    ("cosine_embedding_margin", lambda lib, a, b, t: F(lib).cosine_embedding_loss(
        a, b, t, margin=-0.3, reduction="none"), [(4, 6), (4, 6), SIGNS]),
    ("cosine_embedding_1d", lambda lib, a, b, t: F(lib).cosine_embedding_loss(
        a, b, t, reduction="sum"), [(6,), (6,), np.array(-1.0)]),
    ("margin_ranking", lambda lib, a, b, t: F(lib).margin_ranking_loss(a, b, t),
     [(4,), (4,), SIGNS]),
    ("margin_ranking_margin", lambda lib, a, b, t: F(lib).margin_ranking_loss(
        a, b, t, margin=0.5, reduction="none"), [(3, 4), (3, 4), np.tile(SIGNS, (3, 1))]),
    ("triplet", lambda lib, a, p, n: F(lib).triplet_margin_loss(a, p, n), [(5, 3), (5, 3), (5, 3)]),
    ("triplet_p1_swap", lambda lib, a, p, n: F(lib).triplet_margin_loss(
        a, p, n, p=1, swap=True, margin=2.0, reduction="none"), [(5, 3), (5, 3), (5, 3)]),
    ("triplet_p3_eps", lambda lib, a, p, n: F(lib).triplet_margin_loss(
        a, p, n, p=3, eps=0.1, reduction="sum"), [(5, 3), (5, 3), (5, 3)]),
    ("triplet_1d", lambda lib, a, p, n: F(lib).triplet_margin_loss(a, p, n, margin=3.0),
     [(3,), (3,), (3,)]),
    ("triplet_3d", lambda lib, a, p, n: F(lib).triplet_margin_loss(
        a, p, n, margin=3.0, reduction="none"), [(2, 2, 3), (2, 2, 3), (2, 2, 3)]),
    ("triplet_distance_fn", lambda lib, a, p, n: F(lib).triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda x, y: 1 - F(lib).cosine_similarity(x, y), swap=True,
        margin=1.5), [(5, 3), (5, 3), (5, 3)]),
    ("triplet_distance_default", lambda lib, a, p, n: F(lib).triplet_margin_with_distance_loss(
        a, p, n, reduction="none", margin=2.0), [(5, 3), (5, 3), (5, 3)]),
    ("multi_margin", _mm(), [(5, 4), MMT]),
    ("multi_margin_p2", _mm(p=2, margin=0.7, reduction="none"), [(5, 4), MMT]),
    ("multi_margin_weight", _mm(weight=W4, reduction="sum"), [(5, 4), MMT]),
    ("multi_margin_p2_weight", _mm(p=2, weight=W4), [(5, 4), MMT]),
    ("multi_margin_1d", _mm(reduction="none"), [(4,), np.array(2)]),
    ("multi_margin_1d_1d", _mm(reduction="none"), [(4,), np.array([2])]),
    ("multi_margin_0d", _mm(), [(), np.array(0)]),
    ("multilabel_margin", lambda lib, x, t: F(lib).multilabel_margin_loss(x, t), [(5, 4), MLT]),
    ("multilabel_margin_none", lambda lib, x, t: F(lib).multilabel_margin_loss(
        x, t, reduction="none"), [(5, 4), MLT]),
    ("multilabel_margin_1d", lambda lib, x, t: F(lib).multilabel_margin_loss(
        x, t, reduction="none"), [(4,), MLT[0]]),
]


@pytest.mark.parametrize("name, fn, specs", MARGIN, ids=[c[0] for c in MARGIN])
def test_margin_losses_float64(name, fn, specs):
    check_op(fn, specs, lib=True)


@pytest.mark.parametrize("name, fn, specs", MARGIN, ids=[c[0] for c in MARGIN])
def test_margin_losses_float32_transposed(name, fn, specs):
    specs = [s.astype(np.float32) if isinstance(s, np.ndarray) and s.dtype.kind == "f" else s
             for s in specs]
    check_op(fn, specs, lib=True, dtype="float32", layout="T")


# ---- modules ---------------------------------------------------------------------------------
def _w(lib, a):
    return lib.tensor(np.asarray(a, dtype=np.float32))


MODULES = [  # name, make(lib), input specs (float32)
    ("L1Loss", lambda lib: lib.nn.L1Loss(), [(3, 4), (3, 4)]),
    ("MSELoss", lambda lib: lib.nn.MSELoss(reduction="sum"), [(3, 4), (3, 4)]),
    ("SmoothL1Loss", lambda lib: lib.nn.SmoothL1Loss(beta=0.5), [(3, 4), (3, 4)]),
    ("HuberLoss", lambda lib: lib.nn.HuberLoss(delta=0.5, reduction="none"), [(3, 4), (3, 4)]),
    ("CrossEntropyLoss", lambda lib: lib.nn.CrossEntropyLoss(
        weight=_w(lib, W5), ignore_index=3, label_smoothing=0.1), [(6, 5), IGN.clip(0)]),
    ("NLLLoss", lambda lib: lib.nn.NLLLoss(weight=_w(lib, W5)), [(6, 5), IGN]),
    ("BCELoss", lambda lib: lib.nn.BCELoss(weight=_w(lib, W5)),
     [PROB.astype(np.float32), PROB[::-1].astype(np.float32)]),
    ("BCEWithLogitsLoss", lambda lib: lib.nn.BCEWithLogitsLoss(
        weight=_w(lib, W4[:, None]), pos_weight=_w(lib, W5)), [(4, 5), PROB.astype(np.float32)]),
    ("KLDivLoss", lambda lib: lib.nn.KLDivLoss(reduction="batchmean", log_target=True),
     [(3, 4), (3, 4)]),
    ("PoissonNLLLoss", lambda lib: lib.nn.PoissonNLLLoss(full=True),
     [(3, 4), (POS * 2).astype(np.float32)]),
    ("GaussianNLLLoss", lambda lib: lib.nn.GaussianNLLLoss(full=True),
     [(3, 4), (3, 4), POS.astype(np.float32)]),
    ("HingeEmbeddingLoss", lambda lib: lib.nn.HingeEmbeddingLoss(margin=0.5),
     [(4,), SIGNS.astype(np.float32)]),
    ("MultiLabelMarginLoss", lambda lib: lib.nn.MultiLabelMarginLoss(), [(5, 4), MLT]),
    ("SoftMarginLoss", lambda lib: lib.nn.SoftMarginLoss(), [(4,), SIGNS.astype(np.int64)]),
    ("MultiLabelSoftMarginLoss", lambda lib: lib.nn.MultiLabelSoftMarginLoss(
        weight=_w(lib, W4)), [(3, 4), (POS / 2).astype(np.float32)]),
    ("CosineEmbeddingLoss", lambda lib: lib.nn.CosineEmbeddingLoss(margin=0.1),
     [(4, 6), (4, 6), SIGNS.astype(np.float32)]),
    ("MarginRankingLoss", lambda lib: lib.nn.MarginRankingLoss(margin=0.2),
     [(4,), (4,), SIGNS.astype(np.float32)]),
    ("MultiMarginLoss", lambda lib: lib.nn.MultiMarginLoss(p=2, weight=_w(lib, W4)),
     [(5, 4), MMT]),
    ("TripletMarginLoss", lambda lib: lib.nn.TripletMarginLoss(margin=2.0, swap=True),
     [(5, 3), (5, 3), (5, 3)]),
    ("TripletMarginWithDistanceLoss", lambda lib: lib.nn.TripletMarginWithDistanceLoss(
        margin=2.0), [(5, 3), (5, 3), (5, 3)]),
]


@pytest.mark.parametrize("name, make, specs", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules_vs_torch(name, make, specs):
    g, t = make(gt), make(torch)
    check_op(lambda lib, *xs: (g if lib is gt else t)(*xs), specs, lib=True, dtype="float32")
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(g.state_dict()[k].numpy(), v.numpy())


def test_loss_module_attributes_and_buffers():
    g = gt.nn.CrossEntropyLoss(weight=gt.ones(3), ignore_index=1, label_smoothing=0.2)
    assert (g.reduction, g.ignore_index, g.label_smoothing) == ("mean", 1, 0.2)
    assert [n for n, _ in g.named_buffers()] == ["weight"]
    assert gt.nn.BCEWithLogitsLoss().state_dict() == {}
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert gt.nn.MSELoss(size_average=False).reduction == "sum"
    assert gt.nn.PairwiseDistance(p=3).norm == 3


MODULE_ERRORS = [
    (lambda lib: lib.nn.MultiMarginLoss(p=3), ValueError, "only p == 1 and p == 2"),
    (lambda lib: lib.nn.MultiMarginLoss(weight=lib.ones(2, 2)), ValueError, "got 2D instead"),
    (lambda lib: lib.nn.TripletMarginLoss(margin=0.0), ValueError, "greater than 0"),
    (lambda lib: lib.nn.TripletMarginWithDistanceLoss(margin=-1.0), ValueError, "greater than"),
    (lambda lib: lib.nn.HuberLoss(delta="1"), TypeError, "delta must be a float or int"),
]


@pytest.mark.parametrize("make, exc, match", MODULE_ERRORS)
def test_loss_module_errors(make, exc, match):
    check_raises(make, lib=True, exc=exc, match=match)
