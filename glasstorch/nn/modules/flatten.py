"""torch.nn.modules.flatten: torch's module path for these classes
(defined in container.py)."""
from .container import Flatten, Unflatten  # noqa: F401

__all__ = ["Flatten", "Unflatten"]
