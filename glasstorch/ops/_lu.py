"""LAPACK's LU (getrf) and triangular solves (trsm) written out in NumPy, batched.

NumPy's LAPACK (OpenBLAS) and torch's (MKL) agree on finite input. On inf/NaN input they
part: OpenBLAS scales a column by 1/inf = 0 as if it were exact zeros (`x * 0` -> 0, where
IEEE says inf * 0 = nan), so NumPy's det/inv/solve return finite numbers where torch returns
nan. The decompositions therefore run these plain loops when the input is not finite, and
LAPACK through NumPy otherwise (same results there, much faster)."""
from ..backend import xp as _xp


def lu(a):
    """(LU, perm, sign, first_zero) of square matrices a (..., n, n): partial pivoting as
    getrf (the pivot is the first largest |a|; a NaN is taken only where it comes first, as
    BLAS's i?amax), L unit lower and U upper packed in one array; row k of LU is row perm[k]
    of a, sign is the permutation's. A zero pivot does not stop the factorization (LAPACK
    goes on and reports it in `info`): `first_zero` is its 1-based index, 0 if none."""
    a = _xp.array(a, copy=True)
    n = a.shape[-1]
    flat = a.reshape(-1, n, n)
    rows = _xp.arange(flat.shape[0])
    sign = _xp.ones(flat.shape[0], a.dtype)
    first_zero = _xp.zeros(flat.shape[0], _xp.int64)
    perm = _xp.broadcast_to(_xp.arange(n), (flat.shape[0], n)).copy()
    for k in range(n):
        col = _xp.abs(flat[:, k:, k])
        p = _xp.argmax(_xp.where(_xp.isnan(col), -1, col), axis=1)
        p = _xp.where(_xp.isnan(col[:, 0]), 0, p) + k
        swap = p != k
        if swap.any():
            top = flat[rows, k].copy()
            flat[rows, k] = flat[rows, p]
            flat[rows, p] = top
            perm[rows, k], perm[rows, p] = perm[rows, p], perm[rows, k]
            sign[swap] *= -1
        piv = flat[:, k, k]
        zero = piv == 0
        first_zero[zero & (first_zero == 0)] = k + 1
        below = flat[:, k + 1:, k]
        flat[:, k + 1:, k] = _xp.where(zero[:, None], below, below / piv[:, None])
        flat[:, k + 1:, k + 1:] -= flat[:, k + 1:, k, None] * flat[:, k, None, k + 1:]
    batch = a.shape[:-2]
    return flat.reshape(a.shape), perm.reshape(batch + (n,)), sign.reshape(batch), \
        first_zero.reshape(batch)


def substitute(A, B, upper, unit):
    """X with T X = B, T the upper (or lower) triangle of A (unit diagonal if `unit`): back
    or forward substitution over the rows, as trsm: a zero on the diagonal gives inf/nan in
    the result, not an error."""
    X = _xp.empty(B.shape, _xp.result_type(A, B))
    n = A.shape[-1]
    for i in (range(n - 1, -1, -1) if upper else range(n)):
        done = slice(i + 1, n) if upper else slice(0, i)
        row = B[..., i, :] - (A[..., i:i + 1, done] @ X[..., done, :])[..., 0, :]
        X[..., i, :] = row if unit else row / A[..., i, i, None]
    return X


def factor_transposed(a):
    """Whether torch factors A^T rather than A: it hands LAPACK (column-major) a row-major
    contiguous A as is, which is A^T (det A = det A^T, and A X = B is solved from A^T's LU
    with the adjoint); any other layout is copied to column-major, so A itself. The two LUs
    pivot differently, which shows on inf/NaN input."""
    return a.ndim >= 2 and a.flags.c_contiguous


def lu_solve(LU, perm, B, adjoint=False):
    """X = A^-1 B (getrs) from the packed LU and row order of A (adjoint: of A^T).
    P A = L U: L U X = P B.  P A^T = L U, so A = U^T L^T P: U^T L^T (P X) = B."""
    if not adjoint:
        B = _xp.take_along_axis(B, perm[..., None], axis=-2)
        return substitute(LU, substitute(LU, B, False, True), True, False)
    LUt = _xp.swapaxes(LU, -1, -2)
    W = substitute(LUt, substitute(LUt, B, False, False), True, True)
    return _xp.take_along_axis(W, _xp.argsort(perm, axis=-1)[..., None], axis=-2)


def cholesky(a):
    """(L, first_bad) of symmetric a (..., n, n), its lower triangle read, as potrf: column j
    takes d = a_jj - sum(L_j,:j ^ 2) and stops the factorization where d <= 0 or is NaN
    (`first_bad`: that 1-based j per matrix, 0 if none; the rest of L is then meaningless).
    NumPy's potrf goes on through NaN; torch's reports it."""
    n = a.shape[-1]
    L = _xp.zeros_like(a)
    bad = _xp.zeros(a.shape[:-2], _xp.int64)
    with _xp.errstate(all="ignore"):
        for j in range(n):
            d = a[..., j, j] - (L[..., j, :j] ** 2).sum(-1)
            bad = _xp.where((bad == 0) & ~(d > 0), j + 1, bad)
            L[..., j, j] = _xp.sqrt(d)
            col = a[..., j + 1:, j] - (L[..., j + 1:, :j] @ L[..., j, :j, None])[..., 0]
            L[..., j + 1:, j] = col / L[..., j, j, None]
    return L, bad
