"""Matrix decompositions and inverses (the primitives of glasstorch.linalg): inv, det, slogdet,
solve, solve_triangular, cholesky, qr (eigh and svd: decomp_spectral.py). Forward is LAPACK through NumPy (inv, det,
slogdet, solve of a non-finite input: the LU of _lu.py, as NumPy's OpenBLAS and torch's MKL part
there); each backward is written in
glasstorch ops (so second derivatives work) from the usual matrix-calculus identities, named
in each docstring. Everything batches over leading dims. torch.linalg's composite functions
(norms, pinv, lstsq, matrix_rank, ...) are built from these in glasstorch/linalg.py.
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from . import _lu
from ._util import new_tensor

__all__ = ["inv", "det", "slogdet", "solve", "solve_triangular", "cholesky", "qr", "LinAlgError"]


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a singular or not positive-definite input."""


def _keep(ctx, *arrays):
    """Keep several output arrays for backward (constants there: no second derivatives
    through the factors of a multi-output decomposition)."""
    ctx.save(factors=arrays)


def _factors(ctx):
    return [new_tensor(a) for a in ctx.factors]


def _diag(v):
    """Batched diagonal matrices from the vectors in v's last dim (differentiable)."""
    from ..creation import eye
    return v.unsqueeze(-1) * eye(v.shape[-1], dtype=v.dtype)


def _T(x):
    return x.transpose(-2, -1)


def _square(A, op):
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{op}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    _floating(A, op)


# float16 input: torch's LAPACK kernels that have no Half loop (NotImplementedError); the
# other ops refuse low precision up front (RuntimeError)
_HALF_KERNEL = {"det": "lu_cpu", "solve": "lu_cpu", "cholesky": "cholesky_cpu",
                "qr": "geqrf_cpu", "svd": "linalg_svd_cpu", "eigh": "linalg_eigh_cpu",
                "ldl_factor_ex": "ldl_factor_kernel_cpu"}


def _floating(A, op):
    if A.dtype.name == "float16":
        if op in _HALF_KERNEL:
            raise NotImplementedError(f'"{_HALF_KERNEL[op]}" not implemented for \'Half\'')
        raise RuntimeError(f"linalg.{op}: Low precision dtypes not supported. Got Half")
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"linalg.{op}: Expected a floating point or complex tensor as input. "
                           f"Got {_TORCH_NAME[A.dtype.name]}")


_TORCH_NAME = {d.name: d.cpp_name for d in _dtype.ALL}


def _lapack(fn, op, *arrays):
    """Run a NumPy LAPACK call; a singular / non-PD input raises torch's error type."""
    try:
        return fn(*arrays)
    except _xp.linalg.LinAlgError as e:
        raise LinAlgError(f"linalg.{op}: {e} (the input is singular or not positive-definite "
                          "where the op needs it)") from None


def _finite(*arrays):
    return all(bool(_xp.isfinite(a).all()) for a in arrays)


def _factor(A, op):
    """_lu.lu(A), raising torch's LinAlgError when a pivot is exactly zero (LAPACK's info).
    (torch's solve and inv factor A in any layout; its det and slogdet do not: _det_lu.)"""
    LU, perm, sign, zero = _lu.lu(A)
    bad = _xp.flatnonzero(zero)
    if bad.size:
        where = f"(Batch element {bad[0]}): " if zero.ndim else ""
        what = f"The diagonal element {zero.reshape(-1)[bad[0]]} is zero, the inversion could " \
            "not be completed because the input matrix is singular." if op == "inv" else \
            "The solver failed because the input matrix is singular."
        raise LinAlgError(f"{'torch.' if op == 'solve' else ''}linalg.{op}: {where}{what}")
    return LU, perm


def _solve(A, B, op):
    """A^-1 B: LAPACK (NumPy) for finite input, the LU of _lu.py otherwise (torch's nan where
    NumPy's OpenBLAS gives numbers); a singular A raises torch's LinAlgError and message."""
    if _finite(A, B):
        try:
            return _xp.linalg.solve(A, B)
        except _xp.linalg.LinAlgError:
            pass        # _factor names the zero pivot as torch does (or solves, if none)
    return _lu.lu_solve(*_factor(A, op), _xp.broadcast_to(B, A.shape[:-1] + B.shape[-1:]))


class Inv(Op, name="linalg_inv"):
    """Y = A^-1;  gA = -Y^T gY Y^T."""

    @staticmethod
    def forward(ctx, A):
        y = _solve(A, _xp.broadcast_to(_xp.eye(A.shape[-1], dtype=A.dtype), A.shape), "inv")
        ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        Y = ctx.output()
        return -(_T(Y) @ gy @ _T(Y))


def _det_lu(A):
    """(diagonal of U, sign of the row permutation) of A's LU (A^T's where torch factors
    that: _lu.factor_transposed), LAPACK's way (_lu.py)."""
    LU, _, sign, _ = _lu.lu(_xp.swapaxes(A, -1, -2) if _lu.factor_transposed(A) else A)
    return _xp.diagonal(LU, axis1=-2, axis2=-1), sign


