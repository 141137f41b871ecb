"""glasstorch.viz: DOT text of the autograd graph (nodes, names, shapes, edges) and render."""
import os
import re
import stat
import sys

import pytest

import glasstorch as gt
from glasstorch import viz

_NODE = re.compile(r'^    (\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\]$')
_EDGE = re.compile(r"^    (\w+) -> (\w+)( \[style=dashed\])?$")


def parse(dot):
    """A strict reader for what to_dot writes: {id: (label, attrs)} and [(src, dst)]."""
    lines = dot.splitlines()
    assert lines[0] == "digraph {" and lines[-1] == "}" and dot.endswith("\n")
    assert lines[1].startswith("    node [")
    nodes, edges = {}, []
    for line in lines[2:-1]:
        m = _NODE.match(line)
        if m:
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            nodes[m.group(1)] = (m.group(2).replace("\\n", "\n"), m.group(3))
            continue
        m = _EDGE.match(line)
        assert m, f"unexpected line {line!r}"
        edges.append((m.group(1), m.group(2)))
    for src, dst in edges:
        assert src in nodes and dst in nodes, "edge to an undeclared node"
    return nodes, edges


def _small_graph():
    w = gt.ones(3, requires_grad=True)
    b = gt.zeros(1, requires_grad=True)
    x = gt.ones(2, 3)
    return w, b, (w * x + b).sum()


def test_small_graph_structure():
    w, b, loss = _small_graph()
    nodes, edges = parse(viz.to_dot(loss, params={"weight": w, "bias": b}))
    labels = sorted(label for label, _ in nodes.values())
    assert labels == sorted(["output\n()", "SumBackward0\n()", "AddBackward0\n(2, 3)",
                             "MulBackward0\n(2, 3)", "weight\n(3)", "bias\n(1)"])
    by_label = {label.split("\n")[0]: nid for nid, (label, _) in nodes.items()}
    assert sorted(edges) == sorted([
        (by_label["SumBackward0"], by_label["output"]),
        (by_label["AddBackward0"], by_label["SumBackward0"]),
        (by_label["MulBackward0"], by_label["AddBackward0"]),
        (by_label["bias"], by_label["AddBackward0"]),
        (by_label["weight"], by_label["MulBackward0"]),       # x needs no grad: no edge
    ])
    assert "darkolivegreen1" in nodes[by_label["output"]][1]   # the root is highlighted
    assert "lightblue" in nodes[by_label["weight"]][1]


def test_named_parameters_iterable_and_unnamed_leaves():
    w, b, loss = _small_graph()
    nodes, _ = parse(viz.to_dot(loss, params=iter([("w", w)])))
    labels = {label for label, _ in nodes.values()}
    assert "w\n(3)" in labels and "AccumulateGrad\n(1)" in labels


def test_edges_follow_next_functions_including_repeats():
    a = gt.ones(2, requires_grad=True)
    b = a + a
    c = b * b
    nodes, edges = parse(viz.to_dot(c, params={"a": a}))
    assert len(nodes) == 4 and len(edges) == 1 + 2 + 2     # out<-Mul, Mul<=Add, Add<=a


def test_show_saved_until_backward_frees_buffers():
    w, b, loss = _small_graph()
    y = (w * w).tanh().sum()
    nodes, edges = parse(viz.to_dot(y, show_saved=True))
    saved = sorted(label for label, attrs in nodes.values() if "orange" in attrs)
    assert saved == ["saved 0\n(3)", "saved 1\n(3)", "saved output\n(3)"]
    y.backward()
    nodes, _ = parse(viz.to_dot(y, show_saved=True))
    assert not any("orange" in attrs for _, attrs in nodes.values())


def test_several_roots_leaf_root_and_no_grad_root():
    a = gt.ones(2, requires_grad=True)
    nodes, edges = parse(viz.to_dot([a * 2, a.exp()], params={"a": a}))
    labels = sorted(label for label, _ in nodes.values())
    assert labels == sorted(["output 0\n(2)", "output 1\n(2)", "MulBackward0\n(2)",
                             "ExpBackward0\n(2)", "a\n(2)"])
    assert len(edges) == 4
    nodes, edges = parse(viz.to_dot(a, params={"a": a}))
    assert len(nodes) == 2 and len(edges) == 1
    nodes, edges = parse(viz.to_dot(gt.ones(2)))
    assert list(nodes.values())[0][0] == "output\n(2)" and not edges


def test_custom_function_and_multi_output_nodes():
    class Twice(gt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    a = gt.ones(2, 2, requires_grad=True)
    p, q = Twice.apply(a)
    nodes, edges = parse(viz.to_dot(p + q))
    names = [label.split("\n")[0] for label, _ in nodes.values()]
    assert names.count("TwiceBackward") == 1 and len(edges) == 1 + 2 + 1


def test_labels_are_escaped():
    a = gt.ones(1, requires_grad=True)
    nodes, _ = parse(viz.to_dot(a * 1, params={'my "param"\\': a}))
    assert 'my \\"param\\"\\\\\n(1)' in {label for label, _ in nodes.values()}


def test_render_dot_suffix_writes_text(tmp_path):
    dot = viz.to_dot(_small_graph()[2])
    path = viz.render(dot, str(tmp_path / "g.dot"))
    assert open(path).read() == dot


def test_render_without_graphviz_raises_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)   # `import graphviz` fails
    monkeypatch.setenv("PATH", str(tmp_path))             # no `dot` program
    with pytest.raises(RuntimeError, match="needs Graphviz"):
        viz.render(viz.to_dot(_small_graph()[2]), str(tmp_path / "g.svg"))


@pytest.mark.skipif(os.name != "posix", reason="fake `dot` is a shell script")
def test_render_calls_dot_program(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\n# args: -Tfmt -o path; stdin: the DOT text\n'
                    'echo "$1" > "$3"; cat >> "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ["PATH"])  # fake first
    dot = viz.to_dot(_small_graph()[2])
    out = viz.render(dot, str(tmp_path / "g.png"))
    assert open(out).read() == "-Tpng\n" + dot
    fake.write_text("#!/bin/sh\necho 'syntax error' >&2; exit 1\n")
    with pytest.raises(RuntimeError, match="syntax error"):
        viz.render(dot, str(tmp_path / "g.svg"))
