"""GoogLeNet (Szegedy et al. 2015), as in Dive into Deep Learning §8.4: the nine Inception
blocks of the paper, without its auxiliary classifiers and local response normalization."""
from ... import nn
from ...nn import functional as F
from ...ops.join import cat
from ._common import init_xavier, no_pretrained

__all__ = ["Inception", "GoogLeNet", "googlenet"]


class Inception(nn.Module):
    """Four parallel paths concatenated along channels, all keeping H and W:
    1x1 conv (c1); 1x1 (c2[0]) -> 3x3 (c2[1]); 1x1 (c3[0]) -> 5x5 (c3[1]);
    3x3 max pool -> 1x1 (c4). The 1x1 convolutions before the 3x3/5x5 ones cut the channels
    (and the cost) the wide kernels see. Output channels: c1 + c2[1] + c3[1] + c4."""

    def __init__(self, in_channels, c1, c2, c3, c4):
        super().__init__()
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x):
        p1 = F.relu(self.p1_1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(self.p4_1(x)))
        return cat((p1, p2, p3, p4), dim=1)


class GoogLeNet(nn.Module):
    """Stem (7x7 conv, max pool, 1x1 and 3x3 convs, max pool), then Inception blocks in
    groups of 2, 5 and 2 separated by stride-2 max pooling, global average pooling and one
    Linear(1024, num_classes). Any input size works; the parameter count does not depend on it.

    Args: num_classes, in_channels (as in LeNet). Blocks `b1`..`b5` (d2l's names) and `fc`;
    d2l's Xavier-uniform init.
    """

    def __init__(self, num_classes=1000, in_channels=3):
        super().__init__()
        self.b1 = nn.Sequential(
            nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        self.b2 = nn.Sequential(
            nn.Conv2d(64, 64, kernel_size=1), nn.ReLU(),
            nn.Conv2d(64, 192, kernel_size=3, padding=1), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        self.b3 = nn.Sequential(
            Inception(192, 64, (96, 128), (16, 32), 32),
            Inception(256, 128, (128, 192), (32, 96), 64),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        self.b4 = nn.Sequential(
            Inception(480, 192, (96, 208), (16, 48), 64),
            Inception(512, 160, (112, 224), (24, 64), 64),
            Inception(512, 128, (128, 256), (24, 64), 64),
            Inception(512, 112, (144, 288), (32, 64), 64),
            Inception(528, 256, (160, 320), (32, 128), 128),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        self.b5 = nn.Sequential(
            Inception(832, 256, (160, 320), (32, 128), 128),
            Inception(832, 384, (192, 384), (48, 128), 128),
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
        self.fc = nn.Linear(1024, num_classes)
        init_xavier(self)

    def forward(self, x):
        return self.fc(self.b5(self.b4(self.b3(self.b2(self.b1(x))))))


def googlenet(*, weights=None, progress=True, **kwargs):
    no_pretrained("googlenet", weights)
    return GoogLeNet(**kwargs)
