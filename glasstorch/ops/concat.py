"""Joining and splitting, the two directions of one operation: cat/stack join tensors along
a dim (copies), split/chunk/unbind cut one into views along a dim. Each is the other's
gradient (cat's backward narrows gy into the pieces, split's backward cats the pieces' grads;
stack and unbind likewise), so they live side by side here. join.py re-exports cat and stack
with its friends (hstack, meshgrid, ...); narrow/select, which the views are made of, are in
slice.py.

cat's result dtype is PyTorch's promotion of all inputs; legacy empty 1-D tensors are skipped
as in torch.
"""
from operator import index as _index

from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import _make, _wrap_dim
from ._strides import _as_view
from .slice import _narrow_array, narrow, select

__all__ = ["cat", "concat", "concatenate", "stack", "split", "chunk", "unbind"]


# ---- joining: cat, stack ------------------------------------------------------------------------
def _result_dtype(tensors):
    dt = tensors[0].dtype
    for x in tensors[1:]:
        dt = _dtype.promote_types(dt, x.dtype)
    return dt


def _skipped(a):
    # torch: legacy empty 1-D tensors take no part in cat (except for the result dtype)
    return a.ndim == 1 and a.shape[0] == 0


class Cat(Op, name="cat"):
    """y = the inputs joined along dim (in the promoted dtype);  dy/dx_i = the slice of gy
    where x_i sits."""

    @staticmethod
    def forward(ctx, *xs, dim, dtype):
        parts = [x for x in xs if not _skipped(x)]
        if not parts:
            parts = xs
        ctx.dim = dim
        ctx.sizes = [None if _skipped(x) and parts is not xs else x.shape[dim] for x in xs]
        return _xp.concatenate(parts, axis=dim, dtype=dtype.np, casting="unsafe")

    @staticmethod
    def backward(ctx, gy):
        grads, start = [], 0
        for s in ctx.sizes:
            if s is None:
                grads.append(_make(_xp.zeros(0, dtype=gy._data.dtype)))
            else:
                grads.append(narrow(gy, ctx.dim, start, s))
                start += s
        return tuple(grads)


def cat(tensors, dim=0, *, out=None):
    """The tensors joined along an existing dim; dtypes promote as in arithmetic."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    ref = None
    for i, x in enumerate(tensors):
        if x._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
        if ref is None and not _skipped(x._data):
            ref = i
    shape = tensors[ref or 0]._data.shape
    d = _wrap_dim(dim, len(shape))
    for i, x in enumerate(tensors):
        s = x._data.shape
        if _skipped(x._data) and ref is not None:
            continue
        if len(s) != len(shape):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(shape)} "
                               f"and {len(s)}")
        for k, (a, b) in enumerate(zip(shape, s)):
            if k != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {a} but got size {b} for tensor number {i} "
                                   f"in the list. (cat: shapes {list(shape)} and {list(s)})")
    return Cat.apply(*tensors, dim=d, dtype=_result_dtype(tensors))


def concat(tensors, dim=0, *, out=None):
    return cat(tensors, dim)


def concatenate(tensors, dim=0, out=None):
    return cat(tensors, dim)


class Stack(Op, name="stack"):
    """y = the inputs joined along a new dim;  dy/dx_i = gy[..., i, ...]."""

    @staticmethod
    def forward(ctx, *xs, dim, dtype):
        ctx.dim = dim
        return _xp.stack(xs, axis=dim, dtype=dtype.np, casting="unsafe")

    @staticmethod
    def backward(ctx, gy):
        return unbind(gy, ctx.dim)


def stack(tensors, dim=0, *, out=None):
    """Same-shape tensors joined along a new dim `dim`."""
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(x._data.shape)} at entry "
                               f"{i}")
    d = _wrap_dim(dim, len(shape) + 1)
    return Stack.apply(*tensors, dim=d, dtype=_result_dtype(tensors))


# ---- splitting: split, chunk, unbind (views) -----------------------------------------------------
class Split(Op, name="split", view=True):
    """ys = consecutive pieces of x along dim (views);  dy/dx = the pieces' grads joined."""

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.dim = dim
        out, start = [], 0
        for s in sizes:
            out.append(_narrow_array(x, dim, start, s))
            start += s
        return tuple(out)

    @staticmethod
    def backward(ctx, *gys):
        return cat(gys, ctx.dim), None, None


class SplitWithSizes(Split, name="split_with_sizes", view=True):
    """ys = pieces of x of the given sizes along dim (views);  dy/dx = their grads joined."""


def _split(input, d, sizes, op):
    outs = op.apply(input, d, sizes)
    start = 0
    for o, s in zip(outs, sizes):
        _as_view(input, o, lambda t, b=start, s=s: narrow(t, d, b, s))
        start += s
    return outs


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of `split_size` along `dim` (the last may be smaller), or of the listed sizes."""
    n = tensor._data.ndim
    if n == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor (split: input "
                           "shape [], a 0-d tensor)")
    d = _wrap_dim(dim, n)
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = _int_sizes(split_size_or_sections)
        if any(s < 0 for s in sizes):
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={list(sizes)}")
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={list(sizes)}")
        return _split(tensor, d, sizes, SplitWithSizes)
    s = _int_sizes((split_size_or_sections,))[0]
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and size:
        raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {size}")
    count = max(-(-size // s), 1) if s else 1
    sizes = (s,) * (count - 1) + (size - s * (count - 1),)
    return _split(tensor, d, sizes, Split)


def _int_sizes(values):
    """split sizes as ints; torch's TypeError for a float (int() took 1.5 as 1)."""
    try:
        return tuple(_index(v) for v in values)
    except TypeError:
        bad = next(v for v in values if not hasattr(v, "__index__"))
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 2) must be tuple "
                        f"of ints, not {type(bad).__name__}") from None


def chunk(input, chunks, dim=0):
    """`chunks` pieces of equal size ceil(n/chunks) along `dim` (fewer when n is small)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input._data.ndim
    if n == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, n)
    size = input._data.shape[d]
    if size == 0:  # torch: `chunks` empty pieces
        return _split(input, d, (0,) * chunks, Split)
    return split(input, -(-size // chunks), d)


class Unbind(Op, name="unbind", view=True):
    """ys = x[i] along dim, one per index (views);  dy/dx = the grads stacked."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        pre = (slice(None),) * dim
        return tuple(x[pre + (i, Ellipsis)] for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *gys):
        return stack(gys, ctx.dim), None


def unbind(input, dim=0):
    n = input._data.ndim
    if n == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions (unbind: a 0-d "
                         "tensor has no dim to split)")
    d = _wrap_dim(dim, n)
    outs = Unbind.apply(input, d)
    for i, o in enumerate(outs):
        _as_view(input, o, lambda t, i=i: select(t, d, i))
    return outs
