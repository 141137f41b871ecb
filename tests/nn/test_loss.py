"""Losses (glasstorch/ops/loss.py, loss_composed.py, nn/modules/loss.py) against torch: every
functional form over option tables (values and gradients of every float input in float64;
float32 results and transposed inputs), second derivatives, cross entropy's ignore_index /
weight / label_smoothing / K-dim / probability-target combinations, stability for logits ~ 1e4,
the Module forms (outputs, buffers, state_dict, repr). torch's errors and warnings:
test_loss_errors.py."""

import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import assert_close, check_op

from _loss_data import IGN, POS, PROB, SIGNS, W4, W5, F, _c


def _ce(**kw):
    """cross_entropy(x, t, **kw); weight given as an array becomes a constant tensor."""
    w = kw.pop("weight", None)
    return lambda lib, x, t: F(lib).cross_entropy(
        x, t, weight=None if w is None else _c(lib, w, x), **kw)


def _nll(**kw):
    w = kw.pop("weight", None)
    return lambda lib, x, t: F(lib).nll_loss(
        x, t, weight=None if w is None else _c(lib, w, x), **kw)


# ---- cross entropy / nll ---------------------------------------------------------------------
CE_CASES = [  # name, fn, input specs
    ("mean", _ce(), [(4, 5), ("int", (4,), 0, 5)]),
    ("sum", _ce(reduction="sum"), [(4, 5), ("int", (4,), 0, 5)]),
    ("none", _ce(reduction="none"), [(4, 5), ("int", (4,), 0, 5)]),
    ("weight", _ce(weight=W5), [(6, 5), ("int", (6,), 0, 5)]),
    ("weight_none", _ce(weight=W5, reduction="none"), [(6, 5), ("int", (6,), 0, 5)]),
    ("ignore_default", _ce(), [(6, 5), IGN]),
    ("ignore_weight", _ce(weight=W5), [(6, 5), IGN]),
    ("ignore_class", _ce(ignore_index=3, weight=W5), [(6, 5), IGN.clip(0)]),
    ("ignore_none", _ce(ignore_index=3, reduction="none"), [(6, 5), IGN.clip(0)]),
    ("smooth", _ce(label_smoothing=0.1), [(6, 5), ("int", (6,), 0, 5)]),
    ("smooth_weight", _ce(label_smoothing=0.25, weight=W5), [(6, 5), ("int", (6,), 0, 5)]),
    ("smooth_ignore", _ce(label_smoothing=0.2), [(6, 5), IGN]),
    ("smooth_all", _ce(label_smoothing=0.3, weight=W5, ignore_index=3), [(6, 5), IGN.clip(0)]),
    ("smooth_none", _ce(label_smoothing=0.3, weight=W5, reduction="none"), [(6, 5), IGN]),
    ("smooth_sum", _ce(label_smoothing=0.3, weight=W5, reduction="sum"), [(6, 5), IGN]),
    ("smooth_one", _ce(label_smoothing=1.0), [(6, 5), ("int", (6,), 0, 5)]),
    ("smooth_negative_ignored", _ce(label_smoothing=-0.2), [(6, 5), ("int", (6,), 0, 5)]),
    ("kdim", _ce(), [(2, 4, 3), ("int", (2, 3), 0, 4)]),
    ("kdim_4d", _ce(weight=W4, reduction="none"), [(2, 4, 3, 2), ("int", (2, 3, 2), 0, 4)]),
    ("kdim_all", _ce(weight=W4, label_smoothing=0.1, ignore_index=2),
     [(3, 4, 2, 2), ("int", (3, 2, 2), 0, 4)]),
    ("one_sample", _ce(), [(5,), np.array(3)]),
    ("one_sample_none", _ce(reduction="none", label_smoothing=0.1), [(5,), np.array(3)]),
    ("uint8_target", _ce(), [(3, 5), np.array([0, 4, 2], dtype=np.uint8)]),
    ("prob", _ce(), [(4, 5), (4, 5)]),
    ("prob_none", _ce(reduction="none"), [(4, 5), (4, 5)]),
    ("prob_weight", _ce(weight=W5, reduction="sum"), [(4, 5), (4, 5)]),
    ("prob_smooth", _ce(label_smoothing=0.2, weight=W5), [(4, 5), (4, 5)]),
    ("prob_kdim", _ce(label_smoothing=0.1), [(2, 4, 3), (2, 4, 3)]),
    ("prob_one_sample", _ce(), [(5,), (5,)]),
    ("empty_sum", _ce(reduction="sum"), [(0, 5), ("int", (0,), 0, 5)]),
    ("empty_mean_nan", _ce(), [(0, 5), ("int", (0,), 0, 5)]),
    ("all_ignored_nan", _ce(), [(2, 5), np.array([-100, -100])]),
    ("all_ignored_smooth_nan", _ce(label_smoothing=0.1), [(2, 5), np.array([-100, -100])]),
    ("nll", _nll(), [(4, 5), ("int", (4,), 0, 5)]),
    ("nll_none", _nll(reduction="none"), [(4, 5), ("int", (4,), 0, 5)]),
    ("nll_sum_weight", _nll(weight=W5, reduction="sum"), [(6, 5), IGN]),
    ("nll_weight_ignore", _nll(weight=W5, ignore_index=3), [(6, 5), IGN.clip(0)]),
    ("nll_kdim", _nll(weight=W4), [(2, 4, 3, 2), ("int", (2, 3, 2), 0, 4)]),
    ("nll_log_softmax_kdim", lambda lib, x, t: F(lib).nll_loss(
        F(lib).log_softmax(x, 1), t, weight=_c(lib, W4, x), ignore_index=0),
     [(2, 4, 3, 2), ("int", (2, 3, 2), 0, 4)]),
    ("nll_one_sample", _nll(reduction="none"), [(5,), np.array(1)]),
    ("nll_all_ignored", _nll(reduction="sum"), [(2, 5), np.array([-100, -100])]),
]
_CE = {name: (fn, specs) for name, fn, specs in CE_CASES}
# nll_loss's own gradient is constant in x: torch records a node for it all the same
# (NllLossBackwardBackward0), glasstorch does not, so it is tested behind a log_softmax
SECOND = ["mean", "weight_none", "smooth_all", "kdim_all", "prob_smooth",
          "nll_log_softmax_kdim", "one_sample_none", "all_ignored_smooth_nan"]
