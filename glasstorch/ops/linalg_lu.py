"""LU and LDL^T factorizations and their solvers, and Householder products: torch.linalg's
lu_factor(_ex), lu, lu_solve, ldl_factor(_ex), ldl_solve, householder_product and the legacy
torch.lu / lu_unpack / lu_solve / orgqr. Kernels: backend/lu.py (LAPACK's getf2/sytf2/sytrs).

Gradients: `lu_factor` is an op whose backward is the LU identity (square A = P L U):
    gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T
extended to wide A = P L [U1 U2] (U2 = L^-1 P^T A2) and tall A = P [L1; L2] U (L2 = A2 U^-1)
by the chain rule through U2 / L2. Everything else is a composition (lu_unpack is tril/triu of
the packed factor, lu_solve two triangular solves, householder_product a product of
reflections), so it differentiates through those. As in torch, ldl_factor and ldl_solve have
no derivative: a backward through them raises RuntimeError.
"""
from ..autograd.node import Op
from ..backend import lu as _lu
from ..tensor import _make
from ._util import new_tensor
from .decomp import _T, _TORCH_NAME, _floating, _square, solve_triangular

__all__ = ["lu_factor_ex", "lu_factor", "lu_unpack", "lu", "lu_solve", "ldl_factor_ex",
           "ldl_factor", "ldl_solve", "householder_product", "orgqr", "ormqr", "geqrf",
           "cholesky_solve", "cholesky_inverse", "triangular_solve"]


def _tril1(x, k):
    from ..creation import eye
    return x.tril(-1) + eye(x.shape[-2], k, dtype=x.dtype)


class LuFactor(Op, name="linalg_lu_factor_ex"):
    """LU (packed) of A; the pivots and info come from the same kernel call (no gradient)."""

    @staticmethod
    def forward(ctx, a, lu, perm):
        ctx.save(lu=lu, perm=perm)
        return lu

    @staticmethod
    def backward(ctx, g):
        lu, P = new_tensor(ctx.lu), new_tensor(ctx.perm)
        m, n = lu.shape[-2:]
        k = min(m, n)
        L, U = _tril1(lu[..., :, :k], k), lu[..., :k, :].triu()
        gL, gU = g[..., :, :k].tril(-1), g[..., :k, :].triu()
        if m == n:
            return P @ _square_grad(L, U, gL, gU), None, None
        if m < n:      # wide: U2 = L^-1 A2 (A2: the last columns of P^T A)
            U1, U2, gU1, gU2 = U[..., :k], U[..., k:], gU[..., :k], gU[..., k:]
            gA2 = solve_triangular(_T(L), gU2, upper=True, unitriangular=True)
            gL = gL - (gA2 @ _T(U2)).tril(-1)
            gA1 = _square_grad(L, U1, gL, gU1)
            return P @ _cat(gA1, gA2, -1), None, None
        # tall: L2 = A2 U^-1 (A2: the last rows of P^T A)
        L1, L2, gL1, gL2 = L[..., :k, :], L[..., k:, :], gL[..., :k, :], gL[..., k:, :]
        gA2 = solve_triangular(_T(U), gL2, upper=False, left=False)     # gL2 U^-T
        gU = gU - (_T(L2) @ gA2).triu()
        gA1 = _square_grad(L1, U, gL1, gU)
        return P @ _cat(gA1, gA2, -2), None, None


def _cat(a, b, dim):
    from .concat import cat
    return cat([a, b], dim)


