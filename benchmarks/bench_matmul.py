"""Large matmul: 1024x1024 float32 `y = a @ b` forward + backward, glasstorch vs torch.
Target: glasstorch within 1.2x of torch.

Here the framework's overhead is negligible: both spend their time in BLAS (NumPy's OpenBLAS
vs torch's MKL), three GEMMs per step (y, then ga = gy @ b.T and gb = a.T @ gy).
Run: benchmarks/run.sh  (or: python benchmarks/bench_matmul.py)
"""
import numpy as np
import torch

import glasstorch as gt
from harness import compare, environment_report, peak_traced_memory, report

TARGET = 1.2
N = 1024


def step(lib, a, b, gy):
    a.grad = b.grad = None
    (a @ b).backward(gy)
    return a.grad


def main():
    environment_report()
    rng = np.random.default_rng(0)
    a, b, gy = (rng.standard_normal((N, N)).astype(np.float32) for _ in range(3))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    ga, gb = (gt.tensor(v, requires_grad=True) for v in (a, b))
    tgy, ggy = torch.tensor(gy), gt.tensor(gy)

    def run_torch():
        return step(torch, ta, tb, tgy)

    def run_gt():
        return step(gt, ga, gb, ggy)

    np.testing.assert_allclose(run_gt().numpy(), run_torch().numpy(), rtol=1e-3, atol=1e-2)
    fwd = compare({"glasstorch": lambda: ga.detach() @ gb.detach(),
                   "torch": lambda: ta.detach() @ tb.detach()}, number=3, rounds=7)
    report(f"{N}x{N} float32 matmul, forward only (info)", fwd, TARGET)
    print(f"  glasstorch peak traced memory, fwd+bwd: {peak_traced_memory(run_gt) / 2**20:.1f} "
          f"MiB (inputs {3 * a.nbytes / 2**20:.0f} MiB not included)")
    times = compare({"glasstorch": run_gt, "torch": run_torch}, number=3, rounds=7)
    report(f"{N}x{N} float32 matmul, fwd+bwd", times, TARGET)


if __name__ == "__main__":
    main()
