"""LU with partial pivoting (LAPACK getrf) and the symmetric-indefinite LDL^T factorization with
Bunch-Kaufman pivoting (LAPACK sytrf, lower), and the LDL^T solve (sytrs), which NumPy lacks.

Both follow LAPACK's unblocked algorithms (getf2, sytf2, sytrs) step by step, so the pivots
agree with torch's; pivots are 1-based int32 as LAPACK's (for LDL a 2x2 block stores -p twice).
Each matrix of a batch is factored in a loop of column steps, vectorized within the step.
"""
import math

import numpy

__all__ = ["lu_factor", "permutation", "ldl_factor", "ldl_solve"]

_ALPHA = (1 + math.sqrt(17)) / 8    # Bunch-Kaufman's growth bound


def _batched(a):
    a = numpy.array(a, copy=True)
    return a.reshape((math.prod(a.shape[:-2]),) + a.shape[-2:]), a.shape[:-2]


def _iamax(col):
    """BLAS i?amax, getrf's pivot: the first largest |x|, where a NaN wins only if it comes
    first (NumPy's argmax would take the first NaN anywhere; torch's LAPACK does not)."""
    col = numpy.abs(col)
    if col.size == 0 or numpy.isnan(col[0]):
        return 0
    return int(numpy.argmax(numpy.where(numpy.isnan(col), -1, col)))


def lu_factor(a):
    """(LU packed, pivots (*, k), info (*,)) of each (m, n) matrix: P A = L U."""
    mats, batch = _batched(a)
    m, n = mats.shape[-2:]
    k = min(m, n)
    piv = numpy.zeros((mats.shape[0], k), dtype=numpy.int32)
    info = numpy.zeros(mats.shape[0], dtype=numpy.int32)
    for b, A in enumerate(mats):
        for j in range(k):
            p = j + _iamax(A[j:, j])
            piv[b, j] = p + 1
            if A[p, j] != 0:
                if p != j:
                    A[[j, p]] = A[[p, j]]
                A[j + 1:, j] /= A[j, j]
            elif info[b] == 0:
                info[b] = j + 1
            A[j + 1:, j + 1:] -= numpy.outer(A[j + 1:, j], A[j, j + 1:])
    return mats.reshape(batch + (m, n)), piv.reshape(batch + (k,)), info.reshape(batch)


def permutation(pivots, m, dtype):
    """The (*, m, m) matrix P with A = P L U, from LAPACK's 1-based row interchanges."""
    piv = numpy.asarray(pivots).reshape(math.prod(pivots.shape[:-1]), pivots.shape[-1])
    out = numpy.zeros((piv.shape[0], m, m), dtype=dtype)
    for b, row in enumerate(piv):
        perm = numpy.arange(m)
        for i, p in enumerate(row):
            perm[[i, p - 1]] = perm[[p - 1, i]]
        out[b, perm, numpy.arange(m)] = 1
    return out.reshape(pivots.shape[:-1] + (m, m))


def _nan_amax(col):
    """The first largest |x| where a NaN counts as largest: torch's (MKL's) sytrf picks a NaN
    below the diagonal as its pivot candidate, which getrf's i?amax does not."""
    return int(numpy.argmax(numpy.abs(col)))


def _fmax(a, b):
    """Fortran MAX as compiled for x86 (maxsd): b unless a > b, so a NaN argument gives b."""
    return a if a > b else b


