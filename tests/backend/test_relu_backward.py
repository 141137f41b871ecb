"""relu's gradient kernels: backend/cpu_kernels.relu_backward (NumPy, in blocks over the thread
pool) and numba_kernels.relu_backward give the bits of the reference mask
where(~(y <= 0), gy, 0) (piecewise._Masked, what create_graph records), -0.0, nan and inf
included, in NCHW and channels-last layouts; None for layouts they do not handle."""
import numpy as np
import pytest

from glasstorch.backend import cpu_kernels, kernels as selection, threads
from kernel_choice import kernels  # noqa: F401  (fixture: NumPy and numba kernels)


def _module():
    return selection.numba_kernels() or cpu_kernels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_relu_backward_same_bits(monkeypatch, dtype, n_threads, kernels):
    monkeypatch.setattr(threads, "THRESHOLD", 1 << 8)
    monkeypatch.setattr(cpu_kernels, "_RELU_BLOCK", 100)      # several blocks per slice
    rng = np.random.default_rng(5)
    y = np.maximum(0, rng.standard_normal((4, 6, 5, 3)).astype(dtype))
    y[0, 0, 0, :] = [np.nan, -0.0, 0.0]
    g = rng.standard_normal(y.shape).astype(dtype)
    g[1, 1, 1, 1] = -0.0
    g[0, 0, 0, 1:] = [np.inf, np.nan]          # masked out: 0, not nan
    want = np.where(~(y <= 0), g, dtype(0))
    before = threads.get_num_threads()
    threads.set_num_threads(n_threads)
    try:
        for cl in (False, True):
            yi, gi = ((np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
                       if cl else a) for a in (y, g))
            got = _module().relu_backward(yi, gi)
            assert got.strides == gi.strides
            assert np.ascontiguousarray(got).tobytes() == want.tobytes()
    finally:
        threads.set_num_threads(before)


def test_relu_backward_other_layouts_fall_back(kernels):
    y = np.maximum(0, np.random.default_rng(6).standard_normal((2, 3, 4, 5)).astype(np.float32))
    g = np.ones_like(y)
    mod = _module()
    assert mod.relu_backward(y, g.transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2)) is None
    assert mod.relu_backward(y, np.broadcast_to(g[:1], y.shape)) is None
    assert mod.relu_backward(y, g.astype(np.float64)) is None


def test_relu_gradient_through_broadcast_and_create_graph(kernels):
    """Relu.backward with a gradient the kernels refuse (an expanded view: the global mean's
    backward) and with create_graph (the recorded mask) against torch."""
    import torch

    import glasstorch as gt
    x = np.random.default_rng(7).standard_normal((3, 4, 5, 5))
    for lib in (gt, torch):
        xt = lib.tensor(x, requires_grad=True)
        y = xt.relu().mean((2, 3)).sum()
        (gx,) = lib.autograd.grad(y, xt, create_graph=True)
        (gxx,) = lib.autograd.grad((gx * xt).sum(), xt)
        if lib is gt:
            got = (gx.detach().numpy(), gxx.numpy())
        else:
            np.testing.assert_allclose(got[0], gx.detach().numpy(), rtol=1e-12)
            np.testing.assert_allclose(got[1], gxx.numpy(), rtol=1e-12)
