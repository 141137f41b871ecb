"""Draw the autograd graph behind a tensor (like torchviz's make_dot), as Graphviz DOT text.

    dot = glasstorch.viz.to_dot(loss, params=dict(model.named_parameters()))
    glasstorch.viz.render(dot, "graph.svg")     # needs Graphviz; or paste `dot` into a viewer

One box per backward node (`MulBackward0`, with the shape of the tensor it made), one blue box
per leaf (named from `params`), the root tensor in green; arrows run from inputs to the ops
that used them, i.e. along `grad_fn.next_functions` reversed. Read autograd/node.py for the
graph itself.
"""
import os
import shutil
import subprocess

from .autograd.node import AccumulateGrad, _accumulator
from .tensor import Tensor

__all__ = ["to_dot", "render"]

_LEAF = 'fillcolor="lightblue"'
_ROOT = 'fillcolor="darkolivegreen1"'
_SAVED = 'fillcolor="orange", style="filled,dashed"'


def to_dot(tensor, params=None, show_saved=False):
    """DOT text of the graph that produced `tensor` (a Tensor or a list of Tensors).

    Args:
        tensor: the root(s), e.g. a loss.
        params: names for leaves, a dict name -> Tensor or `model.named_parameters()`.
        show_saved: also draw what each node saved for backward (dashed, orange); nothing is
            shown for nodes whose buffers were freed by a backward pass.
    Returns:
        str: a `digraph { ... }` for Graphviz (`render`, `dot -Tsvg`, or any DOT viewer).

    >>> import glasstorch
    >>> w = glasstorch.ones(2, requires_grad=True)
    >>> print(to_dot((w * 3).sum(), {"w": w}).splitlines()[0])
    digraph {
    """
    roots = [tensor] if isinstance(tensor, Tensor) else list(tensor)
    names = {id(t): name for name, t in (dict(params) if params is not None else {}).items()}
    ids = {}      # node -> DOT id, in discovery order (deterministic output)
    lines = ["digraph {",
             '    node [shape=box, style=filled, fillcolor=white, fontname="monospace", '
             "fontsize=10]"]

    def node_id(node, shape):
        if node not in ids:
            ids[node] = f"n{len(ids)}"
            lines.append(f"    {ids[node]} [{_node_attrs(node, shape, names)}]")
            if show_saved:
                _add_saved(lines, node, ids[node])
        return ids[node]

    stack = []
    for k, t in enumerate(roots):
        rid = f"out{k}"
        label = names.get(id(t), "output" if len(roots) == 1 else f"output {k}")
        lines.append(f"    {rid} [label={_quote(label + chr(10) + _shape(t.shape))}, {_ROOT}]")
        fn = t.grad_fn
        if fn is None and t.requires_grad:
            fn = _accumulator(t)
        if fn is not None:
            seen_before = fn in ids
            lines.append(f"    {node_id(fn, t.shape)} -> {rid}")
            if not seen_before:
                stack.append(fn)
    while stack:
        node = stack.pop()
        meta = getattr(node, "_in_meta", None)
        for i, (child, _) in enumerate(node.next_functions):
            if child is None:
                continue
            shape = meta[i][0] if meta is not None and meta[i] is not None else None
            new = child not in ids
            lines.append(f"    {node_id(child, shape)} -> {ids[node]}")
            if new:
                stack.append(child)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_attrs(node, shape, names):
    if isinstance(node, AccumulateGrad):
        var = node.variable
        name = names.get(id(var), "AccumulateGrad") if var is not None else "AccumulateGrad"
        shape = var.shape if var is not None else shape
        return f"label={_quote(name + chr(10) + _shape(shape))}, {_LEAF}"
    label = node.name() if shape is None else node.name() + "\n" + _shape(shape)
    return f"label={_quote(label)}"


def _add_saved(lines, node, nid):
    saved = getattr(node, "_saved", None) or ()
    out = getattr(node, "_out", None)
    items = [("saved " + str(i), getattr(t, "shape", None)) for i, t in enumerate(saved)]
    if out is not None:  # an op's own output, kept as (array, version counter, version)
        items.append(("saved output", out[0].shape))
    for k, (label, shape) in enumerate(items):
        sid = f"{nid}_s{k}"
        text = label if shape is None else label + "\n" + _shape(shape)
        lines.append(f"    {sid} [label={_quote(text)}, {_SAVED}]")
        lines.append(f"    {sid} -> {nid} [style=dashed]")


def _shape(shape):
    return "?" if shape is None else "(" + ", ".join(str(s) for s in shape) + ")"


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render(dot, path, format=None):
    """Write `dot` (from `to_dot`) to `path`, rendered by Graphviz in the format its suffix
    names (.svg, .png, .pdf; `format` overrides). A .dot/.gv path just saves the text. Uses the
    `graphviz` Python package when installed, else the `dot` program; returns `path`."""
    fmt = (format or os.path.splitext(path)[1].lstrip(".") or "svg").lower()
    if fmt in ("dot", "gv"):
        with open(path, "w") as f:
            f.write(dot)
        return path
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is not None:
        try:
            graphviz.Source(dot).render(outfile=path, format=fmt, cleanup=True)
            return path
        except graphviz.ExecutableNotFound:
            pass  # the package is there but not the Graphviz programs: the error below says so
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(
            f"render({path!r}) needs Graphviz, which was not found: install the programs "
            "(e.g. `apt install graphviz`, `brew install graphviz`, or graphviz.org/download) "
            "and optionally `pip install graphviz`. Without it, save the text with "
            "render(dot, 'graph.dot') and open it in any DOT viewer.")
    done = subprocess.run([exe, f"-T{fmt}", "-o", path], input=dot.encode(),
                          capture_output=True)
    if done.returncode:
        raise RuntimeError(f"Graphviz `dot -T{fmt}` failed: {done.stderr.decode().strip()}")
    return path
