"""torch.linalg: norms, decompositions, inverses and solvers.

The decompositions with their own gradients (inv, det, slogdet, solve, cholesky, qr, eigh,
svd) are ops in ops/decomp.py; everything else here is a composition of ops, so its gradient
comes for free: `pinv` is built on `svd`, `lstsq` on `pinv`, `cond` on `svdvals`, the norms on
`abs`/`pow`/`sum`/`amax`.

    >>> import glasstorch as torch
    >>> A = torch.tensor([[2., 1.], [1., 3.]])
    >>> torch.linalg.solve(A, torch.tensor([3., 5.]))
    tensor([0.8000, 1.4000])
"""
import builtins
import math

from .ops import decomp as _decomp, decomp_spectral as _spectral
from .ops.decomp import LinAlgError, inv, det, slogdet, cholesky, qr  # noqa: F401
from .ops.decomp_spectral import eigh  # noqa: F401
from .ops.linalg import matmul  # noqa: F401

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal",
           "eigh", "eigvalsh", "inv", "inv_ex", "lstsq", "matmul", "matrix_norm",
           "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve",
           "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve",
           "vander", "vecdot", "vector_norm", "matrix_exp", "lu_factor", "lu_factor_ex", "lu",
           "lu_solve", "ldl_factor", "ldl_factor_ex", "ldl_solve", "householder_product"]

_INF = float("inf")


