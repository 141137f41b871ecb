"""A conv's backward runs its input gradient's, weight gradient's and bias sum's pool work as
one region (ops/conv_regions.py `joined`, `batch_sum`): the same bits as separate regions
and as NumPy's sums, at 2 and 3 threads; one split region per backward where there were two
or three; not joined while a graph is recorded (create_graph)."""
import contextlib

import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import threads
from glasstorch.ops import conv_regions

pytest.importorskip("numba")
from glasstorch.backend import numba_elementwise  # noqa: E402

CASES = [   # LeNet's two convs (the second's chunks are claimed one at a time), a 3x3 one
    ((32, 1, 28, 28), (6, 1, 5, 5), dict(padding=2), False),
    ((32, 6, 14, 14), (16, 6, 5, 5), {}, True),
    ((16, 8, 12, 12), (8, 8, 3, 3), dict(padding=1), True),
]


@pytest.fixture(params=[2, 3])
def n_threads(request, monkeypatch):
    from glasstorch.ops import conv_kernels
    monkeypatch.setattr(conv_kernels, "_FUSED_SPLIT_BYTES", 1)   # split these small batches
    monkeypatch.setattr(threads, "THRESHOLD", 1)
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(before)


def _grads(shape, wshape, kwargs, x_grad):
    rng = np.random.default_rng(0)
    x = gt.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=x_grad)
    w = gt.tensor((rng.standard_normal(wshape) * 0.1).astype(np.float32), requires_grad=True)
    b = gt.tensor(rng.standard_normal(wshape[0]).astype(np.float32), requires_grad=True)
    y = gt.nn.functional.conv2d(x, w, b, **kwargs)
    gy = np.cos(np.arange(y.numel())).astype(np.float32).reshape(y.shape)
    gy.reshape(-1)[:3] = [-0.0, np.inf, -0.0]
    gy[:, 1] = -0.0                                  # a channel whose bias gradient is -0.0s
    y.backward(gt.tensor(gy))
    return [t.grad.numpy().tobytes() for t in ((x,) if x_grad else ()) + (w, b)]


@pytest.mark.parametrize("shape, wshape, kwargs, x_grad", CASES)
def test_joined_region_same_bits(shape, wshape, kwargs, x_grad, n_threads, monkeypatch):
    regions, real = [], threads.parallel_for

    def spy(n, fn, nbytes, *args, **options):
        regions.append(getattr(fn, "__qualname__", ""))
        real(n, fn, nbytes, *args, **options)
    monkeypatch.setattr(threads, "parallel_for", spy)
    got = _grads(shape, wshape, kwargs, x_grad)
    joined = [r for r in regions if r.startswith("joined.")]
    assert len(joined) == 1
    monkeypatch.setattr(conv_regions, "joined", lambda on: contextlib.nullcontext())
    regions.clear()
    assert got == _grads(shape, wshape, kwargs, x_grad)
    assert not any(r.startswith("joined.") for r in regions)
    threads.set_num_threads(1)
    assert got == _grads(shape, wshape, kwargs, x_grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_sum_is_numpys(dtype):
    rng = np.random.default_rng(1)
    g = rng.standard_normal((37, 5, 7, 3)).astype(dtype)
    g[:, 0] = -0.0
    g[3, 1, 2, :] = [np.nan, np.inf, -np.inf]
    g2 = g.reshape(37, -1)
    out = np.empty(g2.shape[1], dtype)
    for i, j in ((0, 40), (40, 41), (41, 105)):
        numba_elementwise.batch_sum(g2, i, j, out)
    assert out.tobytes() == g.sum(axis=(0,), dtype=dtype).reshape(-1).tobytes()


def test_not_joined_while_recording(n_threads):
    x = gt.tensor(np.ones((4, 2, 6, 6), np.float32), requires_grad=True)
    w = gt.tensor(np.full((3, 2, 3, 3), 0.5, np.float32), requires_grad=True)
    b = gt.tensor(np.zeros(3, np.float32), requires_grad=True)
    y = gt.nn.functional.conv2d(x, w, b)
    gx, gw, gb = gt.autograd.grad((y * y).sum(), (x, w, b), create_graph=True)
    (gx.sum() + gw.sum() + gb.sum()).backward()     # second order: the regions ran in order
    assert x.grad is not None and conv_regions.queue() is None
