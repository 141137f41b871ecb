"""torch.linalg against torch: values, gradients (through gauge-invariant quantities for the
factorizations whose factors are unique only up to sign), shapes, dtypes, errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises


def _spd(m, A):
    """A symmetric positive-definite matrix built from A (differentiable)."""
    return A.transpose(-2, -1) @ A + 3 * m.eye(A.shape[-1], dtype=A.dtype)


@pytest.mark.parametrize("fn", [
    lambda m, A: m.linalg.inv(A), lambda m, A: m.linalg.det(A),
    lambda m, A: m.linalg.slogdet(A)[1], lambda m, A: m.linalg.inv_ex(A).inverse,
    lambda m, A: m.linalg.matrix_power(A, 3), lambda m, A: m.linalg.matrix_power(A, -2),
    lambda m, A: m.linalg.cholesky(_spd(m, A)), lambda m, A: m.linalg.cholesky(_spd(m, A),
                                                                           upper=True),
    lambda m, A: m.linalg.cholesky_ex(_spd(m, A)).L,
    lambda m, A: m.linalg.eigvalsh(_spd(m, A)),
    lambda m, A: m.linalg.svdvals(A), lambda m, A: m.linalg.pinv(A),
    lambda m, A: m.linalg.norm(A), lambda m, A: m.linalg.matrix_norm(A, "nuc"),
    lambda m, A: m.linalg.matrix_norm(A, 1), lambda m, A: m.linalg.matrix_norm(A, -np.inf),
    lambda m, A: m.linalg.matrix_norm(A, 2), lambda m, A: m.linalg.cond(A),
    lambda m, A: m.linalg.vector_norm(A, 3, dim=-1), lambda m, A: m.linalg.vector_norm(A, 1),
    lambda m, A: m.linalg.vector_norm(A, np.inf, dim=(0, 1), keepdim=True),
    lambda m, A: m.linalg.norm(A, dim=1), lambda m, A: m.linalg.diagonal(A, offset=1),
    lambda m, A: m.linalg.vander(A[0], N=4),
    lambda m, A: m.linalg.matrix_exp(A) if False else m.linalg.tensorinv(A, ind=1),
])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_square(fn, shape):
    if len(shape) == 3 and fn.__code__.co_consts and "tensorinv" in fn.__code__.co_names:
        pytest.skip("tensorinv of a batch means another thing")
    check_op(fn, [shape], lib=True)


@pytest.mark.parametrize("fn", [
    lambda m, A: m.linalg.eigh(_spd(m, A)).eigenvalues,
    lambda m, A: (lambda e: e.eigenvectors.abs() * e.eigenvalues.unsqueeze(-2))(m.linalg.eigh(_spd(m, A))),
    lambda m, A: (lambda r: r.U @ m.diag_embed(r.S) @ r.Vh if hasattr(m, "diag_embed") else
                  (r.U * r.S.unsqueeze(-2)) @ r.Vh)(m.linalg.svd(A, full_matrices=False)),
    lambda m, A: m.linalg.svd(A, full_matrices=False).U.abs(),
    lambda m, A: m.linalg.svd(A, full_matrices=False).Vh.abs(),
    lambda m, A: m.linalg.qr(A).R.abs(), lambda m, A: m.linalg.qr(A).Q.abs(),
    lambda m, A: m.linalg.qr(A).Q @ m.linalg.qr(A).R,
])
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (2, 4, 3)])
def test_factorizations(fn, shape):
    check_op(fn, [shape], lib=True, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("fn,shapes", [
    (lambda m, A, B: m.linalg.solve(A, B), [(3, 3), (3, 2)]),
    (lambda m, A, B: m.linalg.solve(A, B), [(3, 3), (3,)]),
    (lambda m, A, B: m.linalg.solve(A, B), [(2, 3, 3), (2, 3)]),
    (lambda m, A, B: m.linalg.solve(A, B, left=False), [(3, 3), (2, 3)]),
    (lambda m, A, B: m.linalg.solve_ex(A, B).result, [(3, 3), (3, 1)]),
    (lambda m, A, B: m.linalg.solve_triangular(A, B, upper=True), [(3, 3), (3, 2)]),
    (lambda m, A, B: m.linalg.solve_triangular(A, B, upper=False, unitriangular=True),
     [(3, 3), (3, 2)]),
    (lambda m, A, B: m.linalg.lstsq(A, B).solution, [(5, 3), (5, 2)]),
    (lambda m, A, B: m.linalg.cross(A, B), [(4, 3), (4, 3)]),
    (lambda m, A, B: m.linalg.cross(A, B, dim=0), [(3, 2), (3, 2)]),
    (lambda m, A, B: m.linalg.vecdot(A, B), [(4, 3), (4, 3)]),
    (lambda m, A, B: m.linalg.multi_dot([A, B, A.T]), [(3, 4), (4, 4)]),
    (lambda m, A, B: m.linalg.multi_dot([A[0], B, A.T]), [(3, 4), (4, 4)]),
    (lambda m, A, B: m.linalg.matmul(A, B), [(3, 4), (4, 2)]),
    (lambda m, A, B: m.linalg.tensorsolve(A, B), [(6, 2, 3), (6,)]),
])
def test_solvers(fn, shapes):
    check_op(fn, shapes, lib=True)


def test_float32_and_rank():
    check_op(lambda m, A: m.linalg.inv(A), [(4, 4)], lib=True, dtype="float32")
    A = np.ones((4, 3))
    assert int(gt.linalg.matrix_rank(gt.tensor(A))) == int(torch.linalg.matrix_rank(
        torch.tensor(A))) == 1
    check_op(lambda m, A: m.linalg.matrix_rank(A), [(4, 3)], lib=True)


@pytest.mark.parametrize("fn,shapes", [
    (lambda m, A: m.linalg.inv(A), [(2, 3)]), (lambda m, A: m.linalg.det(A), [(3,)]),
    (lambda m, A: m.linalg.inv(A.long()), [(3, 3)]),
    (lambda m, A: m.linalg.qr(A, mode="x"), [(3, 3)]),
    (lambda m, A, B: m.linalg.cross(A, B), [(4, 2), (4, 2)]),
    # fuzzer finds: torch's order of checks and its error types
    (lambda m, A, B: m.linalg.solve(A.float(), B), [(0, 1, 1), (0, 1, 1)]),
    (lambda m, A, B: m.linalg.solve(A.float(), B), [(2, 3), (3, 1)]),
    (lambda m, A, B: m.linalg.solve(A.long(), B.long()), [(2, 3), (3, 1)]),
    (lambda m, A: m.linalg.eigh(A.long()), [(2, 2)]),
    (lambda m, A: m.linalg.eigh(A.half()), [(2, 2)]),
    (lambda m, A: m.linalg.eigh(A.long()), [(2, 3)]),
])
def test_errors(fn, shapes):
    check_raises(fn, shapes, lib=True)


@pytest.mark.parametrize("bad", [np.nan])
def test_cholesky_of_non_finite_input_is_a_linalg_error(bad):
    A = np.eye(4)
    A[1, 1] = bad
    for m in (gt, torch):   # NumPy's factorization would go on with NaN
        with pytest.raises(m.linalg.LinAlgError, match="not positive-definite"):
            m.linalg.cholesky(m.tensor(A))


def test_eigh_of_empty_integer_matrices():
    outs = [m.linalg.eigh(m.zeros(2, 0, 0, dtype=m.int64)) for m in (gt, torch)]
    for g, t in zip(*outs):
        assert tuple(g.shape) == tuple(t.shape) and str(g.dtype) == str(t.dtype)



@pytest.mark.parametrize("fn", [lambda m, A: m.linalg.inv(A * 0),
                                lambda m, A: m.linalg.cholesky(-m.eye(3, dtype=A.dtype)),
                                lambda m, A: m.linalg.solve(A * 0, A)])
def test_linalg_error(fn):
    """torch raises its LinAlgError (a RuntimeError); glasstorch its own of the same name."""
    assert issubclass(gt.linalg.LinAlgError, RuntimeError)
    assert issubclass(torch.linalg.LinAlgError, RuntimeError)
    check_raises(fn, [(3, 3)], lib=True, exc=gt.linalg.LinAlgError)
    with pytest.raises(torch.linalg.LinAlgError):
        fn(torch, torch.ones(3, 3, dtype=torch.float64))


def test_matrix_power_zero():
    A = np.random.default_rng(0).standard_normal((2, 3, 3))
    g, t = gt.linalg.matrix_power(gt.tensor(A), 0), torch.linalg.matrix_power(torch.tensor(A), 0)
    np.testing.assert_array_equal(g.numpy(), t.numpy())


@pytest.mark.parametrize("scale", [0.1, 1.0, 5.0])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_matrix_exp(scale, shape):
    check_op(lambda m, A: m.linalg.matrix_exp(A * scale), [shape], lib=True, rtol=1e-9,
             atol=1e-9)
    check_op(lambda m, A: m.matrix_exp(A * scale), [shape], lib=True, rtol=1e-9, atol=1e-9)


def test_autograd_legacy_names():
    x = gt.autograd.Variable(gt.ones(2), requires_grad=True)
    assert isinstance(x, gt.Tensor) and x.requires_grad
    assert isinstance(gt.ones(1), gt.autograd.Variable)
    assert gt.autograd.variable([1.0, 2.0]).shape == (2,)
    with gt.autograd.set_multithreading_enabled(False):
        assert not gt.autograd.set_multithreading_enabled.enabled
    assert gt.autograd.set_multithreading_enabled.enabled
