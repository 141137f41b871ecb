"""One pool region for several of a conv backward's kernels (conv.py's Convolution.backward):
its input gradient's and weight gradient's chunks (the joinable conv_kernels._per_slice
calls) and the bias gradient's sum over the batch, instead of one region each.

    with joined(on): ...  the joinable calls inside only queue their slices; at the end of
                          the block they run as one region, then the queued `after` steps
                          (on False: nothing changes)
    batch_sum(g)          g.sum(0) of a C-contiguous (N, ...) gradient as NumPy sums it,
                          queued in the block's region by column blocks, or None

Why: a region's hand-off costs ~60-90 us (the pool thread starts that late; the caller may
wait for its last slice: docs/perf/lenet.md, lenet6), and the bias gradient's sum over the
batch (LeNet's conv1: 128 x 6 x 28 x 28) ran serially on the calling thread. The slices
are the ones each call would make alone (conv_kernels._per_slice), each slice's result the
same whoever runs it, so the results are the same bits as separate regions.
"""
import threading

from ..backend import kernels as _kernels, threads as _threads

__all__ = ["joined", "batch_sum"]

_local = threading.local()


def queue():
    """The list the joinable calls queue (claim, n, nbytes, fn) into, or None outside a block."""
    return getattr(_local, "queue", None)


def after(step):
    """Run step() once the block's region ran (inside a block), else now."""
    steps = getattr(_local, "after", None)
    if steps is None:
        step()
    else:
        steps.append(step)


class joined:
    """`with joined():` the queued calls' work items claimed one at a time from one list, in
    order, by whichever thread is free (the caller first): a call's chunks (claim, its chunks
    of _CLAIM_BYTES or more) or its slices (conv_kernels._slice_edges, the caller's share
    first). Results are filled at the end of the block: read them after it."""

    def __init__(self, on=True):
        self.on = on

    def __enter__(self):
        if self.on:
            _local.queue, _local.after = [], []

    def __exit__(self, kind, value, tb):
        if not self.on:
            return False
        calls, steps = _local.queue, _local.after
        _local.queue = _local.after = None
        if kind is not None:
            return False
        from . import conv_kernels as _ck
        t = _threads.get_num_threads()
        items = []
        for claim, n, _, fn in calls:
            edges = range(n + 1) if claim else _ck._slice_edges(n, t)
            items += [(fn, edges[k], edges[k + 1]) for k in range(len(edges) - 1)]

        def run(i, j):
            for fn, start, stop in items[i:j]:
                fn(start, stop)
        if items:
            _threads.parallel_for(len(items), run, sum(c[2] for c in calls), blas_serial=True,
                                  slices=len(items), threshold=_ck._FUSED_SPLIT_BYTES)
        for step in steps:
            step()
        return False


# Column blocks of the batch sum: enough for the two threads' claims to even out
_SUM_BLOCKS = 8


def batch_sum(g):
    """g.sum(0) with NumPy's bits (each element summed over the batch in order, from 0:
    numba_elementwise.batch_sum) as a joinable call (filled at the end of the block), for a
    C-contiguous float32/64 g of at least 2 dims inside a `joined()` block with 2+ threads and
    numba's exact kernels; else None (the caller sums with NumPy)."""
    from . import conv_kernels as _ck
    calls = queue()
    if calls is None or g.ndim < 2 or not g.flags.c_contiguous or g.dtype not in _ck._NUMBA_DTYPES \
            or not g.size or not _kernels.numba_for_exact() or _threads.get_num_threads() < 2:
        return None
    from ..backend import numba_elementwise as _ne
    g2 = g.reshape(g.shape[0], -1)
    out = _ne.numpy.empty(g2.shape[1], g.dtype)
    m = g2.shape[1]
    n = min(_SUM_BLOCKS, m)
    calls.append((False, n, g.nbytes,
                  lambda i, j: _ne.batch_sum(g2, m * i // n, m * j // n, out)))
    return out.reshape(g.shape[1:])
