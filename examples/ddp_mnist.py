"""Data-parallel LeNet on MNIST with DistributedDataParallel: N processes, one model replica each.

    glasstorch run -n 2 examples/ddp_mnist.py            # 2 ranks (mpirun underneath)
    python examples/ddp_mnist.py                         # 1 rank: the same training

Every step, the global batch of 128 images is split between the ranks (DistributedSampler: rank r
takes every N-th index of one shuffled order), each rank computes the gradient of its part, and
DDP averages the gradients across ranks during backward. All replicas then take the same
optimizer step, so N ranks train exactly the model one process would (up to float rounding):
the same test accuracy, and with N cores about N times the images per second.

Runs on PyTorch too (`import torch`, `torchrun --nproc-per-node 2 ...`, backend="gloo").
"""
import sys
import time

import glasstorch as torch                       # or: import torch
import glasstorch.distributed as dist            # or: import torch.distributed as dist
from glasstorch.vision.datasets import MNIST     # the bundled 5,000-image subset

GLOBAL_BATCH = 128
EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 6     # python examples/ddp_mnist.py 2

dist.init_process_group()                       # backend "mpi"; world of 1 without mpirun
rank, world = dist.get_rank(), dist.get_world_size()
assert GLOBAL_BATCH % world == 0, "the global batch must split evenly"


def to_tensors(dataset):
    x = (dataset.data.float() / 255 - 0.1307) / 0.3081
    return x.unsqueeze(1), dataset.targets


x_train, y_train = to_tensors(MNIST(train=True))
x_test, y_test = to_tensors(MNIST(train=False))
train_set = torch.utils.data.TensorDataset(x_train, y_train)
sampler = torch.utils.data.distributed.DistributedSampler(train_set, shuffle=True, seed=0)
loader = torch.utils.data.DataLoader(train_set, batch_size=GLOBAL_BATCH // world,
                                     sampler=sampler)

nn = torch.nn
torch.manual_seed(rank)        # differs per rank on purpose: DDP copies rank 0's weights (seed 0)
model = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
ddp = nn.parallel.DistributedDataParallel(model)
optimizer = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()

start = time.perf_counter()
for epoch in range(EPOCHS):
    sampler.set_epoch(epoch)                    # a new shuffle each epoch, the same on all ranks
    ddp.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(ddp(x), y)               # the mean over this rank's part of the batch
        loss.backward()                         # ... gradients averaged across ranks here
        optimizer.step()
    total = torch.tensor([loss.item()], dtype=torch.float64)
    dist.all_reduce(total, op=dist.ReduceOp.AVG)
    if rank == 0:
        print(f"epoch {epoch + 1}: last batch loss {total.item():.4f}", flush=True)

if rank == 0:
    ddp.eval()
    with torch.no_grad():
        accuracy = (ddp(x_test).argmax(dim=1) == y_test).float().mean().item()
    seconds = time.perf_counter() - start
    print(f"{world} rank{'s' if world > 1 else ''}: test accuracy {100 * accuracy:.2f}% "
          f"after {EPOCHS} epochs, {seconds:.1f} s "
          f"({EPOCHS * len(train_set) / seconds:.0f} images/s)")
dist.destroy_process_group()
