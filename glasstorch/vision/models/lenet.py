"""LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998), as in Dive into Deep Learning §7.6."""
from ... import nn
from ._common import init_xavier, spatial_size

__all__ = ["LeNet", "lenet", "lenet_classic"]


class LeNet(nn.Module):
    """Two 5x5 convolutions (6 and 16 channels), each followed by 2x2 pooling, then three fully
    connected layers (120, 84, num_classes). The first convolution pads by 2 so a 28x28 MNIST
    digit is treated like the paper's 32x32 input: 28 -> 28 -> 14 -> 10 -> 5, 16*5*5 = 400
    features. 61,706 parameters for 1x28x28 inputs and 10 classes.

    Args:
        num_classes: outputs of the last layer.
        in_channels: image channels (1 for MNIST).
        input_size: H or (H, W) of the images; sizes the first Linear (at least 12).
        classic: False uses ReLU and max pooling (PyTorch's tutorial LeNet; it trains much
            faster); True is d2l's LeNet-5 with sigmoid and average pooling, as in 1998. The
            parameters are the same.
        dropout: probability of a Dropout after each hidden Linear (0: no Dropout layer).

    Layers: `features` (convolutions and pooling) and `classifier` (Linear layers); weights
    use d2l's Xavier-uniform init.

    >>> import glasstorch as torch
    >>> LeNet()(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, num_classes=10, in_channels=1, input_size=28, classic=False, dropout=0.0):
        super().__init__()
        act = nn.Sigmoid if classic else nn.ReLU
        pool = nn.AvgPool2d if classic else nn.MaxPool2d
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), act(), pool(2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), act(), pool(2, stride=2))
        h, w = spatial_size(self.features, input_size, "LeNet")
        drop = [nn.Dropout(dropout)] if dropout > 0 else []
        self.classifier = nn.Sequential(
            nn.Linear(16 * h * w, 120), act(), *drop,
            nn.Linear(120, 84), act(), *[nn.Dropout(dropout) for _ in drop],
            nn.Linear(84, num_classes))
        init_xavier(self)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def lenet(**kwargs):
    """LeNet-5 with ReLU and max pooling. See LeNet."""
    return LeNet(**kwargs)


def lenet_classic(**kwargs):
    """d2l's LeNet-5: sigmoid and average pooling, as in 1998. See LeNet."""
    return LeNet(classic=True, **kwargs)
