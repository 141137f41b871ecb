"""Numerical gradient checks: compare the engine's gradients with central finite differences.

    gradcheck(fn, (x, y))        # d fn / d inputs:  backward vs (f(x + eps) - f(x - eps)) / 2eps
    gradgradcheck(fn, (x, y))    # the same for the gradients themselves (double backward)

Use float64 inputs with requires_grad=True: in float32 the difference quotient's rounding error
(~1e-7 / eps) swamps the comparison. Small problems compare the full Jacobian, one backward per
output element and two forward calls per input element; big ones compare a random projection
u^T J v (one backward, two forwards). On a mismatch `GradcheckError` shows both Jacobians.
"""
import warnings

from ..backend import xp as _xp
from .engine import grad as _grad
from .grad_mode import enable_grad, no_grad
from . import node as _node

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]

_FULL_LIMIT = 4096  # Jacobian entries (inputs x outputs) up to which the full Jacobian is built


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck when analytical and numerical gradients differ."""


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              fast_mode=None, **_torch_only):
    """Check the gradients of `func(*inputs)` against finite differences.

    Args:
        func: takes the inputs, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments; Tensors with requires_grad=True (float64)
            are checked, anything else is passed through.
        eps: finite-difference step.  atol, rtol: allowed |analytical - numerical|
            <= atol + rtol * |numerical|, elementwise.
        raise_exception: raise GradcheckError on a mismatch (else return False).
        fast_mode: compare a random projection u^T J v instead of the full Jacobian;
            None picks it only for large Jacobians (# torch: default False, always full).
    Returns:
        True when all gradients match.

    >>> import glasstorch
    >>> x = glasstorch.randn(3, dtype=glasstorch.float64, requires_grad=True)
    >>> gradcheck(lambda t: (t * t).tanh(), (x,))
    True
    """
    Tensor = _node.Tensor
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for i in diff:
        if inputs[i]._data.dtype != _xp.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point. This check will likely fail if all the inputs are not of "
                          "double precision floating point. ")
    outputs = _tensor_outputs(func(*inputs))
    n_in = sum(inputs[i]._data.size for i in diff)
    n_out = sum(o._data.size for o in outputs)
    if fast_mode is None:
        fast_mode = n_in * n_out > _FULL_LIMIT
    check = _check_fast if fast_mode else _check_full
    msg = check(func, inputs, diff, outputs, eps, atol, rtol)
    if msg is None:
        return True
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, fast_mode=None, seed=0, **_torch_only):
    """Check second derivatives: gradcheck of (inputs, v) -> d<func(inputs), v>/d inputs, built
    with create_graph=True. `grad_outputs` (the v's, one per output) default to random
    float64 tensors (a fixed `seed` keeps the check deterministic)."""
    Tensor = _node.Tensor
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    outputs = _tensor_outputs(func(*inputs))
    if grad_outputs is None:
        rng = _xp.random.default_rng(seed)
        grad_outputs = tuple(
            _node._make(rng.uniform(-1.0, 1.0, o._data.shape).astype(o._data.dtype))
            .requires_grad_() for o in outputs)
    else:
        grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else \
            tuple(grad_outputs)
    n = len(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivative(*args):
        xs, vs = args[:n], args[n:]
        with enable_grad():  # also when gradcheck evaluates it for finite differences
            outs = _tensor_outputs(func(*xs))
            grads = _grad(outs, [xs[i] for i in diff], vs, create_graph=True,
                          allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception, fast_mode=fast_mode)


def _tensor_outputs(out):
    Tensor = _node.Tensor
    outs = (out,) if isinstance(out, Tensor) else tuple(out)
    return [o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _evaluate(func, inputs):
    """Output arrays of func(*inputs) without recording a graph (copies: the inputs change)."""
    with no_grad():
        return [o._data.astype(_xp.float64) for o in _tensor_outputs(func(*inputs))]


def _analytical_vjp(outputs, inputs, diff, grad_outputs):
    """sum_o u_o^T d out_o / d x for every checked input x (zeros where unused)."""
    active = [(o, u) for o, u in zip(outputs, grad_outputs) if o.requires_grad]
    xs = [inputs[i] for i in diff]
    if not active:
        return [_xp.zeros(x._data.shape) for x in xs]
    grads = _grad([o for o, _ in active], xs, [u for _, u in active], retain_graph=True,
                  allow_unused=True)
    return [_xp.zeros(x._data.shape) if g is None else g._data.astype(_xp.float64)
            for g, x in zip(grads, xs)]


def _numerical_directional(func, inputs, i, index, direction, eps):
    """(f(x + eps d) - f(x - eps d)) / 2 eps for input i, perturbing one element (`index`) or
    the whole tensor along `direction`."""
    data = inputs[i]._data
    orig = data.copy()
    step = eps if direction is None else eps * direction
    try:
        if index is None:
            data[...] = orig + step
        else:
            data[index] = orig[index] + step
        plus = _evaluate(func, inputs)
        if index is None:
            data[...] = orig - step
        else:
            data[index] = orig[index] - step
        minus = _evaluate(func, inputs)
    finally:
        data[...] = orig
    return [(p - m) / (2 * eps) for p, m in zip(plus, minus)]


def _check_full(func, inputs, diff, outputs, eps, atol, rtol):
    """Build d out_o / d x_i column by column both ways; compare each (input, output) block."""
    # analytical: one backward per output element (one-hot upstream gradient)
    analytical = {}
    for o, out in enumerate(outputs):
        for j in range(out._data.size):
            onehot = _xp.zeros(out._data.size, dtype=out._data.dtype)
            onehot[j] = 1
            ups = [_node._make(onehot.reshape(out._data.shape) if k == o else
                               _xp.zeros_like(other._data)) for k, other in enumerate(outputs)]
            rows = _analytical_vjp(outputs, inputs, diff, ups)
            for i, row in zip(diff, rows):
                analytical.setdefault((i, o), _xp.zeros((inputs[i]._data.size,
                                                         out._data.size)))[:, j] = row.ravel()
    # numerical: two forward calls per input element
    for i in diff:
        x = inputs[i]._data
        numerical = [_xp.zeros((x.size, out._data.size)) for out in outputs]
        for k in range(x.size):
            cols = _numerical_directional(func, inputs, i, _xp.unravel_index(k, x.shape), None,
                                          eps)
            for o, col in enumerate(cols):
                numerical[o][k, :] = col.ravel()
        for o in range(len(outputs)):
            a = analytical.get((i, o), _xp.zeros((x.size, 0)))
            n = numerical[o]
            if not _xp.allclose(a, n, rtol=rtol, atol=atol):
                return (f"Jacobian mismatch for output {o} with respect to input {i},\n"
                        f"numerical:{n}\nanalytical:{a}\n")
    return None


def _check_fast(func, inputs, diff, outputs, eps, atol, rtol):
    """Compare u^T J v for random u (over outputs) and v (over each input)."""
    rng = _xp.random.default_rng(0)
    ups = [_node._make(rng.standard_normal(o._data.shape).astype(o._data.dtype))
           for o in outputs]
    rows = _analytical_vjp(outputs, inputs, diff, ups)
    for i, row in zip(diff, rows):
        v = rng.standard_normal(inputs[i]._data.shape)
        a = float((row * v).sum())
        cols = _numerical_directional(func, inputs, i, None, v, eps)
        n = float(sum((c * u._data).sum() for c, u in zip(cols, ups)))
        if not abs(a - n) <= atol + rtol * abs(n):
            return (f"Jacobian mismatch for output 0 with respect to input {i},\n"
                    f"numerical:{n}\nanalytical:{a}\n\nThe above quantities relating the "
                    "numerical and analytical jacobians are computed in fast mode "
                    "(u^T J v for random u, v).")
    return None
