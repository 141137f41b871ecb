"""Tensor methods torch has that are not elementwise twins of a function (those come from the
_families.py tables): the random in-place fills cauchy_ / geometric_ / log_normal_,
fill_diagonal_, sum_to_size, dim_order, module_load, as_strided / as_strided_ (the view is
ops/strided_extra.py's), the in-place view changes t_ / transpose_ / squeeze_ / swapaxes_ /
swapdims_, resize_ / resize_as_ (and the deprecated
out-of-place resize / resize_as), nonzero_static (also torch's), and to_dense (every glasstorch
tensor is dense: the gradient of gather(sparse_grad=True) or Embedding(sparse=True) too).
`install(namespace, Tensor)` adds them at import (never overriding)."""
import math

from .backend import xp as _xp
from .ops._strides import _list_kw
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


def sum_to_size(self, *sizes, size=None):
    """Sum over the broadcast dims so that the result has `size` (self must expand from it)."""
    size = _list_kw(sizes, size, "sum_to_size", "size")
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


def _become(input, view_of):
    """In place: `input` itself becomes its view `view_of(input)` (same memory, version + 1,
    its history continued), as ops/view.py's unsqueeze_."""
    from .ops import view as _view
    _view._check_leaf(input)
    out = view_of(input)
    input._data = out._data
    input._version_counter[0] += 1
    if out.grad_fn is not None:
        input.grad_fn, input._out_nr = out.grad_fn, out._out_nr
    if input._base is not None:  # keep replaying from the base: its view, then this one
        input._view_fn, input._grad_fn_version = out._view_fn, input._version_counter[0]
    return input


def t_(self):
    return _become(self, lambda x: x.t())


def as_strided(self, size, stride, storage_offset=None):
    from .ops.strided_extra import as_strided as _as_strided
    return _as_strided(self, size, stride, storage_offset)


def as_strided_(self, size, stride, storage_offset=None):
    return _become(self, lambda x: as_strided(x, size, stride, storage_offset))


def transpose_(self, dim0, dim1):
    return _become(self, lambda x: x.transpose(dim0, dim1))


def squeeze_(self, dim=None):
    return _become(self, lambda x: x.squeeze() if dim is None else x.squeeze(dim))


def swapaxes_(self, axis0, axis1):
    return transpose_(self, axis0, axis1)


def swapdims_(self, dim0, dim1):
    return transpose_(self, dim0, dim1)


def _sizes(sizes):
    return tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else \
        tuple(sizes)


def resize_(self, *sizes, size=None, memory_format=None):
    """In place: self gets `sizes`. Shrinking (or keeping the count) of a contiguous tensor
    keeps its memory (a view of its first elements, shared with its base as in torch); growing
    copies into new memory (the new elements uninitialized, as torch's)."""
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    size = _sizes(_list_kw(sizes, size, "resize_", "size"))
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(size)}")
    n = math.prod(size)
    data = self._data
    if tuple(data.shape) == size:
        return self
    flat = data.reshape(-1) if data.flags.c_contiguous else _xp.ascontiguousarray(data).ravel()
    if n <= flat.size:
        new = flat[:n].reshape(size)
    else:
        new = _xp.empty(n, dtype=data.dtype)
        new[:flat.size] = flat
        new = new.reshape(size)
    self._data = new
    self._version_counter[0] += 1
    return self


def resize_as_(self, the_template, *, memory_format=None):
    return resize_(self, tuple(the_template.shape))


def _check_resize(self, size):
    n = math.prod(size)
    if self.numel() != n:
        raise RuntimeError(f"requested resize to {'x'.join(map(str, size))} ({n} elements in "
                           f"total), but the given tensor has a size of "
                           f"{'x'.join(map(str, self.shape))} ({self.numel()} elements). "
                           "autograd's resize can only change the shape of a given tensor, "
                           "while preserving the number of elements. ")


def resize(self, *sizes):
    """The deprecated out-of-place resize: a reshape that keeps the element count."""
    size = _sizes(sizes)
    _check_resize(self, size)
    return self.contiguous().reshape(size)


def resize_as(self, tensor):
    return resize(self, tuple(tensor.shape))


def to_dense(self, dtype=None, *, masked_grad=None):
    """The tensor itself, as torch's to_dense of a strided tensor (`dtype`: a converted copy).
    glasstorch has no sparse tensors: code written for torch's sparse gradients
    (`x.grad.to_dense()`) runs unchanged on the dense gradients glasstorch gives."""
    return self if dtype is None or dtype == self.dtype else self.to(dtype)


def install(namespace, tensor_cls):
    for fn in (cauchy_, geometric_, log_normal_, fill_diagonal_, sum_to_size, dim_order,
               nonzero_static, module_load, t_, as_strided, as_strided_, transpose_, squeeze_,
               swapaxes_, swapdims_, resize_, resize_as_, resize, resize_as, to_dense):
        if not hasattr(tensor_cls, fn.__name__):
            setattr(tensor_cls, fn.__name__, fn)
    namespace.setdefault("nonzero_static", nonzero_static)
