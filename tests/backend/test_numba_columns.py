"""numba_conv.columns (the per-sample im2col, on by default when numba is installed) against
conv_kernels._sample_columns's NumPy copy from a zero-padded canvas: the same bytes for
strides, dilations, paddings wider than the kernel reach, odd sizes, both layouts (samples
outside: forward and input gradients; inside: weight gradients), float32 and float64, -0.0,
NaN and inf in x; and the conv ops on either path give the same bits."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.ops import conv_kernels

nc = pytest.importorskip("glasstorch.backend.numba_conv")

GEOMETRIES = [  # (kernel, stride, dilation, padding) per dim
    ((3, 1, 1, 1), (3, 1, 1, 1)),
    ((3, 2, 1, 1), (3, 2, 1, 1)),
    ((1, 2, 1, 0), (1, 2, 1, 0)),
    ((5, 1, 1, 0), (3, 1, 2, 2)),
    ((2, 3, 1, 0), (3, 1, 1, 3)),       # windows past x's end; padding past the kernel
    ((3, 1, 2, 2), (1, 1, 1, 0)),
]


def _out(size, geometry):
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, (k, s, d, p) in
                 zip(size, geometry))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_columns_same_bits(monkeypatch, geometry, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 7, 6)).astype(dtype)
    x.reshape(-1)[:4] = [-0.0, np.nan, np.inf, -np.inf]
    out = _out(x.shape[2:], geometry)
    for batch_inner in (False, True):
        got = nc.columns(x, geometry, out, batch_inner,
                         np.full((3, 5 * geometry[0][0] * geometry[1][0], out[0] * out[1]),
                                 7, dtype))
        monkeypatch.setattr(conv_kernels, "_numba_conv", lambda: None)
        want = conv_kernels._sample_columns(x, geometry, out, batch_inner)
        monkeypatch.undo()
        assert got.reshape(want.shape).tobytes() == want.tobytes()
    for rows in (r for r in (1, 2, 3) if out[0] % r == 0):      # blocks of output rows
        B = out[0] // rows
        got = nc.columns(x, geometry, out, False,
                         np.full((3, B, 5 * geometry[0][0] * geometry[1][0],
                                  rows * out[1]), 7, dtype), rows)
        monkeypatch.setattr(conv_kernels, "_numba_conv", lambda: None)
        want = conv_kernels._sample_columns(x, geometry, out, False, rows)
        monkeypatch.undo()
        assert got.shape == want.shape and got.tobytes() == want.tobytes()


@pytest.mark.parametrize("channels", [64, 32])     # whole-sample columns; row blocks
@pytest.mark.parametrize("stride", [1, 2])
def test_conv_same_bits_with_and_without_numba_columns(monkeypatch, stride, channels):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, channels, 32, 32)).astype(np.float32)
    w = rng.standard_normal((channels, channels, 3, 3)).astype(np.float32)
    gy = None

    def run():
        nonlocal gy
        xt, wt = gt.tensor(x, requires_grad=True), gt.tensor(w, requires_grad=True)
        y = gt.nn.functional.conv2d(xt, wt, stride=stride, padding=1)
        if gy is None:
            gy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(gt.tensor(gy))
        return [a.tobytes() for a in (y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy())]
    calls = []

    class Counted:          # numba_conv, counting the column copies it makes
        def __getattr__(self, name):
            return getattr(nc, name)

        def columns(self, *args):
            calls.append(args[3])
            return nc.columns(*args)
    monkeypatch.setattr(conv_kernels, "_numba_conv", Counted)
    # the weight gradient's fused slices (numba_conv_gemm.py, tested there) call the column
    # kernel themselves: here the per-chunk path, whose column copy is switched
    monkeypatch.setattr(conv_kernels, "_fused", lambda x, *dims: None)
    got = run()
    assert True in calls and False in calls
    monkeypatch.setattr(conv_kernels, "_numba_conv", lambda: None)
    assert run() == got