def ldl_factor(a):
    """(LD compact, pivots, info) of each symmetric (n, n) matrix (its lower triangle read):
    Bunch-Kaufman as sytf2 (lower) runs in torch's LAPACK: pivots found with i?amax, the
    1x1 update A -= (1/d) x x^T skipped when 1/d is 0 (syr's alpha == 0) and column by
    column where x_j is 0, the 2x2 one through LAPACK's scaled D^-1 formulas; a NaN
    diagonal is not itself reported in info (only max(|a_kk|, colmax) == 0 is)."""
    mats, batch = _batched(a)
    n = mats.shape[-1]
    piv = numpy.zeros((mats.shape[0], n), dtype=numpy.int32)
    info = numpy.zeros(mats.shape[0], dtype=numpy.int32)
    out = numpy.zeros_like(mats)
    for b in range(mats.shape[0]):
        low = numpy.tril(mats[b])
        A = low + numpy.tril(low, -1).T       # the symmetric matrix the lower part defines
        k = 0
        while k < n:
            step, absakk = 1, abs(A[k, k])
            imax, colmax = k, A.dtype.type(0)
            if k < n - 1:
                imax = k + 1 + _nan_amax(A[k + 1:, k])
                colmax = abs(A[imax, k])
            zero = _fmax(absakk, colmax) == 0
            if zero:                          # LAPACK: record it, no elimination this step
                if info[b] == 0:
                    info[b] = k + 1
                kp = k
            elif absakk >= _ALPHA * colmax:
                kp = k
            else:
                row = A[imax, k:imax]
                rowmax = abs(row[_nan_amax(row)])
                if imax < n - 1:
                    below = A[imax + 1:, imax]
                    rowmax = _fmax(rowmax, abs(below[_nan_amax(below)]))
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(A[imax, imax]) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, step = imax, 2
            kk = k + step - 1
            if kp != kk:                      # swap rows and columns kk, kp of the trailing part
                A[[kk, kp], k:] = A[[kp, kk], k:]
                A[k:, [kk, kp]] = A[k:, [kp, kk]]
            if step == 1:
                if not zero:
                    r1 = A.dtype.type(1) / A[k, k]
                    x = A[k + 1:, k].copy()
                    if r1 != 0:               # syr: A -= r1 x x^T, columns with x_j = 0 skipped
                        upd = numpy.outer(x, -r1 * x)
                        upd[:, x == 0] = 0
                        A[k + 1:, k + 1:] += upd
                    A[k + 1:, k] = x * r1
                    A[k, k + 1:] = A[k + 1:, k]
                piv[b, k] = kp + 1
            else:
                if k < n - 2:
                    d21 = A[k + 1, k]
                    d11, d22 = A[k + 1, k + 1] / d21, A[k, k] / d21
                    t = A.dtype.type(1) / (d11 * d22 - 1)
                    d21 = t / d21
                    c0, c1 = A[k + 2:, k].copy(), A[k + 2:, k + 1].copy()
                    wk = d21 * (d11 * c0 - c1)
                    wkp1 = d21 * (d22 * c1 - c0)
                    A[k + 2:, k + 2:] -= numpy.outer(c0, wk) + numpy.outer(c1, wkp1)
                    A[k + 2:, k], A[k + 2:, k + 1] = wk, wkp1
                    A[k:k + 2, k + 2:] = A[k + 2:, k:k + 2].T
                piv[b, k] = piv[b, k + 1] = -(kp + 1)
            k += step
        out[b] = numpy.tril(A)
    return out.reshape(batch + (n, n)), piv.reshape(batch + (n,)), info.reshape(batch)


def _ger(x, y):
    """x y^T as BLAS ger adds it: the columns where y_j is 0 are skipped (0, never 0 * inf)."""
    out = numpy.outer(x, y)
    out[:, y == 0] = 0
    return out


