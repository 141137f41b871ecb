"""glasstorch.vision: datasets (MNIST, CIFAR, image folders...), transforms, the model zoo
(models) and box/anchor ops (ops), following torchvision. Pillow is optional
(`pip install glasstorch[vision]`)."""
from . import datasets, models, ops, transforms  # noqa: F401
