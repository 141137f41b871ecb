"""Indexing: `x[i]`, `x[i] = v`, gather/scatter, index_select/add/fill/put, masked ops, where,
nonzero, take. `x[index]` takes PyTorch's two steps (python_variable_indexing.cpp): ints, slices,
None and Ellipsis make a *view* (`basic`); index tensors, lists and masks then pick from it into
a *copy* (`adv`, NumPy's advanced-indexing rules, which are PyTorch's); `_parse` splits an index.
A pick's gradient is a scatter-add into zeros (a place picked twice gets both): IndexGrad,
ScatterAdd, IndexAdd are the backwards of Slice/Index, Gather, IndexSelect and vice versa, so
second derivatives come free. `x[i] = v` is IndexPut written back by _inplace.py (read it next).
"""
import operator

from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp, ndarray as _ndarray
from ..tensor import Tensor, _make, _wrap_dim
from . import _inplace, shape as _shape
from ._util import to_dtype

__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add", "index_fill",
           "index_put", "masked_fill", "masked_select", "masked_scatter", "where", "nonzero",
           "argwhere", "take_along_dim", "take"]

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


def _parse(shape, index):
    """Split `index` into (basic, adv, kind): NumPy index tuples for the view `x[basic]` and
    for the pick `x[basic][adv]` (adv None: a pure view); kind names the grad_fn as torch does.
    Bounds, dtypes and mask shapes are checked here, with PyTorch's errors."""
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
            raise IndexError(f"index {it} is out of bounds for dimension {d} with size 0"
                             if t is int else f"too many indices for tensor of dimension {ndim}")
        if t is int:
            size = shape[d]
            if not -size <= it < size:
                raise IndexError(f"index {it} is out of bounds for dimension {d} with size {size}")
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
        adv = _out_of_bounds(shape, basic, adv, oob)
    return basic, tuple(adv), "Index"


def _out_of_bounds(shape, basic, adv, oob):
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
        raise IndexError(f"index {bad} is out of bounds for dimension {n} with size {size}")
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


# ---- kernels -------------------------------------------------------------------------------------
def _add_at(out, adv, src):
    """out[adv] += src with repeated indices accumulating (np.add.at semantics).

    One 1-D integer index into rows (embedding, index_add, x[idx] backward) takes a fast path:
    np.add.at is slow on rows, and bincount sums in float64 over a temporary as large as `out`.
    The indices are stably sorted once and the rows added in rounds: round k adds the k-th
    occurrence of every index, so rows within a round are distinct and a gather-add-scatter is
    exact. Each row thus gets its contributions one by one in the order they occur, in out's
    dtype: the sum torch's index_add computes. Occurrences past _ROUNDS of one row (a padding
    token repeated thousands of times) are summed per row first (add.reduceat) and added last,
    so the number of rounds stays bounded. Scalar rows hit densely (gather's backward) go
    through one bincount instead, O(len(out)) without a sort; it sums in float64 and rounds
    once, at least as accurate as a float32 sum."""
    idx = adv[0]
    if len(adv) != 1 or type(idx) is not _ndarray or idx.ndim != 1 or idx.dtype.kind not in "iu" \
            or out.dtype.kind == "b" or _xp.result_type(src) != out.dtype or not out.size:
        _xp.add.at(out, adv, src)
        return
    n, m = out.shape[0], len(idx)
    if not m:
        return
    src = _xp.broadcast_to(src, idx.shape + out.shape[1:])
    if idx.min() < 0:
        idx = _xp.where(idx < 0, idx + n, idx)
    if out.size == n and n <= 4 * m and out.dtype.kind == "f":   # dense scalar rows
        out += _xp.bincount(idx, src.reshape(m), minlength=n).reshape(out.shape)
        return
    order = _xp.argsort(idx, kind="stable")
    s = idx[order]
    first = _xp.empty(m, dtype=bool)   # first occurrence of each index in sorted order
    first[0] = True
    _xp.not_equal(s[1:], s[:-1], out=first[1:])
    starts = _xp.flatnonzero(first)
    if len(starts) == m:   # no repeats: one round
        _add_rows(out, s, _xp.take(src, order, axis=0))
        return
    lengths = _xp.diff(_xp.append(starts, m))
    rank = _xp.arange(m) - _xp.repeat(starts, lengths)   # k-th occurrence of its index
    most = int(lengths.max())
    for k in range(min(most, _ROUNDS)):
        sel = _xp.flatnonzero(rank == k)
        _add_rows(out, s[sel], _xp.take(src, order[sel], axis=0))
    if most > _ROUNDS:
        sel = _xp.flatnonzero(rank >= _ROUNDS)   # still sorted, so one segment per row
        heads = _xp.flatnonzero(rank[sel] == _ROUNDS)
        sums = _xp.add.reduceat(_xp.take(src, order[sel], axis=0), heads, axis=0)
        _add_rows(out, s[sel[heads]], sums)


