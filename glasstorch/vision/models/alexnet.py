"""AlexNet (Krizhevsky, Sutskever & Hinton 2012), as in Dive into Deep Learning §8.1."""
from ... import nn
from ._common import init_xavier, spatial_size, no_pretrained

__all__ = ["AlexNet", "alexnet"]


class AlexNet(nn.Module):
    """Five convolutions (96 11x11 stride 4, 256 5x5, 384, 384, 256 3x3) with 3x3 stride-2 max
    pooling after the 1st, 2nd and 5th, then two 4096-wide Linear layers with dropout. The
    paper's channel widths on one device (d2l.ai's version, not torchvision's 64-192-384-256-
    256 variant); local_response_norm=True adds the paper's LRN after the first two ReLUs.

    Args:
        num_classes, in_channels: as in LeNet.
        input_size: H or (H, W); sizes the first Linear (224 -> 256*5*5; at least 65).
        dropout: probability of the two Dropout layers (the paper's 0.5).
        local_response_norm: LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2).

    Layers: `features`, `classifier`; d2l's Xavier-uniform init.
    """

    def __init__(self, num_classes=1000, in_channels=3, input_size=224, dropout=0.5,
                 local_response_norm=False):
        super().__init__()

        def lrn():
            return [nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)] \
                if local_response_norm else []
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 96, kernel_size=11, stride=4, padding=1), nn.ReLU(), *lrn(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(), *lrn(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2))
        h, w = spatial_size(self.features, input_size, "AlexNet")
        self.classifier = nn.Sequential(
            nn.Linear(256 * h * w, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(4096, num_classes))
        init_xavier(self)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def alexnet(*, weights=None, progress=True, **kwargs):
    """AlexNet as in d2l.ai (paper widths, no LRN). See AlexNet."""
    no_pretrained("alexnet", weights)
    return AlexNet(**kwargs)
