"""Pointwise losses and distances given operands that do not broadcast: torch's RuntimeError
(its words: "The size of tensor a (2) must match the size of tensor b (4) at non-singleton
dimension 0", a and b in torch's order), with glasstorch's suffix naming the loss the user
called and both shapes, not the `sub`/`mul`/`broadcast_tensors` inside it. Shapes that
broadcast still work, with torch's values."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt


def _args(lib, shapes, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        if s == "t2":
            out.append(lib.tensor([1.0, -1.0]))
        elif s == "t4":
            out.append(lib.tensor([1.0, -1.0, 1.0, 1.0]))
        else:
            out.append(lib.tensor(rng.random(s)))
    return out


F = "nn.functional."
# (label, function path, operand shapes, extra kwargs, name in glasstorch's message)
CASES = [
    ("mse", F + "mse_loss", [(2, 3), (4, 3)], {}, "mse_loss"),
    ("mse_none", F + "mse_loss", [(2, 3), (4, 3)], {"reduction": "none"}, "mse_loss"),
    ("l1", F + "l1_loss", [(2, 3), (4, 3)], {}, "l1_loss"),
    ("smooth_l1", F + "smooth_l1_loss", [(2, 3), (4, 3)], {}, "smooth_l1_loss"),
    ("huber", F + "huber_loss", [(2, 3), (4, 3)], {}, "huber_loss"),
    ("kl_div", F + "kl_div", [(2, 3), (4, 3)], {"reduction": "batchmean"}, "kl_div"),
    ("poisson", F + "poisson_nll_loss", [(2, 3), (4, 3)], {}, "poisson_nll_loss"),
    ("gaussian", F + "gaussian_nll_loss", [(2, 3), (4, 3), (2, 3)], {}, "gaussian_nll_loss"),
    ("soft_margin", F + "soft_margin_loss", [(2, 3), (4, 3)], {}, "soft_margin_loss"),
    ("multilabel_soft", F + "multilabel_soft_margin_loss", [(2, 3), (4, 3)], {},
     "multilabel_soft_margin_loss"),
    ("hinge", F + "hinge_embedding_loss", [(2, 3), (4, 3)], {}, "hinge_embedding_loss"),
    ("margin_ranking", F + "margin_ranking_loss", [(2,), (4,), "t2"], {},
     "margin_ranking_loss"),
    ("margin_ranking_t", F + "margin_ranking_loss", [(2,), (2,), "t4"], {},
     "margin_ranking_loss"),
    ("cosine_embedding", F + "cosine_embedding_loss", [(2, 3), (4, 3), "t2"], {},
     "cosine_embedding_loss"),
    ("triplet", F + "triplet_margin_loss", [(2, 3), (2, 3), (4, 3)], {},
     "triplet_margin_loss"),
    ("triplet_distance", F + "triplet_margin_with_distance_loss", [(2, 3), (4, 3), (2, 3)],
     {}, "triplet_margin_with_distance_loss"),
    ("pairwise_distance", F + "pairwise_distance", [(2, 3), (4, 3)], {}, "pairwise_distance"),
    ("cosine_similarity", F + "cosine_similarity", [(2, 3), (4, 3)], {}, "cosine_similarity"),
    ("MSELoss", "nn.MSELoss", [(2, 3), (4, 3)], {}, "mse_loss"),
]


def _fn(lib, path):
    obj = lib
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj() if isinstance(obj, type) else obj


def _call(lib, path, shapes, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")    # "Using a target size ... different" (both warn)
        return _fn(lib, path)(*_args(lib, shapes), **kw)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_error_names_the_loss_and_shapes(case):
    label, path, shapes, kw, name = case
    with pytest.raises(RuntimeError) as want:
        _call(torch, path, shapes, kw)
    with pytest.raises(RuntimeError) as got:
        _call(gt, path, shapes, kw)
    msg = str(got.value)
    assert msg.startswith(str(want.value)), (msg, str(want.value))   # torch's words and order
    assert f"({name}: shapes [" in msg, msg
    for inner in ("(sub:", "(mul:", "(broadcast_tensors:"):
        assert inner not in msg


@pytest.mark.parametrize("path", ["mse_loss", "l1_loss", "huber_loss", "kl_div",
                                  "poisson_nll_loss", "hinge_embedding_loss",
                                  "pairwise_distance", "cosine_similarity"])
def test_broadcastable_shapes_still_match_torch(path):
    shapes = [(2, 3), (3, 1, 3)] if "loss" in path or path == "kl_div" else [(2, 3), (1, 3)]
    want = _call(torch, F + path, shapes, {})
    got = _call(gt, F + path, shapes, {})
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def test_mse_warns_before_the_error():
    """torch warns about the differing sizes, then fails: both, in that order."""
    x, y = gt.rand(2, 3), gt.rand(4, 3)
    with pytest.warns(UserWarning, match="different to the input size"):
        with pytest.raises(RuntimeError, match=r"mse_loss: shapes \[2, 3\], \[4, 3\]"):
            gt.nn.functional.mse_loss(x, y)
