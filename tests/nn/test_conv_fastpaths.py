"""The special kernels of ops/conv.py against torch: 1x1 convs (one GEMM per sample, strided
ones read a subsampled view), stride-1 input gradients computed as a convolution with the
flipped kernel (no col2im), and tensors big enough that the thread pool splits the copies
(backend/threads.py) at 1 and 2 threads; values, gradients and second derivatives."""
import pytest

from glasstorch.backend import threads
from helpers import check_op


def _case(name, xs, ws, bias, kw):
    out_channels = ws[1] * kw.get("groups", 1) if "transpose" in name else ws[0]
    shapes = [xs, ws] + ([(out_channels,)] if bias else [])
    return (lambda lib, x, w, b=None: getattr(lib.nn.functional, name)(x, w, b, **kw)), shapes


@pytest.mark.parametrize("name, xs, ws, bias, kw", [
    ("conv2d", (2, 3, 5, 6), (4, 3, 1, 1), True, {}),
    ("conv2d", (2, 3, 7, 6), (4, 3, 1, 1), False, dict(stride=2)),          # odd size
    ("conv2d", (2, 3, 7, 8), (4, 3, 1, 1), False, dict(stride=(3, 2))),
    ("conv1d", (2, 3, 9), (5, 3, 1), True, dict(stride=2)),
    ("conv_transpose2d", (2, 4, 3, 4), (4, 3, 1, 1), True, {}),
    ("conv_transpose2d", (2, 4, 3, 4), (4, 3, 1, 1), False, dict(stride=2, output_padding=1)),
    ("conv2d", (2, 4, 6, 6), (3, 4, 3, 3), True, dict(padding=1)),         # flipped-kernel gx
    ("conv2d", (2, 4, 8, 8), (4, 4, 3, 3), False, dict(padding=2, dilation=2)),
    ("conv2d", (2, 4, 6, 7), (3, 4, 3, 2), False, {}),
    ("conv2d", (2, 3, 6, 6), (4, 3, 3, 3), True, dict(padding=1)),         # more out: col2im
    ("conv_transpose2d", (2, 3, 5, 5), (3, 4, 3, 3), True, dict(padding=1)),
    ("conv_transpose2d", (2, 3, 5, 5), (3, 4, 3, 3), False, dict(padding=2, dilation=2)),
    ("conv_transpose2d", (2, 3, 6, 6), (3, 4, 3, 3), False, dict(padding=3, dilation=1)),
    ("conv_transpose1d", (2, 3, 6), (3, 2, 4), True, dict(padding=1)),
])
def test_conv_fast_paths(name, xs, ws, bias, kw):
    fn, shapes = _case(name, xs, ws, bias, kw)
    check_op(fn, shapes, lib=True)
    check_op(fn, shapes, lib=True, dtype="float32", layout="T")
    if not bias:
        check_op(fn, shapes, lib=True, double=True)


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("name, ws, kw", [
    ("conv2d", (16, 16, 3, 3), dict(padding=1)),
    ("conv2d", (16, 16, 1, 1), dict(stride=2)),
])
def test_conv_threaded(monkeypatch, n, name, ws, kw):
    """Outputs above the pool's threshold (1 MiB) are copied in slices on n threads."""
    monkeypatch.setattr(threads, "THRESHOLD", 1 << 12)
    before = threads.get_num_threads()
    threads.set_num_threads(n)
    try:
        fn, shapes = _case(name, (8, 16, 16, 16), ws, False, kw)
        check_op(fn, shapes, lib=True, dtype="float32", atol=1e-4, grad_atol=2e-3)
    finally:
        threads.set_num_threads(before)
