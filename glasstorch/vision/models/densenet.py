"""DenseNet (Huang, Liu, van der Maaten & Weinberger 2017) with torchvision's layer names: the
small network of Dive into Deep Learning §8.7 (`densenet_small`) and DenseNet-121."""
from ... import nn
from ...nn import functional as F
from ...ops.join import cat
from ._common import init_kaiming, no_pretrained

__all__ = ["DenseNet", "densenet_small", "densenet121"]


class _DenseLayer(nn.Module):
    """BN - ReLU - 3x3 conv making `growth_rate` new channels, appended to its input.
    With bn_size (DenseNet-B), a BN - ReLU - 1x1 conv to bn_size * growth_rate channels
    comes first, so the 3x3 convolution sees a fixed width however wide the input grows."""

    def __init__(self, in_channels, growth_rate, bn_size, drop_rate):
        super().__init__()
        width = in_channels
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        if bn_size:
            width = bn_size * growth_rate
            self.conv1 = nn.Conv2d(in_channels, width, kernel_size=1, bias=False)
            self.norm2 = nn.BatchNorm2d(width)
            self.relu2 = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(width, growth_rate, kernel_size=3, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, growth_rate, kernel_size=3, padding=1,
                                   bias=False)
        self.bottleneck, self.drop_rate = bool(bn_size), drop_rate

    def forward(self, x):
        y = self.conv1(self.relu1(self.norm1(x)))
        if self.bottleneck:
            y = self.conv2(self.relu2(self.norm2(y)))
        if self.drop_rate > 0:
            y = F.dropout(y, p=self.drop_rate, training=self.training)
        return cat((x, y), dim=1)


class _DenseBlock(nn.Sequential):
    """`num_layers` dense layers: layer i sees the block input and all i earlier outputs."""

    def __init__(self, num_layers, in_channels, growth_rate, bn_size, drop_rate):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}",
                            _DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size,
                                        drop_rate))


class _Transition(nn.Sequential):
    """BN - ReLU - 1x1 conv (cuts the channels) - 2x2 average pooling (halves H and W)."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.norm = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """Stem (7x7 stride-2 conv, BN, ReLU, 3x3 stride-2 max pool), dense blocks joined by
    transitions that halve the channels (compression 0.5) and H, W; then BN, ReLU, global
    average pooling and `classifier`. Inputs must be at least 29x29 (the stem and three
    transitions divide H and W by 32, rounding down).

    Args:
        growth_rate: channels each dense layer adds (k in the paper).
        block_config: dense layers per block.
        num_init_features: channels of the stem.
        bn_size: None (d2l's plain BN-ReLU-3x3 layers) or the bottleneck factor (4 in
            DenseNet-BC / torchvision).
        drop_rate: dropout after each dense layer.
        num_classes, in_channels: as in LeNet.

    Layers: `features` (conv0, norm0, relu0, pool0, denseblock1, transition1, ..., norm5) and
    `classifier` as torchvision; its init (Kaiming-normal convolutions, zero Linear bias).
    """

    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64,
                 bn_size=4, drop_rate=0.0, num_classes=1000, in_channels=3):
        super().__init__()
        self.features = nn.Sequential()
        self.features.add_module("conv0", nn.Conv2d(in_channels, num_init_features,
                                                    kernel_size=7, stride=2, padding=3,
                                                    bias=False))
        self.features.add_module("norm0", nn.BatchNorm2d(num_init_features))
        self.features.add_module("relu0", nn.ReLU(inplace=True))
        self.features.add_module("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        channels = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}",
                                     _DenseBlock(num_layers, channels, growth_rate, bn_size,
                                                 drop_rate))
            channels += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}",
                                         _Transition(channels, channels // 2))
                channels //= 2
        self.features.add_module(f"norm{len(block_config) + 1}", nn.BatchNorm2d(channels))
        self.classifier = nn.Linear(channels, num_classes)
        init_kaiming(self, conv_mode="fan_in")
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x):
        y = F.relu(self.features(x))
        return self.classifier(F.adaptive_avg_pool2d(y, (1, 1)).flatten(1))


def densenet_small(num_classes=10, **kwargs):
    """d2l's DenseNet: growth rate 32, four blocks of 4 plain (BN-ReLU-3x3) layers, 64 stem
    channels; convolutions without bias as in torchvision (a batch norm always follows)."""
    return DenseNet(growth_rate=32, block_config=(4, 4, 4, 4), num_init_features=64,
                    bn_size=None, num_classes=num_classes, **kwargs)


def densenet121(*, weights=None, progress=True, **kwargs):
    """DenseNet-121 (DenseNet-BC, k=32, blocks 6-12-24-16): 7,978,856 parameters at 1000
    classes, torchvision's state_dict keys."""
    no_pretrained("densenet121", weights)
    return DenseNet(growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64,
                    bn_size=4, **kwargs)