class _Result(tuple):
    """A named tuple like torch's return types (`.eigenvalues`, `.U`, `.info`...)."""
    _fields = ()

    def __new__(cls, *values):
        return super().__new__(cls, values)

    def __getattr__(self, name):
        try:
            return self[self._fields.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def __repr__(self):      # as torch prints it: torch.return_types.linalg_qr(\nQ=..., ...)
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{self._torch_name}(\n{body})"


def _result(name, *fields, torch_name=None):
    """The result type of linalg.<name> (torch's name: linalg_<name>; torch_name for the
    torch-level ones: svd, geqrf, frexp...)."""
    return type(name, (_Result,), {"_fields": fields,
                                   "_torch_name": torch_name or "linalg_" + name})


_SVD, _EIGH = _result("svd", "U", "S", "Vh"), _result("eigh", "eigenvalues", "eigenvectors")
_QR, _SLOGDET = _result("qr", "Q", "R"), _result("slogdet", "sign", "logabsdet")
_INV_EX, _CHOL_EX = _result("inv_ex", "inverse", "info"), _result("cholesky_ex", "L", "info")
_SOLVE_EX = _result("solve_ex", "result", "info")
_LU_FACTOR_EX = _result("lu_factor_ex", "LU", "pivots", "info")
_LU_FACTOR, _LU = _result("lu_factor", "LU", "pivots"), _result("lu", "P", "L", "U")
_LDL_FACTOR_EX = _result("ldl_factor_ex", "LD", "pivots", "info")
_LDL_FACTOR = _result("ldl_factor", "LD", "pivots")
_GEQRF = _result("geqrf", "a", "tau", torch_name="geqrf")
_TRIANGULAR_SOLVE = _result("triangular_solve", "solution", "cloned_coefficient",
                            torch_name="triangular_solve")
_LSTSQ = _result("lstsq", "solution", "residuals", "rank", "singular_values")


def _info_zero(A):
    from .creation import zeros
    from . import _dtype
    return zeros(*A.shape[:-2], dtype=_dtype.int32)


# ---- decompositions (named results) --------------------------------------------------------
def svd(A, full_matrices=True, *, driver=None, out=None):
    return _SVD(*_spectral.svd(A, full_matrices))


def svdvals(A, *, driver=None, out=None):
    return _spectral.svd(A, False)[1]


def eigh(A, UPLO="L", *, out=None):  # noqa: F811 - the named-result wrapper of the op
    return _EIGH(*_spectral.eigh(A, UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    return _spectral.eigh(A, UPLO)[0]


def qr(A, mode="reduced", *, out=None):  # noqa: F811
    Q, R = _decomp.qr(A, mode)
    if mode == "r":
        from .creation import empty
        Q = empty(0, dtype=A.dtype)
    return _QR(Q, R)


def slogdet(A, *, out=None):  # noqa: F811
    return _SLOGDET(*_decomp.slogdet(A))


def inv_ex(A, *, check_errors=False, out=None):
    return _INV_EX(inv(A), _info_zero(A))


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    return _CHOL_EX(cholesky(A, upper=upper), _info_zero(A))


def cholesky(A, *, upper=False, out=None):  # noqa: F811
    L = _decomp.cholesky(A)
    return L.transpose(-2, -1) if upper else L


# ---- solvers -------------------------------------------------------------------------------
def _is_vector_rhs(A, B):
    """torch: B is a (batch of) vector(s) when B.ndim == 1, or B.shape == A.shape[:-1]."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A, B, *, left=True, out=None):
    if not left:            # X A = B  <=>  A^T X^T = B^T
        return solve(A.transpose(-2, -1), B.transpose(-2, -1)).transpose(-2, -1)
    if _is_vector_rhs(A, B):
        return _decomp.solve(A, B.unsqueeze(-1)).squeeze(-1)
    return _decomp.solve(A, B)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    return _SOLVE_EX(solve(A, B, left=left), _info_zero(A))


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """Solve with the triangle of A that `upper` names (the other is ignored); X A = B when
    not `left`. A zero on the diagonal gives inf/nan, not an error (as torch)."""
    return _decomp.solve_triangular(A, B, upper, unitriangular, left)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """Moore-Penrose pseudo-inverse: V diag(1/s) U^T over the singular values above
    max(atol, rtol * s_max) (rtol defaults to eps * max(m, n), as torch). `rcond` is torch's
    older name for rtol (with atol 0); `hermitian` reads only A's lower triangle and inverts
    its eigendecomposition V diag(1/lambda) V^T over |lambda| above the tolerance."""
    atol, rtol = _rcond(rcond, atol, rtol, "pinv")
    return _spectral.pinv(A, atol, rtol, hermitian)


def _rcond(rcond, atol, rtol, fn):
    """torch's older overloads `pinv(A, rcond)` / `matrix_rank(A, tol)`: a relative (pinv) or
    absolute (matrix_rank) tolerance alone; not combined with atol/rtol."""
    if rcond is None:
        return atol, rtol
    if atol is not None or rtol is not None:
        raise TypeError(f"linalg_{fn}() received an invalid combination of arguments: the "
                        f"{'rcond' if fn == 'pinv' else 'tol'} overload takes no atol/rtol")
    return (0.0, float(rcond)) if fn == "pinv" else (float(rcond), 0.0)


def _tolerance(A, S, atol, rtol):
    from ._runtime import finfo
    smax = S.amax(-1, keepdim=True) if S.shape[-1] else S.sum(-1, keepdim=True)
    if rtol is None:
        rtol = 0.0 if (atol is not None and atol > 0) else \
            finfo(A.dtype).eps * builtins.max(A.shape[-2], A.shape[-1])
    tol = smax * rtol
    return tol if atol is None else tol.clamp(min=atol)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The number of singular values (|eigenvalues| of A's lower triangle when `hermitian`)
    above max(atol, rtol * s_max); `tol` is torch's older absolute tolerance."""
    atol, rtol = _rcond(tol, atol, rtol, "matrix_rank")
    A = A.detach()
    S = _spectral.eigh(A)[0].abs() if hermitian else svdvals(A)
    return (S > _tolerance(A, S, atol, rtol)).sum(-1)


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, b, rcond=None, *, driver=None):
    """Least-squares solution of A X = b via the pseudo-inverse (gradient included), singular
    values below rcond * s_max (default eps * max(m, n)) treated as zero: the minimum-norm
    solution of torch's rank-revealing CPU drivers (gelsy, the default; gelsd; gelss). What
    else each driver reports, as torch: `rank` (gelsy, gelsd, gelss; from the same
    tolerance), `singular_values` (gelsd, gelss), `residuals` = |A X - b|^2 per column when
    m > n (gels; gelsd and gelss when A has full rank; never gelsy). 'gels' (QR, full rank
    assumed) is solved the same way: on a rank-deficient A LAPACK's gels returns noise."""
    from .creation import empty
    driver = "gelsy" if driver is None else driver
    if driver not in _LSTSQ_DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           f"({', '.join(_LSTSQ_DRIVERS)})")
    X = pinv(A, rtol=rcond) @ b
    m, n = A.shape[-2], A.shape[-1]
    if driver == "gels":
        rank, sv = empty(0, dtype=_int64()), empty(0, dtype=A.dtype)
    else:
        from ._runtime import finfo
        S = svdvals(A.detach())
        rel = finfo(A.dtype).eps * builtins.max(m, n) if rcond is None else rcond
        smax = S.amax(-1, keepdim=True) if S.shape[-1] else S.sum(-1, keepdim=True)
        rank = (S > smax * rel).sum(-1)
        sv = S if driver in ("gelsd", "gelss") else empty(0, dtype=A.dtype)
    full = m > n and (driver == "gels" or (driver != "gelsy" and bool((rank == n).all())))
    # empty residuals stay in the graph (requires_grad as torch's): X's first 0 elements
    residuals = ((A @ X - b) ** 2).sum(-2) if full else X.reshape(-1)[:0]
    return _LSTSQ(X, residuals, rank, sv)


def _int64():
    from . import _dtype
    return _dtype.int64


def tensorinv(A, ind=2, *, out=None):
    rows, cols = A.shape[:ind], A.shape[ind:]
    n = math.prod(rows)
    return inv(A.reshape(n, -1)).reshape(*cols, *rows)


def tensorsolve(A, other, dims=None, *, out=None):
    """X with tensordot(A, X, X.ndim) = other (torch's keyword for B is `other`)."""
    if dims is not None:
        nd = A.ndim
        keep = [d for d in range(nd) if d not in [d % nd for d in dims]]
        A = A.permute(*keep, *[d % nd for d in dims])
    out_shape = A.shape[other.ndim:]
    return solve(A.reshape(other.numel(), -1), other.reshape(-1)).reshape(*out_shape)


# ---- products and helpers ------------------------------------------------------------------
def matrix_power(A, n, *, out=None):
    if n < 0:
        return matrix_power(inv(A), -n)
    from .creation import eye
    result = eye(A.shape[-1], dtype=A.dtype).expand(*A.shape) if n == 0 else None
    base = A
    while n:                        # square-and-multiply
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def multi_dot(tensors, *, out=None):
    if len(tensors) < 2:
        raise RuntimeError("multi_dot(): expected at least 2 tensors but got "
                           f"{len(tensors)}")
    first, last = tensors[0], tensors[-1]
    mats = list(tensors)
    if first.ndim == 1:
        mats[0] = first.unsqueeze(0)
    if last.ndim == 1:
        mats[-1] = last.unsqueeze(-1)
    out = mats[0]
    for m in mats[1:]:
        out = out @ m
    if first.ndim == 1:
        out = out.squeeze(0)
    if last.ndim == 1:
        out = out.squeeze(-1)
    return out


def vecdot(x, y, *, dim=-1, out=None):
    return (x * y).sum(dim)


def cross(input, other, *, dim=-1, out=None):
    from .ops.join import stack
    if input.dtype.name == "bool" or other.dtype.name == "bool":
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    a, b = input.unbind(dim), other.unbind(dim)
    return stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                  a[0] * b[1] - a[1] * b[0]], dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


