"""Activation functions (nn.functional.relu6, leaky_relu, elu, gelu, softplus, ...), each an op
with torch's forward formula and torch's gradient at the kinks, or a short composition where
that is as exact (softsign, tanhshrink, glu). relu, sigmoid and tanh themselves live in
unary.py; softmax/log_softmax in softmax.py (the F.* forms here only add the implicit `dim`).

Piecewise-linear ops keep a boolean mask and route the gradient through unary's `_Masked`;
smooth ones save x and write their derivative in glasstorch ops, so second derivatives work.
Saturating formulas are evaluated where they cannot overflow (softplus, log_sigmoid, elu).
`inplace=True` runs the out-of-place op and writes back (ops/_inplace.py). nn/modules/
activation.py holds the layers calling these.
"""
import math
import warnings

from .. import random as _random
from ..autograd.grad_mode import STATE
from ..autograd.node import Op
from ..tensor import _make, _wrap_dim
from . import _inplace
from . import softmax as _sm
from .mask import where
from .piecewise import _Masked, clamp_max
from .piecewise import relu as _relu
from .trig import tanh
from .unary import _not_implemented, abs as _abs, erf, exp, sigmoid

__all__ = ["relu_", "threshold", "threshold_", "hardtanh", "hardtanh_", "relu6", "leaky_relu",
           "leaky_relu_", "prelu", "rrelu", "rrelu_", "elu", "elu_", "selu", "selu_", "celu",
           "celu_", "gelu", "silu", "mish", "hardsigmoid", "hardswish", "softplus", "softsign",
           "logsigmoid", "tanhshrink", "softshrink", "hardshrink", "glu"]
# relu, softmax, log_softmax and softmin here are nn.functional's forms (with `inplace` / an
# optional `dim`); torch.relu & co. keep the plain signatures of unary.py and softmax.py, so
# these four stay out of __all__ and nn/functional.py imports them by name.

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_BETA = math.sqrt(2.0 / math.pi)   # the tanh approximation's sqrt(2/pi)
_GELU_KAPPA = 0.044715


def _float_only(x, kernel):
    if x._data.dtype.kind != "f":
        raise _not_implemented(kernel, x)


def _apply(input, inplace, fn, *args, snapshot=True):
    # `inplace=True`: the same op, written back into input (which is returned). snapshot=False
    # for ops whose backward keeps only masks or the output, never the input: no clone of the
    # input is needed before it is overwritten (ops/_inplace.py)
    if inplace:
        return _inplace.inplace(input, fn, *args, snapshot=snapshot)
    return fn(input, *args)


def _softplus_array(xp, x):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): e^-|x| <= 1, so nothing overflows for any x
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


# ---- piecewise linear ------------------------------------------------------------------------
class Threshold(Op, name="threshold"):
    """y = x if x > threshold else value;  dy/dx = 1 where x > threshold, else 0."""

    @staticmethod
    def forward(ctx, x, threshold, value):
        keep = x > threshold
        if ctx.needs_input_grad[0]:
            ctx.keep = keep
        return ctx.xp.where(keep, x, ctx.xp.asarray(value).astype(x.dtype))

    @staticmethod
    def backward(ctx, gy):
        return _Masked.apply(gy, ctx.keep), None, None


