"""backend/numba_conv.py (runs by default when numba is installed: kernels.numba_for_exact)
against the NumPy path it replaces, bit for bit: col2im from batch-last columns straight into
NCHW, and whole transposed convs / conv input gradients on both kernel choices; the torch
comparisons of those ops on both paths are in tests/nn/test_conv_fastpaths.py."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import cpu_kernels, kernels as selection
from glasstorch.ops import conv_kernels
from helpers import check_op
from kernel_choice import kernels  # noqa: F401  (fixture: NumPy and numba kernels)

nc = pytest.importorskip("glasstorch.backend.numba_conv")

GEOMETRIES = [  # (kernel, stride, dilation, padding) per dim, input size of the conv
    (((5, 1, 1, 0), (5, 1, 1, 0)), (14, 14)),     # LeNet's second conv
    (((3, 1, 1, 1), (3, 1, 1, 1)), (7, 6)),
    (((3, 2, 1, 1), (3, 2, 1, 1)), (7, 6)),
    (((5, 1, 1, 0), (3, 1, 2, 2)), (7, 9)),
    (((2, 3, 1, 0), (3, 1, 1, 0)), (8, 5)),       # rows past the last window: never written
    (((1, 2, 1, 0), (4, 2, 1, 3)), (7, 7)),
]


def _out(size, g):
    k, s, d, p = g
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geometry, size", GEOMETRIES)
def test_col2im_same_bits(geometry, size, dtype):
    rng = np.random.default_rng(0)
    out = tuple(_out(n, g) for n, g in zip(size, geometry))
    kshape = tuple(g[0] for g in geometry)
    cols = rng.standard_normal((3,) + kshape + out + (5,)).astype(dtype)
    cols.reshape(-1)[:7] = [-0.0, np.inf, -np.inf, np.nan, -0.0, 1e30, -1e30]
    cols[1] = -0.0                                   # a channel of negative zeros only
    want = cpu_kernels.col2im(cols, geometry, size)
    got = np.full(want.shape, 7.0, dtype)
    nc.col2im(cols, geometry, got)
    assert want.tobytes() == got.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, cin, cout, kw", [
    (5, 4, 3, dict()),                                # LeNet-like: more in than out
    (3, 5, 2, dict(padding=(1, 2), dilation=(1, 2))),
    (4, 4, 6, dict(stride=2, padding=1, output_padding=1)),
    (4, 6, 4, dict(stride=(2, 1), groups=2)),
])
def test_conv_transpose_same_bits_on_both_kernels(dtype, n, cin, cout, kw):
    """The whole transposed conv (the col2im path): NumPy and numba give the same bytes."""
    rng = np.random.default_rng(1)
    x = gt.tensor(rng.standard_normal((n, cin, 7, 6)).astype(dtype))
    w = gt.tensor(rng.standard_normal((cin, cout // kw.get("groups", 1), 3, 5)).astype(dtype))
    before = selection.get_kernels()
    try:
        results = []
        for name in ("numpy", "numba"):
            selection.set_kernels(name)
            results.append(gt.nn.functional.conv_transpose2d(x, w, **kw).numpy().tobytes())
    finally:
        selection.set_kernels(before)
    assert results[0] == results[1]


def test_default_without_a_choice_uses_numba_for_col2im(monkeypatch):
    """No set_kernels / GLASSTORCH_KERNELS: numba_for_exact, so the numba col2im runs."""
    monkeypatch.setattr(selection, "_active", None)
    monkeypatch.setattr(selection, "_chosen", False)
    assert conv_kernels._numba_conv() is nc
    monkeypatch.setattr(selection, "_chosen", True)
    assert conv_kernels._numba_conv() is None


@pytest.mark.parametrize("xs, ws, kw", [
    ((3, 6, 14, 14), (16, 6, 5, 5), {}),                    # LeNet's conv2: gx by col2im
    ((2, 5, 9, 8), (7, 5, 3, 4), dict(padding=(2, 1), dilation=(1, 2))),
    ((2, 3, 9, 7), (5, 3, 3, 3), dict(stride=2, padding=1)),
    ((2, 6, 7, 7), (6, 3, 3, 3), dict(groups=2, padding=1)),
])
def test_conv_input_grad_against_torch(kernels, xs, ws, kw):
    """conv2d whose input gradient is a col2im (more output than input channels, strided,
    grouped), values and gradients against torch on both kernel choices."""
    fn = lambda lib, x, w: lib.nn.functional.conv2d(x, w, **kw)  # noqa: E731
    check_op(fn, [xs, ws], lib=True)
    check_op(fn, [xs, ws], lib=True, dtype="float32")
