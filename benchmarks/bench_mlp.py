"""MLP training step: 784-256-256-10 with ReLU on a batch of 128 float32 inputs, forward +
CrossEntropyLoss + backward + SGD(lr=0.01, momentum=0.9) step, glasstorch vs torch.
Targets: throughput at least torch's (issue 11); peak memory at most 1.5x torch's.

The work is 3 forward GEMMs + 5 backward ones (the first layer needs no input gradient), so
this measures BLAS plus the per-layer overhead of modules, ops, the engine and the optimizer.
How speed and memory are measured: benchmarks/training_step.py.
Run: benchmarks/run.sh bench_mlp  (or: python benchmarks/bench_mlp.py)
"""
import training_step


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


if __name__ == "__main__":
    training_step.main("MLP 784-256-256-10 training step", mlp, (784,), target=1.0,
                       memory_target=1.5, number=20)
