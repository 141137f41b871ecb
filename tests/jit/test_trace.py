"""jit.trace: the recorded graph replays like eager on models, functions and the whole zoo."""
import warnings

import numpy as np
import pytest

import glasstorch as gt
import glasstorch.jit as jit
from glasstorch import nn
from jit_zoo import zoo_instance, zoo_models


def _mlp():
    gt.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 3))


def test_graph_code_and_replay():
    m = _mlp()
    x = gt.randn(2, 3, 4)
    traced = jit.trace(m, x)
    text = str(traced.graph)
    assert "linear(%" in text and "relu(" in text and "%1.weight : Float(16, 12)" in text
    assert [n.op for n in traced.graph.nodes] == ["view", "linear", "relu", "linear"]
    assert "ops.linear(" in traced.code and traced.code.startswith("def forward(params, x)")
    x2 = gt.randn(2, 3, 4)
    with gt.no_grad():
        assert np.array_equal(traced(x2).numpy(), m(x2).numpy())


def test_replay_reads_current_parameters_and_backprops():
    m = _mlp()
    x = gt.randn(2, 3, 4)
    traced = jit.trace(m, x)
    with gt.no_grad():
        m[1].weight.mul_(2)
    y = traced(x)                               # grad mode on, params require grad: autograd
    y.sum().backward()
    g_traced = m[1].weight.grad.numpy().copy()
    m.zero_grad()
    m(x).sum().backward()
    assert np.array_equal(y.detach().numpy(), m(x).detach().numpy())
    assert np.array_equal(g_traced, m[1].weight.grad.numpy())


def test_function_with_tuple_output_and_constants():
    def f(a, b):
        c = gt.ones(3)                          # made in Python: a constant of the graph
        return (a * b + c).relu(), a.sum(1)
    a, b = gt.randn(2, 3), gt.randn(2, 3)
    traced = jit.trace(f, (a, b))
    assert len(traced.graph.consts) == 1
    a2, b2 = gt.randn(2, 3), gt.randn(2, 3)
    for got, want in zip(traced(a2, b2), f(a2, b2)):
        assert np.array_equal(got.numpy(), want.numpy())


def test_inplace_ops_are_recorded_as_new_values():
    def f(x):
        y = x * 2
        y.relu_()
        y += 1
        return y
    traced = jit.trace(f, gt.randn(5))
    x = gt.randn(5)
    assert np.array_equal(traced(x).numpy(), f(x).numpy())


def test_python_control_flow_on_tensor_values_warns():
    def f(x):
        if x.sum() > 0:
            return x * 2
        return x - 1
    with pytest.warns(jit.TracerWarning, match="Python boolean"):
        traced = jit.trace(f, gt.ones(3))
    # the trace froze the branch it saw
    assert np.array_equal(traced(-gt.ones(3)).numpy(), (-gt.ones(3) * 2).numpy())


def test_no_warning_for_reading_a_parameter():
    m = nn.Linear(2, 2)

    def f(x):
        return x * float(m.bias.sum().item()) + m.weight[0, 0].item()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jit.trace(f, gt.ones(2))


def test_wrong_input_shape_is_a_clear_error():
    traced = jit.trace(_mlp(), gt.randn(2, 3, 4))
    with pytest.raises(RuntimeError, match=r"traced with shape \[2, 3, 4\].*got shape \[5, 3, 4\]"):
        traced(gt.randn(5, 3, 4))


def test_save_load_roundtrip(tmp_path):
    m = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                      nn.AdaptiveAvgPool2d(1), nn.Flatten()).eval()
    x = gt.randn(2, 1, 8, 8)
    traced = jit.trace(m, x)
    path = tmp_path / "m.pt"
    jit.save(traced, path)
    loaded = jit.load(path)
    x2 = gt.randn(2, 1, 8, 8)
    with gt.no_grad():
        assert np.array_equal(loaded(x2).numpy(), traced(x2).numpy())
    assert str(loaded.graph) == str(traced.graph)
    gt.save({"not": "a graph"}, tmp_path / "other.pt")
    with pytest.raises(RuntimeError, match="not a glasstorch.jit archive"):
        jit.load(tmp_path / "other.pt")


@pytest.mark.parametrize("name", zoo_models())
def test_zoo_trace_equals_eager(name):
    model, x = zoo_instance(name)
    traced = jit.trace(model, x)
    x2 = gt.randn(*x.shape)                      # a new input: pooling/normalization recomputed
    with gt.no_grad():
        assert np.array_equal(traced(x2).numpy(), model(x2).numpy())


def test_ops_taking_raw_arrays_of_inputs_see_new_inputs(tmp_path):
    emb = nn.Embedding(10, 4)
    traced = jit.trace(emb, gt.tensor([[1, 2], [3, 4]]))
    idx = gt.tensor([[5, 6], [7, 8]])
    with gt.no_grad():
        assert np.array_equal(traced(idx).numpy(), emb(idx).numpy())
    assert np.array_equal(traced(idx).detach().numpy(), emb(idx).detach().numpy())  # autograd
    jit.save(traced, tmp_path / "e.pt")
    with gt.no_grad():
        assert np.array_equal(jit.load(tmp_path / "e.pt")(idx).numpy(), emb(idx).numpy())


def test_mask_computed_outside_the_ops_warns():
    def f(x):
        return gt.where(x > 0, x, x * 0.1)      # comparisons are not registered ops (yet)
    with pytest.warns(jit.TracerWarning, match="integer or bool tensor made outside"):
        jit.trace(f, gt.randn(4))


def test_load_refuses_unregistered_ops(tmp_path):
    traced = jit.trace(lambda x: x.exp(), gt.randn(3))
    traced.graph.nodes[0].op = "evil_op"        # as a tampered file would say
    import glasstorch.jit.serialize as ser
    real = ser.OPS
    ser.OPS = {**real, "evil_op": real["exp"]}  # let save write it
    try:
        jit.save(traced, tmp_path / "t.pt")
    finally:
        ser.OPS = real
    with pytest.raises(RuntimeError, match="op 'evil_op' is not a registered glasstorch op"):
        jit.load(tmp_path / "t.pt")