# torch's nll_loss2d backward raises "grad_input must be contiguous" on transposed inputs
TORCH_NEEDS_CONTIGUOUS = ["nll_kdim"]


@pytest.mark.parametrize("name, fn, specs", CE_CASES, ids=[c[0] for c in CE_CASES])
def test_cross_entropy_nll_float64(name, fn, specs):
    check_op(fn, specs, lib=True)


@pytest.mark.parametrize("name, fn, specs", CE_CASES, ids=[c[0] for c in CE_CASES])
def test_cross_entropy_nll_float32_transposed(name, fn, specs):
    layout = "C" if name in TORCH_NEEDS_CONTIGUOUS else "T"
    check_op(fn, specs, lib=True, dtype="float32", layout=layout)


@pytest.mark.parametrize("name", SECOND)
def test_cross_entropy_nll_second_derivatives(name):
    fn, specs = _CE[name]
    check_op(fn, specs, lib=True, double=True)


def test_cross_entropy_one_sample_with_1d_target_forward():
    # torch's own backward fails here ("size mismatch"), so only the value is compared
    check_op(_ce(weight=W5), [(5,), np.array([2])], lib=True, grad=False)


def test_cross_entropy_probability_target_dtype_promotes():
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    t = np.random.default_rng(2).uniform(0, 1, (3, 4))
    check_op(lambda lib, x, t: F(lib).cross_entropy(x, t), [x, t], lib=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_large_logits_stable(dtype):
    x = np.array([[1e4, -1e4, 0.0], [0.0, 0.0, 1e4], [-1e4, -1e4, -1e4], [3e4, 3e4, -5.0]],
                 dtype=dtype)
    t = np.array([1, 2, 0, 0])
    for kw in ({}, {"reduction": "none"}, {"label_smoothing": 0.1}, {"weight": W4[:3]}):
        g, _ = check_op(_ce(**kw), [x, t], lib=True, rtol=1e-6, atol=1e-6)
        assert np.isfinite(g.detach().numpy()).all()
    check_op(_ce(), [x, x * 0 + np.array([0.2, 0.3, 0.5], dtype=dtype)], lib=True)


def test_cross_entropy_matches_log_softmax_nll_composite():
    # the fused op against its composite twin, including the gradient
    x = gt.randn(6, 5, dtype=gt.float64, requires_grad=True)
    t = gt.tensor(IGN)
    w = gt.tensor(W5)
    fused = gt.nn.functional.cross_entropy(x, t, weight=w)
    twin = gt.nn.functional.nll_loss(x.log_softmax(1), t, weight=w)
    assert_close(fused, twin)
    g1, = gt.autograd.grad(fused, x)
    g2, = gt.autograd.grad(twin, x)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-12, atol=1e-14)


