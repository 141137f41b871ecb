"""Reductions: sum, mean, var/std, prod, max/min/median, amax/amin, argmax/argmin, logsumexp,
cumsum/cumprod, norm, all/any, count_nonzero.

`dim=None` (or an empty tuple) reduces every dim; `keepdim` keeps reduced dims as size 1.
Backward puts the reduced dims back (`_unreduce`) and broadcasts the incoming gradient over
them. Selections (max, min, median) save a constant 0/1 "who was picked" array in forward, so
their backward is one multiply: linear in gy, hence differentiable again for free.
Tensor methods (tensor.py) and `glasstorch.<name>` both land here; softmax is in softmax.py.
"""
import builtins
import warnings

from .. import _dtype
from ..autograd.grad_mode import STATE
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor, _make, _wrap_dim
from ._inplace import _type_word
from ._util import to_dtype

__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "prod", "max", "min", "amax",
           "amin", "aminmax", "argmax", "argmin", "logsumexp", "cumsum", "cumprod", "norm",
           "all", "any", "count_nonzero", "median"]

_INF = float("inf")


# ---- helpers -----------------------------------------------------------------------------------
def _dims(dim, ndim):
    """torch's `dim` -> sorted tuple of axes to reduce. None or () means every dim; a 0-d
    tensor accepts dim 0 / -1 but has no axis to reduce."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        d = _wrap_dim(dim, ndim)
        return (d,) if ndim else ()
    if not dim:
        return tuple(range(ndim))
    seen = []
    for d in dim:
        d = _wrap_dim(d, ndim)
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.append(d)
    return tuple(sorted(seen)) if ndim else ()


def _kept_shape(shape, dims):
    """The shape of a keepdim=True result: reduced dims become 1."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _unreduce(t, shape, dims, keepdim):
    """A reduced tensor reshaped so it broadcasts against the input (reduced dims as 1)."""
    if keepdim or not dims:
        return t
    return t.reshape(_kept_shape(shape, dims))


def _expand_back(gy, shape, dims, keepdim):
    """Grad of a reduction: put the reduced dims back (size 1) and broadcast to `shape`."""
    return _unreduce(gy, shape, dims, keepdim).expand(shape)


def _count(shape, dims):
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _float_only(x, name):
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either "
                           "a floating point or complex dtype. Got: "
                           f"{_type_word(x._data.dtype)}")


def _to_float(x):
    """logsumexp & co. on integer/bool inputs compute in the default float dtype (torch)."""
    if x._data.dtype.kind != "f":
        return to_dtype(x, _dtype.get_default_dtype())
    return x


def _check_nonempty(x, dims, dim_given, name, dim_msg=True):
    """Reductions without an identity (max, amax, argmax, median) on empty inputs: torch's
    errors. `dim_msg` adds torch's hint for functions that also take no dim."""
    if x._data.size:
        return
    if not dim_given:
        if dim_msg:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                         "input.numel() == 0.")
    for d in dims:
        if x._data.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _return_type(name, first, second):
    """torch.return_types.<name>: a 2-tuple whose items are also named attributes."""
    def __new__(cls, a, b):
        return tuple.__new__(cls, (a, b))

    def __repr__(self):
        return f"torch.return_types.{name}(\n{first}={self[0]!r},\n{second}={self[1]!r})"

    ns = {"__slots__": (), "__new__": __new__, "__repr__": __repr__,
          "__getnewargs__": lambda self: tuple(self),  # so pickle calls __new__(cls, a, b)
          first: property(lambda self: self[0]), second: property(lambda self: self[1]),
          "_fields": (first, second), "__module__": __name__,
          "__qualname__": f"_{name.capitalize()}Result"}
    return type(name, (tuple,), ns)


_MaxResult = _return_type("max", "values", "indices")
_MinResult = _return_type("min", "values", "indices")
_MedianResult = _return_type("median", "values", "indices")
_AminmaxResult = _return_type("aminmax", "min", "max")


# ---- sum, mean ---------------------------------------------------------------------------------
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


