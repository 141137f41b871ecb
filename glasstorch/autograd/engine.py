"""The backward engine: reverse-mode differentiation over the recorded graph.

Why a topological order? In `b = a + a; c = b + b`, the node of `b` gets gradient from *two*
uses in c's node; it may only run once both have arrived, or `a.grad` would miss half.
So the engine

1. walks the graph from the roots with an explicit stack (no recursion: 10,000-op chains are
   fine) and counts, for every node, how many edges point at it (its consumers);
2. starts from the roots; a node runs when all its consumers have delivered their gradient
   (Kahn's algorithm); the gradients waiting for a node sit in `pending` and are dropped as
   soon as the node ran, and the node's saved tensors are freed unless `retain_graph`;
3. gives every gradient the shape and dtype of the input it belongs to: a gradient shaped like
   a broadcast result is summed back (`sum_to`), so no op can forget broadcasting; a gradient
   that cannot be reduced raises an error naming the op.

Leaves end in an `AccumulateGrad` node, which adds into `.grad` (autograd/accumulate.py):
gradients accumulate across backward calls until you zero them (PyTorch's semantics, which
`optimizer.zero_grad()` serves).
"""
import sys
import warnings

from ..backend import xp as _xp
from .grad_mode import STATE, GLOBAL
from .anomaly import _check_anomaly
from .hooks import (_leaf_hooks, _run_pre_hooks, register_post_accumulate_grad_hook,  # noqa: F401
                    register_tensor_hook, retain_grad)
from .accumulate import _accumulate
from .node import AccumulateGrad, Op, _accumulator
from . import node as _node_mod

_getrefcount = sys.getrefcount

__all__ = ["backward", "grad"]


def _tensor_cls():
    return _node_mod.Tensor


def _make(data, grad_fn=None):
    return _node_mod._make(data, grad_fn)


def _root_edge(t):
    if t._base is not None and t._grad_fn_version != t._version_counter[0] and t._requires_grad:
        _node_mod._refresh_view(t)  # a view whose base changed in place after it was taken
    if t.grad_fn is not None:
        return t.grad_fn, t._out_nr
    if t._requires_grad:
        return _accumulator(t), 0
    return None, 0


def _make_grads(outputs, grad_outputs, create_graph):
    grads = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out._data.size != 1 and out._requires_grad:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out._data.dtype.kind == "f" and out._requires_grad:
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {out.dtype}")
            g = _make(_xp.ones_like(out._data))
        elif not isinstance(g, _tensor_cls()):
            g = _make(_xp.asarray(g, dtype=out._data.dtype))
        elif g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {g.shape} and "
                               f"output[0] has a shape of {out.shape}.")
        if not create_graph:
            g = g.detach()
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """`tensor.backward()` / `autograd.backward()`: accumulate gradients into leaves' `.grad`.
    `grad_variables` is torch's deprecated name for grad_tensors (FutureWarning)."""
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.",
                      FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError("`grad_tensors` and `grad_variables` (deprecated) arguments both "
                               "passed to `backward()`. Please only use `grad_tensors`.")
        grad_tensors = grad_variables
    T = _tensor_cls()
    if isinstance(tensors, T):
        tensors = (tensors,)
    if grad_tensors is None or isinstance(grad_tensors, T):
        grad_tensors = (grad_tensors,) * len(tensors) if grad_tensors is None else (grad_tensors,)
    for t in tensors:
        if not t._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(tensors, grad_tensors, create_graph)
    capture = None
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, T) else tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        capture = _Capture(inputs, into_results=False)
    _run([_root_edge(t) for t in tensors], grads, retain_graph, create_graph, capture)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """d(outputs)/d(inputs) returned as a tuple, without touching any `.grad`.

    With create_graph=True the returned gradients are part of a new graph, so they can be
    differentiated again (Hessian-vector products, gradient penalties)."""
    T = _tensor_cls()
    outputs = (outputs,) if isinstance(outputs, T) else tuple(outputs)
    single = isinstance(inputs, T)
    inputs = (inputs,) if single else tuple(inputs)
    if grad_outputs is None or isinstance(grad_outputs, T):
        grad_outputs = (grad_outputs,) * len(outputs) if grad_outputs is None else (grad_outputs,)
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(outputs):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(outputs, grad_outputs, create_graph)
    capture = _Capture(inputs, into_results=True)
    _run([_root_edge(t) for t in outputs], grads, retain_graph, create_graph, capture)
    results = capture.results
    for i, r in enumerate(results):
        if r is None:
            if materialize_grads:
                results[i] = _make(_xp.zeros_like(inputs[i]._data))
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is "
                                   "the desired behavior.")
    return tuple(results)


