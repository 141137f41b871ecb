"""The graph IR a trace records: values, nodes, and a graph that prints itself.

    Value   one array in the program: a graph input, a parameter or buffer (by its state_dict
            name), a constant (its array kept here), or the output of a node; with shape, dtype
    Node    one call of a registered op (`OPS[name]`): `args` mixes Values (tensors) and plain
            Python attributes (ints, tuples, dtypes...) exactly as the op's forward receives
            them; `kwargs` are attributes too; `outputs` are the Values it defines
    Graph   inputs, params, nodes in execution order (a topological order), and the outputs (a
            Value or a tuple/list of them)

`print(graph)` shows one line per node, like torch's `traced.graph`; `graph.python()` writes the
same program as Python (`traced.code`). Passes (jit/passes/) rewrite graphs; executor.py runs
them. Read tracer.py next.
"""
import itertools

from .. import _dtype
from .._registry import OPS

__all__ = ["Value", "Node", "Graph"]

_DTYPE_WORD = {d.name: d.cpp_name for d in _dtype.ALL}


class Value:
    """An array of the program. kind: "input" | "param" | "const" | "array" | "node".
    A "const" is a Tensor the model made or kept outside any op (a Python-created tensor); an
    "array" is a raw backend array an op received as an attribute (a mask, a divisor)."""
    __slots__ = ("name", "shape", "dtype", "kind", "data", "node", "index")

    def __init__(self, name, shape, dtype, kind, data=None):
        self.name, self.shape, self.dtype, self.kind = name, tuple(shape), dtype, kind
        self.data = data          # the array of a const/array value
        self.node = None          # the node defining it (kind "node")
        self.index = 0            # which output of that node

    def type_str(self):
        word = _DTYPE_WORD.get(str(self.dtype), str(self.dtype))
        return f"{word}({', '.join(map(str, self.shape))})"

    def __repr__(self):
        return f"%{self.name}"


class Node:
    """One op call: `outputs = OPS[op].cls.apply(*args, **kwargs)`."""
    __slots__ = ("op", "cls", "args", "kwargs", "outputs", "raw")

    def __init__(self, op, cls, args, kwargs, outputs, raw=()):
        self.op, self.cls, self.args, self.kwargs, self.outputs = op, cls, list(args), \
            dict(kwargs), list(outputs)
        self.raw = frozenset(raw)  # positions where the op got a tensor's raw array
        for i, v in enumerate(self.outputs):
            v.node, v.index = self, i

    def inputs(self):
        """The Values among args, in order (duplicates kept)."""
        return [a for a in self.args if isinstance(a, Value)]

    @property
    def info(self):
        return OPS.get(self.op)


