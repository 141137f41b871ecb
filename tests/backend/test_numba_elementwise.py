"""backend/numba_elementwise.py: relu, its gradient and cross_entropy's shift give the NumPy
path's exact bits (NaN payloads and signs, signalling NaNs, -0.0, inf; float32/64; odd sizes;
sliced over threads), and relu and cross_entropy give the same bits on both kernel paths."""
import numpy as np
import pytest

pytest.importorskip("numba")

import glasstorch as gt                                                 # noqa: E402
from glasstorch.backend import kernels as selection, numba_elementwise as ne, threads  # noqa
from glasstorch.ops.piecewise import _masked                           # noqa: E402

INTS = {np.dtype(np.float32): np.uint32, np.dtype(np.float64): np.uint64}


def _values(n, dtype, seed=0):
    x = np.random.default_rng(seed).standard_normal(n).astype(dtype)
    bits = x.view(INTS[x.dtype])
    special = [np.nan, -np.nan, -0.0, 0.0, np.inf, -np.inf]
    x[:min(n, 6)] = special[:min(n, 6)]
    if n > 9:   # NaNs with payloads, and a signalling NaN
        bits[6], bits[7] = bits[0] | 5, bits[1] | 7
        bits[8] = 0x7F800001 if dtype == np.float32 else 0x7FF0000000000001
    return x


def _bits(a):
    return a.view(INTS[a.dtype])


def _on_both_paths(run):
    """run() on the NumPy kernels, then on the default (no choice made: numba's exact kernels);
    the arrays it returns, as a pair of lists. (conftest restores the kernel choice after.)"""
    selection.set_kernels("numpy")
    numpy_path = run()
    selection._active, selection._chosen = None, False
    return numpy_path, run()


def _same_bits(a, b):
    a, b = np.atleast_1d(a), np.atleast_1d(b)
    return np.array_equal(a.view(INTS[a.dtype]), b.view(INTS[b.dtype]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 5, 10, 33, 1000, 32769])
def test_relu_and_gradient_same_bits_as_numpy(n, dtype):
    x = _values(n, dtype)
    g = _values(n, dtype, seed=1)[::-1].copy()
    y = np.maximum(0, x)
    assert np.array_equal(_bits(ne.relu(x)), _bits(y))
    assert np.array_equal(_bits(ne.relu_backward(y, g)), _bits(_masked(g, y != 0)))
    shaped = x.reshape(1, -1, 1)
    assert ne.relu(shaped).shape == shaped.shape


def test_sliced_over_threads_same_bits(monkeypatch):
    monkeypatch.setattr(threads, "THRESHOLD", 1 << 10)
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        x = _values(100001, np.float32)
        g = _values(100001, np.float32, seed=2)
        y = np.maximum(0, x)
        assert np.array_equal(_bits(ne.relu(x)), _bits(y))
        assert np.array_equal(_bits(ne.relu_backward(y, g)), _bits(_masked(g, y != 0)))
    finally:
        threads.set_num_threads(before)