def _square_grad(L, U, gL, gU):
    phi = (_T(L) @ gL).tril(-1) + (gU @ _T(U)).triu()
    x = solve_triangular(_T(L), phi, upper=True, unitriangular=True)
    return solve_triangular(_T(U), x, upper=False, left=False)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """(LU, pivots, info): P A = L U with partial pivoting, as LAPACK's getrf."""
    from .. import linalg
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lu_factor_ex: Expected tensor with 2 or more "
                           f"dimensions. Got size: {tuple(A.shape)} instead")
    if A.dtype.name not in ("float32", "float64") and A.numel():
        raise NotImplementedError('"lu_cpu" not implemented for '
                                  f"'{_TORCH_NAME[A.dtype.name]}'")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, piv, info = _lu.lu_factor(A._data)
    perm = _lu.permutation(piv, A.shape[-2], A._data.dtype)
    LU = LuFactor.apply(A, lu, perm)
    info_t = _make(info)
    if check_errors and (info > 0).any():
        raise linalg.LinAlgError(f"torch.linalg.lu_factor_ex: U[{info.max()},{info.max()}] is "
                                 "zero and using it on lu_solve would result in a division "
                                 "by zero.")
    return linalg._LU_FACTOR_EX(LU, _make(piv), info_t)


def lu_factor(A, *, pivot=True, out=None):
    """(LU, pivots); a singular A raises (its zero U diagonal would divide lu_solve by 0)."""
    from .. import linalg
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    bad = info._data
    if (bad > 0).any():
        i = int(bad[bad > 0].reshape(-1)[0])
        where = "" if A.ndim == 2 else "For batch element: "
        raise RuntimeError(f"torch.linalg.lu_factor: {where}U[{i},{i}] is zero and using it on "
                           "lu_solve would result in a division by zero. If you still want to "
                           "perform the factorization, consider calling linalg.lu(A, pivot) or "
                           "linalg.lu_factor_ex(A, pivot)")
    return linalg._LU_FACTOR(LU, piv)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """(P, L, U) from lu_factor's packed LU and pivots."""
    from .. import linalg
    from ..creation import empty
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    if unpack_pivots:
        P = _make(_lu.permutation(LU_pivots._data, m, LU_data._data.dtype))
    else:
        P = empty(0, dtype=LU_data.dtype)
    if unpack_data:
        L, U = _tril1(LU_data[..., :, :k], k), LU_data[..., :k, :].triu()
    else:
        L = U = empty(0, dtype=LU_data.dtype)
    return linalg._LU(P, L, U)


def lu(A, *, pivot=True, out=None):
    """torch.linalg.lu: (P, L, U) with A = P L U."""
    from .. import linalg
    LU, piv, _ = lu_factor_ex(A, pivot=pivot)
    return linalg._LU(*lu_unpack(LU, piv))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """X with A X = B (X A = B when not `left`; A^T when `adjoint`) from A's LU factors."""
    _square(LU, "lu_solve")
    P, L, U = lu_unpack(LU, pivots)
    if left and not adjoint:        # L U X = P^T B
        y = solve_triangular(L, _T(P) @ B, upper=False, unitriangular=True)
        return solve_triangular(U, y, upper=True)
    if left:                        # U^T L^T P^T X = B
        y = solve_triangular(_T(U), B, upper=False)
        return P @ solve_triangular(_T(L), y, upper=True, unitriangular=True)
    if not adjoint:                 # X P L U = B
        y = solve_triangular(U, B, upper=True, left=False)
        return solve_triangular(L, y, upper=False, unitriangular=True, left=False) @ _T(P)
    y = solve_triangular(_T(L), B @ P, upper=True, unitriangular=True, left=False)
    return solve_triangular(_T(U), y, upper=False, left=False)   # X U^T L^T P^T = B


class _NoDerivative(Op, name="linalg_ldl_factor_ex"):
    """LDL^T factor (no derivative in torch: backward raises)."""

    @staticmethod
    def forward(ctx, a, ld):
        return ld

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::linalg_ldl_factor_ex is not implemented")


