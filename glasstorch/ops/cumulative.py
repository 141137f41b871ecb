"""Scans along one dim: cumsum and cumprod (with torch's dtype rules).

cumsum's backward is a reversed cumsum; cumprod's divides by the input where it has no zeros
and falls back to an exact formula around zeros (`_cumprod_grad_zeros`), as torch does.
"""
from .. import _dtype
from ..autograd.grad_mode import STATE
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import _make, _wrap_dim
from ._util import to_dtype

__all__ = ["cumsum", "cumprod"]


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
