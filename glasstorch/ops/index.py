"""Indexing: `x[i]`, `x[i] = v`, index_put (index_select/add/fill/copy: index_dim.py).

`x[index]` takes PyTorch's two steps: a view for ints/slices/None/Ellipsis, then a copy for
index tensors, lists and masks (`_parse` in _index_parse.py splits an index). A pick's gradient
is a scatter-add into zeros (a place picked twice gets both): IndexGrad and IndexAdd are the
backwards of Slice/Index and IndexSelect (index_dim.py) and vice versa, so second derivatives
come free.
`x[i] = v` is IndexPut written back by _inplace.py (read it next). gather/scatter/take are in
gather.py, masked ops, where and nonzero in mask.py; the scatter-add kernel is
backend/cpu_kernels.py's `add_at`.
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp, cpu_kernels as _k
from ..tensor import Tensor, _make
from . import _inplace, _strides, view as _view
from ._index_parse import _INT_INDEX, _parse, _view_shape
from ._util import to_dtype

__all__ = ["index_put"]


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
        ctx.save(adv=adv)
        ctx.shape, ctx.basic = x.shape, basic
        return x[basic][adv]

    @staticmethod
    def backward(ctx, gy):
        return IndexGrad.apply(gy, ctx.shape, ctx.basic, ctx.adv), None, None


class IndexGrad(Op, name="index_backward"):
    """gx = zeros(shape) with gy added at [basic][adv] (the gradient of Slice and Index);
    d/dgy = gg[basic][adv]."""

    @staticmethod
    def forward(ctx, gy, shape, basic, adv):
        ctx.save(adv=adv)
        ctx.basic = basic
        gx = _xp.zeros(shape, dtype=gy.dtype)
        _k.put(gx, basic, adv, gy, accumulate=adv is not None)
        return gx

    @staticmethod
    def backward(ctx, gg):
        return _pick(gg, ctx.basic, ctx.adv), None, None, None


def _pick(x, basic, adv, kind="Alias"):
    if adv is None:
        out = Slice.apply(x, basic, kind)
        return _strides._as_view(x, out, lambda t: _pick(t, basic, None, kind))
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
        ctx.save(adv=adv)
        ctx.basic, ctx.accumulate = basic, accumulate
        y = _inplace.writable(x)   # x itself for x.index_put_ / x[i] = v (_inplace.py)
        _k.put(y, basic, adv, v, accumulate)
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


def _index_put(x, basic, adv, value, accumulate=False, late=()):
    """The out-of-place `x[basic][adv] = value`; value cast to x's dtype, broadcast checked,
    then the errors `late` that _parse deferred raised (torch's order)."""
    if not isinstance(value, Tensor):
        value = _make(_xp.asarray(value).astype(x._data.dtype))
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
            _view.expand(value, rshape)
    else:
        try:
            fits = len(vshape) <= len(rshape) and _xp.broadcast_shapes(vshape, rshape) == rshape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot "
                               f"be broadcast to indexing result of shape {list(rshape)}")
    if late:
        raise late[0]
    if value._data.dtype != x._data.dtype:
        value = to_dtype(value, _dtype.from_numpy_dtype(x._data.dtype))
    return IndexPut.apply(x, value, basic, adv, accumulate)


def setitem(x, index, value):
    """x[index] = value, in place. Without a graph to record (no_grad: optimizer steps,
    initialization) it is a direct write into x's buffer; otherwise the out-of-place IndexPut
    is written back by _inplace.inplace, so gradients reach both x and value."""
    if not isinstance(value, (Tensor, int, float)):   # torch: no lists, arrays, NumPy scalars
        t = type(value)
        name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"
        raise TypeError(f"can't assign a {name} to a {x.type()}")
    late = []   # an out-of-bounds index raises after the value's shape check (torch's order)
    basic, adv, _ = _parse(x._data.shape, index, late)
    if adv is not None:
        _byte_mask_fill(index if type(index) is tuple else (index,), value)
        _inplace.check_no_overlap(x, value, *(index if type(index) is tuple else (index,)))
    if late:
        _index_put(x.detach(), basic, adv, value, late=late)
    if _inplace._records(x, (value,)):
        # torch writes through a view here
        if adv is None and x._requires_grad and x.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        _inplace.inplace(x, _index_put, basic, adv, value, direct=True)
        return
    if _inplace._overlaps(x._data):   # an expand()ed tensor: elements share memory
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    v = value._data if isinstance(value, Tensor) else value
    try:
        _k.put(x._data, basic, adv, v, False)
    except ValueError:   # NumPy's broadcast error; torch raises RuntimeError
        _index_put(x.detach(), basic, adv, value)   # raises torch's message
        raise
    x._version_counter[0] += 1


def _byte_mask_fill(items, value):
    """torch hands a lone mask index and a one-element value to masked_fill_, which refuses a
    uint8 mask (torch's deprecated byte masks work everywhere else)."""
    adv = [it for it in items if isinstance(it, (Tensor, list, tuple, _xp.ndarray, bool))]
    one = not isinstance(value, Tensor) or value._data.size == 1
    if one and len(adv) == 1 and isinstance(adv[0], Tensor) and adv[0]._data.ndim and \
            adv[0]._data.dtype == _xp.uint8:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           "unsigned char")


def index_put(input, indices, values, accumulate=False):
    """input with input[indices] = values (accumulate: +=); indices is a tuple of tensors."""
    if not isinstance(values, Tensor):
        raise TypeError("index_put(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    # torch's order: index dtypes and size-0 dims, the value's shape, its dtype, index bounds
    late = []
    basic, adv, _ = _parse(input._data.shape, tuple(indices), late)
    # torch hands a single mask and a one-element value to masked_fill, which casts the value
    mask_fill = not accumulate and values._data.size == 1 and len(indices) == 1 and \
        indices[0]._data.dtype.kind in "bu"
    if mask_fill:
        _byte_mask_fill(indices, values)
    elif values._data.dtype != input._data.dtype:
        late.insert(0, RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{_type_word(input)} for the destination and {_type_word(values)} for the source."))
    return _index_put(input, basic, adv, values, accumulate, late)


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
