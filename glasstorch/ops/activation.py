"""Activation functions of nn.functional, each an op with torch's forward formula and torch's
gradient at the kinks, or a short composition where that is as exact. This module holds the
piecewise-linear ones (threshold, hardtanh, relu6, leaky_relu, rrelu, prelu, hard/softshrink,
hardsigmoid, hardswish) and nn.functional's softmax forms; the smooth ones (elu, gelu, silu,
softplus, glu, ...) are in activation_smooth.py and re-exported here. relu, sigmoid and tanh
themselves live in unary.py / piecewise.py; softmax/log_softmax in softmax.py (the F.* forms here
only add the implicit `dim`).

Piecewise-linear ops keep a boolean mask and route the gradient through piecewise's `_Masked`.
`inplace=True` runs the out-of-place op and writes back (ops/_inplace.py). nn/modules/
activation.py holds the layers calling these.
"""
import warnings

from .. import random as _random
from ..autograd.node import Op
from ..tensor import _make
from . import _inplace
from . import softmax as _sm
from ._operands import check_scalar_fits
from ._util import _not_implemented
from ._inplace import maybe_inplace as _apply, float_only as _float_only
from .activation_smooth import *  # noqa: F401,F403  (the public path ops.activation.gelu & co)
from .activation_smooth import __all__ as _smooth_all
from .mask import where
from .piecewise import _Masked
from .piecewise import relu as _relu

__all__ = ["relu_", "threshold", "threshold_", "hardtanh", "hardtanh_", "relu6", "leaky_relu",
           "leaky_relu_", "prelu", "rrelu", "rrelu_", "hardsigmoid", "hardswish", "softshrink",
           "hardshrink"] + _smooth_all
# relu, softmax, log_softmax and softmin here are nn.functional's forms (with `inplace` / an
# optional `dim`); torch.relu & co. keep the plain signatures of unary.py and softmax.py, so
# these four stay out of __all__ and nn/functional.py imports them by name.


# ---- piecewise linear ------------------------------------------------------------------------
class Threshold(Op, name="threshold"):
    """y = value if x <= threshold else x (NaN stays);  dy/dx = 0 where x <= threshold, else 1.
    An integer input compares with the threshold converted to its dtype, as torch does
    (truncated; wrapped into uint8: -1 is 255)."""

    @staticmethod
    def forward(ctx, x, threshold, value):
        if x.dtype.kind in "iu":
            threshold = int(threshold) % 256 if x.dtype.kind == "u" else int(threshold)
        keep = ~(x <= threshold)
        if ctx.needs_input_grad[0]:
            ctx.save(keep=keep)
        return ctx.xp.where(keep, x, ctx.xp.asarray(value).astype(x.dtype))

    @staticmethod
    def backward(ctx, gy):
        return _Masked.apply(gy, ctx.keep), None, None


def _threshold(input, threshold, value, inplace):
    if input._data.dtype.kind == "b":
        raise _not_implemented("threshold_cpu", input)
    for v in (threshold, value):
        check_scalar_fits(v, input._data.dtype)
    return _apply(input, inplace, Threshold.apply, threshold, value, snapshot=False)


def threshold(input, threshold, value, inplace=False):
    return _threshold(input, threshold, value, inplace)


def threshold_(input, threshold, value):
    return _threshold(input, threshold, value, True)


