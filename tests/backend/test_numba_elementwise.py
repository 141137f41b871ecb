"""backend/numba_elementwise.py: relu and its gradient give the NumPy path's exact bits
(NaN payloads and signs, signalling NaNs, -0.0, inf; float32/64; odd sizes; sliced over
threads), and the relu op gives the same bits on both kernel paths."""
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
    out = []
    before = (selection._active, selection._chosen)
    try:
        for kernel in ("numpy", "default"):
            if kernel == "numpy":
                selection.set_kernels("numpy")
            else:
                selection._active, selection._chosen = None, False
            x = gt.tensor(x0, requires_grad=True)
            y = gt.relu(x)
            y.backward(gt.tensor(g0))
            with gt.no_grad():
                y2 = gt.nn.functional.relu(gt.tensor(x0))
            out.append([y.detach().numpy().copy(), x.grad.numpy().copy(), y2.numpy().copy()])
    finally:
        selection._active, selection._chosen = before
    for a, b in zip(*out):
        assert np.array_equal(_bits(a), _bits(b))
