"""glasstorch.vision: datasets (MNIST, CIFAR, image folders...) and transforms for image
models, following torchvision. Pillow is optional (`pip install glasstorch[vision]`)."""
from . import datasets, transforms  # noqa: F401
