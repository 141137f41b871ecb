"""Traced training steps: forward + loss + backward + optimizer update replayed from one graph.

    step = glasstorch.jit.trace_train_step(model, loss_fn, optimizer, (x, y))
    for x, y in loader:
        loss = step(x, y)       # = zero_grad(); loss_fn(model(x), y).backward(); step()

The trace records forward and loss. From that graph the step compiles ONE Python function on
raw arrays (`step.source` shows it): the forward in execution order, then the backward in
reverse, with the gradient of every value in a local variable. Linear, relu, view/reshape,
2-d convolution, 2x2-style max pooling and cross-entropy run as array rules with buffers
allocated once (train_rules.py, train_conv.py, train_pool.py: the same NumPy calls as their
eager forward and backward, so the bits are the same); every other op calls its own forward
and backward on arrays, with the ctx autograd would have made (minus the graph edges).
Which inputs need gradients, and where gradients add up, is settled at trace time: no Tensor,
Node or engine work is left in the replay. The optimizer update runs fused on the parameters'
arrays (fused_optim.py; other optimizers: their own step()). Parameters stay bit-identical to
eager training (gradients of a value used three or more times may add in another order).

Limits (checked): batch norm in training mode (its running statistics are updated outside the
op) and dropout (a trace keeps one mask) are refused; inputs keep the traced shapes. The step
reuses its buffers on every call (one call at a time); `.grad` gets fresh arrays every step.
"""
import numpy as np

from ..autograd.engine import sum_to
from ..autograd.grad_mode import STATE
from ..backend import asarray as _asarray, ndarray as _ndarray, xp as _xp
from ..tensor import Tensor, _make
from .derived import DERIVED
from .fused_optim import fused_update
from .ir import Value
from .tracer import record
from .train_rules import RULES

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
            self.plan.append((n, flags))
        self.needs = needs
        self._run = _compile(self)
        self.source = self._run.source
        self._update = fused_update(optimizer)

    def __call__(self, *batch):
        g = self.graph
        if len(batch) != len(g.inputs):
            raise TypeError(f"train step takes {len(g.inputs)} tensors (as traced), got "
                            f"{len(batch)}")
        arrays = []
        for i, (x, v) in enumerate(zip(batch, g.inputs)):
            if not isinstance(x, Tensor) or x._data.shape != v.shape:
                raise RuntimeError(f"train step: input {i} was traced with shape "
                                   f"{list(v.shape)}, got "
                                   f"{list(x.shape) if isinstance(x, Tensor) else type(x)}")
            if x._data.dtype != v.dtype:        # (eager raises for these too)
                raise RuntimeError(f"train step: input {i} was traced with dtype {v.dtype}, "
                                   f"got {x._data.dtype}")
            arrays.append(x._data)
        self.optimizer.zero_grad()
        prev, STATE.enabled = STATE.enabled, False
        try:
            loss = self._run(*arrays)
        finally:
            STATE.enabled = prev
        if self._update is not None:
            self._update()
        else:
            self.optimizer.step()
        return _make(loss)


class _Emitter:
    """Names and constants of the generated step function (see train_rules.py)."""

    def __init__(self):
        self.env = {"_matmul": _xp.matmul, "_add": _xp.add, "_copyto": _xp.copyto,
                    "_maximum": _xp.maximum, "_less_equal": _xp.less_equal, "_acc": _acc}
        self.names, self.grads, self.buffers = {}, {}, set()
        self.given = set()          # values with a gradient contribution emitted
        self.certain = set()        # ... of which one is sure not to be None at run time
        self.sure = True            # contributions being emitted are arrays, never None

    def v(self, value):
        if value not in self.names:
            self.names[value] = f"v{len(self.names)}"
        return self.names[value]

    def g(self, value):
        if value not in self.grads:
            self.grads[value] = f"g_{self.v(value)}"
        return self.grads[value]

    def const(self, obj):
        name = f"k{len(self.env)}"
        self.env[name] = obj
        return name

    def buffer(self, shape, dtype):
        buf = np.empty(shape, dtype)
        self.buffers.add(id(buf))
        return self.const(buf)

    def contribute(self, value, expr):
        """value's gradient += expr (the first contribution assigns: every gradient variable
        starts as None, so a first contribution skipped at run time leaves None)."""
        g = self.g(value)
        first = value not in self.given
        self.given.add(value)
        if self.sure:
            self.certain.add(value)
        return [f"{g} = {expr}" if first else f"{g} = _acc({g}, {expr})"]


def _acc(a, b):
    if a is None:
        return b
    return a if b is None else a + b