def _count_dependencies(roots):
    """Iterative DFS: how many edges point at each reachable node."""
    deps = {}
    # each root once, even when several roots share a node (outputs of one split/Function)
    stack = list(dict.fromkeys(n for n, _ in roots if n is not None))
    seen = set(stack)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            deps[child] = deps.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return deps, seen


class _Capture:
    """The gradients autograd.grad, or backward(inputs=...), asks for. `edges` maps the edge
    (node, output number) of each input to where its gradient goes: an index into `results`
    (autograd.grad returns them; nothing is accumulated), or the input tensor itself, whose
    `.grad` receives it (backward(inputs=...): only these inputs accumulate)."""
    __slots__ = ("edges", "results")

    def __init__(self, inputs, into_results):
        self.edges = {}
        self.results = [None] * len(inputs) if into_results else None
        for i, x in enumerate(inputs):
            self.edges.setdefault(_root_edge(x), []).append(i if into_results else x)

    def take(self, node, grads_out, create_graph):
        """Hand over the gradients that arrived at `node`'s outputs to the inputs there."""
        for nr, g in enumerate(grads_out):
            for target in self.edges.get((node, nr), ()):
                if self.results is not None:
                    self.results[target] = g
                elif not getattr(target, "_retains_grad", False):
                    # (a retain_grad hook already stored this non-leaf's gradient)
                    _accumulate(target, g, create_graph)


def _needed(roots, capture):
    """With autograd.grad, only nodes from which a captured input is reachable must run."""
    order, seen = [], set()
    for root, _ in roots:
        if root is None or root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.next_functions))]
        while stack:
            node, it = stack[-1]
            for child, _ in it:
                if child is not None and child not in seen:
                    seen.add(child)
                    stack.append((child, iter(child.next_functions)))
                    break
            else:
                stack.pop()
                order.append(node)  # post-order: children first
    keys = {n for n, _ in capture}
    needed = set()
    for node in order:
        if node in keys or any(c in needed for c, _ in node.next_functions if c is not None):
            needed.add(node)
    return needed


def _run(roots, root_grads, retain_graph, create_graph, capture=None):
    """Kahn's algorithm: a node runs once every consumer has sent its gradient (deps[node]
    counts the consumers still to come); it then sends one gradient along each edge."""
    T = _tensor_cls()
    deps, needed, pending, ready = _start(roots, root_grads, capture)
    prev_mode, prev_capturing = STATE.enabled, STATE.capturing
    STATE.enabled = bool(create_graph)
    STATE.capturing = capture is not None   # (ops/pool.py's relu-masked scatter reads it)
    try:
        while ready:
            node = ready.pop()
            grads_out = pending.pop(node, None)
            if grads_out is None or (needed is not None and node not in needed):
                # no consumer sent a gradient here (or autograd.grad does not need this branch)
                _release_children(node, deps, ready)
                continue
            grads_in = _run_node(node, grads_out, capture, retain_graph, create_graph)
            if grads_in is None:   # a leaf's AccumulateGrad: the end of this path
                continue
            meta = node._in_meta
            for i, (child, nr) in enumerate(node.next_functions):
                if child is None:   # this input needs no gradient
                    continue
                g = grads_in[i]
                if g is not None:
                    m = meta[i] if meta is not None else None
                    if type(g) is not T or m is not None and (g._data.shape != m[0] or
                                                              g._data.dtype != m[1]):
                        g = _checked_grad(node, i, g, m, T)   # (most grads fit already)
                    slot = pending.get(child)    # _add_pending, inlined: once per edge
                    if slot is None:
                        slot = pending[child] = [None] * child._n_out
                    prev = slot[nr]
                    slot[nr] = g if prev is None else prev + g
                elif isinstance(node, Op) and not node.undefined_grads:
                    raise _none_grad_error(node, i)
                d = deps[child] - 1
                deps[child] = d
                if d == 0:
                    ready.append(child)
            g = grads_in = None   # let go: a leaf may steal a gradient nobody else holds
    finally:
        STATE.enabled, STATE.capturing = prev_mode, prev_capturing


