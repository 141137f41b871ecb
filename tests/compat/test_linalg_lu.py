"""torch.linalg's LU / LDL^T / Householder functions and their legacy torch-level forms
(ops/linalg_lu.py) vs torch: factors, pivots, info, gradients (square, wide, tall, batched),
the missing derivatives of ldl_* and geqrf, and the errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (3, 5), (5, 3), (1, 1)])
def test_lu_factor_ex_values_pivots_and_gradient(shape):
    check_op(lambda m, a: tuple(m.linalg.lu_factor_ex(a)), [shape], lib=True)
    check_op(lambda m, a: m.linalg.lu_factor(a).LU, [shape], lib=True)


def test_lu_factor_nonfinite_pivots_as_blas_iamax():
    # getrf's pivot is BLAS i?amax's: a NaN below the diagonal is never chosen (NumPy's argmax
    # would), a NaN on the diagonal is kept; then inf/NaN spread through the elimination
    nan, inf = float("nan"), float("inf")
    mats = [[[-2.0, 1.0], [nan, nan]], [[0.5, 0.5], [nan, 1.0]], [[-2.0, -inf], [nan, 1.0]],
            [[nan, 1.0], [3.0, 2.0]], [[1.0, 2.0, 0.5], [inf, 0.0, 1.0], [nan, -2.0, 3.0]],
            [[0.5, nan, 2.0], [1.0, 3.0, -1.0]], [[1.0, 2.0], [nan, 0.5], [-inf, 3.0]]]
    for a in mats:
        check_op(lambda m, a: tuple(m.linalg.lu_factor_ex(a)), [np.array(a)], lib=True,
                 grad=False)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (2, 2, 3)])
def test_lu_plu_and_unpack(shape):
    check_op(lambda m, a: tuple(m.linalg.lu(a)), [shape], lib=True)
    check_op(lambda m, a: tuple(m.lu_unpack(*m.linalg.lu_factor(a))), [shape], lib=True)


def test_lu_singular_info_and_errors():
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    check_op(lambda m, a: tuple(m.linalg.lu_factor_ex(a)), [sing], lib=True, grad=False)
    check_op(lambda m, a: tuple(m.linalg.lu_factor_ex(a)), [np.zeros((3, 3))], lib=True,
             grad=False)
    check_raises(lambda m, a: m.linalg.lu_factor(a), [np.zeros((3, 3))], lib=True)
    check_raises(lambda m, a: m.linalg.lu_factor(a, pivot=False), [(3, 3)], lib=True)
    check_raises(lambda m, a: m.linalg.lu_factor(a), [(3,)], lib=True)
    check_raises(lambda m, a: m.linalg.lu_factor(a.long()), [(3, 3)], lib=True)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
def test_lu_solve_all_forms_with_gradients(left, adjoint):
    def fn(m, a, b):
        LU, piv = m.linalg.lu_factor(a)
        return m.linalg.lu_solve(LU, piv, b, left=left, adjoint=adjoint)
    check_op(fn, [(4, 4), (4, 2) if left else (2, 4)], lib=True)
    check_op(fn, [(2, 3, 3), (2, 3, 3)], lib=True)


def test_legacy_torch_lu_forms():
    check_op(lambda m, a: tuple(m.lu(a, get_infos=True)), [(3, 3)], lib=True)
    check_op(lambda m, a: tuple(a.lu()), [(2, 3, 3)], lib=True)
    check_op(lambda m, a, b: m.lu_solve(b, *m.linalg.lu_factor(a)), [(3, 3), (3, 2)], lib=True)
    check_op(lambda m, a, b: b.lu_solve(*m.linalg.lu_factor(a)), [(3, 3), (3, 2)], lib=True)


def _sym(n, seed, tiny_diag=False, batch=()):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(batch + (n, n))
    a = a + np.swapaxes(a, -1, -2)
    if tiny_diag:          # forces Bunch-Kaufman's 2x2 pivots and interchanges
        idx = np.arange(n)
        a[..., idx, idx] *= 0.01
    return a


@pytest.mark.parametrize("seed", range(6))
def test_ldl_factor_and_solve_match_lapack_pivots(seed):
    a = _sym(5, seed, tiny_diag=seed % 2 == 0)
    b = np.random.default_rng(seed).standard_normal((5, 3))
    check_op(lambda m, a: tuple(m.linalg.ldl_factor_ex(a)), [a], lib=True, grad=False)
    check_op(lambda m, a: tuple(m.linalg.ldl_factor(a)), [a], lib=True, grad=False)
    check_op(lambda m, a, b: m.linalg.ldl_solve(*m.linalg.ldl_factor(a), b), [a, b], lib=True,
             grad=False, rtol=1e-6, atol=1e-8)


def test_ldl_batched_and_2x2_pivots():
    a = _sym(4, 7, tiny_diag=True, batch=(3,))
    g, t = check_op(lambda m, a: tuple(m.linalg.ldl_factor(a)), [a], lib=True, grad=False)
    assert (t[1] < 0).any()          # the case really has 2x2 blocks
    check_op(lambda m, a: tuple(m.linalg.ldl_factor(a)), [np.array([[0.0, 1.0], [1.0, 0.0]])],
             lib=True, grad=False)


def test_ldl_nonfinite_as_torchs_lapack():
    # torch's sytrf on NaN/inf: a NaN below the diagonal is a pivot candidate, a NaN diagonal
    # is not reported in info, 1/d = 0 skips the rank-1 update (syr's alpha == 0); sytrs'
    # scaled 2x2 solve and ger's skipped zeros decide where nan/inf appear in X
    nan, inf = float("nan"), float("inf")
    mats = [[[nan, 1.0], [nan, -inf]], [[inf, 0.0], [-inf, inf]], [[nan, -inf], [3.0, -inf]],
            [[nan, 0.0], [1.0, -inf]], [[3.0, inf, 0.5], [-2.0, 0.5, 0.5], [nan, -2.0, 3.0]],
            [[-inf, 0.5, 1.0], [inf, -2.0, -inf], [nan, 0.5, 3.0]],
            [[3.0, nan, -inf], [-inf, 1.0, 0.0], [nan, -inf, -inf]], [[nan, nan], [1.0, 0.0]],
            [[0.5, 1.0, 2.0], [1.0, 0.25, -1.0], [2.0, -1.0, inf]]]
    for a in mats:
        a = np.array(a)
        check_op(lambda m, a: tuple(m.linalg.ldl_factor_ex(a)), [a], lib=True, grad=False)
        b = np.array([[2.5], [-0.5], [1.0]][:len(a)])
        check_op(lambda m, a, b: m.linalg.ldl_solve(*m.linalg.ldl_factor_ex(a)[:2], b),
                 [a, b], lib=True, grad=False)


def test_ldl_has_no_derivative_and_errors():
    a = _sym(3, 1)
    for lib in (torch, gt):
        A = lib.tensor(a, requires_grad=True)
        LD, piv = lib.linalg.ldl_factor(A)
        with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_factor_ex"):
            LD.sum().backward()
        B = lib.tensor(np.ones((3, 1)), requires_grad=True)
        X = lib.linalg.ldl_solve(LD.detach(), piv, B)
        with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_solve"):
            X.sum().backward()
    check_raises(lambda m, a: m.linalg.ldl_factor(a), [(3, 4)], lib=True)
    check_raises(lambda m, a: m.linalg.ldl_factor(a), [np.zeros((3, 3))], lib=True)
    check_op(lambda m, a: tuple(m.linalg.ldl_factor_ex(a)), [np.zeros((3, 3))], lib=True,
             grad=False)
    check_raises(lambda m, a, b: m.linalg.ldl_solve(*m.linalg.ldl_factor(a), b),
                 [_sym(3, 2), (4, 1)], lib=True)
    check_raises(lambda m, a, b: m.linalg.ldl_solve(*m.linalg.ldl_factor(a), b.float()),
                 [_sym(3, 2), (3, 1)], lib=True)


@pytest.mark.parametrize("shape,k", [((4, 3), 3), ((5, 5), 4), ((2, 4, 2), 2), ((3, 3), 0)])
def test_householder_product_and_orgqr(shape, k):
    check_op(lambda m, a, t: m.linalg.householder_product(a, t), [shape, shape[:-2] + (k,)],
             lib=True)
    check_op(lambda m, a, t: m.orgqr(a, t), [shape, shape[:-2] + (k,)], lib=True)


def test_householder_product_errors():
    check_raises(lambda m, a, t: m.linalg.householder_product(a, t), [(3, 4), (2,)], lib=True)
    check_raises(lambda m, a, t: m.linalg.householder_product(a, t), [(4, 3), (4,)], lib=True)


def test_geqrf_nonfinite_as_torchs_lapack():
    # NaN/inf input: torch's geqr2 (MKL) norms x in one scaled pass (two infs: nan), lapy2
    # takes |x| sqrt(2) for a NaN alpha and nan for inf, inf, applies tau = 0 reflectors;
    # a -0.0 alpha counts as positive there (beta < 0; NumPy's OpenBLAS gives beta > 0)
    nan, inf = float("nan"), float("inf")
    mats = [[[nan, 0.78], [0.26, -0.31]], [[-inf, 0.0], [inf, 3.0]], [[0.5, 2.0], [inf, 1.0]],
            [[3.0, nan, 1.0], [inf, 1.0, inf], [-inf, 0.5, nan]], [[1.0, inf, 2.0]],
            [[1.0, 0.5, 1.0], [-inf, -2.0, 0.0], [-inf, 3.0, 1.0]], [[0.0, inf], [0.0, 1.0]],
            [[2.0, 1.0], [0.0, inf], [1.0, nan]], [[-0.0], [-0.0], [1e30]],
            [[-0.0, 1.1, -0.65], [1.0, 0.07, 1.0], [-2.36, 1.0, -1.79]]]   # -0.0 alpha: +beta
    for a in mats:
        for dtype in ("float64", "float32"):
            check_op(lambda m, a: tuple(m.geqrf(a)), [np.array(a)], lib=True, grad=False,
                     dtype=dtype)


@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_nonfinite_as_torchs_lapack(mode):
    # linalg.qr of NaN/inf input: geqr2 then org2r, whose larf trims v's trailing zeros and
    # C's zero columns (Q keeps exact 0/1 entries there), tau = 0 reflectors applied
    nan, inf = float("nan"), float("inf")
    mats = [[[inf, -0.32], [0.41, 1.04]], [[-inf, nan], [0.5, -2.0]], [[0.07, inf]],
            [[1.0, 2.0], [inf, 0.5], [0.0, 1.0]], [[3.0, nan, 1.0], [0.5, 1.0, -2.0]],
            [[1.0, 0.5, 1.0], [-inf, -2.0, 0.0], [-inf, 3.0, 1.0]]]
    for a in mats:
        check_op(lambda m, a: tuple(m.linalg.qr(a, mode)), [np.array(a)], lib=True, grad=False)


def test_geqrf_then_orgqr_and_ormqr():
    check_op(lambda m, a: tuple(m.geqrf(a)), [(5, 3)], lib=True, grad=False)
    check_op(lambda m, a: tuple(a.geqrf()), [(2, 3, 4)], lib=True, grad=False)
    for left in (True, False):
        for tr in (True, False):
            def fn(m, a, c):
                h, tau = m.geqrf(a.detach())
                return m.ormqr(h, tau, c, left=left, transpose=tr)
            check_op(fn, [(4, 3), (4, 2) if left else (2, 4)], lib=True)
    for lib in (torch, gt):
        h, tau = lib.geqrf(lib.tensor(np.eye(3) + 0.5, requires_grad=True))
        with pytest.raises(RuntimeError):
            (h.sum() + tau.sum()).backward()


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_inverse_and_triangular_solve(upper):
    spd = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])

    def factor(m, a):
        return m.linalg.cholesky(a, upper=upper)
    check_op(lambda m, a, b: m.cholesky_solve(b, factor(m, a), upper), [spd, (3, 2)], lib=True)
    check_op(lambda m, a, b: b.cholesky_solve(factor(m, a), upper=upper), [spd, (3, 2)],
             lib=True)
    check_op(lambda m, a: m.cholesky_inverse(factor(m, a), upper), [spd], lib=True)
    check_op(lambda m, a: factor(m, a).cholesky_inverse(upper=upper), [spd], lib=True)
    for tr in (False, True):
        check_op(lambda m, a, b: tuple(m.triangular_solve(b, a + 3 * m.eye(3, dtype=a.dtype),
                                                          upper=upper, transpose=tr)),
                 [(3, 3), (3, 2)], lib=True)
