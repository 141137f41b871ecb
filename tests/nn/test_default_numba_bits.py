"""BatchNorm's and relu's passes that run on numba by default (backend.kernels.exact_kernels:
numba installed, no kernel choice made) give the NumPy path's bits: outputs, input/weight/bias
gradients and running statistics compared byte for byte against GLASSTORCH_KERNELS=numpy, for
NCHW, channels-last, (N, C) and (N, C, L) inputs, odd sizes, float32 and float64, train and
eval, NaN/inf/-0.0 in the input, at 1 and 2 threads (results must not depend on the count).
A NaN is compared as a NaN: where two NaNs meet, IEEE 754 leaves which one's sign survives to
the hardware, and compiled code may commute an addition's operands (channels-last with NaN
statistics: NumPy gave 0xffc00000 where numba gave 0x7fc00000); every other bit is equal."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import kernels as selection, threads
from glasstorch.ops import batchnorm_rows

pytest.importorskip("numba")

SHAPES = [(5, 6, 7, 9), (3, 17, 5, 3), (4, 32, 8, 8), (7, 5), (6, 3, 11), (2, 4, 1, 1),
          (2, 3, 33, 31)]        # rows of 1023: NumPy's pairwise sum splits them (bn_row_sums)


@pytest.fixture
def default_kernels():
    """Neither set_kernels nor GLASSTORCH_KERNELS: the state a user gets by default; yields a
    function that runs fn on the NumPy kernels (a choice made) and on the default."""
    saved = selection._active, selection._chosen

    def both(fn):
        selection.set_kernels("numpy")
        want = fn()
        selection._active, selection._chosen = None, False
        assert selection.exact_kernels() is not None
        got = fn()
        return want, got
    yield both
    selection._active, selection._chosen = saved


def _bits(a):
    """a's bytes, every NaN written as the one quiet NaN (see the module docstring)."""
    a = np.ascontiguousarray(a)
    return np.where(np.isnan(a), a.dtype.type(np.nan), a).tobytes()


def _run(x, training, affine, channels_last, special):
    C = x.shape[1]
    rng = np.random.default_rng(1)
    w = (rng.standard_normal(C) + 1).astype(x.dtype)
    b = rng.standard_normal(C).astype(x.dtype)
    gy = rng.standard_normal(x.shape).astype(x.dtype)
    xs = x.copy()
    if special:
        xs.reshape(-1)[[0, 5]] = [-0.0, 0.0]
        xs[0, 0].reshape(-1)[:3] = [np.nan, np.inf, -np.inf]   # channel 0: nan statistics
        gy[-1, -1].reshape(-1)[:2] = [np.inf, -0.0]

    def fn():
        xt = gt.tensor(xs, requires_grad=True)
        if channels_last:
            xt = xt.contiguous(memory_format=gt.channels_last)
            xt.retain_grad()
        wt = gt.tensor(w, requires_grad=True) if affine else None
        bt = gt.tensor(b, requires_grad=True) if affine else None
        rm, rv = gt.tensor(b * 0.1), gt.tensor(w * w)
        y = gt.nn.functional.batch_norm(xt, rm, rv, wt, bt, training=training)
        y.backward(gt.tensor(gy))
        out = [y.detach().numpy(), xt.grad.numpy(), rm.numpy(), rv.numpy()]
        if affine:
            out += [wt.grad.numpy(), bt.grad.numpy()]
        return [_bits(a) for a in out]
    return fn


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_default_numba_same_bits(default_kernels, shape, dtype, training):
    x = (np.random.default_rng(0).standard_normal(shape) * 2 + 0.5).astype(dtype)
    for affine in (True, False):
        for cl in (False, True) if len(shape) == 4 else (False,):
            want, got = default_kernels(_run(x, training, affine, cl, special=False))
            assert want == got


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_default_numba_nan_inf_zero(default_kernels, dtype):
    x = np.random.default_rng(2).standard_normal((4, 3, 5, 6)).astype(dtype)
    for training in (True, False):
        for cl in (False, True):
            want, got = default_kernels(_run(x, training, True, cl, special=True))
            assert want == got


