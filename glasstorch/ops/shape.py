"""Shape ops and views: view, reshape, permute/transpose, expand, squeeze/unsqueeze, flatten,
cat/stack/split/chunk/unbind, narrow/select, diagonal, unfold, flip, roll, repeat/tile, ...

A *view* shares its input's memory: `_as_view` records the base tensor, shares its version
counter (so in-place writes through either are seen by autograd's checks) and keeps a
`_view_fn` that replays the view on another tensor (used by in-place ops on views, see
_inplace.py). `view` never copies and raises when the layout does not allow it; `reshape`
is `view` when possible and a copy otherwise -- exactly PyTorch's contract. A view gets the
strides PyTorch would give it (`_view_strides`, `_strided`), so `stride()`, `is_contiguous()`
and whether a later `view` succeeds match PyTorch, not NumPy's own choices.
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor, Size, _make, _wrap_dim
from ._inplace import _check_leaf, _type_word as _word
from ._util import dims_tuple
from .convert import Clone

__all__ = ["repeat_interleave", "reshape", "view", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim",
           "moveaxis", "squeeze", "unsqueeze", "flatten", "ravel", "unflatten", "expand",
           "broadcast_to", "broadcast_tensors", "broadcast_shapes", "repeat", "tile", "split",
           "chunk", "unbind", "narrow", "select", "diagonal", "unfold", "flip", "fliplr",
           "flipud", "roll", "tril", "triu", "cat", "concat", "concatenate", "stack", "hstack",
           "vstack", "dstack", "column_stack", "atleast_1d", "atleast_2d", "atleast_3d",
           "meshgrid", "contiguous", "is_contiguous"]


# ---- views: bookkeeping and strides ------------------------------------------------------------
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
    out._gv = x._vc[0]  # the version its grad_fn belongs to (see node._refresh_view)
    return out


def _root(a):
    """The array owning `a`'s memory (walks `.base`; as_strided puts a wrapper in between)."""
    while True:
        b = a.base
        if b is None:
            return a
        if not isinstance(b, _xp.ndarray):
            b = getattr(b, "base", None)
            if not isinstance(b, _xp.ndarray):
                return a
        a = b


def _ptr(a):
    return a.__array_interface__["data"][0]


def _strided(a, shape, strides, offset=0):
    """A view of `a`'s memory with `shape` and element `strides`, starting `offset` elements
    after `a`'s first element (PyTorch's as_strided). Built on the owning array so that
    `.base` leads to it (storage_offset, untyped_storage)."""
    isz = a.itemsize
    bst = tuple(s * isz for s in strides)
    try:
        if a.flags.forc:  # a C/F-contiguous array exports its memory itself (fast)
            y = _xp.ndarray(shape, a.dtype, a, offset * isz, bst)
        else:
            root = _root(a)
            y = _xp.ndarray(shape, a.dtype, root, _ptr(a) - _ptr(root) + offset * isz, bst)
    except (TypeError, ValueError, BufferError):  # no buffer to build on: NumPy's way
        as_strided = _xp.lib.stride_tricks.as_strided
        y = as_strided(as_strided(a, (offset + 1,), (isz,))[offset:], shape, bst)
    if not a.flags.writeable:
        y.flags.writeable = False
    return y


