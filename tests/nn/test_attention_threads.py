"""The fused attention op (ops/attention.py) split over the batch on the thread pool: the same
bits at 1 and 2 threads (forward, weights, every gradient), and which calls are split."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import threads
from glasstorch.ops.attention import _Attention, _row_max, _row_sum


@pytest.fixture
def restore():
    before = threads.get_num_threads()
    yield
    threads.set_num_threads(before)


def _run(n, q, k, v, mask, dropout_p, safe, need_weights):
    threads.set_num_threads(n)
    gt.manual_seed(3)
    ts = [gt.tensor(a, requires_grad=True) for a in (q, k, v)]
    m = None if mask is None else gt.tensor(mask, requires_grad=True)
    out = _Attention.apply(*ts, m, 0.3, dropout_p, safe, need_weights)
    y, w = out if need_weights else (out, None)
    gy = np.random.default_rng(1).standard_normal(y.shape)
    loss = (y * gt.tensor(gy)).sum()
    if w is not None:
        loss = loss + (w * w).sum()
    loss.backward()
    return [y.detach().numpy(), None if w is None else w.detach().numpy()] + \
        [t.grad.numpy() for t in ts] + [None if m is None else m.grad.numpy()]


CASES = {
    "plain": ((6, 5, 4), (6, 7, 4), (6, 7, 3), None, 0.0, False, False),
    "dropout+weights": ((6, 5, 4), (6, 7, 4), (6, 7, 3), None, 0.4, False, True),
    "batch mask, dead rows": ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4), (2, 1, 5, 7), 0.0,
                              True, False),
    "shared mask": ((6, 5, 4), (6, 7, 4), (6, 7, 3), (5, 7), 0.2, True, False),
    "broadcast k (serial)": ((6, 5, 4), (1, 7, 4), (1, 7, 3), None, 0.0, False, False),
    "2-D": ((5, 4), (7, 4), (7, 3), None, 0.0, False, True),
    "bench_transformer's shape": ((128, 35, 32), (128, 35, 32), (128, 35, 32), None, 0.1, False,
                                  False),
}


@pytest.mark.parametrize("case", CASES)
def test_attention_same_bits_at_1_and_2_threads(case, monkeypatch, restore):
    qs, ks, vs, ms, p, safe, need_weights = CASES[case]
    monkeypatch.setattr(threads, "THRESHOLD", 1)      # split even these small batches
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in (qs, ks, vs))
    mask = None
    if ms is not None:
        mask = rng.standard_normal(ms)
        mask[..., 0, :] = -np.inf                      # a row with every key masked
    one = _run(1, q, k, v, mask, p, safe, need_weights)
    two = _run(2, q, k, v, mask, p, safe, need_weights)
    for a, b in zip(one, two):
        if a is None:
            assert b is None
        else:
            np.testing.assert_array_equal(a, b)


def test_which_attention_calls_are_split(monkeypatch, restore):
    """Split along the batch axis when q, k and v share it; a broadcast operand runs one call."""
    threads.set_num_threads(2)
    calls = []
    real = threads.parallel_for

    def spy(n, fn, nbytes, blas_serial=False, slices=None):
        calls.append((n, nbytes))
        return real(n, fn, nbytes, blas_serial, slices)
    monkeypatch.setattr(threads, "parallel_for", spy)
    z = np.zeros
    for shapes in [((8, 5, 4), (8, 7, 4), (8, 7, 3)), ((8, 5, 4), (1, 7, 4), (1, 7, 3))]:
        ts = [gt.tensor(z(s, np.float32), requires_grad=True) for s in shapes]
        _Attention.apply(*ts, None, 0.5, 0.0, False, False).sum().backward()
    s_bytes = 8 * 5 * 7 * 4
    assert calls == [(8, s_bytes * (4 + 4 + 3))] * 2      # forward and backward, first case only


@pytest.mark.parametrize("shape", [(6, 5, 7), (3, 4, 35), (2, 3, 64), (2, 3, 65), (4, 1), (3, 0)])
def test_row_max_and_sum_helpers(shape):
    """_row_max: the same values as s.max(-1) (a transposed copy for short rows; -inf and NaN
    rows, empty rows, a strided view); _row_sum: close to s.sum(-1), and a slice of the batch
    gets the very bits of the whole (what the split over threads relies on)."""
    rng = np.random.default_rng(0)
    s = rng.standard_normal(shape).astype(np.float32)
    if s.size:
        s.reshape(-1, shape[-1])[0] = -np.inf
        s.reshape(-1, shape[-1])[-1, 0] = np.nan
    for a in (s, s[..., ::-1]):
        want = a.max(-1, keepdims=True, initial=-np.inf)
        got = _row_max(np, a)
        assert got.shape == want.shape and np.array_equal(got, want, equal_nan=True)
    t = rng.standard_normal(shape).astype(np.float32)
    total = _row_sum(np, t)
    np.testing.assert_allclose(total, t.sum(-1, keepdims=True), rtol=1e-5, atol=1e-5)
    if t.ndim == 3 and t.shape[0] > 1:
        assert _row_sum(np, t[1:]).tobytes() == total[1:].tobytes()
