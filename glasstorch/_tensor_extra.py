"""Tensor methods torch has that are not elementwise twins of a function (those come from the
_families.py tables): the random in-place fills cauchy_ / geometric_ / log_normal_,
fill_diagonal_, sum_to_size, dim_order, and nonzero_static (also torch.nonzero_static).
`install(namespace, Tensor)` adds them at import (never overriding)."""
import math

from .backend import xp as _xp
from .tensor import _make

__all__ = ["nonzero_static", "install"]


def _random():
    from . import random
    return random


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Cauchy(median, sigma) samples: median + sigma tan(pi (U - 1/2))."""
    r = _random()
    u = r._rng(generator).random(self._data.shape)
    return r._fill_inplace(self, median + sigma * _xp.tan(math.pi * (u - 0.5)))


def geometric_(self, p, *, generator=None):
    """Geometric(p) samples on {1, 2, ...}: the number of trials to the first success."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    r = _random()
    return r._fill_inplace(self, r._rng(generator).geometric(p, self._data.shape))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """exp(Normal(mean, std)) samples."""
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    r = _random()
    return r._fill_inplace(self, _xp.exp(mean + std * r._rng(generator).standard_normal(
        self._data.shape)))


def fill_diagonal_(self, fill_value, wrap=False):
    """Set the main diagonal (all dims equal for ndim > 2) to fill_value; for a tall matrix
    with wrap=True the diagonal restarts every n + 1 rows (NumPy's fill_diagonal)."""
    from .ops import _inplace
    from .ops.mask import where
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = _xp.zeros(self._data.shape, dtype=bool)
    _xp.fill_diagonal(mask, True, wrap=wrap)
    m = _make(mask)

    def filled(x):
        return where(m, _make(_xp.asarray(fill_value, dtype=x._data.dtype)), x)
    return _inplace.inplace(self, filled)


def sum_to_size(self, *size):
    """Sum over the broadcast dims so that the result has `size` (self must expand from it)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = tuple(self.shape)
    lead = len(shape) - len(size)
    ok = lead >= 0 and all(s == 1 or s == t for s, t in zip(size, shape[lead:]))
    if not ok:
        raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                           f"{{{', '.join(map(str, shape))}}}.")
    out = self.sum(list(range(lead))) if lead else self
    dims = [i for i, s in enumerate(size) if s == 1 and out.shape[i] != 1]
    return out.sum(dims, keepdim=True) if dims else out


def dim_order(self, *, ambiguity_check=False):
    """The dims from outermost to innermost in memory (by stride, as torch)."""
    strides = self.stride()
    return tuple(sorted(range(self.ndim), key=lambda d: -strides[d]))


def nonzero_static(input, *, size, fill_value=-1):
    """nonzero()'s (n, ndim) indices cut or padded (with fill_value) to exactly `size` rows."""
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got "
                           f"{size}")
    idx = _xp.argwhere(input._data)[:size].astype(_xp.int64)
    out = _xp.full((size, input.ndim), fill_value, dtype=_xp.int64)
    out[:idx.shape[0]] = idx
    return _make(out)


def module_load(self, other, assign=False):
    """What Module.load_state_dict loads into self for `other`, torch's default: self with
    other copied in (detached), or other detached when assign=True (it replaces self)."""
    if assign:
        return other.detach()
    return self.copy_(other).detach()


def install(namespace, tensor_cls):
    for fn in (cauchy_, geometric_, log_normal_, fill_diagonal_, sum_to_size, dim_order,
               nonzero_static, module_load):
        if not hasattr(tensor_cls, fn.__name__):
            setattr(tensor_cls, fn.__name__, fn)
    namespace.setdefault("nonzero_static", nonzero_static)
