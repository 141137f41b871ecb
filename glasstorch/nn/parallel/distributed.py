"""DistributedDataParallel: one model replica per process, gradients averaged across processes.

How it works (as torch's DDP, on glasstorch.distributed / MPI):
1. At construction, rank 0's parameters and buffers are broadcast, so every replica starts equal.
2. Parameters are put in buckets of about `bucket_cap_mb` (25 MB), in reverse order of
   `module.parameters()`: backward produces gradients roughly from the last layer to the first.
3. Each parameter has a post-accumulate-grad hook. When the last gradient of a bucket arrives,
   the bucket (one flat array) is handed to a communication thread that all-reduces it while
   backward continues with the earlier layers (NumPy releases the GIL in its kernels): the
   communication overlaps computation. Buckets go out in bucket order on every rank, so the
   ranks' all-reduces always pair up.
4. When every bucket has been launched, the hook of the last one waits for the thread and
   writes the averages back into `p.grad`. After `loss.backward()` every rank holds the same
   gradients, so the same optimizer step keeps the replicas equal.
`no_sync()` skips 3-4 (gradients just accumulate locally) for gradient accumulation;
`find_unused_parameters=True` walks the autograd graph after forward and marks parameters that
take no part as ready, so their buckets do not wait forever.
"""
import queue
import threading
from contextlib import contextmanager

from ...backend import xp as _xp
from ...autograd.grad_mode import is_grad_enabled
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """Parameters whose gradients travel together in one flat array."""

    def __init__(self, params, dtype):
        self.params = params
        self.offsets, n = [], 0
        for p in params:
            self.offsets.append(n)
            n += p.numel()
        self.flat = _xp.zeros(n, dtype=dtype)
        self.pending = len(params)


