"""jit.trace_train_step: 50 replayed steps leave the parameters bit-identical to eager training."""
import numpy as np
import pytest

import glasstorch as gt
import glasstorch.jit as jit
from glasstorch import nn


def _lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 10))


def _mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))


def _lenet_max():
    # d2l's LeNet with ReLU and max pooling (benchmarks/bench_jit_train.py); a strided conv
    # without bias too: every conv and pool runs on the step's array rules
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 8, 3, stride=2, padding=1, bias=False), nn.Flatten(),
                         nn.Linear(72, 10))


def _seq():
    return nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 3))


class _Shared(nn.Module):
    """A weight used twice and a relu output read by two consumers: gradients add up."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(6, 6), nn.Linear(6, 3)

    def forward(self, x):
        h = self.a(x).relu()
        return self.b(self.a(h) + h)


_SGD = gt.optim.SGD


@pytest.mark.parametrize("make, shape, opt", [
    (_mlp, (16, 1, 28, 28), lambda p: _SGD(p, lr=0.1, momentum=0.9)),
    (_lenet, (8, 1, 28, 28), lambda p: gt.optim.Adam(p, lr=1e-3)),
    (_seq, (4, 6), lambda p: gt.optim.AdamW(p, lr=1e-2)),
    (_mlp, (8, 1, 28, 28), lambda p: _SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3,
                                          nesterov=True)),
    (_mlp, (8, 1, 28, 28), lambda p: _SGD(p, lr=0.05, momentum=0.5, dampening=0.3,
                                          weight_decay=1e-2, maximize=True)),
    (_mlp, (8, 1, 28, 28), lambda p: _SGD(p, lr=0.05)),
    (_mlp, (8, 1, 28, 28), lambda p: gt.optim.Adam(p, lr=1e-3, weight_decay=1e-2,
                                                   amsgrad=True)),
    (_Shared, (5, 6),
     lambda p: gt.optim.AdamW(p, lr=1e-2, weight_decay=0.1, maximize=True)),
    (_seq, (4, 6), lambda p: gt.optim.RMSprop(p, lr=1e-2)),     # not fused: its own step()
    (_lenet_max, (6, 1, 28, 28), lambda p: _SGD(p, lr=0.05, momentum=0.9)),
    # 30 samples: conv1's columns span two chunks, so its weight gradient rebuilds them
    (_lenet_max, (30, 1, 28, 28), lambda p: _SGD(p, lr=0.05, momentum=0.9)),
])
def test_fifty_steps_bit_identical_to_eager(make, shape, opt):
    gt.manual_seed(0)
    eager, traced = make(), make()
    traced.load_state_dict(eager.state_dict())
    opt_e, opt_t = opt(eager.parameters()), opt(traced.parameters())
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    batches = [(gt.tensor(rng.standard_normal(shape).astype(np.float32)),
                gt.tensor(rng.integers(0, 3, shape[0]))) for _ in range(5)]
    step = jit.trace_train_step(traced, loss_fn, opt_t, batches[0])
    for i in range(50):
        x, y = batches[i % 5]
        opt_e.zero_grad()
        loss_e = loss_fn(eager(x), y)
        loss_e.backward()
        opt_e.step()
        loss_t = step(x, y)
        assert loss_t.item() == loss_e.item()
    for (name, a), b in zip(eager.state_dict().items(), traced.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), name
    for a, b in zip(eager.parameters(), traced.parameters()):   # .grad as after eager backward
        assert np.array_equal(a.grad.numpy(), b.grad.numpy())
    for sa, sb in zip(opt_e.state.values(), opt_t.state.values()):   # optimizer state too
        for key in sa:
            assert np.array_equal(sa[key].numpy(), sb[key].numpy()), key


def test_mlp_step_is_array_code_with_a_fused_update():
    # linear, relu and flatten run as NumPy calls in the generated function; only the loss
    # calls an op's own forward/backward; SGD and Adam update fused, other optimizers not
    m = _mlp()
    x, y = gt.randn(4, 1, 28, 28), gt.tensor([0, 1, 2, 3])
    step = jit.trace_train_step(m, nn.CrossEntropyLoss(), _SGD(m.parameters(), lr=0.1), (x, y))
    src = step.source
    assert src.count("_matmul(") == 5 and "_maximum(" in src
    from glasstorch.backend.kernels import numba_for_exact
    if numba_for_exact():            # relu's backward: one compiled pass (jit/numba_pool.py)
        from glasstorch.jit.numba_pool import relu_backward
        assert any(v is relu_backward for v in step._run.__globals__.values())
    else:
        assert "_bitwise_and(" in src
    assert "_y, c" not in src and step._update is not None      # the loss too: a rule
    rms = gt.optim.RMSprop(m.parameters())
    assert jit.trace_train_step(m, nn.CrossEntropyLoss(), rms, (x, y))._update is None


def test_grads_are_fresh_arrays_each_step():
    # the step reuses its buffers, never for .grad: a gradient kept from step 1 stays put
    m = _mlp()
    x, y = gt.randn(4, 1, 28, 28), gt.tensor([0, 1, 2, 3])
    step = jit.trace_train_step(m, nn.CrossEntropyLoss(), _SGD(m.parameters(), lr=0.1), (x, y))
    step(x, y)
    kept = [p.grad for p in m.parameters()]
    copies = [g.numpy().copy() for g in kept]
    step(gt.randn(4, 1, 28, 28), y)
    for g, c in zip(kept, copies):
        assert np.array_equal(g.numpy(), c)


def test_refuses_dropout_and_training_batch_norm():
    x, y = gt.randn(4, 3), gt.tensor([0, 1, 0, 1])
    for m in (nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5)),
              nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))):
        with pytest.raises(NotImplementedError, match="trace_train_step"):
            jit.trace_train_step(m, nn.CrossEntropyLoss(), gt.optim.SGD(m.parameters(), 0.1),
                                 (x, y))


class _Scaled(nn.Module):
    """max_pool(x * scale): which position wins a window shows in scale's gradient."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(gt.ones(1, 1, 4, 6))

    def forward(self, x):
        return gt.nn.functional.max_pool2d(x * self.scale, 2)