class LdlSolve(Op, name="linalg_ldl_solve"):
    """X from LD, pivots and B (no derivative in torch: backward raises)."""

    @staticmethod
    def forward(ctx, ld, pivots, b):
        return _lu.ldl_solve(ld, pivots, b).astype(b.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::linalg_ldl_solve is not implemented")


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """(LD, pivots, info): A = L D L^T with Bunch-Kaufman pivoting (LAPACK's sytrf, lower)."""
    from .. import linalg
    _square(A, "ldl_factor_ex")
    ld, piv, info = _lu.ldl_factor(A._data)
    if check_errors and (info > 0).any():
        raise linalg.LinAlgError(f"torch.linalg.ldl_factor_ex: the factorization could not be "
                                 f"completed: D[{info.max()}] is zero")
    return linalg._LDL_FACTOR_EX(_NoDerivative.apply(A, ld), _make(piv), _make(info))


def ldl_factor(A, *, hermitian=False, out=None):
    """(LD, pivots); a zero pivot (exactly singular D) raises, as torch."""
    from .. import linalg
    LD, piv, info = ldl_factor_ex(A, hermitian=hermitian)
    if (info._data > 0).any():
        raise RuntimeError("torch.linalg.ldl_factor: Unknown error code: "
                           f"{int(info._data.max())}.")
    return linalg._LDL_FACTOR(LD, piv)


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    _square(LD, "ldl_solve")
    if B.ndim < 2:
        raise RuntimeError("torch.linalg.ldl_solve: Expected B to have at least 2 dimensions, "
                           f"but it has {B.ndim} dimensions instead")
    if LD.shape[-1] != B.shape[-2]:
        raise RuntimeError("torch.linalg.ldl_solve: Incompatible shapes of A and B for the "
                           f"equation AX = B ({LD.shape[-2]}x{LD.shape[-1]} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    if B.dtype != LD.dtype:
        raise RuntimeError(f"torch.linalg.ldl_solve: Expected LD and B to have the same dtype, "
                           f"but found LD of type {_TORCH_NAME[LD.dtype.name]} and B of type "
                           f"{_TORCH_NAME[B.dtype.name]} instead")
    return LdlSolve.apply(LD, pivots, B)


def householder_product(A, tau, *, out=None):
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T, v_i = (0.., 1, A[i+1:, i])
    (LAPACK's orgqr: Q from geqrf's reflectors)."""
    from ..creation import eye
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.householder_product: input must have at least 2 "
                           "dimensions.")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater "
                           "than or equal to input.shape[-1]")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError("torch.linalg.householder_product: input.dim() must be greater than "
                           "tau.dim() by 1")
    if tau.shape[-1] > n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater "
                           "than or equal to tau.shape[-1]")
    if tau.dtype != A.dtype:
        raise RuntimeError(f"torch.linalg.householder_product: tau dtype "
                           f"{_TORCH_NAME[tau.dtype.name]} does not match input dtype "
                           f"{_TORCH_NAME[A.dtype.name]}")
    _floating(A, "householder_product")
    V = _tril1(A, n)
    Q = eye(m, n, dtype=A.dtype).expand(*A.shape)
    if tau.shape[-1] == 0:            # no reflector: I, still a function of A (as in torch)
        Q = Q + (A * 0).nan_to_num(0.0)
    for i in reversed(range(tau.shape[-1])):
        v = V[..., :, i:i + 1]
        Q = Q - tau[..., i, None, None] * (v @ (_T(v) @ Q))
    return Q


# ---- the legacy torch-level forms (torch.lu, torch.lu_solve, torch.orgqr, ...) -------------
def _legacy_lu(A, pivot=True, get_infos=False, out=None):
    """torch.lu / Tensor.lu: (LU, pivots[, infos]); without get_infos a singular A raises."""
    import warnings
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.",
                  UserWarning, stacklevel=2)
    if get_infos:
        return tuple(lu_factor_ex(A, pivot=pivot))
    return tuple(lu_factor(A, pivot=pivot))


def _legacy_lu_solve(input, LU_data, LU_pivots, *, out=None):
    """torch.lu_solve(b, LU_data, LU_pivots): the right-hand side first."""
    return lu_solve(LU_data, LU_pivots, input)


def orgqr(input, input2):
    """torch.orgqr(A, tau): its schema names tau `input2` (the keyword torch accepts)."""
    return householder_product(input, input2)


def _reflect(x, A, tau, left, transpose):
    """Q x (or Q^T x, x Q, x Q^T) for Q = H_1 ... H_k from geqrf's reflectors in A, tau."""
    V = _tril1(A[..., :, :tau.shape[-1]], tau.shape[-1])
    order = range(tau.shape[-1])
    # Q x = H_1 (H_2 (... H_k x)): the last reflector first; Q^T x: the first one first
    if left != transpose:
        order = reversed(order)
    for i in order:
        v = V[..., :, i:i + 1]
        if left:
            x = x - tau[..., i, None, None] * (v @ (_T(v) @ x))
        else:
            x = x - tau[..., i, None, None] * ((x @ v) @ _T(v))
    return x


def ormqr(input, input2, input3, left=True, transpose=False, *, out=None):
    """torch.ormqr(A, tau, C): Q C, Q^T C, C Q or C Q^T with Q from geqrf's (A, tau)."""
    if input3.shape[-2 if left else -1] != input.shape[-2]:
        raise RuntimeError(f"torch.ormqr: other.shape[{-2 if left else -1}] must be equal to "
                           "input.shape[-2]")
    return _reflect(input3, input, input2, left, transpose)


class Geqrf(Op, name="geqrf"):
    """QR in LAPACK's compact form (R above the diagonal, reflectors below, and tau); no
    derivative in torch: backward raises."""

    @staticmethod
    def forward(ctx, a):
        from ..backend import xp
        import math
        mats = a.reshape((math.prod(a.shape[:-2]),) + a.shape[-2:])
        k = min(a.shape[-2:])
        hs = xp.empty_like(mats)
        taus = xp.empty((mats.shape[0], k), dtype=a.dtype)
        for i, mat in enumerate(mats):
            # LAPACK's loop as torch runs it where NumPy's OpenBLAS parts from it: NaN/inf
            # spread, and a -0.0 alpha (MKL's SIGN(beta, -0.0) is +beta, OpenBLAS's -beta)
            if not xp.isfinite(mat).all() or (xp.signbit(mat) & (mat == 0)).any():
                hs[i], taus[i] = _lu.geqr2(mat)
                continue
            h, tau = xp.linalg.qr(mat.astype(xp.float64), mode="raw")
            hs[i], taus[i] = h.T, tau[:k]
        return hs.reshape(a.shape), taus.reshape(a.shape[:-2] + (k,))

    @staticmethod
    def backward(ctx, g, g_tau):
        raise RuntimeError("The derivative of geqrf is not implemented.")


def geqrf(input, *, out=None):
    from .. import linalg
    if input.dtype.name not in ("float32", "float64"):
        raise NotImplementedError('"geqrf_cpu" not implemented for '
                                  f"'{_TORCH_NAME[input.dtype.name]}'")
    return linalg._GEQRF(*Geqrf.apply(input))


def cholesky_solve(input, input2, upper=False, *, out=None):
    """X with A X = B for A = L L^T (or U^T U when `upper`), L = input2, B = input."""
    if upper:
        y = solve_triangular(_T(input2), input, upper=False)
        return solve_triangular(input2, y, upper=True)
    y = solve_triangular(input2, input, upper=False)
    return solve_triangular(_T(input2), y, upper=True)


def cholesky_inverse(input, upper=False, *, out=None):
    from ..creation import eye
    n = input.shape[-1]
    return cholesky_solve(eye(n, dtype=input.dtype).expand(*input.shape), input, upper)


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """torch.triangular_solve(b, A): (X, A.clone()) with op(A) X = b."""
    from .. import linalg
    T = _T(A) if transpose else A
    X = solve_triangular(T, input, upper=upper != transpose, unitriangular=unitriangular)
    return linalg._TRIANGULAR_SOLVE(X, A.clone())
