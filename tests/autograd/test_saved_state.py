"""A node owns everything it saved for backward (autograd/node.py: save_inputs, save_output,
save): after backward without retain_graph, all of it is freed, so the memory a graph still
holds is the output and the gradients, not the activations; and a second backward raises
torch's error. Measured with tracemalloc (NumPy reports its allocations to it).

The second-backward check for every op is in tests/helpers.py's check_op: wherever torch's
second backward raises, glasstorch's must too.
"""
import gc
import tracemalloc

import numpy as np
import pytest

import glasstorch as gt
import glasstorch.nn.functional as F

N = 8 * 16 * 32 * 32      # 1 MiB of float64 per input


def _held_after_backward(fn, shape, retain_graph=False):
    """Bytes still allocated after forward + backward, beyond the leaf, its gradient and the
    output (which keeps the graph, and so every node, alive)."""
    # one untraced call first: what a first call loads once (numba and its compiled kernels,
    # taken by default when numba is installed: backend/kernels.py) is not the graph's
    w = gt.tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)
    y = fn(w)
    out = y[0] if isinstance(y, tuple) else y
    out.backward(gt.ones_like(out))
    del w, y, out
    gc.collect()
    x = gt.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        y = fn(x)
        out = y[0] if isinstance(y, tuple) else y
        out.backward(gt.ones_like(out), retain_graph=retain_graph)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert y is not None and out.grad_fn is not None   # the graph is still alive here
    return held - x.grad._data.nbytes - out._data.nbytes, x._data.nbytes


def _lstm(x):
    lstm = gt.nn.LSTM(32, 32, batch_first=True).double()
    return lstm(x.reshape(-1, 32, 32))[0]


def _gru(x):
    gru = gt.nn.GRU(32, 32, batch_first=True).double()
    return gru(x.reshape(-1, 32, 32))[0]


def _rnn(x):
    rnn = gt.nn.RNN(32, 32, batch_first=True).double()
    return rnn(x.reshape(-1, 32, 32))[0]


def _attention(x):
    mha = gt.nn.MultiheadAttention(32, 4, batch_first=True).double()
    q = x.reshape(-1, 32, 32)
    return mha(q, q, q, need_weights=False)[0]


CASES = {
    "clamp": lambda x: x.clamp(-0.5, 0.5),
    "relu": lambda x: x.relu(),
    "batch_norm+relu": lambda x: F.batch_norm(x, None, None, training=True).relu(),
    "layer_norm": lambda x: F.layer_norm(x, x.shape[-1:]),
    "max_pool2d": lambda x: F.max_pool2d(x, 2),
    "dropout": lambda x: F.dropout(x, 0.5),
    "lstm": _lstm,
    "gru": _gru,
    "rnn_tanh": _rnn,
    "attention": _attention,
    "maximum": lambda x: gt.maximum(x, x.flip(0)),
    "where": lambda x: gt.where(x > 0, x, x * 2),
}


@pytest.mark.parametrize("name", CASES)
def test_memory_after_backward_is_freed(name):
    # the parameters of the RNN / attention modules (a few KiB) are the only other allocations
    gt.manual_seed(0)
    held, size = _held_after_backward(CASES[name], (8, 16, 32, 32))
    assert held < 0.05 * size + 64 * 1024, \
        f"{name}: {held / size:.2f} input sizes still held after backward"


def test_retain_graph_keeps_the_saved_state():
    # the same measure sees what a node keeps: with retain_graph dropout's mask stays
    held, size = _held_after_backward(CASES["dropout"], (8, 16, 32, 32), retain_graph=True)
    assert held > 0.9 * size


@pytest.mark.parametrize("name", CASES)
def test_second_backward_raises(name):
    gt.manual_seed(0)
    x = gt.randn(2, 4, 32, 32, dtype=gt.float64, requires_grad=True)
    y = CASES[name](x)
    out = (y[0] if isinstance(y, tuple) else y).sum()
    out.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.backward()


def test_saved_state_is_dropped_by_backward():
    x = gt.randn(4, 4, requires_grad=True)
    y = F.dropout(x, 0.5)
    node = y.grad_fn
    assert isinstance(node.m, np.ndarray)          # kept with ctx.save(m=...)
    y.sum().backward(retain_graph=True)
    assert isinstance(node.m, np.ndarray)          # retain_graph keeps it
    y.sum().backward()
    assert "m" not in vars(node)
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


@pytest.mark.parametrize("weight", [0.3, "tensor"])
def test_lerp_second_backward_as_torch(weight):
    # torch keeps a number weight as a scalar: nothing to free, a second backward works (and
    # accumulates); a tensor weight is saved, so the second backward raises
    torch = pytest.importorskip("torch")
    outcomes = []
    for m in (gt, torch):
        a, b = m.ones(3, requires_grad=True), m.zeros(3, requires_grad=True)
        w = m.full((3,), 0.3) if weight == "tensor" else weight
        out = m.lerp(a, b, w).sum()
        out.backward()
        try:
            out.backward()
            outcomes.append(("ok", [round(v, 6) for v in a.grad.tolist() + b.grad.tolist()]))
        except RuntimeError as e:
            outcomes.append(("raises", "second time" in str(e)))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("call", [
    lambda m, a, b: m.add(a, b, alpha=2), lambda m, a, b: m.sub(a, b, alpha=-0.5),
    lambda m, a, b: m.rsub(a, b, alpha=3), lambda m, a, b: a.add(b, alpha=2.5),
    lambda m, a, b: a + b.sub(a, alpha=2), lambda m, a, b: a.clone().add_(b, alpha=4),
    lambda m, a, b: m.add(a, 3, alpha=2) + b,
], ids=["add", "sub", "rsub", "method", "chain", "add_", "number_other"])
def test_add_sub_alpha_second_backward_as_torch(call):
    # torch keeps alpha as a scalar of AddBackward0/SubBackward0: nothing is saved, so a second
    # backward works and accumulates (glasstorch once scaled b through mul, which saved it)
    torch = pytest.importorskip("torch")
    outcomes = []
    for m in (gt, torch):
        a = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
        b = m.tensor([0.5, 4.0, -1.0], requires_grad=True)
        out = call(m, a, b).sum()   # (no mul by a constant: torch's mul saves it)
        out.backward()
        try:
            out.backward()
            outcomes.append(("ok", a.grad.tolist(), b.grad.tolist()))
        except RuntimeError as e:
            outcomes.append(("raises", "second time" in str(e)))
    assert outcomes[0] == outcomes[1]
