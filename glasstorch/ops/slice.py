"""Views of a part of a tensor: narrow, select, diagonal, unfold.

Each is a view (see _strides.py): its backward embeds the gradient into zeros of the input's
shape (`_Embed`), which is itself differentiable. split/chunk/unbind (views too) are in
concat.py, next to cat/stack, their gradients; copying ops are in join.py.
"""
from operator import index as _index

from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import _wrap_dim
from ._strides import _as_view, _elem_strides, _strided

__all__ = ["narrow", "select", "diagonal", "unfold"]


# ---- slicing views: narrow, select, diagonal, unfold ---------------------------------------------
def _narrow_array(x, dim, start, length):
    y = x[(slice(None),) * dim + (slice(start, start + length),)]
    if not length and start:  # NumPy leaves an empty slice where x starts, torch at `start`
        y = _strided(x, y.shape, _elem_strides(y), start * _elem_strides(x)[dim])
    return y


class Slice(Op, name="narrow", view=True):
    """y = elements start..start+length of dim (a view);  dy/dx = gy written into zeros of
    x's shape."""

    @staticmethod
    def _view(x, key):
        return _narrow_array(x, *key)

    @classmethod
    def forward(cls, ctx, x, key):
        ctx.in_shape, ctx.key = x.shape, key
        return cls._view(x, key)

    @staticmethod
    def backward(ctx, gy):
        return _Embed.apply(gy, ctx.in_shape, type(ctx), ctx.key), None


class Select(Slice, name="select", view=True):
    """y = x[..., i, ...] (a view, one dim fewer);  dy/dx = gy written into zeros at i."""

    @staticmethod
    def _view(x, key):
        dim, index = key
        return x[(slice(None),) * dim + (index, Ellipsis)]  # Ellipsis: a 0-d view, no scalar


class Diagonal(Slice, name="diagonal", view=True):
    """y = the diagonal of dims (dim1, dim2) as a last dim (a view);  dy/dx = gy written on
    the diagonal of zeros."""

    @staticmethod
    def _view(x, key):
        offset, d1, d2 = key
        shape, st = x.shape, _elem_strides(x)
        if offset >= 0:
            n = max(min(shape[d1], shape[d2] - offset), 0)
            start = offset * st[d2] if n else 0
        else:
            n = max(min(shape[d1] + offset, shape[d2]), 0)
            start = -offset * st[d1] if n else 0
        keep = [d for d in range(x.ndim) if d not in (d1, d2)]
        return _strided(x, tuple(shape[d] for d in keep) + (n,),
                        tuple(st[d] for d in keep) + (st[d1] + st[d2],), start)


class _Embed(Op, name="view_backward"):
    """z = zeros(shape) with view(z) = g (the adjoint of a view);  dz/dg = view(gz)."""

    @staticmethod
    def forward(ctx, g, shape, op, key):
        ctx.op, ctx.key = op, key
        z = _xp.zeros(shape, dtype=g.dtype)
        op._view(z, key)[...] = g
        return z

    @staticmethod
    def backward(ctx, gz):
        return ctx.op.apply(gz, ctx.key), None, None, None


def narrow(input, dim, start, length):
    """Elements start..start+length of `dim` (a view; a negative start counts from the end)."""
    n = input._data.ndim
    if n == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = _wrap_dim(dim, n)
    size = input._data.shape[d]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}). (narrow: dim {d} of input shape {list(input.shape)})")
    out = Slice.apply(input, (d, start, length))
    return _as_view(input, out, lambda t: narrow(t, d, start, length))


def select(input, dim, index):
    """x[..., index, ...] along `dim` (a view without that dim)."""
    n = input._data.ndim
    if n == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, n)
    size = input._data.shape[d]
    try:
        index = _index(index)
    except TypeError:
        raise TypeError(f"select(): argument 'index' (position 2) must be int, not "
                        f"{type(index).__name__}") from None
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input._data.shape)} at dimension {dim}")
    if index < 0:
        index += size
    out = Select.apply(input, (d, index))
    return _as_view(input, out, lambda t: select(t, d, index))


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal `offset` above (below if negative) the main one of dims (dim1, dim2),
    as the last dim of a view."""
    n = input._data.ndim
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    key = (int(offset), d1, d2)
    out = Diagonal.apply(input, key)
    return _as_view(input, out, lambda t: diagonal(t, *key))


class Unfold(Op, name="unfold", view=True):
    """y = the windows of `size` every `step` along `dim`, in a new last dim (a view);
    dy/dx = each window's grad added back where the window sits (windows may overlap)."""

    @staticmethod
    def forward(ctx, x, dim, size, step):
        ctx.in_shape, ctx.args = x.shape, (dim, size, step)
        if x.ndim == 0:
            return _strided(x, (size,), (1,))
        st = _elem_strides(x)
        n = (x.shape[dim] - size) // step + 1
        shape = x.shape[:dim] + (n,) + x.shape[dim + 1:] + (size,)
        return _strided(x, shape, st[:dim] + (st[dim] * step,) + st[dim + 1:] + (st[dim],))

    @staticmethod
    def backward(ctx, gy):
        return _UnfoldBackward.apply(gy, ctx.in_shape, ctx.args), None, None, None


class _UnfoldBackward(Op, name="unfold_backward"):
    """z = zeros(shape) + every window's values added at its place;  dz/dg = unfold(gz)."""

    @staticmethod
    def forward(ctx, g, shape, args):
        ctx.args = args
        dim, size, step = args
        z = _xp.zeros(shape, dtype=g.dtype)
        if not shape:
            z[...] = g.sum()
            return z
        n = g.shape[dim]
        pre = (slice(None),) * dim
        for k in range(size):  # element k of every window: one strided slice of z
            z[pre + (slice(k, k + step * (n - 1) + 1, step),)] += g[..., k]
        return z

    @staticmethod
    def backward(ctx, gz):
        return unfold(gz, *ctx.args), None, None


def unfold(input, dimension, size, step):
    """All windows of `size` elements, `step` apart, along `dimension` (a view)."""
    n = input._data.ndim
    d = _wrap_dim(dimension, n)
    length = input._data.shape[d] if n else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is "
                           f"{size} (unfold: input shape {list(input.shape)})")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    out = Unfold.apply(input, d, size, step)
    return _as_view(input, out, lambda t: unfold(t, d, size, step))