class DistributedDataParallel(Module):
    """Wrap `module` for data-parallel training; construct it on every rank, after
    init_process_group. Each rank feeds its own part of every batch (DistributedSampler)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params=False):
        super().__init__()
        from ... import distributed as dist
        if device_ids:
            raise ValueError(f"DistributedDataParallel: device_ids={device_ids}, but glasstorch "
                             "runs on the CPU (leave device_ids=None)")
        if not any(p.requires_grad for p in module.parameters()):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        self.module = module
        self.process_group = process_group or dist.group.WORLD
        if self.process_group is None:
            raise ValueError("Default process group has not been initialized, please make sure "
                             "to call init_process_group.")
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 2 ** 20)
        self._params = [p for p in module.parameters() if p.requires_grad]
        self._world = dist.get_world_size(self.process_group)
        self._check_same_parameters()
        if init_sync:
            self._broadcast([p for p in module.parameters()] + list(module.buffers()))
        self._buckets = self._make_buckets()
        self._where = {}          # id(parameter) -> (bucket, index in bucket)
        for b in self._buckets:
            for i, p in enumerate(b.params):
                self._where[id(p)] = (b, i)
        self._index = {id(p): i for i, p in enumerate(self._params)}
        self._hooks = [p.register_post_accumulate_grad_hook(self._grad_ready)
                       for p in self._params]
        self._syncing = False     # a backward whose gradients we are reducing
        self._launched = 0        # buckets handed to the thread (in bucket order)
        self._jobs, self._errors, self._thread = queue.Queue(), [], None

    # ---- construction -------------------------------------------------------------------
    def _check_same_parameters(self):
        from ... import distributed as dist
        mine = [(tuple(p.shape), str(p.dtype)) for p in self._params]
        everyone = [None] * self._world
        dist.all_gather_object(everyone, mine, group=self.process_group)
        for r, theirs in enumerate(everyone):
            if theirs != mine:
                raise RuntimeError(
                    "DistributedDataParallel: the model differs across ranks: rank "
                    f"{dist.get_global_rank(self.process_group, r)} has {len(theirs)} "
                    f"parameters {theirs[:4]}..., this rank {len(mine)} {mine[:4]}...")

    def _broadcast(self, tensors):
        """Rank 0's values into every rank's tensors: one flat broadcast per dtype."""
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype, []).append(t)
        comm = self.process_group.comm
        for dtype, ts in by_dtype.items():
            flat = _xp.concatenate([t._data.reshape(-1) for t in ts]) if ts else None
            comm.Bcast(flat, root=0)
            n = 0
            for t in ts:
                k = t._data.size
                t._data[...] = flat[n:n + k].reshape(t._data.shape)
                t._version_counter[0] += 1
                n += k

    def _make_buckets(self):
        buckets, current, size = [], {}, {}
        for p in reversed(self._params):
            dt = p._data.dtype
            current.setdefault(dt, []).append(p)
            size[dt] = size.get(dt, 0) + p._data.nbytes
            if size[dt] >= self.bucket_bytes_cap:
                buckets.append(_Bucket(current.pop(dt), dt))
                size[dt] = 0
        buckets += [_Bucket(ps, dt) for dt, ps in current.items()]
        return buckets

    # ---- forward ------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._syncing and any(b.pending < len(b.params) for b in self._buckets):
            # a backward began reducing but some parameters never got a gradient
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`.")
        # torch: buffers are synced only by forwards that will reduce gradients, so a rank may
        # evaluate alone under no_grad without waiting for the others
        if self.broadcast_buffers and is_grad_enabled() and self.require_backward_grad_sync:
            buffers = list(self.module.buffers())
            if buffers:
                self._broadcast(buffers)
        out = self.module(*inputs, **kwargs)
        self._syncing = is_grad_enabled() and self.require_backward_grad_sync
        if self._syncing:
            for b in self._buckets:
                b.pending = len(b.params)
                b.flat[...] = 0
            self._launched = 0
            self._used = None
            if self.find_unused_parameters:
                self._mark_unused(out)
        return out

    def _mark_unused(self, out):
        """Parameters not reached from the outputs' graph get no gradient this iteration:
        count them as ready now (with zeros), as torch does."""
        reached, stack, seen = set(), [], set()
        for t in _tensors(out):
            if t.grad_fn is not None:
                stack.append(t.grad_fn)
            elif t.requires_grad:
                reached.add(id(t))
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            var = getattr(node, "variable", None)
            if var is not None:
                reached.add(id(var))
            stack.extend(f for f, _ in (node.next_functions or ()) if f is not None)
        self._used = _xp.array([id(p) in reached for p in self._params], dtype=_xp.int32)
        for p in self._params:
            if id(p) not in reached:
                self._ready(p, None)

    # ---- backward: the hooks ------------------------------------------------------------
    def _grad_ready(self, p):
        if self._syncing:
            self._ready(p, p.grad)

    def _ready(self, p, grad):
        bucket, i = self._where[id(p)]
        if grad is not None:
            n = bucket.offsets[i]
            bucket.flat[n:n + p.numel()] = grad._data.reshape(-1)
        bucket.pending -= 1
        # launch every full bucket from the next one in order (never out of order: the other
        # ranks pair their all-reduces by order)
        while self._launched < len(self._buckets) and \
                self._buckets[self._launched].pending == 0:
            self._launch(self._buckets[self._launched])
            self._launched += 1
        if self._launched == len(self._buckets):
            self._finish()

    def _launch(self, bucket):
        # torch divides by the world size before summing (keeps float16 sums in range)
        _xp.divide(bucket.flat, self._world, out=bucket.flat, casting="unsafe")
        if self._thread is None:
            self._thread = threading.Thread(target=self._communicate, daemon=True,
                                            name="ddp-allreduce")
            self._thread.start()
        self._jobs.put(bucket)

    def _communicate(self):
        from ...distributed.collectives import allreduce_array
        comm, op = self.process_group.comm, _mpi().SUM
        while True:
            bucket = self._jobs.get()
            try:
                allreduce_array(comm, bucket.flat, op)
            except Exception as e:          # re-raised in the training thread
                self._errors.append(e)
            self._jobs.task_done()

    def _finish(self):
        self._jobs.join()
        if self._errors:
            raise RuntimeError(f"DistributedDataParallel: gradient all-reduce failed: "
                               f"{self._errors.pop()}")
        used = None
        if self._used is not None:    # a parameter unused on every rank keeps its grad as is
            used = _xp.empty_like(self._used)
            self.process_group.comm.Allreduce(self._used, used, _mpi().MAX)
        from ...tensor import _make
        for b in self._buckets:
            for p, n in zip(b.params, b.offsets):
                if used is not None and not used[self._index[id(p)]]:
                    continue
                g = b.flat[n:n + p.numel()].reshape(p._data.shape)
                if p.grad is None:
                    p.grad = _make(g.copy())
                else:
                    p.grad._data[...] = g
        self._syncing = False

    @contextmanager
    def no_sync(self):
        """Backward passes inside only accumulate local gradients; the first backward after
        it reduces the accumulated sum."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


def _mpi():
    from ...distributed.process_group import _mpi
    return _mpi()


def _tensors(out):
    from ...tensor import Tensor
    if isinstance(out, Tensor):
        yield out
    elif isinstance(out, (list, tuple)):
        for o in out:
            yield from _tensors(o)
    elif isinstance(out, dict):
        for o in out.values():
            yield from _tensors(o)
