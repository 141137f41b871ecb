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

`maximize=True` keeps the NumPy path (the callers check). There g = -g is a pass of its own;
inside a loop LLVM may fold x - lr * (-g) into x + lr * g, the same number except for a NaN's
sign bit (measured: one NaN per array flipped), so the bits would differ.

A call costs ~1 us (numba's dispatcher types each argument): the numbers come as one small
array of the parameters' dtype (`sgd_numbers`, once per param group) and the options as one
int, and the kernels flatten the arrays themselves. The callers take the NumPy path when the
arrays do not suit (`suits`: float32/64, one dtype and shape, C-contiguous).
"""
import numpy

from .numba_base import _call, njit

# error_model="numpy": a float division by zero gives inf/nan as in NumPy (numba's default
# raises ZeroDivisionError: Adam with eps=0 and v=0), and without that check per element
# the loops vectorize (Adam's 3x faster)
_jit = njit(nogil=True, error_model="numpy")

__all__ = ["sgd", "sgd_numbers", "adam", "suits"]

_FLOATS = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
DECAY, NESTEROV, BUFFER, DECOUPLED = 1, 2, 4, 8     # option bits


def suits(x, *others):
    """Are x and others (the gradient, then state arrays) float32/64 C-contiguous arrays of one
    dtype and shape, all but the gradient writeable? (A read-only one: NumPy's "output array
    is read-only" ValueError, not numba's TypingError.)"""
    if x.dtype not in _FLOATS or not x.flags.c_contiguous or not x.flags.writeable:
        return False
    for k, a in enumerate(others):
        if a.dtype != x.dtype or a.shape != x.shape or not a.flags.c_contiguous or \
                (k and not a.flags.writeable):
            return False
    return True


def sgd_numbers(dtype, lr, weight_decay, momentum, dampening):
    """SGD's numbers as the NumPy formulas use them: Python floats cast to the arrays' dtype
    (NumPy casts a Python float to a float32 array's dtype, NEP 50)."""
    return numpy.array([lr, weight_decay, momentum, 1 - dampening], dtype)


@_jit
def _sgd(x, g, b, numbers, options):
    """NumPy (optim/sgd.py): g = g + wd * x (DECAY); b *= momentum; b += damp * g (BUFFER;
    NumPy does b += g for dampening 0: damp is 1 then, and 1 * g is g exactly);
    g = g + momentum * b (NESTEROV) or g = b; x -= lr * g."""
    xf, gf, bf = x.reshape(-1), g.reshape(-1), b.reshape(-1)
    lr, wd, momentum, damp = numbers[0], numbers[1], numbers[2], numbers[3]
    decay, nesterov = (options & DECAY) != 0, (options & NESTEROV) != 0
    buffer = (options & BUFFER) != 0
    for i in range(xf.size):
        gi = gf[i]
        if decay:
            gi = gi + wd * xf[i]
        if buffer:
            bi = bf[i] * momentum + damp * gi
            bf[i] = bi
            if nesterov:
                gi = gi + momentum * bi
            else:
                gi = bi
        xf[i] = xf[i] - lr * gi


def sgd(x, g, b, numbers, decay, nesterov):
    """SGD's step on same-shaped arrays (b None: no momentum buffer), numbers from
    `sgd_numbers`; False (nothing done) when they do not suit."""
    if not (suits(x, g) if b is None else suits(x, g, b)) or numbers.dtype != x.dtype:
        return False
    options = (decay and DECAY) | (nesterov and NESTEROV) | (b is not None and BUFFER)
    _call(_sgd, x, g, x if b is None else b, numbers, options)
    return True


@_jit
def _adam(x, g, m, v, numbers, options):
    """NumPy (optim/adam.py): x *= shrink (DECOUPLED); g = g + wd * x (DECAY);
    m += (g - m) * c1; v *= c2; v += c2g * g * g; d = sqrt(v); d /= bias2; d += eps;
    x -= step * m / d   (c1 = 1 - beta1, c2 = beta2, c2g = 1 - beta2,
    step = lr / (1 - beta1^t) and bias2 = sqrt(1 - beta2^t) computed in Python floats)."""
    xf, gf, mf, vf = x.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1)
    shrink, wd, c1, c2, c2g = numbers[0], numbers[1], numbers[2], numbers[3], numbers[4]
    bias2, eps, step = numbers[5], numbers[6], numbers[7]
    decay, decoupled = (options & DECAY) != 0, (options & DECOUPLED) != 0
    for i in range(xf.size):
        xi = xf[i]
        if decoupled:
            xi = xi * shrink
        gi = gf[i]
        if decay:
            gi = gi + wd * xi
        mi = mf[i]
        mi = mi + (gi - mi) * c1
        mf[i] = mi
        vi = vf[i] * c2
        vi = vi + c2g * gi * gi
        vf[i] = vi
        d = numpy.sqrt(vi) / bias2 + eps
        xf[i] = xi - step * mi / d


def adam(x, g, m, v, lr, weight_decay, beta1, beta2, eps, t, maximize, decoupled):
    """Adam/AdamW's step t (>= 1) without amsgrad; False (nothing done) when the arrays do
    not suit, or maximize. Decoupled decay: x *= 1 - lr * weight_decay first
    (optimizer.py's _decay_weights); else L2 decay adds weight_decay * x to g. False too for
    decoupled decay when g shares x's memory (the NumPy path then decays g with x, as torch)."""
    if maximize or not suits(x, g, m, v):
        return False
    if decoupled and weight_decay != 0 and numpy.may_share_memory(x, g):
        return False   # p.grad a view of p: NumPy shrinks the gradient with p, the loop not
    decay = weight_decay != 0
    numbers = numpy.array([1 - lr * weight_decay, weight_decay, 1 - beta1, beta2, 1 - beta2,
                           (1 - beta2 ** t) ** 0.5, eps, lr / (1 - beta1 ** t)], x.dtype)
    options = DECOUPLED if decay and decoupled else DECAY if decay else 0
    _call(_adam, x, g, m, v, numbers, options)
    return True
