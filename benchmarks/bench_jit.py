"""Traced inference: the d2l MLP (784-256-10, ReLU) at batch 1, eager glasstorch vs the same
model replayed by glasstorch.jit.trace (optimize_for_inference) vs torch eager, all under
no_grad. Targets: traced >= 3x eager glasstorch calls/s, and >= 2x torch eager.

Where the speed comes from: the replay is one generated straight-line Python function calling
each op's forward on raw arrays (no Tensor wrappers, no grad-mode checks, no graph nodes), with
parameters frozen as constants and intermediates written into planned buffers (jit/passes),
the 784x256 GEMV run as np.dot on a C-contiguous, 64-byte aligned W^T (passes/layout.py). That
GEMV reads 800 KB per call and is the floor: its time alone (same layout) is printed too.
Run: benchmarks/run.sh bench_jit  (or: python benchmarks/bench_jit.py [--threads 2]; default 1
BLAS thread for both frameworks: batch 1 is latency, and a second thread costs CPU time)
"""
import statistics
import sys
import time

import numpy as np
import torch

import glasstorch as gt
import glasstorch.jit as jit
from glasstorch.jit.passes.layout import aligned_copy
from harness import compare, environment_report, report_throughput


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def main():
    environment_report()
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
    torch.set_num_threads(threads)
    gt.set_num_threads(threads)     # NumPy's BLAS and glasstorch's own pool
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 28, 28)).astype(np.float32)
    g_model, t_model = mlp(gt).eval(), mlp(torch).eval()
    t_model.load_state_dict({k: torch.tensor(v.numpy()) for k, v in g_model.state_dict().items()})
    gx, tx = gt.tensor(x), torch.tensor(x)
    traced = jit.optimize_for_inference(jit.trace(g_model, gx))
    with gt.no_grad(), torch.no_grad():
        # the transposed GEMV sums in another order than eager: equal to ~1e-7 relative
        np.testing.assert_allclose(traced(gx).numpy(), g_model(gx).numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(traced(gx).numpy(), t_model(tx).numpy(), rtol=1e-5, atol=1e-5)

        def eager():
            return g_model(gx)

        def replay():
            return traced(gx)

        def torch_eager():
            return t_model(tx)
        w_t = aligned_copy(g_model[1].weight.detach().numpy().T)   # as the replay keeps it
        row, out = x.reshape(-1), np.empty(256, np.float32)

        def gemv():                 # the floor: the first layer's GEMV alone, in NumPy
            np.dot(row, w_t, out=out)
        times = compare({"traced": replay, "eager": eager, "torch": torch_eager, "gemv": gemv},
                        number=2000, rounds=7, timer=time.process_time)
    print(f"threads: {threads}; medians (CPU time per call): " + ", ".join(
        f"{name} {statistics.median(ts) * 1e6:.1f} us" for name, ts in times.items()))
    report_throughput("MLP inference, batch 1: traced vs eager glasstorch", times, 3.0,
                      ours="traced", ref="eager")
    report_throughput("MLP inference, batch 1: traced glasstorch vs torch eager", times, 2.0,
                      ours="traced", ref="torch")


if __name__ == "__main__":
    main()
