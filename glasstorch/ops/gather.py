"""gather, scatter, scatter_add, take_along_dim, take: picks along one dim by an index tensor.

Gather's gradient is ScatterAdd into zeros, and ScatterAdd's is Gather, so second derivatives
come free. The index checks raise torch's errors (dtype, ndim, sizes, bounds).
"""
from ..autograd.node import Op
from ..backend import xp as _xp, cpu_kernels as _k
from ..tensor import Tensor, _caller_op, _make, _wrap_dim
from . import _inplace, view as _view
from ._index_parse import _ALL, _broadcast_shape
from .index import Index, IndexGrad, _index_arg, _type_word, _zeros_like

__all__ = ["gather", "scatter", "scatter_add", "take_along_dim", "take"]


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
                               f"{dim} with size {size} ({_caller_op()}: input of shape "
                               f"{list(x.shape)}, index of shape {list(index.shape)})")


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
    if y.flags.c_contiguous:   # one index of flat positions: add_at's fast paths
        flat = _xp.ravel_multi_index(where, y.shape).reshape(-1)
        _k.add_at(y.reshape(-1), (flat,), _xp.broadcast_to(src, index.shape).reshape(-1))
    else:
        _xp.add.at(y, where, src)


class Gather(Op, name="gather"):
    """y[i] = x[.., index[i], ..] (along dim);  dy/dx = gy scatter-added back at index."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.save(index=index)
        ctx.shape, ctx.dim = x.shape, dim
        return _gather(x, dim, index)

    @staticmethod
    def backward(ctx, gy):
        zeros = _zeros_like(gy._data, ctx.shape)
        return ScatterAdd.apply(zeros, ctx.dim, ctx.index, gy), None, None


class ScatterAdd(Op, name="scatter_add"):
    """y = x;  y[.., index[i], ..] += src[i];  dy/dx = gy, dy/dsrc = gy gathered at index."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.save(index=index)
        ctx.dim, ctx.src_shape = dim, src.shape
        y = _inplace.writable(x)   # x itself for x.scatter_add_ (_inplace.py)
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
        ctx.save(index=index)
        ctx.dim, ctx.reduce = dim, reduce
        ctx.src_shape = _xp.shape(src)
        y = _inplace.writable(x)   # x itself for x.scatter_ (_inplace.py)
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
    shape, which may be smaller than input's outside `dim`. With sparse_grad=True torch
    returns input's gradient as a sparse COO tensor; glasstorch tensors are dense (sparse
    layouts are out of scope), so that gradient has the same values, dense.

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
        input = _view.reshape(input, -1)
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
                input = _view.expand(input, tuple(b))
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
    return Index.apply(_view.reshape(input, -1), (Ellipsis,), (a,))


# ---- one_hot (nn.functional) -------------------------------------------------------------------
def one_hot(tensor, num_classes=-1):
    """(*) int64 class indices -> (*, num_classes) int64 with a 1 at each index;
    num_classes=-1 means max(tensor) + 1.

    >>> import glasstorch as torch
    >>> torch.nn.functional.one_hot(torch.tensor([0, 2]))
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    x = tensor._data
    if x.dtype != _xp.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(x.max()) + 1
    if x.size:
        if x.min() < 0:
            raise RuntimeError(f"Class values must be non-negative. (one_hot: found {int(x.min())}"
                               f" in a tensor of shape {list(x.shape)})")
        if x.max() >= num_classes:
            raise RuntimeError(f"Class values must be smaller than num_classes. (one_hot: found "
                               f"{int(x.max())}, num_classes {num_classes})")
    return _make((x[..., None] == _xp.arange(num_classes)).astype(_xp.int64))
