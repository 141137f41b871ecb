"""torch.linalg at its edges, against torch: wide QR gradients, singular and non-finite inputs
(the differential fuzzer's findings, tests/fuzz; each was a KNOWN divergence)."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/nan on purpose


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
    """torch's R^-T is a triangular solve: a zero pivot gives inf/nan (it was LinAlgError).
    Pivots exactly zero: [[1, 2], [2, 4]]'s second pivot is rounding noise (2.3e-16 from
    NumPy's LAPACK, 4.4e-16 from torch's on an AVX-512 machine), so its gradient is too; and
    [[3, 0], [4, 0]]'s zero pivot comes with a signed zero that LAPACKs differ on (inf or -inf)."""
    for a in (np.zeros((1, 1)), np.array([[0.0, 3.0], [0.0, 4.0]]), np.zeros((2, 3))):
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
    assert str(g).startswith(str(t))     # (a broadcast error then names the op and shapes)


def test_solve_triangular_casts_b_to_a_dtype():
    check_op(lambda m, A, B: m.linalg.solve_triangular(A, B.float(), upper=True), [(3, 3),
                                                                                   (3, 1)],
             lib=True)


# ---- det, slogdet, inv, solve on inf/NaN input: the LU of ops/_lu.py, as torch's LAPACK ---
_inf, _nan = np.inf, np.nan
_NONFINITE = [
    np.array([[_nan, 1.0], [1.0, 2.0]]),
    np.array([[_inf, 1.0], [-_inf, -1.5]]),                  # OpenBLAS: 1/inf * inf -> 0
    np.array([[-_inf, -1e-30], [1.0, 0.0]]),
    np.array([[0.94, 0.37, 1.0], [0.0, 1.02, _inf], [0.0, 1.0, 1.1]]),
    np.array([[-1.43, -0.0, -1.0, -_inf], [0.6, 1.37, 1.0, -1e-30],
              [-0.0, 0.94, -1e-30, -2.1], [-0.4, 1.02, 1e30, -0.0]]),
    np.array([[[1.0, -0.5, _nan], [0.3, _nan, 2.0], [-1.0, 1.0, 0.5]],
              [[2.0, 1.0, 0.0], [-1.0, 0.0, 1.0], [0.0, 3.0, -1.0]]]),
]


@pytest.mark.parametrize("layout", ["C", "T"])     # torch's det factors A^T of a row-major A
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fn", [lambda m, A: m.linalg.det(A), lambda m, A: m.linalg.slogdet(A),
                                lambda m, A: m.linalg.inv(A),
                                lambda m, A: m.linalg.solve(A, m.ones_like(A[..., :1]))])
@pytest.mark.parametrize("a", _NONFINITE)
def test_non_finite_input_as_torch(a, fn, dtype, layout):
    try:
        fn(torch, torch.tensor(a.astype(dtype)))
    except torch.linalg.LinAlgError:
        g, t = check_raises(fn, [a], lib=True, dtype=dtype, exc=gt.linalg.LinAlgError)
        assert str(g) == str(t)
        return
    check_op(fn, [a.astype(dtype)], lib=True, dtype=dtype, grad=False, layout=layout)


def test_slogdet_sign_of_nan_input_is_a_signed_zero():
    """torch: sign = sign(P) prod(sgn(diag U)) with sgn(nan) = 0 (NumPy said -1)."""
    a = np.array([[1.0, _nan, 2.0], [3.0, 1.0, -1.0], [0.5, 2.0, 1.0]])
    for m in (gt, torch):
        s = m.linalg.slogdet(m.tensor(a)).sign
        assert float(s) == 0.0
    g, t = (np.copysign(1, float(m.linalg.slogdet(m.tensor(a)).sign)) for m in (gt, torch))
    assert g == t


@pytest.mark.parametrize("a", [np.zeros((1, 1)), np.array([[1.0, 2.0], [2.0, 4.0]]),
                               np.array([[1.0, 0.0], [0.0, 0.0]]), np.zeros((2, 3, 3)),
                               np.array([[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]]])])
