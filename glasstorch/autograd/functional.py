"""torch.autograd.functional: Jacobians, Hessians and their products with vectors, for a
function of tensors, built on `autograd.grad` (reverse mode; forward-mode products by the
double-vjp trick: the vjp is linear in v, so differentiating <vjp(u), v> w.r.t. u gives J v).

    jacobian(f, x)     J[i..., j...] = d f(x)[i...] / d x[j...]   (reverse mode, one row at a time)
    hessian(f, x)      jacobian of the gradient of a scalar f
    vjp(f, x, v)       (f(x), v^T J)       jvp(f, x, v)  (f(x), J v)
    vhp(f, x, v)       (f(x), v^T H)       hvp(f, x, v)  (f(x), H v)

Inputs may be a Tensor or a tuple of Tensors; results follow torch's nesting (a tuple level
per tuple of inputs / outputs). Gradients that do not exist are zeros (strict=True raises).
"""
from .. import creation as _creation
from ..tensor import Tensor
from .engine import grad as _grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x, what, fn_name):
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple "
                            f"of Tensors but the value at index {i} has type {type(t)}.")
    return is_tuple, items


def _prepare(inputs, create_graph):
    with enable_grad():
        return tuple(t.detach().requires_grad_(True) if not create_graph or not t.requires_grad
                     else t.view_as(t) for t in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph, strict, fn_name):
    grads = _grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph,
                  allow_unused=True)
    out = []
    for i, (g, x) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode.")
            g = _creation.zeros_like(x)
        out.append(g if create_graph else g.detach())
    return tuple(out)


def _untuple(is_tuple, items):
    return tuple(items) if is_tuple else items[0]


def _call(func, inputs):
    with enable_grad():
        out = func(*inputs)
    return out


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepare(inputs, create_graph)
    out_tuple, outputs = _as_tuple(_call(func, inputs), "outputs of the user-provided function",
                                   "vjp")
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        vs = (_creation.ones_like(outputs[0]),)
    else:
        vs = _as_tuple(v, "v", "vjp")[1]
        for o, w in zip(outputs, vs):
            if tuple(o.shape) != tuple(w.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output has a shape of "
                                   f"{tuple(w.shape)} and output has a shape of {tuple(o.shape)}")
    g = _grads(outputs, inputs, vs, create_graph, strict, "vjp")
    outs = tuple(o if create_graph else o.detach() for o in outputs)
    return _untuple(out_tuple, outs), _untuple(in_tuple, g)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    inputs = _prepare(inputs, create_graph)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        vs = (_creation.ones_like(inputs[0]),)
    else:
        vs = _as_tuple(v, "v", "jvp")[1]
    out_tuple, outputs = _as_tuple(_call(func, inputs), "outputs of the user-provided function",
                                   "jvp")
    with enable_grad():
        us = tuple(_creation.zeros_like(o).requires_grad_(True) for o in outputs)
        g = _grad(outputs, inputs, us, create_graph=True, allow_unused=True)
        pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi is not None]
        if not pairs:
            res = tuple(_creation.zeros_like(o) for o in outputs)
        else:
            res = _grads([gi for gi, _ in pairs], us, [vi for _, vi in pairs], create_graph,
                         strict, "jvp")
    outs = tuple(o if create_graph else o.detach() for o in outputs)
    return _untuple(out_tuple, outs), _untuple(out_tuple, res)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepare(inputs, create_graph)
    out_tuple, outputs = _as_tuple(_call(func, inputs), "outputs of the user-provided function",
                                   "jacobian")
    from ..ops.join import stack
    jac = []
    for out in outputs:
        flat = out.reshape(-1)
        rows = []                                   # one reverse pass per output element
        for k in range(flat.numel()):
            rows.append(_grads([flat[k]], inputs, None, create_graph, strict, "jacobian"))
        per_input = []
        for j, x in enumerate(inputs):
            if rows:
                block = stack([r[j] for r in rows]).reshape(*out.shape, *x.shape)
            else:
                block = _creation.zeros(*out.shape, *x.shape, dtype=x.dtype)
            per_input.append(block)
        jac.append(_untuple(in_tuple, per_input))
    return _untuple(out_tuple, jac)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    in_tuple, inputs_t = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor "
                               "with a single element.")
        g = _grad(out, xs, create_graph=True, allow_unused=True)
        return tuple(gi if gi is not None else _creation.zeros_like(x) for gi, x in zip(g, xs))
    jac = jacobian(gradient, inputs_t, create_graph=create_graph, strict=strict)
    return jac if in_tuple else jac[0][0] if isinstance(jac[0], tuple) else jac[0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
    inputs = _prepare(inputs, True)
    out = _call(func, inputs)
    if not isinstance(out, Tensor) or out.numel() != 1:
        raise RuntimeError("The function given to vhp should return a single Tensor with a "
                           "single element.")
    vs = _as_tuple(v, "v", "vhp")[1] if v is not None else (_creation.ones_like(inputs[0]),)
    with enable_grad():
        g = _grad(out, inputs, create_graph=True, allow_unused=True)
        pairs = [(gi, vi, x) for gi, vi, x in zip(g, vs, inputs) if gi is not None]
        res = _grads([p[0] for p in pairs], inputs, [p[1] for p in pairs], create_graph,
                     strict, "vhp") if pairs else tuple(_creation.zeros_like(x) for x in inputs)
    return (out if create_graph else out.detach()), _untuple(in_tuple, res)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """H v; equal to v^T H for twice-differentiable functions (the Hessian is symmetric)."""
    return vhp(func, inputs, v, create_graph, strict)
