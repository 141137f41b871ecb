"""Padding layers: ConstantPad1d/2d/3d, ZeroPad1d/2d/3d, ReflectionPad1d/2d/3d,
ReplicationPad1d/2d/3d, CircularPad1d/2d/3d. Each stores `padding` in F.pad's order
(left, right[, top, bottom[, front, back]]) and calls
F.pad (ops/pad.py)."""
from .. import functional as F
from .module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ZeroPad1d", "ZeroPad2d", "ReflectionPad1d",
           "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d",
           "CircularPad2d", "ConstantPad3d", "ZeroPad3d", "ReflectionPad3d", "ReplicationPad3d",
           "CircularPad3d"]


def _ntuple(value, n):
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


class _ConstantPadNd(Module):
    def __init__(self, padding, value):
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._n)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant: padding int or (left, right)."""
    _n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with a constant: padding int or (left, right, top, bottom)."""
    _n = 2


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros: padding int or (left, right, top, bottom).

    >>> import glasstorch as torch
    >>> torch.nn.ZeroPad2d((1, 0, 0, 1))(torch.ones(1, 1, 1)).tolist()
    [[[0.0, 1.0], [0.0, 0.0]]]
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _ModePadNd(Module):
    _mode = None

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._n)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_ModePadNd):
    """Pad the last dim with its mirror image (edge not repeated): [1 2 3] -> [3 2 | 1 2 3]."""
    _n, _mode = 1, "reflect"


class ReflectionPad2d(_ModePadNd):
    """Pad the last two dims by reflection; padding int or (left, right, top, bottom)."""
    _n, _mode = 2, "reflect"


class ReplicationPad1d(_ModePadNd):
    """Pad the last dim by repeating its edge values."""
    _n, _mode = 1, "replicate"


class ReplicationPad2d(_ModePadNd):
    """Pad the last two dims by repeating their edge values."""
    _n, _mode = 2, "replicate"


class _CircularPadNd(_ModePadNd):
    _mode = "circular"

    def forward(self, input):
        n = self._n
        if input.dim() not in (n + 1, n + 2):
            raise ValueError(f"expected {n + 1}D or {n + 2}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Pad the last dim by wrapping around (periodic boundary)."""
    _n = 1


class CircularPad2d(_CircularPadNd):
    """Pad the last two dims by wrapping around (periodic boundary)."""
    _n = 2


# ---- 3-D: the last three dims of (N, C, D, H, W) or (C, D, H, W) ------------------------------

class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with a constant: padding int or (left, right, top, bottom,
    front, back)."""
    _n = 3


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad3d(_ModePadNd):
    """Pad the last three dims by reflection (edges not repeated)."""
    _n, _mode = 3, "reflect"


class ReplicationPad3d(_ModePadNd):
    """Pad the last three dims by repeating their edge values."""
    _n, _mode = 3, "replicate"


class CircularPad3d(_CircularPadNd):
    """Pad the last three dims by wrapping around (periodic boundary)."""
    _n = 3
