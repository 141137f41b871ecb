"""ResNet-small training step: 3x32x32 images, batch 64; a 3x3 stem and four residual blocks
of 3x3 convs with BatchNorm and ReLU (32-64-128-128 channels, stride 2 with a 1x1 projection
shortcut where the shape changes: 11 convs), global average pooling, Linear(128, 10);
CrossEntropyLoss, backward, SGD(lr=0.01, momentum=0.9) step; glasstorch vs torch.
Target (issue 11): throughput >= 0.7x torch's; peak memory <= 1.2x.

Prints a per-op-family breakdown (1 thread) and throughput at 1 and 2 threads over fresh
alternating processes (benchmarks/training_step.py).
Run: benchmarks/run.sh bench_resnet  (or: python benchmarks/bench_resnet.py [--channels-last]
[--numba]: model and batch in torch.channels_last for both frameworks; glasstorch on its
optional numba kernels, GLASSTORCH_KERNELS=numba, with their compile / cache-load time)
"""
import training_step


def resnet(lib):
    nn = lib.nn

    class Residual(nn.Module):
        def __init__(self, cin, cout, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = None
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride,
                                                        bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = self.bn1(self.conv1(x)).relu()
            y = self.bn2(self.conv2(y))
            return (y + (x if self.shortcut is None else self.shortcut(x))).relu()

    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32),
                         nn.ReLU(), Residual(32, 32), Residual(32, 64, 2), Residual(64, 128, 2),
                         Residual(128, 128), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                         nn.Linear(128, 10))


if __name__ == "__main__":
    training_step.main("ResNet-small training step", resnet, (3, 32, 32), target=0.7,
                       memory_target=1.2, number=2, batch_size=64, processes=3,
                       breakdown=True)
