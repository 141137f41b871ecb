"""Collective and point-to-point operations (torch.distributed's functions) on MPI.

Each tensor's NumPy array goes to MPI through the buffer interface (mpi4py's upper-case
methods: Allreduce, Bcast, ...): no pickling, no copy when the array is contiguous. Ops that
write their result do it in place, as in torch. `async_op=True` starts a non-blocking MPI
operation and returns a Work whose `wait()` finishes it.

Before a collective, the ranks exchange their tensors' shapes and dtypes (a few bytes) so that
a mismatch raises a RuntimeError on every rank instead of corrupting memory or hanging.
"""
from ..backend import xp as _xp
from .process_group import ReduceOp, _mpi, _pg, get_group_rank, get_global_rank

__all__ = ["Work", "all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "reduce_scatter_tensor", "reduce_scatter", "gather", "scatter", "send", "recv",
           "isend", "irecv", "barrier", "all_gather_object", "broadcast_object_list"]


class Work:
    """The handle of an async operation: `wait()` blocks until its result is in the tensor."""

    def __init__(self, requests=(), finish=None):
        self._requests, self._finish, self._done = list(requests), finish, False

    def wait(self, timeout=None):
        if not self._done:
            if self._requests:
                _mpi().Request.Waitall(self._requests)
            if self._finish is not None:
                self._finish()
            self._done = True
        return True

    def is_completed(self):
        if not self._done and self._requests and not _mpi().Request.Testall(self._requests):
            return False
        self.wait()
        return True

    def is_success(self):
        return self.is_completed()


_DONE = Work()


def _ret(work, async_op):
    """async_op=True -> the handle; otherwise finish now and return None (torch)."""
    if async_op:
        return work
    work.wait()
    return None


def _mpi_op(op):
    MPI = _mpi()
    table = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
             ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
             ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}
    if op not in table:
        raise ValueError(f"reduce op {op!r} is not supported; use one of {list(table)}")
    return table[op]


def _contig(t):
    """The tensor's array if MPI can use it as is, else a contiguous copy (written back later)."""
    a = t._data
    if a.dtype == _xp.float16:   # MPI has no half type: reduce in float32
        return a.astype(_xp.float32)
    return a if a.flags.c_contiguous and a.flags.writeable else _xp.ascontiguousarray(a)


def _store(t, buf):
    """Put `buf` into the tensor's own array (a no-op when MPI wrote there directly)."""
    if buf is not t._data:
        t._data[...] = buf.reshape(t._data.shape)
    t._version_counter[0] += 1


def _check_same(pg, name, arrays):
    """Every rank sends (dtype, shape) of its tensor; any difference raises on all ranks."""
    sig = [(str(a.dtype), tuple(a.shape)) for a in arrays]
    everyone = pg.comm.allgather(sig)      # a few bytes: small pickled tuples are fine here
    if any(s != everyone[0] for s in everyone):
        desc = "; ".join(f"rank {pg.ranks[r]}: " + ", ".join(f"{d}{list(s)}" for d, s in x)
                         for r, x in enumerate(everyone))
        raise RuntimeError(f"{name}: tensors differ in shape or dtype across ranks ({desc})")


# Large messages go in pieces of this many bytes: with Open MPI's shared-memory transport, a
# blocking all-reduce of 256 kB pieces moved 4 MB in ~1.2 ms on this 2-core machine, one
# 4 MB call took ~85 ms and a non-blocking one (progressed only inside MPI calls) ~40 ms.
CHUNK_BYTES = 1 << 18


