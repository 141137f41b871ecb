"""Dead-code elimination: drop nodes none of whose outputs reach a graph output.

Walk the nodes backwards keeping a set of live values (the outputs first); a node is kept
when one of its outputs is live, and then its inputs become live. Ops are pure here (in-place
writes were turned into new values by the tracer), so dropping one cannot change a result.
"""
from ..ir import Value

__all__ = ["eliminate_dead_code"]


def eliminate_dead_code(graph):
    """Remove unused nodes and constants in place; returns the number of nodes removed."""
    live = set(graph.output_values())
    kept = []
    for n in reversed(graph.nodes):
        if any(v in live for v in n.outputs):
            kept.append(n)
            live.update(a for a in n.args if isinstance(a, Value))
    removed = len(graph.nodes) - len(kept)
    graph.nodes[:] = kept[::-1]
    graph.prune_consts()
    return removed
