"""The body of bench_mlp.py and bench_lenet.py: one training step (zero_grad, forward,
CrossEntropyLoss, backward, SGD(lr=0.01, momentum=0.9) step) on a batch of 128, glasstorch vs
torch, after checking in one process that both compute the same losses and weights.

Speed: each framework runs in its own fresh process (`python bench_x.py --time torch`), five
of each, alternating; each reports the median of harness.compare's rounds, and the ratio is
of the medians over processes. Not one process, unlike the other benchmarks: after a step,
each library's idle BLAS/OpenMP threads keep spinning for a while, so on 2 cores alternating
them in one process measured their fight (torch's MLP step went from 2.7 ms to 6-8 ms).

Memory: each framework runs alone in a fresh process (`python bench_x.py --rss torch`, three
times each, median). After a warm-up step on a batch of 2 (code pages, thread pools), it builds
the model and optimizer, copies the batch in and trains 3 steps; the measure is how far the
process's peak resident memory rises over that (harness.peak_rss_growth): weights, gradients,
momentum buffers, activations, temporaries and allocator slack, whoever allocates them. RSS
also sees what torch's profiler does not (oneDNN scratch buffers). For information, the
allocator-level peaks of 3 steady-state steps are printed too: tracemalloc (NumPy buffers and
Python objects) for glasstorch, the profiler's allocation events (CPU tensors) for torch.
"""
import importlib
import statistics
import sys

import numpy as np

from harness import (compare, environment_report, peak_rss_growth, peak_torch_memory,
                     peak_traced_memory, report_throughput, run_child)

BATCH = 128


def make(lib, model_fn, x, y, state=None):
    """The model (weights from `state` if given), its optimizer, and one step as a closure."""
    model = model_fn(lib)
    if state is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()
    x, y = lib.tensor(x), lib.tensor(y)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return model, step


def batch(shape, n):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n,) + shape).astype(np.float32), rng.integers(0, 10, n)


def train_from_scratch(lib, model_fn, shape, n, steps=3):
    _, step = make(lib, model_fn, *batch(shape, n))
    for _ in range(steps):
        step()


def rss_child(lib_name, model_fn, shape):
    """--rss mode: the peak RSS growth of training from scratch with one framework only."""
    lib = importlib.import_module(lib_name)
    lib.manual_seed(0)
    return peak_rss_growth(lambda: train_from_scratch(lib, model_fn, shape, BATCH),
                           warmup=lambda: train_from_scratch(lib, model_fn, shape, 2))


def time_child(lib_name, model_fn, shape, number):
    """--time mode: the median seconds per training step of one framework, alone."""
    lib = importlib.import_module(lib_name)
    lib.manual_seed(0)
    _, step = make(lib, model_fn, *batch(shape, BATCH))
    return statistics.median(compare({lib_name: step}, number=number, rounds=5)[lib_name])


def main(title, model_fn, shape, target, memory_target, number):
    if sys.argv[1:2] == ["--rss"]:
        print(rss_child(sys.argv[2], model_fn, shape))
        return
    if sys.argv[1:2] == ["--time"]:
        print(time_child(sys.argv[2], model_fn, shape, number))
        return
    import torch

    import glasstorch as gt
    environment_report()
    x, y = batch(shape, BATCH)
    gt.manual_seed(0)
    state = {k: v.numpy() for k, v in model_fn(gt).state_dict().items()}
    (g_model, g_step), (t_model, t_step) = (make(gt, model_fn, x, y, state),
                                            make(torch, model_fn, x, y, state))
    for _ in range(3):   # the same losses and weights after a few steps: the same computation
        np.testing.assert_allclose(g_step().item(), t_step().item(), rtol=1e-5)
    np.testing.assert_allclose(g_model[-1].weight.detach().numpy(),
                               t_model[-1].weight.detach().numpy(), rtol=1e-4, atol=1e-6)

    mib = 2 ** 20
    g_alloc = peak_traced_memory(lambda: [g_step() for _ in range(3)])
    t_alloc = peak_torch_memory(lambda: [t_step() for _ in range(3)])
    print(f"\nallocator-level peak of 3 steps (info): glasstorch {g_alloc / mib:.2f} MiB "
          f"(tracemalloc), torch {t_alloc / mib:.2f} MiB (profiler) = {g_alloc / t_alloc:.2f}x")
    rss = {"glasstorch": [], "torch": []}
    for _ in range(3):
        for name in rss:
            rss[name].append(run_child(sys.argv[0], "--rss", name))
    g_rss, t_rss = statistics.median(rss["glasstorch"]), statistics.median(rss["torch"])
    ratio = g_rss / t_rss
    verdict = "PASS" if ratio <= memory_target else "FAIL"
    print(f"{title}, peak RSS growth training from scratch (3 steps, fresh processes): "
          f"glasstorch {g_rss / mib:.1f} MiB, torch {t_rss / mib:.1f} MiB: glasstorch/torch = "
          f"{ratio:.2f}x (target <= {memory_target}x) {verdict}")

    times = {"glasstorch": [], "torch": []}
    for r in range(5):
        for name in (list(times) if r % 2 == 0 else list(times)[::-1]):
            times[name].append(run_child(sys.argv[0], "--time", name))
    report_throughput(f"{title}, batch {BATCH} (medians of 5 processes each)", times, target)
