"""ops/piecewise.py's relu forward: NumPy's maximum below _RELU_NUMBA_SIZE elements, numba's
pass from there up when it may run; the same bits either way (NaN payloads, -0.0, inf) on both
kernel paths, and torch's values."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.backend import kernels as selection
from glasstorch.ops import piecewise

INTS = {np.dtype(np.float32): np.uint32, np.dtype(np.float64): np.uint64}


def _values(n, dtype):
    x = np.random.default_rng(n).standard_normal(n).astype(dtype)
    x[:6] = [np.nan, -np.nan, -0.0, 0.0, np.inf, -np.inf]
    bits = x.view(INTS[x.dtype])
    bits[6] |= 5   # a NaN with a payload
    bits[6] = bits[0] | 5
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [7, 256, piecewise._RELU_NUMBA_SIZE - 1,
                               piecewise._RELU_NUMBA_SIZE, piecewise._RELU_NUMBA_SIZE + 1])
@pytest.mark.parametrize("kernels", ["numpy", "default"])
def test_relu_same_bits_on_both_sides_of_the_size_switch(n, dtype, kernels):
    if kernels == "numpy":
        selection.set_kernels("numpy")
    else:   # no choice made: numba's exact pass where installed (conftest restores it)
        selection._active, selection._chosen = None, False
    x = _values(n, dtype).reshape(1, n)
    want = np.maximum(0, x)
    with gt.no_grad():
        y = gt.nn.functional.relu(gt.tensor(x))
    assert y.dtype == gt.tensor(x).dtype and tuple(y.shape) == (1, n)
    assert np.array_equal(y.numpy().view(INTS[x.dtype]), want.view(INTS[x.dtype]))
    recorded = gt.relu(gt.tensor(x, requires_grad=True))
    assert np.array_equal(recorded.detach().numpy().view(INTS[x.dtype]),
                          want.view(INTS[x.dtype]))


def test_relu_small_input_matches_torch_and_records_only_with_grad():
    x = np.random.default_rng(0).standard_normal((1, 256)).astype(np.float32)
    with gt.no_grad():
        y = gt.nn.functional.relu(gt.tensor(x, requires_grad=True))
    assert not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(y.numpy(), torch.relu(torch.tensor(x)).numpy())
    xg = gt.tensor(x, requires_grad=True)
    gt.nn.functional.relu(xg).sum().backward()
    np.testing.assert_array_equal(xg.grad.numpy(), (x > 0).astype(np.float32))
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        gt.nn.functional.relu(gt.tensor(x > 0))
