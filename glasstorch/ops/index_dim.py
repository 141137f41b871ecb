"""The dim-wise index ops: index_select, index_add, index_fill, index_copy (one index vector
along one dim). IndexSelect and IndexAdd are each other's backward (a pick's gradient is a
scatter-add into zeros, repeats add up); index_fill and index_copy zero the indexed slices of
the gradient. `x[i]`, `x[i] = v` and index_put are in index.py.
"""
from ..autograd.node import Op
from ..backend import xp as _xp, cpu_kernels as _k
from ..tensor import Tensor, _caller_op, _wrap_dim
from . import _inplace
from .index import _index_arg, _type_word, _zeros_like

__all__ = ["index_select", "index_add", "index_fill", "index_copy"]


# ---- index_select / index_add / index_fill -------------------------------------------------------
def _check_bounds(a, size, dim, error=RuntimeError, negative_ok=True):
    """torch's bounds check of an index array; index_add takes no negative index (NumPy
    would wrap it around and silently add to the wrong row)."""
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if hi >= size or lo < (-size if negative_ok else 0):
            raise error(f"index {hi if hi >= size else lo} is out of bounds for dimension {dim} "
                        f"with size {size} ({_caller_op()})")


class IndexSelect(Op, name="index_select"):
    """y = x.take(index, dim);  dy/dx = gy added back into zeros at index (repeats add up)."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.save(index=index)
        ctx.shape, ctx.dim = x.shape, dim
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
        ctx.save(index=index)
        ctx.dim, ctx.alpha = dim, alpha
        y = _inplace.writable(x)   # x itself for x.index_add_ (_inplace.py)
        if alpha != 1:
            src = src * _xp.asarray(alpha, dtype=src.dtype)
        if y.ndim == 0:   # one index (checked): add the single element
            y += src.reshape(())
            return y
        _k.add_at(_xp.moveaxis(y, dim, 0), (index,), _xp.moveaxis(src, dim, 0))
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
        bad = int(a[(a < 0) | (a >= size)].ravel()[0])
        where = f"(index_select: index {bad} is not in [0, {size}), dim {dim} of a tensor of " \
                f"shape {list(x.shape)})"
        if x.ndim >= 2 and dim == 1:    # torch's CPU kernel has its own path for dim 1
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} "
                               f"axis_dim={size} {where}")
        raise IndexError(f"index out of range in self {where}")
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
    if x.ndim == 1 and a.size and (int(a.min()) < 0 or int(a.max()) >= x.shape[0]):
        bad = int(a[(a < 0) | (a >= x.shape[0])].ravel()[0])   # (torch's 1-D path's words)
        raise IndexError(f"index out of range in self (index_add_: index {bad} is not in [0, "
                         f"{x.shape[0]}))")
    _check_bounds(a, x.shape[dim] if x.ndim else 1, dim, negative_ok=False)
    return IndexAdd.apply(input, dim, a, source, alpha)


class IndexFill(Op, name="index_fill"):
    """y = x with the slices at index set to value;  dy/dx = gy with those slices zeroed,
    dy/dvalue = sum of gy over those slices (each distinct index counted once)."""

    @staticmethod
    def forward(ctx, x, dim, index, value):
        ctx.save(index=index)
        ctx.dim = dim
        y = _inplace.writable(x)   # x itself for x.index_fill_ (_inplace.py)
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


class IndexCopy(Op, name="index_copy"):
    """y = x with y.select(dim, index[i]) = src.select(dim, i) (a repeated index: the last
    wins);  dy/dx = gy with the indexed slices zeroed, dy/dsrc = gy.index_select(dim, index)."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.save(index=index)
        ctx.dim, ctx.src_shape = dim, src.shape
        ctx.flat = x.ndim == 0 or src.ndim == 0   # a scalar side: one element per index
        y = _inplace.writable(x)   # x itself for x.index_copy_ (_inplace.py)
        if ctx.flat:
            y.reshape(-1)[index] = src.reshape(-1)
        else:
            _xp.moveaxis(y, dim, 0)[index] = _xp.moveaxis(src, dim, 0)
        return y

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        gx = IndexFill.apply(gy, ctx.dim, ctx.index, 0) if need[0] else None
        gsrc = None
        if need[3] and ctx.flat:
            gsrc = IndexSelect.apply(gy.reshape(-1), 0, ctx.index).reshape(ctx.src_shape)
        elif need[3]:
            gsrc = IndexSelect.apply(gy, ctx.dim, ctx.index)
        return gx, None, None, gsrc


def index_copy(input, dim, index, source):
    """input with input.select(dim, index[i]) = source.select(dim, i) for each i (torch's
    checks and their order: index shape, scalar source, dims, dtypes, slice shapes, count)."""
    for name, t, pos in (("index", index, 2), ("source", source, 3)):   # x.index_copy's
        if not isinstance(t, Tensor):
            raise TypeError(f"index_copy(): argument '{name}' (position {pos}) must be "
                            f"Tensor, not {type(t).__name__}")
    x, a, s = input._data, index._data, source._data
    dim = _wrap_dim(dim, x.ndim)
    if a.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {a.ndim})")
    if s.ndim == 0 and a.size != 1:
        raise IndexError("index_copy_(): When source is scalar, index should have one element "
                         f"(got {a.size})")
    if s.ndim != x.ndim and s.ndim and x.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({s.ndim}), "
                         f"destination dimensionality ({x.ndim})")
    if a.dtype != _xp.int64:
        raise RuntimeError("index_copy_(): Expected a long tensor for index, but got "
                           f"{_type_word(index)}")
    if s.dtype != x.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {_type_word(input)} and (source) {_type_word(source)}")
    x_slice = [n for d, n in enumerate(x.shape) if d != dim]
    s_slice = [n for d, n in enumerate(s.shape) if d != dim]
    if x_slice != s_slice:
        raise RuntimeError("index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {' '.join(map(str, x_slice))} "
                           f"at dimension {dim} and source slice shape: "
                           f"{' '.join(map(str, s_slice))} at dimension 0.")
    if s.ndim and a.size != s.shape[dim]:
        raise IndexError(f"index_copy_(): Number of indices ({a.size}) should be equal to "
                         f"source.size(dim) ({s.shape[dim]})")
    a = a.reshape(-1)
    size = x.shape[dim] if x.ndim else 1
    bad = a[(a < 0) | (a >= size)]
    if bad.size:
        raise IndexError(f"index_copy_(): index {bad[0]} is out of bounds for dimension {dim} "
                         f"with size {size}")
    return IndexCopy.apply(input, dim, a, source)