def test_cross_entropy_grad_fn_name():
    x = gt.randn(2, 3, requires_grad=True)
    assert "NllLossBackward0" in repr(gt.nn.functional.cross_entropy(x, gt.tensor([0, 2])).grad_fn)


# the plain path (ops/loss.py): (N, C) logits, every target a class, no weight or smoothing;
# its backward works on arrays unless create_graph. ignore_index inside [0, C) takes the general
# path even when no target equals it.
PLAIN = [((128, 10), {}), ((128, 10), {"reduction": "sum"}), ((64, 3), {"reduction": "none"}),
         ((70, 5), {"ignore_index": 7}), ((9, 40), {}), ((1, 2), {})]


@pytest.mark.parametrize("shape, kw", PLAIN, ids=[f"{s}-{k}" for s, k in PLAIN])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cross_entropy_plain_path(shape, kw, dtype):
    n, c = shape
    g, _ = check_op(_ce(**kw), [shape, ("int", (n,), 0, c)], lib=True, dtype=dtype,
                    double=dtype == "float64")
    assert g.grad_fn.plain


@pytest.mark.parametrize("kw, t", [({"ignore_index": 3}, [0, 1, 2, 4, 4, 0]),   # in range
                                   ({}, np.array([0, 4, 2, 1, 0, 3], dtype=np.uint8))])
def test_cross_entropy_plain_path_edges(kw, t):
    t = np.asarray(t)
    g, _ = check_op(_ce(**kw), [(6, 5), t], lib=True, double=True)
    assert g.grad_fn.plain == (t.dtype == np.uint8)


def test_cross_entropy_plain_path_retain_graph_twice():
    # the array backward must not consume the softmax forward saved: a second backward (and
    # the accumulated .grad) match torch's
    x0 = np.random.default_rng(3).standard_normal((16, 4)).astype(np.float32)
    t0 = np.arange(16) % 4
    grads = []
    for lib in (gt, torch):
        x = lib.tensor(x0, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(x, lib.tensor(t0))
        loss.backward(retain_graph=True)
        loss.backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-7)


# ---- binary cross entropy --------------------------------------------------------------------
def _bce(**kw):
    w = kw.pop("weight", None)
    return lambda lib, x, t: F(lib).binary_cross_entropy(
        x, t, weight=None if w is None else _c(lib, w, x), **kw)


def _bcel(**kw):
    w, pw = kw.pop("weight", None), kw.pop("pos_weight", None)
    return lambda lib, x, t: F(lib).binary_cross_entropy_with_logits(
        x, t, weight=None if w is None else _c(lib, w, x),
        pos_weight=None if pw is None else _c(lib, pw, x), **kw)


BCE_CASES = [  # name, fn, input specs (BCE inputs are probabilities; targets take grads too)
    ("bce", _bce(), [PROB, PROB[::-1].copy()]),
    ("bce_none", _bce(reduction="none"), [PROB, PROB[::-1].copy()]),
    ("bce_sum_weight", _bce(weight=W5, reduction="sum"), [PROB, PROB[::-1].copy()]),
    ("bce_weight_column", _bce(weight=W4[:, None]), [PROB, np.round(PROB)]),
    ("bce_zero_dim", _bce(), [np.array(0.3), np.array(1.0)]),
    ("bcel", _bcel(), [(4, 5), PROB]),
    ("bcel_none", _bcel(reduction="none"), [(4, 5), PROB]),
    ("bcel_weight", _bcel(weight=W5, reduction="sum"), [(4, 5), PROB]),
    ("bcel_pos_weight", _bcel(pos_weight=W5), [(4, 5), PROB]),
    ("bcel_both", _bcel(pos_weight=W5, weight=W4[:, None], reduction="none"), [(4, 5), PROB]),
    ("bcel_kdim_pos_weight", _bcel(pos_weight=W4[:, None, None]), [(2, 4, 3, 3), (2, 4, 3, 3)]),
    ("bcel_empty", _bcel(reduction="sum"), [(0, 5), (0, 5)]),
]
_BCE = {name: (fn, specs) for name, fn, specs in BCE_CASES}


@pytest.mark.parametrize("name, fn, specs", BCE_CASES, ids=[c[0] for c in BCE_CASES])
def test_binary_cross_entropy_float64(name, fn, specs):
    check_op(fn, specs, lib=True)


