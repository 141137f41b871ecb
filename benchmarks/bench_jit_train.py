"""Traced training steps: LeNet (d2l 7.6) and the d2l MLP, forward + CrossEntropyLoss +
backward + SGD(momentum) step, eager glasstorch vs glasstorch.jit.trace_train_step (the same
step replayed from its recorded graph). Target: traced throughput >= 1.3x eager.

The replay is one generated function on raw arrays (jit/train_step.py, `step.source`):
linear/relu/view/conv/max pool/cross-entropy as NumPy calls into reused buffers (the linear
GEMM in its fast orientation, conv columns kept for the weight gradient), other ops' own
forwards and backwards in a schedule fixed at trace time (no Tensor, Node or engine work),
then a fused in-place SGD update (jit/fused_optim.py).
Batch 16 by default (`--batch N` to change): the smaller the batch, the larger the share of
Python overhead, the thing a trace removes. `--threads N` (default 1): NumPy's BLAS and
glasstorch's pool; on a loaded machine two threads mostly measure waiting.
Run: benchmarks/run.sh bench_jit_train [--batch=64]  (or: python benchmarks/bench_jit_train.py [--batch 64]
[--threads 2] [mlp|lenet])
"""
import sys

import time

import numpy as np

import glasstorch as gt
import glasstorch.jit as jit
from harness import compare, environment_report, report_throughput

BATCH = 16


def lenet():
    nn = gt.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def mlp():
    nn = gt.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def bench(title, make, number):
    rng = np.random.default_rng(0)
    x = gt.tensor(rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32))
    y = gt.tensor(rng.integers(0, 10, BATCH))
    gt.manual_seed(0)
    eager, traced = make(), make()
    traced.load_state_dict(eager.state_dict())
    loss_fn = gt.nn.CrossEntropyLoss()
    opt_e = gt.optim.SGD(eager.parameters(), lr=0.01, momentum=0.9)
    opt_t = gt.optim.SGD(traced.parameters(), lr=0.01, momentum=0.9)
    step = jit.trace_train_step(traced, loss_fn, opt_t, (x, y))

    def run_eager():
        opt_e.zero_grad()
        loss = loss_fn(eager(x), y)
        loss.backward()
        opt_e.step()

    def run_traced():
        step(x, y)
    times = compare({"traced": run_traced, "eager": run_eager}, number=number, rounds=7,
                    timer=time.process_time)
    for a, b in zip(eager.parameters(), traced.parameters()):   # same number of steps each
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    return report_throughput(title, times, 1.3, ours="traced", ref="eager")


def main():
    environment_report()
    argv = sys.argv[1:]
    global BATCH
    argv = [part for a in argv for part in (a.split("=", 1) if a.startswith("--") else [a])]
    if "--batch" in argv:       # --batch N, or --batch=N (the form benchmarks/run.sh passes on)
        i = argv.index("--batch")
        BATCH = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    threads = 1
    if "--threads" in argv:
        i = argv.index("--threads")
        threads = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    gt.set_num_threads(threads)
    print(f"threads: {threads}")
    which = argv or ["mlp", "lenet"]
    if "mlp" in which:
        bench(f"MLP training step, batch {BATCH}", mlp, 50)
    if "lenet" in which:
        bench(f"LeNet training step, batch {BATCH}", lenet, 20)


if __name__ == "__main__":
    main()
