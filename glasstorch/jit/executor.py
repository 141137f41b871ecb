"""Running a graph: compile it once to a straight-line Python function, then call that.

Two flavours of the same program:

    arrays   each node calls its op's `forward(ctx, *arrays)` directly with one ctx object
             made at compile time: no Tensor wrappers, no autograd bookkeeping, no grad-mode
             checks. This is the fast inference replay (no_grad, or nothing requires grad).
    tensors  each node calls `Op.apply(*tensors)`, so autograd records as in eager mode.

The generated source is kept (`fn.source`) so a learner can read what runs. Nodes of the
"jit::" family (fusion groups, planned buffers) come from passes and bring their own callable.
"""
from ..autograd.grad_mode import STATE
from ..autograd.node import _NO_GRAD
from ..backend import asarray as _asarray, ndarray as _ndarray
from ..tensor import Tensor, _make
from .derived import DERIVED
from .ir import Value

__all__ = ["compile_graph"]

_new = object.__new__
_NO_INPUT = object()      # the fast call's default: called with no input at all


def _ctx(cls):
    ctx = _new(cls)
    ctx.needs_input_grad = _NO_GRAD
    ctx._out = ctx._retain = None
    ctx._saved = ctx._pre_hooks = ctx._post_hooks = None
    ctx._released = False
    return ctx


def _array_call(node):
    fwd, ctx = node.cls.forward, _ctx(node.cls)
    derive = DERIVED.get(node.op)
    kwargs = node.kwargs
    if derive is None:
        if kwargs:
            return lambda *args: fwd(ctx, *args, **kwargs)
        return lambda *args: fwd(ctx, *args)
    return lambda *args: fwd(ctx, *derive(node, args, False), **kwargs)


def _tensor_call(node):
    apply, derive, kwargs = node.cls.apply, DERIVED.get(node.op), node.kwargs
    if derive is None:
        return (lambda *args: apply(*args, **kwargs)) if kwargs else apply

    def call(*args):
        need = any(getattr(a, "requires_grad", False) for a in args)
        return apply(*derive(node, args, need), **kwargs)
    return call


def compile_graph(graph, mode="arrays", entry=None):
    """fn(*inputs, *params) -> outputs. arrays mode takes and returns backend arrays; tensors
    mode takes and returns Tensors.

    entry=(shape, dtype) (arrays mode, one input, no parameters: a frozen module) makes instead
    `entry(module, x)`: the module's whole fast call in one function, Tensor in and out. It
    checks x (a Tensor of that shape and dtype, not recording autograd), runs the program on
    x's array and wraps the result in a fresh Tensor; any other x goes to `module._forward`,
    which checks it fully (errors, the autograd path)."""
    env = {"_asarray": _asarray}
    names = {}

    def name(v):
        if v not in names:
            names[v] = f"v{len(names)}"
        return names[v]

    params = list(graph.params.values())
    head = [name(v) for v in graph.inputs] + [name(v) for v in params]
    for c in graph.consts:
        data = c.data
        env[name(c)] = _make(data) if (mode == "tensors" and c.kind == "const") else data
    lines = [f"def run({', '.join(head)}):"]
    dead = _dead_after(graph)
    for i, n in enumerate(graph.nodes):
        inline = _inline(n, i, mode, name, env)
        if inline is not None:
            lines += ["    " + line for line in inline]
            for v in dead.get(i, ()):
                lines.append(f"    del {name(v)}")
            continue
        if n.op.startswith("jit::"):
            fn = n.cls.make_call(n, mode)
        else:
            fn = _array_call(n) if mode == "arrays" else _tensor_call(n)
        env[f"f{i}"] = fn
        args = []
        for j, a in enumerate(n.args):
            if isinstance(a, Value):
                raw = mode == "tensors" and j in n.raw and a.kind not in ("array",)
                args.append(name(a) + ("._data" if raw else ""))
            else:
                env[f"a{i}_{j}"] = a
                args.append(f"a{i}_{j}")
        outs = [name(v) for v in n.outputs]
        call = f"f{i}({', '.join(args)})"
        if mode == "arrays" and len(outs) == 1 and n.outputs[0].shape == ():
            call = f"_asarray({call})"  # NumPy reductions may hand back a scalar, not an array
        lines.append(f"    {', '.join(outs)}{',' if len(outs) > 1 else ''} = {call}")
        for v in dead.get(i, ()):
            lines.append(f"    del {name(v)}")
    lines.append(f"    return {_ret(graph.outputs, name)}")
    if entry is not None:
        lines = _entry_lines(lines, name(graph.inputs[0]), entry, env,
                             isinstance(graph.outputs, Value) and graph.outputs.shape != ())
    src = "\n".join(lines)
    exec(compile(src, "<glasstorch.jit graph>", "exec"), env)
    run = env["entry" if entry is not None else "run"]
    run.source = src
    return run


