"""Elementwise fusion: a chain of elementwise ops runs as one group writing into one buffer.

Eager `relu(linear(x) + r)` makes three arrays. Here a chain (each op reading the previous
one's output, used nowhere else, same shape and dtype) becomes one `jit::fused` node whose
call does

    np.matmul(x, W.T, out=buf); np.add(buf, b, out=buf)    # the head (linear or an ufunc)
    np.add(buf, r, out=buf); np.maximum(0, buf, out=buf)    # the tail, in place

with the very NumPy calls the ops' forwards make, so results are bit-identical; the call is
generated as straight-line source (`call.source`), no per-call loop over steps. The buffer is
made per call, or reused across calls when memory.py planned it. Autograd (tensors mode) runs
the original nodes, which the group keeps.
"""
import numpy as np

from ..ir import Node, Value

__all__ = ["fuse_elementwise", "FusedGroup"]

# op -> (ufunc, unary?): forwards that are exactly this ufunc on same-dtype float arrays
_UFUNC = {"add": (np.add, False), "sub": (np.subtract, False), "mul": (np.multiply, False),
          "div": (np.true_divide, False), "neg": (np.negative, True), "exp": (np.exp, True),
          "tanh": (np.tanh, True), "sqrt": (np.sqrt, True), "abs": (np.abs, True),
          "relu": (None, True)}


class FusedGroup:
    """What a `jit::fused` node calls: steps over one buffer (see module docstring)."""

    def __init__(self, nodes):
        self.nodes = nodes          # the original nodes, in order (the chain)
        self.buffer = None          # a planned buffer (memory.py), else one per call
        self.gemv = None            # batch-1 linear head: ("w", None) | ("wt", W^T) (layout.py)
        self.pre = None             # a view folded in front of a GEMV head (layout.py)

    def make_call(self, node, mode):
        if mode == "tensors":
            return self._tensor_call(node)
        names = [f"a{i}" for i in range(len(node.args))]
        env = {}
        lines = self.emit(node, names, "buf", env, "")
        src = f"def call({', '.join(names)}):\n" + "\n".join("    " + ln for ln in lines) + \
            "\n    return buf"
        exec(compile(src, "<glasstorch.jit fused group>", "exec"), env)
        call = env["call"]
        call.source = src
        return call

    def emit(self, node, names, out, env, tag):
        """The group as straight-line source: one NumPy call per op, the same calls as the ops'
        forwards (bit-identical to eager), writing into `out`. `names` are the source names of
        node.args; constants go into `env` under names ending in `tag` (the executor inlines
        these lines into the graph's function, so a call costs no Python frame)."""
        ext = node.args
        pos = {id(v): i for i, v in enumerate(ext)}
        v = node.outputs[0]
        shape, dtype = v.shape, np.dtype(v.dtype)
        head, prev = self.nodes[0], self.nodes[0].outputs[0]
        env.update({"_matmul": np.matmul, "_maximum": np.maximum, "_empty": np.empty})

        def const(name, value):
            env[f"{name}{tag}"] = value
            return f"{name}{tag}"

        def ref(a):           # an external Value is an argument; a literal goes into env
            if isinstance(a, Value):
                return names[pos[id(a)]]
            return const(f"_k{len(env)}_", a)
        if self.buffer is not None:
            lines = [f"{out} = {const('_buf', self.buffer)}"]
        else:
            lines = [f"{out} = _empty({const('_shape', shape)}, {const('_dtype', dtype)})"]
        if head.op == "linear" and self.gemv is not None:
            lines = []
        zero = const("_zero", np.zeros((), dtype))   # relu's 0 as an array: no conversion
        hop, ha = head.op, head.args
        gemv_row = None
        if hop == "linear" and self.gemv is not None:
            # layout.py: one input row, a GEMV as np.dot on 1-D rows in the orientation chosen
            # at trace time (W^T C-contiguous, or W's own contiguous rows)
            src = ha[0].node.cls if ha[0].node is not None and \
                ha[0].node.op == "jit::fused" else None
            if src is not None and src.buffer is not None:   # the row of a planned buffer
                x1 = const("_xrow", src.buffer[0])
            elif self.pre is not None:                       # a folded view: its source
                x1 = f"{ref(self.pre.args[0])}.reshape(-1)"
            else:
                x1 = f"{ref(ha[0])}[0]"
            env.update({"_dot": np.dot, "_add": np.add})
            w = const("_wt", self.gemv[1]) if self.gemv[0] == "wt" else ref(ha[1])
            args = f"{x1}, {w}" if self.gemv[0] == "wt" else f"{w}, {x1}"
            # the bias adds on the 1-D row: same-shape adds cost half a broadcasting one
            row = gemv_row = f"_r{tag}"
            bias = ha[2]
            if self.gemv[0] == "w" and self.buffer is None and src is not None and \
                    src.buffer is not None and (bias is None or bias.kind == "const"):
                # a fresh (1, n) result straight from the planned (1, k) input: dot(x, W.T)
                # runs the very GEMV of dot(W, x[0]) (W's own rows: the same bits, tested)
                # without the result's reshape, and the bias add is same-shape
                lines = [f"{out} = _dot({const('_xbuf', src.buffer)}, "
                         f"{const('_wT', ha[1].data.T)})"]
                if bias is not None:
                    lines.append(f"_add({out}, {const('_b2d', bias.data.reshape(1, -1))}, "
                                 f"out={out})")
                gemv_row = out
            elif self.buffer is not None:
                lines = [f"{row} = {const('_row', self.buffer[0])}",
                         f"_dot({args}, out={row})"]
            else:
                lines = [f"{row} = _dot({args})"]
            if gemv_row is not out:
                if bias is not None:
                    lines.append(f"_add({row}, {ref(bias)}, out={row})")
                lines.append(f"{out} = " + (const('_buf', self.buffer) if self.buffer is not None
                                            else f"{row}.reshape({const('_shape', shape)})"))
        elif hop == "linear":
            lines.append(f"_matmul({ref(ha[0])}, {ref(ha[1])}.T, out={out})")
            if ha[2] is not None:
                lines.append(f"{out} += {ref(ha[2])}")
        elif hop == "relu":
            lines.append(f"_maximum({zero}, {ref(ha[0])}, out={out})")
        else:
            fn = const(f"_u_{hop}", _UFUNC[hop][0])
            lines.append(f"{fn}({', '.join(ref(a) for a in ha)}, out={out})")
        for n in self.nodes[1:]:
            if n.op == "relu" and gemv_row is not None:
                lines += self._relu_after_gemv(gemv_row, zero, shape, const, env)
            elif n.op == "relu":
                lines.append(f"_maximum({zero}, {out}, out={out})")
            else:
                fn, unary = _UFUNC[n.op]
                fn = const(f"_u_{n.op}", fn)
                if unary:
                    lines.append(f"{fn}({out}, out={out})")
                else:
                    first = n.args[0] is prev
                    o = ref(n.args[1] if first else n.args[0])
                    lines.append(f"{fn}({out + ', ' + o if first else o + ', ' + out}, "
                                 f"out={out})")
            prev = n.outputs[0]
        return lines

    def _relu_after_gemv(self, row, zero, shape, const, env):
        """relu on the GEMV's 1-D row as `row[row < 0] = 0` (less + putmask): the same bits as
        eager's maximum(0, x) (x < 0 -> +0.0; -0.0 and NaN kept), and cheaper here: right after
        OpenBLAS's GEMV, np.maximum on 256 floats measured 1.8 us (0.4 in a loop of its own),
        less + putmask 0.75 (docs/perf/static-graphs.md). The mask is planned with the buffer."""
        env.update({"_less": np.less, "_putmask": np.putmask})
        if self.buffer is None:
            return [f"_putmask({row}, _less({row}, {zero}), {zero})"]
        mask = const("_mask", np.empty(shape[1:], bool))
        return [f"_less({row}, {zero}, out={mask})", f"_putmask({row}, {mask}, {zero})"]

    def _tensor_call(self, node):
        nodes = ([self.pre] if self.pre is not None else []) + self.nodes
        calls = [n.cls.apply for n in nodes]
        ext = node.args

        def call(*args):
            env = {id(v): a for v, a in zip(ext, args)}
            for n, apply in zip(nodes, calls):
                y = apply(*[env[id(a)] if isinstance(a, Value) else a for a in n.args],
                          **n.kwargs)
                env[id(n.outputs[0])] = y
            return y
        return call