def _compile(step):
    g, em = step.graph, _Emitter()
    lines = []
    args = [em.v(v) for v in g.inputs]
    for name, v in g.params.items():    # the current array of each parameter, read per call
        lines.append(f"    {em.v(v)} = {em.const(step.params[name])}._data")
    for c in g.consts:
        em.env[em.v(c)] = c.data
    backward = []
    for i, (n, flags) in enumerate(step.plan):
        need = any(flags)
        make = RULES.get(n.op)
        rule = make(n, flags) if make is not None and len(n.outputs) == 1 else None
        if rule is not None:
            lines += ["    " + ln for ln in rule.forward(em)]
            if need:
                backward.append((n, rule, None))
            continue
        fn = _generic(n, flags, step)
        outs = [em.v(v) for v in n.outputs]
        ctx = f"c{i}"
        lines.append(f"    _y, {ctx} = {em.const(fn)}({', '.join(_arg(a, em) for a in n.args)})")
        lines.append(f"    {', '.join(outs)}{',' if len(outs) > 1 else ''} = _y")
        if need:
            backward.append((n, fn, ctx))
    loss = g.outputs
    lines += [f"    {em.g(v)} = None" for v in sorted(step.needs, key=em.v) if v is not loss]
    em.given.add(loss)
    em.certain.add(loss)
    lines.append(f"    {em.g(loss)} = {em.const(_xp.ones(loss.shape, loss.dtype))}")
    for n, rule, ctx in reversed(backward):
        if not any(v in em.given for v in n.outputs):
            continue            # no gradient reaches this node: as the engine, skip it
        if ctx is None:         # an array rule (one output)
            y = n.outputs[0]
            em.sure = y in em.certain
            body = ["    " + ln for ln in rule.backward(em)]
            if not em.sure:
                body = [f"    if {em.g(y)} is not None:"] + ["    " + ln for ln in body]
            lines += body
        else:
            outs = [em.g(v) if v in em.given else "None" for v in n.outputs]
            lines.append(f"    _r = {em.const(rule.backward)}({ctx}, {', '.join(outs)})")
            em.sure = False
            for j, (a, flag) in enumerate(zip(n.args, rule.flags)):
                if flag:
                    lines += ["    " + ln for ln in em.contribute(a, f"_r[{j}]")]
        em.sure = True
    setgrad = em.const(_grad_setter(em.buffers))
    lines.append("    _taken = set()")
    for name, v in g.params.items():
        if v in em.given:
            lines.append(f"    {setgrad}({em.const(step.params[name])}, {em.g(v)}, _taken)")
    lines.append(f"    return {em.v(loss)}")
    src = f"def step({', '.join(args)}):\n" + "\n".join(lines)
    exec(compile(src, "<glasstorch.jit train step>", "exec"), em.env)
    run = em.env["step"]
    run.source = src
    return run


def _arg(a, em):
    return em.v(a) if isinstance(a, Value) else em.const(a)


class _Generic:
    """An op without an array rule: its own forward (with a ctx) and backward (on Tensors)."""

    def __init__(self, node, flags, tensors):
        self.node, self.flags, self.tensors = node, flags, tensors
        self.derive = DERIVED.get(node.op)
        self.need = any(flags)

    def __call__(self, *args):
        n, flags = self.node, self.flags
        if self.derive is not None:
            args = self.derive(n, list(args), self.need)
        cls = n.cls
        ctx = _new(cls)
        ctx.needs_input_grad = flags + (False,) * 8
        ctx._out = ctx._retain = ctx._saved = ctx._pre_hooks = ctx._post_hooks = None
        ctx._released = False
        y = cls.forward(ctx, *args, **n.kwargs)
        if self.need:
            if ctx._retain is not None:
                ctx.save_for_backward(*[self._tensor(n.args[i], args[i]) for i in ctx._retain])
            if ctx._out is not None:
                ctx._out = (y, [0], 0)
            ctx._n_out = len(n.outputs)
            if len(n.outputs) > 1:
                ctx._out_meta = [(a.shape, a.dtype) for a in y]
        if len(n.outputs) > 1:
            return tuple(a if type(a) is _ndarray else _asarray(a) for a in y), ctx
        return (y if type(y) is _ndarray else _asarray(y)), ctx

    def _tensor(self, a, array):
        t = self.tensors.get(a) if isinstance(a, Value) else None
        if t is not None:
            return t
        return _make(array) if type(array) is _ndarray else array

    def backward(self, ctx, *gys):
        n = self.node
        gys = [_make(gy) if gy is not None else _make(_xp.zeros(v.shape, v.dtype))
               for gy, v in zip(gys, n.outputs)]
        r = n.cls.backward(ctx, *gys)
        r = r if isinstance(r, tuple) else (r,)
        out = [None] * len(n.args)
        for i, (a, need) in enumerate(zip(n.args, self.flags)):
            if not need or i >= len(r) or r[i] is None:
                continue
            gi = r[i]
            if gi._data.shape != a.shape:
                gi = sum_to(gi, a.shape, ctx, i)
            out[i] = gi._data
        return out


def _generic(n, flags, step):
    tensors = {v: step.params[name] for name, v in step.graph.params.items()}
    return _Generic(n, flags, tensors)


def _grad_setter(buffers):
    def setgrad(t, a, taken):
        if a is None:
            return
        if t.grad is None:
            # an array no one else holds becomes .grad as is; a view, one of the step's
            # buffers (reused next call), one given to another parameter (an add's backward
            # hands one gy to both inputs) or the wrong dtype is copied
            own = a.base is None and id(a) not in buffers and id(a) not in taken and \
                a.dtype == t._data.dtype and a.flags.c_contiguous
            taken.add(id(a))
            t.grad = _make(a if own else a.astype(t._data.dtype, copy=True))
        else:
            _xp.add(t.grad._data, a, out=t.grad._data, casting="unsafe")
    return setgrad


def trace_train_step(model, loss_fn, optimizer, example_batch):
    """Record `loss_fn(model(x), *targets)` for example_batch = (x, *targets) and return a
    TrainStep: step(x, *targets) zeroes the gradients, runs forward, loss and backward from the
    recorded graph, then the optimizer's update; it returns the loss."""
    batch = (example_batch,) if isinstance(example_batch, Tensor) else tuple(example_batch)
    from . import _named_tensors

    def step(x, *targets):
        return loss_fn(model(x), *targets)
    named = _named_tensors(model)
    graph, _ = record(step, batch, named)
    by_name = dict(named)
    return TrainStep(graph, {name: by_name[name] for name in graph.params}, optimizer)
