"""Per-op overhead: a chain of 1,000 small elementwise ops on a 16-element float32 tensor,
forward + backward, glasstorch vs torch. Target: glasstorch <= 3x torch.

With 16 elements the arithmetic is free; what is measured is the framework itself: Tensor
creation, Op.apply, graph recording and the engine's backward pass (STYLE.md 2.7).
Run: benchmarks/run.sh  (or: python benchmarks/bench_overhead.py)
"""
import numpy as np
import torch

import glasstorch as gt
from harness import compare, environment_report, report

TARGET = 3.0
REPEATS = 333          # x = tanh(x * 1.0001 + 0.001): 3 ops, so 999 ops + the final sum


def chain(lib, x0):
    x = x0
    for _ in range(REPEATS):
        x = (x * 1.0001 + 0.001).tanh()
    x.sum().backward()
    return x0.grad


def main():
    environment_report()
    data = np.random.default_rng(0).standard_normal(16).astype(np.float32)
    xt = torch.tensor(data, requires_grad=True)
    xg = gt.tensor(data, requires_grad=True)

    def run_torch():
        xt.grad = None
        return chain(torch, xt)

    def run_gt():
        xg.grad = None
        return chain(gt, xg)

    np.testing.assert_allclose(run_gt().numpy(), run_torch().numpy(), rtol=1e-4, atol=1e-6)
    times = compare({"glasstorch": run_gt, "torch": run_torch}, number=5, rounds=15)
    report("1000-op chain, 16 floats, fwd+bwd", times, TARGET)


if __name__ == "__main__":
    main()