@pytest.mark.parametrize("n_threads", [1, 2])
def test_batch_norm_default_numba_threads(default_kernels, monkeypatch, n_threads):
    """Split over the pool (a low THRESHOLD): the same bits as the NumPy path at 1 thread."""
    x = np.random.default_rng(3).standard_normal((9, 8, 6, 5)).astype(np.float32)
    want, _ = default_kernels(_run(x, True, True, False, special=False))
    before = threads.get_num_threads()
    monkeypatch.setattr(threads, "THRESHOLD", 1 << 8)
    monkeypatch.setattr(batchnorm_rows, "_SPLIT_BYTES", 1 << 8)     # its compiled passes too
    threads.set_num_threads(n_threads)
    try:
        for cl in (False, True):
            ref, got = default_kernels(_run(x, True, True, cl, special=False))
            assert ref == got
        assert default_kernels(_run(x, True, True, False, special=False))[1] == want
    finally:
        threads.set_num_threads(before)


@pytest.mark.parametrize("channels_last", [False, True])
def test_relu_gradient_default_numba_same_bits(default_kernels, channels_last):
    """relu's gradient from one numba block up (piecewise._RELU_KERNEL_SIZE elements)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 16, 32, 33)).astype(np.float32)
    x.reshape(-1)[:4] = [np.nan, -0.0, 0.0, np.inf]
    gy = rng.standard_normal(x.shape).astype(np.float32)

    def fn():
        xt = gt.tensor(x, requires_grad=True)
        xi = xt.contiguous(memory_format=gt.channels_last) if channels_last else xt
        y = xi.relu()
        y.backward(gt.tensor(gy))
        return [_bits(y.detach().numpy()), _bits(xt.grad.numpy())]
    want, got = default_kernels(fn)
    assert want == got


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("stride, padding, kernel", [(2, 1, 3), (1, 1, 3), (2, 0, 1)])
def test_conv_default_numba_same_bits(default_kernels, channels_last, stride, padding, kernel):
    """conv2d's channels-last kernels (conv_kernels_nhwc._copy_kernels: im2col, col2im and
    the tiled transposes compiled by default; NCHW stride-2 input gradients run there too,
    made contiguous by conv_kernels_nhwc.contiguous): values and both gradients."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 16, 9, 11)).astype(np.float32)
    x.reshape(-1)[:4] = [np.nan, -0.0, np.inf, -np.inf]
    w = (rng.standard_normal((24, 16, kernel, kernel)) * 0.2).astype(np.float32)

    def fn():
        xt = gt.tensor(x, requires_grad=True)
        wt = gt.tensor(w, requires_grad=True)
        xi = xt.contiguous(memory_format=gt.channels_last) if channels_last else xt
        y = gt.nn.functional.conv2d(xi, wt, stride=stride, padding=padding)
        gy = np.cos(np.arange(y.numel(), dtype=np.float32)).reshape(tuple(y.shape))
        y.backward(gt.tensor(gy))
        return [_bits(a) for a in (y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy())]
    want, got = default_kernels(fn)
    assert want == got


def test_batch_norm_compiled_passes_split_from_4_mib(default_kernels, monkeypatch):
    """The compiled row passes split over the pool by the size of x alone, from
    batchnorm_rows._SPLIT_BYTES (4 MiB) on: ResNet-small's 2 MiB 8x8 layers run serially,
    forward and backward (the backward reads x and gy: still x's size), its 4 MiB layers
    split."""
    sizes = []
    real = threads.parallel_for

    def spy(n, fn, nbytes, **kw):
        if kw.get("threshold") == batchnorm_rows._SPLIT_BYTES:
            sizes.append(nbytes >= kw["threshold"])
        return real(n, fn, nbytes, **kw)
    monkeypatch.setattr(threads, "parallel_for", spy)
    selection._active, selection._chosen = None, False
    for C, H, split in ((128, 8, False), (64, 16, True)):
        sizes.clear()
        x = gt.tensor(np.ones((64, C, H, H), np.float32), requires_grad=True)
        gt.nn.BatchNorm2d(C)(x).sum().backward()
        assert sizes and set(sizes) == {split}, (C, H)
