"""Gradient hooks: Tensor.register_hook, register_post_accumulate_grad_hook and retain_grad,
and the two places the engine runs hooks (a leaf's hooks before its gradient is accumulated, a
node's pre-hooks before its backward). torch's rule: a hook may replace a gradient, but not
change its dtype or shape. Node hooks themselves are stored by autograd/node.py.
"""
import weakref

from .node import _RemovableHandle
from . import node as _node_mod

__all__ = []


def _leaf_hooks(var, g):
    for hook in getattr(var, "_hooks", None) or ():
        r = hook(g)
        if r is not None:
            g = _checked_hook_result(hook, g, r)
    return g


def _checked_hook_result(hook, g, r):
    """torch: a tensor hook may replace the gradient, not change its dtype or shape."""
    name = getattr(hook, "__name__", repr(hook))
    if r._data.dtype != g._data.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                           f"{_node_mod._type_name(g)} got {_node_mod._type_name(r)})")
    if r._data.shape != g._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value (was "
                           f"{list(g._data.shape)} got {list(r._data.shape)})")
    return r


def _run_pre_hooks(node, hooks, grads_out):
    grads_out = list(grads_out)
    for nr, fn in list(hooks):
        if nr is None:
            r = fn(tuple(grads_out))
            if r is not None:
                grads_out = list(r)
        elif grads_out[nr] is not None:
            r = fn(grads_out[nr])
            if r is not None:
                grads_out[nr] = _checked_hook_result(fn, grads_out[nr], r)
    return grads_out


def register_post_accumulate_grad_hook(t, hook):
    """Tensor.register_post_accumulate_grad_hook: hook(leaf) once `leaf.grad` is updated."""
    if t.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    hooks = t.__dict__.setdefault("_post_accumulate_hooks", [])
    hooks.append(hook)
    return _RemovableHandle(hooks, hook)


def register_tensor_hook(t, hook):
    """Tensor.register_hook: leaves keep the hook on the tensor; others on their node."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t.grad_fn is None:
        hooks = getattr(t, "_hooks", None)
        if hooks is None:
            hooks = t._hooks = []
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)
    handle = t.grad_fn._add_pre_hook(t._out_nr, hook)
    # torch: retain_grad stores the gradient after *all* tensor hooks, whatever the order
    pre = t.grad_fn._pre_hooks
    pre.sort(key=lambda entry: getattr(entry[1], "_retains_grad", False))
    return handle


def retain_grad(t):
    """Keep this non-leaf's gradient in `.grad` (a hook that stores it)."""
    if not t._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if t.grad_fn is None or getattr(t, "_retains_grad", False):
        return
    t._retains_grad = True
    ref = weakref.ref(t)  # the hook must not keep its tensor alive (tensor -> node -> hook)

    def _store(g):
        tt = ref()
        if tt is not None:
            tt.grad = g.detach().clone() if tt.grad is None else tt.grad + g.detach()
    _store._retains_grad = True
    t.grad_fn._add_pre_hook(t._out_nr, _store)
