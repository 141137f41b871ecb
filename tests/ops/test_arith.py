"""ops/arith.py: a large add (a residual connection, the engine's gradient accumulation) runs
in slices over the thread pool (_large_add): the same bits as NumPy's a + b at 1 and 2
threads, a C-contiguous result, and NumPy's own add wherever shapes, dtypes or layouts differ;
values and gradients against torch."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import threads
from glasstorch.ops import arith
from helpers import check_op


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # inf - inf, overflow: as NumPy
@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_add_same_bits(n_threads, dtype, monkeypatch):
    monkeypatch.setattr(arith, "_SPLIT_ADD_BYTES", 1 << 10)   # split these small arrays
    rng = np.random.default_rng(0)
    a = rng.standard_normal((37, 5, 11)).astype(dtype)
    b = rng.standard_normal((37, 5, 11)).astype(dtype)
    a.reshape(-1)[:6] = [np.inf, -np.inf, np.nan, -0.0, 0.0, 1e308 if dtype == np.float64
                         else 3e38]
    b.reshape(-1)[:6] = [-np.inf, -np.inf, 1.0, -0.0, -0.0, 1e308 if dtype == np.float64
                         else 3e38]
    before = threads.get_num_threads()
    threads.set_num_threads(n_threads)
    try:
        y = (gt.tensor(a) + gt.tensor(b)).numpy()
    finally:
        threads.set_num_threads(before)
    want = a + b
    assert y.flags.c_contiguous and y.dtype == want.dtype
    assert np.array_equal(np.isnan(y), np.isnan(want))
    assert y[~np.isnan(y)].tobytes() == want[~np.isnan(want)].tobytes()


def test_large_add_falls_back(monkeypatch):
    """Broadcasting, mixed dtypes and channels-last operands take NumPy's add (its result
    shape, dtype and layout)."""
    monkeypatch.setattr(arith, "_SPLIT_ADD_BYTES", 1 << 6)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6, 5, 5)).astype(np.float32)
    row = rng.standard_normal((5,)).astype(np.float32)
    assert np.array_equal((gt.tensor(x) + gt.tensor(row)).numpy(), x + row)
    assert (gt.tensor(x) + gt.tensor(x.astype(np.float64))).dtype == gt.float64
    cl = gt.tensor(x).contiguous(memory_format=gt.channels_last)
    y = cl + cl
    assert y.is_contiguous(memory_format=gt.channels_last)
    assert np.array_equal(y.numpy(), x + x)


def test_large_add_matches_torch(monkeypatch):
    monkeypatch.setattr(arith, "_SPLIT_ADD_BYTES", 1 << 6)
    check_op(lambda x, y: x + y, [(8, 3, 4, 5), (8, 3, 4, 5)])
    check_op(lambda x: x + x, [(8, 3, 4, 5)])        # the gradient accumulates along two paths
