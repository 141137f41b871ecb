"""Sorting against torch: sort/argsort/msort/topk/kthvalue (values, int64 indices, gradients
through the values) and unique (values, inverse, counts); ties, NaN, zero-size, errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

P = pytest.param
TIES = np.array([[3.0, 1.0, 2.0, 1.0, 3.0], [0.0, 0.0, -1.0, 5.0, 0.0]])
NAN = np.array([3.0, np.nan, 1.0, 2.0, np.nan, -1.0])

SORTS = [
    P(lambda L, x: x.sort(), [(3, 5)], id="sort"),
    P(lambda L, x: L.sort(x, 0, descending=True), [(4, 3)], id="sort-dim0-desc"),
    P(lambda L, x: x.sort(-2), [(2, 4, 3)], id="sort-neg-dim"),
    P(lambda L, x: x.sort(stable=True), [TIES], id="sort-ties"),
    P(lambda L, x: x.sort(descending=True, stable=True), [TIES], id="sort-ties-desc"),
    P(lambda L, x: x.sort(), [NAN], id="sort-nan"),
    P(lambda L, x: x.sort(descending=True), [NAN], id="sort-nan-desc"),
    P(lambda L, x: x.sort(0), [(0, 3)], id="sort-zero-size"),
    P(lambda L, x: x.sort(), [()], id="sort-0d"),
    P(lambda L, x: x.argsort(1, descending=True), [(3, 5)], id="argsort"),
    P(lambda L, x: L.argsort(x, stable=True), [TIES], id="argsort-ties"),
    P(lambda L, x: x.msort(), [(4, 3)], id="msort"),
    P(lambda L, x: L.msort(x), [(4,)], id="msort-1d"),
    P(lambda L, x: x.topk(2), [(3, 5)], id="topk"),
    P(lambda L, x: L.topk(x, 3, dim=0, largest=False), [(4, 3)], id="topk-smallest-dim0"),
    P(lambda L, x: x.topk(0), [(3, 5)], id="topk-0"),
    P(lambda L, x: x.topk(5), [(2, 5)], id="topk-all"),
    P(lambda L, x: x.topk(2), [NAN], id="topk-nan"),
    P(lambda L, x: x.topk(1), [()], id="topk-0d"),
    P(lambda L, x: x.kthvalue(2), [(3, 5)], id="kthvalue"),
    P(lambda L, x: L.kthvalue(x, 1, 0, keepdim=True), [(4, 3)], id="kthvalue-keepdim"),
    P(lambda L, x: x.kthvalue(2), [TIES], id="kthvalue-ties"),
    P(lambda L, x: x.kthvalue(1, 0, True), [(2, 3)], id="kthvalue-dim0-keepdim"),
    P(lambda L, x: x.kthvalue(1), [()], id="kthvalue-0d"),
]


@pytest.mark.parametrize("fn, shapes", SORTS)
@pytest.mark.parametrize("layout", ["C", "T"])
def test_sort_family(fn, shapes, layout):
    check_op(fn, shapes, lib=True, layout=layout)


@pytest.mark.parametrize("fn, shapes", SORTS[::3])
def test_sort_family_float32(fn, shapes):
    check_op(fn, shapes, lib=True, dtype="float32")


@pytest.mark.parametrize("fn, shapes", [
    (lambda L, x: x.sort(descending=True).values ** 2, [(3, 4)]),
    (lambda L, x: x.topk(2, 0).values.exp(), [(3, 4)]),
    (lambda L, x: x.kthvalue(2).values ** 3, [(3, 4)]),
])
def test_sort_second_derivative(fn, shapes):
    check_op(fn, shapes, lib=True, double=True)


@pytest.mark.parametrize("data", [
    np.array([3, 1, 2, 1, 3, 7]),
    np.array([[True, False], [False, False]]),
    np.array([[2, -1, 4], [0, 0, 3]], dtype=np.int32),
])
def test_sort_int_and_bool(data):
    check_op(lambda L, x: (x.sort(), x.argsort(descending=True, stable=True), x.msort()),
             [data], lib=True, grad=False)


def test_topk_ties_values():
    # which of equal elements torch's topk picks is implementation-defined: compare values
    check_op(lambda x: x.topk(2, largest=False).values, [TIES], grad=False)


def test_topk_unsorted_returns_the_same_set():
    x = np.random.default_rng(0).standard_normal((3, 6))
    g, t = gt.tensor(x).topk(3, sorted=False), torch.tensor(x).topk(3, sorted=False)
    np.testing.assert_array_equal(np.sort(g.indices.numpy(), 1), np.sort(t.indices.numpy(), 1))


def test_return_types():
    r = gt.tensor([2.0, 1.0], requires_grad=True).sort()
    values, indices = r
    assert isinstance(r, tuple) and r.values is values and r.indices is indices
    assert repr(r).startswith("torch.return_types.sort(\nvalues=tensor([1., 2.]")
    assert values.grad_fn.name() == "SortBackward0" and indices.dtype == gt.int64
    assert repr(gt.tensor([2.0]).topk(1)).startswith("torch.return_types.topk(")
    assert type(gt.tensor([2.0]).kthvalue(1)).__name__ == "kthvalue"


UNIQUE = [
    P(np.array([3, 1, 2, 1, 3, 7]), {}, id="1d"),
    P(np.array([[3, 1], [2, 3]]), dict(return_inverse=True), id="inverse-2d"),
    P(np.array([3, 1, 2, 1, 3, 7]), dict(return_inverse=True, return_counts=True), id="all"),
    P(np.array([3.0, np.nan, 1.0, np.nan]), dict(return_counts=True), id="nan-distinct"),
    P(np.array(5), dict(return_inverse=True), id="0d"),
    P(np.zeros(0, dtype=np.int64), dict(return_inverse=True, return_counts=True), id="empty"),
    P(np.array([[1, 2], [0, 1], [1, 2]]), dict(dim=0, return_inverse=True, return_counts=True),
      id="dim0"),
    P(np.array([[1, 2, 1], [0, 1, 0]]), dict(dim=-1, return_inverse=True), id="dim-neg"),
    P(np.zeros((0, 3)), dict(dim=0, return_inverse=True, return_counts=True), id="dim-empty"),
    P(np.array([True, False, True]), dict(sorted=False, return_counts=True), id="bool"),
]


@pytest.mark.parametrize("data, kw", UNIQUE)
def test_unique(data, kw):
    check_op(lambda L, x: L.unique(x, **kw), [data], lib=True, grad=False)
    check_op(lambda L, x: x.unique(**kw), [data], lib=True, grad=False)


def test_unique_has_no_derivative():
    check_raises(lambda L: L.unique(L.tensor([2.0, 1.0], requires_grad=True)).sum().backward(),
                 lib=True)
    assert gt.unique(gt.tensor([2.0, 1.0], requires_grad=True)).requires_grad


@pytest.mark.parametrize("fn", [
    P(lambda L, x: x.sort(2), id="sort-dim"),
    P(lambda L, x: x.argsort(-3), id="argsort-dim"),
    P(lambda L, x: x.topk(6), id="topk-k-too-big"),
    P(lambda L, x: x.topk(-1), id="topk-k-negative"),
    P(lambda L, x: x.kthvalue(0), id="kthvalue-k-0"),
    P(lambda L, x: x.kthvalue(6), id="kthvalue-k-too-big"),
    P(lambda L, x: x[:0].kthvalue(1, 0), id="kthvalue-empty-dim"),
    P(lambda L, x: L.unique(x, dim=2), id="unique-dim"),
    P(lambda L, x: L.unique(x[:, :0], dim=0), id="unique-zero-size-other-dim"),
])
def test_errors(fn):
    check_raises(fn, [(3, 5)], lib=True)
