"""Reductions: sum, prod, norm, all/any, count_nonzero; mean, var/std (and var_mean,
std_mean) are in moments.py and re-exported here. Max/min-like reductions are in extrema.py,
cumsum/cumprod in cumulative.py, softmax in softmax.py; the helpers every reduction shares in
_reduction.py.

`dim=None` (or an empty tuple) reduces every dim; `keepdim` keeps reduced dims as size 1.
Backward puts the reduced dims back (`_unreduce`) and broadcasts the incoming gradient over
them. Tensor methods (tensor_methods/reductions.py) and `glasstorch.<name>` both land here.
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import _make, _wrap_dim
from ._inplace import _type_word
from ._reduction import _INF, _dims, _expand_back, _kept_shape, _unreduce
from ._util import to_dtype
from .cumulative import Cumprod
from .moments import mean, var, std, var_mean, std_mean  # noqa: F401 (re-exported)

__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "prod", "norm", "all", "any",
           "count_nonzero"]


# ---- sum -------------------------------------------------------------------------------------
class Sum(Op, name="sum"):
    """y = sum of x over dims;  dy/dx = 1 (gy broadcast back over the summed dims)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=x.dtype)  # numpy widens int32

    @staticmethod
    def backward(ctx, gy):
        return _expand_back(gy, ctx.shape, ctx.dims, ctx.keepdim), None, None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over `dim` (all dims when None). Integer and bool inputs sum as int64 (torch)."""
    if dtype is not None:
        input = to_dtype(input, dtype)
    elif input._data.dtype.kind in "iub":
        input = to_dtype(input, _dtype.int64)
    return Sum.apply(input, _dims(dim, input._data.ndim), keepdim)


# ---- prod, cumsum, cumprod ---------------------------------------------------------------------
class _Shift(Op):
    """y[k] = x[k - step] along `dim` (`fill` where k - step falls outside);  the gradient
    shifts back. Builds exclusive products for prod's gradient when x contains zeros."""

    @staticmethod
    def forward(ctx, x, dim, step, fill):
        ctx.dim, ctx.step = dim, step
        y = ctx.xp.full_like(x, fill)
        n = x.shape[dim]
        src = [slice(None)] * x.ndim
        dst = [slice(None)] * x.ndim
        src[dim] = slice(0, n - step) if step > 0 else slice(-step, n)
        dst[dim] = slice(step, n) if step > 0 else slice(0, n + step)
        y[tuple(dst)] = x[tuple(src)]
        return y

    @staticmethod
    def backward(ctx, gy):
        return _Shift.apply(gy, ctx.dim, -ctx.step, 0), None, None, None


class Prod(Op, name="prod"):
    """y = prod of x over dim;  dy/dx_k = prod_{i != k} x_i (= y / x_k when x has no zeros)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        y = x.prod(axis=dim, keepdims=keepdim, dtype=x.dtype)
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.save_output(y)
            ctx.dim, ctx.keepdim = dim, keepdim
        return y

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        y = ctx.output()
        shape, dim = x.shape, ctx.dim
        dims = () if dim is None else (dim,)
        gy = _unreduce(gy, shape, dims, ctx.keepdim)
        if not (x._data == 0).any():
            return gy * (_unreduce(y, shape, dims, ctx.keepdim) / x), None, None
        # a zero makes y / x_k = 0/0: use exclusive products from the left and from the right,
        # prod_{i<k} x_i * prod_{i>k} x_i (torch's prod_safe_zeros_backward; exact, O(n))
        xs, d = (x.reshape(-1), 0) if dim is None else (x, dim)
        left = Cumprod.apply(_Shift.apply(xs, d, 1, 1), d, False)
        right = Cumprod.apply(_Shift.apply(xs, d, -1, 1), d, True)
        return gy * (left * right).reshape(shape), None, None


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over `dim` (one int) or over everything. Integer and bool inputs give int64."""
    if dtype is not None:
        input = to_dtype(input, dtype)
    elif input._data.dtype.kind in "iub":
        input = to_dtype(input, _dtype.int64)
    ndim = input._data.ndim
    if dim is not None:
        if not isinstance(dim, int):
            raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
        dim = _wrap_dim(dim, ndim)
        if ndim == 0:  # a 0-d tensor accepts dim 0 / -1 and has nothing to reduce
            dim, keepdim = None, False
    return Prod.apply(input, dim, keepdim)


