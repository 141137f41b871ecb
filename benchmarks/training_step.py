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
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import core_pair
from harness import (core_pair_end, core_pair_reading, core_pair_start, environment_report,
                     pair_label, pair_state, parse_core_pair, peak_rss_growth,
                     peak_torch_memory, peak_traced_memory, per_state_medians, run_child)

BATCH = 128

# --channels-last: model and batch in torch.channels_last for both frameworks (the fresh child
# processes inherit it through the environment)
if "--channels-last" in sys.argv:
    sys.argv.remove("--channels-last")
    os.environ["GLASSTORCH_BENCH_CHANNELS_LAST"] = "1"
CHANNELS_LAST = os.environ.get("GLASSTORCH_BENCH_CHANNELS_LAST") == "1"
# --numba: glasstorch on its optional numba kernels (backend/kernels.py; the children inherit
# GLASSTORCH_KERNELS); each process reports the seconds its first calls spent compiling or
# loading the cached machine code
if "--numba" in sys.argv:
    sys.argv.remove("--numba")
    os.environ["GLASSTORCH_KERNELS"] = "numba"


def make(lib, model_fn, x, y, state=None):
    """The model (weights from `state` if given), its optimizer, and one step as a closure."""
    model = model_fn(lib)
    if state is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    x, y = lib.tensor(x), lib.tensor(y)
    if CHANNELS_LAST:
        model.to(memory_format=lib.channels_last)
        x = x.contiguous(memory_format=lib.channels_last)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()

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


def rss_child(lib_name, model_fn, shape, batch_size=BATCH):
    """--rss mode: the peak RSS growth of training from scratch with one framework only."""
    lib = importlib.import_module(lib_name)
    lib.manual_seed(0)
    return peak_rss_growth(lambda: train_from_scratch(lib, model_fn, shape, batch_size),
                           warmup=lambda: train_from_scratch(lib, model_fn, shape, 2))


def time_child(lib_name, model_fn, shape, number, batch_size=BATCH):
    """--time mode: median (wall, CPU) seconds per training step of one framework, alone.
    The thread count comes from the environment (OMP/OPENBLAS/MKL_NUM_THREADS, set by
    fresh_times), the same way for both frameworks."""
    lib = importlib.import_module(lib_name)
    lib.manual_seed(0)
    _, step = make(lib, model_fn, *batch(shape, batch_size))
    for _ in range(2):
        step()
    if lib_name == "glasstorch":
        print("kernels", lib.backend.get_kernels(), lib.backend.kernels.compile_seconds())
    walls, cpus = [], []
    pair = core_pair_start()   # at 2 threads: where the two CPUs are (harness, fresh_times)
    for _ in range(5):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(number):
            step()
        walls.append((time.perf_counter() - w0) / number)
        cpus.append((time.process_time() - c0) / number)
    core_pair_end(pair)
    return statistics.median(walls), statistics.median(cpus)


# GLASSTORCH_BENCH_REALTIME=1: run the timed children at real-time priority (`chrt -f 10`, needs
# root), so that on a loaded machine they preempt the other processes on both cores: 2-thread
# figures close to an idle machine's (the LSTM at 2 threads: 46 ms under chrt on a machine at
# load 6, 45.6 ms on the idle machine; other processes get ~5% of the CPU meanwhile)
_REALTIME = ["chrt", "-f", "10"] if os.environ.get("GLASSTORCH_BENCH_REALTIME") == "1" else []


def fresh_times(script, threads, processes=5, args=()):
    """{lib: [(wall, cpu), ...]}: `python script --time lib *args` in fresh processes, torch
    and glasstorch alternating (which goes first alternates too), with `threads` threads.
    At 2+ threads, also "core_pair": {lib: [(before, after), ...]}, the readings of the probe
    (near/far, ns) each child took just before and just after its timed loop (harness)."""
    names = ["glasstorch", "torch"]
    times = {name: [] for name in names}
    pairs = {name: [] for name in names}
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    # one probe here builds the binary (or says why not) before the children use it;
    # GLASSTORCH_BENCH_CORE_PAIR=all: at 1 thread too (the other CPU then runs other work)
    probe = threads > 1 or os.environ.get("GLASSTORCH_BENCH_CORE_PAIR") == "all"
    if probe and core_pair_reading(_REALTIME) is not None:
        env["GLASSTORCH_BENCH_CORE_PAIR"] = "child"
    for r in range(processes):
        for name in (names if r % 2 == 0 else names[::-1]):
            command = _REALTIME + [sys.executable, script, "--time", name, *args]
            out = subprocess.run(command, env=env,
                                 capture_output=True, text=True, check=True).stdout
            wall, cpu = map(float, out.split()[-2:])
            times[name].append((wall, cpu))
            if out.startswith("kernels"):
                times.setdefault("compile", []).append(out.split()[1:3])
            pairs[name].append(parse_core_pair(out))
    if env.get("GLASSTORCH_BENCH_CORE_PAIR") == "child":
        times["core_pair"] = pairs
    return times