_ROUNDS = 8   # reduceat costs ~2 us per row, a round ~30 us: rounds win up to a few repeats


def _add_rows(out, rows, values):
    """out[rows] += values for distinct rows: gather, add, scatter back."""
    acc = _xp.take(out, rows, axis=0)
    acc += values
    if out.ndim > 1 and out.flags.c_contiguous:
        # NumPy scatters whole rows ~4x faster as opaque items (one memcpy each) than through
        # 2-D fancy assignment (an element-wise loop)
        row = _xp.dtype((_xp.void, acc.itemsize * (out.size // out.shape[0])))
        out.reshape(out.shape[0], -1).view(row)[rows, 0] = \
            acc.reshape(len(rows), -1).view(row)[:, 0]
    else:
        out[rows] = acc


def _put(out, basic, adv, value, accumulate):
    """out[basic][adv] = value (or += value, accumulating repeats), in place."""
    region = out[basic]
    if adv is None:
        if accumulate:
            region += value
        else:
            region[...] = value
    elif accumulate:
        _add_at(region, adv, value)
    else:
        region[adv] = value


def _along(index, dim):
    """Full NumPy index for `index` along `dim` (aranges elsewhere): element i of the result
    is taken at (i_0, .., index[i], .., i_n), gather's and scatter's addressing."""
    nd = index.ndim
    return tuple(index if d == dim else
                 _xp.arange(n).reshape((n,) + (1,) * (nd - d - 1))
                 for d, n in enumerate(index.shape))


def _prefix(shape, dim=None):
    """The leading block x[:s0, :s1, ...] (all of `dim`): the part gather/scatter address."""
    return tuple(_ALL if d == dim else slice(0, s) for d, s in enumerate(shape))


def _zeros_like(arr, shape=None):
    return _make(_xp.zeros(arr.shape if shape is None else shape, dtype=arr.dtype))


# ---- x[index] ------------------------------------------------------------------------------------
class Slice(Op, name="getitem", view=True):
    """y = x[basic] (ints, slices, None: a view);  dy/dx = gy written into zeros at x[basic]."""

    @staticmethod
    def forward(ctx, x, basic, kind):
        ctx.shape, ctx.basic, ctx.kind = x.shape, basic, kind
        return x[basic]

    @staticmethod
    def backward(ctx, gy):
        return IndexGrad.apply(gy, ctx.shape, ctx.basic, None), None, None

    def name(self):
        return self.kind + "Backward0"   # torch: SelectBackward0, SliceBackward0, ...


class Index(Op, name="index"):
    """y = x[basic][adv] (index arrays / masks: a copy);  dy/dx = gy added into zeros at those
    places, repeated indices accumulating."""

    @staticmethod
    def forward(ctx, x, basic, adv):
        ctx.shape, ctx.basic, ctx.adv = x.shape, basic, adv
        return x[basic][adv]

    @staticmethod
    def backward(ctx, gy):
        return IndexGrad.apply(gy, ctx.shape, ctx.basic, ctx.adv), None, None


class IndexGrad(Op, name="index_backward"):
    """gx = zeros(shape) with gy added at [basic][adv] (the gradient of Slice and Index);
    d/dgy = gg[basic][adv]."""

    @staticmethod
    def forward(ctx, gy, shape, basic, adv):
        ctx.basic, ctx.adv = basic, adv
        gx = _xp.zeros(shape, dtype=gy.dtype)
        _put(gx, basic, adv, gy, accumulate=adv is not None)
        return gx

    @staticmethod
    def backward(ctx, gg):
        return _pick(gg, ctx.basic, ctx.adv), None, None, None


def _pick(x, basic, adv, kind="Alias"):
    if adv is None:
        out = Slice.apply(x, basic, kind)
        return _shape._as_view(x, out, lambda t: _pick(t, basic, None, kind))
    return Index.apply(x, basic, adv)


def getitem(x, index):
    """x[index]: a view for ints/slices/None/..., a copy when index tensors or masks occur."""
    basic, adv, kind = _parse(x._data.shape, index)
    return _pick(x, basic, adv, kind)


class IndexPut(Op, name="index_put"):
    """y = x with y[basic][adv] = v (accumulate: += v);  dy/dx = gy with that region zeroed
    (all of gy when accumulating), dy/dv = gy[basic][adv] (summed back to v's shape)."""

    @staticmethod
    def forward(ctx, x, v, basic, adv, accumulate):
        ctx.basic, ctx.adv, ctx.accumulate = basic, adv, accumulate
        y = x.copy()
        _put(y, basic, adv, v, accumulate)
        return y

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        gx = gv = None
        if need[0]:
            gx = gy if ctx.accumulate else IndexPut.apply(
                gy, _make(_xp.zeros((), gy._data.dtype)), ctx.basic, ctx.adv, False)
        if need[1]:
            gv = _pick(gy, ctx.basic, ctx.adv)
        return gx, gv, None, None, None


def _index_put(x, basic, adv, value, accumulate=False):
    """The out-of-place `x[basic][adv] = value`; value cast to x's dtype, broadcast checked."""
    if not isinstance(value, Tensor):
        value = _make(_xp.asarray(value).astype(x._data.dtype))
    elif value._data.dtype != x._data.dtype:
        value = to_dtype(value, _dtype.from_numpy_dtype(x._data.dtype))
    rshape = _view_shape(x._data.shape, basic)
    if adv is not None:
        rshape = _xp.broadcast_to(_xp.empty(()), rshape)[adv].shape
    vshape = value._data.shape
    lead = len(vshape) - len(rshape)
    if lead > 0 and all(s == 1 for s in vshape[:lead]):  # torch drops leading 1s of the value
        value = value.reshape(vshape[lead:])
        vshape = vshape[lead:]
    if adv is None:   # torch: a view's copy_, so expand's checks and messages
        if vshape != rshape:
            _shape.expand(value, rshape)
        return IndexPut.apply(x, value, basic, adv, accumulate)
    try:
        fits = len(vshape) <= len(rshape) and _xp.broadcast_shapes(vshape, rshape) == rshape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be "
                           f"broadcast to indexing result of shape {list(rshape)}")
    return IndexPut.apply(x, value, basic, adv, accumulate)


def setitem(x, index, value):
    """x[index] = value, in place. Without a graph to record (no_grad: optimizer steps,
    initialization) it is a direct write into x's buffer; otherwise the out-of-place IndexPut
    is written back by _inplace.inplace, so gradients reach both x and value."""
    if not isinstance(value, (Tensor, int, float)):   # torch: no lists, arrays, NumPy scalars
        t = type(value)
        name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"
        raise TypeError(f"can't assign a {name} to a {x.type()}")
    basic, adv, _ = _parse(x._data.shape, index)
    if _inplace._records(x, (value,)):
        if adv is None and x._rg and x.grad_fn is None:   # torch writes through a view here
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        _inplace.inplace(x, _index_put, basic, adv, value)
        return
    if _inplace._overlaps(x._data):   # an expand()ed tensor: elements share memory
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    v = value._data if isinstance(value, Tensor) else value
    try:
        _put(x._data, basic, adv, v, False)
    except ValueError:   # NumPy's broadcast error; torch raises RuntimeError
        _index_put(x.detach(), basic, adv, value)   # raises torch's message
        raise
    x._vc[0] += 1


def index_put(input, indices, values, accumulate=False):
    """input with input[indices] = values (accumulate: +=); indices is a tuple of tensors."""
    if not isinstance(values, Tensor):
        raise TypeError("index_put(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    if values._data.dtype != input._data.dtype:
        raise RuntimeError("Index put requires the source and destination dtypes match, got "
                           f"{_type_word(input)} for the destination and {_type_word(values)} "
                           "for the source.")
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    basic, adv, _ = _parse(input._data.shape, tuple(indices))
    return _index_put(input, basic, adv, values, accumulate)


def _type_word(t):
    return _inplace._type_word(t._data.dtype)


# ---- gather / scatter ----------------------------------------------------------------------------
def _index_arg(index, op, dtypes=_INT_INDEX, msg=None, error=RuntimeError):
    """The index array of gather & co, after torch's dtype check."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    a = index._data
    if a.dtype not in dtypes:
        raise error(msg or f"{op}(): Expected dtype int32/int64 for index")
    return a


def _check_gather_like(x, dim, index, src=None):
    """torch's shape and bounds checks for gather/scatter: same ndim, index no larger than x
    (src) outside `dim`, every index in [0, x.size(dim))."""
    nd = max(x.ndim, 1)
    if max(index.ndim, 1) != nd:
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    shape = x.shape or (1,)
    ishape = index.shape or (1,)
    if src is not None and getattr(src, "ndim", 0) and max(src.ndim, 1) != nd:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for d in range(nd):
        too_big = d != dim and ishape[d] > shape[d]
        if src is not None and getattr(src, "ndim", 0):
            too_big = too_big or ishape[d] > (src.shape or (1,))[d]
            if too_big:
                raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than "
                                   f"self {list(x.shape)} apart from dimension {dim} and to be "
                                   f"no larger size than src {list(src.shape)}")
        elif too_big:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(index.shape)} to be no larger than self {list(x.shape)} "
                               f"apart from dimension {dim}")
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        size = shape[dim]
        if lo < 0 or hi >= size:
            raise RuntimeError(f"index {lo if lo < 0 else hi} is out of bounds for dimension "
                               f"{dim} with size {size}")


def _gather(x, dim, index):
    if x.ndim == 0 or index.ndim == 0:   # torch allows 0-d tensors: they act as 1-element 1-d
        return x.reshape(-1)[index.reshape(-1)].reshape(index.shape)
    return _xp.take_along_axis(x[_prefix(index.shape, dim)], index, axis=dim)


def _scatter_add_into(y, dim, index, src):
    """y[.., index[i], ..] += src[i] over the block index addresses (repeats accumulate)."""
    if not index.size:
        return
    if y.ndim == 0 or index.ndim == 0:
        y, index, src = y.reshape(-1), index.reshape(-1), _xp.reshape(src, -1)
    if _xp.ndim(src):
        src = src[_prefix(index.shape)]
    where = _along(index, dim)
    if y.flags.c_contiguous:   # one index of flat positions: _add_at's fast paths
        flat = _xp.ravel_multi_index(where, y.shape).reshape(-1)
        _add_at(y.reshape(-1), (flat,), _xp.broadcast_to(src, index.shape).reshape(-1))
    else:
        _xp.add.at(y, where, src)


class Gather(Op, name="gather"):
    """y[i] = x[.., index[i], ..] (along dim);  dy/dx = gy scatter-added back at index."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        return _gather(x, dim, index)

    @staticmethod
    def backward(ctx, gy):
        zeros = _zeros_like(gy._data, ctx.shape)
        return ScatterAdd.apply(zeros, ctx.dim, ctx.index, gy), None, None


class ScatterAdd(Op, name="scatter_add"):
    """y = x;  y[.., index[i], ..] += src[i];  dy/dx = gy, dy/dsrc = gy gathered at index."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim, ctx.index, ctx.src_shape = dim, index, src.shape
        y = x.copy()
        _scatter_add_into(y, dim, index, src)
        return y

    @staticmethod
    def backward(ctx, gy):
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = _pad_to(Gather.apply(gy, ctx.dim, ctx.index), ctx.src_shape)
        return gy, None, None, gsrc


def _pad_to(g, shape):
    """g placed in the leading block of zeros(shape): the gradient of src where index (smaller
    than src) only used src's leading block."""
    if g._data.shape == tuple(shape):
        return g
    return IndexGrad.apply(g, shape, _prefix(g._data.shape) + (Ellipsis,), None)


class Scatter(Op, name="scatter"):
    """y = x;  y[.., index[i], ..] = src[i] (src a tensor or a number; reduce: += or *=).
    dy/dx = gy with the written places zeroed, dy/dsrc = gy gathered at index."""

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        ctx.dim, ctx.index, ctx.reduce = dim, index, reduce
        ctx.src_shape = _xp.shape(src)
        y = x.copy()
        if not index.size:
            return y
        flat = y.ndim == 0 or index.ndim == 0
        yv = y.reshape(-1) if flat else y[_prefix(index.shape, dim)]
        idx = index.reshape(-1) if flat else index
        if _xp.ndim(src):
            src = _xp.reshape(src, -1)[:idx.size] if flat else src[_prefix(idx.shape)]
        if reduce is None:
            _xp.put_along_axis(yv, idx, src, axis=0 if flat else dim)
        else:
            ufunc = _xp.add if reduce == "add" else _xp.multiply
            ufunc.at(yv, _along(idx, 0 if flat else dim), src)
        return y

    @staticmethod
    def backward(ctx, gy):
        if ctx.reduce is not None:
            raise RuntimeError("derivative for aten::scatter is not implemented")
        need = ctx.needs_input_grad
        gx = gsrc = None
        if need[0]:
            gx = Scatter.apply(gy, ctx.dim, ctx.index, _xp.zeros((), gy._data.dtype), None)
        if need[3]:
            gsrc = _pad_to(Gather.apply(gy, ctx.dim, ctx.index), ctx.src_shape)
        return gx, None, None, gsrc, None


def gather(input, dim, index, *, sparse_grad=False):
    """out[i][j] = input[i][index[i][j]] for dim=1 (likewise for any dim); out has index's
    shape, which may be smaller than input's outside `dim`.

    >>> import glasstorch
    >>> glasstorch.tensor([[1, 2], [3, 4]]).gather(1, glasstorch.tensor([[0, 0], [1, 0]]))
    tensor([[1, 1],
            [4, 3]])
    """
    idx = _index_arg(index, "gather")
    dim = _wrap_dim(dim, input._data.ndim)
    _check_gather_like(input._data, dim, idx)
    return Gather.apply(input, dim, idx)


def _scatter_src(input, src, value, op):
    if src is None:
        src = value
    if src is None:
        raise TypeError(f"{op}() missing 1 required argument: 'src' or 'value'")
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
        return src
    return _xp.asarray(src).astype(input._data.dtype)   # a number: value=


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """input with out[i][index[i][j]] = src[i][j] (dim=1), or = value; reduce='add'/'multiply'
    combines instead of overwriting (no gradient then, as in torch)."""
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    idx = _index_arg(index, "scatter")
    dim = _wrap_dim(dim, input._data.ndim)
    src = _scatter_src(input, src, value, "scatter")
    _check_gather_like(input._data, dim, idx,
                       src._data if isinstance(src, Tensor) else None)
    return Scatter.apply(input, dim, idx, src, reduce)


def scatter_add(input, dim, index, src):
    """input with out[i][index[i][j]] += src[i][j] (dim=1); repeated indices accumulate.

    >>> import glasstorch
    >>> glasstorch.zeros(3).scatter_add(0, glasstorch.tensor([0, 2, 0]), glasstorch.ones(3))
    tensor([2., 0., 1.])
    """
    idx = _index_arg(index, "scatter_add")
    dim = _wrap_dim(dim, input._data.ndim)
    src = _scatter_src(input, src, None, "scatter")
    if not isinstance(src, Tensor):
        src = _make(src)
    _check_gather_like(input._data, dim, idx, src._data)
    return ScatterAdd.apply(input, dim, idx, src)


def take_along_dim(input, indices, dim=None):
    """input's values at `indices` along `dim` (flattened when dim is None); input and indices
    broadcast outside `dim`; negative indices count from the end."""
    a = indices._data if isinstance(indices, Tensor) else None
    if a is None or a.dtype != _xp.int64:
        got = _type_word(indices) if a is not None else type(indices).__name__
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{got}")
    if dim is None:
        input = _shape.reshape(input, -1)
        a, dim = a.reshape(-1), 0
    else:
        nd = input._data.ndim
        if a.ndim != nd:
            raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                               f"number of dimensions, but got {nd} dimensions for input, and "
                               f"{a.ndim} dimensions for indices")
        dim = _wrap_dim(dim, nd)
        xs, ishape = list(input._data.shape), list(a.shape)
        xs[dim] = ishape[dim] = 1
        b = list(_broadcast_shape(tuple(xs), tuple(ishape)))
        if nd:
            b[dim] = input._data.shape[dim]
            if tuple(b) != input._data.shape:
                input = _shape.expand(input, tuple(b))
            b[dim] = a.shape[dim]
            a = _xp.broadcast_to(a, tuple(b))
    size = input._data.shape[dim] if input._data.ndim else 1
    if a.size and int(a.min()) < 0:
        a = _xp.where(a < 0, a + size, a)
    _check_gather_like(input._data, dim, a)
    return Gather.apply(input, dim, a)


def take(input, index):
    """input treated as 1-D, read at `index` (negative counts from the end); index's shape."""
    a = _index_arg(index, "take", (_xp.dtype(_xp.int64),),
                   f"take(): Expected a long tensor for index, but got {_type_word(index)}"
                   if isinstance(index, Tensor) else None)
    n = input._data.size
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if hi >= n or lo < -n:
            raise IndexError(f"out of range: tried to access index {hi if hi >= n else lo} on "
                             f"a tensor of {n} elements.")
    return Index.apply(_shape.reshape(input, -1), (Ellipsis,), (a,))


# ---- index_select / index_add / index_fill -------------------------------------------------------
def _check_bounds(a, size, dim, error=RuntimeError):
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if hi >= size or lo < -size:
            raise error(f"index {hi if hi >= size else lo} is out of bounds for dimension {dim} "
                        f"with size {size}")


class IndexSelect(Op, name="index_select"):
    """y = x.take(index, dim);  dy/dx = gy added back into zeros at index (repeats add up)."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        if x.ndim == 0:
            return x.reshape(-1)[index].reshape(())
        return _xp.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, gy):
        zeros = _zeros_like(gy._data, ctx.shape)
        return IndexAdd.apply(zeros, ctx.dim, ctx.index, gy, 1), None, None


class IndexAdd(Op, name="index_add"):
    """y = x;  y.select(dim, index[i]) += alpha * src.select(dim, i);  dy/dx = gy,
    dy/dsrc = alpha * gy.index_select(dim, index)."""

    @staticmethod
    def forward(ctx, x, dim, index, src, alpha):
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        y = x.copy()
        if alpha != 1:
            src = src * _xp.asarray(alpha, dtype=src.dtype)
        if y.ndim == 0:   # one index (checked): add the single element
            y += src.reshape(())
            return y
        _add_at(_xp.moveaxis(y, dim, 0), (index,), _xp.moveaxis(src, dim, 0))
        return y

    @staticmethod
    def backward(ctx, gy):
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = IndexSelect.apply(gy, ctx.dim, ctx.index)
            if ctx.alpha != 1:
                gsrc = gsrc * ctx.alpha
        return gy, None, None, gsrc, None


def index_select(input, dim, index):
    """The slices input.select(dim, i) for i in index, stacked along dim (a copy)."""
    a = _index_arg(index, "index_select", msg="index_select(): Expected dtype int32 or int64 "
                   "for index")
    if a.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    a = a.reshape(-1)
    x = input._data
    dim = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        if a.size != 1:
            raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                               f"{a.size} value(s)")
    size = x.shape[dim] if x.ndim else 1
    if a.size and (int(a.min()) < 0 or int(a.max()) >= size):
        raise IndexError("index out of range in self")
    return IndexSelect.apply(input, dim, a)


def index_add(input, dim, index, source, *, alpha=1):
    """input with alpha * source.select(dim, i) added at input.select(dim, index[i])."""
    a = _index_arg(index, "index_add_", msg="index_add_(): Expected dtype int32/int64 for index "
                   f"but got: {_type_word(index) if isinstance(index, Tensor) else ''}")
    if a.ndim > 1:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    a = a.reshape(-1)
    x, s = input._data, source._data
    dim = _wrap_dim(dim, x.ndim)
    if s.dtype != x.dtype:
        raise RuntimeError(f"index_add_(): self ({_type_word(input)}) and source "
                           f"({_type_word(source)}) must have the same scalar type")
    n_src = s.shape[dim] if s.ndim else 1
    if a.size != n_src:
        raise RuntimeError(f"index_add_(): Number of indices ({a.size}) should be equal to "
                           f"source.size(dim): ({n_src}), for dim: {dim}")
    if x.ndim and (s.ndim != x.ndim or any(p != q for d, (p, q) in
                                           enumerate(zip(x.shape, s.shape)) if d != dim)):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(x.shape)} "
                           f"source.shape = {list(s.shape)}")
    _check_bounds(a, x.shape[dim] if x.ndim else 1, dim)
    return IndexAdd.apply(input, dim, a, source, alpha)


class IndexFill(Op, name="index_fill"):
    """y = x with the slices at index set to value;  dy/dx = gy with those slices zeroed,
    dy/dvalue = sum of gy over those slices (each distinct index counted once)."""

    @staticmethod
    def forward(ctx, x, dim, index, value):
        ctx.dim, ctx.index = dim, index
        y = x.copy()
        v = _xp.asarray(value).astype(x.dtype)
        if y.ndim == 0:
            if index.size:
                y[...] = v
        else:
            _xp.moveaxis(y, dim, 0)[index] = v
        return y

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        gx = gv = None
        if need[0]:
            gx = IndexFill.apply(gy, ctx.dim, ctx.index, 0)
        if need[3]:
            rows = _xp.unique(ctx.index)
            gv = IndexSelect.apply(gy, ctx.dim, rows).sum()
        return gx, None, None, gv


def index_fill(input, dim, index, value):
    """input with input.select(dim, i) = value for i in index; value a number or 0-d tensor."""
    a = _index_arg(index, "index_fill_", (_xp.dtype(_xp.int64),),
                   "index_fill_(): Expected dtype int64 for index.", IndexError)
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    if a.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    a = a.reshape(-1)
    x = input._data
    dim = _wrap_dim(dim, x.ndim)
    size = x.shape[dim] if x.ndim else 1
    _check_bounds(a, size, dim, IndexError)
    return IndexFill.apply(input, dim, a, value)


# ---- masks and where -----------------------------------------------------------------------------
def _mask_arg(mask, msg):
    if not isinstance(mask, Tensor) or mask._data.dtype != bool:
        raise RuntimeError(msg)
    return mask._data


class Where(Op, name="where"):
    """y = a where cond else b;  dy/da = gy where cond (else 0), dy/db = gy elsewhere."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
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
        ctx.mask = mask
        return _xp.where(mask, _xp.asarray(value).astype(x.dtype), x)

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
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    _broadcast_shape(input._data.shape, mask._data.shape)
    return MaskedFill.apply(input, mask._data, value)


def _dtype_word(t):
    # torch's C++ names in mask errors: "unsigned char", "float", ...
    return {"uint8": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int",
            "int64": "long int", "float16": "c10::Half", "float32": "float",
            "float64": "double"}.get(t._data.dtype.name, t._data.dtype.name)


def masked_select(input, mask):
    """The elements of input where mask is True (both broadcast), as a 1-D copy."""
    m = _mask_arg(mask, "masked_select: expected BoolTensor for mask")
    shape = _broadcast_shape(input._data.shape, m.shape)
    if input._data.shape != shape:
        input = _shape.expand(input, shape)
    return Index.apply(input, (Ellipsis,), (_xp.broadcast_to(m, shape),))


class MaskedScatter(Op, name="masked_scatter"):
    """y = x with the places where mask is True filled, in order, by source's first elements;
    dy/dx = gy where not mask, dy/dsource = gy[mask] then zeros (unused source elements)."""

    @staticmethod
    def forward(ctx, x, mask, source, n):
        ctx.mask, ctx.src_shape, ctx.n = mask, source.shape, n
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