class Det(Op, name="linalg_det"):
    """d = det(A) = sign(P) prod(diag U);  gA = gd * d * A^-T (Jacobi's formula). As torch
    2.13: a zero determinant gives a zero gradient (n >= 2; a 1x1 A's is gd)."""

    @staticmethod
    def forward(ctx, A):
        ctx.save_inputs(0)
        if _finite(A):
            d = _xp.linalg.det(A)
        else:
            u, sign = _det_lu(A)
            d = _xp.asarray(sign * u.prod(-1), A.dtype)
        ctx.save_output(d)
        return d

    @staticmethod
    def backward(ctx, gy):
        (A,) = ctx.saved_tensors
        d = ctx.output()
        if A.shape[-1] == 1:
            return gy[..., None, None].expand(*A.shape)
        zero = (d == 0).detach()
        if not zero.any():
            return (gy * d)[..., None, None] * _T(inv(A))
        from ..creation import eye
        from .mask import where
        I = eye(A.shape[-1], dtype=A.dtype)
        safe = where(zero[..., None, None], I, A)     # no inverse there: its factor d is 0
        return (gy * d)[..., None, None] * _T(inv(safe))


class Slogdet(Op, name="linalg_slogdet"):
    """(sign, log|det A|) from A's LU as torch: sign = sign(P) prod(sgn(diag U)) (sgn(nan) =
    0), log|det| = sum(log|diag U|);  gA = g_logabsdet * A^-T (the sign is piecewise
    constant; a singular A gives inf/nan there, as torch)."""

    @staticmethod
    def forward(ctx, A):
        ctx.save_inputs(0)
        sign, logabs = _xp.linalg.slogdet(A)
        if not _finite(A) or (sign == 0).any():
            u, perm_sign = _det_lu(A)
            sign = perm_sign * _xp.where(_xp.isnan(u), 0, _xp.sign(u)).prod(-1)
            with _xp.errstate(divide="ignore"):
                logabs = _xp.log(_xp.abs(u)).sum(-1)
        ctx.singular = bool((sign == 0).any())
        return _xp.asarray(sign, A.dtype), _xp.asarray(logabs, A.dtype)

    @staticmethod
    def backward(ctx, gsign, glog):
        (A,) = ctx.saved_tensors
        if ctx.singular:    # torch's A^-T diag(g) by the LU, unchecked: inf/nan (a constant)
            a, t = A._data, _lu.factor_transposed(A._data)
            LU, perm = _lu.lu(_xp.swapaxes(a, -1, -2) if t else a)[:2]
            d = glog._data[..., None, None] * _xp.eye(a.shape[-1], dtype=a.dtype)
            return new_tensor(_lu.lu_solve(LU, perm, d, adjoint=not t))
        return glog[..., None, None] * _T(inv(A))


class Solve(Op, name="linalg_solve"):
    """X = A^-1 B (B a matrix batch);  gB = A^-T gX, gA = -gB X^T."""

    @staticmethod
    def forward(ctx, A, B):
        X = _solve(A, B, "solve")
        ctx.save_inputs(0)
        ctx.save_output(X)
        return X

    @staticmethod
    def backward(ctx, gx):
        (A,) = ctx.saved_tensors
        X = ctx.output()
        gB = solve(_T(A), gx)
        need = ctx.needs_input_grad
        return (-(gB @ _T(X)) if need[0] else None), gB


class SolveTriangular(Op, name="linalg_solve_triangular"):
    """X = T^-1 B, T the `upper` (or lower) triangle of A, unit diagonal if `unit`;
    gB = T^-T gX (the other triangle), gA = -gB X^T cut to the triangle that was read."""

    @staticmethod
    def forward(ctx, A, B, upper, unit):
        X = _lu.substitute(A, B, upper, unit)
        ctx.save_inputs(0)
        ctx.save_output(X)
        ctx.upper, ctx.unit = upper, unit
        return X

    @staticmethod
    def backward(ctx, gx):
        (A,) = ctx.saved_tensors
        X = ctx.output()
        gB = SolveTriangular.apply(_T(A), gx, not ctx.upper, ctx.unit)
        if not ctx.needs_input_grad[0]:
            return None, gB, None, None
        gA = -(gB @ _T(X))
        k = int(ctx.unit)
        return (gA.triu(k) if ctx.upper else gA.tril(-k)), gB, None, None


