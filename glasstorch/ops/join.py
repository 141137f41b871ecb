"""Ops that copy: the friends of cat/stack (hstack, vstack, dstack, column_stack, atleast_nd,
meshgrid), repeat/tile/repeat_interleave, flip/fliplr/flipud, roll, tril/triu. cat and stack
themselves are in concat.py, next to split/unbind (each the other's gradient), and re-exported
here. Views (no copy) are in view.py and slice.py.
"""
from operator import index as _index

from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor, _make, _wrap_dim
from .concat import cat, concat, concatenate, stack  # noqa: F401  (ops.join.cat & co)
from ._strides import _list_kw, _shape_arg
from .view import expand, reshape, unsqueeze, view

__all__ = ["repeat_interleave", "repeat", "tile", "flip", "fliplr", "flipud", "roll", "tril",
           "triu", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
           "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "meshgrid"]


# ---- copies: flip, roll, tril/triu, repeat/tile ------------------------------------------------
class Flip(Op, name="flip"):
    """y = x reversed along dims (a copy);  dy/dx = gy reversed back."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return _xp.flip(x, dims).copy(order="K")  # torch: the copy keeps x's layout

    @staticmethod
    def backward(ctx, gy):
        return flip(gy, ctx.dims), None


def flip(input, *args, dims=None):
    dims = _shape_arg(args if dims is None else _list_kw(args, dims, "flip", "dims"))
    n = input._data.ndim
    wrapped = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"dim {wrapped[0]} appears multiple times in the list of dims")
    # a 0-d tensor has one element: flipping it (dim 0 or -1, as torch wraps) changes nothing
    return Flip.apply(input, wrapped if n else ())


def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Op, name="roll"):
    """y = x shifted cyclically along dims (dims None: over the flattened tensor);
    dy/dx = gy shifted back."""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return _xp.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, gy):
        return roll(gy, tuple(-s for s in ctx.shifts), ctx.dims), None, None


def roll(input, shifts, dims=None):
    try:
        one = not hasattr(shifts, "__iter__") or getattr(shifts, "ndim", 1) == 0
        shifts = (_index(shifts),) if one else tuple(_index(s) for s in shifts)
    except TypeError:
        raise TypeError(f"roll(): argument 'shifts' (position 1) must be tuple of ints, not "
                        f"{type(shifts).__name__}") from None
    n = input._data.ndim
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return Roll.apply(input, shifts, None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    if n == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions "
                         "(roll: a 0-d tensor)")
    return Roll.apply(input, shifts, tuple(_wrap_dim(d, n) for d in dims))


class Tril(Op, name="tril"):
    """y = x with the elements above the `diagonal`-th diagonal zeroed (last two dims);
    dy/dx = gy with the same elements zeroed."""

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.k = diagonal
        return _xp.tril(x, diagonal)

    @staticmethod
    def backward(ctx, gy):
        return tril(gy, ctx.k), None


class Triu(Op, name="triu"):
    """y = x with the elements below the `diagonal`-th diagonal zeroed (last two dims);
    dy/dx = gy with the same elements zeroed."""

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.k = diagonal
        return _xp.triu(x, diagonal)

    @staticmethod
    def backward(ctx, gy):
        return triu(gy, ctx.k), None


def tril(input, diagonal=0):
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, int(diagonal))


def triu(input, diagonal=0):
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, int(diagonal))


class Repeat(Op, name="repeat"):
    """y = x tiled `repeats[i]` times along dim i (a copy);  dy/dx = gy summed over the
    copies."""

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.in_shape = x.shape
        shape = (1,) * (len(repeats) - x.ndim) + x.shape
        # (r0, s0, r1, s1, ...): x broadcast along the r axes, then merged into (r0*s0, ...)
        ctx.inter = sum(((r, s) for r, s in zip(repeats, shape)), ())
        pairs = x.reshape(sum(((1, s) for s in shape), ()))
        out = tuple(r * s for r, s in zip(repeats, shape))
        return _xp.reshape(_xp.broadcast_to(pairs, ctx.inter), out, copy=True)

    @staticmethod
    def backward(ctx, gy):
        g = gy.reshape(ctx.inter).sum(tuple(range(0, len(ctx.inter), 2)))
        return g.reshape(ctx.in_shape), None


def repeat(input, *sizes, repeats=None):
    sizes = _shape_arg(sizes if repeats is None else _list_kw(sizes, repeats, "repeat",
                                                               "repeats"))
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    for s in sizes:
        if s < 0:
            out = [s * d for s, d in zip(sizes, (1,) * (len(sizes) - input._data.ndim)
                                         + input._data.shape)]
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return Repeat.apply(input, sizes)


def tile(input, *args, dims=None):
    """`repeat` with `dims` padded with leading 1s to the tensor's ndim."""
    dims = _shape_arg(args if dims is None else _list_kw(args, dims, "tile", "dims"))
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


# ---- cat's and stack's friends: atleast_nd, hstack/vstack/dstack/column_stack, meshgrid ----
def _atleast(tensors, fn):
    if len(tensors) == 1:
        if isinstance(tensors[0], Tensor):
            return fn(tensors[0])
        tensors = tensors[0]
    return tuple(fn(x) for x in tensors)


def _at1(x):
    return reshape(x, 1) if x._data.ndim == 0 else x


def _at2(x):
    n = x._data.ndim
    return reshape(x, 1, 1) if n == 0 else unsqueeze(x, 0) if n == 1 else x


def _at3(x):
    n = x._data.ndim
    if n == 0:
        return reshape(x, 1, 1, 1)
    if n == 1:
        return unsqueeze(unsqueeze(x, 0), -1)
    return unsqueeze(x, -1) if n == 2 else x


def atleast_1d(*tensors):
    return _atleast(tensors, _at1)


def atleast_2d(*tensors):
    return _atleast(tensors, _at2)


def atleast_3d(*tensors):
    return _atleast(tensors, _at3)


def hstack(tensors):
    """Joined column-wise: along dim 0 for 1-D tensors, else dim 1."""
    tensors = [_at1(x) for x in tensors]
    return cat(tensors, 0 if tensors and tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    """Joined row-wise (1-D tensors become rows)."""
    return cat([_at2(x) for x in tensors], 0)


def dstack(tensors):
    """Joined depth-wise, along dim 2."""
    return cat([_at3(x) for x in tensors], 2)


def column_stack(tensors):
    """0-D and 1-D tensors as columns, joined with the others along dim 1."""
    return cat([reshape(x, -1, 1) if x._data.ndim <= 1 else x for x in tensors], 1)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: output i varies along dim i (indexing "ij") or with the first two
    dims swapped ("xy"); each is an expanded view of its input."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for x in tensors:
        if x._data.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {x}")
        if x.dtype != tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) > 1
    if swap:  # torch: "ij" grids of (b, a, ...), the first two outputs then swapped back
        tensors = (tensors[1], tensors[0]) + tuple(tensors[2:])
    n = len(tensors)
    shape = tuple(x._data.size for x in tensors)
    grids = [expand(view(x, (1,) * i + (-1,) + (1,) * (n - i - 1)), shape)
             for i, x in enumerate(tensors)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element `repeats` times along `dim` (flattened when dim is None):
    an index_select with indices [0]*r0 + [1]*r1 + ..., so the gradient sums the copies.
    `repeat_interleave(counts)` alone gives those indices (torch's one-argument form)."""
    from .index_dim import index_select
    if repeats is None:  # torch.repeat_interleave(repeats): indices repeated by counts
        counts = input._data
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        return _make(_xp.repeat(_xp.arange(counts.shape[0], dtype=_xp.int64), counts))
    if dim is None:
        input, dim = reshape(input, -1), 0
    dim = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[dim] if input._data.ndim else 1
    reps = repeats._data if isinstance(repeats, Tensor) else repeats
    if isinstance(reps, int) or getattr(reps, "ndim", 1) == 0 or getattr(reps, "size", 0) == 1:
        reps = int(reps if isinstance(reps, int) else _xp.asarray(reps).reshape(()))
    elif reps.shape[0] != size:
        raise RuntimeError("repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {reps.shape[0]} and input.size({dim}) = {size}")
    if _xp.any(_xp.asarray(reps) < 0):
        raise RuntimeError("repeats can not be negative")
    idx = _xp.repeat(_xp.arange(size, dtype=_xp.int64), reps)
    if input._data.ndim == 0:
        input = reshape(input, 1)
    return index_select(input, dim, _make(idx))
