"""BatchNorm's passes over NCHW data as (N*C, L) rows, one per (sample, channel)
(ops/batchnorm.py's op calls them): NumPy ufuncs over blocks of rows, or, where numba may run
exact kernels (backend/kernels.py), the compiled row sums of backend/numba_kernels.py, which
give the same bits (NumPy's pairwise order), one call per slice of rows on the pool."""
from ..backend import xp as _xp, kernels as _kernels, threads as _threads

_ROW_BLOCK_BYTES = 128 << 10  # NCHW: a block of (sample, channel) rows (measured: 64-128 KiB
                              # blocks of 2-D rows beat 256 KiB blocks of 3-D samples, 1.3x)
_EXPAND_BYTES = 1 << 20       # NCHW: per-channel numbers as full (C, L) rows up to this size


def _exact(*arrays):
    """The numba kernels for a pass that gives the NumPy path's bits (the affine maps: IEEE
    * and + in the NumPy formula's order, no fused multiply-add), which then runs compiled
    by default wherever numba is installed (backend.kernels.exact_kernels); None unless the
    arrays share one float dtype (a float64 factor would round once where NumPy rounds
    twice) and are C-contiguous."""
    nb = _kernels.exact_kernels()
    if nb is None:
        return None
    dtype = arrays[0].dtype
    if dtype not in (_xp.float32, _xp.float64):
        return None
    for a in arrays:
        if a.dtype != dtype or not a.flags.c_contiguous:
            return None
    return nb


class _Rows:
    """An (N, C, L) array as (N*C, L) rows, one per (sample, channel), cut into blocks of
    about _ROW_BLOCK_BYTES: whole samples, or a run of channels of one sample. Every pass is
    a few ufunc calls per block, so a block's temporaries stay in cache for the next call.
    `channel(v)` lays a per-channel number out against a block: as full rows when small
    (a stride-0 column broadcast costs NumPy 1.3-1.6x more per element), else as a column.
    Partial sums are per row and added up in one fixed order: the same bits at any thread
    count."""

    def __init__(self, x3):
        N, C, L = x3.shape
        self.C, self.x2 = C, x3.reshape(N * C, L)
        row = max(L * x3.itemsize, 1)
        if C * row <= _ROW_BLOCK_BYTES:         # blocks of whole samples
            self.tile = max(1, _ROW_BLOCK_BYTES // (C * row)) * C
            self.blocks = [(i, min(i + self.tile, N * C)) for i in range(0, N * C, self.tile)]
        else:                                   # blocks of channels within a sample
            self.tile, per = C, max(1, _ROW_BLOCK_BYTES // row)
            self.blocks = [(n * C + c, n * C + min(c + per, C))
                           for n in range(N) for c in range(0, C, per)]
        self.expand = self.tile * row <= _EXPAND_BYTES

    def rows(self, a3):
        return a3.reshape(self.x2.shape)

    def channel(self, v):
        """v (C,) or (C, 1) -> fn(r0, r1): its values for the rows of a block."""
        v = _xp.tile(v.reshape(-1, 1), (self.tile // self.C, 1))
        if self.expand:
            v = _xp.ascontiguousarray(_xp.broadcast_to(v, (self.tile, self.x2.shape[1])))
        C = self.C
        return lambda r0, r1: v[r0 % C:r0 % C + r1 - r0]

    def run(self, fn):
        """fn(r0, r1, scratch) per block over the thread pool; scratch: a work array of a
        block's size, one per slice."""
        blocks, x2 = self.blocks, self.x2

        def run(i, j):
            scratch = _xp.empty((self.tile,) + x2.shape[1:], x2.dtype)
            for r0, r1 in blocks[i:j]:
                fn(r0, r1, scratch[:r1 - r0])
        _threads.parallel_for(len(blocks), run, x2.nbytes)

    def total(self, part):
        """(C, 1) per-channel totals of per-row partial sums (N*C,)."""
        return part.reshape(-1, self.C).sum(0).reshape(self.C, 1)


def _rows_sum(R, a2):
    """Per channel: the sum of a2 (rows laid out as R's)."""
    part = _xp.empty(a2.shape[0], a2.dtype)
    nb = _exact(a2)
    if nb is not None:      # the same pairwise sums per row, compiled (numba_kernels.py)
        _per_rows(a2, lambda i, j: nb.bn_row_sums(a2[i:j], part[i:j]))
    else:
        R.run(lambda r0, r1, t: a2[r0:r1].sum(-1, out=part[r0:r1]))
    return R.total(part)


def _rows_centered(R, mean, g2=None):
    """Per channel: sum((x - mean)^2), or sum((x - mean) gy) and sum(gy) when gy's rows g2 are
    given (one pass over both). Each row's products are formed by two ufuncs, then summed by
    add.reduce (its pairwise order: einsum's order and fused multiply-adds depend on the CPU),
    so the compiled kernel gives the same bits."""
    x2 = R.x2
    part = _xp.empty(x2.shape[0], x2.dtype)
    gpart = None if g2 is None else _xp.empty(x2.shape[0], x2.dtype)
    nb = _exact(x2, mean) if g2 is None else _exact(x2, mean, g2)
    if nb is not None:
        _per_rows(x2, lambda i, j: nb.bn_row_sums(
            x2[i:j], part[i:j], mean, i, None if g2 is None else g2[i:j],
            None if g2 is None else gpart[i:j]))
    else:
        m = R.channel(mean)

        def run(r0, r1, d):
            _xp.subtract(x2[r0:r1], m(r0, r1), out=d)
            with _xp.errstate(over="ignore", invalid="ignore"):   # (as einsum was: silent)
                _xp.multiply(d, d if g2 is None else g2[r0:r1], out=d)
            d.sum(-1, out=part[r0:r1])
            if g2 is not None:
                g2[r0:r1].sum(-1, out=gpart[r0:r1])
        R.run(run)
    return R.total(part) if g2 is None else (R.total(part), R.total(gpart))


# A compiled pass (one nogil call per slice) splits over the pool from an x of this many
# bytes on (NumPy's passes hand the GIL over per block and split from threads.THRESHOLD).
# These passes are memory-bound, and on a 2 MiB x (ResNet-small's 8x8 stage) the hand-off
# cost more than the second core's bandwidth gave: fwd+bwd at 2 threads (median of 40,
# real-time, lock) 1.66 ms split from 1 MiB, 1.44 serial; 4 MiB (its 16x16 stage) 2.44
# split vs 2.60 serial.
_SPLIT_BYTES = 4 << 20


def _per_rows(x2, fn):
    """fn(i, j) over slices of x2's rows on the thread pool (compiled kernels), by x2's size
    (one array or two read)."""
    _threads.parallel_for(x2.shape[0], fn, x2.nbytes, threshold=_SPLIT_BYTES)


def _rows_affine(R, a, b, out2, g2=None, k=None):
    """out = x a + b per channel, or gy a + (x k + b) when gy's rows g2 and k are given."""
    x2 = R.x2
    a, b = R.channel(a), R.channel(b)
    k = None if k is None else R.channel(k)

    def run(r0, r1, t):
        o = out2[r0:r1]
        if g2 is None:
            _xp.multiply(x2[r0:r1], a(r0, r1), out=o)
            o += b(r0, r1)
            return
        _xp.multiply(g2[r0:r1], a(r0, r1), out=o)
        _xp.multiply(x2[r0:r1], k(r0, r1), out=t)
        t += b(r0, r1)
        o += t
    R.run(run)
    return out2
