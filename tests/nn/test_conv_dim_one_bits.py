"""Convolutions whose GEMMs have a dimension of 1 (one output channel, one output pixel, one
input channel): the default path (backend/numba_conv_gemm.py's cblas_sgemm from numba) gave
other bits than the NumPy path, whose matmul takes gemv there. Both kernel paths compared
byte for byte (values, input, weight and bias gradients)."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import kernels as selection

pytest.importorskip("numba")

CASES = [   # (input, weight, conv2d arguments)
    ((8, 3, 20, 20), (1, 3, 5, 5), dict(padding=2)),      # row columns, one output channel
    ((8, 1, 28, 28), (1, 1, 5, 5), dict(padding=2)),
    ((8, 1, 20, 20), (1, 1, 5, 1), {}),
    ((8, 2, 5, 5), (4, 2, 5, 5), {}),                     # one output pixel
    ((16, 8, 32, 32), (1, 8, 3, 3), dict(padding=1)),     # per-sample weight gradient
    ((16, 1, 32, 32), (1, 1, 3, 3), dict(padding=1)),
    ((8, 1, 14, 14), (16, 1, 5, 5), {}),                  # one input channel
    ((8, 16, 1, 1), (6, 16, 5, 5), dict(padding=4)),      # input gradient of one pixel
]


def _run(shape, wshape, kwargs):
    rng = np.random.default_rng(0)
    x = gt.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    w = gt.tensor((rng.standard_normal(wshape) * 0.2).astype(np.float32), requires_grad=True)
    b = gt.tensor(rng.standard_normal(wshape[0]).astype(np.float32), requires_grad=True)
    y = gt.nn.functional.conv2d(x, w, b, **kwargs)
    y.backward(gt.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape)))
    return [t.detach().numpy().tobytes() for t in (y, x.grad, w.grad, b.grad)]


@pytest.mark.parametrize("shape, wshape, kwargs", CASES)
def test_default_path_same_bits_as_numpy_path(shape, wshape, kwargs):
    saved = selection._active, selection._chosen
    try:
        selection.set_kernels("numpy")
        want = _run(shape, wshape, kwargs)
        selection._active, selection._chosen = None, False
        assert selection.numba_for_exact()
        got = _run(shape, wshape, kwargs)
    finally:
        selection._active, selection._chosen = saved
    for name, a, b in zip(("y", "x.grad", "w.grad", "b.grad"), want, got):
        assert a == b, name
