"""torch's other parameter names in linalg and autograd (the census's "with torch's signature"):
linalg.pinv(A, rcond, hermitian), matrix_rank(A, tol, hermitian), lstsq(A, b, rcond),
tensorsolve(A, other), autograd.backward(grad_variables=): values, gradients, dtypes and
errors against torch."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises


def _sym(m, A):
    return A + A.transpose(-2, -1)


@pytest.mark.parametrize("fn", [
    lambda m, A: m.linalg.pinv(A, rcond=1e-3),
    lambda m, A: m.linalg.pinv(A, 1e-3, False),
    lambda m, A: m.linalg.pinv(_sym(m, A), hermitian=True),
    lambda m, A: m.linalg.pinv(A, atol=0.3),
])
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3)])
def test_pinv_rcond_hermitian(fn, shape):
    check_op(fn, [shape], lib=True)


def test_pinv_hermitian_reads_the_lower_triangle():
    # the values come from the lower triangle; torch's gradient is its general pinv formula
    check_op(lambda m, A: m.linalg.pinv(A, hermitian=True), [(2, 4, 4)], lib=True)


@pytest.mark.parametrize("fn, shape", [
    (lambda m, A: m.linalg.pinv(_sym(m, A), rcond=0.5, hermitian=True), (2, 4, 4)),
    (lambda m, A: m.linalg.pinv(A, 0.5), (4, 4)),
    (lambda m, A: m.linalg.pinv(A, atol=1.0), (3, 5)),
    (lambda m, A: m.linalg.pinv(A, rtol=0.4), (2, 5, 3)),
])
def test_pinv_truncated(fn, shape):
    # singular values dropped: torch differentiates its closed pinv formula (Golub &
    # Pereyra) at the truncated result, and so does glasstorch's Pinv op (second order too)
    check_op(fn, [shape], lib=True, double=True)


def test_pinv_empty_and_errors():
    check_op(lambda m, A: m.linalg.pinv(A), [(0, 3)], lib=True)
    check_op(lambda m, A: m.linalg.pinv(A, hermitian=True), [(2, 0, 0)], lib=True)
    for fn, shape in [(lambda m, A: m.linalg.pinv(A), (3,)),
                      (lambda m, A: m.linalg.pinv(A.long()), (3, 3)),
                      (lambda m, A: m.linalg.pinv(A.half()), (3, 3)),
                      (lambda m, A: m.linalg.pinv(A, hermitian=True), (3, 4))]:
        check_raises(fn, [shape], lib=True)


def test_pinv_rcond_cuts_small_singular_values():
    # singular values 3, 1, 1e-2: rcond 0.1 drops the last one (relative to s_max = 3)
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]
    A = Q @ np.diag([3.0, 1.0, 1e-2]) @ Q.T
    for kw in ({"rcond": 0.1}, {"rcond": 1e-3}, {"rtol": 0.1}):
        got = gt.linalg.pinv(gt.tensor(A), **kw)
        want = torch.linalg.pinv(torch.tensor(A), **kw)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)
    got = gt.linalg.pinv(gt.tensor(A, dtype=gt.float32), rcond=0.1)
    assert got.dtype == gt.float32
    with pytest.raises(TypeError):
        torch.linalg.pinv(torch.tensor(A), rcond=0.1, atol=0.1)
    with pytest.raises(TypeError):
        gt.linalg.pinv(gt.tensor(A), rcond=0.1, atol=0.1)


@pytest.mark.parametrize("kw", [{}, {"tol": 0.5}, {"tol": 1e-3}, {"hermitian": True},
                                {"tol": 0.5, "hermitian": True}, {"atol": 0.5},
                                {"rtol": 0.2, "hermitian": True}])
def test_matrix_rank_tol_hermitian(kw):
    Q = np.linalg.qr(np.random.default_rng(1).standard_normal((4, 4)))[0]
    A = np.stack([Q @ np.diag([3.0, -1.0, 0.3, 1e-4]) @ Q.T,
                  np.tril(np.random.default_rng(2).standard_normal((4, 4)))])
    got = gt.linalg.matrix_rank(gt.tensor(A), **kw)
    want = torch.linalg.matrix_rank(torch.tensor(A), **kw)
    assert got.dtype == gt.int64 and got.shape == tuple(want.shape)
    assert got.tolist() == want.tolist()
    assert gt.linalg.matrix_rank(gt.tensor(A[0]), 0.5).item() == \
        torch.linalg.matrix_rank(torch.tensor(A[0]), 0.5).item() == 2


def test_lstsq_b_and_rcond():
    check_op(lambda m, A, b: m.linalg.lstsq(A, b=b).solution, [(5, 3), (5, 2)], lib=True)
    check_op(lambda m, A, b: m.linalg.lstsq(A, b, rcond=1e-6).solution, [(2, 5, 3), (2, 5, 1)],
             lib=True)
    # rank-deficient A (third column = first + second): gelsy's minimum-norm solution
    rng = np.random.default_rng(3)
    A = rng.standard_normal((6, 2))
    A = np.concatenate([A, A.sum(1, keepdims=True)], 1)
    b = rng.standard_normal((6, 1))
    got = gt.linalg.lstsq(gt.tensor(A), gt.tensor(b), rcond=1e-10).solution
    want = torch.linalg.lstsq(torch.tensor(A), torch.tensor(b), rcond=1e-10).solution
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-8, atol=1e-10)
    check_raises(lambda m, A, b: m.linalg.lstsq(A, B=b), [(3, 3), (3, 1)], lib=True)


def test_tensorsolve_other():
    check_op(lambda m, A, B: m.linalg.tensorsolve(A, other=B), [(6, 2, 3), (6,)], lib=True)
    check_op(lambda m, A, B: m.linalg.tensorsolve(A, other=B, dims=(0,)), [(6, 2, 3), (2, 3)],
             lib=True)
    check_raises(lambda m, A, B: m.linalg.tensorsolve(A, B=B), [(6, 2, 3), (6,)], lib=True)


@pytest.mark.parametrize("m", [gt, torch])
def test_backward_grad_variables(m):
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    with pytest.warns(FutureWarning, match="grad_variables"):
        m.autograd.backward(y, grad_variables=m.tensor([1.0, 0.5, 2.0]))
    assert x.grad.tolist() == [2.0, 2.0, 12.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(RuntimeError, match="both passed"):
            m.autograd.backward(x * x, grad_tensors=m.ones(3), grad_variables=m.ones(3))
    assert x.grad.tolist() == [2.0, 2.0, 12.0]              # nothing ran
    (x * 2).sum().backward(inputs=[x])                      # Tensor.backward's inputs= still
    assert x.grad.tolist() == [4.0, 4.0, 14.0]


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("shapes", [[(5, 3), (5, 2)], [(3, 5), (3, 2)], [(2, 5, 3), (2, 5, 1)]])
def test_lstsq_drivers(driver, shapes):
    """Every field of each driver's result against torch: solution and residuals with their
    gradients, rank, singular values."""
    for field in ("solution", "residuals", "rank", "singular_values"):
        check_op(lambda m, A, b: getattr(m.linalg.lstsq(A, b, driver=driver), field), shapes,
                 lib=True, grad=field in ("solution", "residuals"))


@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gelss"])
def test_lstsq_rank_deficient(driver):
    rng = np.random.default_rng(7)
    A = rng.standard_normal((6, 2))
    A = np.concatenate([A, A[:, :1]], 1)             # rank 2
    b = rng.standard_normal((6, 2))
    got = gt.linalg.lstsq(gt.tensor(A), gt.tensor(b), driver=driver)
    want = torch.linalg.lstsq(torch.tensor(A), torch.tensor(b), driver=driver)
    np.testing.assert_allclose(got.solution.numpy(), want.solution.numpy(), atol=1e-10)
    assert got.rank.tolist() == want.rank.tolist() == 2
    assert tuple(got.residuals.shape) == tuple(want.residuals.shape) == (0,)
    check_raises(lambda m, A, b: m.linalg.lstsq(A, b, driver="qr"), [(4, 3), (4, 1)],
                 lib=True)
