"""Sorting and selection: sort, argsort, msort, topk, kthvalue, unique.

The order is computed on arrays (no gradient: indices are int64); the values are then read
with a gather along `dim`, so their gradient is gather's: gy scattered back to where each value
came from (ops/gather.py). Sort, Topk and Kthvalue are Gather under torch's grad_fn names.
Ties keep their original order (a stable sort) and NaN sorts as the largest value, as in
PyTorch on CPU. Results with values and indices are `torch.return_types`-like named tuples.
"""
from collections import namedtuple

from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import _make, _wrap_dim
from .gather import Gather

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique"]


def _return_type(name, fields):
    """A named tuple printing as `torch.return_types.<name>(values=..., indices=...)`."""
    base = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__})
    cls.__qualname__ = f"_{name}_result"   # the module attribute below, so pickle finds it
    return cls


_sort_result = _return_type("sort", ("values", "indices"))
_topk_result = _return_type("topk", ("values", "indices"))
_kthvalue_result = _return_type("kthvalue", ("values", "indices"))


class Sort(Gather, name="sort"):
    """values = x gathered at the sorting order;  dy/dx = gy scattered back to the order."""


class Topk(Gather, name="topk"):
    """values = x gathered at the k first of the order;  dy/dx = gy scattered back there."""


class Kthvalue(Gather, name="kthvalue"):
    """value = x gathered at the k-th of the order (dim dropped unless keepdim);  dy/dx = gy
    scattered back there."""

    @staticmethod
    def forward(ctx, x, dim, index, keepdim):
        y = Gather.forward(ctx, x, dim, index)
        return y if keepdim or not x.ndim else y.squeeze(dim)

    @staticmethod
    def backward(ctx, gy):
        return Gather.backward(ctx, gy.reshape(ctx.index.shape)) + (None,)


def _order(x, dim, descending):
    """Stable argsort along dim (int64). Descending keeps ties in their original order too:
    sort the reversed array ascending, reverse the result, map positions back."""
    if x.ndim == 0:
        return _xp.zeros((), dtype=_xp.int64)
    if not descending:
        return _xp.argsort(x, axis=dim, kind="stable")
    n = x.shape[dim]
    order = _xp.flip(_xp.argsort(_xp.flip(x, dim), axis=dim, kind="stable"), dim)
    return (n - 1) - order


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) of input sorted along dim; ties keep their order (stable).

    >>> import glasstorch
    >>> glasstorch.tensor([3.0, 1.0, 2.0]).sort(descending=True).indices
    tensor([0, 2, 1])
    """
    dim = _wrap_dim(dim, input._data.ndim)
    idx = _order(input._data, dim, descending)
    return _sort_result(Sort.apply(input, dim, idx), _make(idx))


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort input along dim (int64)."""
    return _make(_order(input._data, _wrap_dim(dim, input._data.ndim), descending))


def msort(input):
    """input sorted along dim 0 (values only)."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (largest=False: smallest) along dim, in order.

    >>> import glasstorch
    >>> glasstorch.tensor([1.0, 5.0, 3.0]).topk(2).values
    tensor([5., 3.])
    """
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    dim = _wrap_dim(dim, x.ndim)
    size = x.shape[dim] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range (topk: k={k}, dim {dim} has size "
                           f"{size}, input shape {list(x.shape)})")
    idx = _order(x, dim, largest)
    if x.ndim:
        idx = _xp.take(idx, _xp.arange(k), axis=dim)
    return _topk_result(Topk.apply(input, dim, idx), _make(idx))


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element (k counts from 1) along dim."""
    x = input._data
    if x.dtype.kind == "b":
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    dim = _wrap_dim(dim, x.ndim)
    size = x.shape[dim] if x.ndim else 1
    if size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {dim} to have non-zero size.")
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    idx = _order(x, dim, False)
    if x.ndim:
        idx = _xp.take(idx, [k - 1], axis=dim)
    values = Kthvalue.apply(input, dim, idx, keepdim)
    if not keepdim and x.ndim:
        idx = idx.squeeze(dim)
    return _kthvalue_result(values, _make(idx))


class Unique(Op, name="unique"):
    """y = the distinct values of x, sorted;  no derivative (as in torch)."""

    @staticmethod
    def forward(ctx, x, values):
        # values come from np.unique with the inverse and counts; the op only ties them to
        # x's graph, so that backward fails the way torch's does
        return values

    @staticmethod
    def backward(ctx, gy):
        raise NotImplementedError("the derivative for '_unique2' is not implemented.")


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (dim=None, flattened) or distinct slices along dim, sorted;
    optionally the inverse (where each element went) and the counts. NaNs stay distinct.

    >>> import glasstorch
    >>> glasstorch.unique(glasstorch.tensor([3, 1, 3]), return_counts=True)
    (tensor([1, 3]), tensor([1, 2]))
    """
    x = input._data
    if dim is None:
        values, inverse, counts = _xp.unique(x.reshape(-1), return_inverse=True,
                                             return_counts=True, equal_nan=False)
        inverse = inverse.reshape(x.shape)
    else:
        dim = _wrap_dim(dim, x.ndim)
        if any(s == 0 for d, s in enumerate(x.shape) if d != dim):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        values, inverse, counts = _xp.unique(x, axis=dim, return_inverse=True,
                                             return_counts=True, equal_nan=False)
        inverse = inverse.reshape(-1)
    out = Unique.apply(input, values)
    if not return_inverse and not return_counts:
        return out
    res = (out,)
    if return_inverse:
        res += (_make(inverse.astype(_xp.int64, copy=False)),)
    if return_counts:
        res += (_make(counts.astype(_xp.int64, copy=False)),)
    return res
