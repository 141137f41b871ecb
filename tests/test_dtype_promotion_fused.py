"""Result dtypes (or exception types) of the fused ops — losses, normalizations, linear,
convolution, distances, attention — for every pair of dtypes of their tensor arguments, checked
against torch. Binary arithmetic's promotion table is tests/test_dtype_promotion.py; this file
covers the ops that take several tensors and decide their dtype rule themselves (a float32
loss with an int64 weight, a float16 input with float32 LayerNorm parameters, ...)."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _arg(lib, dtype, shape, kind):
    rng = np.random.default_rng(0)
    if kind == "idx":           # class indices < shape[-1]
        return lib.tensor(rng.integers(0, 3, shape)).to(getattr(lib, dtype))
    a = rng.random(shape) * 0.8 + 0.1 if kind == "p" else rng.random(shape) * 2 - 0.5
    return lib.tensor(a).to(getattr(lib, dtype))


def _outcome(fn, lib, args):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fn(lib, *args)
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__
    r = r[0] if isinstance(r, tuple) else r
    return str(r.dtype).split(".")[-1]


def F(lib):
    return lib.nn.functional


# name -> (fn(lib, *tensors), [(shape, kind)] per tensor). The first two tensors take every
# pair of dtypes; further tensors take the second one's dtype.
CASES = {
    "layer_norm": (lambda lib, a, w, b: F(lib).layer_norm(a, (3,), w, b),
                   [((4, 3), "x"), ((3,), "p"), ((3,), "x")]),
    "group_norm": (lambda lib, a, w, b: F(lib).group_norm(a, 1, w, b),
                   [((4, 3), "x"), ((3,), "p"), ((3,), "x")]),
    "batch_norm": (lambda lib, a, m, v, w, b: F(lib).batch_norm(a, m, v, w, b),
                   [((4, 3), "x"), ((3,), "x"), ((3,), "p"), ((3,), "p"), ((3,), "x")]),
    "batch_norm_train": (lambda lib, a, m, v: F(lib).batch_norm(a, m, v, training=True),
                         [((4, 3), "x"), ((3,), "x"), ((3,), "p")]),
    "linear": (lambda lib, a, w, b: F(lib).linear(a, w, b),
               [((4, 3), "x"), ((2, 3), "x"), ((2,), "x")]),
    "conv1d": (lambda lib, a, w, b: F(lib).conv1d(a, w, b),
               [((1, 2, 5), "x"), ((3, 2, 2), "x"), ((3,), "x")]),
    "conv_transpose2d": (lambda lib, a, w: F(lib).conv_transpose2d(a, w),
                         [((1, 2, 3, 3), "x"), ((2, 1, 2, 2), "x")]),
    "cdist": (lambda lib, a, b: lib.cdist(a, b), [((4, 3), "x"), ((5, 3), "x")]),
    "cosine_similarity": (lambda lib, a, b: F(lib).cosine_similarity(a, b),
                          [((4, 3), "x"), ((4, 3), "x")]),
    "pairwise_distance": (lambda lib, a, b: F(lib).pairwise_distance(a, b),
                          [((4, 3), "x"), ((4, 3), "x")]),
    "embedding": (lambda lib, i, w: F(lib).embedding(i.long(), w), [((4,), "idx"), ((5, 3), "x")]),
    "sdpa": (lambda lib, q, k, v: F(lib).scaled_dot_product_attention(q, k, v),
             [((2, 4, 3), "x"), ((2, 4, 3), "x"), ((2, 4, 3), "x")]),
    "sdpa_mask": (lambda lib, q, k, v, m: F(lib).scaled_dot_product_attention(q, k, v,
                                                                              attn_mask=m),
                  [((2, 4, 3), "x"), ((2, 4, 3), "x"), ((2, 4, 3), "x"), ((4, 4), "x")]),
    "addmm": (lambda lib, c, a, b: lib.addmm(c, a, b), [((2, 2), "x"), ((2, 3), "x"),
                                                         ((3, 2), "x")]),
    "where": (lambda lib, c, a, b: lib.where(c > 0.5, a, b), [((4,), "p"), ((4,), "x"),
                                                              ((4,), "x")]),
    "mse_loss": (lambda lib, a, b: F(lib).mse_loss(a, b), [((4, 3), "x"), ((4, 3), "x")]),
    "l1_loss_sum": (lambda lib, a, b: F(lib).l1_loss(a, b, reduction="sum"),
                    [((4, 3), "x"), ((4, 3), "x")]),
    "l1_loss": (lambda lib, a, b: F(lib).l1_loss(a, b), [((4, 3), "x"), ((4, 3), "x")]),
    "smooth_l1_loss": (lambda lib, a, b: F(lib).smooth_l1_loss(a, b),
                       [((4, 3), "x"), ((4, 3), "x")]),
    "huber_loss": (lambda lib, a, b: F(lib).huber_loss(a, b), [((4, 3), "x"), ((4, 3), "x")]),
    "binary_cross_entropy": (lambda lib, a, b, w: F(lib).binary_cross_entropy(a, b, weight=w),
                             [((4, 3), "p"), ((4, 3), "p"), ((4, 3), "p")]),
    "bce_with_logits": (lambda lib, a, b, w: F(lib).binary_cross_entropy_with_logits(
        a, b, pos_weight=w), [((4, 3), "x"), ((4, 3), "p"), ((3,), "p")]),
    "cross_entropy_weight": (lambda lib, a, t, w: F(lib).cross_entropy(a, t.long(), weight=w),
                             [((4, 3), "x"), ((4,), "idx"), ((3,), "p")]),
    "cross_entropy_probs": (lambda lib, a, b: F(lib).cross_entropy(a, b),
                            [((4, 3), "x"), ((4, 3), "p")]),
    "nll_loss_weight": (lambda lib, a, t, w: F(lib).nll_loss(a, t.long(), weight=w),
                        [((4, 3), "x"), ((4,), "idx"), ((3,), "p")]),
    "kl_div": (lambda lib, a, b: F(lib).kl_div(a, b, reduction="batchmean"),
               [((4, 3), "x"), ((4, 3), "p")]),
    "poisson_nll_loss": (lambda lib, a, b: F(lib).poisson_nll_loss(a, b),
                         [((4, 3), "x"), ((4, 3), "p")]),
    "gaussian_nll_loss": (lambda lib, a, b, v: F(lib).gaussian_nll_loss(a, b, v),
                          [((4, 3), "x"), ((4, 3), "x"), ((4, 3), "p")]),
    "cosine_embedding_loss": (lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y),
                              [((4, 3), "x"), ((4, 3), "x"), ((4,), "x")]),
    "margin_ranking_loss": (lambda lib, a, b, y: F(lib).margin_ranking_loss(a, b, y),
                            [((4,), "x"), ((4,), "x"), ((4,), "x")]),
    "hinge_embedding_loss": (lambda lib, a, y: F(lib).hinge_embedding_loss(a, y),
                             [((4,), "x"), ((4,), "x")]),
    "soft_margin_loss": (lambda lib, a, y: F(lib).soft_margin_loss(a, y),
                         [((4,), "x"), ((4,), "x")]),
    "multilabel_soft_margin_loss": (lambda lib, a, y: F(lib).multilabel_soft_margin_loss(a, y),
                                    [((4, 3), "x"), ((4, 3), "p")]),
    "triplet_margin_loss": (lambda lib, a, b, c: F(lib).triplet_margin_loss(a, b, c),
                            [((4, 3), "x"), ((4, 3), "x"), ((4, 3), "x")]),
    "prelu": (lambda lib, a, w: F(lib).prelu(a, w), [((4, 3), "x"), ((3,), "p")]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_fused_op_dtype_pairs(name):
    fn, args = CASES[name]
    bad = []
    for x, y in itertools.product(NAMES, NAMES):
        dts = [x, y] + [y] * (len(args) - 2)
        want = _outcome(fn, torch, [_arg(torch, d, s, k) for d, (s, k) in zip(dts, args)])
        got = _outcome(fn, gt, [_arg(gt, d, s, k) for d, (s, k) in zip(dts, args)])
        if got != want:
            bad.append(f"{name}({', '.join(dts)}): {got}, torch {want}")
    assert not bad, f"{len(bad)} mismatches, e.g.\n" + "\n".join(bad[:12])


def test_float16_input_with_float32_norm_parameters_computes_in_float32():
    # torch's mixed-precision CPU path: float32 statistics and parameters, a float16 result
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6)).astype(np.float16)
    w, b = rng.random(6).astype(np.float32), rng.random(6).astype(np.float32)
    for lib_fn in (lambda lib, x, w, b: F(lib).layer_norm(x, (6,), w, b),
                   lambda lib, x, w, b: F(lib).group_norm(x, 2, w, b)):
        outs = []
        for lib in (torch, gt):
            xt, wt, bt = lib.tensor(x), lib.tensor(w, requires_grad=True), lib.tensor(b)
            y = lib_fn(lib, xt, wt, bt)
            y.float().sum().backward()
            outs.append((y.dtype, y.detach().float().numpy(), wt.grad.dtype, wt.grad.numpy()))
        assert str(outs[0][0]) == str(outs[1][0]) and str(outs[0][2]) == str(outs[1][2])
        np.testing.assert_allclose(outs[1][1], outs[0][1], atol=2e-3)
        np.testing.assert_allclose(outs[1][3], outs[0][3], atol=2e-2)
