"""Compiled loops for the traced training step, used when `backend.kernels.numba_for_exact()`
(numba installed and not deselected): each does the NumPy rule's comparisons and bit
operations in its order (no arithmetic, so nothing can round differently): the same bits.

    max_pool_2x2           2x2 max pooling forward (train_pool.MaxPoolRule.run_forward's four
                           passes over strided views):  better = v > best or v is nan -> arg;
                           best = maximum(best, v): a nan sticks, else a tie takes v
    max_pool_2x2_backward  gy's bits at the winning offset, +0.0 elsewhere (run_backward)
    relu_backward          gy's bits where not (y <= 0), else +0.0 (train_rules._Relu: three
                           NumPy passes)
    cross_entropy_*        cross-entropy's steps without exp, log or sums (those stay NumPy's:
                           numba's differ in the last bits), ~20 NumPy calls -> 7

Measured (1 thread, min of 30x20 calls, load 4-5): pool forward 16x6x28x28 122 -> 39 us,
64x6x28x28 664-850 -> 161, 16x16x10x10 72 -> 14; the pool backward alone is no faster on warm
arrays (66 vs 66 us), but inside the batch-64 LeNet step (cold caches after the convs) it went
1284 -> 440 us, and relu's backward there ~380 -> 170 us. (A compiled relu forward was not: its
input is the conv's output, not C-contiguous, 115 vs 105 us.)
"""
from ..backend.numba_base import njit

__all__ = ["max_pool_2x2"]


@njit(nogil=True)
def max_pool_2x2(x, y, arg):
    """y, arg (N, C, H/2, W/2) <- the window maxima of x (N, C, H, W) and which of the four
    offsets (0..3, row-major) won."""
    N, C, Ho, Wo = y.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                r0 = x[n, c, 2 * i]
                r1 = x[n, c, 2 * i + 1]
                for j in range(Wo):
                    best = r0[2 * j]
                    k = 0
                    v = r0[2 * j + 1]
                    if v > best or v != v:
                        k = 1
                    if best == best and (v != v or not best > v):
                        best = v
                    v = r1[2 * j]
                    if v > best or v != v:
                        k = 2
                    if best == best and (v != v or not best > v):
                        best = v
                    v = r1[2 * j + 1]
                    if v > best or v != v:
                        k = 3
                    if best == best and (v != v or not best > v):
                        best = v
                    y[n, c, i, j] = best
                    arg[n, c, i, j] = k


@njit(nogil=True)
def max_pool_2x2_backward(gy, arg, gx):
    """gx (N, C, H, W) <- gy's bits at the offset `arg` names, +0.0's elsewhere: the bits of
    the NumPy rule's masked writes (gy and gx as unsigned integer views of the floats)."""
    N, C, Ho, Wo = gy.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                r0 = gx[n, c, 2 * i]
                r1 = gx[n, c, 2 * i + 1]
                a = arg[n, c, i]
                g = gy[n, c, i]
                for j in range(Wo):
                    k = a[j]
                    v = g[j]
                    z = v ^ v          # 0 of v's own integer type (v & 0 would promote uint64)
                    r0[2 * j] = v if k == 0 else z
                    r0[2 * j + 1] = v if k == 1 else z
                    r1[2 * j] = v if k == 2 else z
                    r1[2 * j + 1] = v if k == 3 else z


@njit(nogil=True)
def relu_backward(y, gy, gx):
    """gx <- gy's bits where not (y <= 0), else +0.0's: relu's gradient in one pass, the bits
    of the NumPy rule's three (less_equal, subtract, bitwise_and; train_rules._Relu). gy and
    gx are unsigned integer views of the floats; gx is C-contiguous (reshape refuses others)."""
    yf, gf, out = y.ravel(), gy.ravel(), gx.reshape(-1)
    for i in range(out.size):
        v = gf[i]
        out[i] = v ^ v if yf[i] <= 0 else v


@njit(nogil=True)
def cross_entropy_head(x, target, ignore, s, s_t, wt, at):
    """The exact part of cross-entropy's forward before exp (train_rules._CrossEntropy):
    s = x - row max, wt = (target != ignore), at = flat index of each row's target, s_t =
    s[at]. Returns the count of valid targets (wt.sum(): integers, exact in any order), -1
    when a row has a nan (the NumPy rule then runs: which nan its max returns is its own), or
    -2 - i for the first bad target i (out of [0, C))."""
    n, c = x.shape
    if c == 0:
        return -1
    count = 0
    for i in range(n):
        m = x[i, 0]             # (x's dtype: a float64 max would round s twice)
        for j in range(c):
            v = x[i, j]
            if v != v:
                return -1
            if v > m:
                m = v
        for j in range(c):
            s[i, j] = x[i, j] - m
    for i in range(n):
        t = target[i]
        ok = t != ignore
        if not ok:
            t = 0
        if t < 0 or t >= c:
            return -2 - i
        at[i] = i * c + t
        s_t[i] = s[i, t]
        wt[i] = 1 if ok else 0
        count += ok
    return count


@njit(nogil=True, error_model="numpy")    # x / 0 -> inf/nan, as NumPy
def cross_entropy_tail(e, sum_e, lse, s_t, wt, loss):
    """After exp, sum and log in NumPy: loss = (lse - s_t) * wt, and e /= sum_e (the softmax
    the backward keeps), as the NumPy rule's subtract, multiply and divide."""
    n, c = e.shape
    for i in range(n):
        loss[i] = (lse[i] - s_t[i]) * wt[i]
        d = sum_e[i, 0]
        for j in range(c):
            e[i, j] = e[i, j] / d


@njit(nogil=True)
def cross_entropy_grad(p, at, wt, scale, gy, gx):
    """gx = (p * picked[:, None] - q) * gy with picked = wt * scale and q the one-hot of the
    targets times picked: the NumPy rule's multiply, subtract (of +0.0 off the targets) and
    multiply, in that order."""
    n, c = p.shape
    zero = scale - scale        # +0.0 of the arrays' dtype (scale is finite; `* 0` would
    for i in range(n):          # make it a float64 and the whole expression with it)
        picked = wt[i] * scale
        t = at[i] - i * c
        for j in range(c):
            q = picked if j == t else zero
            gx[i, j] = (p[i, j] * picked - q) * gy
