"""torch.linalg at its edges, against torch: wide QR gradients, singular and non-finite inputs
(the differential fuzzer's findings, tests/fuzz; each was a KNOWN divergence)."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises


# ---- QR of wide matrices (m < n): A = [X | Y], X = Q U square, Y = Q V --------------------
@pytest.mark.parametrize("mode", ["reduced", "complete"])
@pytest.mark.parametrize("shape", [(2, 3), (1, 4), (2, 2, 5), (0, 1), (2, 0, 3)])
def test_qr_backward_of_wide_matrices(shape, mode):
    check_op(lambda m, A: m.linalg.qr(A, mode=mode), [shape], lib=True, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("mode,shape", [("r", (3, 3)), ("r", (2, 3)), ("complete", (3, 2))])
def test_qr_backward_that_torch_refuses(mode, shape):
    a = np.random.default_rng(0).standard_normal(shape)
    errors = []
    for m in (gt, torch):
        A = m.tensor(a, requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            m.linalg.qr(A, mode=mode).R.sum().backward()
        errors.append(str(e.value))
    assert errors[0] == errors[1]


def test_qr_backward_of_a_singular_r_is_inf_nan_not_an_error():
    """torch's R^-T is a triangular solve: a zero pivot gives inf/nan (it was LinAlgError)."""
    for a in (np.zeros((1, 1)), np.array([[1.0, 2.0], [2.0, 4.0]]), np.zeros((2, 3))):
        check_op(lambda m, A: m.linalg.qr(A), [a], lib=True)


# ---- solve_triangular: its own op (trsm's substitution), no LinAlgError -------------------
@pytest.mark.parametrize("kw", [dict(upper=True), dict(upper=False, unitriangular=True),
                                dict(upper=True, left=False), dict(upper=False, left=False)])
@pytest.mark.parametrize("shapes", [[(3, 3), (3, 2)], [(2, 1, 3, 3), (4, 3, 3)],
                                    [(0, 0), (0, 2)]])
def test_solve_triangular(shapes, kw):
    if not kw.get("left", True):    # X A = B: B is k x n
        shapes = [shapes[0], shapes[1][:-2] + shapes[1][:-3:-1]]
    check_op(lambda m, A, B: m.linalg.solve_triangular(A, B, **kw), shapes, lib=True,
             double=True)


@pytest.mark.parametrize("a", [np.zeros((2, 2)), np.array([[0.0, 1.0], [0.0, 2.0]]),
                               np.array([[1.0, 0.0], [np.inf, 0.0]])])
@pytest.mark.parametrize("upper", [True, False])
def test_solve_triangular_with_a_zero_pivot_gives_inf_nan(a, upper):
    check_op(lambda m, A, B: m.linalg.solve_triangular(A, B, upper=upper), [a, (2, 1)],
             lib=True, grad=False)


@pytest.mark.parametrize("fn,shapes", [
    (lambda m, A, B: m.linalg.solve_triangular(A, B, upper=True), [(3, 3), (3,)]),
    (lambda m, A, B: m.linalg.solve_triangular(A, B, upper=True, left=False), [(3,), (3, 1)]),
    (lambda m, A, B: m.linalg.solve_triangular(A, B, upper=True), [(2, 3), (2, 1)]),
    (lambda m, A, B: m.linalg.solve_triangular(A, B, upper=True), [(3, 3), (2, 3)]),
    (lambda m, A, B: m.linalg.solve_triangular(A, B, upper=True, left=False), [(3, 3), (3, 2)]),
    (lambda m, A, B: m.linalg.solve_triangular(A, B, upper=True), [(2, 3, 3), (4, 3, 1)]),
    (lambda m, A, B: m.linalg.solve_triangular(A.long(), B, upper=True), [(3, 3), (3, 1)]),
])
def test_solve_triangular_errors(fn, shapes):
    g, t = check_raises(fn, shapes, lib=True)
    assert str(g) == str(t)


def test_solve_triangular_casts_b_to_a_dtype():
    check_op(lambda m, A, B: m.linalg.solve_triangular(A, B.float(), upper=True), [(3, 3),
                                                                                   (3, 1)],
             lib=True)