# ---- norm --------------------------------------------------------------------------------------
class LinalgVectorNorm(Op, name="linalg_vector_norm"):
    """y = (sum |x|^p)^(1/p) over dims (p = inf: max |x|, p = 0: count of nonzeros);
    dy/dx = sign(x) |x|^(p-1) / y^(p-1) (0 where y == 0, as torch)."""
    undefined_grads = True   # p = 0: torch's gradient is undefined (None)

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = ctx.xp
        if p == 2:
            y = xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        elif p == _INF:
            y = xp.abs(x).max(axis=dims, keepdims=keepdim)
        elif p == -_INF:
            y = xp.abs(x).min(axis=dims, keepdims=keepdim)
        elif p == 0:
            y = (x != 0).sum(axis=dims, keepdims=keepdim).astype(x.dtype)
        elif p == 1:
            y = xp.abs(x).sum(axis=dims, keepdims=keepdim)
        else:
            y = (xp.abs(x) ** p).sum(axis=dims, keepdims=keepdim) ** (1 / p)
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.save_output(y)
            ctx.p, ctx.dims = p, dims
            ctx.gshape = None if keepdim else _kept_shape(x.shape, dims)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        y = ctx.output()
        p, xd = ctx.p, x._data
        if p == 0:  # a count: no gradient (torch gives None)
            return None, None, None, None
        if ctx.gshape is not None:
            gy, y = gy.reshape(ctx.gshape), y.reshape(ctx.gshape)
        dt, xp = xd.dtype, ctx.xp
        sign = xp.sign(xd)
        if p == 1:
            return gy * _make(sign), None, None, None
        if p in (_INF, -_INF):  # the slice's extreme |x|: ties share the gradient (like amax)
            pick = (xp.abs(xd) == y._data) | (xp.isnan(xd) & xp.isnan(y._data))
            count = pick.sum(axis=ctx.dims, keepdims=True)
            return gy * _make((sign * pick / count).astype(dt)), None, None, None
        zero = y._data == 0  # a zero norm: torch defines the gradient as 0, not 0/0
        if zero.any():
            y = y + _make(zero.astype(dt))
            gy = gy * _make((~zero).astype(dt))
        if p == 2:
            return gy * x / y, None, None, None
        ax = x * _make(sign)  # |x| with a constant sign: differentiable where x != 0
        if p < 1:  # |x|^(p-1) is infinite at x == 0: torch takes 0 there
            x0 = xd == 0
            ax = ax + _make(x0.astype(dt))
            return gy * _make(sign) * ax ** (p - 1) * y ** (1 - p), None, None, None
        return gy * _make(sign) * ax ** (p - 1) / y ** (p - 1), None, None, None


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """Vector p-norm over `dim` (all dims when None): p a number, inf, -inf, or 'fro' (= 2)."""
    if input._data.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_type_word(input._data.dtype)}")
    if dtype is not None:
        if dtype.itemsize < input._data.dtype.itemsize or not dtype.is_floating_point:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input "
                               f"({_type_word(input._data.dtype)}) should be convertible "
                               "without narrowing to the specified dtype "
                               f"({_type_word(dtype.np)})")
        input = to_dtype(input, dtype)
    if isinstance(p, str):
        if p != "fro":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if dim is not None and not isinstance(dim, int) and len(dim) not in (0, 1, 2):
            raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                               + " ".join(str(d) for d in dim))
        p = 2
    x = input._data
    dims = _dims(dim, x.ndim)
    if p in (_INF, -_INF) and x.size == 0:
        which = "inf" if p > 0 else "-inf"
        if dim is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {which} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in dims:
            if x.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {which} norm on the "
                                   f"dimension {d}because this dimension is empty and the "
                                   "operation does not have an identity")
    return LinalgVectorNorm.apply(input, float(p), dims, keepdim)


# ---- all, any, count_nonzero (no gradient) -----------------------------------------------------
def _logical(method, input, dim, keepdim):
    x = input._data
    y = _xp.asarray(getattr(x, method)(axis=_dims(dim, x.ndim), keepdims=keepdim))
    # torch: uint8 inputs give uint8 results (legacy), everything else bool
    return _make(y.astype(_xp.uint8) if x.dtype == _xp.uint8 else y)


def all(input, dim=None, keepdim=False):
    """True where every element over `dim` is nonzero (all dims when None)."""
    return _logical("all", input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """True where some element over `dim` is nonzero (all dims when None)."""
    return _logical("any", input, dim, keepdim)


def count_nonzero(input, dim=None):
    """Number of nonzero elements over `dim` (int or tuple; all dims when None), as int64."""
    x = input._data
    return _make(_xp.asarray((x != 0).sum(axis=_dims(dim, x.ndim), dtype=_xp.int64)))
