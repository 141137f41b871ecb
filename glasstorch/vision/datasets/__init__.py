"""Vision datasets with torchvision's constructor conventions (root, train, transform,
target_transform, download), the download/integrity helpers, and compute_mean_std."""
from ._idx import read_idx  # noqa: F401
from .cifar import CIFAR10, CIFAR100  # noqa: F401
from .fakedata import FakeData  # noqa: F401
from .folder import DatasetFolder, ImageFolder  # noqa: F401
from .mnist import MNIST, FashionMNIST, KMNIST  # noqa: F401
from .stats import compute_mean_std  # noqa: F401
from .vision import VisionDataset  # noqa: F401
