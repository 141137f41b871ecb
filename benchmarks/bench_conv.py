"""LeNet-sized convolution: Conv2d(6 -> 16, 5x5) + MaxPool2d(2) forward + backward on a batch of
64 x 6 x 14 x 14 float32, glasstorch vs torch. Target: glasstorch within 2x of torch.

glasstorch lowers the convolution to im2col (one strided copy) + one GEMM; the backward is two
GEMMs (the weight gradient reuses forward's columns) + col2im (25 strided adds). Max pooling
is 4 elementwise passes over the kernel offsets; its backward one scatter.
--channels-last: input, weight and upstream gradient in torch.channels_last, both frameworks.
--threads N: both frameworks on N threads (torch.set_num_threads; glasstorch's pool and BLAS).
The fwd+bwd comparison is timed twice: wall time (the target line) and this process's CPU time
(time.process_time, steadier on a loaded machine; at 2 threads each library's idle threads
may still spin while the other runs, so read that figure with care).
Run: benchmarks/run.sh bench_conv  (or: python benchmarks/bench_conv.py [--channels-last]
[--threads N])
"""
import sys
import time

import numpy as np
import torch

import glasstorch as gt
from harness import compare, environment_report, peak_traced_memory, report

TARGET = 2.0
SHAPE = (64, 6, 14, 14)


def make(lib, weight, bias):
    conv, pool = lib.nn.Conv2d(6, 16, 5), lib.nn.MaxPool2d(2)
    conv.load_state_dict({"weight": lib.tensor(weight), "bias": lib.tensor(bias)})
    return conv, pool


def step(conv, pool, x, gy):
    x.grad = conv.weight.grad = conv.bias.grad = None
    pool(conv(x)).backward(gy)
    return x.grad, conv.weight.grad


def main():
    if "--threads" in sys.argv:
        n = int(sys.argv[sys.argv.index("--threads") + 1])
        torch.set_num_threads(n)
        gt.set_num_threads(n)
    environment_report()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    w = (rng.standard_normal((16, 6, 5, 5)) * 0.1).astype(np.float32)
    b = (rng.standard_normal(16) * 0.1).astype(np.float32)
    gy = rng.standard_normal((64, 16, 5, 5)).astype(np.float32)
    g_mods, t_mods = make(gt, w, b), make(torch, w, b)
    gx, tx = gt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ggy, tgy = gt.tensor(gy), torch.tensor(gy)
    title = "conv 6->16 5x5 + maxpool 2, batch 64x6x14x14"
    if "--channels-last" in sys.argv:   # input, weight and upstream gradient, both frameworks
        title += " (channels_last)"
        for lib, mods in ((gt, g_mods), (torch, t_mods)):
            mods[0].to(memory_format=lib.channels_last)
        gx, tx = (t.detach().contiguous(memory_format=lib.channels_last).requires_grad_()
                  for t, lib in ((gx, gt), (tx, torch)))
        ggy, tgy = (t.contiguous(memory_format=lib.channels_last)
                    for t, lib in ((ggy, gt), (tgy, torch)))

    def run_gt():
        return step(*g_mods, gx, ggy)

    def run_torch():
        return step(*t_mods, tx, tgy)

    for g, t in zip(run_gt(), run_torch()):
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-3, atol=1e-3)
    fwd = compare({"glasstorch": lambda: g_mods[1](g_mods[0](gx.detach())),
                   "torch": lambda: t_mods[1](t_mods[0](tx.detach()))}, number=10, rounds=7)
    report(f"{title}, forward only (info)", fwd, TARGET)
    print(f"  glasstorch peak traced memory, fwd+bwd: {peak_traced_memory(run_gt) / 2**20:.1f} "
          "MiB")
    times = compare({"glasstorch": run_gt, "torch": run_torch}, number=10, rounds=9)
    report(f"{title}, fwd+bwd", times, TARGET)
    cpu = compare({"glasstorch": run_gt, "torch": run_torch}, number=10, rounds=9,
                  timer=time.process_time)
    report(f"{title}, fwd+bwd, CPU time (info, {gt.get_num_threads()} threads)", cpu, TARGET)


if __name__ == "__main__":
    main()
