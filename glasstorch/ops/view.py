"""Views that keep every element: view, reshape, flatten/unflatten, permute/transpose/t,
movedim, squeeze/unsqueeze, expand/broadcast_to/broadcast_tensors, contiguous.

`view` never copies and raises when the layout does not allow it; `reshape` is `view` when
possible and a copy otherwise -- exactly PyTorch's contract. The bookkeeping every view shares
(`_as_view`, strides) is in _strides.py; views of a part of a tensor are in slice.py.
"""
from .. import _dtype, _memory_format as _mf
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Size, _caller_op, _make, _wrap_dim
from ._inplace import _check_leaf, _type_word as _word
from ._strides import (_as_view, _elem_strides, _infer_shape, _list_kw, _one_chunk,  # noqa: F401
                       _shape_arg, _strided, _view_array, _view_strides,
                       storage_of, storage_offset_of)   # Tensor.untyped_storage/storage_offset
from ._util import dims_tuple
from .convert import Clone
from . import layout as _layout

__all__ = ["reshape", "view", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim",
           "moveaxis", "squeeze", "unsqueeze", "flatten", "ravel", "unflatten", "expand",
           "broadcast_to", "broadcast_tensors", "broadcast_shapes", "contiguous", "is_contiguous"]


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


def view(input, *shape, size=None, dtype=None):
    """Same memory, new shape (one dim may be -1); RuntimeError if the strides don't allow it.
    `view(dtype)` reinterprets the bytes (no gradient)."""
    if dtype is not None:                       # view(dtype=...): no sizes with it
        shape = _list_kw(shape if size is None else shape + (size,), dtype, "view", "dtype")
    elif size is not None:
        shape = _list_kw(shape, size, "view", "size")
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
    out._version_counter = input._version_counter
    return out


def _type_word(np_dtype):
    return _word(_xp.dtype(np_dtype))


def reshape(input, *sizes, shape=None):
    """`view` when the layout allows (shares memory), else a contiguous copy."""
    if shape is not None:                       # reshape(shape=...): torch's keyword
        sizes = _list_kw(sizes, shape, "reshape", "shape")
    shape = _infer_shape(_shape_arg(sizes), input._data.size)
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
        raise RuntimeError(f"only one dimension can be inferred (unflatten of dim {d} into "
                           f"{list(sizes)})")
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


def permute(input, *args, dims=None):
    if dims is not None:
        args = _list_kw(args, dims, "permute", "dims")
    return _permute(input, _shape_arg(args), Permute)


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
    input._version_counter[0] += 1
    if out.grad_fn is not None:
        input.grad_fn, input._out_nr = out.grad_fn, out._out_nr
    if input._base is not None:  # keep replaying from the base: its view, then unsqueezed
        input._view_fn, input._grad_fn_version = out._view_fn, input._version_counter[0]
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


def expand(input, *sizes, size=None, implicit=False):
    """A view with size-1 dims repeated (stride 0) and new leading dims; -1 keeps a size.
    `implicit` (torch: marks a broadcast its tracer inserted) changes nothing in the result."""
    if size is not None:
        sizes = _list_kw(sizes, size, "expand", "size")
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
                                           f"{len(out) - i} ({_caller_op()}: shapes "
                                           f"{', '.join(str(list(s)) for s in shapes)})")
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


# ---- memory layout -----------------------------------------------------------------------------
def is_contiguous(input):
    """PyTorch's definition: row-major strides (in elements) over the dims of size > 1.
    NumPy's C-contiguity flag is the same rule."""
    return input._data.flags.c_contiguous


def contiguous(input, memory_format=None):
    """`input` itself when contiguous (in `memory_format`, default row-major), else a copy
    laid out so (torch.channels_last: ops/layout.py)."""
    if memory_format is None or memory_format is _mf.contiguous_format:
        if input._data.flags.c_contiguous:
            return input
        return Clone.apply(input, "C")
    fmt = _layout.checked_target(input, memory_format, "contiguous")
    if fmt is _mf.preserve_format:   # (torch tests is_contiguous first: preserve = default)
        if input._data.flags.c_contiguous:
            return input
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return input if _layout.array_is(input._data, fmt) else Clone.apply(input, fmt)

