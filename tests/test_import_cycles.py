"""No import cycles in glasstorch, except the one the design asks for.

Every module's module-level imports (ast, not importing anything; imports inside functions are
deliberate late bindings and are not counted) form a graph over glasstorch's modules. The one
allowed cycle: tensor.py imports the modules its methods delegate to (ops/*, creation, the
autograd engine, ...) at its *end*, after `Tensor` is defined, and those modules import
tensor.py. Without those trailing imports of tensor.py the graph must have no cycle at all.
Tensor's method groups (tensor_methods/*.py, its base classes, so imported before `class Tensor`)
import their ops inside `_import_ops()`, which tensor.py calls at its end: the same cycle, and
none at module level (checked below).
"""
import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "glasstorch")

# the allowed cycle: tensor.py's imports placed after `class Tensor` (its method table)
ALLOWED_LATE_IMPORTER = "glasstorch.tensor"


def _modules():
    """{dotted name: path} of every glasstorch module (a package is its __init__.py)."""
    mods = {}
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(dirpath, f), os.path.dirname(ROOT))
                name = rel[:-3].replace(os.sep, ".")
                if name.endswith(".__init__"):
                    name = name[:-len(".__init__")]
                mods[name] = os.path.join(dirpath, f)
    return mods


def _module_level(body):
    """Import statements run at import time: top level, and inside top-level if/try/with."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for block in ("body", "orelse", "finalbody", "handlers"):
                for sub in getattr(node, block, []):
                    yield from _module_level(sub.body if isinstance(sub, ast.ExceptHandler)
                                             else [sub])


def _targets(name, is_pkg, node, mods):
    """The glasstorch modules one import statement loads (not their parent packages)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in mods]
    if node.level:
        parts = name.split(".") if is_pkg else name.split(".")[:-1]
        parts = parts[:len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    out = []
    for a in node.names:
        sub = f"{base}.{a.name}"
        if sub in mods:          # `from . import arith`: the submodule
            out.append(sub)
        elif base in mods:       # `from .arith import add`: the module
            out.append(base)
    return out


def _graph():
    mods = _modules()
    edges = {m: set() for m in mods}
    for name, path in mods.items():
        tree = ast.parse(open(path, encoding="utf-8").read(), path)
        is_pkg = path.endswith("__init__.py")
        tensor_end = None
        if name == ALLOWED_LATE_IMPORTER:
            tensor_end = next(n.lineno for n in tree.body
                              if isinstance(n, ast.ClassDef) and n.name == "Tensor")
        for node in _module_level(tree.body):
            if tensor_end is not None and node.lineno > tensor_end:
                continue   # the allowed cycle (module docstring)
            for t in _targets(name, is_pkg, node, mods):
                if t != name:
                    edges[name].add(t)
    return edges


def _cycles(edges):
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on, stack, comps, counter = {}, {}, set(), [], [], [0]
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        comps.append(sorted(comp))
    return comps


def _a_cycle(comp, edges):
    """One concrete cycle through a component, for the error message."""
    comp = set(comp)
    start = min(comp)
    path, seen = [start], {start}
    while True:
        nxt = sorted(w for w in edges[path[-1]] if w in comp)
        back = [w for w in nxt if w in path]
        if back:
            return path[path.index(back[0]):] + [back[0]]
        w = next(w for w in nxt if w not in seen)
        path.append(w)
        seen.add(w)


def test_no_import_cycle_outside_tensor_and_its_method_modules():
    edges = _graph()
    cycles = [" -> ".join(_a_cycle(c, edges)) for c in _cycles(edges)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_allowed_cycle_exists_and_is_what_the_docstring_says():
    # tensor.py's trailing imports are the ops it delegates to; they import tensor back
    edges = _graph()
    assert "glasstorch.ops.arith" not in edges["glasstorch.tensor"]
    assert "glasstorch.tensor" in edges["glasstorch.ops.arith"]


def test_tensor_method_groups_import_no_ops_at_module_level():
    # they load before `class Tensor` exists, and every ops module imports Tensor
    edges = _graph()
    groups = [m for m in edges if m.startswith("glasstorch.tensor_methods.")]
    assert len(groups) >= 7
    for m in groups:
        bad = sorted(t for t in edges[m]
                     if t == "glasstorch.tensor" or t.startswith("glasstorch.ops"))
        assert not bad, f"{m} imports {bad} at module level (import them in _import_ops())"


@pytest.mark.parametrize("a, b", [("glasstorch.ops.slice", "glasstorch.ops.join")])
def test_a_known_former_cycle_stays_broken(a, b):
    edges = _graph()
    assert not (b in edges[a] and a in edges[b])