def allreduce_array(comm, buf, mpi_op):
    """In-place blocking all-reduce of a contiguous 1-D-able array, in CHUNK_BYTES pieces."""
    MPI = _mpi()
    flat = buf.reshape(-1)
    step = max(1, CHUNK_BYTES // max(flat.itemsize, 1))
    for i in range(0, flat.size, step):
        comm.Allreduce(MPI.IN_PLACE, flat[i:i + step], mpi_op)


def _avg_finish(t, buf, n, op):
    def finish():
        if op == ReduceOp.AVG:
            _xp.divide(buf, n, out=buf, casting="unsafe")
        _store(t, buf)
    return finish


def _member(pg):
    return pg.comm is not None   # ranks outside a group skip its operations (torch warns too)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Every rank's `tensor` becomes op(tensor of rank 0, ..., tensor of rank N-1)."""
    pg = _pg(group)
    if not _member(pg):
        return _ret(_DONE, async_op)
    buf = _contig(tensor)
    _check_same(pg, "all_reduce", [buf])
    if not async_op:
        allreduce_array(pg.comm, buf, _mpi_op(op))
        return _ret(Work([], _avg_finish(tensor, buf, pg.size(), op)), False)
    req = pg.comm.Iallreduce(_mpi().IN_PLACE, buf, _mpi_op(op))
    return _ret(Work([req], _avg_finish(tensor, buf, pg.size(), op)), async_op)


def reduce(tensor, dst=0, op=ReduceOp.SUM, group=None, async_op=False):
    """Like all_reduce, but only rank `dst` receives the result."""
    pg = _pg(group)
    if not _member(pg):
        return _ret(_DONE, async_op)
    buf = _contig(tensor)
    _check_same(pg, "reduce", [buf])
    MPI = _mpi()
    root = get_group_rank(pg, dst)
    if pg.rank() == root:
        req = pg.comm.Ireduce(MPI.IN_PLACE, buf, _mpi_op(op), root=root)
        return _ret(Work([req], _avg_finish(tensor, buf, pg.size(), op)), async_op)
    req = pg.comm.Ireduce(buf, None, _mpi_op(op), root=root)
    return _ret(Work([req]), async_op)


def broadcast(tensor, src=0, group=None, async_op=False):
    """Every rank's `tensor` becomes rank `src`'s."""
    pg = _pg(group)
    if not _member(pg):
        return _ret(_DONE, async_op)
    buf = _contig(tensor)
    _check_same(pg, "broadcast", [buf])
    req = pg.comm.Ibcast(buf, root=get_group_rank(pg, src))
    return _ret(Work([req], lambda: _store(tensor, buf)), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] = rank i's `tensor`, on every rank."""
    pg = _pg(group)
    if not _member(pg):
        return _ret(_DONE, async_op)
    n = pg.size()
    if len(tensor_list) != n:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, the group "
                         f"has {n} ranks")
    _check_output_shapes("all_gather", tensor_list, tensor)
    buf = _contig(tensor)
    _check_same(pg, "all_gather", [buf])
    out = _xp.empty((n,) + buf.shape, dtype=buf.dtype)
    req = pg.comm.Iallgather(buf, out)

    def finish():
        for t, part in zip(tensor_list, out):
            _store(t, part)
    return _ret(Work([req], finish), async_op)


