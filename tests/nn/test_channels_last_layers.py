"""BatchNorm2d, pooling and elementwise ops on channels-last tensors against torch: values,
gradients and the strides of results and input gradients (the kernels work on the (N, H, W,
C) memory directly: ops/batchnorm.py, backend/cpu_kernels.py's window kernels)."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import check_op


def _cl(lib, t):
    return t.contiguous(memory_format=lib.channels_last)


def _strides(fn, shape, up_cl=True, seed=0):
    """(output strides, input-gradient strides) in each framework for fn(lib, x_cl)."""
    rs = np.random.RandomState(seed)
    a = rs.randn(*shape)
    res = []
    up = None
    for lib in (gt, torch):
        x = _cl(lib, lib.tensor(a)).requires_grad_()
        y = fn(lib, x)
        y = y[0] if isinstance(y, tuple) else y
        if up is None:
            up = rs.randn(*y.shape)
        g = lib.tensor(up)
        y.backward(_cl(lib, g) if up_cl and g.dim() == 4 else g)
        res.append((y.stride(), x.grad.stride()))
    return res


LAYERS = [
    ("bn_train", lambda lib, x: lib.nn.functional.batch_norm(
        x, None, None, lib.linspace(0.5, 2, 4, dtype=x.dtype),
        lib.linspace(-1, 1, 4, dtype=x.dtype), training=True)),
    ("bn_eval", lambda lib, x: lib.nn.functional.batch_norm(
        x, lib.linspace(-0.5, 0.5, 4, dtype=x.dtype), lib.linspace(0.5, 2, 4,
                                                                         dtype=x.dtype),
        None, None, training=False)),
    ("max_pool", lambda lib, x: lib.nn.functional.max_pool2d(x, 2)),
    ("max_pool_pad", lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, 1)),
    ("max_pool_idx", lambda lib, x: lib.nn.functional.max_pool2d(x, (2, 3), (1, 2), (1, 0),
                                                                 dilation=(2, 1),
                                                                 ceil_mode=True)),
    ("avg_pool", lambda lib, x: lib.nn.functional.avg_pool2d(x, 2)),
    ("avg_pool_pad", lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1,
                                                                 count_include_pad=False)),
    ("global_avg", lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, (1, 1))),
    ("relu", lambda lib, x: lib.relu(x)),
    ("add_relu", lambda lib, x: (x * 2 + x).relu()),
]


@pytest.mark.parametrize("name, fn", LAYERS)
def test_values_and_gradients(name, fn):
    check_op(lambda lib, x: fn(lib, _cl(lib, x)), [(3, 4, 7, 6)], lib=True)
    check_op(lambda lib, x: fn(lib, _cl(lib, x)), [(2, 4, 6, 6)], lib=True, dtype="float32")


@pytest.mark.parametrize("name, fn", LAYERS)
@pytest.mark.parametrize("up_cl", [True, False])
def test_layout_as_torch(name, fn, up_cl):
    got, want = _strides(fn, (3, 4, 7, 6), up_cl)
    assert got[0] == want[0]
    if up_cl:       # (an NCHW upstream gradient: torch's kernels differ in what they return)
        assert got[1] == want[1]


def test_max_pool_indices_as_torch():
    a = np.random.RandomState(2).randn(2, 3, 6, 5)
    got = gt.nn.functional.max_pool2d(_cl(gt, gt.tensor(a)), 2, return_indices=True)[1]
    want = torch.nn.functional.max_pool2d(_cl(torch, torch.tensor(a)), 2,
                                          return_indices=True)[1]
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert got.stride() == want.stride()


def test_resnet_block_stays_channels_last():
    """A residual block on channels-last input: every intermediate is channels-last (no
    conversion back to NCHW between layers), and the result equals the NCHW one."""
    gt.manual_seed(0)
    conv1, bn1 = gt.nn.Conv2d(8, 8, 3, padding=1, bias=False), gt.nn.BatchNorm2d(8)
    conv2, bn2 = gt.nn.Conv2d(8, 8, 3, padding=1, bias=False), gt.nn.BatchNorm2d(8)
    x = gt.randn(4, 8, 8, 8)
    outs = []
    for fmt in (gt.contiguous_format, gt.channels_last):
        for m in (conv1, conv2):
            m.to(memory_format=fmt)
        xi = x.contiguous(memory_format=fmt)
        seen = []
        y = xi
        for f in (conv1, bn1, lambda t: t.relu(), conv2, bn2, lambda t: (t + xi).relu()):
            y = f(y)
            seen.append(y.is_contiguous(memory_format=fmt))
        assert all(seen), seen
        outs.append(y.detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("n", [1, 2])
def test_batch_norm_threaded(monkeypatch, n):
    """Channels-last BatchNorm's per-sample sums (BLAS matrix-vector products) split over n
    threads."""
    from glasstorch.backend import threads
    from glasstorch.ops import batchnorm
    monkeypatch.setattr(threads, "THRESHOLD", 1 << 10)
    monkeypatch.setattr(batchnorm, "_BLOCK_BYTES", 1 << 10)
    before = threads.get_num_threads()
    threads.set_num_threads(n)
    try:
        check_op(lambda lib, x: LAYERS[0][1](lib, _cl(lib, x)), [(8, 4, 6, 5)], lib=True,
                 dtype="float32")
    finally:
        threads.set_num_threads(before)