def _fusable(n, shape, dtype):
    if n.kwargs or n.raw or len(n.outputs) != 1:
        return False
    out = n.outputs[0]
    if out.shape != shape or np.dtype(out.dtype) != dtype or dtype.kind != "f":
        return False
    if n.op == "linear":
        return len(n.args[0].shape) == 2 and \
            all(a is None or np.dtype(a.dtype) == dtype for a in n.args) and \
            len(n.args[1].shape) == 2
    if n.op not in _UFUNC:
        return False
    # every tensor operand has the output dtype, and scalars are Python floats/ints
    return all((np.dtype(a.dtype) == dtype) if isinstance(a, Value)
               else isinstance(a, (int, float)) for a in n.args)


def fuse_elementwise(graph):
    """Group chains in place; returns the number of groups made (chains of 2 or more ops, and
    lone linear layers)."""
    uses = graph.uses()
    outs = set(graph.output_values())
    consumer = {}
    for n in graph.nodes:
        for v in n.inputs():
            consumer.setdefault(v, []).append(n)
    grouped, groups = set(), []
    for n in graph.nodes:
        if n in grouped or not n.outputs:
            continue
        shape, dtype = n.outputs[0].shape, np.dtype(n.outputs[0].dtype)
        if not _fusable(n, shape, dtype):
            continue
        chain = [n]
        while True:
            v = chain[-1].outputs[0]
            nxt = consumer.get(v, [])
            if v in outs or uses.get(v) != 1 or len(nxt) != 1:
                break
            c = nxt[0]
            if c.op == "linear" or not _fusable(c, shape, dtype) or c in grouped:
                break
            if sum(1 for a in c.args if a is v) != 1:
                break
            chain.append(c)
        if len(chain) > 1 or n.op == "linear":   # a lone linear still gains out= and no ctx
            grouped.update(chain)
            groups.append(chain)
    if not groups:
        return 0
    first = {chain[0]: chain for chain in groups}
    new_nodes = []
    for n in graph.nodes:
        if n in first:
            new_nodes.append(_group_node(first[n]))
        elif n not in grouped:
            new_nodes.append(n)
    graph.nodes[:] = new_nodes
    return len(groups)


def _group_node(chain):
    inside = {v for n in chain for v in n.outputs}
    ext = []
    for n in chain:
        for a in n.args:
            if isinstance(a, Value) and a not in inside and all(a is not e for e in ext):
                ext.append(a)
    group = FusedGroup(chain)
    node = Node("jit::fused", group, ext, {"ops": "+".join(n.op for n in chain)}, [])
    out = chain[-1].outputs[0]
    node.outputs = [out]
    out.node, out.index = node, 0
    return node
