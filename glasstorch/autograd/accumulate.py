"""AccumulateGrad: what happens when a gradient reaches a leaf (a parameter, or any tensor
with requires_grad=True that no op produced).

The leaf's hooks run first, then `.grad += g`, so gradients accumulate across backward calls
until they are zeroed (`optimizer.zero_grad()` sets them to None). The first time, `.grad`
gets a fresh buffer, because `g` may alias another tensor's gradient (both inputs of an add
receive the same array) -- unless the engine saw that nothing else refers to `g` (`steal`):
then the buffer is handed over, as torch's AccumulateGrad does, and one copy per parameter
per step is saved. `.grad` takes the leaf's layout (channels-last stays channels-last).
"""
from ..backend import xp as _xp
from .grad_mode import STATE
from .hooks import _leaf_hooks
from . import node as _node_mod


def _make(data):
    return _node_mod._make(data, None)


def _accumulate(var, g, create_graph, steal=False):
    """AccumulateGrad: run the leaf's hooks, then `.grad += g` (a fresh buffer the first time,
    because `g` may alias another tensor's gradient, e.g. both inputs of an add; `g` itself
    when `steal`: the engine saw that nothing else refers to it)."""
    g = _leaf_hooks(var, g)
    _add_into_grad(var, g, create_graph, steal)
    post = var.__dict__.get("_post_accumulate_hooks")
    if post:
        for hook in list(post):   # torch: hook(tensor), after .grad holds the new sum
            hook(var)


def _add_into_grad(var, g, create_graph, steal=False):
    if var.grad is None:
        if create_graph:
            var.grad = g
        elif var._data.shape != g._data.shape:
            var.grad = _make(g._data.copy())
        elif not STATE.grad_layout:   # enforce_grad_layout_policy(False): the gradient's own
            var.grad = _make(g._data.copy(order="K"))                  # layout, as torch steals it
        elif var._data.flags.c_contiguous:
            gd = g._data
            if steal and gd.flags.c_contiguous and gd.flags.writeable:
                # the engine's own Tensor, handed over whole when it is a plain one
                plain = type(g) is _node_mod.Tensor and not g._requires_grad and g._base is None
                var.grad = g if plain else _make(gd)
            else:
                var.grad = _make(gd.copy())
        else:   # torch's layout contract: .grad gets the leaf's strides (channels-last, ...)
            gd = _xp.empty_like(var._data, g._data.dtype)
            _xp.copyto(gd, g._data)
            var.grad = _make(gd)
    elif create_graph or var.grad.grad_fn is not None:
        var.grad = var.grad + g
    else:
        gd = var.grad._data
        if gd.shape == g._data.shape:
            _xp.add(gd, g._data, out=gd, casting="unsafe")
        else:
            var.grad = var.grad + g
