"""The batch-1 GEMV chain (jit/passes/gemv_chain.py, by default when numba is installed) on
layers with one output or one input feature: np.dot takes a dot product (not gemv) there, so
the chain's cblas gemv gave other bits than the NumPy replay (a regression MLP's last
Linear(n, 1)). Such layers stay on the NumPy replay; the bits match."""
import numpy as np
import pytest

import glasstorch as gt
import glasstorch.jit as jit
from glasstorch import backend, nn

pytest.importorskip("numba")

SIZES = [(784, 64, 1), (100, 128, 1), (100, 1, 5), (40, 1, 1), (1, 64, 3), (64, 32, 2)]


def _mlp(sizes):
    gt.manual_seed(0)
    layers = []
    for i, (k, n) in enumerate(zip(sizes, sizes[1:])):
        layers += [nn.Linear(k, n)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
    return nn.Sequential(*layers).eval()


@pytest.mark.parametrize("dtype", [gt.float32, gt.float64])
@pytest.mark.parametrize("sizes", SIZES)
def test_chain_or_not_same_bits_as_numpy_replay(sizes, dtype):
    m = _mlp(sizes).to(dtype)
    traced = jit.trace(m, gt.randn(1, sizes[0], dtype=dtype), check_trace=False)
    before = backend.get_kernels()
    try:
        backend.set_kernels("numpy")
        plain = jit.optimize_for_inference(traced)
        backend.set_kernels("numba")
        fast = jit.optimize_for_inference(traced)
    finally:
        backend.set_kernels(before)
    with gt.no_grad():
        for scale in (1.0, 30.0, 1e-3):
            x = gt.randn(1, sizes[0], dtype=dtype) * scale
            assert fast(x).numpy().tobytes() == plain(x).numpy().tobytes()
