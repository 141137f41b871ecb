"""VGG (Simonyan & Zisserman 2015), configurations A/B/D/E (VGG-11/13/16/19), with
torchvision's layer names, so state_dict keys match torchvision's vgg11 & co."""
from ... import nn
from ._common import init_kaiming, spatial_size, no_pretrained

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
           "vgg19_bn"]

# output channels of each 3x3 convolution; "M" is a 2x2 max pooling (the paper's Table 1)
CONFIGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
         512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
         512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """Stacks of 3x3 convolutions (padding 1, ReLU) separated by 2x2 max pooling, then
    Linear(hidden) - ReLU - Dropout twice and Linear(num_classes).

    Args:
        depth: 11, 13, 16 or 19 weight layers (configurations A, B, D, E).
        num_classes, in_channels: as in LeNet.
        input_size: H or (H, W) (at least 32): the first Linear takes 512 * (H//32) * (W//32)
            features (224 -> 7x7, as torchvision's classifier after its 7x7 pooling).
        batch_norm: a BatchNorm2d after each convolution (torchvision's vgg*_bn).
        dropout: probability of the classifier's two Dropout layers.
        width_mult: scales every convolution's channels (d2l trains VGG-11 on Fashion-MNIST
            with width_mult=0.25); hidden: width of the two hidden Linear layers.

    Layers: `features` and `classifier` as torchvision; its init (Kaiming-normal fan_out
    convolutions, N(0, 0.01) Linear weights, zero biases).
    """

    def __init__(self, depth=16, num_classes=1000, in_channels=3, input_size=224,
                 batch_norm=False, dropout=0.5, width_mult=1.0, hidden=4096):
        super().__init__()
        if depth not in CONFIGS:
            raise ValueError(f"VGG depth must be one of {sorted(CONFIGS)}, got {depth}")
        layers, channels = [], in_channels
        for v in CONFIGS[depth]:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                continue
            out = max(1, int(v * width_mult))
            layers.append(nn.Conv2d(channels, out, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.ReLU(inplace=True))
            channels = out
        self.features = nn.Sequential(*layers)
        h, w = spatial_size(self.features, input_size, f"VGG-{depth}")
        self.classifier = nn.Sequential(
            nn.Linear(channels * h * w, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes))
        init_kaiming(self, linear_std=0.01)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def vgg11(*, weights=None, progress=True, **kwargs):
    no_pretrained("vgg11", weights)
    return VGG(11, **kwargs)


def vgg13(*, weights=None, progress=True, **kwargs):
    no_pretrained("vgg13", weights)
    return VGG(13, **kwargs)


def vgg16(*, weights=None, progress=True, **kwargs):
    no_pretrained("vgg16", weights)
    return VGG(16, **kwargs)


def vgg19(*, weights=None, progress=True, **kwargs):
    no_pretrained("vgg19", weights)
    return VGG(19, **kwargs)


def vgg11_bn(*, weights=None, progress=True, **kwargs):
    no_pretrained("vgg11_bn", weights)
    return VGG(11, batch_norm=True, **kwargs)


def vgg13_bn(*, weights=None, progress=True, **kwargs):
    no_pretrained("vgg13_bn", weights)
    return VGG(13, batch_norm=True, **kwargs)


def vgg16_bn(*, weights=None, progress=True, **kwargs):
    no_pretrained("vgg16_bn", weights)
    return VGG(16, batch_norm=True, **kwargs)


def vgg19_bn(*, weights=None, progress=True, **kwargs):
    no_pretrained("vgg19_bn", weights)
    return VGG(19, batch_norm=True, **kwargs)
