"""Traced training steps: forward + loss + backward + optimizer update replayed from one graph.

    step = glasstorch.jit.trace_train_step(model, loss_fn, optimizer, (x, y))
    for x, y in loader:
        loss = step(x, y)       # = zero_grad(); loss_fn(model(x), y).backward(); step()

The trace records forward and loss. The replay runs each op's forward on raw arrays with its
ctx (the node object autograd would have made, minus the edges), then walks the same nodes in
reverse calling each op's backward: the backward schedule, which inputs need gradients and
where gradients add up are fixed once at trace time, so the engine's graph walk, dependency
counting and Tensor/Node bookkeeping of the forward vanish from every step. The backward
functions and the optimizer are the eager ones, so parameters stay bit-identical to eager
training (gradients of a value used three or more times may add in another order).

Limits (checked): batch norm in training mode (its running statistics are updated outside the
op) and dropout (a trace keeps one mask) are refused; inputs keep the traced shapes.
"""
from ..autograd.engine import sum_to
from ..autograd.grad_mode import STATE
from ..backend import asarray as _asarray, ndarray as _ndarray, xp as _xp
from ..tensor import Tensor, _make
from .derived import DERIVED
from .ir import Value
from .tracer import record

__all__ = ["trace_train_step", "TrainStep"]

_new = object.__new__


class TrainStep:
    """A replayable training step; call it with a batch, it returns the loss (a Tensor)."""

    def __init__(self, graph, params, optimizer):
        self.graph, self.params, self.optimizer = graph, params, optimizer
        loss = graph.outputs
        if not isinstance(loss, Value) or loss.shape != ():
            raise RuntimeError("jit.trace_train_step: loss_fn must return a scalar tensor")
        for n in graph.nodes:
            if n.op == "dropout":
                raise NotImplementedError("jit.trace_train_step: dropout would replay one "
                                          "fixed mask; train this model eagerly")
            if n.op == "batch_norm" and n.args[5]:
                raise NotImplementedError("jit.trace_train_step: batch norm in training mode "
                                          "updates its running statistics outside the op")
        # which values need a gradient: trainable parameters and what is computed from them
        needs = {v for name, v in graph.params.items() if params[name].requires_grad}
        self.plan = []
        for n in graph.nodes:
            flags = tuple(isinstance(a, Value) and a in needs for a in n.args)
            if any(flags):
                needs.update(n.outputs)
            self.plan.append((n, flags, DERIVED.get(n.op)))
        self.needs = needs

    def __call__(self, *batch):
        g = self.graph
        if len(batch) != len(g.inputs):
            raise TypeError(f"train step takes {len(g.inputs)} tensors (as traced), got "
                            f"{len(batch)}")
        for i, (x, v) in enumerate(zip(batch, g.inputs)):
            if not isinstance(x, Tensor) or x._data.shape != v.shape:
                raise RuntimeError(f"train step: input {i} was traced with shape "
                                   f"{list(v.shape)}, got "
                                   f"{list(x.shape) if isinstance(x, Tensor) else type(x)}")
        self.optimizer.zero_grad()
        prev, STATE.enabled = STATE.enabled, False
        try:
            loss = self._forward_backward(batch)
        finally:
            STATE.enabled = prev
        self.optimizer.step()
        return loss

    def _forward_backward(self, batch):
        g, params = self.graph, self.params
        env = {}                    # Value -> array
        tensors = {}                # Value -> Tensor (parameters, and values saved as tensors)
        for v, x in zip(g.inputs, batch):
            env[v] = x._data
        for name, v in g.params.items():
            t = params[name]
            env[v], tensors[v] = t._data, t
        for c in g.consts:
            env[c] = c.data
        ctxs = []
        for n, flags, derive in self.plan:
            args = [env[a] if isinstance(a, Value) else a for a in n.args]
            if derive is not None:
                args = derive(n, args, any(flags))
            cls = n.cls
            ctx = _new(cls)
            ctx.needs_input_grad = flags + (False,) * 8
            ctx._out = ctx._retain = ctx._saved = ctx._pre_hooks = ctx._post_hooks = None
            ctx._released = False
            y = cls.forward(ctx, *args, **n.kwargs)
            if any(flags):
                if ctx._retain is not None:
                    ctx.save_for_backward(*[self._tensor(n.args[i], args[i], tensors)
                                            for i in ctx._retain])
                if ctx._out is not None:
                    ctx._out = (y, [0], 0)
                ctx._n_out = len(n.outputs)
                if len(n.outputs) > 1:
                    ctx._out_meta = [(a.shape, a.dtype) for a in y]
                ctxs.append((n, ctx, flags))
            outs = y if len(n.outputs) > 1 else (y,)
            for v, a in zip(n.outputs, outs):
                env[v] = a if type(a) is _ndarray else _asarray(a)
        loss = env[g.outputs]
        grads = {g.outputs: _make(_xp.ones_like(loss))}
        for n, ctx, flags in reversed(ctxs):
            gys = [grads.pop(v, None) for v in n.outputs]
            if all(gy is None for gy in gys):
                continue
            gys = [gy if gy is not None else _make(_xp.zeros_like(env[v]))
                   for gy, v in zip(gys, n.outputs)]
            r = n.cls.backward(ctx, *gys)
            r = r if isinstance(r, tuple) else (r,)
            for i, (a, need) in enumerate(zip(n.args, flags)):
                if not need or i >= len(r) or r[i] is None:
                    continue
                gi = r[i]
                if gi._data.shape != a.shape:
                    gi = sum_to(gi, a.shape, ctx, i)
                prev = grads.get(a)
                grads[a] = gi if prev is None else prev + gi
        taken = set()
        for name, v in g.params.items():
            gv = grads.get(v)
            if gv is not None:
                t, a = params[name], gv._data
                if t.grad is None:
                    # a gradient array no one else holds becomes .grad as is; the engine
                    # copies because it cannot know (an add's backward hands one gy to both)
                    own = a.base is None and a.dtype == t._data.dtype and id(a) not in taken \
                        and a.flags.c_contiguous
                    taken.add(id(a))
                    t.grad = _make(a if own else a.astype(t._data.dtype, copy=True))
                else:
                    _xp.add(t.grad._data, a, out=t.grad._data, casting="unsafe")
        return _make(loss)

    @staticmethod
    def _tensor(a, array, tensors):
        if isinstance(a, Value) and a in tensors:
            return tensors[a]
        return _make(array) if type(array) is _ndarray else array


def trace_train_step(model, loss_fn, optimizer, example_batch):
    """Record `loss_fn(model(x), *targets)` for example_batch = (x, *targets) and return a
    TrainStep: step(x, *targets) zeroes the gradients, runs forward, loss and backward from the
    recorded graph, then optimizer.step(); it returns the loss."""
    batch = (example_batch,) if isinstance(example_batch, Tensor) else tuple(example_batch)
    from . import _named_tensors

    def step(x, *targets):
        return loss_fn(model(x), *targets)
    named = _named_tensors(model)
    graph, _ = record(step, batch, named)
    by_name = dict(named)
    return TrainStep(graph, {name: by_name[name] for name in graph.params}, optimizer)