def test_refuses_what_it_does_not_do():
    x = np.ones((4, 6), np.float32)
    assert ne.relu(x.T) is None and ne.relu(x.astype(np.float16)) is None
    assert ne.relu(np.ones(3, np.int64)) is None
    assert ne.relu_backward(x, x.astype(np.float64)) is None
    assert ne.relu_backward(x, np.ones((6, 4), np.float32).T) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_op_same_bits_on_both_paths(dtype):
    x0 = _values(777, dtype).reshape(21, 37)
    g0 = _values(777, dtype, seed=3).reshape(21, 37)

    def run():
        x = gt.tensor(x0, requires_grad=True)
        y = gt.relu(x)
        y.backward(gt.tensor(g0))
        with gt.no_grad():
            y2 = gt.nn.functional.relu(gt.tensor(x0))
        return [y.detach().numpy().copy(), x.grad.numpy().copy(), y2.numpy().copy()]
    for a, b in zip(*_on_both_paths(run)):
        assert _same_bits(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shift_pick_same_bits_as_numpy(dtype):
    # cross_entropy's x - row max and its target entries: NumPy's maximum rules (a NaN m
    # stays, a NaN v wins, ties go to the later value: -0.0 vs 0.0) with NaN payloads/signs
    from glasstorch.ops.softmax import _shifted
    rng = np.random.default_rng(4)
    it = INTS[np.dtype(dtype)]
    pool = np.array([0.0, -0.0, np.nan, 1.0, -1.0, np.inf, -np.inf, 2.0], dtype)
    for trial in range(150):
        c, n = int(rng.integers(2, 33)), 64 + int(rng.integers(0, 40))
        x = pool[rng.integers(0, len(pool), (n, c))]
        if trial % 3 == 0:
            x = rng.standard_normal((n, c)).astype(dtype)
        bits, nan = x.view(it), np.isnan(x)
        bits[nan] |= rng.integers(0, 8, nan.sum()).astype(it)
        bits[nan & (rng.random(x.shape) < 0.5)] |= it(1) << it(8 * x.itemsize - 1)
        t = rng.integers(0, c, n)
        with np.errstate(all="ignore"):
            s = _shifted(x, 1)
            s_t = s[np.arange(n), t]
            got = ne.shift_pick(x, t)
        assert np.array_equal(s.view(it), got[0].view(it))
        assert np.array_equal(s_t.view(it), got[1].view(it))
    assert ne.shift_pick(np.ones((10, 10), dtype), np.zeros(10, np.int64)) is None  # < 64 C


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_grad_pick_same_bits_as_numpy(dtype):
    # cross_entropy's plain backward: p * k, then minus k at each row's target
    rng = np.random.default_rng(8)
    it = INTS[np.dtype(dtype)]
    for n, c in [(128, 10), (1, 2), (7, 300)]:
        p = rng.random((n, c)).astype(dtype)
        p[0, 0], p[-1, -1] = np.nan, np.inf
        t = rng.integers(0, c, n)
        for k in (dtype(1 / 128), dtype(-3.5), dtype(0.0), dtype(np.inf)):
            expected = p * k
            with np.errstate(invalid="ignore"):
                expected[np.arange(n), t] -= k
                got = ne.softmax_grad_pick(p, t, np.asarray(k))
            assert np.array_equal(got.view(it), expected.view(it))
    p = np.ones((4, 3), dtype)
    assert ne.softmax_grad_pick(p, np.zeros(4, np.int64), np.ones((4, 1), dtype)) is None
    assert ne.softmax_grad_pick(p.T, np.zeros(3, np.int64), np.asarray(dtype(1))) is None


@pytest.mark.parametrize("bad", [-1, 10, 255, -100])
def test_shift_pick_refuses_targets_outside_the_classes(bad):
    # the kernel checks every target before picking (cross_entropy's plain path relies on it)
    x = np.random.default_rng(6).standard_normal((128, 10)).astype(np.float32)
    for dtype in (np.int64, np.int32, np.uint8):
        t = np.zeros(128, dtype)
        if np.can_cast(np.min_scalar_type(bad), dtype):
            t[77] = bad
            assert ne.shift_pick(x, t) is False
        assert ne.shift_pick(x, np.full(128, 9, dtype))[1].shape == (128,)


@pytest.mark.parametrize("t_bad", [10, -1])
def test_cross_entropy_target_out_of_range_on_both_paths(t_bad):
    # the numba kernel's range check replaces the plain path's min/max: an out-of-range
    # target still reaches the general path and torch's error; ignore_index=-1 ignores it
    import glasstorch as gt
    import torch
    x0 = np.random.default_rng(7).standard_normal((128, 10)).astype(np.float32)
    t0 = np.arange(128) % 10
    t0[5] = t_bad
    errors = []
    for lib in (torch, gt, gt):
        if lib is gt:
            if errors[1:]:
                selection._active, selection._chosen = None, False
            else:
                selection.set_kernels("numpy")
        with pytest.raises((IndexError, RuntimeError)) as e:
            lib.nn.functional.cross_entropy(lib.tensor(x0), lib.tensor(t0))
        errors.append((e.type, str(e.value).split("\n")[0]))
    assert errors[1] == errors[2] and errors[1][0] == errors[0][0]   # (glasstorch explains more)
    assert errors[1][1].startswith(errors[0][1])

    def run():
        x = gt.tensor(x0, requires_grad=True)
        loss = gt.nn.functional.cross_entropy(x, gt.tensor(t0), ignore_index=t_bad)
        loss.backward()
        return [loss.detach().numpy().copy(), x.grad.numpy().copy()]
    for a, b in zip(*_on_both_paths(run)):
        assert _same_bits(a, b)
    x = torch.tensor(x0, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(x, torch.tensor(t0), ignore_index=t_bad)
    np.testing.assert_allclose(run()[0], expected.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_same_bits_on_both_paths(dtype):
    rng = np.random.default_rng(5)
    x0 = (rng.standard_normal((128, 10)) * 3).astype(dtype)
    x0[3, 2], x0[5] = np.nan, -np.inf      # a nan logit, a row of -inf
    t0 = rng.integers(0, 10, 128)

    def run():
        out = []
        x = gt.tensor(x0, requires_grad=True)
        for reduction in ("mean", "sum", "none"):
            with np.errstate(invalid="ignore"):   # -inf - -inf: NumPy warns
                loss = gt.nn.functional.cross_entropy(x, gt.tensor(t0), reduction=reduction)
            loss.sum().backward()
            out.append(loss.detach().numpy().copy())
        out.append(x.grad.numpy().copy())
        for reduction in ("mean", "sum"):   # each gradient alone, gy != 1 (softmax_grad_pick)
            x = gt.tensor(x0, requires_grad=True)
            with np.errstate(invalid="ignore"):
                loss = gt.nn.functional.cross_entropy(x, gt.tensor(t0), reduction=reduction)
            (loss * 0.37).backward()
            out.append(x.grad.numpy().copy())
        return out
    for a, b in zip(*_on_both_paths(run)):
        assert _same_bits(a, b)
