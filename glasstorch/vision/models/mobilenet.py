"""MobileNetV2 (Sandler, Howard, Zhu, Zhmoginov & Chen 2018) with torchvision's layer names
(state_dict keys match torchvision's mobilenet_v2), and a small variant for 32x32 images."""
from ... import nn
from ...nn import functional as F
from ._common import init_kaiming, no_pretrained

__all__ = ["InvertedResidual", "MobileNetV2", "mobilenet_v2", "mobilenet_v2_small"]


def _make_divisible(v, divisor=8):
    """v rounded to the nearest multiple of divisor, never below divisor nor more than 10%
    below v (the rounding torchvision and the paper's reference code apply to widths)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def conv_bn_relu6(in_channels, out_channels, kernel_size=3, stride=1, groups=1):
    """Conv (no bias) - BatchNorm - ReLU6, torchvision's Conv2dNormActivation."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, (kernel_size - 1) // 2,
                  groups=groups, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    """Expand with a 1x1 conv (x expand_ratio), filter with a 3x3 depthwise conv (one filter
    per channel: groups = channels), project back with a linear 1x1 conv + BN (no ReLU: it
    would destroy information in the narrow bottleneck); add the input when shapes allow."""

    def __init__(self, in_channels, out_channels, stride, expand_ratio):
        super().__init__()
        hidden = int(round(in_channels * expand_ratio))
        self.use_res_connect = stride == 1 and in_channels == out_channels
        layers = [conv_bn_relu6(in_channels, hidden, kernel_size=1)] if expand_ratio != 1 else []
        layers += [conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, out_channels, 1, bias=False),
                   nn.BatchNorm2d(out_channels)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


# the paper's Table 2: expansion t, output channels c, repeats n, first stride s
SETTING = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
           [6, 160, 3, 2], [6, 320, 1, 1]]


class MobileNetV2(nn.Module):
    """A 3x3 stride-2 stem (32 channels), 17 inverted residual blocks (SETTING), a 1x1 conv to
    1280 channels, global average pooling, Dropout and Linear. Any input size works.

    Args:
        num_classes, in_channels: as in LeNet.
        width_mult: scales every width (rounded to multiples of 8; the last conv never
            shrinks below 1280).
        small_input: for 32x32 images, the stem and the first stride-2 block use stride 1,
            so the network downsamples by 8 instead of 32 (4x4 final maps on CIFAR).
        dropout: before the classifier (0.2 in torchvision).

    Layers: `features` (0 = stem, 1..17 = blocks, 18 = last conv) and `classifier`, as
    torchvision; its init (Kaiming-normal fan_out convs, N(0, 0.01) Linear, zero biases).
    """

    def __init__(self, num_classes=1000, in_channels=3, width_mult=1.0, small_input=False,
                 dropout=0.2):
        super().__init__()
        channels = _make_divisible(32 * width_mult)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult))
        layers = [conv_bn_relu6(in_channels, channels, stride=1 if small_input else 2)]
        for i, (t, c, n, s) in enumerate(SETTING):
            out = _make_divisible(c * width_mult)
            if small_input and i == 1:
                s = 1
            for j in range(n):
                layers.append(InvertedResidual(channels, out, s if j == 0 else 1, t))
                channels = out
        layers.append(conv_bn_relu6(channels, self.last_channel, kernel_size=1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(dropout),
                                        nn.Linear(self.last_channel, num_classes))
        init_kaiming(self, linear_std=0.01)

    def forward(self, x):
        y = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(y.flatten(1))


def mobilenet_v2(*, weights=None, progress=True, **kwargs):
    """torchvision's MobileNetV2: 3,504,872 parameters at 1000 classes."""
    no_pretrained("mobilenet_v2", weights)
    return MobileNetV2(**kwargs)


def mobilenet_v2_small(num_classes=10, width_mult=0.5, small_input=True, **kwargs):
    """MobileNetV2 at half width for 32x32 images (CIFAR-10)."""
    return MobileNetV2(num_classes=num_classes, width_mult=width_mult, small_input=small_input,
                       **kwargs)
