"""torch.nn.modules.batchnorm: torch's module path for these classes
(defined in normalization.py)."""
from .normalization import _NormBase, _BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d  # noqa: F401

from ._sync_batchnorm import SyncBatchNorm  # noqa: F401

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm"]


def __getattr__(name):
    """torch keeps the Lazy variants beside their layers (torch.nn.modules.batchnorm.Lazy...); they
    live in lazy.py here, which imports this module, so they are looked up on first use."""
    if name.startswith("Lazy"):
        from . import lazy
        if hasattr(lazy, name):
            return getattr(lazy, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
