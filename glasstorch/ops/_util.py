"""Helpers shared by the op modules: dim normalization, casts, wrapping arrays."""
from ..tensor import _make, _wrap_dim

__all__ = []


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


def to_dtype(t, dt):
    """t cast to glasstorch dtype `dt` (differentiable for floats); t itself when equal."""
    if t._data.dtype == dt.np:
        return t
    from .convert import _cast
    return _cast(t, dt)


def new_tensor(arr):
    return _make(arr)