@pytest.mark.parametrize("name, fn, specs", BCE_CASES, ids=[c[0] for c in BCE_CASES])
def test_binary_cross_entropy_float32_transposed(name, fn, specs):
    specs = [s.astype(np.float32) if isinstance(s, np.ndarray) else s for s in specs]
    check_op(fn, specs, lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("name", ["bce_sum_weight", "bcel_both", "bcel_pos_weight"])
def test_binary_cross_entropy_second_derivatives(name):
    fn, specs = _BCE[name]
    check_op(fn, specs, lib=True, double=True)


def test_bce_with_logits_float64_target_promotes():
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    check_op(_bcel(reduction="none"), [x, POS / 2], lib=True)


def test_bce_clamps_log_at_minus_100():
    x = np.array([0.0, 1.0, 0.5, 1.0, 0.0])
    t = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    g, _ = check_op(lambda lib, x: F(lib).binary_cross_entropy(x, lib.tensor(t),
                                                                reduction="none"), [x], lib=True)
    np.testing.assert_array_equal(g.detach().numpy()[:2], [100.0, 100.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_with_logits_large_logits_stable(dtype):
    x = np.array([-1e4, 1e4, -1e4, 1e4, 0.0, 30.0, -30.0, 80.0], dtype=dtype)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.5, 0.5, 0.0], dtype=dtype)
    for kw in ({"reduction": "none"}, {"pos_weight": np.full(8, 2.5)}, {"weight": np.ones(8)}):
        g, _ = check_op(_bcel(**kw), [x, t], lib=True, rtol=1e-6, atol=1e-6)
        assert np.isfinite(g.detach().numpy()).all()


# ---- pointwise regression losses ---------------------------------------------------------------
def _pw(name, **kw):
    w = kw.pop("weight", None)
    if w is None:
        return lambda lib, x, t: getattr(F(lib), name)(x, t, **kw)
    return lambda lib, x, t: getattr(F(lib), name)(x, t, weight=_c(lib, w, x), **kw)


POINTWISE = [
    ("mse", _pw("mse_loss"), [(3, 4), (3, 4)]),
    ("mse_none", _pw("mse_loss", reduction="none"), [(3, 4), (3, 4)]),
    ("mse_sum", _pw("mse_loss", reduction="sum"), [(3, 4), (3, 4)]),
    ("mse_weight", _pw("mse_loss", weight=POS), [(3, 4), (3, 4)]),
    ("mse_weight_sum", _pw("mse_loss", weight=POS, reduction="sum"), [(3, 4), (3, 4)]),
    ("mse_empty", _pw("mse_loss", reduction="sum"), [(0, 4), (0, 4)]),
    ("l1", _pw("l1_loss"), [(3, 4), (3, 4)]),
    ("l1_none", _pw("l1_loss", reduction="none"), [(3, 4), (3, 4)]),
    ("l1_weight", _pw("l1_loss", weight=POS), [(3, 4), (3, 4)]),
    ("smooth_l1", _pw("smooth_l1_loss"), [(3, 4), (3, 4)]),
    ("smooth_l1_beta", _pw("smooth_l1_loss", beta=0.4, reduction="none"), [(3, 4), (3, 4)]),
    ("smooth_l1_beta0", _pw("smooth_l1_loss", beta=0.0, reduction="sum"), [(3, 4), (3, 4)]),
    ("smooth_l1_big_beta", _pw("smooth_l1_loss", beta=3.0), [(3, 4), (3, 4)]),
    ("huber", _pw("huber_loss"), [(3, 4), (3, 4)]),
    ("huber_delta", _pw("huber_loss", delta=0.3, reduction="none"), [(3, 4), (3, 4)]),
    ("huber_weight", _pw("huber_loss", delta=2.0, weight=POS), [(3, 4), (3, 4)]),
    ("soft_margin", lambda lib, x: F(lib).soft_margin_loss(x, _c(lib, SIGNS, x)), [(4,)]),
    ("soft_margin_none", lambda lib, x: F(lib).soft_margin_loss(
        x, _c(lib, SIGNS, x), reduction="none"), [(2, 4)]),
    ("kl", _pw("kl_div", reduction="batchmean"), [(3, 4), POS]),
    ("kl_none", _pw("kl_div", reduction="none"), [(3, 4), np.where(POS > 1, POS, 0.0)]),
    ("kl_sum_log_target", _pw("kl_div", reduction="sum", log_target=True), [(3, 4), (3, 4)]),
    ("kl_batchmean_0d", _pw("kl_div", reduction="batchmean"), [(), np.array(0.4)]),
    ("poisson", _pw("poisson_nll_loss"), [(3, 4), POS]),
    ("poisson_rate", _pw("poisson_nll_loss", log_input=False, reduction="none"),
     [POS, POS.T.reshape(3, 4).copy()]),
    ("poisson_full", _pw("poisson_nll_loss", full=True, reduction="sum"), [(3, 4), POS * 2]),
    ("poisson_eps", _pw("poisson_nll_loss", log_input=False, eps=0.5), [POS, POS * 3]),
    ("hinge", _pw("hinge_embedding_loss"), [(3, 4), np.tile(SIGNS, (3, 1))]),
    ("hinge_margin", _pw("hinge_embedding_loss", margin=0.5, reduction="none"),
     [(3, 4), np.tile(SIGNS, (3, 1))]),
    ("hinge_other_target", _pw("hinge_embedding_loss", reduction="none"),
     [(4,), np.array([1.0, -1.0, 0.0, 2.0])]),
    ("multilabel_soft_margin", _pw("multilabel_soft_margin_loss"), [(3, 4), np.round(POS / 2)]),
    ("multilabel_soft_margin_w", _pw("multilabel_soft_margin_loss", weight=W4,
                                     reduction="none"), [(3, 4), POS / 2]),
    ("multilabel_soft_margin_1d", _pw("multilabel_soft_margin_loss", reduction="sum"),
     [(4,), SIGNS.clip(0)]),
]
_PW = {name: (fn, specs) for name, fn, specs in POINTWISE}


@pytest.mark.parametrize("name, fn, specs", POINTWISE, ids=[c[0] for c in POINTWISE])
def test_pointwise_losses_float64(name, fn, specs):
    check_op(fn, specs, lib=True)


@pytest.mark.parametrize("name, fn, specs", POINTWISE, ids=[c[0] for c in POINTWISE])
def test_pointwise_losses_float32_transposed(name, fn, specs):
    specs = [s.astype(np.float32) if isinstance(s, np.ndarray) else s for s in specs]
    check_op(fn, specs, lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("name", ["mse", "smooth_l1_beta", "huber_delta", "kl_sum_log_target",
                                  "poisson_full", "multilabel_soft_margin_w"])
def test_pointwise_losses_second_derivatives(name):
    fn, specs = _PW[name]
    check_op(fn, specs, lib=True, double=True)


def test_kl_div_mean_warns_like_torch():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        check_op(_pw("kl_div"), [(3, 4), POS], lib=True)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_pointwise_size_mismatch_warns_and_broadcasts(name):
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3\]\)\) that is "
                                         r"different to the input size \(torch.Size\(\[3, 1\]\)\)"):
        check_op(_pw(name), [(3, 1), (3,)], lib=True)