def _start(roots, root_grads, capture):
    """What the loop starts from: the consumer counts, the nodes autograd.grad needs (None:
    all), the roots' gradients waiting at their nodes, and the roots ready to run."""
    deps, _ = _count_dependencies(roots)
    needed = None   # autograd.grad runs only the nodes that lead to an input it returns
    if capture is not None and capture.results is not None:
        needed = _needed(roots, capture.edges)
    pending = {}    # node -> the gradient of each of its outputs (summed over consumers)
    for (node, nr), g in zip(roots, root_grads):
        if node is not None:
            _add_pending(pending, node, nr, g)
    ready = []
    for node, _ in roots:
        if node is not None and deps.get(node, 0) == 0 and node not in ready:
            ready.append(node)
    return deps, needed, pending, ready


def _checked_grad(node, i, g, meta, T):
    """Gradient `i` of `node` that is not a plain Tensor of its input's shape and dtype: a
    Tensor subclass passes, another type raises naming the op, a shape or dtype is fitted."""
    if not isinstance(g, T):
        raise RuntimeError(f"{node.name()} returned a {type(g).__name__} as gradient {i}: "
                           f"expected Variable or None (got {type(g).__name__})")
    if meta is not None and (g._data.shape != meta[0] or g._data.dtype != meta[1]):
        g = _fit_grad(node, i, g, meta)
    return g


def _run_node(node, grads_out, capture, retain_graph, create_graph):
    """One node's turn: its hooks, the gradients `capture` wants, then its backward. Returns
    the gradients of its inputs, one per edge; None for a leaf's AccumulateGrad, which adds
    its gradient into `.grad` (or hands it to `capture`) and sends nothing on."""
    pre = getattr(node, "_pre_hooks", None)   # tensor hooks / node prehooks on its outputs
    if pre:
        grads_out = _run_pre_hooks(node, pre, grads_out)
    if isinstance(node, AccumulateGrad):
        if capture is None:
            var = node.variable
            g = grads_out[0]
            if var is not None and g is not None:
                # torch steals a gradient nobody else holds instead of copying it into .grad:
                # here the Tensor only by grads_out and `g` (+1 for getrefcount's argument),
                # its array only by the Tensor, owning its memory, and no hook to see it
                steal = (_getrefcount(g) == 3 and _getrefcount(g._data) == 2
                         and g._data.base is None and not getattr(var, "_hooks", None))
                _accumulate(var, g, create_graph, steal)
            return None
        if capture.results is not None and grads_out[0] is not None:
            # torch: a leaf's hooks also apply to the gradient autograd.grad returns
            grads_out = [_leaf_hooks(node.variable, grads_out[0])]
        capture.take(node, grads_out, create_graph)
        return None
    if capture is not None:
        capture.take(node, grads_out, create_graph)
    if node._released:   # what it saved for backward went with an earlier backward
        raise RuntimeError(_node_mod._FREED_MSG)

    if len(grads_out) == 1 and grads_out[0] is not None:  # most nodes: no call here
        grads_in = node.backward(node, grads_out[0])
        if not isinstance(grads_in, tuple):
            grads_in = (grads_in,)
    else:
        grads_in = _call_backward(node, grads_out)
    if len(grads_in) != len(node.next_functions):
        grads_in = _check_grad_count(node, grads_in)
    post = getattr(node, "_post_hooks", None)
    if post:
        for hook in post:
            r = hook(grads_in, tuple(grads_out))
            if r is not None:
                grads_in = tuple(r)
    if not retain_graph:
        node._release()
    if GLOBAL.anomaly and GLOBAL.anomaly_check_nan:
        _check_anomaly(node, grads_in)
    return grads_in


