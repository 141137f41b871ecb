"""ops/strided_extra.py and Tensor.module_load vs torch: strided factories (their strides),
as_strided_copy / as_strided_scatter (values, gradients, overlapping strides, errors), the
randomized svd_lowrank / pca_lowrank on low-rank inputs (exact there: singular values and the
reconstruction; factors are defined up to sign), binomial's distribution."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises


@pytest.mark.parametrize("size,stride", [((2, 3), (1, 2)), ((2, 3, 4), (12, 1, 3)),
                                         ((3,), (0,)), ((0, 2), (2, 1))])
def test_empty_strided_strides(size, stride):
    for dt in ("float32", "int64"):
        g = gt.empty_strided(size, stride, dtype=getattr(gt, dt))
        t = torch.empty_strided(size, stride, dtype=getattr(torch, dt))
        assert tuple(g.shape) == tuple(t.shape) and g.stride() == t.stride()
        assert str(g.dtype) == str(t.dtype)


@pytest.mark.parametrize("layout", [(0, 1, 2), (2, 0, 1), (1, 2, 0)])
def test_empty_permuted_strides(layout):
    g, t = gt.empty_permuted((2, 3, 4), layout), torch.empty_permuted((2, 3, 4), layout)
    assert tuple(g.shape) == tuple(t.shape) and g.stride() == t.stride()


CASES = {
    "as_strided_copy": (lambda m, x: m.as_strided_copy(x, (2, 2), (1, 2)), [(2, 3)]),
    "as_strided_copy_overlap": (lambda m, x: m.as_strided_copy(x, (3, 3), (1, 1), 1), [(6,)]),
    "as_strided_copy_zero": (lambda m, x: m.as_strided_copy(x, (2, 3), (0, 2)), [(3, 2)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    fn, shapes = CASES[name]
    check_op(fn, shapes, lib=True)


def _assign_into_view(m, x, s, size, stride, offset=0):
    y = x.clone()
    y.as_strided(size, stride, offset).copy_(s)
    return y


@pytest.mark.parametrize("args", [((2, 2), (3, 1), 1), ((3,), (2,), 0)])
def test_as_strided_scatter(args):
    """Values and src's gradient as torch.as_strided_scatter; input's gradient as the same
    function written as a clone with its as_strided view overwritten, because torch 2.13's
    as_strided_scatter backward is inverted for input (it passes the gradient at the
    overwritten places and zeroes the others: checked on a (4,) example)."""
    size, stride, offset = args
    shapes = [(2, 3), size] if len(size) == 2 else [(3, 2), size]
    check_op(lambda m, x, s: m.as_strided_scatter(x, s, size, stride, offset), shapes,
             lib=True, grad=False)
    check_op(lambda m, x, s: x.as_strided_scatter(s, size, stride, offset), shapes,
             lambda m, x, s: _assign_into_view(m, x, s, size, stride, offset), lib=True)


def test_as_strided_errors():
    check_raises(lambda m, x: m.as_strided_copy(x, (3, 3), (3, 1), 1), [(3, 3)], lib=True)
    check_raises(lambda m, x, s: m.as_strided_scatter(x, s, (2, 2), (2, 1)), [(2, 3), (3,)],
                 lib=True)


def _low_rank(m, n, r, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, r)) @ rng.standard_normal((r, n))


@pytest.mark.parametrize("shape,q", [((8, 5), 3), ((5, 9), 4), ((2, 7, 6), 3)])
def test_svd_lowrank_exact_on_low_rank(shape, q):
    a = np.stack([_low_rank(*shape[-2:], 2, s) for s in range(shape[0])]) if len(shape) == 3 \
        else _low_rank(*shape, 2)
    gt.manual_seed(0)
    U, S, V = gt.svd_lowrank(gt.tensor(a), q=q)
    Ut, St, Vt = torch.svd_lowrank(torch.tensor(a), q=q)
    assert U.shape == tuple(Ut.shape) and S.shape == tuple(St.shape) and V.shape == tuple(Vt.shape)
    np.testing.assert_allclose(S.numpy()[..., :2], St.numpy()[..., :2], rtol=1e-10)
    np.testing.assert_allclose(S.numpy()[..., 2:], 0, atol=1e-10)
    rec = (U * S.unsqueeze(-2)) @ V.transpose(-2, -1)
    np.testing.assert_allclose(rec.numpy(), a, atol=1e-10)


def test_pca_lowrank_matches_torch_and_differentiates():
    a = np.random.default_rng(3).standard_normal((10, 4)) + 5.0
    gt.manual_seed(1)
    x = gt.tensor(a, requires_grad=True)
    U, S, V = gt.pca_lowrank(x, q=4)      # q = n: the range is found exactly
    Ut, St, Vt = torch.pca_lowrank(torch.tensor(a), q=4)
    np.testing.assert_allclose(S.detach().numpy(), St.numpy(), rtol=1e-9)
    np.testing.assert_allclose(np.abs(V.detach().numpy()), np.abs(Vt.numpy()), atol=1e-9)
    S.sum().backward()           # the nuclear norm of the centered matrix
    xt = torch.tensor(a, requires_grad=True)
    torch.linalg.matrix_norm(xt - xt.mean(0), "nuc").backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-8)
    with pytest.raises(ValueError):
        gt.pca_lowrank(x, q=5)


def test_binomial_distribution_and_errors():
    gt.manual_seed(0)
    count = gt.full((20000,), 10.0)
    draws = gt.binomial(count, gt.full((20000,), 0.3)).numpy()
    assert draws.dtype == np.float32 and abs(draws.mean() - 3.0) < 0.05
    assert abs(draws.var() - 2.1) < 0.1 and draws.min() >= 0 and draws.max() <= 10
    check_raises(lambda m, c: m.binomial(c, 0.5), [(3,)], lib=True)
    check_raises(lambda m, c: m.binomial(c, (c * 0).long()), [(3,)], lib=True)


def test_module_load_as_torch():
    for lib in (gt, torch):
        p = lib.zeros(3)
        out = p.module_load(lib.ones(3))
        assert out.tolist() == [1.0, 1.0, 1.0] and p.tolist() == [1.0, 1.0, 1.0]
        q = lib.ones(2, requires_grad=True)
        got = p.module_load(q, assign=True)
        assert not got.requires_grad and got.tolist() == [1.0, 1.0]
