"""BatchNorm's NCHW per-(sample, channel) row sums in NumPy's own summation order, compiled
(numba): of x, of (x - mean)^2, of (x - mean) gy and of gy, bit-identical to numpy's
add.reduce over each contiguous row, so a default kernel (backend/kernels.numba_for_exact).
Re-exported by numba_kernels.py; used by ops/batchnorm_rows.py."""
import numpy

from .numba_base import _call, _jit, njit

__all__ = ["bn_row_sums"]


# ---- BatchNorm's NCHW row sums in NumPy's pairwise order -------------------------------------
# numpy's add.reduce over a contiguous run of n values (loops_utils.h pairwise_sum): n < 8 one
# by one from 0; n <= 128 in 8 running sums r[j] += a[i + j], combined as
# ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), the n % 8 rest added after; larger n
# split at n2 = n // 2 rounded down to a multiple of 8, the halves' sums added. The reduce
# adds that to the output's initial 0. Unsigned indices: numba then drops its negative-index
# wraparound test and LLVM vectorizes the 8 running sums (measured 2048 x 1024 float32: 0.42
# ms vs NumPy 0.40; 32768 x 64: 0.37 vs 0.81; with signed indices 0.78 / 0.63).

_inline = njit(nogil=True, inline="always")   # inlined into the caller (numba's IR)
_U1, _U2, _U3, _U4 = (numpy.uint64(i) for i in (1, 2, 3, 4))
_U5, _U6, _U7 = (numpy.uint64(i) for i in (5, 6, 7))


