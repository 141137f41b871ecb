"""The traced training step's 2x2 max pooling forward as one numba loop (train_pool.py uses it
when `backend.kernels.numba_for_exact()`): the NumPy rule's exact bits, ~3-5x faster.

The NumPy rule (train_pool.MaxPoolRule.run_forward) makes four passes over strided views of
x, one per kernel offset in row-major order; this loop visits each window once, the offsets in
the same order, with the same comparisons (no arithmetic, so nothing can round differently):

    better = v > best or v is nan            -> arg = this offset
    best = maximum(best, v)                  NumPy's: a nan sticks, else a tie takes v

Measured (1 thread, min of 30x20 calls): 16x6x28x28 122 -> 39 us, 16x16x10x10 72 -> 14,
64x6x28x28 664-850 -> 161, 64x16x10x10 228 -> 55. The backward stays NumPy's (a loop
writing the four offsets is no faster: 66 vs 66 us, 315 vs 335).
"""
import numba

__all__ = ["max_pool_2x2"]


@numba.njit(cache=True, nogil=True)
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
