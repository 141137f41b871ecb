"""Optimizer updates as one compiled loop each, with the NumPy formulas' exact bits (so
optim/ runs them whenever `backend.kernels.numba_for_exact()`: numba installed, not
deselected with GLASSTORCH_KERNELS=numpy).

    sgd      SGD's update (after the first step when with momentum): L2 weight decay,
             momentum, dampening, Nesterov; NumPy makes 2-6 passes over the parameter,
             the gradient and the buffer, with temporaries
    adam     Adam/AdamW's moment updates and step (no amsgrad): NumPy makes 10 passes

Why the bits match: NumPy evaluates `b *= momentum` on a float32 array with the Python float
cast to float32 first (NEP 50), then rounds each +, -, *, / and sqrt once in float32. The
loops below do the same operations on the same float32 (or float64) operands in the same
order, each rounded once: numba without fastmath neither contracts a * b + c into a fused
multiply-add nor reorders, and the scalars are passed already cast to the arrays' dtype.
tests/backend/test_numba_optim.py compares the bits of both paths (odd sizes, NaN, inf).

_MAXIMIZE: `maximize=True` keeps the NumPy path. There g = -g is a pass of its own; inside a
loop LLVM may fold x - lr * (-g) into x + lr * g, the same number except for a NaN's sign
bit (measured: one NaN per array flipped), so the bits would differ.

Each kernel takes flat contiguous arrays of one float dtype (the callers check, else they take
the NumPy path) and Python numbers already converted by `_scalars`.
"""
import numpy

from .numba_base import _call, _jit

__all__ = ["sgd", "adam", "suits"]

_FLOATS = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


def suits(*arrays):
    """Flat views of same-dtype (float32/64) C-contiguous arrays of one size, else None."""
    a = arrays[0]
    if a.dtype not in _FLOATS:
        return None
    flat = []
    for b in arrays:
        if b.dtype != a.dtype or b.size != a.size or not b.flags.c_contiguous:
            return None
        flat.append(b.reshape(-1))
    return flat


@_jit
def _sgd(x, g, b, lr, wd, momentum, damp, decay, nesterov, has_buf):
    """NumPy (optim/sgd.py): g = g + wd * x (decay); b *= momentum;
    b += damp * g (b += g for dampening 0: damp is 1 then, and 1 * g is g exactly);
    g = g + momentum * b (Nesterov) or g = b; x -= lr * g."""
    for i in range(x.size):
        gi = g[i]
        if decay:
            gi = gi + wd * x[i]
        if has_buf:
            bi = b[i] * momentum + damp * gi
            b[i] = bi
            if nesterov:
                gi = gi + momentum * bi
            else:
                gi = bi
        x[i] = x[i] - lr * gi


def sgd(x, g, b, lr, weight_decay, momentum, dampening, maximize, nesterov):
    """SGD's step on flat arrays (b None: no momentum buffer); False when they do not suit
    (or maximize: see _MAXIMIZE)."""
    flat = None if maximize else suits(x, g) if b is None else suits(x, g, b)
    if flat is None:
        return False
    t = x.dtype.type
    # (1 - dampening) * g: NumPy casts the Python float (1 - dampening) to the array's dtype
    _call(_sgd, flat[0], flat[1], flat[0] if b is None else flat[2], t(lr), t(weight_decay),
          t(momentum), t(1 - dampening), weight_decay != 0, bool(nesterov), b is not None)
    return True


@_jit
def _adam(x, g, m, v, shrink, wd, c1, c2, c2g, bias2, eps, step, decay, decoupled):
    """NumPy (optim/adam.py): x *= shrink (decoupled); g = g + wd * x (L2);
    m += (g - m) * c1; v *= c2; v += c2g * g * g; d = sqrt(v); d /= bias2; d += eps;
    x -= step * m / d   (c1 = 1 - beta1, c2 = beta2, c2g = 1 - beta2,
    step = lr / (1 - beta1^t) and bias2 = sqrt(1 - beta2^t) computed in Python floats)."""
    for i in range(x.size):
        xi = x[i]
        if decoupled:
            xi = xi * shrink
        gi = g[i]
        if decay:
            gi = gi + wd * xi
        mi = m[i]
        mi = mi + (gi - mi) * c1
        m[i] = mi
        vi = v[i] * c2
        vi = vi + c2g * gi * gi
        v[i] = vi
        d = numpy.sqrt(vi) / bias2 + eps
        x[i] = xi - step * mi / d


def adam(x, g, m, v, lr, weight_decay, beta1, beta2, eps, t, maximize, decoupled):
    """Adam/AdamW's step t (>= 1) without amsgrad on flat arrays; False when they do not suit
    (or maximize). Decoupled decay: x *= 1 - lr * weight_decay first (_decay_weights)."""
    flat = None if maximize else suits(x, g, m, v)
    if flat is None:
        return False
    f = x.dtype.type
    decay = weight_decay != 0
    shrink = f(1 - lr * weight_decay) if decoupled and decay else f(1)
    _call(_adam, flat[0], flat[1], flat[2], flat[3], shrink, f(weight_decay), f(1 - beta1),
          f(beta2), f(1 - beta2), f((1 - beta2 ** t) ** 0.5), f(eps),
          f(lr / (1 - beta1 ** t)), decay and not decoupled, decoupled and decay)
    return True
