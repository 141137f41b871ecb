"""Masked ops: where, masked_fill, masked_select, masked_scatter, nonzero, argwhere.

A mask is a bool tensor broadcast against the input; gradients go where the mask selects and
zeros elsewhere (where's backward is two masked copies of gy).
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor, _make
from . import _inplace, view as _view
from ._index_parse import _broadcast_shape
from ._util import check_number, to_dtype
from .index import Index, IndexGrad, _type_word

__all__ = ["masked_fill", "masked_select", "masked_scatter", "where", "nonzero", "argwhere"]


# ---- masks and where -----------------------------------------------------------------------------
def _mask_arg(mask, msg):
    if not isinstance(mask, Tensor) or mask._data.dtype != bool:
        raise RuntimeError(msg)
    return mask._data


class Where(Op, name="where"):
    """y = a where cond else b;  dy/da = gy where cond (else 0), dy/db = gy elsewhere."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save(cond=cond)
        return _xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        cond = _make(ctx.cond)
        zero = _make(_xp.zeros((), gy._data.dtype))
        ga = Where.apply(cond, gy, zero) if need[1] else None
        gb = Where.apply(cond, zero, gy) if need[2] else None
        return None, ga, gb


def where(condition, input=None, other=None):
    """Elementwise `input if condition else other` (broadcast; numbers allowed, promoted like
    torch's binary ops). `where(condition)` alone is `nonzero(condition, as_tuple=True)`.

    >>> import glasstorch
    >>> x = glasstorch.tensor([-1.0, 2.0])
    >>> glasstorch.where(x > 0, x, 0)
    tensor([0., 2.])
    """
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    c = condition._data
    if c.dtype == _xp.uint8:   # torch: deprecated, still accepted
        c = c.astype(bool)
    elif c.dtype != bool:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_type_word(condition)}")
    rt = _dtype.result_type(input, other)
    a = to_dtype(input, rt) if isinstance(input, Tensor) else _xp.asarray(input, dtype=rt.np)
    b = to_dtype(other, rt) if isinstance(other, Tensor) else _xp.asarray(other, dtype=rt.np)
    _broadcast_shape(c.shape, _xp.shape(a._data if isinstance(a, Tensor) else a),
                     _xp.shape(b._data if isinstance(b, Tensor) else b))
    return Where.apply(_make(c), a, b)


class MaskedFill(Op, name="masked_fill"):
    """y = value where mask else x (shapes broadcast);  dy/dx = gy where not mask,
    dy/dvalue = sum of gy where mask."""

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save(mask=mask)
        v = _xp.asarray(value).astype(x.dtype)
        if mask.shape != x.shape and _xp.broadcast_shapes(mask.shape, x.shape) != x.shape:
            return _xp.where(mask, v, x)   # a larger result (refused by x.masked_fill_)
        y = _inplace.writable(x)   # x itself for x.masked_fill_ (_inplace.py)
        _xp.copyto(y, v, where=mask)
        return y

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        mask = _make(ctx.mask)
        zero = _make(_xp.zeros((), gy._data.dtype))
        gx = Where.apply(mask, zero, gy) if need[0] else None
        gv = Where.apply(mask, gy, zero).sum() if need[2] else None
        return gx, None, gv


def masked_fill(input, mask, value):
    """input with value where mask is True (mask broadcasts); value a number or 0-d tensor.

    >>> import glasstorch
    >>> glasstorch.zeros(2, 2).masked_fill(glasstorch.tensor([True, False]), -1)
    tensor([[-1.,  0.],
            [-1.,  0.]])
    """
    if not isinstance(mask, Tensor) or mask._data.dtype != bool:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           + _dtype_word(mask))
    if not isinstance(value, Tensor):
        check_number(value, "masked_fill", "value", 2)
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    _broadcast_shape(input._data.shape, mask._data.shape)
    return MaskedFill.apply(input, mask._data, value)


def _dtype_word(t):
    # torch's C++ names in mask errors: "unsigned char", "float", ...
    return _dtype.c_type_name(t._data.dtype)


def masked_select(input, mask):
    """The elements of input where mask is True (both broadcast), as a 1-D copy."""
    m = _mask_arg(mask, "masked_select: expected BoolTensor for mask")
    shape = _broadcast_shape(input._data.shape, m.shape)
    if input._data.shape != shape:
        input = _view.expand(input, shape)
    return Index.apply(input, (Ellipsis,), (_xp.broadcast_to(m, shape),))


class MaskedScatter(Op, name="masked_scatter"):
    """y = x with the places where mask is True filled, in order, by source's first elements;
    dy/dx = gy where not mask, dy/dsource = gy[mask] then zeros (unused source elements)."""

    @staticmethod
    def forward(ctx, x, mask, source, n):
        ctx.save(mask=mask)
        ctx.src_shape, ctx.n = source.shape, n
        if mask.shape == x.shape:
            y = _inplace.writable(x)   # x itself for x.masked_scatter_ (_inplace.py)
        else:
            y = _xp.broadcast_to(x, mask.shape).copy()
        y[mask] = source.reshape(-1)[:n]
        return y

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        mask = _make(ctx.mask)
        gx = gsrc = None
        if need[0]:
            gx = Where.apply(mask, _make(_xp.zeros((), gy._data.dtype)), gy)
        if need[2]:
            picked = Index.apply(gy, (Ellipsis,), (ctx.mask,))
            size = 1
            for s in ctx.src_shape:
                size *= s
            gsrc = IndexGrad.apply(picked, (size,), (slice(0, ctx.n), Ellipsis), None)
            gsrc = gsrc.reshape(ctx.src_shape)
        return gx, None, gsrc, None


def masked_scatter(input, mask, source):
    """input with source's elements copied, in order, where mask is True (mask broadcasts)."""
    if not isinstance(mask, Tensor) or mask._data.dtype != bool:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {_type_word(mask) if isinstance(mask, Tensor) else mask}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but "
                           f"got{_type_word(input)} and {_type_word(source)}")
    shape = _broadcast_shape(input._data.shape, mask._data.shape)
    m = _xp.broadcast_to(mask._data, shape)
    n = int(m.sum())
    if n > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatter.apply(input, m, source, n)


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or (as_tuple) one 1-D
    tensor per dim (a 0-d input counts as 1-D)."""
    x = input._data
    if as_tuple:
        return tuple(_make(i.astype(_xp.int64, copy=False))
                     for i in _xp.nonzero(x.reshape(-1) if x.ndim == 0 else x))
    return _make(_xp.argwhere(x).astype(_xp.int64, copy=False))


def argwhere(input):
    """nonzero(input): an (n, ndim) int64 tensor of the non-zero positions."""
    return nonzero(input)