def _threshold(input, threshold, value, inplace):
    if input._data.dtype.kind == "b":
        raise _not_implemented("threshold_cpu", input)
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
            ctx.keep = (x > lo) & (x < hi)
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
            ctx.coef = ctx.xp.where(pos, 1, slope).astype(x.dtype)
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
    _float_only(input, "leaky_relu_cpu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return _apply(input, inplace, LeakyRelu.apply, (lower + upper) / 2, snapshot=False)
    d = input._data
    slope = _random.default_generator.rng.uniform(lower, upper, d.shape).astype(d.dtype)
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
            ctx.pos = pos
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
    return PreluKernel.apply(input, weight)


class Hardshrink(Op, name="hardshrink"):
    """y = 0 if -lambd <= x <= lambd else x;  dy/dx = 0 inside [-lambd, lambd], else 1."""

    @staticmethod
    def forward(ctx, x, lambd):
        keep = ~((x >= -lambd) & (x <= lambd))     # NaN is kept (torch), not zeroed
        if ctx.needs_input_grad[0]:
            ctx.keep = keep
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
            ctx.keep = hi | lo
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
            ctx.keep = (x > -3) & (x < 3)
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
            ctx.mid, ctx.hi = (x > -3) & (x < 3), x >= 3
        return x * ctx.xp.clip(x + 3, 0, 6) / 6

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return _Masked.apply(gy * (x / 3 + 0.5), ctx.mid) + _Masked.apply(gy, ctx.hi)


def hardswish(input, inplace=False):
    _float_only(input, "hardswish_cpu")
    return _apply(input, inplace, Hardswish.apply)


# ---- smooth ----------------------------------------------------------------------------------
class Elu(Op, name="elu"):
    """y = scale x if x > 0 else scale alpha (e^(input_scale x) - 1) (ELU, SELU and CELU);
    dy/dx = scale if x > 0 else scale alpha input_scale e^(input_scale x)."""

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        xp = ctx.xp
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.consts = alpha, scale, input_scale
        # expm1 of min(x, 0): exact for small |x| and no overflow on the unused positive side
        neg = xp.expm1(xp.minimum(x, 0) * input_scale) * (alpha * scale)
        return xp.where(x > 0, x * scale, neg)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        alpha, scale, input_scale = ctx.consts
        slope = exp(clamp_max(x, 0) * input_scale) * (alpha * scale * input_scale)
        return where(_make(x._data > 0), gy * scale, gy * slope), None, None, None


def _elu(input, inplace, kernel, alpha, scale, input_scale):
    _float_only(input, kernel)
    return _apply(input, inplace, Elu.apply, alpha, scale, input_scale)


def elu(input, alpha=1.0, inplace=False):
    """Clevert et al. 2015: x for x > 0, alpha (e^x - 1) otherwise."""
    return _elu(input, inplace, "elu_cpu", alpha, 1.0, 1.0)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    """Klambauer et al. 2017: scale * elu(x, alpha) with the self-normalizing constants."""
    return _elu(input, inplace, "elu_cpu", _SELU_ALPHA, _SELU_SCALE, 1.0)


def selu_(input):
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """Barron 2017: max(0, x) + min(0, alpha (e^(x/alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu(input, inplace, "elu_cpu", alpha, 1.0, 1.0 / alpha)


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


class Gelu(Op, name="gelu"):
    """y = x Phi(x), Phi the normal CDF 0.5 (1 + erf(x / sqrt 2));  dy/dx = Phi(x) + x phi(x).
    approximate='tanh': y = x/2 (1 + tanh(k)), k = sqrt(2/pi) (x + 0.044715 x^3), and
    dy/dx = (1 + tanh k)/2 + x/2 (1 - tanh^2 k) sqrt(2/pi) (1 + 3 * 0.044715 x^2)."""

    @staticmethod
    def forward(ctx, x, approximate):
        xp = ctx.xp
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.approximate = approximate
        if approximate == "tanh":
            t = xp.tanh((x + x * x * x * _GELU_KAPPA) * _GELU_BETA)
        else:
            t = erf(_make(x * _SQRT1_2))._data
            if ctx.needs_input_grad[0]:
                ctx.erf = t  # erf is the expensive part: backward reuses it
        y = t + 1
        y *= 0.5
        y *= x
        return y

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = tanh((x + x * x * x * _GELU_KAPPA) * _GELU_BETA)
            right = x * 0.5 * (1 - t * t) * ((x * x * (3 * _GELU_KAPPA) + 1) * _GELU_BETA)
            return gy * ((t + 1) * 0.5 + right), None
        # create_graph: erf recomputed as a recorded function of x (second derivatives)
        e = erf(x * _SQRT1_2) if STATE.enabled else _make(ctx.erf)
        cdf = (e + 1) * 0.5
        pdf = exp(x * x * -0.5) * _INV_SQRT_2PI
        return gy * (cdf + x * pdf), None


def gelu(input, approximate="none"):
    """Hendrycks & Gimpel 2016: x Phi(x), exact via erf, or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _float_only(input, "GeluKernelImpl")
    return Gelu.apply(input, approximate)


class Silu(Op, name="silu"):
    """y = x sigmoid(x) (swish);  dy/dx = s (1 + x (1 - s)), s = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return x * sigmoid(_make(x))._data  # unary's sigmoid: stable for any x

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        s = sigmoid(x)
        return gy * s * (x * (1 - s) + 1)


def silu(input, inplace=False):
    _float_only(input, "silu_cpu")
    return _apply(input, inplace, Silu.apply)


class Mish(Op, name="mish"):
    """y = x tanh(softplus(x)) (Misra 2019);  dy/dx = t + x sigmoid(x) (1 - t^2),
    t = tanh(softplus(x))."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return x * ctx.xp.tanh(_softplus_array(ctx.xp, x))

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        t = tanh(softplus(x))
        return gy * (t + x * sigmoid(x) * (1 - t * t))


def mish(input, inplace=False):
    _float_only(input, "mish_cpu")
    return _apply(input, inplace, Mish.apply)


class Softplus(Op, name="softplus"):
    """y = log(1 + e^(beta x)) / beta, or x where beta x > threshold (linear there);
    dy/dx = sigmoid(beta x), or 1 where beta x > threshold."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        xp = ctx.xp
        bx = x * beta if beta != 1 else x
        linear = bx > threshold
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
            ctx.beta, ctx.linear = beta, linear
        y = _softplus_array(xp, bx)
        if beta != 1:
            y /= beta
        return xp.where(linear, x, y)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        beta = ctx.beta
        s = sigmoid(x * beta if beta != 1 else x)
        return where(_make(ctx.linear), gy, gy * s), None, None


def softplus(input, beta=1.0, threshold=20.0):
    _float_only(input, "softplus_cpu")
    return Softplus.apply(input, beta, threshold)


class LogSigmoid(Op, name="log_sigmoid"):
    """y = log(sigmoid(x)) = -softplus(-x), computed stably;  dy/dx = sigmoid(-x)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return -_softplus_array(ctx.xp, -x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * sigmoid(-x)


def logsigmoid(input):
    _float_only(input, "log_sigmoid_cpu")
    return LogSigmoid.apply(input)


def softsign(input):
    """x / (1 + |x|) (torch composes it the same way, so gradients agree at 0)."""
    return input / (_abs(input) + 1)


def tanhshrink(input):
    """x - tanh(x)."""
    return input - tanh(input)


def glu(input, dim=-1):
    """Gated linear unit (Dauphin et al. 2016): a * sigmoid(b), a and b the two halves of
    `input` along `dim`."""
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    _float_only(input, "glu_cpu")
    d = _wrap_dim(dim, ndim)
    n = input._data.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    return input.narrow(d, 0, n // 2) * sigmoid(input.narrow(d, n // 2, n // 2))


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
