"""The fused batch_norm op (ops/batchnorm.py) on inputs big enough to be split into blocks and
over the thread pool: values and gradients against torch at 1 and 2 threads (training and
eval), and bit-identical results whatever the thread count."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import threads
from glasstorch.ops import batchnorm
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