class Graph:
    """A traced program. `params` maps state_dict names to Values; `consts` lists the
    const/array Values (their arrays inside)."""

    def __init__(self):
        self.inputs, self.params, self.consts, self.nodes = [], {}, [], []
        self.outputs = None
        self._ids = itertools.count(1)

    # ---- building ---------------------------------------------------------------------------
    def new_value(self, shape, dtype, kind="node", name=None, data=None):
        v = Value(name if name is not None else str(next(self._ids)), shape, dtype, kind, data)
        if kind in ("const", "array"):
            if name is None:
                v.name = f"c{len(self.consts)}_{v.name}"
            self.consts.append(v)
        return v

    def output_values(self):
        return list(_flatten(self.outputs))

    def uses(self):
        """value -> number of uses (by nodes and as a graph output)."""
        count = {}
        for n in self.nodes:
            for v in n.inputs():
                count[v] = count.get(v, 0) + 1
        for v in self.output_values():
            count[v] = count.get(v, 0) + 1
        return count

    def replace_uses(self, old, new):
        """Every use of Value `old` (by nodes and outputs) now reads `new`."""
        for n in self.nodes:
            n.args = [new if a is old else a for a in n.args]
        self.outputs = _map(self.outputs, lambda v: new if v is old else v)

    def prune_consts(self):
        """Drop constants no node or output reads any more."""
        used = set(self.uses())
        self.consts = [c for c in self.consts if c in used]

    def copy(self):
        """A graph with its own Values and Nodes (arrays shared): passes may rewrite it."""
        g = Graph()
        g._ids = itertools.count(next(self._ids) + 10_000)
        vmap = {}

        def cp(v):
            if v not in vmap:
                w = Value(v.name, v.shape, v.dtype, v.kind, v.data)
                vmap[v] = w
            return vmap[v]
        g.inputs = [cp(v) for v in self.inputs]
        g.params = {k: cp(v) for k, v in self.params.items()}
        g.consts = [cp(v) for v in self.consts]
        for n in self.nodes:
            args = [cp(a) if isinstance(a, Value) else a for a in n.args]
            g.nodes.append(Node(n.op, n.cls, args, n.kwargs, [cp(v) for v in n.outputs], n.raw))
        g.outputs = _map(self.outputs, cp)
        return g

    # ---- printing -----------------------------------------------------------------------------
    def __str__(self):
        head = [f"%{v.name} : {v.type_str()}" for v in self.inputs]
        head += [f"%{name} : {v.type_str()}" for name, v in self.params.items()]
        lines = ["graph(" + ",\n      ".join(head) + "):"]
        for c in self.consts:
            lines.append(f"  %{c.name} : {c.type_str()} = prim::Constant[{c.kind}]()")
        for n in self.nodes:
            outs = ", ".join(f"%{v.name} : {v.type_str()}" for v in n.outputs)
            lines.append(f"  {outs} = {n.op}({_args_str(n, '%')})")
        lines.append(f"  return {_out_str(self.outputs, '%')}")
        return "\n".join(lines)

    def python(self):
        """The graph as a Python function over glasstorch ops (what `traced.code` shows)."""
        names = [_py(v.name) for v in self.inputs]
        lines = [f"def forward(params, {', '.join(names)}):"]
        for n in self.nodes:
            outs = ", ".join(_py(v.name) for v in n.outputs)
            lines.append(f"    {outs} = ops.{_py(n.op)}({_args_str(n, '')})")
        lines.append(f"    return {_out_str(self.outputs, '')}")
        return "\n".join(lines)

    def tabular(self):
        """fx's print_tabular: opcode, name, target, args, one row per node."""
        rows = [("opcode", "name", "target", "args")]
        rows += [("placeholder", v.name, v.name, "()") for v in self.inputs]
        rows += [("get_attr", name, name, "()") for name in self.params]
        for n in self.nodes:
            rows.append(("call_op", ",".join(v.name for v in n.outputs), n.op,
                         _args_str(n, "")))
        rows.append(("output", "output", "output", _out_str(self.outputs, "")))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3]
                         for r in rows)


def _py(name):
    name = name.replace(".", "_").replace("::", "_")
    return name if name[0].isalpha() or name[0] == "_" else "v" + name


def _arg(a, sigil):
    if isinstance(a, Value):
        return sigil + (a.name if sigil else (f"params[{a.name!r}]" if a.kind == "param"
                                              else _py(a.name)))
    if isinstance(a, (list, tuple)) and len(a) > 8:
        return f"<{type(a).__name__} of {len(a)}>"
    if hasattr(a, "shape") and hasattr(a, "dtype"):
        return f"<array {tuple(a.shape)}>"
    r = repr(a)
    return r if len(r) < 60 else r[:57] + "..."


def _args_str(n, sigil):
    parts = [_arg(a, sigil) for a in n.args]
    parts += [f"{k}={_arg(v, sigil)}" for k, v in n.kwargs.items()]
    return ", ".join(parts)


def _out_str(out, sigil):
    if isinstance(out, Value):
        return _arg(out, sigil)
    inner = ", ".join(_out_str(o, sigil) for o in out)
    return f"[{inner}]" if isinstance(out, list) else f"({inner}{',' if len(out) == 1 else ''})"


def _flatten(out):
    if isinstance(out, Value):
        yield out
    elif isinstance(out, (tuple, list)):
        for o in out:
            yield from _flatten(o)


def _map(out, fn):
    if isinstance(out, Value):
        return fn(out)
    if isinstance(out, (tuple, list)):
        return type(out)(_map(o, fn) for o in out)
    return out
