"""torch.fft: the real-valued helpers (sample frequencies and the zero-frequency shift).

The transforms themselves (fft, rfft, ifft, ...) return or take complex tensors, and glasstorch
has real dtypes only; they are listed out of scope in docs/COMPATIBILITY.md.
"""
import math

from . import _dtype
from .creation import arange
from .ops.join import roll
from .tensor import Tensor  # noqa: F401  (torch.fft re-exports it)

__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift"]


def fftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, layout=None,
            pin_memory=False, out=None):
    """[0, 1, ..., ceil(n/2)-1, -floor(n/2), ..., -1] / (d * n)."""
    dtype = dtype or _dtype.get_default_dtype()
    k = arange(n, dtype=_dtype.int64)
    k = k - (k >= math.ceil(n / 2)).long() * n
    out = k.to(dtype) / (d * n)
    return out.requires_grad_(True) if requires_grad else out


def rfftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False, out=None):
    """[0, 1, ..., n // 2] / (d * n)."""
    dtype = dtype or _dtype.get_default_dtype()
    out = arange(n // 2 + 1, dtype=dtype) / (d * n)
    return out.requires_grad_(True) if requires_grad else out


def _dims(input, dim):
    if dim is None:
        return tuple(range(input.ndim))
    return (dim,) if isinstance(dim, int) else tuple(dim)


def fftshift(input, dim=None):
    """Move the zero frequency to the middle: roll each dim by n // 2."""
    dims = _dims(input, dim)
    return roll(input, [input.shape[d] // 2 for d in dims], dims)


def ifftshift(input, dim=None):
    dims = _dims(input, dim)
    return roll(input, [-(input.shape[d] // 2) for d in dims], dims)
