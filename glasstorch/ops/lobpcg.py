"""torch.lobpcg: the k largest (or smallest) eigenpairs of A X = B X E for symmetric A and
symmetric positive-definite B, by Knyazev's Locally Optimal Block Preconditioned Conjugate
Gradient method (SIAM J. Sci. Comput. 23(2), 2001).

Each iteration solves the small eigenproblem of A on the basis S = [X, W, P] (Rayleigh-Ritz):
X the current Ritz vectors, W = iK R the preconditioned residuals R = A X - B X E, P the
previous step's search directions. S is first made B-orthonormal: 'ortho' (the default) by
SVQB (Stathopoulos & Wu 2002: the eigendecomposition of S^T B S, directions below
ortho_tol_drop dropped, repeated ortho_i_max times), 'basic' by one Cholesky of S^T B S.
A pair has converged when |r_j| / (|x_j| (|A| + |e_j| |B|)) < tol (the norms of A and B
estimated on the start X, as torch's), and the iteration stops when the first k have, after
niter steps, or when a tracker sets worker.bvars['force_stop'].

The iteration runs on arrays, without a graph; the gradient with respect to A is the
symmetric eigenproblem's (torch's: the eigen-derivatives over A's whole spectrum, then
symmetrized through A -> (A + A^T) / 2). B != I has no gradient (as in torch).
"""
from .. import _dtype
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..backend import xp as _xp

__all__ = ["lobpcg"]


class _Worker:
    """What a tracker sees each iteration: X, E, R and torch's ivars/fvars/bvars/tvars."""

    def __init__(self, iparams, fparams, bparams):
        self.iparams, self.fparams, self.bparams = iparams, fparams, bparams
        self.ivars = {"istep": 0, "converged_count": 0}
        self.fvars, self.bvars, self.tvars = {}, {}, {}
        self.X = self.E = self.R = None


def _sorted_eigh(M, largest):
    w, Z = _xp.linalg.eigh((M + M.T) / 2)
    order = _xp.argsort(-w if largest else w, kind="stable")
    return w[order], Z[:, order]


def _b_orthonormal(S, B, method, iparams, fparams):
    """A B-orthonormal basis of S's span (columns may be dropped)."""
    for _ in range(iparams["ortho_i_max"] if method == "ortho" else 1):
        G = S.T @ (S if B is None else B @ S)
        if method == "basic":
            L = _xp.linalg.cholesky((G + G.T) / 2)
            return _xp.linalg.solve(L, S.T).T
        d, Q = _xp.linalg.eigh((G + G.T) / 2)
        keep = d > fparams["ortho_tol_drop"] * max(d.max(initial=0.0), 0.0)
        S = S @ (Q[:, keep] / _xp.sqrt(d[keep]))
    return S


def _run(A, B, X, iK, iparams, fparams, bparams, method, tracker):
    k, n, largest = iparams["k"], X.shape[1], bparams["largest"]
    Bm = (lambda V: V) if B is None else (lambda V: B @ V)
    w = _Worker(iparams, fparams, bparams)
    w.fvars["X_norm"] = xn = float(_xp.linalg.norm(X))
    w.fvars["A_norm"] = float(_xp.linalg.norm(A @ X)) / xn
    w.fvars["B_norm"] = float(_xp.linalg.norm(Bm(X))) / xn
    X = _b_orthonormal(X, B, method, iparams, fparams)
    E, Z = _sorted_eigh(X.T @ A @ X, largest)
    X, E, P = X @ Z, E, None
    for step in range(iparams["niter"]):
        R = A @ X - Bm(X) * E
        rerr = _xp.linalg.norm(R, axis=0) / (_xp.linalg.norm(X, axis=0) * (
            w.fvars["A_norm"] + _xp.abs(E) * w.fvars["B_norm"]))
        count = int(_xp.argmin(_xp.append(rerr < fparams["tol"], False)))
        w.X, w.E, w.R = X, E, R
        w.ivars.update(istep=step, converged_count=count)
        w.tvars["rerr"] = rerr
        if tracker is not None:
            tracker(w)
        if count >= k or w.bvars.get("force_stop", False):
            break
        W = R if iK is None else iK @ R
        S = _xp.concatenate([X, W] + ([] if P is None else [P]), axis=1)
        S = _b_orthonormal(S, B, method, iparams, fparams)
        Es, Zs = _sorted_eigh(S.T @ A @ S, largest)
        Xn = S @ Zs[:, :n]
        # the new search directions: the step's part outside the old X
        P = Xn - X @ (X.T @ Bm(Xn))
        X, E = Xn, Es[:n]
    return E[:k], X[:, :k]


def _partial_eigh_grad(A, E, X, gE, gX):
    """dE_i = x_i^T dA x_i, dx_i = sum_{j: l_j != e_i} u_j u_j^T dA x_i / (e_i - l_j) over A's
    whole spectrum (l, U): the adjoint, as an (m, m) array."""
    lam, U = _xp.linalg.eigh(A)
    G = _xp.zeros_like(A)
    for i in range(E.shape[0]):
        g = X[:, i] * (0.0 if gE is None else gE[i])
        if gX is not None:
            diff = E[i] - lam
            inv = _xp.where(_xp.abs(diff) > 1e3 * _xp.finfo(A.dtype).eps * max(1.0, abs(E[i])),
                            1 / _xp.where(diff == 0, 1, diff), 0.0)
            g = g + U @ (inv * (U.T @ gX[:, i]))
        G += _xp.outer(g, X[:, i])
    return G