class Mean(Op, name="mean"):
    """y = sum(x) / N over dims;  dy/dx = 1/N."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        n = _count(x.shape, dims)
        ctx.shape, ctx.dims, ctx.keepdim, ctx.n = x.shape, dims, keepdim, n
        if n == 0:  # torch: the mean of nothing is nan, silently
            with ctx.xp.errstate(invalid="ignore"):
                return x.sum(axis=dims, keepdims=keepdim) / n
        return x.sum(axis=dims, keepdims=keepdim) / n

    @staticmethod
    def backward(ctx, gy):
        if ctx.n == 0:  # the input is empty: nothing to divide
            return _expand_back(gy, ctx.shape, ctx.dims, ctx.keepdim), None, None
        return _expand_back(gy / ctx.n, ctx.shape, ctx.dims, ctx.keepdim), None, None


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over `dim` (all dims when None). Floating inputs only, unless `dtype` is given."""
    if dtype is not None:
        if not dtype.is_floating_point:
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be "
                               "either a floating point or complex dtype. Got: "
                               f"{_type_word(dtype.np)}")
        input = to_dtype(input, dtype)
    _float_only(input, "mean")
    return Mean.apply(input, _dims(dim, input._data.ndim), keepdim)


# ---- var, std ----------------------------------------------------------------------------------
def _var_kernel(xp, x, dims, correction, keepdim, name):
    # numpy divides by max(0, N - correction), as torch does; torch also warns when that is 0
    if _count(x.shape, dims) - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
        with xp.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return xp.var(x, axis=dims, ddof=correction, keepdims=keepdim)
    return xp.var(x, axis=dims, ddof=correction, keepdims=keepdim)


def _var_backward(x, gy, dims, correction, keepdim, rnumel):
    """d var / dx = 2 (x - mean) / (N - correction), written in glasstorch ops (so
    differentiable), with torch's conventions when N - correction <= 0."""
    xd = x._data
    if rnumel is None:  # whole tensor (dim=None): torch returns inf, or nan where x == mean
        dof = xd.size - correction
        if dof <= 0:
            bad = _xp.where(xd == xd.mean(), _xp.nan, _INF).astype(xd.dtype)
            return gy * _make(bad)
        return (2.0 / dof) * gy * (x - Mean.apply(x, dims, False))
    # torch: with an explicit dim the factor is 2 / (N - correction), unclamped (N of () is 1)
    dof = rnumel - correction
    factor = 2.0 / dof if dof != 0 else _INF
    gy = _unreduce(gy, xd.shape, dims, keepdim)
    return factor * gy * (x - Mean.apply(x, dims, True))


class Var(Op, name="var"):
    """y = sum((x - mean)^2) / (N - correction);  dy/dx = 2 (x - mean) / (N - correction)."""

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, rnumel):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.args = (dims, correction, keepdim, rnumel)
        return _var_kernel(ctx.xp, x, dims, correction, keepdim, "var")

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return _var_backward(x, gy, *ctx.args), None, None, None, None


class Std(Op, name="std"):
    """y = sqrt(var(x));  dy/dx = dvar/dx / (2 y), taken as 0 where y == 0 (torch)."""

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, rnumel):
        y = ctx.xp.sqrt(_var_kernel(ctx.xp, x, dims, correction, keepdim, "std"))
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.save_output(y)
            ctx.args = (dims, correction, keepdim, rnumel)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        y = ctx.output()
        zero = y._data == 0
        if zero.any():  # constant std: torch defines the gradient as 0 (not 0/0)
            keep = _make((~zero).astype(y._data.dtype))
            gvar = gy / (2 * (y + _make(zero.astype(y._data.dtype)))) * keep
        else:
            gvar = gy / (2 * y)
        return _var_backward(x, gvar, *ctx.args), None, None, None, None


