"""Runs on every rank: each collective against a NumPy reference computed from all ranks'
inputs (which every rank can rebuild, since they are seeded by rank)."""
import numpy as np

import glasstorch as torch
import glasstorch.distributed as dist

dist.init_process_group(backend="mpi")
r, n = dist.get_rank(), dist.get_world_size()


def data(rank, shape=(3, 4), dtype=np.float64):
    return np.random.default_rng(rank).standard_normal(shape).astype(dtype)


everyone = np.stack([data(k) for k in range(n)])
refs = {dist.ReduceOp.SUM: everyone.sum(0), dist.ReduceOp.AVG: everyone.mean(0),
        dist.ReduceOp.MAX: everyone.max(0), dist.ReduceOp.MIN: everyone.min(0),
        dist.ReduceOp.PRODUCT: everyone.prod(0)}
for op, ref in refs.items():
    t = torch.tensor(data(r))
    assert dist.all_reduce(t, op=op) is None
    np.testing.assert_allclose(t.numpy(), ref, rtol=1e-12, err_msg=str(op))

# float32, int64, non-contiguous view, async
t = torch.tensor(data(r, dtype=np.float32))
dist.all_reduce(t)
np.testing.assert_allclose(t.numpy(), everyone.astype(np.float32).sum(0), rtol=1e-5)
assert t.dtype == torch.float32
ti = torch.tensor(np.arange(6) + r)
dist.all_reduce(ti, op=dist.ReduceOp.MAX)
assert ti.tolist() == list(np.arange(6) + n - 1) and ti.dtype == torch.int64
base = torch.tensor(data(r))
view = base.t()
work = dist.all_reduce(view, async_op=True)
assert work.wait()
np.testing.assert_allclose(base.numpy(), everyone.sum(0), rtol=1e-12)

# broadcast / reduce
t = torch.tensor(data(r))
dist.broadcast(t, src=n - 1)
np.testing.assert_array_equal(t.numpy(), data(n - 1))
t = torch.tensor(data(r))
dist.reduce(t, dst=0)
if r == 0:
    np.testing.assert_allclose(t.numpy(), everyone.sum(0), rtol=1e-12)

# all_gather, all_gather_into_tensor, reduce_scatter_tensor
outs = [torch.zeros(3, 4, dtype=torch.float64) for _ in range(n)]
dist.all_gather(outs, torch.tensor(data(r)))
for k in range(n):
    np.testing.assert_array_equal(outs[k].numpy(), data(k))
out = torch.zeros(3 * n, 4, dtype=torch.float64)
dist.all_gather_into_tensor(out, torch.tensor(data(r)))
np.testing.assert_array_equal(out.numpy(), everyone.reshape(3 * n, 4))
big = torch.tensor(data(r, (2 * n, 5)))
piece = torch.zeros(2, 5, dtype=torch.float64)
dist.reduce_scatter_tensor(piece, big)
full = sum(data(k, (2 * n, 5)) for k in range(n))
np.testing.assert_allclose(piece.numpy(), full[2 * r:2 * r + 2], rtol=1e-12)

# gather / scatter
lst = [torch.zeros(3, 4, dtype=torch.float64) for _ in range(n)] if r == 0 else None
dist.gather(torch.tensor(data(r)), lst, dst=0)
if r == 0:
    for k in range(n):
        np.testing.assert_array_equal(lst[k].numpy(), data(k))
t = torch.zeros(3, 4, dtype=torch.float64)
dist.scatter(t, [torch.tensor(data(10 + k)) for k in range(n)] if r == 0 else None, src=0)
np.testing.assert_array_equal(t.numpy(), data(10 + r))

# send / recv (a ring), isend / irecv
t = torch.tensor(data(r))
got = torch.zeros(3, 4, dtype=torch.float64)
if r % 2 == 0:
    dist.send(t, dst=(r + 1) % n)
    sender = dist.recv(got, src=(r - 1) % n)
else:
    sender = dist.recv(got)
    dist.send(t, dst=(r + 1) % n)
assert sender == (r - 1) % n
np.testing.assert_array_equal(got.numpy(), data((r - 1) % n))
req = dist.irecv(got, src=(r - 1) % n, tag=7)
dist.isend(torch.tensor(data(20 + r)), dst=(r + 1) % n, tag=7).wait()
req.wait()
np.testing.assert_array_equal(got.numpy(), data(20 + (r - 1) % n))

# groups: a group of rank 0 alone
g = dist.new_group([0])
t = torch.tensor(data(r))
dist.all_reduce(t, group=g)
np.testing.assert_array_equal(t.numpy(), data(r))   # a group of one: unchanged
assert dist.get_world_size(g) == (1 if r == 0 else -1)
dist.barrier()

# mismatched shapes raise on every rank (no hang)
try:
    dist.all_reduce(torch.zeros(2 + r))
except RuntimeError as e:
    assert "differ in shape" in str(e) and "rank 1: float32[3]" in str(e), e
else:
    raise AssertionError("mismatched all_reduce did not raise")
dist.barrier()
print(f"rank {r} ok")
dist.destroy_process_group()
