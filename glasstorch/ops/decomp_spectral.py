"""The spectral decompositions of glasstorch.linalg: eigh (symmetric eigenvalues) and svd, and
the pseudo-inverse built on them.
Forward is LAPACK through NumPy, backward in glasstorch ops from the identities named in each
docstring, as in decomp.py (whose helpers these share)."""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import _make
from .decomp import (LinAlgError, _TORCH_NAME, _T, _diag, _factors, _finite, _floating, _keep,
                     _lapack, _square)

__all__ = ["eigh", "svd", "pinv"]


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


def _pinv_tolerance(A, s, atol, rtol):
    """max(atol, rtol * s_max) per matrix; rtol defaults to eps * max(m, n), or 0 when a
    positive atol is given (torch's rule)."""
    if rtol is None:
        rtol = 0.0 if (atol is not None and atol > 0) else \
            float(_xp.finfo(A.dtype).eps) * max(A.shape[-2], A.shape[-1])
    smax = s.max(-1, keepdims=True) if s.shape[-1] else _xp.zeros(s.shape[:-1] + (1,), s.dtype)
    tol = smax * rtol
    return tol if atol is None else _xp.maximum(tol, atol)


class Pinv(Op, name="linalg_pinv"):
    """P = A^+ = V diag(1/s) U^T over the singular values s above the tolerance (hermitian:
    V diag(1/w) V^T over the eigenvalues of A's lower triangle with |w| above it). Backward is
    torch's pinv_backward, the derivative of the pseudo-inverse at a fixed rank (Golub &
    Pereyra 1973): gA = -P^T gP P^T + (I - A P)^T gP^T... written per shape below so that the
    products stay min(m, n) wide; differentiable again (P is this node's output)."""

    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        if hermitian:
            w, V = _lapack(lambda a: _xp.linalg.eigh(a, UPLO="L"), "pinv", A)
            keep = _xp.abs(w) > _pinv_tolerance(A, _xp.abs(w), atol, rtol)
            winv = _xp.where(keep, 1 / _xp.where(keep, w, 1), 0)
            P = (V * winv[..., None, :]) @ _xp.swapaxes(V, -1, -2)
        else:
            U, s, Vh = _lapack(lambda a: _xp.linalg.svd(a, full_matrices=False), "pinv", A)
            keep = s > _pinv_tolerance(A, s, atol, rtol)
            sinv = _xp.where(keep, 1 / _xp.where(keep, s, 1), 0)
            P = (_xp.swapaxes(Vh, -1, -2) * sinv[..., None, :]) @ _xp.swapaxes(U, -1, -2)
        P = P.astype(A.dtype, copy=False)
        ctx.save_inputs(0)
        ctx.save_output(P)
        return P

    @staticmethod
    def backward(ctx, gP):
        A, = ctx.saved_tensors
        P = ctx.output()
        Ph, gh = _T(P), _T(gP)
        if A.shape[-2] <= A.shape[-1]:
            K = gh @ P                                     # (m, m)
            KPh = K @ Ph
            gA = -_T(P @ K) + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
        else:
            K = P @ gh                                     # (n, n)
            PhK = Ph @ K
            gA = -_T(K @ P) + (gh - A @ K) @ P @ Ph + PhK - PhK @ P @ A
        return gA, None, None, None


def pinv(A, atol=None, rtol=None, hermitian=False):
    if A.ndim < 2 or A.dtype.name not in ("float32", "float64"):
        raise RuntimeError(f"linalg.pinv({_TORCH_NAME[A.dtype.name]}{{{list(A.shape)}}}): "
                           "expected a tensor with 2 or more dimensions of float, double, "
                           "cfloat or cdouble types")
    if A.numel() == 0:                     # torch: (..., n, m) of zeros, square or not
        return _T(A) * 0
    if hermitian:
        _square(A, "eigh")
    return Pinv.apply(A, atol, rtol, hermitian)