@_inline
def _leaf_sum(a, o, n, zero):
    if n < 8:
        res = zero
        for i in range(o, o + n):
            res += a[numpy.uint64(i)]
        return res
    u = numpy.uint64(o)
    r0, r1, r2, r3 = a[u], a[u + _U1], a[u + _U2], a[u + _U3]
    r4, r5, r6, r7 = a[u + _U4], a[u + _U5], a[u + _U6], a[u + _U7]
    q = n - n % 8
    for k in range(1, q // 8):
        i = u + numpy.uint64(8 * k)
        r0 += a[i]
        r1 += a[i + _U1]
        r2 += a[i + _U2]
        r3 += a[i + _U3]
        r4 += a[i + _U4]
        r5 += a[i + _U5]
        r6 += a[i + _U6]
        r7 += a[i + _U7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(o + q, o + n):
        res += a[numpy.uint64(i)]
    return res


@_inline
def _sq(a, i, m):
    d = a[i] - m
    return d * d


@_inline
def _leaf_sq(a, o, n, m, zero):
    """_leaf_sum of (a - m)^2 (each term rounded as NumPy's subtract and multiply round)."""
    if n < 8:
        res = zero
        for i in range(o, o + n):
            res += _sq(a, numpy.uint64(i), m)
        return res
    u = numpy.uint64(o)
    r0, r1, r2, r3 = _sq(a, u, m), _sq(a, u + _U1, m), _sq(a, u + _U2, m), _sq(a, u + _U3, m)
    r4, r5, r6, r7 = _sq(a, u + _U4, m), _sq(a, u + _U5, m), _sq(a, u + _U6, m), \
        _sq(a, u + _U7, m)
    q = n - n % 8
    for k in range(1, q // 8):
        i = u + numpy.uint64(8 * k)
        r0 += _sq(a, i, m)
        r1 += _sq(a, i + _U1, m)
        r2 += _sq(a, i + _U2, m)
        r3 += _sq(a, i + _U3, m)
        r4 += _sq(a, i + _U4, m)
        r5 += _sq(a, i + _U5, m)
        r6 += _sq(a, i + _U6, m)
        r7 += _sq(a, i + _U7, m)
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(o + q, o + n):
        res += _sq(a, numpy.uint64(i), m)
    return res


@_inline
def _pr(a, g, i, m):
    return (a[i] - m) * g[i]


@_inline
def _leaf_prod(a, g, o, n, m, zero):
    """_leaf_sum of (a - m) g."""
    if n < 8:
        res = zero
        for i in range(o, o + n):
            res += _pr(a, g, numpy.uint64(i), m)
        return res
    u = numpy.uint64(o)
    r0, r1 = _pr(a, g, u, m), _pr(a, g, u + _U1, m)
    r2, r3 = _pr(a, g, u + _U2, m), _pr(a, g, u + _U3, m)
    r4, r5 = _pr(a, g, u + _U4, m), _pr(a, g, u + _U5, m)
    r6, r7 = _pr(a, g, u + _U6, m), _pr(a, g, u + _U7, m)
    q = n - n % 8
    for k in range(1, q // 8):
        i = u + numpy.uint64(8 * k)
        r0 += _pr(a, g, i, m)
        r1 += _pr(a, g, i + _U1, m)
        r2 += _pr(a, g, i + _U2, m)
        r3 += _pr(a, g, i + _U3, m)
        r4 += _pr(a, g, i + _U4, m)
        r5 += _pr(a, g, i + _U5, m)
        r6 += _pr(a, g, i + _U6, m)
        r7 += _pr(a, g, i + _U7, m)
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(o + q, o + n):
        res += _pr(a, g, numpy.uint64(i), m)
    return res


def _plan(n):
    """NumPy's split tree of a pairwise sum of n values as a program: (leaf offsets, leaf
    lengths, steps), a step >= 0 pushes that leaf's sum, -1 replaces the top two sums (left,
    right) by left + right."""
    offs, lens, steps = [], [], []

    def walk(o, k):
        if k <= 128:
            steps.append(len(offs))
            offs.append(o)
            lens.append(k)
            return
        k2 = k // 2
        k2 -= k2 % 8
        walk(o, k2)
        walk(o + k2, k - k2)
        steps.append(-1)
    walk(0, n)
    return tuple(numpy.array(v, numpy.int64) for v in (offs, lens, steps))


@_jit
def _row_sums(x, g, mean, c0, mode, offs, lens, steps, out, gout):
    """Per row r of x (R, L): out[r] = the pairwise sum of x (mode 0), of (x - m)^2 (mode 1),
    or of (x - m) g (mode 2, and gout[r] = that of g), m = mean[(c0 + r) % C]; the tree of
    a row's sum given by _plan(L)."""
    R, L = x.shape
    C = mean.shape[0]
    zero = numpy.zeros(1, out.dtype)[0]
    stack = numpy.empty(steps.shape[0] + 1, out.dtype)
    gstack = numpy.empty(steps.shape[0] + 1, out.dtype)
    xf = x.reshape(-1)
    gf = g.reshape(-1)
    for r in range(R):
        m = mean[(c0 + r) % C]
        sp = 0
        for s in steps:
            if s < 0:
                stack[sp - 2] = stack[sp - 2] + stack[sp - 1]
                gstack[sp - 2] = gstack[sp - 2] + gstack[sp - 1]
                sp -= 1
                continue
            o = r * L + offs[s]
            if mode == 0:
                stack[sp] = _leaf_sum(xf, o, lens[s], zero)
            elif mode == 1:
                stack[sp] = _leaf_sq(xf, o, lens[s], m, zero)
            else:
                stack[sp] = _leaf_prod(xf, gf, o, lens[s], m, zero)
                gstack[sp] = _leaf_sum(gf, o, lens[s], zero)
            sp += 1
        out[r] = zero + stack[0]
        if mode == 2:
            gout[r] = zero + gstack[0]


_plans = {}


def bn_row_sums(x2, out, mean=None, first=0, g2=None, gout=None):
    """out[r] = x2[r].sum() (NumPy's bits), or of (x2[r] - m)^2 with mean (C,) (m: the
    channel of row first + r), or of (x2[r] - m) g2[r] and gout[r] = g2[r].sum() with g2;
    x2, g2 (R, L) C-contiguous, all of one float dtype."""
    mode = 0 if mean is None else (1 if g2 is None else 2)
    m = numpy.zeros(1, x2.dtype) if mean is None else mean.reshape(-1)
    L = x2.shape[1]
    plan = _plans.get(L)
    if plan is None:
        plan = _plans[L] = _plan(L)
    _call(_row_sums, x2, x2 if g2 is None else g2, m, first, mode, *plan, out,
          out if gout is None else gout)
    return out