def vander(x, *, N=None):
    from .ops.join import stack
    N = x.shape[-1] if N is None else N
    from .creation import ones_like
    cols = [ones_like(x)]
    for _ in range(1, N):
        cols.append(cols[-1] * x)
    return stack(cols, -1)


# ---- norms ---------------------------------------------------------------------------------
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if dtype is not None:
        x = x.to(dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {_decomp._TORCH_NAME[x.dtype.name]}")
    a = x.abs()
    if ord == _INF:
        return a.amax(dim=dim, keepdim=keepdim) if dim is not None or x.ndim else a
    if ord == -_INF:
        return a.amin(dim=dim, keepdim=keepdim) if dim is not None or x.ndim else a
    if ord == 0:
        return (x != 0).to(x.dtype).sum(dim=dim, keepdim=keepdim)
    if ord == 1:
        return a.sum(dim=dim, keepdim=keepdim)
    if ord == 2:
        return (x * x).sum(dim=dim, keepdim=keepdim).sqrt()
    return a.pow(ord).sum(dim=dim, keepdim=keepdim).pow(1.0 / ord)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, dim=(d0, d1), keepdim=keepdim)
    if ord == "nuc" or ord in (2, -2):
        S = svdvals(A.movedim((d0, d1), (-2, -1)))
        r = S.sum(-1) if ord == "nuc" else (S.amax(-1) if ord == 2 else S.amin(-1))
        if keepdim:
            r = r.unsqueeze(builtins.min(d0, d1)).unsqueeze(builtins.max(d0, d1))
        return r
    if ord in (1, -1, _INF, -_INF):
        sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        s = A.abs().sum(sum_dim, keepdim=True)
        r = s.amax(red_dim, keepdim=True) if ord > 0 else s.amin(red_dim, keepdim=True)
        return r if keepdim else r.squeeze(builtins.max(d0, d1)).squeeze(builtins.min(d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """vector_norm for a 1-D `dim` (or ord=None over everything), matrix_norm for a pair."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim=dim, keepdim=keepdim, dtype=dtype)
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or (dim is None and
                                                                        A.ndim == 2):
        return matrix_norm(A, ord, dim=dim or (-2, -1), keepdim=keepdim, dtype=dtype)
    return vector_norm(A, ord, dim=dim, keepdim=keepdim, dtype=dtype)


def cond(A, p=None, *, out=None):
    if p is None or p == 2 or p == -2:
        S = svdvals(A)
        return S.amax(-1) / S.amin(-1) if p != -2 else S.amin(-1) / S.amax(-1)
    return matrix_norm(A, p) * matrix_norm(inv(A), p)



def matrix_exp(A):
    """e^A by scaling and squaring: e^A = (e^(A / 2^s))^(2^s) with s making ||A / 2^s||_1 <= 1
    and a degree-18 Taylor polynomial (error < 1e-16 there); differentiable (matmuls only)."""
    from .creation import eye
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError("linalg.matrix_exp: A must be batches of square matrices")
    norm = float(A.detach().abs().sum(-2).amax()) if A.numel() else 0.0
    s = max(0, math.ceil(math.log2(norm))) if norm > 1 else 0
    X = A / (2 ** s)
    term = eye(A.shape[-1], dtype=A.dtype).expand(*A.shape)
    result = term
    for k in range(1, 19):
        term = term @ X / k
        result = result + term
    for _ in range(s):
        result = result @ result
    return result


# ---- the older torch-level names (torch.det, x.inverse(), torch.svd(some=True)) ------------
def logdet(input):
    """log det(A): nan for a negative determinant, -inf for a singular matrix (as torch)."""
    return det(input).log()


def _svd_legacy(input, some=True, compute_uv=True):
    """torch.svd: returns (U, S, V) with V (not Vh); `some` = reduced."""
    U, S, Vh = _spectral.svd(input, not some)
    return _result("svd", "U", "S", "V", torch_name="svd")(U, S, Vh.transpose(-2, -1))


def _qr_legacy(input, some=True):
    return _QR(*_decomp.qr(input, "reduced" if some else "complete"))


def _pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


def _cholesky_legacy(input, upper=False):
    return cholesky(input, upper=upper)


def _trace(input):
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype.name == "bool":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return input.diagonal().sum()


TORCH_LEVEL = {"det": det, "logdet": logdet, "slogdet": slogdet, "inverse": inv,
               "matrix_power": matrix_power, "pinverse": _pinverse, "svd": _svd_legacy,
               "qr": _qr_legacy, "cholesky": _cholesky_legacy, "trace": _trace,
               "chain_matmul": lambda *matrices: multi_dot(matrices), "matrix_exp": matrix_exp}

# LU / LDL / Householder (ops/linalg_lu.py), and their legacy torch-level forms
from .ops.linalg_lu import (lu_factor, lu_factor_ex, lu, lu_solve, ldl_factor,  # noqa: E402
                            ldl_factor_ex, ldl_solve, householder_product)
from .ops import linalg_lu as _lu_ops  # noqa: E402
TORCH_LEVEL.update(lu=_lu_ops._legacy_lu, lu_solve=_lu_ops._legacy_lu_solve,
                   orgqr=_lu_ops.orgqr, ormqr=_lu_ops.ormqr, geqrf=_lu_ops.geqrf,
                   cholesky_solve=_lu_ops.cholesky_solve,
                   cholesky_inverse=_lu_ops.cholesky_inverse,
                   triangular_solve=_lu_ops.triangular_solve)

from . import _aliases  # noqa: E402  (keepdim must be a bool, as torch's parser says)
_aliases.wrap_keepdim(globals(), ["vector_norm", "matrix_norm", "norm"], "linalg_")
