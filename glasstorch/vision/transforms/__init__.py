"""glasstorch.vision.transforms: torchvision's (v1) image transforms, for PIL images and for
tensor images (..., C, H, W).

    transform = Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(),
                         Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))])

functional.py holds the stateless functions (`transforms.functional` as `F`); transforms.py and
geometry.py the classes. Random draws use glasstorch's global generator (manual_seed).
"""
from . import functional  # noqa: F401
from .functional import InterpolationMode  # noqa: F401
from .geometry import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