def ldl_solve(ld, pivots, rhs):
    """X with A X = B for A = LD's factorization (sytrs, lower, with its arithmetic: the
    1x1 pivots scale by 1/d, the 2x2 ones use its scaled formulas, ger skips zero entries)."""
    ld, pivots, rhs = numpy.asarray(ld), numpy.asarray(pivots), numpy.asarray(rhs)
    batch = numpy.broadcast_shapes(ld.shape[:-2], rhs.shape[:-2])
    n = ld.shape[-1]
    count = math.prod(batch)
    LDs = numpy.broadcast_to(ld, batch + ld.shape[-2:]).reshape(count, n, n)
    Ps = numpy.broadcast_to(pivots, batch + (n,)).reshape(count, n)
    Bs = numpy.array(numpy.broadcast_to(rhs, batch + rhs.shape[-2:])).reshape(
        (count,) + rhs.shape[-2:])
    for A, piv, B in zip(LDs, Ps, Bs):
        k = 0
        while k < n:                          # L D Y = P^T B
            if piv[k] > 0:
                p = piv[k] - 1
                B[[k, p]] = B[[p, k]]
                B[k + 1:] -= _ger(A[k + 1:, k], B[k])
                B[k] *= B.dtype.type(1) / A[k, k]
                k += 1
            else:
                p = -piv[k] - 1
                B[[k + 1, p]] = B[[p, k + 1]]
                B[k + 2:] -= _ger(A[k + 2:, k], B[k])
                B[k + 2:] -= _ger(A[k + 2:, k + 1], B[k + 1])
                akm1k = A[k + 1, k]               # sytrs' scaled 2x2 solve
                akm1, ak = A[k, k] / akm1k, A[k + 1, k + 1] / akm1k
                denom = akm1 * ak - 1
                bkm1, bk = B[k] / akm1k, B[k + 1] / akm1k
                B[k], B[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
                k += 2
        k = n - 1
        while k >= 0:                         # L^T P^T X = Y
            if piv[k] > 0:
                B[k] -= A[k + 1:, k] @ B[k + 1:]
                p = piv[k] - 1
                B[[k, p]] = B[[p, k]]
                k -= 1
            else:
                B[k] -= A[k + 1:, k] @ B[k + 1:]
                B[k - 1] -= A[k + 1:, k - 1] @ B[k + 1:]
                p = -piv[k] - 1
                B[[k, p]] = B[[p, k]]
                k -= 2
    return Bs.reshape(batch + rhs.shape[-2:])


def _nrm2(x):
    """||x|| as the nrm2 of torch's BLAS (the scaled sum of squares, one pass): an inf
    entry gives inf, two of them (inf / inf) or a NaN give nan."""
    scale, ssq = x.dtype.type(0), x.dtype.type(1)
    for v in numpy.abs(x[x != 0]):
        if scale < v:
            ssq, scale = 1 + ssq * (scale / v) ** 2, v
        else:
            ssq = ssq + (v / scale) ** 2
    return scale * numpy.sqrt(ssq)


def _lapy2(x, y):
    """sqrt(x^2 + y^2) as the lapy2 of torch's LAPACK: w = MAX(|x|, |y|), z = MIN, then
    w sqrt(1 + (z/w)^2); x86's max/min return the second operand when one is NaN, so a NaN x
    gives |y| sqrt(2), and inf, inf gives nan."""
    xa, ya = abs(x), abs(y)
    w, z = _fmax(xa, ya), (xa if xa < ya else ya)
    return w if z == 0 else w * numpy.sqrt(1 + (z / w) ** 2)


def _larf(v, tau, C):
    """C -= tau v (v^T C) in place, as LAPACK's larf in torch's orgqr: only over v's rows up
    to its last nonzero and C's columns up to the last one nonzero there (so a 0 * nan is
    never formed outside them)."""
    rows = numpy.flatnonzero(v != 0)
    if rows.size == 0:
        return
    lastv = rows[-1] + 1
    cols = numpy.flatnonzero((C[:lastv] != 0).any(axis=0))
    if cols.size == 0:
        return
    lastc = cols[-1] + 1
    w = v[:lastv] @ C[:lastv, :lastc]
    C[:lastv, :lastc] -= tau * numpy.outer(v[:lastv], w)


def geqr2(a):
    """(H, tau) of one (m, n) matrix as LAPACK's geqr2 runs in torch (MKL), used for
    non-finite input: column j's reflector from larfg (beta = -sign(alpha) lapy2(alpha,
    |x|); tau = 0 when |x| = 0), then applied to the
    columns on the right even when tau is 0 (MKL's larf does; 0 * inf gives nan there)."""
    A = numpy.array(a, copy=True)
    m, n = A.shape
    k = min(m, n)
    tau = numpy.zeros(k, dtype=A.dtype)
    for j in range(k):
        alpha, x = A[j, j], A[j + 1:, j]
        xnorm = _nrm2(x)
        if xnorm != 0:
            h = _lapy2(alpha, xnorm)
            beta = -h if alpha >= 0 else h     # -SIGN(h, alpha), a NaN alpha counting as < 0
            tau[j] = (beta - alpha) / beta
            x *= A.dtype.type(1) / (alpha - beta)
            A[j, j] = beta
        if j < n - 1:
            v, C = numpy.concatenate([numpy.ones(1, A.dtype), x]), A[j:, j + 1:]
            C -= tau[j] * numpy.outer(v, v @ C)    # all of C (torch's geqrf does not trim)
    return A, tau


def org2r(h, tau, ncols):
    """The first ncols columns of Q = H(0) ... H(k-1) from geqr2's (h, tau), as LAPACK's
    org2r: the reflectors applied backwards to the identity's columns, tau = 0 ones too."""
    m, k = h.shape[0], tau.shape[0]
    Q = numpy.zeros((m, ncols), dtype=h.dtype)
    Q[:, :k] = h[:, :k]
    Q[numpy.arange(k, ncols), numpy.arange(k, ncols)] = 1
    for i in range(k - 1, -1, -1):
        if i < ncols - 1:
            v = numpy.concatenate([numpy.ones(1, h.dtype), Q[i + 1:, i]])
            _larf(v, tau[i], Q[i:, i + 1:])
        Q[i + 1:, i] *= -tau[i]
        Q[i, i] = 1 - tau[i]
        Q[:i, i] = 0
    return Q


def qr(A, mode):
    """Q, R of non-finite A by geqr2 + org2r written out as torch's LAPACK runs them (NumPy's
    OpenBLAS skips a tau = 0 reflector, which keeps inf where torch gets 0 * inf = nan)."""
    m, n = A.shape[-2:]
    k = min(m, n)
    cols = m if mode == "complete" else k
    flat = A.reshape((-1, m, n))
    Q = numpy.empty((flat.shape[0], m, cols), A.dtype)
    R = numpy.empty((flat.shape[0], cols if m > n and mode == "complete" else k, n), A.dtype)
    for b, a in enumerate(flat):
        h, tau = geqr2(a)
        Q[b] = org2r(h, tau, cols)
        R[b] = numpy.triu(h[:R.shape[1]])
    return Q.reshape(A.shape[:-2] + Q.shape[1:]), R.reshape(A.shape[:-2] + R.shape[1:])
