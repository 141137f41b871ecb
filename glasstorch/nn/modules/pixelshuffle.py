"""torch.nn.modules.pixelshuffle: torch's module path for these classes
(defined in upsampling.py)."""
from .upsampling import PixelShuffle, PixelUnshuffle  # noqa: F401

__all__ = ["PixelShuffle", "PixelUnshuffle"]
