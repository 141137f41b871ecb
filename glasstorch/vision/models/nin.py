"""Network in Network (Lin, Chen & Yan 2014), as in Dive into Deep Learning §8.3."""
from ... import nn
from ._common import init_xavier

__all__ = ["NiN", "nin", "nin_block"]


def nin_block(in_channels, out_channels, kernel_size, stride, padding):
    """A convolution followed by two 1x1 convolutions (a per-pixel MLP), each with ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


class NiN(nn.Sequential):
    """AlexNet's convolution sizes as NiN blocks; the last block outputs one channel per class
    and global average pooling replaces the fully connected layers, so any input of at
    least 67x67 works and the parameter count does not depend on it.

    Args: num_classes, in_channels (as in LeNet), dropout (before the last block).
    A Sequential of the blocks (d2l's layout); d2l's Xavier-uniform init.
    """

    def __init__(self, num_classes=1000, in_channels=3, dropout=0.5):
        super().__init__(
            nin_block(in_channels, 96, kernel_size=11, stride=4, padding=0),
            nn.MaxPool2d(3, stride=2),
            nin_block(96, 256, kernel_size=5, stride=1, padding=2),
            nn.MaxPool2d(3, stride=2),
            nin_block(256, 384, kernel_size=3, stride=1, padding=1),
            nn.MaxPool2d(3, stride=2),
            nn.Dropout(dropout),
            nin_block(384, num_classes, kernel_size=3, stride=1, padding=1),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten())
        init_xavier(self)


def nin(**kwargs):
    return NiN(**kwargs)
