"""glasstorch.vision: datasets (MNIST & co) for image models."""
from . import datasets  # noqa: F401
