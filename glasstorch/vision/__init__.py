"""glasstorch.vision: datasets (MNIST, CIFAR, image folders...), transforms, the model zoo
(models), box/anchor ops (ops), make_grid/save_image (utils) and read_image (io),
following torchvision's layout. Pillow is optional
(`pip install glasstorch[vision]`)."""
from . import datasets, io, models, ops, transforms, utils  # noqa: F401
