"""Shape ops and views: view, reshape, permute/transpose, expand, squeeze/unsqueeze, flatten,
cat/stack/split/chunk/unbind, narrow/select, flip, roll, repeat/tile, ...

A *view* shares its input's memory: `_as_view` records the base tensor, shares its version
counter (so in-place writes through either are seen by autograd's checks) and keeps a
`_view_fn` that replays the view on another tensor (used by in-place ops on views, see
_inplace.py). `view` never copies and raises when the layout does not allow it; `reshape`
is `view` when possible and a copy otherwise -- exactly PyTorch's contract.
"""
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor, _make, _wrap_dim

__all__ = ["reshape", "view", "permute", "transpose", "expand", "broadcast_to"]


def _as_view(x, out, fn):
    """Mark `out` as a view of `x`; `fn(t)` redoes the same view on tensor `t`."""
    base = x._base
    if base is None:
        out._base = x
        out._view_fn = fn
    else:
        prev = x._view_fn
        out._base = base
        out._view_fn = lambda t: fn(prev(t))
    out._vc = x._vc
    return out


def _shape_arg(shape):
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer_shape(shape, numel):
    """Resolve one -1; PyTorch's error message for sizes that do not fit."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class View(Op, name="view", view=True):
    """y = x with a new shape, same memory;  dy/dx = gy reshaped back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        try:
            return _xp.reshape(x, shape, copy=False)
        except ValueError:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) "
                "instead.") from None

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(ctx.in_shape), None


class Reshape(Op, name="reshape"):
    """y = x with a new shape (a view when the layout allows, else a copy);  dy/dx = gy
    reshaped back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(ctx.in_shape), None


def view(input, *shape):
    """Same memory, new shape (one dim may be -1); RuntimeError if the strides don't allow it.
    `view(dtype)` reinterprets the bytes (no gradient)."""
    from .._dtype import dtype as _dt
    if len(shape) == 1 and isinstance(shape[0], _dt):
        return _as_view(input, _make(input._data.view(shape[0].np)), lambda t: view(t, shape[0]))
    shape = _infer_shape(_shape_arg(shape), input._data.size)
    out = View.apply(input, shape)
    return _as_view(input, out, lambda t: view(t, shape))


def reshape(input, *shape):
    shape = _infer_shape(_shape_arg(shape), input._data.size)
    if shape == input._data.shape:
        return view(input, shape)
    out = Reshape.apply(input, shape)
    if _xp.may_share_memory(out._data, input._data):
        _as_view(input, out, lambda t: reshape(t, shape))
    return out


class Permute(Op, name="permute", view=True):
    """y = x with dims reordered (a view);  dy/dx = gy permuted by the inverse order."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, gy):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return gy.permute(*inv), None


def permute(input, *dims):
    dims = _shape_arg(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}"
                           .replace("(sparse_coo)", ""))
    dims = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    out = Permute.apply(input, dims)
    return _as_view(input, out, lambda t: permute(t, dims))


def transpose(input, dim0, dim1):
    n = input._data.ndim
    if n == 0:
        return view(input, ())
    d0, d1 = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return permute(input, dims)


class Expand(Op, name="expand", view=True):
    """y = x broadcast to a larger shape (a view, stride 0);  dy/dx = gy summed over the
    broadcast dims (the engine's sum_to does it)."""

    @staticmethod
    def forward(ctx, x, shape):
        return _xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, gy):
        return gy, None


def expand(input, *sizes):
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    n, m = len(sizes), len(shape)
    if n < m:
        raise RuntimeError(f"expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the "
                           "number of sizes provided ({n}) must be greater or equal to the number "
                           f"of dimensions in the tensor ({m})".replace("{n}", str(n)))
    out_shape = []
    for i, s in enumerate(sizes):
        j = i - (n - m)
        if j < 0:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   "leading, non-existing dimension 0")
            out_shape.append(s)
            continue
        if s == -1:
            s = shape[j]
        elif shape[j] != 1 and s != shape[j]:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({shape[j]}) at non-singleton dimension {i}.  Target "
                               f"sizes: {list(sizes)}.  Tensor sizes: {list(shape)}")
        out_shape.append(s)
    out_shape = tuple(out_shape)
    if out_shape == shape:
        return view(input, shape)
    out = Expand.apply(input, out_shape)
    return _as_view(input, out, lambda t: expand(t, out_shape))


broadcast_to = expand
