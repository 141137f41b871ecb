"""Data parallelism on this machine: 1 rank x 2 threads vs 2 ranks x 1 thread, and MPI
all-reduce latency / bandwidth versus message size.

    benchmarks/run.sh bench_distributed          # needs mpirun (openmpi-bin) and mpi4py

Training throughput (images/s, global batch 128, DDP + SGD) for an MLP (784-512-256-10) and
ResNet-8 (resnet_small on 3x32x32): one process using 2 BLAS threads, one process with 1
thread, and two DDP ranks with 1 thread each. Scaling efficiency = 2 ranks / (2 x 1 rank x 1
thread). torch (1 process, same threads) is timed in the 1-rank runs as the reference.
Wall-clock medians over steps; the machine is shared, so expect noise of 10-20%.
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
GLOBAL = 128


def _models(lib):
    nn = lib.nn
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256),
                        nn.ReLU(), nn.Linear(256, 10))
    if lib.__name__ == "torch":
        resnet = _torch_resnet8()
    else:
        from glasstorch.vision.models import resnet_small
        resnet = resnet_small(depth=8)
    return {"MLP": (mlp, (1, 28, 28), 30), "ResNet-8": (resnet, (3, 32, 32), 6)}


def _torch_resnet8():
    """resnet_small(depth=8) in torch layers (torchvision has no CIFAR ResNet)."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.short = nn.Sequential() if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(y)) + self.short(x))

    return nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def _throughput(lib, model, shape, steps, world, wrap=None):
    """Median images/s of SGD steps at the global batch (this rank's share of it)."""
    local = GLOBAL // world
    x = lib.randn(local, *shape)
    y = lib.randint(0, 10, (local,))
    net = wrap(model) if wrap else model
    opt = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()
    times = []
    for i in range(steps + 2):
        start = time.perf_counter()
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()
        if i >= 2:                       # two warm-up steps
            times.append(time.perf_counter() - start)
    return GLOBAL / statistics.median(times)


def worker(threads):
    """Runs in each rank: prints one JSON line (rank 0) of images/s per model."""
    import glasstorch as gt
    import glasstorch.distributed as dist
    dist.init_process_group()
    world = dist.get_world_size()
    gt.manual_seed(0)
    out = {}
    for name, (model, shape, steps) in _models(gt).items():
        ddp = (lambda m: gt.nn.parallel.DistributedDataParallel(m)) if world > 1 else None
        out[name] = _throughput(gt, model, shape, steps, world, ddp)
    if world == 1:
        import torch
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        for name, (model, shape, steps) in _models(torch).items():
            out["torch " + name] = _throughput(torch, model, shape, steps, 1)
    if dist.get_rank() == 0:
        print(json.dumps(out), flush=True)


def allreduce_worker():
    """All-reduce of float32 arrays from 4 B to 64 MB: median seconds per call."""
    import numpy as np
    import glasstorch as gt
    import glasstorch.distributed as dist
    dist.init_process_group()
    rows = []
    for size in [1, 16, 256, 4096, 65536, 1 << 20, 1 << 22, 1 << 24]:
        t = gt.tensor(np.ones(size, dtype=np.float32))
        reps = 50 if size <= 65536 else 5
        times = []
        for _ in range(reps):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(t)
            times.append(time.perf_counter() - start)
        rows.append((size * 4, statistics.median(times)))
    if dist.get_rank() == 0:
        print(json.dumps(rows), flush=True)


def _launch(nproc, threads, *args):
    env = dict(os.environ, **{v: str(threads) for v in THREAD_VARS})
    cmd = [sys.executable, "-m", "glasstorch.distributed.run", "-n", str(nproc),
           "--threads", str(threads), os.path.abspath(__file__), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if p.returncode:
        raise SystemExit(p.stdout + p.stderr)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    print("data-parallel training throughput, images/s (global batch 128)")
    runs = {"1 rank x 2 threads": _launch(1, 2, "worker", "2"),
            "1 rank x 1 thread": _launch(1, 1, "worker", "1"),
            "2 ranks x 1 thread": _launch(2, 1, "worker", "1")}
    print(f"{'model':10} {'configuration':20} {'glasstorch':>11} {'torch':>8} {'ratio':>6}")
    for name in ("MLP", "ResNet-8"):
        for conf, r in runs.items():
            ref = r.get("torch " + name)
            ratio = f"{ref / r[name]:6.2f}" if ref else ""
            print(f"{name:10} {conf:20} {r[name]:11.1f} {ref or float('nan'):8.1f} {ratio}")
        two, one, threads = (runs["2 ranks x 1 thread"][name], runs["1 rank x 1 thread"][name],
                             runs["1 rank x 2 threads"][name])
        print(f"{name:10} scaling efficiency 2 ranks / (2 x 1 rank x 1 thread) = "
              f"{two / (2 * one):.0%};  2 ranks vs 1 rank x 2 threads: {two / threads:.2f}x")
    print("\nMPI all-reduce (2 ranks, float32 SUM, in place)")
    print(f"{'bytes':>10} {'latency us':>11} {'GB/s':>7}")
    for nbytes, seconds in _launch(2, 1, "allreduce"):
        print(f"{nbytes:10d} {seconds * 1e6:11.1f} {nbytes / seconds / 1e9:7.3f}")


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    if sys.argv[1:2] == ["worker"]:
        worker(int(sys.argv[2]))
    elif sys.argv[1:2] == ["allreduce"]:
        allreduce_worker()
    else:
        main()
