"""The row-columns forward (ops/conv_kernels_rows.py: few input channels, kernels of >= 5
rows, stride 1 along the height) against torch: values, gradients (its backward passes run
the other NCHW kernels, and double backward runs this forward again), odd sizes, padding
(asymmetric 'same' too), dilation, strides along the width, non-contiguous inputs."""
import pytest

import glasstorch as gt
from glasstorch.ops import conv_kernels_rows
from helpers import check_op

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

CASES = [
    ((3, 1, 28, 28), (6, 1, 5, 5), True, dict(padding=2)),          # LeNet's first conv
    ((3, 6, 14, 14), (16, 6, 5, 5), True, {}),                      # and its second
    ((2, 3, 9, 11), (5, 3, 5, 4), False, dict(padding=(2, 1))),
    ((2, 2, 13, 12), (4, 2, 5, 3), True, dict(dilation=(2, 1), padding=(1, 3))),
    ((2, 3, 11, 15), (4, 3, 5, 5), False, dict(stride=(1, 3))),
    ((2, 2, 9, 8), (3, 2, 6, 6), True, dict(padding="same")),
    ((1, 4, 7, 20), (6, 4, 7, 2), False, dict(stride=(1, 2), dilation=(1, 3))),
    ((2, 8, 9, 9), (4, 8, 5, 5), True, dict(padding=1)),   # gx: a flipped conv, rows too
]


def _fn(kw):
    return lambda lib, x, w, b=None: lib.nn.functional.conv2d(x, w, b, **kw)


@pytest.mark.parametrize("xs, ws, bias, kw", CASES)
def test_conv_rows_against_torch(monkeypatch, xs, ws, bias, kw):
    taken = []
    forward = conv_kernels_rows.conv_forward
    monkeypatch.setattr(conv_kernels_rows, "conv_forward",
                        lambda *a: taken.append(1) or forward(*a))
    shapes = [xs, ws] + ([(ws[0],)] if bias else [])
    check_op(_fn(kw), shapes, lib=True)
    assert taken, "the row-columns path did not run"
    # float32: the weight gradient sums ~2,000 products (its rounding, not this path's)
    check_op(_fn(kw), shapes, lib=True, dtype="float32", layout="T", atol=1e-4,
             grad_atol=1e-3)
    if not bias:
        check_op(_fn(kw), shapes, lib=True, double=True)


def test_conv_rows_shape_rule():
    """Taken for LeNet's convs; not for 3x3 kernels, many channels, strides along the
    height, groups, or many output channels per column row (where im2col wins)."""
    def takes(xs, ws, geometry, groups=1):
        return conv_kernels_rows.takes(gt.zeros(*xs)._data, gt.zeros(*ws)._data, geometry,
                                       groups)
    g5 = ((5, 1, 1, 0), (5, 1, 1, 0))
    assert takes((2, 1, 28, 28), (6, 1, 5, 5), g5)
    assert takes((2, 6, 14, 14), (16, 6, 5, 5), g5)
    assert not takes((2, 3, 32, 32), (32, 3, 3, 3), ((3, 1, 1, 1), (3, 1, 1, 1)))
    assert not takes((2, 3, 32, 32), (32, 3, 5, 5), g5)              # O > 2 * C * kw
    assert not takes((2, 32, 16, 16), (32, 32, 5, 5), g5)
    assert not takes((2, 6, 14, 14), (16, 6, 5, 5), ((5, 2, 1, 0), (5, 1, 1, 0)))
    assert not takes((2, 6, 14, 14), (16, 3, 5, 5), g5, groups=2)


def test_conv_rows_one_output_column_and_chunks(monkeypatch):
    """A single output column, and a batch split into chunks of one sample each (the
    per-thread buffers reused across chunks of different sizes): same as one chunk."""
    x, w = gt.randn(5, 2, 7, 5), gt.randn(3, 2, 5, 5)
    whole = gt.nn.functional.conv2d(x, w, padding=(1, 0))
    assert tuple(whole.shape) == (5, 3, 5, 1)
    monkeypatch.setattr("glasstorch.ops.conv_kernels._SAMPLE_CHUNK_BYTES", 1)
    chunked = gt.nn.functional.conv2d(x, w, padding=(1, 0))
    assert whole.numpy().tobytes() == chunked.numpy().tobytes()
    monkeypatch.setattr(conv_kernels_rows, "_ON", False)
    other = gt.nn.functional.conv2d(x, w, padding=(1, 0))
    assert gt.allclose(whole, other, rtol=1e-5, atol=1e-5)