def lobpcg(A, k=None, B=None, X=None, n=None, iK=None, niter=None, tol=None, largest=None,
           method=None, tracker=None, ortho_iparams=None, ortho_fparams=None,
           ortho_bparams=None):
    """(E, X): k eigenpairs of A X = B X E, A (*, m, m); see the module docstring."""
    from .. import random
    from ..creation import tensor as _tensor
    if A.shape[-2] != A.shape[-1]:
        raise AssertionError(f"A must be square, got shape {tuple(A.shape)}")
    if B is not None and tuple(B.shape) != tuple(A.shape):
        raise AssertionError(f"A and B must have same shape, got {tuple(A.shape)} vs "
                             f"{tuple(B.shape)}")
    dt = A.dtype if A.dtype in (_dtype.float32, _dtype.float64) else _dtype.float32
    m = A.shape[-1]
    k = (1 if X is None else X.shape[-1]) if k is None else k
    n = (k if n is None else n) if X is None else X.shape[-1]
    if m < 3 * n:
        raise ValueError(f"LOBPCG algorithm is not applicable when the number of A rows (={m})"
                         f" is smaller than 3 x the number of requested eigenpairs (={n})")
    method = "ortho" if method is None else method
    if method not in ("ortho", "basic"):
        raise ValueError(f"lobpcg: method must be 'ortho' or 'basic', got {method!r}")
    tol = {_dtype.float32: 1.2e-07, _dtype.float64: 2.23e-16}[dt] ** 0.5 if tol is None else tol
    iparams = {"m": m, "n": n, "k": k, "niter": 1000 if niter is None else niter}
    fparams, bparams = {"tol": tol}, {"largest": True if largest is None else largest}
    if method == "ortho":
        iparams.update(ortho_iparams or {})
        fparams.update(ortho_fparams or {})
        bparams.update(ortho_bparams or {})
    iparams.setdefault("ortho_i_max", 3)
    iparams.setdefault("ortho_j_max", 3)
    for key in ("ortho_tol", "ortho_tol_drop", "ortho_tol_replace"):
        fparams.setdefault(key, tol)
    bparams.setdefault("ortho_use_drop", False)
    if niter is not None and niter < 0:
        iparams["niter"] = 2 ** 62                   # torch: -1 runs until convergence
    a = A.detach()._data.astype(dt.np)
    batch = a.shape[:-2]
    a = a.reshape((-1, m, m))
    b = None if B is None else B.detach()._data.astype(dt.np).reshape((-1, m, m))
    ik = None if iK is None else iK.detach()._data.astype(dt.np)
    if X is None:
        x0 = random.randn(a.shape[0], m, n, dtype=dt)._data
    else:
        x0 = X.detach()._data.astype(dt.np).reshape((-1,) + tuple(X.shape[-2:]))
        if x0.shape[1:] != (m, n):
            raise AssertionError(f"X shape mismatch: got {tuple(X.shape)}, expected {(m, n)}")
    sym = (a + _xp.swapaxes(a, -1, -2)) / 2
    res = [_run(sym[i], None if b is None else (b[i] + b[i].T) / 2, x0[i % x0.shape[0]],
                ik, iparams, fparams, bparams, method, tracker) for i in range(a.shape[0])]
    E = _xp.stack([r[0] for r in res]).reshape(batch + (k,))
    V = _xp.stack([r[1] for r in res]).reshape(batch + (m, k))
    if not is_grad_enabled() or not (A.requires_grad or (B is not None and B.requires_grad)):
        return _tensor(E), _tensor(V)
    if B is not None:
        raise ValueError("lobpcg.backward does not support backward with B != I yet.")
    return _Lobpcg.apply(A, _tensor(E), _tensor(V), sym)


class _Lobpcg(Function):
    """(E, X) as computed; backward: _partial_eigh_grad, symmetrized (A -> (A + A^T) / 2)."""

    @staticmethod
    def forward(ctx, A, E, X, sym):
        ctx.E, ctx.X, ctx.sym = E._data, X._data, sym
        return E.clone(), X.clone()

    @staticmethod
    def backward(ctx, gE, gX):
        from ..creation import tensor as _tensor
        E, X = ctx.E, ctx.X
        m, k = X.shape[-2], X.shape[-1]
        Eb, Xb = E.reshape(-1, k), X.reshape(-1, m, k)
        gEb = None if gE is None else gE._data.reshape(-1, k)
        gXb = None if gX is None else gX._data.reshape(-1, m, k)
        G = _xp.stack([_partial_eigh_grad(ctx.sym[i], Eb[i], Xb[i],
                                          None if gEb is None else gEb[i],
                                          None if gXb is None else gXb[i])
                       for i in range(Eb.shape[0])])
        G = (G + _xp.swapaxes(G, -1, -2)) / 2
        return _tensor(G.reshape(X.shape[:-2] + (m, m))), None, None, None