def _var_args(input, dim, unbiased, correction, name):
    """Normalize torch's var/std overloads: (dim, unbiased, keepdim), legacy (unbiased) and
    correction=. Returns (dims, correction, rnumel); rnumel is None for dim=None."""
    if isinstance(dim, bool):  # legacy var(unbiased)
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments - got both "
                            "unbiased and correction")
        correction = 1 if unbiased else 0
    elif correction is None:
        correction = 1  # torch: Bessel's correction by default
    if input._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    shape = input._data.shape
    dims = _dims(dim, len(shape))
    if dim is None or not shape:
        return dims, correction, None
    return dims, correction, _count(shape, dims)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over `dim`, dividing by N - correction (default correction=1, Bessel's)."""
    dims, correction, rnumel = _var_args(input, dim, unbiased, correction, "var")
    return Var.apply(input, dims, correction, keepdim, rnumel)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: sqrt(var(input, dim, ...))."""
    dims, correction, rnumel = _var_args(input, dim, unbiased, correction, "std")
    return Std.apply(input, dims, correction, keepdim, rnumel)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over the same dims."""
    dims, correction, rnumel = _var_args(input, dim, unbiased, correction, "var_mean")
    return Var.apply(input, dims, correction, keepdim, rnumel), Mean.apply(input, dims, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over the same dims."""
    dims, correction, rnumel = _var_args(input, dim, unbiased, correction, "std_mean")
    return Std.apply(input, dims, correction, keepdim, rnumel), Mean.apply(input, dims, keepdim)


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


def _scan(xp, fn, x, dim, reverse):
    # cumulative sum/product along dim, from the end when reverse (x[k] op x[k+1] op ...)
    if reverse:
        return xp.flip(fn(xp.flip(x, dim), axis=dim, dtype=x.dtype), dim)
    return fn(x, axis=dim, dtype=x.dtype)


class Cumsum(Op, name="cumsum"):
    """y_k = sum_{i<=k} x_i along dim;  gx_k = sum_{j>=k} gy_j: a cumsum run from the end
    (`reverse`), whose own gradient is the forward cumsum again."""

    @staticmethod
    def forward(ctx, x, dim, reverse):
        ctx.dim, ctx.reverse = dim, reverse
        if x.ndim == 0:
            return x.copy()
        return _scan(ctx.xp, ctx.xp.cumsum, x, dim, reverse)

    @staticmethod
    def backward(ctx, gy):
        return Cumsum.apply(gy, ctx.dim, not ctx.reverse), None, None


class Cumprod(Op, name="cumprod"):
    """y_k = prod_{i<=k} x_i;  gx_k = sum_{j>=k} gy_j prod_{i<=j, i!=k} x_i, which is
    sum_{j>=k} gy_j y_j / x_k when x has no zeros."""

    @staticmethod
    def forward(ctx, x, dim, reverse):
        y = x.copy() if x.ndim == 0 else _scan(ctx.xp, ctx.xp.cumprod, x, dim, reverse)
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.save_output(y)
            ctx.dim, ctx.reverse = dim, reverse
        return y

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        y = ctx.output()
        d, rev = ctx.dim, ctx.reverse
        if x.ndim == 0:
            return gy, None, None
        if not (x._data == 0).any():
            return Cumsum.apply(gy * y, d, not rev) / x, None, None
        if not STATE.enabled:  # first derivative only (no create_graph): O(n) on arrays
            return _make(_cumprod_grad_zeros(ctx.xp, x._data, y._data, gy._data, d, rev)), \
                None, None
        # create_graph with zeros: the O(n^2) formula, differentiable (as torch does)
        return _cumprod_grad_quadratic(x, gy, d, rev), None, None


def _cumprod_grad_zeros(xp, x, y, gy, dim, reverse):
    """Cumprod's gradient when x has zeros (torch's cumprod_backward): before the first zero
    z of a slice the y / x formula holds; gx_z = sum_{j>=z} gy_j prod_{i<=j, i!=z} x_i; after
    z every product contains x_z = 0, so the gradient is 0."""
    x, y, gy = (xp.moveaxis(a, dim, -1) for a in (x, y, gy))
    if reverse:
        x, y, gy = (xp.flip(a, -1) for a in (x, y, gy))
    k = xp.arange(x.shape[-1])
    is_zero = x == 0
    z = xp.where(is_zero.any(-1, keepdims=True), is_zero.argmax(-1, keepdims=True), k.size)
    before, at = k < z, k == z
    w = _scan(xp, xp.cumsum, gy * y, -1, True)
    gx = xp.where(before, w / xp.where(before, x, 1), 0)
    c = xp.cumprod(xp.where(at, 1, x), -1)  # prod_{i<=j, i!=z} x_i
    gx = xp.where(at, xp.where(k >= z, gy * c, 0).sum(-1, keepdims=True), gx)
    if reverse:
        gx = xp.flip(gx, -1)
    return xp.moveaxis(gx, -1, dim)


def _cumprod_grad_quadratic(x, gy, dim, reverse):
    """gx_k = sum_j gy_j M[k, j] with M[k, j] = prod_{i<=j, i!=k} x_i (j >= k): an (n, n)
    cumprod of x with x_k replaced by 1 in row k. O(n^2) memory, but exact and differentiable."""
    xt, gyt = x.transpose(dim, -1), gy.transpose(dim, -1)
    lead, n = tuple(xt.shape[:-1]), xt.shape[-1]
    dt = x._data.dtype
    eye = _xp.eye(n, dtype=bool)
    rows = xt.reshape(lead + (1, n)).expand(lead + (n, n))
    rows = rows * _make((~eye).astype(dt)) + _make(eye.astype(dt))
    m = Cumprod.apply(rows, len(lead) + 1, reverse)
    ones = _xp.ones((n, n), dt)
    band = _xp.tril(ones) if reverse else _xp.triu(ones)  # the j that y_j depends on x_k for
    gx = (m * _make(band) * gyt.reshape(lead + (1, n))).sum(-1)
    return gx.transpose(dim, -1)


def _cum_args(input, dim, dtype):
    if dtype is not None:
        input = to_dtype(input, dtype)
    elif input._data.dtype.kind in "iub":  # torch: integer scans accumulate in int64
        input = to_dtype(input, _dtype.int64)
    return input, _wrap_dim(dim, input._data.ndim)


def cumsum(input, dim, *, dtype=None):
    """Running sum along `dim`."""
    input, dim = _cum_args(input, dim, dtype)
    return Cumsum.apply(input, dim, False)


def cumprod(input, dim, *, dtype=None):
    """Running product along `dim`."""
    input, dim = _cum_args(input, dim, dtype)
    return Cumprod.apply(input, dim, False)


# ---- max, min, median (selections) -------------------------------------------------------------
class _Selection(Op):
    """Base of max/min/median. Whole tensor (idx None): y = kernel(x), the gradient split
    evenly among tied elements (torch). Along a dim: y = x at `idx`, the gradient routed to
    that index only. Either way backward is gy times a saved constant array, so it is linear
    in gy and differentiable again."""
    kernel = None
    whole_suffix = 1  # torch: max() is MaxBackward1 and max(dim) MaxBackward0; median reverses

    @staticmethod
    def forward(ctx, x, idx, dim, keepdim):
        xp = ctx.xp
        need = ctx.needs_input_grad[0]
        if idx is None:
            y = type(ctx).kernel(xp, x)
            if need:
                pick = xp.isnan(x) if y != y else x == y  # a nan result: the nans are the ties
                ctx.scale = pick.astype(x.dtype) / builtins.int(pick.sum())
                ctx.gshape, ctx.whole = None, True
            return y
        y = xp.take_along_axis(x, idx, dim)
        if not keepdim:
            y = y.squeeze(dim)
        if need:
            scale = xp.zeros_like(x)
            xp.put_along_axis(scale, idx, 1, dim)
            ctx.scale = scale
            ctx.gshape, ctx.whole = (None if keepdim else idx.shape), False
        return y

    @staticmethod
    def backward(ctx, gy):
        if ctx.gshape is not None:
            gy = gy.reshape(ctx.gshape)
        return gy * _make(ctx.scale), None, None, None

    def name(self):
        suffix = self.whole_suffix if self.whole else 1 - self.whole_suffix
        return f"{type(self).__name__}Backward{suffix}"


def _lower_median(xp, x):
    flat = x.reshape(-1)
    if flat.size == 0:  # torch: the median of nothing is nan
        return xp.asarray(xp.nan, dtype=x.dtype)
    if x.dtype.kind == "f" and xp.isnan(flat).any():
        return xp.asarray(xp.nan, dtype=x.dtype)
    k = (flat.size - 1) // 2  # torch: the lower of the two middle values
    return xp.partition(flat, k)[k]


class Max(_Selection, name="max"):
    """y = max(x);  dy/dx = 1 at the maximum (1/count for ties of a whole-tensor max)."""
    kernel = staticmethod(lambda xp, x: x.max())


class Min(_Selection, name="min"):
    """y = min(x);  dy/dx = 1 at the minimum (1/count for ties of a whole-tensor min)."""
    kernel = staticmethod(lambda xp, x: x.min())


class Median(_Selection, name="median"):
    """y = lower median of x;  dy/dx = 1 at the median (1/count for whole-tensor ties)."""
    kernel = staticmethod(_lower_median)
    whole_suffix = 0


def _median_index(xp, x, d):
    # the lower middle of a stable sort (matches torch on ties); a nan slice picks its nan
    idx = xp.take(xp.argsort(x, axis=d, kind="stable"), [(x.shape[d] - 1) // 2], axis=d)
    if x.dtype.kind == "f":
        nan = xp.isnan(x)
        idx = xp.where(nan.any(d, keepdims=True), nan.argmax(d, keepdims=True), idx)
    return idx


def _select(op, result, input, dim, keepdim, index_fn, name):
    """max/min/median: the whole-tensor value, or (values, indices) along `dim`."""
    x = input._data
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            "(keepdim=bool), but expected a dim with keepdim")
        if name != "median":  # torch: the median of nothing is nan, max/min raise
            _check_nonempty(input, (), False, name)
        return op.apply(input, None, None, False)
    d = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:  # a 0-d tensor accepts dim 0 / -1: select from its 1-element view
        values = op.apply(input.reshape(1), _xp.zeros(1, _xp.int64), 0, False)
        return result(values, _make(_xp.asarray(0)))
    _check_nonempty(input, (d,), True, name)
    idx = index_fn(_xp, x, d)
    values = op.apply(input, idx, d, keepdim)
    return result(values, _make(idx if keepdim else idx.squeeze(d)))


def _argmax_keep(xp, x, d):
    return xp.argmax(x, axis=d, keepdims=True)  # first occurrence on ties, nan counts as max


def _argmin_keep(xp, x, d):
    return xp.argmin(x, axis=d, keepdims=True)


def max(input, dim=None, keepdim=False, *, other=None):
    """max(input) -> max of all elements; max(input, dim, keepdim=False) -> (values, indices);
    max(input, other) -> the elementwise maximum (torch's three overloads)."""
    if other is not None or isinstance(dim, Tensor):
        from .binary import maximum
        return maximum(input, dim if other is None else other)
    return _select(Max, _MaxResult, input, dim, keepdim, _argmax_keep, "max")


def min(input, dim=None, keepdim=False, *, other=None):
    """min(input), min(input, dim, keepdim=False) -> (values, indices), min(input, other)."""
    if other is not None or isinstance(dim, Tensor):
        from .binary import minimum
        return minimum(input, dim if other is None else other)
    return _select(Min, _MinResult, input, dim, keepdim, _argmin_keep, "min")


def median(input, dim=None, keepdim=False):
    """Lower median of all elements, or (values, indices) along `dim`. Nan if any is nan."""
    return _select(Median, _MedianResult, input, dim, keepdim, _median_index, "median")


# ---- amax, amin, argmax, argmin ----------------------------------------------------------------
class _Extremum(Op):
    """Base of amax/amin: y = extremum over dims;  dy/dx = 1/count at the extrema of each
    slice (ties share the gradient evenly), 0 elsewhere."""
    method = None

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        y = getattr(x, type(ctx).method)(axis=dims, keepdims=keepdim)
        if ctx.needs_input_grad[0]:
            kshape = _kept_shape(x.shape, dims)
            pick = (x == ctx.xp.reshape(y, kshape)).astype(x.dtype)
            with ctx.xp.errstate(invalid="ignore", divide="ignore"):  # a nan slice: torch's nan
                ctx.scale = pick / pick.sum(axis=dims, keepdims=True)
            ctx.gshape = None if keepdim else kshape
        return y

    @staticmethod
    def backward(ctx, gy):
        if ctx.gshape is not None:
            gy = gy.reshape(ctx.gshape)
        return gy * _make(ctx.scale), None, None


class Amax(_Extremum, name="amax"):
    """y = max over dims;  dy/dx = 1/count at the maxima of each slice."""
    method = "max"


class Amin(_Extremum, name="amin"):
    """y = min over dims;  dy/dx = 1/count at the minima of each slice."""
    method = "min"


def _extremum(op, input, dim, keepdim, name):
    dims = _dims(dim, input._data.ndim)
    _check_nonempty(input, dims, dim is not None and dim != () and dim != [], name)
    return op.apply(input, dims, keepdim)


def amax(input, dim=(), keepdim=False):
    """Max over `dim` (int or tuple; all dims when empty). Ties share the gradient."""
    return _extremum(Amax, input, dim, keepdim, "amax")


def amin(input, dim=(), keepdim=False):
    """Min over `dim` (int or tuple; all dims when empty). Ties share the gradient."""
    return _extremum(Amin, input, dim, keepdim, "amin")


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over `dim` (all dims when None)."""
    dims = _dims(dim, input._data.ndim)
    if input._data.size == 0 and (dim is None or _count(input._data.shape, dims) == 0):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    return _AminmaxResult(Amin.apply(input, dims, keepdim), Amax.apply(input, dims, keepdim))


def _arg(fn, input, dim, keepdim, name):
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:  # the index into the flattened tensor
        _check_nonempty(input, (), False, name, dim_msg=False)
        return _make(_xp.asarray(fn(x)).reshape((1,) * x.ndim if keepdim else ()))
    d = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return _make(_xp.asarray(0))
    _check_nonempty(input, (d,), True, name)
    return _make(fn(x, axis=d, keepdims=keepdim))


def argmax(input, dim=None, keepdim=False):
    """Index of the (first) maximum along `dim`, or into the flattened tensor when None."""
    return _arg(_xp.argmax, input, dim, keepdim, "argmax")


def argmin(input, dim=None, keepdim=False):
    """Index of the (first) minimum along `dim`, or into the flattened tensor when None."""
    return _arg(_xp.argmin, input, dim, keepdim, "argmin")


# ---- logsumexp ---------------------------------------------------------------------------------
class Logsumexp(Op, name="logsumexp"):
    """y = m + log(sum(exp(x - m))) with m = max(x), so exp cannot overflow;
    dy/dx = exp(x - y) (the softmax of x, from the saved output)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = ctx.xp
        m = x.max(axis=dims, keepdims=True, initial=-_INF)
        # rows of -inf (or holding +inf) must not shift by an infinite m: inf - inf = nan
        m = xp.where(xp.isfinite(m), m, 0)
        with xp.errstate(divide="ignore"):  # log(0) = -inf for rows of -inf: torch's answer
            y = xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m
        if not keepdim:
            y = y.squeeze(dims)
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.save_output(y)
            ctx.gshape = None if keepdim else _kept_shape(x.shape, dims)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        y = ctx.output()
        if ctx.gshape is not None:
            gy, y = gy.reshape(ctx.gshape), y.reshape(ctx.gshape)
        return gy * (x - y).exp(), None, None


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) over `dim`, computed stably. Integer inputs give floats."""
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' must be tuple of ints, not NoneType")
    input = _to_float(input)
    return Logsumexp.apply(input, _dims(dim, input._data.ndim), keepdim)


# ---- norm --------------------------------------------------------------------------------------
class LinalgVectorNorm(Op, name="linalg_vector_norm"):
    """y = (sum |x|^p)^(1/p) over dims (p = inf: max |x|, p = 0: count of nonzeros);
    dy/dx = sign(x) |x|^(p-1) / y^(p-1) (0 where y == 0, as torch)."""

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
