"""A 2-layer TransformerEncoder training step (d_model 128, 4 heads, feed-forward 512, batch 32,
sequence 35; forward, MSE loss, backward, Adam step), glasstorch vs torch, same weights and
inputs, dropout 0.1. Target (issue 11): throughput >= 1.0x torch's; peak memory <= 1.2x.

glasstorch's attention is one fused op (ops/attention.py: two batched matmuls and the softmax
forward, four matmuls and softmax's closed-form gradient backward), the projections and
feed-forward layers are the fused linear op, LayerNorm its fused op.

Speed: fresh processes per framework, alternating, at 1 and 2 threads
(training_step.fresh_times), the ratio of the medians over processes; memory: the peak RSS
growth of training from scratch, each framework alone in a fresh process (three each).
Run: benchmarks/run.sh bench_transformer  (or: python benchmarks/bench_transformer.py)
"""
import importlib
import os
import statistics
import sys
import time

import numpy as np

from harness import (core_pair_end, core_pair_start, environment_report, peak_rss_growth,
                     run_child)
from training_step import fresh_times, report_fresh

TARGET, MEMORY_TARGET = 1.0, 1.2
D_MODEL, HEADS, FF, LAYERS, BATCH, SEQ = 128, 4, 512, 2, 32, 35


def make(lib, state=None):
    layer = lib.nn.TransformerEncoderLayer(D_MODEL, HEADS, FF, dropout=0.1)
    model = lib.nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
    if state is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    return model, lib.optim.Adam(model.parameters(), lr=1e-3)


def data(lib):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((SEQ, BATCH, D_MODEL)).astype(np.float32)
    y = rng.standard_normal((SEQ, BATCH, D_MODEL)).astype(np.float32)
    return lib.tensor(x), lib.tensor(y)


def step(lib, model, opt, x, target):
    opt.zero_grad()
    loss = lib.nn.functional.mse_loss(model(x), target)
    loss.backward()
    opt.step()
    return loss


def time_child(lib_name, number=5):
    """Median (wall, CPU) seconds per training step over 5 rounds, one framework alone."""
    lib = importlib.import_module(lib_name)
    lib.manual_seed(0)
    model, opt = make(lib)
    x, y = data(lib)
    for _ in range(2):
        step(lib, model, opt, x, y)
    walls, cpus = [], []
    pair = core_pair_start()   # at 2 threads: where the two CPUs are (harness)
    for _ in range(5):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(number):
            step(lib, model, opt, x, y)
        walls.append((time.perf_counter() - w0) / number)
        cpus.append((time.process_time() - c0) / number)
    core_pair_end(pair)
    return statistics.median(walls), statistics.median(cpus)


def rss_child(lib_name):
    """Peak RSS growth of building the model and optimizer and training 3 steps from scratch."""
    lib = importlib.import_module(lib_name)
    lib.manual_seed(0)

    def train():
        model, opt = make(lib)
        x, y = data(lib)
        for _ in range(3):
            step(lib, model, opt, x, y)
    return peak_rss_growth(train, warmup=train)


def main():
    if sys.argv[1:2] == ["--time"]:
        print(*time_child(sys.argv[2]))
        return
    if sys.argv[1:2] == ["--rss"]:
        print(rss_child(sys.argv[2]))
        return
    import torch

    import glasstorch as gt
    environment_report()
    torch.manual_seed(0)
    ref, _ = make(torch)
    state = {k: v.numpy() for k, v in ref.state_dict().items()}
    (g_model, g_opt), (t_model, t_opt) = make(gt, state), make(torch, state)
    (gx, gy), (tx, ty) = data(gt), data(torch)
    # same loss in eval mode (no dropout), and after two Adam steps, before timing
    g_model.eval(), t_model.eval()
    for _ in range(3):
        np.testing.assert_allclose(step(gt, g_model, g_opt, gx, gy).item(),
                                   step(torch, t_model, t_opt, tx, ty).item(), rtol=1e-4)
    title = (f"TransformerEncoder {LAYERS}x(d={D_MODEL}, h={HEADS}, ff={FF}) train step "
             f"(fwd+MSE+bwd+Adam)")
    mib = 2 ** 20
    rss = {"glasstorch": [], "torch": []}
    for _ in range(3):
        for name in rss:
            rss[name].append(run_child(sys.argv[0], "--rss", name))
    g_rss, t_rss = statistics.median(rss["glasstorch"]), statistics.median(rss["torch"])
    verdict = "PASS" if g_rss / t_rss <= MEMORY_TARGET else "FAIL"
    print(f"{title}, peak RSS growth training from scratch (3 steps, fresh processes): "
          f"glasstorch {g_rss / mib:.1f} MiB, torch {t_rss / mib:.1f} MiB: glasstorch/torch = "
          f"{g_rss / t_rss:.2f}x (target <= {MEMORY_TARGET}x) {verdict}")
    processes = int(os.environ.get("GLASSTORCH_BENCH_PROCESSES", 5))
    for n in (1, 2):
        times = fresh_times(sys.argv[0], n, processes)
        report_fresh(f"{title}, batch {BATCH}x{SEQ}, {n} thread{'s' * (n > 1)} (medians of "
                     f"{processes} fresh processes each)", times, TARGET, BATCH)


if __name__ == "__main__":
    main()
