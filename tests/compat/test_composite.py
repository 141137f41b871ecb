"""The composite torch functions (ops/composite.py) vs torch: values, gradients, dtypes."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

CASES = [
    (lambda m, x: m.nansum(x.masked_fill(x > 1, float("nan"))), [(3, 4)]),
    (lambda m, x: m.nansum(x.masked_fill(x > 1, float("nan")), 1, keepdim=True), [(3, 4)]),
    (lambda m, x: m.nanmean(x.masked_fill(x > 1, float("nan")), 0), [(3, 4)]),
    (lambda m, x: x.nansum(axis=1), [(3, 4)]),
    (lambda m, x: m.diag(x), [(4,)]), (lambda m, x: m.diag(x, 1), [(4,)]),
    (lambda m, x: m.diag(x, -2), [(3,)]), (lambda m, x: m.diag(x), [(3, 4)]),
    (lambda m, x: m.diag(x, 1), [(3, 4)]), (lambda m, x: m.diag_embed(x), [(2, 3)]),
    (lambda m, x: m.diag_embed(x, 1, 0, 2), [(2, 3)]), (lambda m, x: m.diagflat(x), [(2, 2)]),
    (lambda m, x, y: m.block_diag(x, y), [(2, 3), (1, 2)]),
    (lambda m, x, y: m.cartesian_prod(x, y), [(2,), (3,)]),
    (lambda m, x, y: m.kron(x, y), [(2, 3), (2, 2)]), (lambda m, x, y: m.kron(x, y), [(3,), (2, 2)]),
    (lambda m, x, y: m.logaddexp(x, y), [(3, 4), (4,)]),
    (lambda m, x, y: m.logaddexp2(x, y), [(3, 4), (3, 4)]),
    (lambda m, x: m.logcumsumexp(x, 1), [(3, 4)]),
    (lambda m, x, y: m.heaviside(x.detach().round(), y.detach()), [(3, 4), (3, 4)]),
    (lambda m, x: m.deg2rad(x), [(3,)]), (lambda m, x: m.rad2deg(x), [(3,)]),
    (lambda m, x: m.diff(x), [(3, 4)]), (lambda m, x: m.diff(x, 2, 0), [(4, 3)]),
    (lambda m, x, y: m.diff(x, dim=1, prepend=y), [(3, 4), (3, 1)]),
    (lambda m, x: m.trapezoid(x), [(3, 4)]), (lambda m, x, y: m.trapezoid(x, y), [(3, 4), (4,)]),
    (lambda m, x: m.trapz(x, dx=0.5), [(5,)]), (lambda m, x: m.cumulative_trapezoid(x), [(3, 4)]),
    (lambda m, x: m.rot90(x), [(3, 4)]), (lambda m, x: m.rot90(x, 2), [(3, 4)]),
    (lambda m, x: m.rot90(x, -1, (0, 1)), [(3, 4)]),
    (lambda m, x: m.tensor_split(x, 3, 1), [(2, 7)]),
    (lambda m, x: m.tensor_split(x, [1, 4]), [(6, 2)]), (lambda m, x: m.hsplit(x, 2), [(2, 4)]),
    (lambda m, x: m.vsplit(x, [1]), [(3, 2)]), (lambda m, x: m.dsplit(x, 2), [(2, 2, 4)]),
    (lambda m, x: m.cov(x), [(3, 5)]), (lambda m, x: m.cov(x, correction=0), [(2, 6)]),
    (lambda m, x: m.corrcoef(x), [(3, 5)]), (lambda m, x, y: m.dist(x, y), [(3, 4), (3, 4)]),
    (lambda m, x, y: m.dist(x, y, 1), [(3,), (3,)]),
    (lambda m, x, a, v: m.addmv(x, a, v, beta=0.5, alpha=2), [(3,), (3, 4), (4,)]),
    (lambda m, x, a, b: m.addr(x, a, b), [(3, 4), (3,), (4,)]),
    (lambda m, x, a, b: m.addbmm(x, a, b), [(3, 2), (4, 3, 5), (4, 5, 2)]),
    (lambda m, x: m.hann_window(8, dtype=m.float64) * x, [(8,)]),
    (lambda m, x: m.hamming_window(7, periodic=False, dtype=m.float64) * x, [(7,)]),
    (lambda m, x: m.bartlett_window(6, dtype=m.float64) * x, [(6,)]),
    (lambda m, x: m.blackman_window(5, dtype=m.float64) * x, [(5,)]),
    (lambda m, x: x.diag(), [(3, 3)]), (lambda m, x: x.kron(x), [(2,)]),
]


@pytest.mark.parametrize("fn,shapes", CASES)
def test_against_torch(fn, shapes):
    check_op(fn, shapes, lib=True)


@pytest.mark.parametrize("call", [
    lambda m: m.bincount(m.tensor([0, 1, 1, 3])),
    lambda m: m.bincount(m.tensor([0, 1, 1, 3]), minlength=6),
    lambda m: m.bincount(m.tensor([0, 1, 1, 3]), weights=m.tensor([0.5, 1.0, 2.0, 1.0])),
    lambda m: m.bincount(m.tensor([0, 1]), weights=m.tensor([1.0, 2.0], dtype=m.float64)),
    lambda m: m.bincount(m.tensor([], dtype=m.int64)),
    lambda m: m.isin(m.tensor([1, 2, 3, 4]), m.tensor([2, 4])),
    lambda m: m.isin(m.tensor([1, 2]), m.tensor([2]), invert=True),
    lambda m: m.isneginf(m.tensor([1.0, -float("inf"), float("inf")])),
    lambda m: m.isposinf(m.tensor([1.0, -float("inf"), float("inf")])),
    lambda m: m.isreal(m.tensor([1.0, 2.0])),
    lambda m: m.searchsorted(m.tensor([1.0, 3.0, 5.0]), m.tensor([0.0, 3.0, 6.0])),
    lambda m: m.searchsorted(m.tensor([1.0, 3.0, 5.0]), m.tensor([3.0]), right=True),
    lambda m: m.searchsorted(m.tensor([[1.0, 3.0], [2.0, 4.0]]), m.tensor([[2.0], [5.0]])),
    lambda m: m.bucketize(m.tensor([0.5, 3.0, 9.0]), m.tensor([1.0, 3.0, 5.0])),
    lambda m: m.histc(m.tensor([1.0, 2.0, 1.0, 4.0]), bins=4, min=0, max=4),
    lambda m: m.histc(m.tensor([1.0, 2.0, 1.0, 4.0]), bins=3),
    lambda m: m.gcd(m.tensor([4, 6, 9]), m.tensor([6, 4, 3])),
    lambda m: m.lcm(m.tensor([4, 6, 9]), m.tensor([6, 4, 3])),
    lambda m: m.deg2rad(m.tensor([180, 90])),
    lambda m: m.diff(m.tensor([True, False, False])),
    lambda m: m.hann_window(5), lambda m: m.hann_window(1), lambda m: m.bartlett_window(0),
])
def test_values_and_dtypes(call):
    g, t = call(gt), call(torch)
    assert tuple(g.shape) == tuple(t.shape) and str(g.dtype) == str(t.dtype), (g, t)
    np.testing.assert_allclose(g.numpy().astype(float), t.numpy().astype(float), rtol=1e-6,
                               atol=1e-7)


def test_predicates():
    for m in (gt, torch):
        assert m.is_nonzero(m.tensor([2.0])) is True
        assert m.is_same_size(m.ones(2, 3), m.zeros(2, 3))
        assert m.is_signed(m.ones(2)) and not m.is_signed(m.ones(2, dtype=m.uint8))
    check_raises(lambda m: m.is_nonzero(m.ones(2)), lib=True)
    check_raises(lambda m: m.bincount(m.tensor([-1, 2])), lib=True)
    check_raises(lambda m: m.bincount(m.tensor([[1, 2]])), lib=True)
    check_raises(lambda m: m.diag(m.ones(2, 2, 2)), lib=True)
