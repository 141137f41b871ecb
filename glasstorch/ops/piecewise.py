"""Elementwise functions whose gradient is a mask or zero: relu, clamp/clip, rounding (floor,
ceil, trunc, round, frac), nan_to_num, and the predicates and logical/bitwise not (no gradient).

relu/clamp/nan_to_num keep a boolean mask and route the gradient through `_Masked` (torch's
`where(mask, grad, 0)`); rounding returns integers unchanged and has a zero gradient.
"""
from .. import _dtype
from ..autograd import node as _node
from ..autograd.node import Op
from ..autograd.grad_mode import STATE
from ..backend import xp as _xp, cpu_kernels as _cpu, kernels as _kernels
from ..tensor import Tensor, _make
from ._util import _not_implemented, _zeros, check_number, to_dtype

__all__ = ["relu", "clamp", "clip", "clamp_min", "clamp_max", "floor", "ceil", "round", "trunc",
           "fix", "frac", "bitwise_not", "logical_not", "isnan", "isinf", "isfinite", "nan_to_num"]


_SAME_SIZE_INT = {2: _xp.int16, 4: _xp.int32, 8: _xp.int64}
_RELU_KERNEL_SIZE = 1 << 16   # elements: one block of cpu_kernels.relu_backward
_RELU_NUMBA_SIZE = 1 << 13    # elements: relu's forward below this is NumPy's maximum (_relu)


class _Masked(Op):
    """y = g where `keep` else 0, for a fixed boolean mask (the gradient of relu, clamp,
    nan_to_num);  dy/dg = the same mask, so second derivatives flow through it."""

    @staticmethod
    def forward(ctx, g, keep):
        ctx.save(keep=keep)
        return _masked(g, keep)

    @staticmethod
    def backward(ctx, gy):
        return _Masked.apply(gy, ctx.keep), None


def _masked(g, keep):
    """where(keep, g, 0) on arrays."""
    ints = _SAME_SIZE_INT.get(g.dtype.itemsize) if g.dtype.kind in "fc" else None
    if ints is None:
        return _xp.where(keep, g, 0)
    # where() branches per element: on a relu mask it costs ~25x this branch-free AND of
    # g's bits with all-ones (keep) or all-zeros (+0.0), which gives the same bits. The
    # int8 mask (0 or -1) widens to g's size inside the ufunc's buffers, not in memory.
    mask = _xp.negative(keep.view(_xp.int8))
    return _xp.asarray(_xp.bitwise_and(g.view(ints), mask)).view(g.dtype)


