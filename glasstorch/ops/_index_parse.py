"""Parsing `x[index]` (index.py) the way PyTorch does (python_variable_indexing.cpp): ints,
slices, None and Ellipsis make a *view* (`basic`); index tensors, lists and masks then pick
from it into a *copy* (`adv`, NumPy's advanced-indexing rules, which are PyTorch's). `_parse`
splits an index into the two and raises torch's errors for bad ones.
"""
import operator

from ..backend import xp as _xp, ndarray as _ndarray
from ..tensor import Tensor


_ALL = slice(None)
_TRUE_INDEX = _xp.zeros(1, dtype=_xp.int64)    # x[True] is x[None][[0]] (torch)
_FALSE_INDEX = _xp.zeros(0, dtype=_xp.int64)   # x[False] is x[None][[]]
_INT_INDEX = (_xp.dtype(_xp.int64), _xp.dtype(_xp.int32))
_MASK_INDEX = (_xp.dtype(_xp.bool_), _xp.dtype(_xp.uint8))   # torch: uint8 masks (deprecated)
_BAD_INDEX_TENSOR = "tensors used as indices must be long, int, byte or bool tensors"


# ---- parsing x[index] ----------------------------------------------------------------------------
def _seq_as_tuple(seq):
    """torch's treatSequenceAsTuple: `x[[0, slice(None)]]` means `x[0, :]` (legacy rule)."""
    if len(seq) >= 32:
        return False
    for it in seq:
        if it is None or it is Ellipsis or isinstance(it, (Tensor, list, tuple, slice,
                                                           _ndarray)):
            return True
    return False


def _index_item(it):
    """One index entry as int, slice, None, Ellipsis, bool, bool-mask array or int64 array."""
    t = type(it)
    if t is int or t is slice or t is bool or it is None or it is Ellipsis:
        return it
    if isinstance(it, Tensor):
        a = it._data
        if a.dtype in _MASK_INDEX:
            return bool(a) if a.ndim == 0 else a.astype(bool, copy=False)
        if a.dtype not in _INT_INDEX:
            raise IndexError(_BAD_INDEX_TENSOR)
        return int(a) if a.ndim == 0 else a     # torch: a 0-d int tensor selects like an int
    if isinstance(it, (list, tuple, range, _ndarray, _xp.generic)):
        # torch turns lists and arrays into long tensors unless they are bool/uint8 (masks)
        a = _xp.asarray(it)
        if a.dtype in _MASK_INDEX:
            return bool(a) if a.ndim == 0 else a.astype(bool, copy=False)
        if a.ndim == 0:
            if a.dtype.kind not in "iu":
                raise IndexError(_only_msg(it))
            return int(a)
        return a.astype(_xp.int64, copy=False)
    if hasattr(t, "__index__"):
        return operator.index(it)
    if t is str:   # torch reads a str as a sequence, then fails to make a tensor of it
        raise TypeError("new(): invalid data type 'str'")
    raise IndexError(_only_msg(it))


def _only_msg(it):
    return ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
            f"are valid indices (got {type(it).__name__})")


