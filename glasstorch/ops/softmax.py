"""softmax / log_softmax along one dim: fused ops with hand-written backward formulas.

Why fused? The composite exp(x) / exp(x).sum() overflows for x ~ 100 in float32 and keeps
three intermediates alive for backward. Here forward subtracts the row max first (softmax is
invariant to shifts, and exp(x - max) <= 1 cannot overflow) and saves only the output y,
from which both gradients follow. The composite twins (`_softmax_simple` in
tests/ops/test_softmax.py) serve as the reference. nn.functional.softmax & co. call these.
"""
import warnings

from ..autograd.node import Op
from ..backend import xp as _xp
from ._inplace import _type_word
from ._util import to_dtype
from ..tensor import _wrap_dim

__all__ = ["softmax", "log_softmax"]  # gumbel_softmax: nn.functional only


def _shifted(x, dim):
    # x - max(x): the largest exponent becomes 0 (a row of -inf stays nan, as in torch)
    return x - _max_along(x, dim)


def _max_along(x, dim):
    """x.max(dim, keepdims). Short rows along a contiguous last dim go through a transposed
    copy: NumPy reduces such a dim with one inner-loop call per row (~0.1 us each), so
    (1120, 30) logits took 130 us against 24 us for the copy and one call per column; the
    same values. `initial` only matters for empty dims, which have no max."""
    n = x.shape[dim] if x.ndim else 0
    if 0 < n <= 32 and dim % x.ndim == x.ndim - 1 and x.size >= 64 * n \
            and x.flags.c_contiguous:
        m = _xp.maximum.reduce(_xp.ascontiguousarray(x.reshape(-1, n).T), axis=0)
        return m.reshape(x.shape[:-1] + (1,))
    return x.max(axis=dim, keepdims=True, initial=-float("inf"))


class Softmax(Op, name="softmax"):
    """y = exp(x - max) / sum(exp(x - max));  gx = y * (gy - sum(gy * y))."""

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        e = xp.exp(_shifted(x, dim))
        y = e / e.sum(axis=dim, keepdims=True)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
            ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, gy):
        y = ctx.output()
        return y * (gy - (gy * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Op, name="log_softmax"):
    """y = x - max - log(sum(exp(x - max)));  gx = gy - exp(y) * sum(gy)."""

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        s = _shifted(x, dim)
        y = s - xp.log(xp.exp(s).sum(axis=dim, keepdims=True)) if x.size else s
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
            ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, gy):
        y = ctx.output()
        return gy - y.exp() * gy.sum(ctx.dim, keepdim=True), None


def _prepare(input, dim, dtype, name):
    """(input in `dtype`, wrapped dim); torch checks the dim first, and its kernel for an
    integer dtype only runs (and so only fails) on a non-empty input."""
    ndim = input._data.ndim
    dim = _wrap_dim(dim, ndim)
    if dtype is not None:
        input = to_dtype(input, dtype)
    elif input._data.dtype.kind != "f" and input._data.size:
        raise NotImplementedError(f'"{name}_kernel_impl" not implemented for '
                                  f"'{_type_word(input._data.dtype)}'")
    return input, (dim if ndim else None)  # a 0-d tensor: reduce over its one element


def softmax(input, dim, dtype=None):
    """exp(x) / sum(exp(x)) along `dim`, computed stably; `dtype` casts the input first."""
    input, dim = _prepare(input, dim, dtype, "softmax")
    if input._data.dtype.kind != "f":         # empty (see _prepare): nothing to compute
        return input.clone()
    return Softmax.apply(input, dim)


def log_softmax(input, dim, dtype=None):
    """log(softmax(x)) along `dim`, as x - logsumexp(x) (exact where softmax underflows)."""
    input, dim = _prepare(input, dim, dtype, "log_softmax")
    if input._data.dtype.kind != "f":         # empty (see _prepare): nothing to compute
        return input.clone()
    return LogSoftmax.apply(input, dim)


def softmin(input, dim, dtype=None):
    """softmax(-x) along `dim` (nn.functional.softmin; torch has no torch.softmin)."""
    if input._data.dtype.kind == "b" and dtype is None:
        input = -input                        # torch negates first: its error for bool
    input, dim = _prepare(input, dim, dtype, "softmax")
    if input._data.dtype.kind != "f":         # empty (see _prepare): nothing to compute
        return input.clone()
    return Softmax.apply(-input, dim)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax (concrete) distribution (Jang et al. 2016; Maddison et
    al. 2016): softmax((logits + g) / tau) with Gumbel noise g = -log(Exp(1)); small tau makes
    it nearly one-hot. hard=True returns the one-hot argmax whose gradient is the soft
    sample's (the straight-through estimator)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.")
    gumbels = -logits.new_empty(logits.shape).exponential_().log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = logits.new_zeros(logits.shape).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