def test_max_pool_rule_picks_eager_winners_on_ties_and_nan():
    # ties (integer inputs): the first maximum of a window wins; nans: a nan is the maximum
    # and a later nan takes over; the gradient goes to the winner only
    def loss_fn(out, w):
        return (out * w).sum()
    rng = np.random.default_rng(0)
    x = gt.tensor(rng.integers(0, 2, (3, 1, 4, 6)).astype(np.float32))
    w = gt.tensor(rng.standard_normal((3, 1, 2, 3)).astype(np.float32))
    eager, traced = _Scaled(), _Scaled()
    with gt.no_grad():
        for m in (eager, traced):
            m.scale[0, 0, 0, 0] = m.scale[0, 0, 1, 1] = float("nan")   # two nans, one window
            m.scale[0, 0, 2, 3] = float("inf")
    step = jit.trace_train_step(traced, loss_fn, _SGD(traced.parameters(), lr=0.0), (x, w))
    assert "max_pool" not in step.source          # the array rule ran, not the op
    loss_fn(eager(x), w).backward()
    step(x, w)
    np.testing.assert_array_equal(eager.scale.grad.numpy(), traced.scale.grad.numpy())
    assert (eager.scale.grad.numpy() == 0).sum() >= 12      # losers in every window


def test_conv_rule_refuses_a_channels_last_input():
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(16, 2))
    x, y = gt.randn(2, 3, 4, 4), gt.tensor([0, 1])
    step = jit.trace_train_step(m, nn.CrossEntropyLoss(), _SGD(m.parameters(), lr=0.1), (x, y))
    with pytest.raises(RuntimeError, match="channels-last"):
        step(x.contiguous(memory_format=gt.channels_last), y)


