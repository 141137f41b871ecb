"""one_hot, normalize, cosine_similarity, pairwise_distance, cdist and scaled_dot_product_attention
(glasstorch/ops/attention.py, distance.py) and the distance modules against torch: values and
gradients (float64; float32 results on transposed inputs), second derivatives, the clamped-norm
and fully-masked-row corner cases, and torch's errors."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import assert_close, check_op, check_raises


def F(lib):
    return lib.nn.functional


TINY_ROW = np.array([[1e-9, 0.0, -1e-9], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])


# ---- one_hot ---------------------------------------------------------------------------------
@pytest.mark.parametrize("values, num_classes", [
    ([0, 2, 1], -1),
    ([[0, 2], [3, 1]], 6),
    (3, 5),
    (np.zeros((0, 2), np.int64), 3),
    (np.arange(12).reshape(2, 3, 2) % 4, -1),
])
def test_one_hot(values, num_classes):
    x = np.asarray(values, dtype=np.int64)
    assert_close(gt.nn.functional.one_hot(gt.tensor(x), num_classes),
                 torch.nn.functional.one_hot(torch.tensor(x), num_classes))


@pytest.mark.parametrize("fn, match", [
    (lambda lib: F(lib).one_hot(lib.tensor([0, 2]).int()),
     "one_hot is only applicable to index tensor of type LongTensor."),
    (lambda lib: F(lib).one_hot(lib.tensor([0.0])), "only applicable to index tensor"),
    (lambda lib: F(lib).one_hot(lib.tensor([0, -2, 1])), "Class values must be non-negative."),
    (lambda lib: F(lib).one_hot(lib.tensor([0, 5, 1]), 3),
     "Class values must be smaller than num_classes."),
    (lambda lib: F(lib).one_hot(lib.tensor([0]), 0), "smaller than num_classes"),
    (lambda lib: F(lib).one_hot(lib.tensor([], dtype=lib.int64)),
     "Can not infer total number of classes from empty tensor."),
])
def test_one_hot_errors(fn, match):
    check_raises(fn, lib=True, match=match)


# ---- normalize, cosine_similarity, pairwise_distance --------------------------------------
DIST = [  # name, fn(lib, a, b), input specs
    ("normalize", lambda lib, a: F(lib).normalize(a), [(3, 4)]),
    ("normalize_p1_dim0", lambda lib, a: F(lib).normalize(a, p=1, dim=0), [(3, 4)]),
    ("normalize_pinf_neg_dim", lambda lib, a: F(lib).normalize(a, p=float("inf"), dim=-1),
     [(2, 3, 4)]),
    ("normalize_zero_row_eps", lambda lib, a: F(lib).normalize(a, eps=1e-3), [TINY_ROW]),
    ("cosine", lambda lib, a, b: F(lib).cosine_similarity(a, b), [(3, 4), (3, 4)]),
    ("cosine_dim_neg", lambda lib, a, b: F(lib).cosine_similarity(a, b, dim=-1),
     [(2, 3, 4), (2, 3, 4)]),
    ("cosine_broadcast", lambda lib, a, b: F(lib).cosine_similarity(a, b, dim=-1),
     [(3, 1, 4), (5, 4)]),
    ("cosine_1d", lambda lib, a, b: F(lib).cosine_similarity(a, b, dim=0), [(4,), (4,)]),
    ("cosine_clamped_norm", lambda lib, a, b: F(lib).cosine_similarity(a, b, eps=1e-6),
     [TINY_ROW, (3, 3)]),
    ("cosine_empty", lambda lib, a, b: F(lib).cosine_similarity(a, b), [(0, 4), (0, 4)]),
    ("pairwise", lambda lib, a, b: F(lib).pairwise_distance(a, b), [(3, 4), (3, 4)]),
    ("pairwise_p1_keepdim", lambda lib, a, b: F(lib).pairwise_distance(a, b, p=1,
                                                                        keepdim=True),
     [(3, 4), (3, 4)]),
    ("pairwise_p3_eps", lambda lib, a, b: F(lib).pairwise_distance(a, b, p=3, eps=0.1),
     [(2, 3, 4), (2, 3, 4)]),
    ("pairwise_pinf", lambda lib, a, b: F(lib).pairwise_distance(a, b, p=float("inf")),
     [(3, 4), (3, 4)]),
    ("pairwise_p0", lambda lib, a, b: F(lib).pairwise_distance(a, b, p=0), [(3, 4), (3, 4)]),
    ("pairwise_broadcast", lambda lib, a, b: F(lib).pairwise_distance(a, b), [(4,), (3, 4)]),
    ("pairwise_0d", lambda lib, a, b: F(lib).pairwise_distance(a, b), [(), ()]),
    ("pairwise_equal_inputs", lambda lib, a, b: F(lib).pairwise_distance(a, a), [(3, 4), (3, 4)]),
    ("cdist", lambda lib, a, b: lib.cdist(a, b), [(3, 4), (5, 4)]),
    ("cdist_p1_batched", lambda lib, a, b: lib.cdist(a, b, p=1), [(2, 3, 4), (2, 5, 4)]),
    ("cdist_p3_broadcast", lambda lib, a, b: lib.cdist(a, b, p=3), [(2, 1, 3, 4), (5, 2, 4)]),
    ("cdist_pinf", lambda lib, a, b: lib.cdist(a, b, p=float("inf")), [(3, 4), (5, 4)]),
    ("cdist_mm_many_rows", lambda lib, a, b: lib.cdist(a, b), [(30, 3), (4, 3)]),
    ("cdist_mm_forced", lambda lib, a, b: lib.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
     [(2, 3, 4), (2, 5, 4)]),
    ("cdist_no_mm", lambda lib, a, b: lib.cdist(
        a, b, compute_mode="donot_use_mm_for_euclid_dist"), [(30, 3), (4, 3)]),
]
_DIST = {name: (fn, specs) for name, fn, specs in DIST}


@pytest.mark.parametrize("name, fn, specs", DIST, ids=[c[0] for c in DIST])
def test_distances_float64(name, fn, specs):
    check_op(fn, specs, lib=True)


@pytest.mark.parametrize("name, fn, specs", DIST, ids=[c[0] for c in DIST])
def test_distances_float32_transposed(name, fn, specs):
    specs = [s.astype(np.float32) if isinstance(s, np.ndarray) else s for s in specs]
    check_op(fn, specs, lib=True, dtype="float32", layout="T")


# (torch has no second derivative of cdist's own kernel, so only its matmul form is here; and
# at a zero vector torch's is NaN, so the clamped-norm case keeps its rows nonzero)
@pytest.mark.parametrize("name", ["normalize", "cosine", "cosine_tiny_norm", "pairwise",
                                  "pairwise_p3_eps", "cdist_mm_forced"])
def test_distances_second_derivatives(name):
    fn, specs = _DIST.get(name, (None, None))
    if name == "cosine_tiny_norm":
        fn, specs = _DIST["cosine_clamped_norm"][0], [TINY_ROW[:2].copy(), (2, 3)]
    check_op(fn, specs, lib=True, double=True)


def test_cosine_similarity_integer_and_mixed_dtypes():
    a = np.arange(6).reshape(2, 3)
    check_op(lambda lib, a: F(lib).cosine_similarity(a, a.double() + 1), [a], lib=True)
    # b's gradient passes through float32, so it is exact to float32 precision only
    check_op(lambda lib, a, b: F(lib).cosine_similarity(a, b.float()), [(2, 3), (2, 3)],
             lib=True, grad_rtol=1e-6)
    check_op(lambda lib, a, b: F(lib).pairwise_distance(a, b), [a, a[::-1].copy()], lib=True)


@pytest.mark.parametrize("fn, match", [
    (lambda lib: F(lib).cosine_similarity(lib.ones(2, 3).long(), lib.ones(2, 3).long()),
     "expected common dtype to be floating point, yet common dtype is Long"),
    (lambda lib: F(lib).cosine_similarity(lib.ones(2, 3), lib.ones(4, 3)),
     r"The size of tensor a \(2\) must match the size of tensor b \(4\)"),
    (lambda lib: F(lib).cosine_similarity(lib.ones(3), lib.ones(3)), "Dimension out of range"),
    (lambda lib: F(lib).normalize(lib.ones(2, 3).long()),
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda lib: lib.cdist(lib.ones(3), lib.ones(3)),
     "cdist only supports at least 2D tensors, X1 got: 1D"),
    (lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(4, 2)),
     "X1 and X2 must have the same number of columns. X1: 3 X2: 2"),
    (lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(4, 3), p=-1),
     "cdist only supports non-negative p values"),
    (lambda lib: lib.cdist(lib.ones(2, 3).long(), lib.ones(4, 3).long()),
     "cdist only supports floating-point dtypes, X1 got: Long"),
])
def test_distance_errors(fn, match):
    check_raises(fn, lib=True, match=match)


def test_cdist_bad_compute_mode():
    with pytest.raises(ValueError, match="foo is not a valid value for compute_mode"):
        gt.cdist(gt.ones(2, 3), gt.ones(4, 3), compute_mode="foo")


@pytest.mark.parametrize("make, specs", [
    (lambda lib: lib.nn.CosineSimilarity(), [(3, 4), (3, 4)]),
    (lambda lib: lib.nn.CosineSimilarity(dim=0, eps=1e-3), [(3, 4), (3, 4)]),
    (lambda lib: lib.nn.PairwiseDistance(), [(3, 4), (3, 4)]),
    (lambda lib: lib.nn.PairwiseDistance(p=1.5, eps=1e-3, keepdim=True), [(3, 4), (3, 4)]),
])
def test_distance_modules_vs_torch(make, specs):
    g, t = make(gt), make(torch)
    check_op(lambda lib, a, b: (g if lib is gt else t)(a, b), specs, lib=True, dtype="float32")
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict()) == []


# ---- scaled_dot_product_attention ------------------------------------------------------------
def _sdpa(**kw):
    mask = kw.pop("mask", None)
    if mask is None:
        return lambda lib, q, k, v: F(lib).scaled_dot_product_attention(q, k, v, **kw)
    return lambda lib, q, k, v: F(lib).scaled_dot_product_attention(
        q, k, v, attn_mask=lib.tensor(mask) if mask.dtype == bool else
        lib.tensor(mask, dtype=q.dtype), **kw)


BOOL_MASK = np.random.default_rng(3).random((3, 5)) < 0.7
BOOL_MASK[:, 0] = True
DEAD_ROW = BOOL_MASK.copy()
DEAD_ROW[1] = False   # a query that may attend to nothing: torch gives 0, not NaN
FLOAT_MASK = np.random.default_rng(4).standard_normal((2, 1, 3, 5))
QKV = [(2, 3, 4), (2, 5, 4), (2, 5, 6)]
HEADS = [(2, 4, 3, 8), (2, 4, 5, 8), (2, 4, 5, 8)]

SDPA = [
    ("plain", _sdpa(), QKV),
    ("heads", _sdpa(), HEADS),
    ("two_dim", _sdpa(), [(3, 4), (5, 4), (5, 2)]),
    ("broadcast_batch", _sdpa(), [(2, 1, 3, 4), (1, 4, 5, 4), (4, 5, 2)]),
    ("causal", _sdpa(is_causal=True), QKV),
    ("causal_long_keys", _sdpa(is_causal=True), [(2, 5, 4), (2, 3, 4), (2, 3, 6)]),
    ("bool_mask", _sdpa(mask=BOOL_MASK), QKV),
    ("dead_row", _sdpa(mask=DEAD_ROW), QKV),
    ("float_mask", _sdpa(mask=FLOAT_MASK), [(2, 4, 3, 8), (2, 4, 5, 8), (2, 4, 5, 8)]),
    ("scale", _sdpa(scale=0.3), QKV),
    ("negative_scale", _sdpa(scale=-0.7), QKV),
    ("gqa", _sdpa(enable_gqa=True), [(2, 4, 3, 8), (2, 2, 5, 8), (2, 2, 5, 8)]),
    ("gqa_one_kv_head", _sdpa(enable_gqa=True, is_causal=True),
     [(1, 3, 4, 2), (1, 1, 4, 2), (1, 1, 4, 3)]),
    ("empty_batch", _sdpa(), [(0, 3, 4), (0, 5, 4), (0, 5, 6)]),
    # no queries or an empty value: torch returns zeros (*, L, Ev) before any shape check
    ("no_queries", _sdpa(), [(0, 3), (4, 2), (4, 5)]),
    ("empty_value", _sdpa(), [(2, 3), (0, 3), (0, 5)]),
    ("empty_value_batch", _sdpa(), [(1, 2, 1), (0, 1, 1, 1), (0, 1, 1, 1)]),
    ("empty_value_causal_gqa", _sdpa(is_causal=True, enable_gqa=True),
     [(1, 3, 2, 3), (1, 2, 0, 3), (1, 2, 0, 5)]),
    ("zero_head_dim", _sdpa(), [(2, 0), (3, 0), (3, 4)]),   # scale 1/sqrt(0) = inf
]
_SDPA = {name: (fn, specs) for name, fn, specs in SDPA}


@pytest.mark.parametrize("name, fn, specs", SDPA, ids=[c[0] for c in SDPA])
def test_sdpa_float64(name, fn, specs):
    check_op(fn, specs, lib=True)


@pytest.mark.parametrize("name, fn, specs", SDPA, ids=[c[0] for c in SDPA])
def test_sdpa_float32_transposed(name, fn, specs):
    check_op(fn, specs, lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("shapes", [[(2, 3), (0, 3), (0, 5)], [(0, 3), (4, 2), (4, 5)]])
def test_sdpa_early_zeros_carry_nan(shapes):
    # torch's early result is zeros + 0 * (sum of the inputs): NaN if any input is NaN
    for n in range(3):
        arrays = [np.ones(s) for s in shapes]
        if arrays[n].size:
            arrays[n].flat[0] = np.nan
        outs = [F(lib).scaled_dot_product_attention(*[lib.tensor(a) for a in arrays])
                for lib in (gt, torch)]
        np.testing.assert_array_equal(outs[0].numpy(), outs[1].numpy())


def test_sdpa_zero_head_dim_errors_as_torch():
    check_raises(lambda lib, q, k: F(lib).scaled_dot_product_attention(q, k, k),
                 [(3, 0, 1, 0), (3, 2, 3, 2)], lib=True)
    check_raises(lambda lib, q, k: F(lib).scaled_dot_product_attention(q, k, k),
                 [(3, 3, 2, 0), (1, 3, 1)], lib=True)


def _sdpa_reference(lib, q, k, v, mask=None):
    """The formula of torch's docs, in plain ops: torch's fused CPU kernel has no second
    derivative, so second derivatives are checked against this."""
    attn = q @ k.mT / math.sqrt(q.shape[-1])
    if mask is not None:
        attn = attn.masked_fill(lib.tensor(~mask), -math.inf)
    return attn.softmax(-1) @ v


def _repeated(x, groups):
    return x if groups == 1 else x.repeat_interleave(groups, -3)


@pytest.mark.parametrize("name, mask, groups, specs", [
    ("plain", None, 1, QKV),
    ("bool_mask", BOOL_MASK, 1, QKV),
    ("gqa", None, 2, [(2, 4, 3, 8), (2, 2, 5, 8), (2, 2, 5, 8)]),
])
def test_sdpa_second_derivatives(name, mask, groups, specs):
    check_op(lambda lib, q, k, v: F(lib).scaled_dot_product_attention(
        q, k, v, attn_mask=None if mask is None else lib.tensor(mask), enable_gqa=groups > 1),
        specs, torch_fn=lambda lib, q, k, v: _sdpa_reference(
            lib, q, _repeated(k, groups), _repeated(v, groups), mask),
        lib=True, double=True)


def test_sdpa_dead_row_second_derivative():
    # torch's reference has NaN there; glasstorch keeps the zero row's derivatives at 0
    fn, specs = _SDPA["dead_row"]
    arrays = [np.random.default_rng(i).standard_normal(s) for i, s in enumerate(specs)]
    q, k, v = (gt.tensor(a, requires_grad=True) for a in arrays)
    gq, = gt.autograd.grad(fn(gt, q, k, v).sum(), q, create_graph=True)
    g2, = gt.autograd.grad((gq * gq).sum(), q)
    np.testing.assert_array_equal(g2.numpy()[:, 1], 0)
    assert np.isfinite(g2.numpy()).all()


def test_sdpa_matches_the_textbook_formula():
    # the reference in torch's docs: softmax(q k^T / sqrt(E) + bias) v
    rng = np.random.default_rng(5)
    q, k, v = (gt.tensor(rng.standard_normal(s)) for s in QKV)
    bias = gt.tensor(np.where(BOOL_MASK, 0.0, -np.inf))
    want = ((q @ k.mT / 2.0 + bias).softmax(-1)) @ v
    got = gt.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=gt.tensor(BOOL_MASK))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def test_sdpa_dropout():
    q = gt.randn(2, 3, 4, requires_grad=True)
    k, v = gt.randn(2, 5, 4), gt.randn(2, 5, 6)
    f = gt.nn.functional.scaled_dot_product_attention
    gt.manual_seed(0)
    a = f(q, k, v, dropout_p=0.5)
    gt.manual_seed(0)
    b = f(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert not np.allclose(a.detach().numpy(), f(q, k, v).detach().numpy())
    a.sum().backward()
    assert q.grad is not None and q.grad.shape == q.shape
    np.testing.assert_array_equal(f(q, k, v, dropout_p=1.0).detach().numpy(), 0)


@pytest.mark.parametrize("fn, match", [
    (lambda lib: F(lib).scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 5, 4), lib.ones(2, 5, 6),
        attn_mask=lib.ones(3, 5, dtype=lib.bool), is_causal=True),
     "Explicit attn_mask should not be set when is_causal=True"),
    (lambda lib: F(lib).scaled_dot_product_attention(
        lib.ones(1, 3, 3, 4), lib.ones(1, 2, 5, 4), lib.ones(1, 2, 5, 4), enable_gqa=True),
     "Number of heads in key and value must divide the number of heads in"),
    (lambda lib: F(lib).scaled_dot_product_attention(
        lib.ones(1, 4, 3, 4), lib.ones(1, 2, 5, 4), lib.ones(1, 2, 5, 4)),
     r"The size of tensor a \(4\) must match the size of tensor b \(2\)"),
    (lambda lib: F(lib).scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 5, 4).double(), lib.ones(2, 5, 6)),
     "Expected query, key, and value to have the same dtype, but got query.dtype: float "
     "key.dtype: double and value.dtype: float instead."),
    (lambda lib: F(lib).scaled_dot_product_attention(lib.ones(4), lib.ones(4), lib.ones(4)),
     "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: 1 "
     "key.dim: 1 and value.dim: 1 instead."),
    (lambda lib: F(lib).scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 5, 4), lib.ones(2, 5, 6),
        attn_mask=lib.zeros(3, 5, dtype=lib.int64)),
     "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
     "attn_mask.dtype: long int and  query.dtype: float instead."),
    (lambda lib: F(lib).scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 5, 4), lib.ones(2, 5, 6),
        attn_mask=lib.zeros(3, 5, dtype=lib.float64)),
     "attn_mask.dtype: double and  query.dtype: float"),
])
def test_sdpa_errors(fn, match):
    check_raises(fn, lib=True, match=match)
