"""torch.nn.modules.instancenorm: torch's module path for these classes
(defined in normalization.py)."""
from .normalization import _InstanceNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d  # noqa: F401

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


def __getattr__(name):
    """torch keeps the Lazy variants beside their layers (torch.nn.modules.instancenorm.Lazy...); they
    live in lazy.py here, which imports this module, so they are looked up on first use."""
    if name.startswith("Lazy"):
        from . import lazy
        if hasattr(lazy, name):
            return getattr(lazy, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
