"""Bessel functions, Airy Ai and the regularized incomplete gamma functions (torch.special;
torch.i0 and torch.igamma/igammac at the top level). The kernels are backend/bessel.py.

Derivatives, as torch defines them:
  i0' = i1          i0e' = i1e - sgn(x) i0e
  i1' = i0 - i1/x   i1e' = i0e - i1e (sgn(x) + 1/x)        (both 1/2 at x = 0)
  d/dx gammainc(a, x) = e^-x x^(a-1) / Gamma(a)  (= -d/dx gammaincc); none in a: a backward
  that needs it raises NotImplementedError, as torch.
The bessel_j/y, modified_bessel_i/k, scaled_modified_bessel_k and airy_ai functions have no
derivative in torch: their results never require grad (they run without a graph).
"""
from .. import _dtype
from ..autograd.grad_mode import no_grad
from ..autograd.node import Op
from ..backend import bessel as _k
from ._inplace import _type_word
from .gamma import lgamma
from .mask import where
from .view import broadcast_tensors
from ._util import _float_input, _not_implemented
from .unary import sign, exp, log

__all__ = ["i0", "i0e", "i1", "i1e", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1",
           "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
           "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "airy_ai", "igamma", "igammac"]


def _same(y, x):
    return y.astype(x.dtype, copy=False)


class I0(Op, name="i0"):
    """y = I0(x);  dy/dx = I1(x)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return _same(_k.bessel_i(x, 0), x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * i1(x)


class I0e(Op, name="special_i0e"):
    """y = I0(x) e^-|x|;  dy/dx = i1e(x) - sgn(x) i0e(x)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return _same(_k.bessel_i(x, 0, scaled=True), x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * (i1e(x) - sign(x) * i0e(x))


class I1(Op, name="special_i1"):
    """y = I1(x);  dy/dx = I0(x) - I1(x)/x, 1/2 at 0."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return _same(_k.bessel_i(x, 1), x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        safe = where(x == 0, x * 0 + 1, x)
        return gy * where(x == 0, x * 0 + 0.5, i0(x) - i1(x) / safe)


class I1e(Op, name="special_i1e"):
    """y = I1(x) e^-|x|;  dy/dx = i0e(x) - i1e(x) (sgn(x) + 1/x), 1/2 at 0."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_inputs(0)
        return _same(_k.bessel_i(x, 1, scaled=True), x)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        safe = where(x == 0, x * 0 + 1, x)
        return gy * where(x == 0, x * 0 + 0.5, i0e(x) - i1e(x) * (sign(x) + 1 / safe))


def i0(input, *, out=None):
    return I0.apply(_float_input(input))


def i0e(input, *, out=None):
    return I0e.apply(_float_input(input))


def i1(input, *, out=None):
    return I1.apply(_float_input(input))


def i1e(input, *, out=None):
    return I1e.apply(_float_input(input))


# ---- no derivative in torch: one Op class per function, run without a graph ---------------
def _no_grad_op(name, kernel):
    def forward(ctx, x):
        return _same(kernel(x), x)
    cls = type(name.title().replace("_", ""), (Op,), {"forward": staticmethod(forward),
                                                      "__doc__": f"torch.special.{name}"},
               name="special_" + name)
    cls.__module__ = __name__

    def fn(input, *, out=None):
        x = _float_input(input)
        if x._data.dtype.kind == "f" and x._data.dtype.itemsize == 2:
            raise _not_implemented(name + "_cpu", x)
        with no_grad():
            return cls.apply(x)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.special.{name} (no derivative, as in torch: the result never " \
                 "requires grad)."
    return cls, fn


BesselJ0, bessel_j0 = _no_grad_op("bessel_j0", lambda x: _k.bessel_j(x, 0))
BesselJ1, bessel_j1 = _no_grad_op("bessel_j1", lambda x: _k.bessel_j(x, 1))
BesselY0, bessel_y0 = _no_grad_op("bessel_y0", lambda x: _k.bessel_y(x, 0))
BesselY1, bessel_y1 = _no_grad_op("bessel_y1", lambda x: _k.bessel_y(x, 1))
ModifiedBesselI0, modified_bessel_i0 = _no_grad_op("modified_bessel_i0",
                                                   lambda x: _k.bessel_i(x, 0))
ModifiedBesselI1, modified_bessel_i1 = _no_grad_op("modified_bessel_i1",
                                                   lambda x: _k.bessel_i(x, 1))
ModifiedBesselK0, modified_bessel_k0 = _no_grad_op("modified_bessel_k0",
                                                   lambda x: _k.bessel_k(x, 0))
ModifiedBesselK1, modified_bessel_k1 = _no_grad_op("modified_bessel_k1",
                                                   lambda x: _k.bessel_k(x, 1))
ScaledModifiedBesselK0, scaled_modified_bessel_k0 = _no_grad_op(
    "scaled_modified_bessel_k0", lambda x: _k.bessel_k(x, 0, scaled=True))
ScaledModifiedBesselK1, scaled_modified_bessel_k1 = _no_grad_op(
    "scaled_modified_bessel_k1", lambda x: _k.bessel_k(x, 1, scaled=True))
AiryAi, airy_ai = _no_grad_op("airy_ai", _k.airy_ai)


# ---- regularized incomplete gamma ------------------------------------------------------------
class Igamma(Op, name="igamma"):
    """y = P(a, x) (or Q = 1 - P when upper);  dP/dx = e^-x x^(a-1) / Gamma(a); none in a."""

    @staticmethod
    def forward(ctx, a, x, dtype, upper):
        if ctx.needs_input_grad[1]:
            ctx.save_inputs(0, 1)
        ctx.upper = upper
        return _k.gammainc(a, x, upper).astype(dtype)

    @staticmethod
    def backward(ctx, gy):
        if ctx.needs_input_grad[0]:
            what = "igammac" if ctx.upper else "igamma"
            raise NotImplementedError(f"the derivative for '{what}: input' is not implemented.")
        a, x = ctx.saved_tensors
        d = exp((a - 1) * log(x) - x - lgamma(a))
        return None, (gy * (-d if ctx.upper else d)).to(x.dtype), None, None


def _igamma(input, other, upper, name):
    from ..tensor import Tensor
    for arg, what, pos in ((input, "input", 1), (other, "other", 2)):
        if not isinstance(arg, Tensor):
            raise TypeError(f"{name}(): argument '{what}' (position {pos}) must be Tensor, "
                            f"not {type(arg).__name__}")
    dt = _dtype.result_type(input, other)
    if not dt.is_floating_point:
        kernel = "igammac_cpu" if upper else "igamma_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_type_word(dt.np)}'")
    broadcast_tensors(input, other)     # torch's RuntimeError for shapes that don't broadcast
    return Igamma.apply(input, other, dt.np, upper)


def igamma(input, other, *, out=None):
    """The regularized lower incomplete gamma P(input, other) (torch.special.gammainc)."""
    return _igamma(input, other, False, "igamma")


def igammac(input, other, *, out=None):
    """The regularized upper incomplete gamma Q(input, other) (torch.special.gammaincc)."""
    return _igamma(input, other, True, "igammac")
