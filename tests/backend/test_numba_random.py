"""backend/numba_random.py: dropout's compiled mask has the NumPy path's exact bits and leaves
the generator exactly where NumPy's draw leaves it (odd sizes, a buffered half-draw, float32
and float64 masks, a float64 p); dropout, dropout2d and the fused attention op give the same
bits on both kernel paths."""
import numpy as np
import pytest

pytest.importorskip("numba")

import glasstorch as gt                                                 # noqa: E402
import glasstorch.nn.functional as F                                   # noqa: E402
from glasstorch.backend import kernels as selection, numba_random     # noqa: E402
from glasstorch.ops.attention import _Attention                        # noqa: E402


def _numpy_mask(rng, shape, p, dtype):
    u = rng.random(shape, dtype=np.float32)
    return np.multiply(u >= p, np.divide(np.ones((), dtype), 1 - p), dtype=dtype)


def _pair(seed, skip):
    """Two generators in one state; `skip` float32 draws first (odd: a buffered half)."""
    pair = [np.random.Generator(np.random.PCG64(seed)) for _ in range(2)]
    for g in pair:
        g.random(skip, dtype=np.float32)
    return pair


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9, np.float64(0.1), 1e-9, 1 - 2.0 ** -30])
@pytest.mark.parametrize("skip", [0, 1, 3])
def test_mask_same_bits_and_state_as_numpy(p, skip, dtype):
    ref, new = _pair(7, skip)
    for shape in [(1,), (2,), (3,), (0,), (7, 5), (2, 0, 3), (35, 33), (4097,)]:
        want = _numpy_mask(ref, shape, p, dtype)
        got = numba_random.dropout_mask(new, shape, p, dtype)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes(), shape
        assert new.bit_generator.state == ref.bit_generator.state, shape
    # and the streams continue alike, through either path
    assert new.random(9, dtype=np.float32).tobytes() == ref.random(9, dtype=np.float32).tobytes()


def test_mask_not_applicable_returns_none():
    rng = np.random.Generator(np.random.PCG64(0))
    before = rng.bit_generator.state
    assert numba_random.dropout_mask(rng, (4,), 0.0, np.float32) is None
    assert numba_random.dropout_mask(rng, (4,), 1.0, np.float32) is None
    assert numba_random.dropout_mask(rng, (4,), float("nan"), np.float32) is None
    assert numba_random.dropout_mask(rng, (4,), 0.5, np.float16) is None
    assert numba_random.dropout_mask(np.random.Generator(np.random.MT19937(0)), (4,), 0.5,
                                     np.float32) is None
    assert rng.bit_generator.state == before


def test_dropout_with_a_generator_stand_in_takes_its_draws():
    """A stand-in for the global generator's NumPy Generator (the client tests' BridgeRNG
    replays torch's draws) has no bit_generator: the mask comes from its own random()."""
    class StandIn:
        def random(self, size=None, dtype=np.float64):
            return np.full(size, 0.75, dtype)

    assert numba_random.dropout_mask(StandIn(), (4,), 0.5, np.float32) is None
    saved = gt.random.default_generator.rng
    gt.random.default_generator.rng = StandIn()
    try:
        y = F.dropout(gt.ones(2, 3), 0.5, training=True)
    finally:
        gt.random.default_generator.rng = saved
    assert np.array_equal(y.numpy(), np.full((2, 3), 2.0, np.float32))


def _on_both_paths(run, monkeypatch):
    """run() on the NumPy kernels, then on the default (numba's exact kernels), checking that
    the compiled mask served only the second. (conftest restores the kernel choice after.)"""
    made, original = [], numba_random.dropout_mask
    monkeypatch.setattr(numba_random, "dropout_mask", lambda *a: made.append(a) or original(*a))
    selection.set_kernels("numpy")
    numpy_path = run()
    assert not made
    selection._active, selection._chosen = None, False
    numba_path = run()
    assert made
    return numpy_path, numba_path


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


@pytest.mark.parametrize("dtype", [gt.float32, gt.float64])
def test_dropout_same_bits_on_both_paths(dtype, monkeypatch):
    x0 = np.random.default_rng(0).standard_normal((5, 7, 3, 3))

    def run():
        gt.manual_seed(11)
        gt.rand(3)                                 # an odd draw first: a buffered half
        x = gt.tensor(x0, dtype=dtype, requires_grad=True)
        y = F.dropout(x, 0.3)
        z = F.dropout2d(x * 2, 0.6)
        w = F.dropout((x + 1).detach(), 0.2, inplace=True)
        (y * 3 + z).sum().backward()
        return [y.detach().numpy(), z.detach().numpy(), w.numpy(), x.grad.numpy(),
                gt.rand(5).numpy()]
    _same(*_on_both_paths(run, monkeypatch))


@pytest.mark.parametrize("need_weights", [False, True])
def test_attention_dropout_same_bits_on_both_paths(need_weights, monkeypatch):
    rng = np.random.default_rng(1)
    q0, k0, v0 = (rng.standard_normal(s).astype(np.float32)
                  for s in ((6, 5, 4), (6, 7, 4), (6, 7, 3)))

    def run():
        gt.manual_seed(5)
        ts = [gt.tensor(a, requires_grad=True) for a in (q0, k0, v0)]
        out = _Attention.apply(*ts, None, 0.5, 0.25, False, need_weights)
        y, w = out if need_weights else (out, None)
        loss = (y * y).sum() + (0 if w is None else (w * w).sum())
        loss.backward()
        return [y.detach().numpy()] + ([] if w is None else [w.detach().numpy()]) + \
            [t.grad.numpy() for t in ts] + [gt.rand(3).numpy()]
    _same(*_on_both_paths(run, monkeypatch))
