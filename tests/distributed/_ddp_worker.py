"""2-rank DDP on the bundled MNIST subset vs one process, same global batches of 128.

Rank 0 also trains the single-process reference on the whole batch and compares; both ranks
check that their replicas are identical. argv: dtype (float64/float32), mode (plain, no_sync,
unused, bucket)."""
import sys

import numpy as np

import glasstorch as torch
import glasstorch.distributed as dist
from glasstorch import nn
from glasstorch.utils.data import DistributedSampler
from glasstorch.utils.data.distributed import ProportionalBatchSampler
from glasstorch.vision.datasets import MNIST

dtype, mode = getattr(torch, sys.argv[1]), sys.argv[2]
dist.init_process_group()
rank, world = dist.get_rank(), dist.get_world_size()
torch.set_default_dtype(dtype)
ds = MNIST(root=None, train=True)
x_all = (ds.data.to(dtype) / 255.0).reshape(-1, 784)
y_all = ds.targets
GLOBAL, STEPS = 128, 20


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 32), nn.Tanh())
        self.head = nn.Linear(32, 10)
        if mode == "unused":
            self.unused = nn.Linear(5, 5)  # takes no part in forward

    def forward(self, x):
        return self.head(self.body(x))


def proportional_batches(r):
    """Rank 0 takes 3/4 of each global batch, rank 1 1/4 (unequal speeds)."""
    s = ProportionalBatchSampler(ds, GLOBAL, [3.0, 1.0], world, r, shuffle=True, seed=3)
    out = []
    for idx in s:
        out.append((idx, s.grad_scale(len(idx))))
        if len(out) == STEPS:
            return out


def batches(num_replicas, r):
    s = DistributedSampler(ds, num_replicas, r, shuffle=True, seed=3)
    order = list(s)
    per = GLOBAL // num_replicas
    return [order[k * per:(k + 1) * per] for k in range(STEPS)]


def train(model, opt, idx_lists, step_fn):
    for idx in idx_lists:
        opt.zero_grad()
        scale = 1.0
        if isinstance(idx, tuple):          # (indices, gradient weight)
            idx, scale = idx
        step_fn(model, torch.tensor(idx), scale)
        opt.step()


def plain(model, idx, scale=1.0):
    (nn.functional.cross_entropy(model(x_all[idx]), y_all[idx]) * scale).backward()


def accumulate(model, idx, scale):  # 2 micro-batches; the first under no_sync
    half = len(idx) // 2
    with model.no_sync():
        (nn.functional.cross_entropy(model(x_all[idx[:half]]), y_all[idx[:half]]) / 2).backward()
    (nn.functional.cross_entropy(model(x_all[idx[half:]]), y_all[idx[half:]]) / 2).backward()


torch.manual_seed(rank)            # different inits: DDP must broadcast rank 0's
net = Net()
if rank == 0:
    torch.manual_seed(0)
    net = Net()
    ref = Net()
    ref.load_state_dict(net.state_dict())
cap = 0.002 if mode == "bucket" else None    # 2 kB: three buckets
ddp = nn.parallel.DistributedDataParallel(net, bucket_cap_mb=cap,
                                          find_unused_parameters=(mode == "unused"))
assert len(ddp._buckets) == (3 if mode == "bucket" else 1), len(ddp._buckets)
opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
train(ddp, opt, proportional_batches(rank) if mode == "proportional" else batches(world, rank),
      accumulate if mode == "no_sync" else plain)

tol = 1e-10 if dtype == torch.float64 else 1e-5
mine = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
every = [torch.zeros_like(mine) for _ in range(world)]
dist.all_gather(every, mine)
for other in every:
    np.testing.assert_array_equal(other.numpy(), mine.numpy())   # replicas stay identical
if mode == "unused":
    assert net.unused.weight.grad is None  # unused on every rank: its grad untouched (torch)
if rank == 0:
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    train(ref, opt_ref, batches(1, 0), plain)
    err = max(float((a - b).abs().max()) for a, b in zip(net.parameters(), ref.parameters()))
    print(f"max |ddp - single| = {err:.3g} (tolerance {tol})")
    assert err <= tol, err
dist.barrier()
print(f"rank {rank} ok")
