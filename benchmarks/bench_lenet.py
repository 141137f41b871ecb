"""LeNet training step: LeNet-5 as in d2l.ai 7.6 (ReLU, max pooling) on a batch of 128 float32
1x28x28 images, forward + CrossEntropyLoss + backward + SGD(lr=0.01, momentum=0.9) step,
glasstorch vs torch. Targets: throughput at least 1.0x torch's (issue 11); peak memory at most
1.5x.

glasstorch lowers each convolution to im2col + one GEMM (backward: two GEMMs + col2im) and max
pooling to strided elementwise passes; torch calls oneDNN's convolution and pooling kernels.
How speed and memory are measured: benchmarks/training_step.py.
Run: benchmarks/run.sh bench_lenet  (or: python benchmarks/bench_lenet.py)
"""
import training_step


def lenet(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


if __name__ == "__main__":
    training_step.main("LeNet training step", lenet, (1, 28, 28), target=1.0,
                       memory_target=1.5, number=5)
