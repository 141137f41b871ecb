"""The spectral decompositions of glasstorch.linalg: eigh (symmetric eigenvalues) and svd.
Forward is LAPACK through NumPy, backward in glasstorch ops from the identities named in each
docstring, as in decomp.py (whose helpers these share)."""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import _make
from .decomp import (LinAlgError, _TORCH_NAME, _T, _diag, _factors, _finite, _floating, _keep,
                     _lapack, _square)

__all__ = ["eigh", "svd"]


class Eigh(Op, name="linalg_eigh"):
    """A = V diag(w) V^T (symmetric A, the `UPLO` triangle read);
    gA = V (diag(gw) + skew(V^T gV) / (w_j - w_i)) V^T (torch's formula, not symmetrized)."""

    @staticmethod
    def forward(ctx, A, UPLO):
        w, V = _lapack(lambda a: _xp.linalg.eigh(a, UPLO=UPLO), "eigh", A)
        _keep(ctx, w, V)
        return w, V

    @staticmethod
    def backward(ctx, gw, gV):
        w, V = _factors(ctx)
        VtgV = _T(V) @ gV
        VtgV = 0.5 * (VtgV - _T(VtgV))
        E = w.unsqueeze(-2) - w.unsqueeze(-1)
        n = w.shape[-1]
        from ..creation import eye
        from .mask import where
        I = eye(n, dtype=_dtype.bool)
        # as torch: E's diagonal set to 1, then the diagonal replaced by gw (no inf - inf
        # there, nor nan * 0, when an eigenvalue overflowed to inf)
        inner = where(I, _diag(gw), VtgV / where(I, 1.0, E))
        return V @ inner @ _T(V), None


class Svd(Op, name="linalg_svd"):
    """A = U diag(S) Vh (reduced);  with F_ij = 1 / (S_j^2 - S_i^2) (0 on the diagonal),
    J = F * (U^T gU), K = F * (V^T gV):
    gA = U [diag(gS) + (J + J^T) S + S (K + K^T)] Vh + (I - U U^T) gU S^-1 Vh
         + U S^-1 gV^T (I - V V^T)   (Townsend's "Differentiating the SVD")."""

    @staticmethod
    def forward(ctx, A, full_matrices):
        if not _finite(A):      # NumPy's gesdd can spin for minutes on NaN/inf input
            nan = _xp.isnan(A).reshape(-1, *A.shape[-2:]).any((1, 2))
            if nan.any():
                where = f"(Batch element {int(_xp.argmax(nan))}): " if A.ndim > 2 else ""
                raise LinAlgError(f"linalg.svd: {where}The algorithm failed to converge "
                                  "because the input matrix contained non-finite values.")
            m, n = A.shape[-2:]     # inf (no NaN): torch's S is NaN; so are the factors here
            k = min(m, n)
            mu, nv = (m, n) if full_matrices else (k, k)
            U, S, Vh = (_xp.full(A.shape[:-2] + s, _xp.nan, A.dtype)
                        for s in ((m, mu), (k,), (nv, n)))
            ok = _xp.isfinite(A).all((-2, -1))      # the finite matrices of the batch: LAPACK
            if ok.any():
                U[ok], S[ok], Vh[ok] = _xp.linalg.svd(A[ok], full_matrices=full_matrices)
        else:
            U, S, Vh = _lapack(lambda a: _xp.linalg.svd(a, full_matrices=full_matrices), "svd",
                               A)
        _keep(ctx, U, S, Vh)
        ctx.full = full_matrices
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        if ctx.full:
            raise NotImplementedError("linalg.svd backward: use full_matrices=False (as torch "
                                      "requires for gradients of U and Vh)")
        U, S, Vh = _factors(ctx)
        from ..creation import eye
        k = S.shape[-1]
        I = eye(k, dtype=S.dtype)
        S2 = S * S
        F = (1 - I) / (S2.unsqueeze(-2) - S2.unsqueeze(-1) + I)
        V, gV = _T(Vh), _T(gVh)
        J = F * (_T(U) @ gU)
        K = F * (Vh @ gV)
        Sd = _diag(S)
        inner = _diag(gS) + (J + _T(J)) @ Sd + Sd @ (K + _T(K))
        gA = U @ inner @ Vh
        Sinv = _diag((1 / S))
        m, n = U.shape[-2], V.shape[-2]
        if m > k:
            gA = gA + (eye(m, dtype=S.dtype) - U @ _T(U)) @ gU @ Sinv @ Vh
        if n > k:
            gA = gA + U @ Sinv @ _T(gV) @ (eye(n, dtype=S.dtype) - V @ Vh)
        return gA, None


def eigh(A, UPLO="L"):
    if A.ndim >= 2 and A.shape[-1] == A.shape[-2] and (
            not A.dtype.is_floating_point or A.dtype.name == "float16"):
        # torch has no dtype check here: its kernel refuses the dtype, unless A is empty
        if A.numel() == 0:
            return (_make(_xp.zeros(A.shape[:-1], A._data.dtype)),
                    _make(_xp.zeros(A.shape, A._data.dtype)))
        raise NotImplementedError(f'"linalg_eigh_cpu" not implemented for '
                                  f"'{_TORCH_NAME[A.dtype.name]}'")
    _square(A, "eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return Eigh.apply(A, UPLO)


def svd(A, full_matrices=True):
    _floating(A, "svd")
    return Svd.apply(A, full_matrices)