def _entry_lines(lines, x, sig, env, single):
    """run's body inside the fast call's checks (see compile_graph): one Python frame per call
    instead of three (module call, checks, run), the output wrapped in place."""
    env.update({"_Tensor": Tensor, "_STATE": STATE, "_make": _make, "_wrap": wrap_outputs,
                "_NO_INPUT": _NO_INPUT, "_in_shape": tuple(sig[0]), "_in_dtype": sig[1]})
    body = ["        " + ln for ln in lines[1:-1]]
    out = lines[-1].strip()[len("return "):]
    # one output Value of rank >= 1 is an array (a 0-d one may come back as a NumPy scalar)
    ret = f"_make({out})" if single else f"_wrap({out})"
    return ["def entry(module, x=_NO_INPUT, *more):",
            "    if type(x) is _Tensor and not more:",
            f"        {x} = x._data",
            f"        if {x}.shape == _in_shape and {x}.dtype is _in_dtype and "
            "not (x._requires_grad and _STATE.enabled):",
            *body,
            f"            return {ret}",
            "    return module._forward(more if x is _NO_INPUT else (x, *more))"]


def _inline(n, i, mode, name, env):
    """Source lines that do node n's work in place of a call (arrays mode): fused groups, and
    views (a reshape: on an input with other strides it copies where View would refuse)."""
    if mode != "arrays" or len(n.outputs) != 1:
        return None
    out = name(n.outputs[0])
    if n.op in ("jit::fused", "jit::gemv_chain") and hasattr(n.cls, "emit"):
        return n.cls.emit(n, [name(a) for a in n.args], out, env, f"_{i}")
    if n.op == "view" and isinstance(n.args[0], Value) and not n.kwargs:
        env[f"_shape_{i}"] = tuple(n.outputs[0].shape)
        return [f"{out} = {name(n.args[0])}.reshape(_shape_{i})"]
    return None


def _dead_after(graph):
    """node index -> Values it reads (or makes) for the last time: freed right after it."""
    outs = set(graph.output_values())
    last = {}
    for k, n in enumerate(graph.nodes):
        for v in n.inputs() + n.outputs:
            if v.kind == "node" and v not in outs:
                last[v] = k
    by_node = {}
    for v, k in last.items():
        by_node.setdefault(k, []).append(v)
    return by_node


def _ret(out, name):
    if isinstance(out, Value):
        return name(out)
    inner = ", ".join(_ret(o, name) for o in out)
    if isinstance(out, list):
        return f"[{inner}]"
    return f"({inner}{',' if len(out) == 1 else ''})"


def wrap_outputs(out):
    """Arrays -> Tensors, keeping the tuple/list structure (arrays mode results)."""
    if isinstance(out, _ndarray):
        return _make(out)
    if isinstance(out, (tuple, list)):
        return type(out)(wrap_outputs(o) for o in out)
    return _make(_asarray(out))
