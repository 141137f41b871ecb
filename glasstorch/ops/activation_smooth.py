"""Smooth activations (nn.functional.elu, selu, celu, gelu, silu, mish, softplus, logsigmoid,
softsign, tanhshrink, glu): each op saves x and writes its derivative in glasstorch ops, so second
derivatives work. Saturating formulas are evaluated where they cannot overflow (softplus,
log_sigmoid, elu). The piecewise-linear activations and nn.functional's softmax forms are in
activation.py, which re-exports everything here; nn/modules/activation.py holds the layers.
"""
import math

from ..autograd.grad_mode import STATE
from ..autograd.node import Op
from ..tensor import _make, _wrap_dim
from ._inplace import maybe_inplace as _apply, float_only as _float_only
from .mask import where
from .piecewise import clamp_max
from .trig import tanh
from .unary import abs as _abs, erf, exp, sigmoid

__all__ = ["elu", "elu_", "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish", "softplus",
           "softsign", "logsigmoid", "tanhshrink", "glu"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_BETA = math.sqrt(2.0 / math.pi)   # the tanh approximation's sqrt(2/pi)
_GELU_KAPPA = 0.044715


def _softplus_array(xp, x):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): e^-|x| <= 1, so nothing overflows for any x
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


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
                ctx.save(erf=t)  # erf is the expensive part: backward reuses it
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
            ctx.beta = beta
            ctx.save(linear=linear)     # a mask of x's size: freed with x after backward
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
    d = _wrap_dim(dim, ndim)
    n = input._data.shape[d]
    if n % 2:   # torch checks the size before the dtype
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n} "
                           f"(glu: input shape {list(input.shape)})")
    _float_only(input, "glu_cpu")
    return input.narrow(d, 0, n // 2) * sigmoid(input.narrow(d, n // 2, n // 2))
