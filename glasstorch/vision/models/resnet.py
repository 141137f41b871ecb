"""ResNet (He, Zhang, Ren & Sun 2016) with torchvision's layer names (state_dict keys match
torchvision's resnet18/34/50), and the paper's small CIFAR-10 variant (its Section 4.2)."""
from ... import nn
from ._common import init_kaiming, no_pretrained

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50",
           "resnet_small"]


def conv3x3(in_channels, out_channels, stride=1):
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1,
                     bias=False)   # a BatchNorm follows: its shift makes a bias redundant


def conv1x1(in_channels, out_channels, stride=1):
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """y = relu(x' + bn(conv3x3(relu(bn(conv3x3(x)))))): two 3x3 convolutions and a shortcut
    x' = x, or downsample(x) (1x1 conv + bn) when the stride or the width changes."""
    expansion = 1

    def __init__(self, in_channels, channels, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(in_channels, channels, stride)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(channels, channels)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 (reduce to `channels`) -> 3x3 (stride here, as torchvision's "ResNet v1.5") ->
    1x1 (expand to 4 * channels), each with batch norm, plus the shortcut, then ReLU."""
    expansion = 4

    def __init__(self, in_channels, channels, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(in_channels, channels)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = conv3x3(channels, channels, stride)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = conv1x1(channels, channels * self.expansion)
        self.bn3 = nn.BatchNorm2d(channels * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A stem, then one stage (`layer1`, `layer2`, ...) of `layers[i]` blocks per width, the
    first block of every stage after the first halving H and W, then global average pooling
    and `fc`. Any input size works; the parameter count does not depend on it.

    Args:
        block: BasicBlock or Bottleneck.
        layers: blocks per stage, e.g. [2, 2, 2, 2] for ResNet-18.
        num_classes, in_channels: as in LeNet.
        widths: channels of each stage's blocks (before a Bottleneck's 4x expansion).
        small_input: the stem. False: 7x7 stride-2 convolution and 3x3 stride-2 max pooling
            (ImageNet, /4). True: one 3x3 stride-1 convolution and no pooling (the paper's
            CIFAR-10 networks; `maxpool` is then an Identity).
        zero_init_residual: start each block's last batch norm at weight 0, so every block
            begins as the identity (Goyal et al. 2017).

    torchvision's init: Kaiming-normal (fan_out) convolutions, batch norm at 1 / 0.
    """

    def __init__(self, block, layers, num_classes=1000, in_channels=3,
                 widths=(64, 128, 256, 512), small_input=False, zero_init_residual=False):
        super().__init__()
        self.in_channels = widths[0]
        if small_input:
            self.conv1 = conv3x3(in_channels, widths[0])
        else:
            self.conv1 = nn.Conv2d(in_channels, widths[0], kernel_size=7, stride=2, padding=3,
                                   bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(3, stride=2, padding=1)
        for i, (n, width) in enumerate(zip(layers, widths)):
            self.add_module(f"layer{i + 1}", self._make_layer(block, width, n, 1 if i == 0 else 2))
        self.num_stages = len(layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[len(layers) - 1] * block.expansion, num_classes)
        init_kaiming(self)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, (BasicBlock, Bottleneck)):
                    last = m.bn3 if isinstance(m, Bottleneck) else m.bn2
                    nn.init.zeros_(last.weight)

    def _make_layer(self, block, channels, blocks, stride):
        downsample = None
        if stride != 1 or self.in_channels != channels * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.in_channels, channels * block.expansion, stride),
                nn.BatchNorm2d(channels * block.expansion))
        layers = [block(self.in_channels, channels, stride, downsample)]
        self.in_channels = channels * block.expansion
        layers += [block(self.in_channels, channels) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(1, self.num_stages + 1):
            x = getattr(self, f"layer{i}")(x)
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(*, weights=None, progress=True, **kwargs):
    """ResNet-18: BasicBlocks [2, 2, 2, 2]; 11,689,512 parameters at 1000 classes."""
    no_pretrained("resnet18", weights)
    return ResNet(BasicBlock, [2, 2, 2, 2], **kwargs)


def resnet34(*, weights=None, progress=True, **kwargs):
    """ResNet-34: BasicBlocks [3, 4, 6, 3]; 21,797,672 parameters at 1000 classes."""
    no_pretrained("resnet34", weights)
    return ResNet(BasicBlock, [3, 4, 6, 3], **kwargs)


def resnet50(*, weights=None, progress=True, **kwargs):
    """ResNet-50: Bottlenecks [3, 4, 6, 3]; 25,557,032 parameters at 1000 classes."""
    no_pretrained("resnet50", weights)
    return ResNet(Bottleneck, [3, 4, 6, 3], **kwargs)


def resnet_small(depth=20, num_classes=10, in_channels=3, **kwargs):
    """The paper's CIFAR-10 ResNet-(6n+2): a 3x3 stem of 16 channels, three stages of n
    BasicBlocks with 16, 32, 64 channels (32x32 -> 32, 16, 8), global average pooling, fc.
    Shortcuts that change shape are 1x1 projections (the paper's option B; its CIFAR
    experiments used zero-padding, option A, so ResNet-20 has 272,474 parameters here
    instead of about 0.27M)."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"resnet_small depth must be 6n+2 with n >= 1 (8, 14, 20, 32, 44, "
                         f"56, 110), got {depth}")
    n = (depth - 2) // 6
    return ResNet(BasicBlock, [n, n, n], num_classes=num_classes, in_channels=in_channels,
                  widths=(16, 32, 64), small_input=True, **kwargs)