def _elem_strides(a):
    """Strides in elements. NumPy gives freshly allocated empty arrays all-zero strides where
    torch has the contiguous ones (max(size, 1) products)."""
    isz = a.itemsize
    st = tuple(s // isz for s in a.strides)
    if not a.size and a.ndim and not any(st):
        out, step = [], 1
        for size in reversed(a.shape):
            out.append(step)
            step *= max(size, 1)
        st = tuple(reversed(out))
    return st


def strides_of(input):
    """`Tensor.stride()`: the array's strides in elements, as torch reports them."""
    return _elem_strides(input._data)


def _view_strides(shape, strides, new):
    """PyTorch's computeStride: the strides of `new` as a view of (shape, strides), or None
    when a dimension of `new` would span two non-mergeable memory chunks."""
    if not shape:
        return (1,) * len(new)
    numel = 1
    for s in shape:
        numel *= s
    if numel == 0:
        # torch: strides are arbitrary without elements; keep them, or use contiguous ones
        if tuple(shape) == tuple(new):
            return tuple(strides)
        out = [1] * len(new)
        for d in range(len(new) - 2, -1, -1):
            out[d] = max(new[d + 1], 1) * out[d + 1]
        return tuple(out)
    out = [0] * len(new)
    view_d = len(new) - 1
    chunk_base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        # a chunk ends where the next-outer dim is not laid out right after this one
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new[view_d] == 1):
                out[view_d] = view_numel * chunk_base
                view_numel *= new[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base = strides[d - 1]
                tensor_numel = view_numel = 1
    return tuple(out) if view_d == -1 else None


def _one_chunk(x):
    # contiguous with a unit last stride: any view of it gets NumPy's (= torch's) C strides
    return x.size and x.flags.c_contiguous and (x.ndim == 0 or x.strides[-1] == x.itemsize)


def _view_array(x, shape):
    """`x` viewed with `shape` and PyTorch's strides; None when no view exists."""
    if _one_chunk(x):
        return x.reshape(shape)
    st = _view_strides(x.shape, _elem_strides(x), shape)
    return None if st is None else _strided(x, shape, st)


def _shape_arg(shape):
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer_shape(shape, numel):
    """Resolve one -1; PyTorch's error message for sizes that do not fit."""
    neg = -1
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if neg >= 0:
                raise RuntimeError("only one dimension can be inferred")
            neg = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                               f"{list(shape)}")
        else:
            known *= s
    if neg >= 0:
        if known == 0:
            if numel == 0:
                raise RuntimeError(f"cannot reshape tensor of 0 elements into shape "
                                   f"{list(shape)} because the unspecified dimension size -1 "
                                   "can be any value and is ambiguous")
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[:neg] + (numel // known,) + shape[neg + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


# ---- view / reshape ----------------------------------------------------------------------------
class View(Op, name="view", view=True):
    """y = x with a new shape, same memory;  dy/dx = gy reshaped back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        y = _view_array(x, shape)
        if y is None:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) "
                "instead.")
        return y

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(ctx.in_shape), None


class Reshape(Op, name="reshape"):
    """y = a copy of x with a new shape (when no view exists; torch: UnsafeViewBackward0);
    dy/dx = gy reshaped back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return _xp.reshape(x, shape, copy=True)

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(ctx.in_shape), None


def view(input, *shape):
    """Same memory, new shape (one dim may be -1); RuntimeError if the strides don't allow it.
    `view(dtype)` reinterprets the bytes (no gradient)."""
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(input, shape[0])
    shape = _infer_shape(_shape_arg(shape), input._data.size)
    out = View.apply(input, shape)
    return _as_view(input, out, lambda t: view(t, shape))


def _view_dtype(input, dt):
    x = input._data
    old, new = x.itemsize, dt.itemsize
    if old != new:
        # torch: the last dim is regrouped into elements of the new size; everything else
        # (other strides, the offset) must land on whole elements of the new size
        what = (f"to view {_type_word(x.dtype)} as {_type_word(dt.np)} (different element "
                "sizes)")
        if x.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        st = input.stride()
        if st[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {st[-1]}")
        if new > old:
            ratio = new // old
            if x.shape[-1] % ratio:
                raise RuntimeError(f"self.size(-1) must be divisible by {ratio} {what}, but "
                                   f"got {x.shape[-1]}")
            off = input.storage_offset()
            if off % ratio:
                raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} "
                                   f"{what}, but got {off}")
            for d, s in enumerate(st[:-1]):
                if s % ratio:
                    raise RuntimeError(f"self.stride({d}) must be divisible by {ratio} {what}, "
                                       f"but got {s}")
    # NumPy regroups the (unit-stride) last dim and keeps the other strides in bytes.
    # torch: an alias sharing the version counter, but no tracked view and no gradient
    out = _make(x.view(dt.np))
    out._vc = input._vc
    return out


