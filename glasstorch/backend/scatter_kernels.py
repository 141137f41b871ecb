"""The scatter kernels of indexing (ops/index.py, gather.py, embedding.py; cpu_kernels.py
re-exports them):

    add_at   out[index] += src with repeated indices accumulating: np.add.at's fast 1-D loop
             for flat positions; whole rows sorted, then added in rounds of distinct rows or,
             for few rows repeated often, as one zero-padded table summed in order
    put      out[basic][adv] = value (or += with accumulate=True)
"""
import numpy

__all__ = ["add_at", "put"]


def add_at(out, adv, src):
    """out[adv] += src with repeated indices accumulating (np.add.at semantics).

    One 1-D integer index into rows (embedding, index_add, x[idx] backward) takes a fast path:
    np.add.at is slow on rows, and bincount sums in float64 over a temporary as large as `out`.
    The indices are stably sorted once and the rows added in rounds: round k adds the k-th
    occurrence of every index, so rows within a round are distinct and a gather-add-scatter is
    exact. Each row thus gets its contributions one by one in the order they occur, in out's
    dtype: the sum torch's index_add computes. Few rows repeated many times (a small vocabulary)
    go to _add_padded instead: one zero-padded (repeats, rows, width) table summed over its first
    axis, the same order in one pass. Otherwise occurrences past _ROUNDS of one row (a padding
    token repeated thousands of times) are summed per row first (add.reduceat) and added last,
    so the number of rounds stays bounded. Scalar rows (a 1-D out: gather's and scatter_add's
    flat positions) go to np.add.at, whose 1-D loop (NumPy >= 1.25) adds one by one in index
    order, in out's dtype, 3-40x faster than a sort or a bincount over len(out)."""
    idx = adv[0]
    if len(adv) != 1 or type(idx) is not numpy.ndarray or idx.ndim != 1 \
            or idx.dtype.kind not in "iu" or out.dtype.kind == "b" \
            or numpy.result_type(src) != out.dtype or not out.size:
        numpy.add.at(out, adv, src)
        return
    n, m = out.shape[0], len(idx)
    if not m:
        return
    src = numpy.broadcast_to(src, idx.shape + out.shape[1:])
    if idx.min() < 0:
        idx = numpy.where(idx < 0, idx + n, idx)
    if out.ndim == 1:   # scalar rows
        numpy.add.at(out, idx, src)
        return
    order = numpy.argsort(idx, kind="stable")
    s = idx[order]
    first = numpy.empty(m, dtype=bool)   # first occurrence of each index in sorted order
    first[0] = True
    numpy.not_equal(s[1:], s[:-1], out=first[1:])
    starts = numpy.flatnonzero(first)
    if len(starts) == m:   # no repeats: one round
        _add_rows(out, s, numpy.take(src, order, axis=0))
        return
    lengths = numpy.diff(numpy.append(starts, m))
    rank = numpy.arange(m) - numpy.repeat(starts, lengths)   # k-th occurrence of its index
    most = int(lengths.max())
    width = out.size // n
    if most > _ROUNDS and (most + 1) * len(starts) <= 4 * m and len(starts) * width >= 16:
        _add_padded(out, s[starts], numpy.repeat(numpy.arange(len(starts)), lengths), rank,
                    most, order, src)
        return
    for k in range(min(most, _ROUNDS)):
        sel = numpy.flatnonzero(rank == k)
        _add_rows(out, s[sel], numpy.take(src, order[sel], axis=0))
    if most > _ROUNDS:
        sel = numpy.flatnonzero(rank >= _ROUNDS)   # still sorted, so one segment per row
        heads = numpy.flatnonzero(rank[sel] == _ROUNDS)
        sums = numpy.add.reduceat(numpy.take(src, order[sel], axis=0), heads, axis=0)
        _add_rows(out, s[sel[heads]], sums)


_ROUNDS = 8   # reduceat costs ~2 us per row, a round ~30 us: rounds win up to a few repeats


def _add_padded(out, rows, seg, rank, most, order, src):
    """out[rows[seg[i]]] += src[order[i]] for a few distinct rows each repeated many times (a
    small vocabulary: 30 characters x 1120 lookups), order sorting src by row, rank[i] the
    occurrence of lookup order[i] among those of its row.

    Table P (most + 1, rows, width): P[0] = out[rows], P[1 + rank[i], seg[i]] = src[order[i]]
    (scattered straight from src, no sorted copy of it), zeros
    after a row's last occurrence. Summing P over axis 0 adds whole slices one after the other
    (NumPy sums along a non-inner axis in order, not pairwise; +0 changes nothing), so each row
    gets out's value plus its contributions one by one in order of occurrence, in out's dtype:
    torch's index_add order, bit for bit, in one vectorized pass instead of `most` rounds.
    The caller bounds P to 4 x the values (rows * width >= 16 keeps the summed slice wide)."""
    u, m = len(rows), len(order)
    width = src.size // m
    table = numpy.zeros((most + 1, u, width), out.dtype)
    table[0] = out[rows].reshape(u, width)
    where = numpy.empty(m, order.dtype)   # the table row of each lookup, in src's order
    where[order] = (rank + 1) * u + seg
    item = numpy.dtype((numpy.void, src.itemsize * width))   # rows copied as opaque items
    table.reshape(-1, width).view(item)[where, 0] = \
        numpy.ascontiguousarray(src).reshape(m, width).view(item)[:, 0]
    out[rows] = numpy.add.reduce(table, axis=0, dtype=out.dtype).reshape((u,) + out.shape[1:])


def _add_rows(out, rows, values):
    """out[rows] += values for distinct rows: gather, add, scatter back."""
    # take() first copies a non-contiguous `out` (a view written in place) whole: O(out)
    acc = numpy.take(out, rows, axis=0) if out.flags.c_contiguous else out[rows]
    acc += values
    if out.ndim > 1 and out.flags.c_contiguous:
        # NumPy scatters whole rows ~4x faster as opaque items (one memcpy each) than through
        # 2-D fancy assignment (an element-wise loop)
        row = numpy.dtype((numpy.void, acc.itemsize * (out.size // out.shape[0])))
        out.reshape(out.shape[0], -1).view(row)[rows, 0] = \
            acc.reshape(len(rows), -1).view(row)[:, 0]
    else:
        out[rows] = acc


def put(out, basic, adv, value, accumulate):
    """out[basic][adv] = value (or += value, accumulating repeats), in place."""
    region = out[basic]
    if adv is None:
        if accumulate:
            region += value
        else:
            region[...] = value
    elif accumulate:
        add_at(region, adv, value)
    else:
        region[adv] = value
