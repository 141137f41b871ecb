"""The special kernels of ops/conv.py against torch: 1x1 convs (one GEMM per sample, strided
ones read a subsampled view), stride-1 input gradients computed as a convolution with the
flipped kernel (no col2im), the NCHW paths (per-sample columns in chunks of one or several
samples, batch-last columns), other transposed convs on the channels-last kernels, and
tensors big enough that the thread pool splits the copies (backend/threads.py) at 1 and 2
threads; values, gradients and second derivatives."""
import pytest

import glasstorch as gt
from glasstorch.backend import threads
from glasstorch.ops import conv_kernels, conv_kernels_nhwc, conv_kernels_rows
from helpers import check_op
from kernel_choice import kernels  # noqa: F401  (fixture: NumPy and numba kernels)

# torch warns that 'same' with an even kernel pads a copy of the input
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


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


NCHW_CASES = [
    ("conv2d", (3, 4, 6, 6), (5, 4, 3, 3), True, dict(padding=1)),
    ("conv2d", (3, 3, 7, 6), (4, 3, 3, 3), False, dict(stride=2, padding=1)),  # odd size
    ("conv2d", (2, 3, 8, 9), (4, 3, 5, 5), True, {}),
    ("conv2d", (2, 3, 8, 7), (4, 3, 3, 2), False, dict(stride=(2, 1), padding=(0, 1))),
    ("conv2d", (2, 4, 9, 9), (4, 4, 3, 3), False, dict(padding=2, dilation=2)),
    ("conv2d", (2, 2, 6, 7), (3, 2, 4, 4), True, dict(padding="same")),       # asymmetric
    ("conv2d", (2, 3, 7, 8), (5, 3, 3, 3), True, dict(stride=3, padding=2)),
    ("conv1d", (3, 3, 9), (4, 3, 3), True, dict(padding=1)),
    ("conv3d", (2, 2, 4, 5, 4), (3, 2, 3, 2, 3), False, dict(padding=1)),
    ("conv_transpose2d", (2, 3, 5, 5), (3, 4, 3, 3), True, dict(padding=1)),
]


@pytest.mark.parametrize("path", ["per_sample", "per_sample_single", "blocks", "batch_last"])
@pytest.mark.parametrize("name, xs, ws, bias, kw", NCHW_CASES)
def test_conv_nchw_paths(monkeypatch, path, name, xs, ws, bias, kw):
    """One group on NCHW data: per-sample columns (here for every output size; by default
    from 256 output pixels on), chunks of several samples or one, each sample's GEMM in
    blocks of output rows (here of >= 1 pixel), and the batch-last path."""
    monkeypatch.setattr(conv_kernels_rows, "_ON", False)     # (its own tests: test_conv_rows)
    if path == "batch_last":
        monkeypatch.setattr(conv_kernels, "_PER_SAMPLE", False)
    else:
        monkeypatch.setattr(conv_kernels, "_PER_SAMPLE_MIN_P", 1)
    if path == "per_sample_single":
        monkeypatch.setattr(conv_kernels, "_SAMPLE_CHUNK_BYTES", 1)
    monkeypatch.setattr(conv_kernels, "_SMALL_GEMM", 1 << 20 if path == "blocks" else 0)
    if path == "blocks":
        monkeypatch.setattr(conv_kernels, "_MIN_BLOCK", 1)
    fn, shapes = _case(name, xs, ws, bias, kw)
    check_op(fn, shapes, lib=True)
    check_op(fn, shapes, lib=True, dtype="float32", layout="T")
    if not bias:
        check_op(fn, shapes, lib=True, double=True)


@pytest.mark.parametrize("xs, ws", [((2, 3, 16, 16), (4, 3, 3, 3)),
                                    ((2, 40, 16, 16), (96, 40, 3, 3))])
def test_conv_per_sample_default_size(xs, ws):
    """16x16 outputs (256 pixels) take the per-sample path with the default settings, in
    blocks of rows (4 x 27 multiply-adds per pixel) or not (96 x 360)."""
    assert conv_kernels._block_rows(ws[0] * ws[1] * 9, (16, 16)) == (8 if ws[0] == 4 else 0)
    fn, shapes = _case("conv2d", xs, ws, True, dict(padding=1))
    check_op(fn, shapes, lib=True, dtype="float32", rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("on", [True, False])
@pytest.mark.parametrize("name, xs, ws, bias, kw", [
    ("conv2d", (2, 3, 7, 6), (4, 3, 3, 3), False, dict(stride=2, padding=1)),   # its gx
    ("conv2d", (2, 4, 8, 8), (6, 4, 3, 3), True, dict(stride=2)),
    ("conv_transpose2d", (2, 4, 3, 4), (4, 3, 3, 3), True, dict(stride=2, padding=1,
                                                                 output_padding=1)),
    ("conv_transpose2d", (2, 3, 5, 5), (3, 4, 3, 3), False, dict(padding=2, dilation=2,
                                                                  output_padding=1)),
    ("conv_transpose2d", (2, 3, 4, 4), (3, 2, 2, 2), False, dict(stride=2)),
])
def test_conv_transpose_nchw_on_channels_last_kernels(monkeypatch, on, kernels, name, xs, ws,
                                                      bias, kw):
    """Transposed convs that are no flipped conv (a strided conv's input gradient) run on
    the channels-last kernels (here whatever the channel count; by default >= 16), the
    result made contiguous again; or, switched off, the NCHW col2im."""
    monkeypatch.setattr(conv_kernels, "_NHWC_STRIDED", on)
    monkeypatch.setattr(conv_kernels_nhwc, "_NHWC_MIN_CHANNELS", 1)
    fn, shapes = _case(name, xs, ws, bias, kw)
    g_out, _ = check_op(fn, shapes, lib=True)
    assert g_out.is_contiguous()
    check_op(fn, shapes, lib=True, dtype="float32", layout="T")
    if not bias:
        check_op(fn, shapes, lib=True, double=True)
    x = gt.randn(*xs, requires_grad=True)
    y = fn(gt, x, gt.randn(*ws))
    y.backward(gt.randn(*y.shape))
    assert x.grad.is_contiguous()