def report_fresh(title, times, target, samples):
    """Print per-process figures, medians and the ratio line; returns the wall ratio."""
    compile_s = times.pop("compile", [])
    pairs = times.pop("core_pair", {})
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in times.items()}
    print(f"\n{title}")
    if compile_s and (compile_s[0][0] == "numba" or any(float(c) for _, c in compile_s)):
        # numpy kernels with compile time: the bit-identical numba kernels that run by
        # default where numba is installed (backend.kernels.numba_for_exact)
        kind = "numba" if compile_s[0][0] == "numba" else "numpy (+ default numba-exact)"
        print(f"  glasstorch kernels: {kind}; first calls compiling or loading the cache: "
              f"{', '.join(f'{float(c):.2f}' for _, c in compile_s)} s per process")
    for name, v in times.items():
        labels = [pair_label(*p) for p in pairs.get(name, ())]
        per = ", ".join(f"{samples / w:.0f}" + (f" ({lab})" if lab else "")
                        for (w, _), lab in zip(v, labels + [""] * len(v)))
        unit, k = ("us", 1e6) if med[name][0] < 1e-3 else ("ms", 1e3)   # batch-1 calls: us
        print(f"  {name:<11} samples/s per process: {per}; median step {med[name][0] * k:.2f}"
              f" {unit} wall, {med[name][1] * k:.2f} {unit} CPU")
    if pairs:
        _report_core_pair(pairs, times)
    ratio = med["torch"][0] / med["glasstorch"][0]
    cpu_ratio = med["torch"][1] / med["glasstorch"][1]
    verdict = "PASS" if ratio >= target else "FAIL"
    print(f"{title}: throughput glasstorch/torch = {ratio:.2f}x (target >= {target}x) {verdict}"
          f"  [CPU-time ratio {cpu_ratio:.2f}x]")
    return ratio


def _step(seconds):
    return f"{seconds * 1e6:.2f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def _report_core_pair(pairs, times):
    """The states seen (labels beside the per-process figures above: cache-line round trip
    before/after each process), and when both occurred, the medians and the ratio per state."""
    states = {name: [pair_state(*p) for p in v] for name, v in pairs.items()}
    flat = [s for v in states.values() for s in v]
    if not any(flat):
        return
    counts = ", ".join(f"{s or 'not measured'} {flat.count(s)}"
                       for s in ("near", "far", "mixed", None) if s in flat)
    cpus = next(r.cpus for v in pairs.values() for p in v for r in p if r is not None)
    print(f"  core pair (CPUs {cpus[0]},{cpus[1]}; near < {core_pair.NEAR_NS:.0f} ns round "
          f"trip: one L3; far: across dies): processes {counts}")
    for state, med in per_state_medians(times, states).items():
        g, t = med["glasstorch"][0], med["torch"][0]
        ratio = f"throughput {t / g:.2f}x" if g and t else "no ratio"
        fig = ", ".join(f"{name} {_step(m)} (n={n})" if m else f"{name} - (n=0)"
                        for name, (m, n) in med.items())
        print(f"    {state}: median step {fig}: {ratio}")


def main(title, model_fn, shape, target, memory_target, number, batch_size=BATCH,
         processes=None, breakdown=False):
    """Checks, memory, then throughput at 1 and 2 threads over fresh alternating processes
    (GLASSTORCH_BENCH_PROCESSES overrides the count, default 5)."""
    if sys.argv[1:2] == ["--rss"]:
        print(rss_child(sys.argv[2], model_fn, shape, batch_size))
        return
    if sys.argv[1:2] == ["--time"]:
        print(*time_child(sys.argv[2], model_fn, shape, number, batch_size))
        return
    import torch

    import glasstorch as gt
    environment_report()
    if CHANNELS_LAST:
        title += " (channels_last)"
    if gt.backend.get_kernels() != "numpy":
        title += f" (glasstorch {gt.backend.get_kernels()} kernels)"
    x, y = batch(shape, batch_size)
    gt.manual_seed(0)
    state = {k: v.numpy() for k, v in model_fn(gt).state_dict().items()}
    (g_model, g_step), (t_model, t_step) = (make(gt, model_fn, x, y, state),
                                            make(torch, model_fn, x, y, state))
    for _ in range(3):   # the same losses and weights after a few steps: the same computation
        np.testing.assert_allclose(g_step().item(), t_step().item(), rtol=1e-4)
    np.testing.assert_allclose(g_model[-1].weight.detach().numpy(),
                               t_model[-1].weight.detach().numpy(), rtol=1e-3, atol=1e-5)
    if gt.backend.get_kernels() == "numba":
        print(f"numba kernels: first calls took {gt.backend.kernels.compile_seconds():.2f} s "
              "(compiling, or loading numba's on-disk cache)")
    if breakdown:
        from breakdown import glasstorch_breakdown, print_breakdown, torch_breakdown
        from glasstorch.backend import threads
        n, tn = threads.get_num_threads(), torch.get_num_threads()
        threads.set_num_threads(1)
        torch.set_num_threads(1)
        print_breakdown(title, glasstorch_breakdown(g_step), torch_breakdown(t_step))
        threads.set_num_threads(n)
        torch.set_num_threads(tn)

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

    processes = int(os.environ.get("GLASSTORCH_BENCH_PROCESSES", processes or 5))
    for threads_n in (1, 2):
        times = fresh_times(sys.argv[0], threads_n, processes)
        report_fresh(f"{title}, batch {batch_size}, {threads_n} thread{'s' * (threads_n > 1)} "
                     f"(medians of {processes} fresh processes each)", times, target, batch_size)
