"""Constant folding: a node whose inputs are all constants is run once, now, and its outputs
become constants of the graph (with `freeze`, parameters count as constants too).

Runs the op's own forward on the arrays, so the folded value is exactly what the replay would
have computed. Example: the zero initial state of an LSTM, unbound per layer, folds away.
"""
from ..executor import _array_call
from ..ir import Value

__all__ = ["fold_constants"]

_CONST = ("const", "array")


def fold_constants(graph):
    """Fold in place; returns the number of nodes folded."""
    kept, folded = [], 0
    for n in graph.nodes:
        ins = n.inputs()
        if n.op.startswith("jit::") or not all(v.kind in _CONST for v in ins):
            kept.append(n)
            continue
        args = [a.data if isinstance(a, Value) else a for a in n.args]
        out = _array_call(n)(*args)
        outs = out if isinstance(out, tuple) else (out,)
        for v, data in zip(n.outputs, outs):
            v.kind, v.data, v.node = "const", graph_array(data), None
            graph.consts.append(v)
        folded += 1
    graph.nodes[:] = kept
    graph.prune_consts()
    return folded


def graph_array(data):
    from ...backend import asarray
    return asarray(data).copy()