class Relu(Op, name="relu"):
    """y = max(x, 0);  dy/dx = 1 where x > 0 else 0 (0 at the kink, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        y = _relu(x)
        if ctx.needs_input_grad[0]:
            ctx.save_output(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        # torch: where(y <= 0, 0, grad), so a NaN input passes its gradient
        y = ctx.output()._data
        masked = ctx.__dict__.pop("_masked", None)
        if masked is not None and masked is gy._data and not STATE.enabled:
            return gy   # a max pool's gradient scatter already applied this mask (ops/pool.py)
        if STATE.enabled:   # create_graph: a _Masked node, differentiable again
            return _Masked.apply(gy, ~(y <= 0))
        # one kernel: numba's single pass, or NumPy's blocked mask (backend/cpu_kernels.py),
        # which pays from one block up: below, its set-up cost more than it saved (an MLP's
        # (128, 256) gradient: 21 us against 14 us for the three calls below). numba's pass
        # gives the mask's bits, so it runs by default wherever numba is installed
        # (exact_kernels), from the same size up. C-contiguous arrays of any size first take
        # backend/numba_elementwise.py's pass (no dense_flat layout search; 13 us warm)
        if _kernels.numba_for_exact():
            gx = _exact().relu_backward(y, gy._data)
            if gx is not None:
                return _make(gx)
        nb = _kernels.numba_kernels()
        if nb is None and y.size >= _RELU_KERNEL_SIZE:
            nb = _kernels.exact_kernels()
        if nb is not None or y.size >= _RELU_KERNEL_SIZE:
            gx = (nb or _cpu).relu_backward(y, gy._data)
            if gx is not None:
                return _make(gx)
        # _Masked's forward without its node; y = relu(x) is >= 0, -0.0 or NaN, so `y != 0`
        # is not (y <= 0) in one pass
        return _make(_masked(gy._data, y != 0))


def relu(input):
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    if x.ndim and not (input._requires_grad and STATE.enabled) and not _node._OBSERVERS:
        # Relu.forward when nothing is recorded (_relu's small case inline: batch-1 layers)
        return _make(_xp.maximum(0, x) if x.size < _RELU_NUMBA_SIZE else _relu(x))
    return Relu.apply(input)


_elementwise = []   # backend/numba_elementwise.py once imported (a function-level import: ~1 us)


def _exact():
    if not _elementwise:   # numba_for_exact() said numba imports
        from ..backend import numba_elementwise
        _elementwise.append(numba_elementwise)
    return _elementwise[0]


def _relu(x):
    """max(0, x): one compiled pass when numba may run (backend/numba_elementwise.py, the
    same bits), else NumPy's. x second: NumPy returns it on ties, so relu(-0.0) = -0.0.
    Below _RELU_NUMBA_SIZE elements NumPy's call is the cheaper one (numba's dispatch ~1 us:
    256 elements 0.6 vs 1.5 us, 4096 1.4 vs 2.0, 16384 3.9 vs 3.3)."""
    if x.size < _RELU_NUMBA_SIZE:
        return _xp.maximum(0, x)
    y = _exact().relu(x) if _kernels.numba_for_exact() else None
    return _xp.maximum(0, x) if y is None else y


class Clamp(Op, name="clamp"):
    """y = min(max(x, lo), hi), lo/hi numbers, arrays or None;  dy/dx = 1 where lo <= x <= hi
    (the bounds included, as torch) else 0; dy/dlo = 1 where x < lo (and lo < hi); dy/dhi = 1
    where x > hi (or hi < lo: hi wins when the bounds cross)."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = ctx.xp
        # x second: NumPy returns it on ties, so the sign of a zero survives (torch keeps x)
        y = x if lo is None else xp.maximum(lo, x)
        if hi is not None:
            y = xp.minimum(hi, y)
        need = ctx.needs_input_grad
        if need[0]:
            if lo is None:
                ctx.save(keep_x=x <= hi)
            else:
                ctx.save(keep_x=x >= lo if hi is None else (x >= lo) & (x <= hi))
        if need[1]:
            ctx.save(keep_lo=x < lo if hi is None else (x < lo) & (lo < hi))
        if need[2]:
            ctx.save(keep_hi=x > hi if lo is None else (x > hi) | (hi < lo))
        return y

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        return (_Masked.apply(gy, ctx.keep_x) if need[0] else None,
                _Masked.apply(gy, ctx.keep_lo) if need[1] else None,
                _Masked.apply(gy, ctx.keep_hi) if need[2] else None)


def clamp(input, min=None, max=None):
    """Clamp every element into [min, max]; min/max are numbers or (broadcastable) tensors,
    either may be None. The result dtype is torch.result_type(input, min, max)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    for i, (name, v) in enumerate((("min", min), ("max", max))):
        if v is not None:
            check_number(v, "clamp", name, i + 1)
    if isinstance(min, _xp.generic):  # NumPy scalars act as Python numbers (not float64 arrays)
        min = min.item()
    if isinstance(max, _xp.generic):
        max = max.item()
    rt = _dtype.result_type(input, *[b for b in (min, max) if b is not None])
    if rt is _dtype.bool:
        raise _not_implemented("clamp_scalar_cpu", input)
    return Clamp.apply(to_dtype(input, rt), _bound(min, rt), _bound(max, rt))


def _bound(b, rt):
    if b is None:
        return None
    if isinstance(b, Tensor):
        return to_dtype(b, rt)
    if rt.is_floating_point:
        return b
    # torch: an integer bound is cast to the tensor's integer type (wrapping, like C)
    return _xp.asarray(b).astype(rt.np)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min, None)


def clamp_max(input, max):
    return clamp(input, None, max)


# ---- rounding ----------------------------------------------------------------------------------
class Floor(Op, name="floor"):
    """y = floor(x);  dy/dx = 0."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.floor(x)

    @staticmethod
    def backward(ctx, gy):
        return _zeros(gy)