class Hardtanh(Op, name="hardtanh"):
    """y = clamp(x, min_val, max_val);  dy/dx = 1 strictly between the bounds, 0 elsewhere
    (0 *at* the bounds, unlike clamp: torch's hardtanh_backward)."""

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        lo, hi = x.dtype.type(min_val), x.dtype.type(max_val)  # integer inputs stay integer
        if ctx.needs_input_grad[0]:
            ctx.save(keep=(x > lo) & (x < hi))
        return ctx.xp.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, gy):
        return _Masked.apply(gy, ctx.keep), None, None


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input._data.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if input._data.dtype.kind == "u" and (int(min_val) < 0 or int(max_val) < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    return _apply(input, inplace, Hardtanh.apply, min_val, max_val, snapshot=False)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6): hardtanh(x, 0, 6), so the gradient is 0 at 0 and at 6 (torch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def relu(input, inplace=False):
    """nn.functional.relu: max(x, 0), optionally in place."""
    if not inplace:   # the common call, without maybe_inplace's frame (batch-1 inference)
        return _relu(input)
    return _apply(input, inplace, _relu, snapshot=False)


def relu_(input):
    return _inplace.inplace(input, _relu, snapshot=False)


class LeakyRelu(Op, name="leaky_relu"):
    """y = x if x > 0 else slope * x (slope a number or, for rrelu, an array);
    dy/dx = 1 if x > 0 else slope (slope at 0, as torch)."""

    @staticmethod
    def forward(ctx, x, slope):
        pos = x > 0
        if ctx.needs_input_grad[0]:
            ctx.save(coef=ctx.xp.where(pos, 1, slope).astype(x.dtype))
        return ctx.xp.where(pos, x, x * slope)

    @staticmethod
    def backward(ctx, gy):
        return gy * _make(ctx.coef), None


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _float_only(input, "leaky_relu_cpu")
    return _apply(input, inplace, LeakyRelu.apply, negative_slope, snapshot=False)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU (Xu et al. 2015): in training every element gets its own slope
    a ~ U(lower, upper), drawn from glasstorch's generator (used where x <= 0); in eval the
    slope is (lower + upper) / 2."""
    return _rrelu(input, lower, upper, training, inplace, None)


def _rrelu(input, lower, upper, training, inplace, generator):
    """rrelu drawing its slopes from `generator` (None: the default one), as torch.rrelu's
    generator= (nn.functional's form has no such parameter)."""
    _float_only(input, "leaky_relu_cpu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return _apply(input, inplace, LeakyRelu.apply, (lower + upper) / 2, snapshot=False)
    d = input._data
    slope = _random._rng(generator).uniform(lower, upper, d.shape).astype(d.dtype)
    return _apply(input, inplace, LeakyRelu.apply, slope, snapshot=False)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


class PreluKernel(Op, name="prelu"):
    """y = x if x > 0 else w x (w broadcast over the channel dim);  dy/dx = 1 or w,
    dy/dw = 0 or x (summed over the other dims by the engine)."""

    @staticmethod
    def forward(ctx, x, w):
        pos = x > 0
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_inputs(0, 1)
            ctx.save(pos=pos)
        return ctx.xp.where(pos, x, w * x)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        pos = _make(ctx.pos)
        gx = where(pos, gy, gy * w) if need[0] else None
        gw = where(pos, 0.0, gy * x) if need[1] else None
        return gx, gw


def prelu(input, weight):
    """Parametric ReLU (He et al. 2015): weight has 1 or C entries (C = input.shape[1])."""
    x, w = input._data, weight._data
    if x.dtype != w.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got "
                           f"{_inplace._type_word(x.dtype)} and {_inplace._type_word(w.dtype)}")
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {w.ndim}")
    if w.size == 1:
        weight = weight.reshape(())  # a scalar slope: the output keeps x's shape, even 0-d
    else:
        if x.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = x.shape[1] if x.ndim >= 2 else 1
        if w.size != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {w.size} and channel size = {channels}.")
        weight = weight.reshape((-1,) + (1,) * (x.ndim - 2))
    _inplace.float_only(input, "prelu_cpu")
    return PreluKernel.apply(input, weight)


class Hardshrink(Op, name="hardshrink"):
    """y = 0 if -lambd <= x <= lambd else x;  dy/dx = 0 inside [-lambd, lambd], else 1."""

    @staticmethod
    def forward(ctx, x, lambd):
        keep = ~((x >= -lambd) & (x <= lambd))     # NaN is kept (torch), not zeroed
        if ctx.needs_input_grad[0]:
            ctx.save(keep=keep)
        return ctx.xp.where(keep, x, 0)

    @staticmethod
    def backward(ctx, gy):
        return _Masked.apply(gy, ctx.keep), None


def hardshrink(input, lambd=0.5):
    _float_only(input, "hardshrink_cpu")
    return Hardshrink.apply(input, lambd)


class Softshrink(Op, name="softshrink"):
    """y = x - lambd if x > lambd, x + lambd if x < -lambd, else 0;  dy/dx = 1 outside
    [-lambd, lambd], else 0."""

    @staticmethod
    def forward(ctx, x, lambd):
        xp = ctx.xp
        hi, lo = x > lambd, x < -lambd
        if ctx.needs_input_grad[0]:
            ctx.save(keep=hi | lo)
        # x * 0 in the dead zone, as torch: softshrink(-0.5) = -0.0
        return xp.where(hi, x - lambd, xp.where(lo, x + lambd, x * 0))

    @staticmethod
    def backward(ctx, gy):
        return _Masked.apply(gy, ctx.keep), None


def softshrink(input, lambd=0.5):
    _float_only(input, "softshrink_check")
    if lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, 3.40282e+38] for input dtype "
                           f"{_inplace._type_word(input._data.dtype)}, but found {lambd:g}")
    return Softshrink.apply(input, lambd)


class Hardsigmoid(Op, name="hardsigmoid"):
    """y = min(max(x + 3, 0), 6) / 6;  dy/dx = 1/6 strictly inside (-3, 3), else 0."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save(keep=(x > -3) & (x < 3))
        return ctx.xp.clip(x + 3, 0, 6) / 6

    @staticmethod
    def backward(ctx, gy):
        return _Masked.apply(gy, ctx.keep) * (1 / 6)


def hardsigmoid(input, inplace=False):
    _float_only(input, "hardsigmoid_cpu")
    return _apply(input, inplace, Hardsigmoid.apply, snapshot=False)


class Hardswish(Op, name="hardswish"):
    """y = x min(max(x + 3, 0), 6) / 6;  dy/dx = 0 for x <= -3, x/3 + 1/2 inside (-3, 3),
    1 for x >= 3 (torch's choice at the two kinks)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.save(mid=(x > -3) & (x < 3), hi=x >= 3)
        return x * ctx.xp.clip(x + 3, 0, 6) / 6

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return _Masked.apply(gy * (x / 3 + 0.5), ctx.mid) + _Masked.apply(gy, ctx.hi)


def hardswish(input, inplace=False):
    _float_only(input, "hardswish_cpu")
    return _apply(input, inplace, Hardswish.apply)


# ---- softmax family (nn.functional's signatures) ---------------------------------------------
def _softmax_dim(name, ndim, stacklevel):
    # torch: a missing dim is deprecated; it picks 0 for 0-, 1- and 3-d inputs, else 1
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input._data.ndim, _stacklevel)
    return _sm.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input._data.ndim, _stacklevel)
    return _sm.log_softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmin", input._data.ndim, _stacklevel)
    return _sm.softmin(input, dim, dtype)
