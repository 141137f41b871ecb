"""Common-subexpression elimination: two nodes with the same op, the same input Values and
equal attributes compute the same thing; the second is dropped and its uses read the first.

Random ops (dropout, attention with dropout) are never merged. Attributes compare by value
(arrays by content), so `x.view(2, 3)` written twice becomes one view.
"""
from ...backend import ndarray as _ndarray
from ..ir import Value

__all__ = ["eliminate_common_subexpressions"]

_RANDOM = {"dropout"}


def _key(a):
    if isinstance(a, Value):
        return ("v", id(a))
    if isinstance(a, _ndarray):
        return ("a", a.shape, str(a.dtype), a.tobytes())
    if isinstance(a, (list, tuple)):
        return (type(a).__name__,) + tuple(_key(x) for x in a)
    if isinstance(a, dict):
        return ("d",) + tuple((k, _key(v)) for k, v in sorted(a.items()))
    if isinstance(a, slice):
        return ("s", a.start, a.stop, a.step)
    try:
        hash(a)
    except TypeError:
        return ("id", id(a))     # unhashable and unknown: only equal to itself
    return ("o", type(a).__name__, a)


def eliminate_common_subexpressions(graph):
    """Merge duplicate nodes in place; returns the number of nodes removed."""
    seen, kept, removed = {}, [], 0
    for n in graph.nodes:
        if n.op in _RANDOM or n.op.startswith("jit::") or \
                (n.op == "_attention" and n.args[5] > 0):
            kept.append(n)
            continue
        key = (n.op, _key(n.args), _key(n.kwargs), tuple(sorted(n.raw)))
        first = seen.get(key)
        if first is None:
            seen[key] = n
            kept.append(n)
            continue
        for old, new in zip(n.outputs, first.outputs):
            graph.replace_uses(old, new)
        removed += 1
    graph.nodes[:] = kept
    return removed
