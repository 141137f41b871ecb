"""A small 3-D CNN step (video clips / volumes): Conv3d 1->8 3x3x3 + MaxPool3d 2, Conv3d 8->16
3x3x3 + AvgPool3d 2, AdaptiveAvgPool3d 1, forward + backward on (8, 1, 16, 32, 32) float32,
glasstorch vs torch, alternating, CPU time (time.process_time). The 3-D layers run the N-d
convolution and pooling ops (ops/conv3d.py, ops/pool3d.py); target 3x torch, the 2-D
layers' budget (informational: no special 3-D kernels).
Run: benchmarks/run.sh bench_conv3d
"""
import time

import numpy as np

from harness import compare, environment_report, report

TARGET = 3.0
SHAPE = (8, 1, 16, 32, 32)


def build(lib):
    nn = lib.nn
    lib.manual_seed(0)
    net = nn.Sequential(nn.Conv3d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
                        nn.Conv3d(8, 16, 3, padding=1), nn.ReLU(), nn.AvgPool3d(2),
                        nn.AdaptiveAvgPool3d(1), nn.Flatten())
    x = lib.tensor(np.random.RandomState(0).randn(*SHAPE).astype(np.float32))

    def step():
        net.zero_grad()
        net(x).sum().backward()
    return step


def main():
    import torch

    import glasstorch
    environment_report()
    times = compare({"glasstorch": build(glasstorch), "torch": build(torch)}, number=3,
                    rounds=5, timer=time.process_time)
    report(f"3-D CNN step {SHAPE} float32, fwd+bwd (CPU time)", times, TARGET)


if __name__ == "__main__":
    main()