def test_gradients_at_singular_matrices(a):
    """det: torch 2.13 gives a zero gradient at det = 0 (a 1x1's is 1); slogdet: inf/nan."""
    check_op(lambda m, A: m.linalg.det(A), [a], lib=True)
    check_op(lambda m, A: m.linalg.slogdet(A), [a], lib=True)


@pytest.mark.parametrize("fn", [lambda m, A: m.linalg.inv(A),
                                lambda m, A: m.linalg.solve(A, A[..., :1])])
def test_singular_errors_name_the_batch_element_and_pivot(fn):
    a = np.stack([np.eye(3), np.diag([1.0, 0.0, 1.0])])
    g, t = check_raises(fn, [a], lib=True, exc=gt.linalg.LinAlgError)
    assert str(g) == str(t)
    g, t = check_raises(fn, [a[1]], lib=True, exc=gt.linalg.LinAlgError)
    assert str(g) == str(t)


# ---- cholesky: potrf's pivot test (d <= 0 or NaN stops it), NumPy's goes on through inf/NaN --
@pytest.mark.parametrize("a", [
    np.array([[1e30, 0.07, 2.9], [0.07, np.inf, 0.5], [2.9, 0.5, 1.0]]),
    np.array([[np.inf, 1.0], [1.0, 2.0]]),
    np.array([[4.0, np.nan], [np.nan, 2.0]]),
    np.array([[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]]]),   # batch element 1
    -np.eye(3),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cholesky_refuses_as_torch(a, dtype):
    if dtype == "float32" and np.isinf(a).any():
        pytest.skip("torch's MKL spotrf refuses [[inf, 1], [1, 2]] (order 2), its dpotrf not: "
                    "LAPACK-build noise, not followed")
    try:
        torch.linalg.cholesky(torch.tensor(a.astype(dtype)))
    except torch.linalg.LinAlgError:
        g, t = check_raises(lambda m, A: m.linalg.cholesky(A), [a], lib=True, dtype=dtype,
                            exc=gt.linalg.LinAlgError)
        assert str(g) == str(t)
        return
    check_op(lambda m, A: m.linalg.cholesky(A), [a.astype(dtype)], lib=True, dtype=dtype,
             grad=False)


@pytest.mark.parametrize("a", [np.array([[1e30]]), np.array([[-1e30]]),
                               np.array([[2.0, 1.0], [1.0, 2.0]])])
def test_eigh_gradient_when_an_eigenvalue_overflows(a):
    """float32 1e30^2 = inf: torch sets E's diagonal to 1 and writes gw there (no inf - inf,
    no nan * 0); the gradient stays finite where it was nan here (a fuzzer finding)."""
    check_op(lambda m, A: m.linalg.eigh(A @ A.mT + m.eye(A.shape[-1])).eigenvalues,
             [a.astype("float32")], lib=True, dtype="float32")


def test_svd_of_non_finite_input_as_torch_and_without_hanging():
    """NaN: torch's LinAlgError (NumPy's gesdd could spin for minutes); inf: NaN values."""
    a = np.stack([np.eye(2), np.array([[np.nan, 1.0], [1.0, 2.0]])])
    g, t = check_raises(lambda m, A: m.linalg.svd(A, full_matrices=False), [a], lib=True,
                        exc=gt.linalg.LinAlgError)
    assert str(g) == str(t)
    for b in (np.array([[np.inf, 1.0], [1.0, 2.0]]), np.array([[np.inf, 1.0, 0.0],
                                                                [1.0, 2.0, 3.0]])):
        check_op(lambda m, A: m.linalg.svd(A, full_matrices=False).S, [b], lib=True,
                 grad=False)


def test_svd_of_a_batch_with_one_infinite_matrix():
    """Only the matrix holding inf gets NaN values; the finite ones are factored."""
    a = np.array([[[np.inf]], [[1.78]]])
    check_op(lambda m, A: m.linalg.svd(A, full_matrices=False).S, [a], lib=True, grad=False)
