"""MLP inference at batch 1: 784-256-256-10 (ReLU) forward under no_grad on one sample, the
latency a served model sees; glasstorch vs torch with the same weights.
Target (issue 11): throughput >= 1.2x torch's. At this size the three GEMVs take ~20 us, so
this measures per-op overhead: Module.__call__, the op dispatch, tensor creation.

Speed: fresh processes per framework, alternating, at 1 and 2 threads
(training_step.fresh_times); the ratio is of the median over processes.
Run: benchmarks/run.sh bench_mlp_infer  (or: python benchmarks/bench_mlp_infer.py)
"""
import importlib
import os
import statistics
import sys
import time

import numpy as np

from harness import core_pair_end, core_pair_start, environment_report
from training_step import fresh_times, report_fresh

CALLS = 2000


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def time_child(lib_name):
    """Median (wall, CPU) seconds per forward call over 5 rounds of CALLS calls."""
    lib = importlib.import_module(lib_name)
    lib.manual_seed(0)
    model = mlp(lib).eval()
    x = lib.tensor(np.random.default_rng(0).standard_normal((1, 784)).astype(np.float32))
    walls, cpus = [], []
    with lib.no_grad():
        for _ in range(200):
            model(x)
        pair = core_pair_start()   # at 2 threads: where the two CPUs are (harness)
        for _ in range(5):
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(CALLS):
                model(x)
            walls.append((time.perf_counter() - w0) / CALLS)
            cpus.append((time.process_time() - c0) / CALLS)
        core_pair_end(pair)
    return statistics.median(walls), statistics.median(cpus)


def main():
    if sys.argv[1:2] == ["--time"]:
        print(*time_child(sys.argv[2]))
        return
    import torch

    import glasstorch as gt
    environment_report()
    gt.manual_seed(0)
    g = mlp(gt).eval()
    t = mlp(torch).eval()
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in g.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((1, 784)).astype(np.float32)
    with gt.no_grad(), torch.no_grad():
        np.testing.assert_allclose(g(gt.tensor(x)).numpy(), t(torch.tensor(x)).numpy(),
                                   rtol=1e-5, atol=1e-6)
    processes = int(os.environ.get("GLASSTORCH_BENCH_PROCESSES", 5))
    for n in (1, 2):
        times = fresh_times(sys.argv[0], n, processes)
        report_fresh(f"MLP inference, batch 1, {n} thread{'s' * (n > 1)} (medians of "
                     f"{processes} fresh processes each)", times, 1.2, 1)


if __name__ == "__main__":
    main()
