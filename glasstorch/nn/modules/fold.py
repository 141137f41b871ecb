"""torch.nn.modules.fold: torch's module path for these classes
(defined in conv.py)."""
from .conv import Fold, Unfold  # noqa: F401

__all__ = ["Fold", "Unfold"]