def test_cross_entropy_rule_ignore_index_and_bad_targets():
    gt.manual_seed(0)
    eager, traced = _mlp(), _mlp()
    traced.load_state_dict(eager.state_dict())
    loss_fn = nn.CrossEntropyLoss()
    x = gt.randn(4, 1, 28, 28)
    step = jit.trace_train_step(traced, loss_fn, _SGD(traced.parameters(), lr=0.0),
                                (x, gt.tensor([0, 1, 2, 3])))
    assert "cross_entropy" not in step.source
    for y in ([0, -100, 2, -100], [-100] * 4):   # ignored targets; all ignored: nan loss
        y = gt.tensor(y)
        eager.zero_grad()
        loss = loss_fn(eager(x), y)
        loss.backward()
        np.testing.assert_array_equal(step(x, y).numpy(), loss.detach().numpy())
        for a, b in zip(eager.parameters(), traced.parameters()):
            np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    with pytest.raises(IndexError, match="Target 10 is out of bounds"):
        step(x, gt.tensor([0, 10, 1, 1]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_max_pool_has_the_numpy_rules_bits(dtype):
    # jit/numba_pool.py's 2x2 loop against train_pool's NumPy passes: values (bits: -0.0 vs
    # +0.0 ties take the later value, nan payloads) and winners, on ties, nan, +-inf, zeros
    pytest.importorskip("numba")
    from glasstorch.backend import kernels
    from glasstorch.jit.numba_pool import max_pool_2x2
    from glasstorch.jit.train_pool import MaxPoolRule
    m = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    x0 = gt.randn(3, 5, 6, 8, dtype=gt.float64 if dtype == np.float64 else gt.float32)
    step = jit.trace_train_step(m, lambda out, t: (out * t).sum(), _SGD([gt.zeros(1)], lr=0.0),
                                (x0, gt.randn(*m(x0).shape, dtype=x0.dtype)))
    node = next(n for n in step.graph.nodes if "max_pool" in n.op)
    rule = MaxPoolRule.make(node, (True,))
    assert rule is not None and (rule.compiled is not None) == kernels.numba_for_exact()
    rng = np.random.default_rng(1)
    special = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0], dtype)
    bits = np.uint32 if dtype == np.float32 else np.uint64
    for trial in range(6):
        if trial < 2:
            x = rng.integers(-1, 2, (3, 5, 6, 8)).astype(dtype)        # many ties
        else:
            x = rng.choice(special, (3, 5, 6, 8))
        if trial == 5:
            x[..., ::3] = rng.standard_normal(x[..., ::3].shape)
            nan = np.array(np.nan, dtype).view(bits)                   # nans, 4 payloads
            x.view(bits)[0, 0, :2, :2] = (nan | np.arange(1, 5, dtype=bits)).reshape(2, 2)
        y1, y2 = np.empty((3, 5, 3, 4), dtype), np.empty((3, 5, 3, 4), dtype)
        rule.compiled = None
        _, arg1 = rule.run_forward(x, y1)
        arg2 = np.empty_like(arg1)
        max_pool_2x2(x, y2, arg2)
        assert np.array_equal(y1.view(bits), y2.view(bits)), trial
        assert np.array_equal(arg1, arg2), trial


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_pool_and_relu_backward_have_the_numpy_rules_bits(dtype):
    # the compiled backward loops against the NumPy rules: gy's bits (nan payloads, -0.0)
    # where the offset won / where not (y <= 0), +0.0 elsewhere
    pytest.importorskip("numba")
    from glasstorch.jit.numba_pool import max_pool_2x2_backward, relu_backward
    from glasstorch.jit.train_pool import MaxPoolRule
    bits = np.uint32 if dtype == np.float32 else np.uint64
    rng = np.random.default_rng(2)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 3.5], dtype)
    gy = rng.choice(special, (2, 3, 4, 5))
    gy.view(bits)[0, 0, 0, :3] = np.array(np.nan, dtype).view(bits) | np.arange(1, 4, dtype=bits)
    arg = rng.integers(0, 4, gy.shape).astype(np.intp)
    m = nn.Sequential(nn.MaxPool2d(2))
    x0 = gt.zeros(2, 3, 8, 10, dtype=gt.float64 if dtype == np.float64 else gt.float32)
    step = jit.trace_train_step(m, lambda out, t: (out * t).sum(), _SGD([gt.zeros(1)], lr=0.0),
                                (x0, gt.zeros(*m(x0).shape, dtype=x0.dtype)))
    rule = MaxPoolRule.make(next(n for n in step.graph.nodes if "max_pool" in n.op), (True,))
    rule.compiled = None
    want = rule.run_backward(gy, arg, np.full((2, 3, 8, 10), 7, dtype))
    got = np.full((2, 3, 8, 10), 7, dtype)
    max_pool_2x2_backward(gy.view(bits), arg, got.view(bits))
    assert np.array_equal(want.view(bits), got.view(bits))
    y = rng.choice(special, (4, 6, 5))
    g = rng.choice(special, (4, 6, 5))
    g.view(bits)[0, 0, :3] = np.array(np.nan, dtype).view(bits) | np.arange(1, 4, dtype=bits)
    mask = np.less_equal(y, 0).view(np.int8) - np.int8(1)
    want = np.bitwise_and(g.view(np.int32 if dtype == np.float32 else np.int64), mask)
    for gy_in in (g, np.asfortranarray(g)):          # a non-contiguous gradient too
        got = np.full(y.shape, 7, dtype)
        relu_backward(y, gy_in.view(bits), got.view(bits))
        assert np.array_equal(want.view(bits), got.view(bits))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_cross_entropy_steps_have_the_numpy_rules_bits(dtype):
    # the cross-entropy rule with its exact steps compiled (jit/numba_pool.py) against its
    # NumPy steps: loss, kept softmax and gradient bits; +-inf and -0.0 logits, ignored and
    # all-ignored targets, a bad target's error, a nan (the NumPy steps run)
    pytest.importorskip("numba")
    from glasstorch.backend import kernels
    from glasstorch.jit.train_rules import _CrossEntropy
    m = nn.Linear(3, 5).to(gt.float64 if dtype == np.float64 else gt.float32)
    x0 = gt.randn(6, 3, dtype=m.weight.dtype)
    step = jit.trace_train_step(m, nn.CrossEntropyLoss(), _SGD(m.parameters(), lr=0.0),
                                (x0, gt.tensor([0, 1, 2, 3, 4, 0])))
    node = next(n for n in step.graph.nodes if n.op == "cross_entropy")
    fast = _CrossEntropy.make(node, (True,) + (False,) * 5)
    assert (fast.compiled is not None) == kernels.numba_for_exact()
    if fast.compiled is None:
        return
    plain = _CrossEntropy.make(node, (True,) + (False,) * 5)
    plain.compiled = None
    bits = np.uint32 if dtype == np.float32 else np.uint64
    rng = np.random.default_rng(4)
    cases = [(rng.standard_normal((6, 5)) * 30, [0, 1, 2, 3, 4, 0]),
             (rng.choice([0.0, -0.0, 1.0, np.inf, -np.inf, -3.0], (6, 5)), [4, 3, 2, 1, 0, 1]),
             (rng.standard_normal((6, 5)), [0, -100, 2, -100, 1, 1]),
             (rng.standard_normal((6, 5)), [-100] * 6),
             (np.where(np.eye(6, 5) > 0, np.nan, 1.0), [0, 1, 2, 3, 4, 0])]
    for x, t in cases:
        x, t = x.astype(dtype), np.array(t, np.int64)
        with np.errstate(all="ignore"):
            want, wsaved = plain.run_forward(x.copy(), t)
            got, gsaved = fast.run_forward(x.copy(), t)
            assert np.array_equal(np.asarray(want).view(bits), np.asarray(got).view(bits))
            assert np.array_equal(wsaved[0].view(bits), gsaved[0].view(bits))
            gy = np.asarray(0.7, dtype)
            assert np.array_equal(plain.run_backward(gy, wsaved).view(bits),
                                  fast.run_backward(gy, gsaved).view(bits))
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        fast.run_forward(np.zeros((6, 5), dtype), np.array([0, 1, 5, 1, 7, 0]))