class Ceil(Op, name="ceil"):
    """y = ceil(x);  dy/dx = 0."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.ceil(x)

    @staticmethod
    def backward(ctx, gy):
        return _zeros(gy)


class Trunc(Op, name="trunc"):
    """y = x rounded toward zero;  dy/dx = 0."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.trunc(x)

    @staticmethod
    def backward(ctx, gy):
        return _zeros(gy)


class Round(Op, name="round"):
    """y = x rounded to `decimals` places, halves to even (rint);  dy/dx = 0."""

    @staticmethod
    def forward(ctx, x, decimals):
        xp = ctx.xp
        if decimals == 0:
            return xp.rint(x)
        # torch: rint(x * 10^d) / 10^d (x / 10^-d ... for d < 0), in float32 at least
        wide = x.astype(xp.float32) if x.dtype.itemsize < 4 else x
        f = xp.asarray(10.0 ** (decimals if decimals > 0 else -decimals), dtype=wide.dtype)
        y = xp.rint(wide * f) / f if decimals > 0 else xp.rint(wide / f) * f
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, gy):
        return _zeros(gy), None


class Frac(Op, name="frac"):
    """y = x - trunc(x);  dy/dx = 1."""

    @staticmethod
    def forward(ctx, x):
        return x - ctx.xp.trunc(x)

    @staticmethod
    def backward(ctx, gy):
        return gy


def frac(input):
    if input._data.dtype.kind != "f":
        raise _not_implemented("frac_cpu", input)
    return Frac.apply(input)


def _rounding(op, kernel, input, *args):
    kind = input._data.dtype.kind
    if kind == "b":
        raise _not_implemented(kernel, input)
    if kind != "f":  # integers are already whole: a copy, same dtype (torch)
        return _make(input._data.copy())
    return op.apply(input, *args)


def floor(input):
    return _rounding(Floor, "floor_vml_cpu", input)


def ceil(input):
    return _rounding(Ceil, "ceil_vml_cpu", input)


def trunc(input):
    return _rounding(Trunc, "trunc_vml_cpu", input)


fix = trunc


def round(input, *, decimals=0):
    if decimals != 0 and input._data.dtype.kind != "f":
        raise _not_implemented("round_cpu", input)
    return _rounding(Round, "round_vml_cpu", input, decimals)


# ---- predicates, logical and bitwise not, nan_to_num (no gradient unless noted) ---------------
def bitwise_not(input):
    d = input._data
    if d.dtype.kind == "f":
        raise _not_implemented("bitwise_not_cpu", input)
    return _make(_xp.invert(d))  # bool: logical not; integers: two's complement ~x


def _invert(input):
    """`~x` (Tensor.__invert__): bitwise_not, with the operator's own TypeError for floats."""
    if input._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(input)


def logical_not(input):
    return _make(_xp.asarray(_xp.logical_not(input._data)))


def isnan(input):
    return _make(_xp.asarray(_xp.isnan(input._data)))


def isinf(input):
    return _make(_xp.asarray(_xp.isinf(input._data)))


def isfinite(input):
    return _make(_xp.asarray(_xp.isfinite(input._data)))


class NanToNum(Op, name="nan_to_num"):
    """y = x with NaN, +inf and -inf replaced by numbers;  dy/dx = 1 where x is finite else 0."""

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        xp = ctx.xp
        if ctx.needs_input_grad[0]:
            ctx.save(keep=xp.isfinite(x))
        with xp.errstate(over="ignore"):  # torch: a replacement beyond the dtype's range is inf
            return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, gy):
        return _Masked.apply(gy, ctx.keep), None, None, None


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN -> `nan`, +inf -> `posinf`, -inf -> `neginf` (None: the dtype's largest / lowest
    finite value). Integer and bool tensors are returned as copies."""
    if input._data.dtype.kind != "f":
        return _make(input._data.copy())
    return NanToNum.apply(input, 0.0 if nan is None else nan, posinf, neginf)