class Cholesky(Op, name="linalg_cholesky"):
    """A = L L^T;  with P = tril(L^T gL), S = (P + tril(P, -1)^T) / 2, gA = L^-T S L^-1
    (torch's convention: a symmetric gradient)."""

    @staticmethod
    def forward(ctx, A):
        if _finite(A):
            try:
                L = _xp.linalg.cholesky(A)
            except _xp.linalg.LinAlgError:
                L = None
        if not _finite(A) or L is None:     # potrf written out: torch's pivot test and order
            L, first_bad = _lu.cholesky(A)
            bad = _xp.flatnonzero(first_bad)
            if bad.size:
                where = f"(Batch element {bad[0]}): " if first_bad.ndim else ""
                raise LinAlgError(f"linalg.cholesky: {where}The factorization could not be "
                                  "completed because the input is not positive-definite (the "
                                  f"leading minor of order {first_bad.reshape(-1)[bad[0]]} is "
                                  "not positive-definite).")
        ctx.save_output(L)
        return L

    @staticmethod
    def backward(ctx, gL):
        L = ctx.output()
        P = (_T(L) @ gL).tril()
        S = 0.5 * (P + _T(P.tril(-1)))
        Linv = inv(L)
        return _T(Linv) @ S @ Linv


class Qr(Op, name="linalg_qr"):
    """A = Q R.  Tall or square (m >= n, reduced): M = R gR^T - gQ^T Q,
    gA = (gQ + Q copyltu(M)) R^-T with copyltu(M) = tril(M, -1) + tril(M, -1)^T + diag(M).
    Wide (m < n): A = [X | Y], R = [U | V] with X = Q U square and Y = Q V, so
    gY = Q gV and X takes the square rule with gQ + Y gV^T (V = Q^T Y depends on Q)."""

    @staticmethod
    def forward(ctx, A, mode):
        if _xp.isfinite(A).all():
            Q, R = _xp.linalg.qr(A, mode="complete" if mode == "complete" else "reduced")
        else:
            from ..backend import lu as _lapack     # NumPy's OpenBLAS skips tau = 0
            Q, R = _lapack.qr(A, mode)              # reflectors: inf where torch has nan
        _keep(ctx, Q, R)
        ctx.shape, ctx.mode = A.shape, mode
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        m, n = ctx.shape[-2:]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        Q, R = _factors(ctx)
        if m >= n:
            return _qr_tall_grad(Q, R, gQ, gR), None
        from .join import cat
        V, gV = R[..., m:], gR[..., m:]
        gX = _qr_tall_grad(Q, R[..., :m], gQ + (Q @ V) @ _T(gV), gR[..., :m])
        return cat([gX, Q @ gV], -1), None


def _qr_tall_grad(Q, R, gQ, gR):
    M = R @ _T(gR) - _T(gQ) @ Q
    low = M.tril(-1)
    sym = low + _T(low) + _diag(M.diagonal(0, -2, -1))
    return _T(solve_triangular(R, _T(gQ + Q @ sym), upper=True))


def inv(A):
    _square(A, "inv")
    return Inv.apply(A)


def det(A):
    _square(A, "det")
    return Det.apply(A)


def slogdet(A):
    _square(A, "slogdet")
    return Slogdet.apply(A)


def solve(A, B):
    if A.dtype.name != "float16":   # torch: A's dtype, then B's, then the shapes (float16:
        _floating(A, "solve")       # the kernel's NotImplementedError, from _square)
    if B.dtype != A.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {_TORCH_NAME[A.dtype.name]} and B of type "
                           f"{_TORCH_NAME[B.dtype.name]} instead")
    _square(A, "solve")
    return Solve.apply(A, B)


def solve_triangular(A, B, upper, unitriangular=False, left=True):
    """X with T X = B (X T = B when not `left`), T the `upper` or lower triangle of A;
    batches broadcast, B is cast to A's dtype (as torch does)."""
    for name, t in (("B", B), ("A", A)):
        if t.ndim < 2:
            raise RuntimeError(f"linalg.solve_triangular: The input tensor {name} must have at "
                               "least 2 dimensions.")
    if A.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f'"triangular_solve_cpu" not implemented for '
                                  f"'{_TORCH_NAME[A.dtype.name]}'")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.solve_triangular: A must be batches of square matrices, "
                           f"but they are {A.shape[-2]} by {A.shape[-1]} matrices")
    if A.shape[-1] != B.shape[-2 if left else -1]:
        raise RuntimeError("linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX' if left else 'XA'} = B ({A.shape[-2]}x"
                           f"{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")
    from .view import _broadcast
    batch = _broadcast([B.shape[:-2], A.shape[:-2]], tensors=True)
    A = A.expand(*batch, *A.shape[-2:])
    B = B.to(A.dtype).expand(*batch, *B.shape[-2:])
    if not left:            # X A = B  <=>  A^T X^T = B^T, A^T's triangle is the other one
        return _T(SolveTriangular.apply(_T(A), _T(B), not upper, bool(unitriangular)))
    return SolveTriangular.apply(A, B, bool(upper), bool(unitriangular))


def cholesky(A):
    _square(A, "cholesky")
    return Cholesky.apply(A)


def qr(A, mode="reduced"):
    _floating(A, "qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return Qr.apply(A, mode)