def test_legacy_size_average_reduce_flags():
    for sa, red in ((False, None), (None, False), (True, True)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            check_op(lambda lib, x, t: F(lib).mse_loss(x, t, size_average=sa, reduce=red),
                     [(3, 4), (3, 4)], lib=True)


# ---- gaussian nll: var shapes ------------------------------------------------------------------
GAUSS = [
    ("same_shape", {}, [(3, 4), (3, 4), POS]),
    ("one_dim_short", {}, [(3, 4), (3, 4), POS[:, 0].copy()]),
    ("last_dim_one", {"reduction": "sum"}, [(3, 4), (3, 4), POS[:, :1].copy()]),
    ("middle_dim_one", {"reduction": "none"}, [(3, 4), (3, 4), POS[:1].copy()]),
    ("full", {"full": True}, [(3, 4), (3, 4), POS]),
    ("clamped_eps", {"eps": 0.5, "reduction": "none"}, [(3, 4), (3, 4), POS]),
]


@pytest.mark.parametrize("name, kw, specs", GAUSS, ids=[c[0] for c in GAUSS])
def test_gaussian_nll_loss(name, kw, specs):
    fn = lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v, **kw)  # noqa: E731
    check_op(fn, specs, lib=True)
    check_op(fn, [s.astype(np.float32) if isinstance(s, np.ndarray) else s for s in specs],
             lib=True, dtype="float32")


def test_gaussian_nll_loss_float_var():
    check_op(lambda lib, x, t: F(lib).gaussian_nll_loss(x, t, 0.7, full=True), [(3, 4), (3, 4)],
             lib=True)
