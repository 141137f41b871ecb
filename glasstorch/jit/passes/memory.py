"""Static memory planning: the buffers of fused groups come from a pool chosen by liveness,
allocated once and reused across calls (no allocation in the replay's steady state).

A value is live from the node that makes it to its last use, and longer when a later value
may alias it (a view, a reshape: any op not known to return a fresh array). Walking the nodes
in order, a group takes a free pooled buffer of its shape and dtype (or a new one), and the
buffer returns to the pool after its value's last use. Graph outputs, and values that may
alias them, never get pooled buffers: the caller keeps them. The plan makes a traced module
non-reentrant (one call at a time), like any preallocated workspace.
"""
import numpy as np

from ..ir import Value
from .layout import aligned_empty

__all__ = ["plan_memory"]

_FRESH = {"unary", "exp_log", "trig", "piecewise", "arith", "binary_math", "compare", "linalg",
          "einsum", "conv", "pool", "pool_avg", "norm", "batchnorm", "softmax", "reduce", "moments",
          "extrema", "cumulative", "linear", "activation", "activation_smooth", "embedding",
          "rnn_layers", "rnn_lstm", "rnn_gru", "attention", "upsample", "resample", "pad",
          "loss", "loss_binary"}


def _fresh(n):
    if n.op == "jit::fused":
        return True
    info = n.info
    return info is not None and info.family in _FRESH and not info.attrs.get("view")


def plan_memory(graph):
    """Give fused groups pooled buffers in place; returns the number of distinct buffers."""
    nodes = graph.nodes
    index = {n: i for i, n in enumerate(nodes)}
    inf = len(nodes) + 1
    end = {}
    for v in graph.output_values():
        end[v] = inf
    # backwards: a value lives until its last use, or until a value aliasing it dies
    for i in reversed(range(len(nodes))):
        n = nodes[i]
        alias_end = 0 if _fresh(n) else max((end.get(o, index[n]) for o in n.outputs),
                                            default=0)
        for a in n.inputs():
            end[a] = max(end.get(a, 0), i, alias_end)
    pool, busy, count = {}, [], 0
    for i, n in enumerate(nodes):
        for item in [b for b in busy if b[0] < i]:          # free buffers whose value died
            busy.remove(item)
            pool.setdefault(item[1], []).append(item[2])
        if n.op != "jit::fused":
            continue
        v = n.outputs[0]
        stop = end.get(v, i)
        if stop >= inf:
            n.cls.buffer = None
            continue
        key = (v.shape, np.dtype(v.dtype).str)
        free = pool.get(key)
        buf = free.pop() if free else None
        if buf is None:    # on a cache line: a GEMV writing 16 bytes off one is slower
            buf = aligned_empty(v.shape, v.dtype)
            count += 1
        n.cls.buffer = buf
        busy.append((stop, key, buf))
    return count
