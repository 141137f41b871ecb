"""Reductions: sum, mean, var/std, prod, max/min, logsumexp, cumsum, norm, all/any.

`dim=None` reduces every dim; `keepdim` keeps reduced dims as size 1. Backward expands the
incoming gradient back over the reduced dims (unsqueeze + broadcast).
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor, _make
from ._util import dims_tuple, to_dtype

__all__ = ["sum"]


def _expand_back(gy, shape, dims, keepdim):
    """Grad of a reduction: put the reduced dims back (size 1) and broadcast to `shape`."""
    if not keepdim and dims:
        gy = gy.reshape(tuple(1 if i in dims else s for i, s in enumerate(shape)))
    return gy.expand(shape)


class Sum(Op, name="sum"):
    """y = sum of x over dims;  dy/dx = 1 (gy broadcast back over the summed dims)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, gy):
        return _expand_back(gy, ctx.shape, ctx.dims, ctx.keepdim), None, None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over `dim` (all dims when None). Integer and bool inputs sum as int64 (torch)."""
    if dtype is not None:
        input = to_dtype(input, dtype)
    elif input._data.dtype.kind in "iub":
        input = to_dtype(input, _dtype.int64)
    dims = dims_tuple(dim, input._data.ndim) if dim is not None and dim != () else \
        tuple(range(input._data.ndim))
    return Sum.apply(input, dims, keepdim)
