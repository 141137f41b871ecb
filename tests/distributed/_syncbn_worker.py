"""2 ranks with SyncBatchNorm on halves of a batch = one BatchNorm2d on the whole batch:
outputs, input and parameter gradients, running statistics (float64)."""
import numpy as np

import glasstorch as torch
import glasstorch.distributed as dist
from glasstorch import nn

dist.init_process_group()
rank, world = dist.get_rank(), dist.get_world_size()
torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(0)
x_all = torch.tensor(rng.standard_normal((8, 3, 4, 5)) * 2 + 1, requires_grad=True)
gy_all = torch.tensor(rng.standard_normal((8, 3, 4, 5)))
part = slice(4 * rank, 4 * rank + 4)

ref = nn.BatchNorm2d(3)
with torch.no_grad():
    ref.weight.copy_(torch.tensor([0.5, 1.5, -1.0]))
    ref.bias.copy_(torch.tensor([0.1, 0.2, 0.3]))
sync = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3)))[0]
assert isinstance(sync, nn.SyncBatchNorm)
sync.load_state_dict(ref.state_dict())

x = x_all.detach()[part].clone().requires_grad_(True)
y = sync(x)
(y * gy_all[part]).sum().backward()
y_ref = ref(x_all)
(y_ref * gy_all).sum().backward()

np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy()[part], atol=1e-10)
np.testing.assert_allclose(x.grad.numpy(), x_all.grad.numpy()[part], atol=1e-10)
for name in ("weight", "bias"):   # each rank holds its part's share; the sum is the full grad
    g = getattr(sync, name).grad.clone()
    dist.all_reduce(g)
    np.testing.assert_allclose(g.numpy(), getattr(ref, name).grad.numpy(), atol=1e-10)
for name in ("running_mean", "running_var"):
    np.testing.assert_allclose(getattr(sync, name).numpy(), getattr(ref, name).numpy(),
                               atol=1e-10)
sync.eval()
ref.eval()
np.testing.assert_allclose(sync(x).detach().numpy(), ref(x_all).detach().numpy()[part],
                           atol=1e-12)
# DDP with BatchNorm: rank 0 may evaluate alone under no_grad (no buffer broadcast to wait for)
ddp = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3)))
ddp(x).sum().backward()
if rank == 0:
    with torch.no_grad():
        ddp(x_all)
dist.barrier()
print(f"rank {rank} ok")
