"""View bookkeeping shared by the shape ops (view.py, slice.py) and indexing (index.py).

A *view* shares its input's memory: `_as_view` records the base tensor, shares its version
counter (so in-place writes through either are seen by autograd's checks) and keeps a
`_view_fn` that replays the view on another tensor (used by in-place ops on views, see
_inplace.py). A view gets the strides PyTorch would give it (`_view_strides`, `_strided`), so
`stride()`, `is_contiguous()` and whether a later `view` succeeds match PyTorch, not NumPy's
own choices. Read view.py next.
"""
from operator import index as _index

from ..backend import xp as _xp


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
    out._version_counter = x._version_counter
    # the version its grad_fn belongs to (see node._refresh_view)
    out._grad_fn_version = x._version_counter[0]
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
    """Sizes or dims given as ints (x.view(2, 3)) or one sequence (x.view((2, 3))): a tuple of
    ints; torch's TypeError for anything else (a float or str is no size: int() took 2.0)."""
    if len(shape) == 1 and not isinstance(shape[0], int) and hasattr(shape[0], "__iter__") \
            and getattr(shape[0], "ndim", 1):          # (a 0-d tensor or NumPy int: one size)
        shape = shape[0]
    try:
        return tuple(map(_index, shape))
    except TypeError:
        from ..tensor import _caller_op
        items = shape if isinstance(shape, (tuple, list)) else (shape,)
        pos, bad = next(((i, s) for i, s in enumerate(items) if not _is_index(s)), (0, shape))
        raise TypeError(f"{_caller_op()}(): argument 'size' must be tuple of ints, but found "
                        f"element of type {type(bad).__name__} at pos {pos}") from None


def _is_index(s):
    try:
        _index(s)
        return True
    except TypeError:
        return False


def _list_kw(args, kw, fn, name):
    """A list parameter given by its keyword, as torch's parser also takes it
    (x.view(size=(2, 3)), torch.permute(x, dims=(1, 0))): the positional sizes or the
    keyword (a sequence), not both."""
    if kw is None:
        return args
    if args or isinstance(kw, int):
        raise TypeError(f"{fn}() received an invalid combination of arguments: {name}= takes "
                        f"a sequence, and no positional sizes with it")
    return (kw,)


def _infer_shape(shape, numel):
    """Resolve one -1; PyTorch's error message for sizes that do not fit (then the op's name:
    view, reshape, ... from the caller's frames)."""
    neg = -1
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if neg >= 0:
                raise RuntimeError(f"only one dimension can be inferred (shape {list(shape)} for "
                                   f"{numel} elements) ({_op()})")
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
                                   f"can be any value and is ambiguous ({_op()})")
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} "
                               f"({_op()})")
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} "
                               f"({_op()})")
        shape = shape[:neg] + (numel // known,) + shape[neg + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} "
                           f"({_op()})")
    return shape


def _op():
    """The op an error in _infer_shape is for (error path only)."""
    from ..tensor import _caller_op
    return _caller_op()



# ---- the storage a view shares (Tensor.untyped_storage / storage_offset) -----------------
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
