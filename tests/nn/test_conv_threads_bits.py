"""Convolution gradients are the same bits at 1 and 2 threads (the project's rule: split
outputs, not sums). Weight gradients sum one product per chunk of samples; the chunks were
summed per thread, so torch.set_num_threads changed the rounding (ResNet-small's layers:
thousands of elements differing by up to ~1e-4)."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import threads
from glasstorch.ops import conv_kernels, conv_kernels_nhwc

CASES = [   # (input, weight, conv2d arguments): each path of the conv kernels
    ((16, 8, 12, 12), (8, 8, 3, 3), dict(padding=1)),               # per-sample columns
    ((16, 8, 12, 12), (16, 8, 3, 3), dict(stride=2, padding=1)),    # strided
    ((16, 16, 6, 6), (16, 16, 3, 3), dict(padding=1)),              # batch-last (few pixels)
    ((16, 6, 14, 14), (16, 6, 5, 5), {}),                           # LeNet's second conv
    ((16, 1, 28, 28), (6, 1, 5, 5), dict(padding=2)),               # LeNet's first (rows)
    ((16, 4, 10, 10), (8, 2, 3, 3), dict(groups=2, padding=1)),     # grouped
    ((16, 8, 12, 12), (16, 8, 1, 1), dict(stride=2)),               # 1x1 (a shortcut)
]


def _grads(shape, wshape, kwargs, n, channels_last):
    rng = np.random.default_rng(0)
    gt.set_num_threads(n)
    x = gt.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    w = gt.tensor((rng.standard_normal(wshape) * 0.1).astype(np.float32), requires_grad=True)
    b = gt.tensor(rng.standard_normal(wshape[0]).astype(np.float32), requires_grad=True)
    xx = x.contiguous(memory_format=gt.channels_last) if channels_last else x
    y = gt.nn.functional.conv2d(xx, w, b, **kwargs)
    y.backward(gt.tensor(np.cos(np.arange(y.numel())).astype(np.float32).reshape(y.shape)))
    return [t.detach().numpy().tobytes() for t in (y, x.grad, w.grad, b.grad)]


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("shape, wshape, kwargs", CASES)
def test_same_bits_at_one_and_two_threads(shape, wshape, kwargs, channels_last, monkeypatch):
    monkeypatch.setattr(threads, "THRESHOLD", 1)     # split even these small batches,
    monkeypatch.setattr(conv_kernels, "_POINTWISE_SPLIT_BYTES", 1)
    for module, name in ((conv_kernels, "_CHUNK_BYTES"), (conv_kernels, "_SAMPLE_CHUNK_BYTES"),
                         (conv_kernels_nhwc, "_CHUNK_BYTES")):
        monkeypatch.setattr(module, name, 1)         # into chunks of one sample
    before = threads.get_num_threads()
    try:
        one = _grads(shape, wshape, kwargs, 1, channels_last)
        two = _grads(shape, wshape, kwargs, 2, channels_last)
        three = _grads(shape, wshape, kwargs, 3, channels_last)
    finally:
        threads.set_num_threads(before)
    for name, a, b, c in zip(("y", "x.grad", "w.grad", "b.grad"), one, two, three):
        assert a == b == c, name
