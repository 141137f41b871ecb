"""Vision datasets with torchvision's constructor conventions."""
from .mnist import MNIST  # noqa: F401
from ._idx import read_idx  # noqa: F401
