"""Helpers shared by the op modules: scalar handling, dim normalization."""
from .. import _dtype
from ..tensor import Tensor, _make, _wrap_dim
from ..backend import xp as _xp

__all__ = []


def wrap_dim(dim, ndim):
    return _wrap_dim(dim, ndim)


def dims_tuple(dim, ndim):
    """None -> all dims; int or sequence -> sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        return (_wrap_dim(dim, ndim),)
    out = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out} appears multiple times in the list of dims")
    return out


def as_tensor_like(value, ref):
    """A non-Tensor operand (number, list, array) as a Tensor (no grad)."""
    if isinstance(value, Tensor):
        return value
    from ..creation import as_tensor
    return as_tensor(value)


def to_dtype(t, dt):
    """t cast to glasstorch dtype `dt` (differentiable for floats); t itself when equal."""
    if t._data.dtype == dt.np:
        return t
    from .convert import _cast
    return _cast(t, dt)


def np_scalar(value, dt):
    """A Python number as a 0-d array of dtype `dt` (keeps float32 math in float32)."""
    return _xp.asarray(value, dtype=dt.np)


def new_tensor(arr):
    return _make(arr)
