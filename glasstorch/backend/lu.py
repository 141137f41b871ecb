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


def ldl_factor(a):
    """(LD compact, pivots, info) of each symmetric (n, n) matrix (its lower triangle read)."""
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
            imax, colmax = k, 0.0
            if k < n - 1:
                imax = k + 1 + int(numpy.argmax(numpy.abs(A[k + 1:, k])))
                colmax = abs(A[imax, k])
            zero = max(absakk, colmax) == 0 or math.isnan(absakk)
            if zero:                          # LAPACK: record it, no elimination this step
                if info[b] == 0:
                    info[b] = k + 1
                kp = k
            elif absakk >= _ALPHA * colmax:
                kp = k
            else:
                others = numpy.abs(numpy.delete(A[imax, k:], imax - k))
                rowmax = others.max()
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
                d = A[k, k]
                if not zero:
                    col = A[k + 1:, k] / d
                    A[k + 1:, k + 1:] -= numpy.outer(col, A[k + 1:, k])
                    A[k + 1:, k] = col
                    A[k, k + 1:] = col
                piv[b, k] = kp + 1
            else:
                D = A[k:k + 2, k:k + 2].copy()
                W = A[k + 2:, k:k + 2].copy()
                Lb = numpy.linalg.solve(D, W.T).T  # W D^-1 (D symmetric)
                A[k + 2:, k + 2:] -= Lb @ W.T
                A[k + 2:, k:k + 2] = Lb
                A[k:k + 2, k + 2:] = Lb.T
                piv[b, k] = piv[b, k + 1] = -(kp + 1)
            k += step
        out[b] = numpy.tril(A)
    return out.reshape(batch + (n, n)), piv.reshape(batch + (n,)), info.reshape(batch)


def ldl_solve(ld, pivots, rhs):
    """X with A X = B for A = LD's factorization (sytrs, lower)."""
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
                B[k + 1:] -= numpy.outer(A[k + 1:, k], B[k])
                B[k] /= A[k, k]
                k += 1
            else:
                p = -piv[k] - 1
                B[[k + 1, p]] = B[[p, k + 1]]
                B[k + 2:] -= numpy.outer(A[k + 2:, k], B[k]) + numpy.outer(A[k + 2:, k + 1],
                                                                          B[k + 1])
                D = numpy.array([[A[k, k], A[k + 1, k]], [A[k + 1, k], A[k + 1, k + 1]]])
                B[k:k + 2] = numpy.linalg.solve(D, B[k:k + 2])
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
