"""backend/numba_conv_gemm.py (whole conv slices in one GIL-free numba call, NumPy's sgemm
called from compiled code; runs by default when numba is installed) against the NumPy path,
bit for bit, on 1 and 2 threads: the row-column forward, the col2im input gradient and the
per-sample weight gradient, with special values, and that those paths really ran."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import kernels as selection, threads
from glasstorch.ops import conv_kernels

ng = pytest.importorskip("glasstorch.backend.numba_conv_gemm")
F = gt.nn.functional


@pytest.fixture
def restore():
    before = selection._active, selection._chosen, threads.get_num_threads()
    yield
    selection._active, selection._chosen = before[:2]
    threads.set_num_threads(before[2])


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_gemm_found_and_same_bits_as_matmul():
    """NumPy's sgemm is found here (the wheel's OpenBLAS), and its calls from compiled code
    give numpy.matmul's bytes for each operand layout the kernels use."""
    fn = ng.gemm()
    assert fn is not None
    rng = np.random.default_rng(3)
    a = rng.standard_normal((7, 33)).astype(np.float32)
    b = rng.standard_normal((33, 50)).astype(np.float32)[:, :41]     # a row stride of 50
    b[3, 4], a[2, 5] = np.nan, np.inf
    c = np.empty((7, 41), np.float32)
    ng._gemm_call(fn, a, b, c, False, False)
    assert c.tobytes() == np.matmul(a, b).tobytes()
    at, bt = np.ascontiguousarray(a.T), np.ascontiguousarray(b.T)
    ng._gemm_call(fn, at, b, c, True, False)
    assert c.tobytes() == np.matmul(at.T, b).tobytes()
    ng._gemm_call(fn, a, bt, c, False, True)
    assert c.tobytes() == np.matmul(a, bt.T).tobytes()


CASES = [  # (batch, in channels, H, W, out channels, kernel, padding, stride, dilation)
    (128, 1, 28, 28, 6, 5, 2, 1, 1),          # LeNet's first conv
    (37, 6, 14, 14, 16, 5, 0, 1, 1),          # LeNet's second conv (odd batch)
    (3, 2, 9, 11, 4, 5, (1, 2), (1, 2), 1),
    (5, 3, 12, 12, 6, (5, 3), 1, 1, (1, 2)),
    (7, 16, 20, 20, 4, 3, 1, 1, 1),           # im2col path forward, col2im input gradient
    (2, 4, 17, 16, 3, (6, 5), (3, 0), (1, 3), 1),
    (9, 8, 6, 7, 3, 3, 0, 1, 1),              # batch-last weight gradient (few pixels)
    (5, 32, 8, 8, 32, 3, 1, 1, 1),            # ResNet-small's 8x8 stage
    (40, 64, 8, 8, 64, 3, 1, 1, 1),           # 3 batch-last chunks, claimed one at a time
    (3, 32, 32, 32, 32, 3, 1, 1, 1),          # ResNet-small's 32x32 stage: row blocks
    (2, 64, 16, 16, 64, 3, 1, 1, 1),          # its 16x16 stage: one GEMM per sample
    (3, 8, 34, 36, 16, 3, 1, 2, 1),           # per-sample columns, stride 2 (flat copies)
    (2, 4, 64, 32, 8, 3, 1, 2, 1),            # ... in 2 blocks of 16 output rows
    (2, 6, 20, 40, 8, 3, (1, 0), (1, 2), 1),  # ... stride 2 in width only
    (21, 24, 16, 15, 40, 3, 1, 2, 1),         # stride 2 to 8x8 (batch-last forward)
    (6, 16, 9, 9, 32, 3, 1, 2, 1),            # stride 2
    (4, 3, 7, 6, 2, (2, 3), (1, 0), (2, 1), (1, 2)),
]


