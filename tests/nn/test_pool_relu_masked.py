"""Max pooling of a relu's output: the pool's gradient scatter applies the relu's gradient mask
in the same compiled pass (ops/pool.py `_relu_masked`, backend/numba_pool.py `scatter_relu`)
and the relu's backward then passes that array on. Checked byte for byte against the
unfused path (the scatter, then the relu's own mask): the kernel alone (written and added
scatters, NaN/inf/-0.0 in gy and in the relu's output, 1 and 2 threads), conv -> relu ->
pool gradients, a relu output with a second consumer; and where the pool's own gradient can
be seen (a hook or retain_grad on the relu's output, autograd.grad, create_graph, anomaly
mode, node hooks) the fused path is not taken and the pure scatter is what is seen."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import pool_kernels, threads
from glasstorch.ops import pool as pool_ops

pytest.importorskip("numba")
from glasstorch.backend import numba_elementwise, numba_pool  # noqa: E402


@pytest.fixture(params=[1, 2])
def n_threads(request, monkeypatch):
    monkeypatch.setattr(numba_pool, "MAX2X2_SPLIT_BYTES", 1 << 8)
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield request.param
    threads.set_num_threads(before)


@pytest.fixture
def spy(monkeypatch):
    """Counts the pool backward calls that took the fused path."""
    taken = []
    real = pool_ops._relu_masked

    def counting(ctx, gy):
        r = real(ctx, gy)
        taken.append(r is not None)
        return r
    monkeypatch.setattr(pool_ops, "_relu_masked", counting)
    return taken


def _unfused(monkeypatch):
    monkeypatch.setattr(pool_ops, "_relu_masked", lambda ctx, gy: None)


@pytest.mark.parametrize("geometry, out", [
    (((2, 2, 1, 0), (2, 2, 1, 0)), (4, 4)),          # LeNet's: written
    (((3, 1, 1, 0), (3, 2, 1, 0)), (7, 3)),          # overlapping: added
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_same_bits(geometry, out, dtype, n_threads):
    rng = np.random.default_rng(0)
    y = np.maximum(rng.integers(-2, 3, (5, 7, 9, 8)), 0).astype(dtype)   # many zeros, ties
    y[0, 0, 0, :3] = [np.nan, np.inf, -0.0]
    _, index = pool_kernels.window_max(y, geometry, out)
    g = rng.standard_normal(index.shape).astype(dtype)
    g[0, 0, 0, :3] = [np.nan, -0.0, np.inf]
    g[1, 1] = -0.0
    accumulate = geometry[0][1] < geometry[0][0]
    scattered = numba_pool.scatter_planes(g, index, (9, 8), accumulate)
    want = numba_elementwise.relu_backward(y, scattered)
    got = numba_pool.scatter_relu(g, index, y, accumulate)
    assert got.shape == y.shape and got.flags.c_contiguous
    assert got.tobytes() == want.tobytes()
    bad = index.copy()
    bad[0, 0, 0, 0] = 72                            # off the plane: the unfused path decides
    assert numba_pool.scatter_relu(g, bad, y, accumulate) is None


def _stack(x, w, b, pool):
    return gt.nn.functional.max_pool2d(gt.relu(gt.nn.functional.conv2d(x, w, b, padding=1)),
                                       *pool)


def _grads(pool, monkeypatch=None, extra=None):
    rng = np.random.default_rng(3)
    x = gt.tensor(rng.standard_normal((6, 3, 10, 10)).astype(np.float32), requires_grad=True)
    w = gt.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = gt.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    y = _stack(x, w, b, pool)
    gy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    gy.reshape(-1)[:4] = [np.nan, -0.0, np.inf, 0.0]
    loss = (y * gt.tensor(gy)).sum()
    if extra is not None:
        loss = loss + extra(x, w, b)
    loss.backward()
    return [t.grad.numpy().tobytes() for t in (x, w, b)]


@pytest.mark.parametrize("pool", [(2,), (3, 2, 1)])        # written / added scatter
def test_conv_relu_pool_gradients_same_bits(pool, n_threads, spy, monkeypatch):
    got = _grads(pool)
    assert spy == [True]
    _unfused(monkeypatch)
    assert got == _grads(pool)


def test_relu_output_with_a_second_consumer(spy, monkeypatch):
    def both(x, w, b):      # the relu's output also feeds a sum: the relu masks the sum
        r = gt.relu(gt.nn.functional.conv2d(x, w, b, padding=1))
        return (gt.nn.functional.max_pool2d(r, 2) * 3).sum() + (r * 0.25).sum()
    got = _grads((2,), extra=both)
    assert spy[-1] is True, spy
    _unfused(monkeypatch)
    assert got == _grads((2,), extra=both)


def _relu_and_pool():
    rng = np.random.default_rng(4)
    x = gt.tensor(rng.standard_normal((4, 3, 8, 8)).astype(np.float32), requires_grad=True)
    r = gt.relu(x * 1.0)
    return x, r, gt.nn.functional.max_pool2d(r, 2)


def _loss(p):
    return (p * 2.0).sum()      # (a contiguous gradient: p.sum()'s is a broadcast view)


def _pure_scatter(r, p):
    """What the pool's backward must give the relu's output when something can see it."""
    gy = np.full(tuple(p.shape), 2.0, np.float32)
    return numba_pool.scatter_planes(gy, p.grad_fn.index, tuple(r.shape[2:]), False)


def test_hook_on_relu_output_sees_the_pure_scatter(spy):
    x, r, p = _relu_and_pool()
    seen = []
    r.register_hook(lambda g: seen.append(g.numpy().copy()))
    want = _pure_scatter(r, p)
    _loss(p).backward()
    assert spy == [False]
    assert seen[0].tobytes() == want.tobytes()
    assert np.count_nonzero(seen[0]) > np.count_nonzero(x.grad.numpy())   # masked after


def test_retain_grad_and_autograd_grad_see_the_pure_scatter(spy):
    x, r, p = _relu_and_pool()
    r.retain_grad()
    want = _pure_scatter(r, p)
    _loss(p).backward()
    assert r.grad.numpy().tobytes() == want.tobytes()
    x, r, p = _relu_and_pool()
    want = _pure_scatter(r, p)
    (g,) = gt.autograd.grad(_loss(p), r)
    assert g.numpy().tobytes() == want.tobytes()
    x, r, p = _relu_and_pool()
    _loss(p).backward(inputs=[x])
    assert spy == [False, False, False]


def test_node_hooks_create_graph_and_anomaly_take_the_unfused_path(spy):
    x, r, p = _relu_and_pool()
    seen = []
    p.grad_fn.register_hook(lambda gin, gout: seen.append(gin[0].numpy().copy()))
    want = _pure_scatter(r, p)
    _loss(p).backward()
    assert seen[0].tobytes() == want.tobytes()
    x, r, p = _relu_and_pool()
    r.grad_fn.register_hook(lambda gin, gout: seen.append(gout[0].numpy().copy()))
    _loss(p).backward()
    assert seen[1].tobytes() == want.tobytes()
    x, r, p = _relu_and_pool()
    (g,) = gt.autograd.grad((p * p).sum(), x, create_graph=True)
    assert spy == [False, False, False]
    g.sum().backward()                    # second order through the pool and the relu
    assert x.grad is not None
    del spy[:]
    with gt.autograd.set_detect_anomaly(True):
        x, r, p = _relu_and_pool()
        _loss(p).backward()
    assert spy == [False]
    x, r, p = _relu_and_pool()            # and with nothing watching: fused
    _loss(p).backward()
    assert spy[-1] is True, spy