def _check_grad_count(node, grads_in):
    """torch's rule: a backward returns one gradient per forward input (extra trailing ones
    must be None, and are dropped here)."""
    n = len(node.next_functions)
    if len(grads_in) < n or any(g is not None for g in grads_in[n:]):
        where = (f" ({type(node).__module__}.{type(node).__name__}.backward must return one "
                 "gradient, or None, per positional input of forward)"
                 if isinstance(node, Op) else "")
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {n}, got {len(grads_in)}){where}")
    return grads_in[:n]


def _none_grad_error(node, i):
    """A built-in op returned None for an input that needs a gradient (an op bug: torch's ops
    always give one)."""
    return RuntimeError(
        f"function {node.name()} returned None as the gradient of input {i}, which requires "
        f"grad ({type(node).__module__}.{type(node).__name__}.backward must return a gradient "
        "for every input whose ctx.needs_input_grad entry is True; an op whose torch twin "
        "leaves some gradients undefined sets `undefined_grads = True`)")


def _release_children(node, deps, ready):
    for child, _ in node.next_functions:
        if child is None:
            continue
        deps[child] -= 1
        if deps[child] == 0:
            ready.append(child)


def _add_pending(pending, node, nr, g):
    slot = pending.get(node)
    if slot is None:
        slot = pending[node] = [None] * node._n_out
    prev = slot[nr]
    slot[nr] = g if prev is None else prev + g


def _call_backward(node, grads_out):
    # an output that got no gradient gets zeros of its shape (torch materializes them), unless
    # a custom Function asked for None with ctx.set_materialize_grads(False)
    materialize = getattr(node, "_materialize", True)
    if len(grads_out) == 1:
        gy = grads_out[0]
        if gy is None and materialize:
            gy = _zeros_for_output(node, 0)
        r = node.backward(node, gy)
    else:
        gys = [g if g is not None or not materialize else _zeros_for_output(node, i)
               for i, g in enumerate(grads_out)]
        r = node.backward(node, *gys)
    return r if isinstance(r, tuple) else (r,)


def _zeros_for_output(node, i):
    shapes = getattr(node, "_out_meta", None)
    if shapes is None:
        return None
    shape, dt = shapes[i]
    return _make(_xp.zeros(shape, dtype=dt))


def _fit_grad(node, i, g, meta):
    """Give gradient `g` the shape and dtype of input `i` (broadcast reduction, dtype cast)."""
    shape, dt = meta
    gd = g._data
    if gd.shape != shape:
        g = sum_to(g, shape, node, i)
    if gd.dtype != dt:
        g = g.to(_node_mod._dtype_of(_xp.empty(0, dtype=dt)))
    return g


def sum_to(g, shape, node=None, i=0):
    """Sum a broadcast gradient back to `shape` (the reverse of broadcasting)."""
    gshape = g._data.shape
    lead = len(gshape) - len(shape)
    ok = lead >= 0 and all(s == 1 or s == gs for s, gs in zip(shape, gshape[lead:]))
    if not ok:
        who = node.name() if node is not None else "sum_to"
        raise RuntimeError(f"Function {who} returned an invalid gradient at index {i} - got "
                           f"{list(gshape)} but expected shape compatible with {list(shape)}")
    dims = tuple(range(lead)) + tuple(
        lead + k for k, s in enumerate(shape) if s == 1 and gshape[lead + k] != 1)
    if dims:
        g = g.sum(dim=dims, keepdim=True)
    if lead:
        g = g.reshape(shape)
    elif g._data.shape != shape:
        g = g.reshape(shape)
    return g
