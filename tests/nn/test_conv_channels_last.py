"""Convolutions on channels-last tensors (ops/conv_kernels_nhwc.py) against torch: values,
input and weight gradients (and second derivatives), the strides of results and gradients,
for both memory formats of input and weight; groups and empty batches take the NCHW kernels
and are laid out channels-last after."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.backend import threads
from glasstorch.ops import conv_kernels_nhwc as conv_nhwc
from helpers import check_op
from kernel_choice import kernels  # noqa: F401  (fixture: NumPy and numba kernels)


@pytest.fixture(autouse=True)
def _nhwc_kernels_for_few_channels(monkeypatch):
    """The small test shapes would take the NCHW kernels (conv_kernels_nhwc._NHWC_MIN_CHANNELS):
    make the channels-last kernels take every one (test_few_channels_fallback checks the
    default)."""
    monkeypatch.setattr(conv_nhwc, "_NHWC_MIN_CHANNELS", 1)


def _cl(lib, t, on=True):
    return t.contiguous(memory_format=lib.channels_last) if on else t


def _case(name, xs, ws, bias, kw, x_cl=True, w_cl=False):
    out_channels = ws[1] * kw.get("groups", 1) if "transpose" in name else ws[0]
    shapes = [xs, ws] + ([(out_channels,)] if bias else [])

    def fn(lib, x, w, b=None):
        return getattr(lib.nn.functional, name)(_cl(lib, x, x_cl), _cl(lib, w, w_cl), b, **kw)
    return fn, shapes


CASES = [
    ("conv2d", (2, 4, 6, 6), (3, 4, 3, 3), True, dict(padding=1)),
    ("conv2d", (2, 3, 7, 6), (4, 3, 3, 3), False, dict(stride=2, padding=1)),   # odd size
    ("conv2d", (2, 3, 8, 9), (5, 3, 5, 5), True, {}),
    ("conv2d", (2, 3, 8, 7), (4, 3, 3, 2), False, dict(stride=(2, 1), padding=(0, 1))),
    ("conv2d", (2, 4, 8, 8), (4, 4, 3, 3), False, dict(padding=2, dilation=2)),
    ("conv2d", (2, 3, 5, 6), (4, 3, 1, 1), True, {}),                       # one GEMM
    ("conv2d", (2, 3, 7, 6), (4, 3, 1, 1), False, dict(stride=2)),
    ("conv2d", (2, 4, 6, 6), (6, 2, 3, 3), True, dict(padding=1, groups=2)),  # NCHW kernels
    ("conv2d", (2, 4, 6, 6), (4, 1, 3, 3), False, dict(padding=1, groups=4)),  # depthwise
    ("conv2d", (2, 3, 6, 6), (4, 3, 3, 3), False, dict(padding="same")),
    ("conv_transpose2d", (2, 4, 3, 4), (4, 3, 3, 3), True, dict(padding=1)),
    ("conv_transpose2d", (2, 4, 3, 4), (4, 3, 3, 3), False, dict(stride=2, padding=1,
                                                                  output_padding=1)),
    ("conv_transpose2d", (2, 3, 5, 5), (3, 4, 3, 3), False, dict(padding=2, dilation=2,
                                                                  output_padding=1)),
    ("conv_transpose2d", (2, 4, 3, 4), (4, 3, 1, 1), True, dict(stride=2)),
]


@pytest.mark.parametrize("name, xs, ws, bias, kw", CASES)
@pytest.mark.parametrize("x_cl, w_cl", [(True, False), (False, True), (True, True)])
def test_channels_last_conv(name, xs, ws, bias, kw, x_cl, w_cl, kernels):
    fn, shapes = _case(name, xs, ws, bias, kw, x_cl, w_cl)
    g, t = check_op(fn, shapes, lib=True)
    assert g.stride() == t.stride()
    check_op(fn, shapes, lib=True, dtype="float32")
    if not bias and x_cl and not w_cl:
        check_op(fn, shapes, lib=True, double=True)


@pytest.mark.parametrize("name, xs, ws, bias, kw", CASES)
def test_gradient_strides(name, xs, ws, bias, kw):
    """Input and weight gradients are laid out as torch lays them out (the input's gradient
    channels-last, the weight's in the weight's own format), upstream gradient either way."""
    rs = np.random.RandomState(0)
    arrays = [rs.randn(*s) for s in _case(name, xs, ws, bias, kw)[1]]
    for w_cl in (False, True):
        for gy_cl in (False, True):
            strides = []
            for lib in (gt, torch):
                leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
                x = _cl(lib, leaves[0].detach(), True).requires_grad_()
                w = _cl(lib, leaves[1].detach(), w_cl).requires_grad_()
                y = getattr(lib.nn.functional, name)(x, w, *leaves[2:], **kw)
                up = lib.tensor(rs.randn(*y.shape) if lib is gt else up_np)
                up_np = up.numpy()
                y.backward(_cl(lib, up, gy_cl))
                strides.append((y.stride(), x.grad.stride(), w.grad.stride()))
            assert strides[0] == strides[1], (w_cl, gy_cl)


def test_same_values_as_nchw(kernels):
    """The channels-last kernels give the NCHW kernels' results (float32, within rounding),
    on either kernel choice."""
    rs = np.random.RandomState(1)
    x = gt.tensor(rs.randn(4, 8, 10, 10).astype(np.float32))
    for ws, kw in [((16, 8, 3, 3), dict(padding=1)), ((16, 8, 3, 3), dict(stride=2)),
                   ((16, 8, 1, 1), {})]:
        w = gt.tensor(rs.randn(*ws).astype(np.float32))
        outs = []
        for cl in (False, True):
            xi = _cl(gt, x, cl).detach().requires_grad_()
            wi = w.detach().requires_grad_()
            y = gt.nn.functional.conv2d(xi, wi, **kw)
            y.backward(gt.ones_like(y))
            outs.append([y.detach().numpy(), xi.grad.numpy(), wi.grad.numpy()])
        for a, b in zip(*outs):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


def test_empty_batch():
    fn, shapes = _case("conv2d", (0, 3, 5, 5), (4, 3, 3, 3), True, dict(padding=1))
    g, t = check_op(fn, shapes, lib=True)
    assert tuple(g.shape) == tuple(t.shape)


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("ws, kw", [((16, 16, 3, 3), dict(padding=1)),
                                    ((16, 16, 3, 3), dict(stride=2, padding=1)),
                                    ((16, 16, 1, 1), dict(stride=2))])
def test_channels_last_threaded(monkeypatch, n, ws, kw, kernels):
    """Chunks of samples split over n threads (small threshold and chunks, so several)."""
    from glasstorch.ops import conv_kernels_nhwc
    monkeypatch.setattr(threads, "THRESHOLD", 1 << 12)
    monkeypatch.setattr(conv_kernels_nhwc, "_CHUNK_BYTES", 1 << 14)
    before = threads.get_num_threads()
    threads.set_num_threads(n)
    try:
        fn, shapes = _case("conv2d", (8, 16, 16, 16), ws, False, kw)
        check_op(fn, shapes, lib=True, dtype="float32", atol=1e-4, grad_atol=2e-3)
    finally:
        threads.set_num_threads(before)


@pytest.mark.parametrize("name, xs, ws, bias, kw", CASES[:3] + CASES[10:12])
def test_few_channels_fallback(monkeypatch, name, xs, ws, bias, kw):
    """With the default threshold these few-channel convs run on the NCHW kernels: the same
    values, gradients and channels-last strides."""
    monkeypatch.setattr(conv_nhwc, "_NHWC_MIN_CHANNELS", 16)
    fn, shapes = _case(name, xs, ws, bias, kw)
    g, t = check_op(fn, shapes, lib=True)
    assert g.stride() == t.stride()


@pytest.mark.parametrize("name, xs, ws, kw", [
    ("conv3d", (2, 4, 5, 6, 5), (3, 4, 3, 3, 3), dict(padding=1)),
    ("conv3d", (2, 4, 5, 6, 5), (3, 4, 3, 2, 3), dict(stride=2)),
    ("conv_transpose3d", (2, 4, 3, 4, 3), (4, 3, 3, 3, 3), dict(stride=2, padding=1)),
])
def test_channels_last_3d(name, xs, ws, kw):
    """torch's CPU 3-d convs return contiguous results for channels_last_3d input."""
    def fn(lib, x, w):
        x = x.contiguous(memory_format=lib.channels_last_3d)
        return getattr(lib.nn.functional, name)(x, w, **kw)
    g, t = check_op(fn, [xs, ws], lib=True)
    assert g.stride() == t.stride()