def _parse(shape, index, late=None):
    """Split `index` into (basic, adv, kind): NumPy index tuples for the view `x[basic]` and
    for the pick `x[basic][adv]` (adv None: a pure view); kind names the grad_fn as torch does.
    Bounds, dtypes and mask shapes are checked here, with PyTorch's errors. With a list `late`,
    an index array's out-of-bounds value is appended there instead of raised (index_put checks
    the value's shape and dtype first, as torch does), with a harmless stand-in index."""
    if type(index) is not tuple:
        index = tuple(index) if type(index) is list and _seq_as_tuple(index) else (index,)
    items = [_index_item(it) for it in index]
    ndim = len(shape)
    used = 0   # dims of x the index consumes (None, ..., bools add or skip, masks take k)
    for it in items:
        if type(it) is _ndarray:
            used += it.ndim if it.dtype == bool else 1
        elif it is not None and it is not Ellipsis and type(it) is not bool:
            used += 1
    if used > ndim:
        _too_many(ndim, items)
    basic, adv = [], []
    d = vd = n_adv = 0    # dim of x, dim of the view, number of index arrays so far
    kind, masks, oob = "Alias", [], []
    for it in items:
        t = type(it)
        if d >= ndim and (t is int or t is slice or type(it) is _ndarray):
            # torch: every `...` skips ndim - used dims, so a second one runs past the end
            raise IndexError(f"index {it} is out of bounds for dimension {d} with size 0 "
                             f"(indexing a tensor of shape {list(shape)})" if t is int else
                             f"too many indices for tensor of dimension {ndim}")
        if t is int:
            size = shape[d]
            if not -size <= it < size:
                raise IndexError(f"index {it} is out of bounds for dimension {d} with size {size} "
                                 f"(indexing a tensor of shape {list(shape)})")
            basic.append(it)
            d += 1
            kind = "Select"
        elif t is slice:
            if it.step is not None and operator.index(it.step) <= 0:
                raise ValueError("step must be greater than zero")
            basic.append(it)
            adv.append(_ALL)
            d += 1
            vd += 1
            if it.start is not None or it.stop is not None or it.step is not None:
                kind = "Slice"
        elif it is None:
            basic.append(None)
            adv.append(_ALL)
            vd += 1
            kind = "Unsqueeze"
        elif it is Ellipsis:
            k = min(ndim - used, max(ndim - d, 0))   # the dims it skips that exist
            basic.extend([_ALL] * k)
            adv.extend([_ALL] * k)
            d += ndim - used
            vd += k
        elif t is bool:
            basic.append(None)
            adv.append(_TRUE_INDEX if it else _FALSE_INDEX)
            vd += 1
            n_adv += 1
        elif it.dtype == bool:
            k = it.ndim
            masks.append((vd, it))
            basic.extend([_ALL] * k)
            adv.append(it)
            d += k
            vd += k
            n_adv += 1
        else:
            size = shape[d]
            if not size:
                oob.append((len(adv), None, n_adv, 0))
            elif it.size:
                lo, hi = int(it.min()), int(it.max())
                if hi >= size or lo < -size:
                    oob.append((len(adv), hi if hi >= size else lo, n_adv, size))
            basic.append(_ALL)
            adv.append(it)
            d += 1
            vd += 1
            n_adv += 1
    basic.append(Ellipsis)   # always a view (x[0, 0] would give a NumPy scalar otherwise)
    basic = tuple(basic)
    if not n_adv:
        return basic, None, kind
    if masks:
        _check_masks(shape, basic, masks)
    while adv[-1] is _ALL:
        adv.pop()
    if n_adv > 1:
        _broadcast_shape(*[a.shape if a.dtype != bool else (int(a.sum()),)
                           for a in adv if type(a) is _ndarray], what="index")
    if oob:
        adv = _out_of_bounds(shape, basic, adv, oob, late)
    return basic, tuple(adv), "Index"


def _out_of_bounds(shape, basic, adv, oob, late=None):
    """torch checks index values as it reads them, so out-of-bounds ones (and any index into a
    size-0 dim) only raise when the result has elements. NumPy checks them all: when the result
    is empty they are swapped for harmless ones."""
    arrays = [a if a.dtype != bool else a.nonzero()[0] for a in adv if type(a) is _ndarray]
    picked = _xp.broadcast_shapes(*[a.shape for a in arrays])   # the index part of the result
    if 0 in picked:   # nothing is read: every int index may be anything
        return [_xp.zeros(picked, _xp.int64) if type(a) is _ndarray and a.dtype != bool else a
                for a in adv]
    if any(size == 0 for *_, size in oob):
        raise IndexError("index is out of bounds for dimension with size 0")
    for pos, *_ in oob:
        adv[pos] = _xp.zeros_like(adv[pos])
    stand_in = _xp.broadcast_to(_xp.empty(()), _view_shape(shape, basic))
    if stand_in[tuple(adv)].size:
        _, bad, n, size = oob[0]
        # (torch's exact words: tests/ops/test_index_put_order.py compares them whole)
        e = IndexError(f"index {bad} is out of bounds for dimension {n} with size {size}")
        if late is None:
            raise e
        late.append(e)
    return adv


def _too_many(ndim, items):
    if ndim == 0 and type(items[0]) is int:
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    if ndim == 0 and type(items[0]) is slice:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    raise IndexError(f"too many indices for tensor of dimension {ndim}")


def _view_shape(shape, basic):
    # the shape of x[basic] without touching data: index a zero-stride stand-in
    return _xp.broadcast_to(_xp.empty(()), shape)[basic].shape


def _check_masks(shape, basic, masks):
    vshape = _view_shape(shape, basic)
    for vd, m in masks:
        for j, s in enumerate(m.shape):
            if s != vshape[vd + j]:
                raise IndexError(f"The shape of the mask {list(m.shape)} at index {j} does not "
                                 f"match the shape of the indexed tensor {list(vshape)} at "
                                 f"index {vd + j}")


def _broadcast_shape(*shapes, what="tensor"):
    """NumPy's broadcast shape; PyTorch's error when the shapes do not broadcast."""
    try:
        return _xp.broadcast_shapes(*shapes)
    except ValueError:
        pass
    if what == "index":
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                         "shapes " + ", ".join(str(list(s)) for s in shapes))
    n = max(len(s) for s in shapes)
    padded = [(1,) * (n - len(s)) + tuple(s) for s in shapes]
    for i in range(n):
        sizes = [p[i] for p in padded if p[i] != 1]
        if len(set(sizes)) > 1:
            a, b = sizes[0], sizes[1]
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {i}")
    raise RuntimeError(f"shapes {shapes} cannot be broadcast")