def _type_word(np_dtype):
    return _word(_xp.dtype(np_dtype))


def reshape(input, *shape):
    """`view` when the layout allows (shares memory), else a contiguous copy."""
    shape = _infer_shape(_shape_arg(shape), input._data.size)
    x = input._data
    if _one_chunk(x) or _view_strides(x.shape, _elem_strides(x), shape) is not None:
        out = View.apply(input, shape)
        return _as_view(input, out, lambda t: view(t, shape))
    return Reshape.apply(input, shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Dims start_dim..end_dim merged into one (a view when possible, like reshape)."""
    n = input._data.ndim
    if n == 0:
        return reshape(input, 1)
    s, e = _wrap_dim(start_dim, n), _wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input  # torch returns the input itself
    shape = input._data.shape
    return reshape(input, shape[:s] + (-1,) + shape[e + 1:])


def ravel(input):
    return view(contiguous(input), -1)  # torch: a view of the contiguous copy, if one is made


def unflatten(input, dim, sizes):
    """Dim `dim` split into `sizes` (one may be -1); always a view."""
    shape = input._data.shape
    d = _wrap_dim(dim, input._data.ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    if (-1 in sizes and (known == 0 or shape[d] % known)) or \
            (-1 not in sizes and known != shape[d]):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shape[d]}) in the input tensor")
    return view(input, shape[:d] + sizes + shape[d + 1:])


# ---- permutations ------------------------------------------------------------------------------
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


class Transpose(Permute, name="transpose", view=True):
    """y = x with two dims swapped (a view);  dy/dx = gy swapped back."""


class T(Permute, name="t", view=True):
    """y = x transposed (<= 2-D, a view);  dy/dx = gy transposed."""


def permute(input, *dims):
    return _permute(input, _shape_arg(dims), Permute)


def _permute(input, dims, op):
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}"
                           .replace("(sparse_coo)", ""))
    dims = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    out = op.apply(input, dims)
    return _as_view(input, out, lambda t: _permute(t, dims, op))


def transpose(input, dim0, dim1):
    n = input._data.ndim
    d0, d1 = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    dims = list(range(n))
    if n:
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return _permute(input, tuple(dims), Transpose)


def swapaxes(input, axis0, axis1):
    return transpose(input, axis0, axis1)


def swapdims(input, dim0, dim1):
    return transpose(input, dim0, dim1)


def t(input):
    """Transpose of a matrix; 0-D and 1-D tensors come back as they are (as views)."""
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    return _permute(input, tuple(range(n - 1, -1, -1)), T)


def movedim(input, source, destination):
    """Dims `source` moved to positions `destination`, the others keep their order."""
    n = input._data.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = tuple(_wrap_dim(d, n) for d in src)
    dst = tuple(_wrap_dim(d, n) for d in dst)
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(ds)})")
    order = [-1] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    order = [o if o >= 0 else next(rest) for o in order]
    return _permute(input, tuple(order), Permute)


moveaxis = movedim


# ---- squeeze / unsqueeze / expand --------------------------------------------------------------
class Squeeze(Op, name="squeeze", view=True):
    """y = x without the given size-1 dims (a view);  dy/dx = gy reshaped back."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.in_shape = x.shape
        return _xp.squeeze(x, dims)

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(ctx.in_shape), None


def squeeze(input, dim=None):
    """Size-1 dims removed: all of them (dim=None), or those among `dim` (int or tuple)."""
    shape = input._data.shape
    dims = tuple(d for d in dims_tuple(dim, len(shape)) if len(shape) and shape[d] == 1)
    out = Squeeze.apply(input, dims)
    return _as_view(input, out, lambda t: squeeze(t, dims))


class Unsqueeze(Op, name="unsqueeze", view=True):
    """y = x with a new size-1 dim at `dim` (a view);  dy/dx = gy squeezed at `dim`."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        st = _elem_strides(x)
        # torch: the new dim's stride is what stepping over the dim it precedes would take
        new = 1 if dim == x.ndim else x.shape[dim] * st[dim]
        shape, st = x.shape[:dim] + (1,) + x.shape[dim:], st[:dim] + (new,) + st[dim:]
        y = x.reshape(shape)  # a view (inserting a size-1 dim never copies); fast
        return y if y.strides == tuple(s * x.itemsize for s in st) else _strided(x, shape, st)

    @staticmethod
    def backward(ctx, gy):
        return gy.squeeze(ctx.dim), None


def unsqueeze(input, dim):
    d = _wrap_dim(dim, input._data.ndim + 1)
    out = Unsqueeze.apply(input, d)
    return _as_view(input, out, lambda t: unsqueeze(t, d))


def unsqueeze_(input, dim):
    """In place: `input` itself becomes its unsqueezed view (same memory, version + 1)."""
    _check_leaf(input)
    out = unsqueeze(input, dim)
    input._data = out._data
    input._vc[0] += 1
    if out.grad_fn is not None:
        input.grad_fn, input._out_nr = out.grad_fn, out._out_nr
    if input._base is not None:  # keep replaying from the base: its view, then unsqueezed
        input._view_fn, input._gv = out._view_fn, input._vc[0]
    return input


class Expand(Op, name="expand", view=True):
    """y = x broadcast to a larger shape (a view, stride 0);  dy/dx = gy summed over the
    broadcast dims (the engine's sum_to does it)."""

    @staticmethod
    def forward(ctx, x, shape, strides):
        return _strided(x, shape, strides)

    @staticmethod
    def backward(ctx, gy):
        return gy, None, None


def expand(input, *sizes):
    """A view with size-1 dims repeated (stride 0) and new leading dims; -1 keeps a size."""
    sizes = _shape_arg(sizes)
    x = input._data
    shape, st = x.shape, _elem_strides(x)
    n, m = len(sizes), len(shape)
    if n < m:
        raise RuntimeError(f"expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the "
                           f"number of sizes provided ({n}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({m})")
    out_shape, out_st = [0] * n, [0] * n
    for i in range(n - 1, -1, -1):  # torch's inferExpandGeometry
        j = i - (n - m)
        s = sizes[i]
        if j < 0:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            size, stride = 1, out_shape[i + 1] * out_st[i + 1] if i + 1 < n else 1
        else:
            size, stride = shape[j], st[j]
        if s == -1:
            s = size
        if s != size:
            if size != 1:
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the "
                                   f"existing size ({size}) at non-singleton dimension {i}.  "
                                   f"Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}")
            size, stride = s, 0
        out_shape[i], out_st[i] = size, stride
    out_shape, out_st = tuple(out_shape), tuple(out_st)
    out = Expand.apply(input, out_shape, out_st)
    return _as_view(input, out, lambda t: expand(t, out_shape))


def broadcast_to(input, size):
    return expand(input, size)


def _broadcast(shapes, tensors=False):
    """The common shape of `shapes` under broadcasting; PyTorch's message when there is none."""
    out = []
    for k, shape in enumerate(shapes):
        shape = tuple(shape)
        if len(shape) > len(out):
            out = [1] * (len(shape) - len(out)) + out
        for i in range(1, len(shape) + 1):
            a, b = out[-i], shape[-i]
            if b != a and b != 1:
                if a != 1:
                    if tensors:
                        raise RuntimeError(f"The size of tensor a ({a}) must match the size of "
                                           f"tensor b ({b}) at non-singleton dimension "
                                           f"{len(out) - i}")
                    raise RuntimeError(f"Attempting to broadcast a dimension of length {b} at "
                                       f"{-i}! Mismatching argument at index {k} had {shape}; "
                                       "but expected shape should be broadcastable to "
                                       f"{out}")
                out[-i] = b
    return tuple(out)


def broadcast_shapes(*shapes):
    """The shape tensors of these shapes broadcast to (ints count as 1-D shapes)."""
    return Size(_broadcast([(s,) if isinstance(s, int) else s for s in shapes]))


def broadcast_tensors(*tensors):
    """Every tensor expanded (as a view) to the common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = _broadcast([t._data.shape for t in tensors], tensors=True)
    return tuple(expand(t, shape) for t in tensors)


# ---- slicing views: narrow, select, split, chunk, unbind, diagonal, unfold ----------------------
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
                           f"({size}).")
    out = Slice.apply(input, (d, start, length))
    return _as_view(input, out, lambda t: narrow(t, d, start, length))


def select(input, dim, index):
    """x[..., index, ...] along `dim` (a view without that dim)."""
    n = input._data.ndim
    if n == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, n)
    size = input._data.shape[d]
    index = int(index)
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
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, n)
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = tuple(int(s) for s in split_size_or_sections)
        if any(s < 0 for s in sizes):
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={list(sizes)}")
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={list(sizes)}")
        return _split(tensor, d, sizes, SplitWithSizes)
    s = int(split_size_or_sections)
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and size:
        raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {size}")
    count = max(-(-size // s), 1) if s else 1
    sizes = (s,) * (count - 1) + (size - s * (count - 1),)
    return _split(tensor, d, sizes, Split)


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
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, n)
    outs = Unbind.apply(input, d)
    for i, o in enumerate(outs):
        _as_view(input, o, lambda t, i=i: select(t, d, i))
    return outs


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
                           f"{size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    out = Unfold.apply(input, d, size, step)
    return _as_view(input, out, lambda t: unfold(t, d, size, step))


# ---- memory layout -----------------------------------------------------------------------------
def is_contiguous(input):
    """PyTorch's definition: row-major strides (in elements) over the dims of size > 1.
    NumPy's C-contiguity flag is the same rule."""
    return input._data.flags.c_contiguous


def contiguous(input):
    """`input` itself when contiguous, else a row-major copy."""
    if input._data.flags.c_contiguous:
        return input
    return Clone.apply(input, "C")


class _Storage:
    """What `untyped_storage()` exposes: the owning buffer's address and size in bytes."""
    __slots__ = ("_array",)

    def __init__(self, array):
        self._array = array

    def data_ptr(self):
        return _ptr(self._array)

    def nbytes(self):
        return self._array.nbytes

    size = nbytes

    def __len__(self):
        return self._array.nbytes

    def element_size(self):
        return 1


def storage_of(input):
    return _Storage(_root(input._data))


def storage_offset_of(input):
    a = input._data
    return (_ptr(a) - _ptr(_root(a))) // a.itemsize


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


def flip(input, *dims):
    dims = _shape_arg(dims)
    n = input._data.ndim
    wrapped = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"dim {wrapped[0]} appears multiple times in the list of dims")
    return Flip.apply(input, wrapped)


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
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
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


def repeat(input, *sizes):
    sizes = _shape_arg(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    for s in sizes:
        if s < 0:
            out = [s * d for s, d in zip(sizes, (1,) * (len(sizes) - input._data.ndim)
                                         + input._data.shape)]
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return Repeat.apply(input, sizes)


def tile(input, *dims):
    """`repeat` with `dims` padded with leading 1s to the tensor's ndim."""
    dims = _shape_arg(dims)
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


# ---- joining: cat, stack and friends -----------------------------------------------------------
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
                                   "in the list.")
    return Cat.apply(*tensors, dim=d, dtype=_result_dtype(tensors))


def concat(tensors, dim=0, *, out=None):
    return cat(tensors, dim)


def concatenate(tensors, axis=0, out=None):
    return cat(tensors, axis)


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
    from .index import index_select
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