def _run(case, kern, n_threads, monkeypatch, special):
    N, C, H, W, O, k, pad, stride, dil = case
    selection.set_kernels(kern)
    threads.set_num_threads(n_threads)
    monkeypatch.setattr(conv_kernels, "_FUSED_SPLIT_BYTES", 1)   # split whatever the size
    monkeypatch.setattr(threads, "THRESHOLD", 1)
    rng = np.random.default_rng(5)
    k = (k, k) if isinstance(k, int) else k
    xv = rng.standard_normal((N, C, H, W)).astype(np.float32)
    wv = rng.standard_normal((O, C) + k).astype(np.float32)
    gv = None
    if special:
        xv.reshape(-1)[:6] = [np.nan, np.inf, -np.inf, -0.0, 1e30, -1e30]
        xv[-1] = -0.0
        wv.reshape(-1)[1] = 1e20
    x = gt.tensor(xv, requires_grad=True)
    w = gt.tensor(wv, requires_grad=True)
    b = gt.tensor(rng.standard_normal(O).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, b, padding=pad, stride=stride, dilation=dil)
    gv = rng.standard_normal(y.shape).astype(np.float32)
    if special:
        gv.reshape(-1)[:3] = [np.inf, -0.0, np.nan]
    y.backward(gt.tensor(gv))
    return [t.numpy().tobytes() for t in (y.detach(), x.grad, w.grad, b.grad)]


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
@pytest.mark.parametrize("special", [False, True])
@pytest.mark.parametrize("case", CASES)
def test_conv_same_bits_numpy_and_fused_on_1_and_2_threads(case, special, monkeypatch,
                                                           restore):
    """The forward, input and weight gradients: the NumPy path on one thread, the fused
    numba slices on one and two threads (each thread a slice), byte for byte."""
    want = _run(case, "numpy", 1, monkeypatch, special)
    for n in (1, 2):
        assert _run(case, "numba", n, monkeypatch, special) == want, n


def test_lenet_convs_take_the_fused_slices(monkeypatch, restore):
    """LeNet's convs (forwards, input gradients, conv1's per-sample weight gradient,
    conv2's batch-last one: 10x10 outputs) run as fused slices, two per call on two
    threads."""
    calls = []
    for name in ("rows_forward", "col2im_grad", "weight_grad_samples",
                 "weight_grad_batch_last"):
        def spy(*args, _f=getattr(ng, name), _n=name):
            calls.append(_n)
            return _f(*args)
        monkeypatch.setattr(ng, name, spy)
    _run(CASES[0], "numba", 2, monkeypatch, False)
    _run(CASES[1], "numba", 2, monkeypatch, False)
    assert calls.count("rows_forward") == 4
    # one call per 2 MiB chunk (5 + 2 chunks): chunks that large are claimed one at a time
    assert calls.count("col2im_grad") == 7
    assert calls.count("weight_grad_samples") == 2
    assert calls.count("weight_grad_batch_last") == 2
    selection._active, selection._chosen = None, True     # the NumPy path: none
    calls.clear()
    _run(CASES[0], "numpy", 2, monkeypatch, False)
    assert calls == []


def test_batch_last_convs_take_the_fused_slices(monkeypatch, restore):
    """A conv with an 8x8 output (ResNet-small's last stage) runs its forward, its flipped
    input gradient and its weight gradient as fused batch-last chunks: 3 chunks, each one
    call (claimed one at a time) on two threads; the NumPy path calls none."""
    calls = []
    for name in ("forward_batch_last", "weight_grad_batch_last"):
        def spy(*args, _f=getattr(ng, name), _n=name):
            calls.append((_n, args[5] - args[4]))
            return _f(*args)
        monkeypatch.setattr(ng, name, spy)
    _run(CASES[8], "numba", 2, monkeypatch, False)
    assert calls.count(("forward_batch_last", 1)) == 6       # forward + input gradient
    assert calls.count(("weight_grad_batch_last", 1)) == 3
    calls.clear()
    _run(CASES[8], "numba", 1, monkeypatch, False)
    assert sorted(calls) == [("forward_batch_last", 3)] * 2 + [("weight_grad_batch_last", 3)]
    selection._active, selection._chosen = None, True
    calls.clear()
    _run(CASES[8], "numpy", 2, monkeypatch, False)
    assert calls == []


def test_per_sample_convs_take_the_fused_slices(monkeypatch, restore):
    """A 32x32-output conv (ResNet-small's first stage: row blocks) runs its forward and its
    flipped input gradient as fused per-sample chunks (one sample of >= 512 KiB of columns
    each, claimed one at a time on two threads), and its weight gradient's chunk products
    are summed by sum_parts; the NumPy path calls none of them."""
    calls = []
    for name in ("forward_samples", "sum_parts"):
        def spy(*args, _f=getattr(ng, name), _n=name):
            calls.append(_n)
            return _f(*args)
        monkeypatch.setattr(ng, name, spy)
    _run(CASES[9], "numba", 2, monkeypatch, False)
    assert calls.count("forward_samples") == 6
    assert calls.count("sum_parts") >= 1
    selection._active, selection._chosen = None, True
    calls.clear()
    _run(CASES[9], "numpy", 2, monkeypatch, False)
    assert calls == []