def _check_output_shapes(name, outputs, tensor):
    for i, t in enumerate(outputs):
        if t.shape != tensor.shape or t.dtype != tensor.dtype:
            raise RuntimeError(f"{name}: output {i} is {t.dtype}{list(t.shape)}, expected "
                               f"{tensor.dtype}{list(tensor.shape)} like the input")


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """output = cat of every rank's input along dim 0 (or stacked: output shaped (N, *input))."""
    pg = _pg(group)
    if not _member(pg):
        return _ret(_DONE, async_op)
    n = pg.size()
    if output_tensor.numel() != n * input_tensor.numel() or \
            output_tensor.dtype != input_tensor.dtype:
        raise ValueError(f"all_gather_into_tensor: output {output_tensor.dtype}"
                         f"{list(output_tensor.shape)} must hold {n} x the input "
                         f"{input_tensor.dtype}{list(input_tensor.shape)}")
    buf = _contig(input_tensor)
    _check_same(pg, "all_gather_into_tensor", [buf])
    out = _contig(output_tensor)
    req = pg.comm.Iallgather(buf, out)
    return _ret(Work([req], lambda: _store(output_tensor, out)), async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce the ranks' `input` (N x output's size), then rank i keeps the i-th block."""
    pg = _pg(group)
    if not _member(pg):
        return _ret(_DONE, async_op)
    n = pg.size()
    if input.numel() != n * output.numel() or output.dtype != input.dtype:
        raise ValueError(f"reduce_scatter_tensor: input {input.dtype}{list(input.shape)} must "
                         f"hold {n} x the output {output.dtype}{list(output.shape)}")
    buf = _contig(input)
    _check_same(pg, "reduce_scatter_tensor", [buf])
    out = _contig(output)
    req = pg.comm.Ireduce_scatter_block(buf, out, _mpi_op(op))
    return _ret(Work([req], _avg_finish(output, out, n, op)), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """List form: rank i gets op over ranks of input_list[i]."""
    from .. import stack
    return reduce_scatter_tensor(output, stack(list(input_list)), op, group, async_op)


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """Rank `dst` receives every rank's `tensor` into gather_list (others pass None)."""
    pg = _pg(group)
    if not _member(pg):
        return _ret(_DONE, async_op)
    root, n = get_group_rank(pg, dst), pg.size()
    buf = _contig(tensor)
    _check_same(pg, "gather", [buf])
    if pg.rank() != root:
        return _ret(Work([pg.comm.Igather(buf, None, root=root)]), async_op)
    if gather_list is None or len(gather_list) != n:
        raise ValueError(f"gather: rank {dst} needs a gather_list of {n} tensors")
    _check_output_shapes("gather", gather_list, tensor)
    out = _xp.empty((n,) + buf.shape, dtype=buf.dtype)
    req = pg.comm.Igather(buf, out, root=root)

    def finish():
        for t, part in zip(gather_list, out):
            _store(t, part)
    return _ret(Work([req], finish), async_op)


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """Rank i's `tensor` becomes scatter_list[i] of rank `src`."""
    pg = _pg(group)
    if not _member(pg):
        return _ret(_DONE, async_op)
    root, n = get_group_rank(pg, src), pg.size()
    buf = _contig(tensor)
    _check_same(pg, "scatter", [buf])
    send = None
    if pg.rank() == root:
        if scatter_list is None or len(scatter_list) != n:
            raise ValueError(f"scatter: rank {src} needs a scatter_list of {n} tensors")
        _check_output_shapes("scatter", scatter_list, tensor)
        send = _xp.stack([_contig(t) for t in scatter_list])
    req = pg.comm.Iscatter(send, buf, root=root)
    return _ret(Work([req], lambda: _store(tensor, buf)), async_op)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group gets here."""
    pg = _pg(group)
    if not _member(pg):
        return _ret(_DONE, async_op)
    return _ret(Work([pg.comm.Ibarrier()]), async_op)


# ---- point to point ---------------------------------------------------------------------------
def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    pg = _pg(group)
    to = group_dst if group_dst is not None else get_group_rank(pg, dst)
    buf = _xp.ascontiguousarray(tensor._data)
    return Work([pg.comm.Isend(buf, dest=to, tag=tag)])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send `tensor` to rank `dst`, which must call recv with a tensor of the same size."""
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into `tensor` from rank `src` (any rank if None); returns the sender's rank."""
    pg = _pg(group)
    MPI = _mpi()
    frm = group_src if group_src is not None else (
        MPI.ANY_SOURCE if src is None else get_group_rank(pg, src))
    status = MPI.Status()
    pg.comm.Probe(source=frm, tag=tag, status=status)
    buf = _contig(tensor)
    if status.Get_count(MPI.BYTE) != buf.nbytes:
        raise RuntimeError(f"recv: rank {pg.ranks[status.Get_source()]} sent "
                           f"{status.Get_count(MPI.BYTE)} bytes, but the receiving tensor "
                           f"{tensor.dtype}{list(tensor.shape)} holds {buf.nbytes}")
    pg.comm.Recv(buf, source=status.Get_source(), tag=tag)
    _store(tensor, buf)
    return get_global_rank(pg, status.Get_source())


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    pg = _pg(group)
    MPI = _mpi()
    frm = group_src if group_src is not None else (
        MPI.ANY_SOURCE if src is None else get_group_rank(pg, src))
    buf = _contig(tensor)
    req = pg.comm.Irecv(buf, source=frm, tag=tag)
    return Work([req], lambda: _store(tensor, buf))


# ---- Python objects (pickled, as in torch) ----------------------------------------------------
def all_gather_object(object_list, obj, group=None):
    pg = _pg(group)
    object_list[:] = pg.comm.allgather(obj)


def broadcast_object_list(object_list, src=0, group=None, device=None):
    pg = _pg(group)
    object_list[:] = pg.comm.bcast(list(object_list), root=get_group_rank(pg, src))
