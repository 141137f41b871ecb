"""The fused batch_norm op (ops/batchnorm.py) on inputs big enough to be split into blocks and
over the thread pool: values and gradients against torch at 1 and 2 threads (training and
eval), and bit-identical results whatever the thread count."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import threads
from glasstorch.ops import batchnorm, batchnorm_rows
from helpers import check_op
from kernel_choice import kernels  # noqa: F401  (fixture: NumPy and numba kernels)


@pytest.fixture(params=[1, 2])
def n_threads(request, monkeypatch):
    monkeypatch.setattr(threads, "THRESHOLD", 1 << 10)
    monkeypatch.setattr(batchnorm, "_BLOCK_BYTES", 1 << 10)   # several blocks per slice
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(before)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape, cl", [((6, 4, 5, 7), False), ((6, 4, 5, 7), True),
                                       ((40, 8), False)])
def test_batch_norm_blocks_and_threads(n_threads, shape, training, cl, kernels):
    c = shape[1]

    def fn(lib, x, w, b):
        rm = lib.zeros(c, dtype=x.dtype) + 0.5
        rv = lib.ones(c, dtype=x.dtype) * 2
        if cl:
            x = x.contiguous(memory_format=lib.channels_last)
        return lib.nn.functional.batch_norm(x, rm, rv, w, b, training=training)
    check_op(fn, [shape, (c,), (c,)], lib=True)
    check_op(fn, [shape, (c,), (c,)], lib=True, dtype="float32", layout="T")


def test_batch_norm_same_bits_any_thread_count(monkeypatch, kernels):
    monkeypatch.setattr(threads, "THRESHOLD", 1 << 10)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3, 9, 9)).astype(np.float32) * 3 + 1
    gy = rng.standard_normal(x.shape).astype(np.float32)
    before = threads.get_num_threads()
    results = []
    try:
        for n in (1, 2):
            threads.set_num_threads(n)
            xt = gt.tensor(x, requires_grad=True)
            w = gt.ones(3, requires_grad=True)
            y = gt.nn.functional.batch_norm(xt, None, None, w, None, training=True)
            y.backward(gt.tensor(gy))
            results.append((y.detach().numpy(), xt.grad.numpy(), w.grad.numpy()))
    finally:
        threads.set_num_threads(before)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("row_block, expand", [(1 << 10, 1 << 20), (300, 1 << 20), (300, 0),
                                               (1 << 20, 0)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_nchw_row_blocks(monkeypatch, row_block, expand, training, kernels):
    """The NumPy NCHW passes (batchnorm_rows._Rows): blocks of whole samples (1 KiB, 1 MiB) or of
    channel runs within a sample (300 bytes: two 35-value rows), per-channel numbers as full
    rows or as columns (expand 0), at 2 threads; float64 and float32 against torch."""
    monkeypatch.setattr(threads, "THRESHOLD", 1 << 8)
    monkeypatch.setattr(batchnorm_rows, "_ROW_BLOCK_BYTES", row_block)
    monkeypatch.setattr(batchnorm_rows, "_EXPAND_BYTES", expand)
    before = threads.get_num_threads()
    threads.set_num_threads(2)

    def fn(lib, x, w, b):
        rm = lib.zeros(4, dtype=x.dtype) + 0.5
        rv = lib.ones(4, dtype=x.dtype) * 2
        y = lib.nn.functional.batch_norm(x, rm, rv, w, b, training=training, momentum=0.3)
        return y, rm, rv
    try:
        check_op(fn, [(6, 4, 5, 7), (4,), (4,)], lib=True)
        check_op(fn, [(6, 4, 5, 7), (4,), (4,)], lib=True, dtype="float32", low=-3, high=5)
        check_op(fn, [(6, 4, 35), (4,), (4,)], lib=True, dtype="float32")
    finally:
        threads.set_num_threads(before)


@pytest.mark.parametrize("shape", [(40, 8), (40, 8, 1), (40, 8, 1, 1)])
def test_batch_norm_1d_one_value_per_sample_channel(shape, kernels):
    """(N, C), (N, C, 1), (N, C, 1, 1): the channels-last passes over the (N, 1, C) view (no
    copy); results keep torch's (row-major) strides."""
    def fn(lib, x, w, b):
        rm, rv = lib.zeros(8, dtype=x.dtype), lib.ones(8, dtype=x.dtype)
        return lib.nn.functional.batch_norm(x, rm, rv, w, b, training=True), rm, rv
    check_op(fn, [shape, (8,), (8,)], lib=True)
    (g, _, _), (t, _, _) = check_op(fn, [shape, (8,), (8,)], lib=True, dtype="float32")
    assert g.stride() == t.stride()
    x = gt.randn(*shape, requires_grad=True)
    y = gt.nn.functional.batch_norm(x, None, None, training=True)
    y.backward(gt.ones(*shape))
    assert x.grad.stride() == x.stride() and y.detach().numpy().flags.c_contiguous


def test_batch_norm_running_stats_as_torch(kernels):
    """momentum, the unbiased running variance and num_batches_tracked after three steps of
    BatchNorm2d (NCHW and channels-last), momentum=None (cumulative average) too."""
    import torch
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((5, 3, 4, 6)).astype(np.float32) * 2 + 1 for _ in range(3)]
    for momentum in (0.1, None):
        for cl in (False, True):
            g, t = gt.nn.BatchNorm2d(3, momentum=momentum), torch.nn.BatchNorm2d(
                3, momentum=momentum)
            for x in xs:
                gx, tx = gt.tensor(x), torch.tensor(x)
                if cl:
                    gx = gx.contiguous(memory_format=gt.channels_last)
                    tx = tx.contiguous(memory_format=torch.channels_last)
                g(gx)
                t(tx)
            for name in ("running_mean", "running_var"):
                np.testing.assert_allclose(getattr(g, name).numpy(),
                                           getattr(t, name).numpy(), rtol=1e-6, atol=1e-7)
            assert int(g.num_batches_tracked.item()) == int(t.num_batches_tracked.item()) == 3
