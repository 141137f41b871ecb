"""Max pooling where a window holds only padding and the lowest value (-inf, an integer's
minimum): no element beats torch's starting maximum, so torch's index is the window's first
in-bounds position and the gradient goes there. glasstorch's running max used to keep the
first kernel offset, which may be padding: an index off the plane (or on the wrong row) and a
gradient wrapped to the far end of the plane. Both kernel choices (NumPy, numba), row-major
and channels-last, 1-D/2-D/3-D, against torch."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.jit import trace
from kernel_choice import kernels  # noqa: F401  (fixture: NumPy and numba kernels)

INF = float("inf")

# (fn name, input shape, kwargs)
CASES = [
    ("max_pool2d", (1, 1, 3, 3), dict(kernel_size=2, stride=2, padding=1)),
    ("max_pool2d", (2, 3, 3, 3), dict(kernel_size=3, stride=1, padding=1)),
    ("max_pool2d", (1, 2, 3, 3), dict(kernel_size=2, stride=2, padding=1, dilation=2)),
    ("max_pool2d", (1, 1, 4, 5), dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1),
                                      ceil_mode=True)),
    ("max_pool2d", (2, 20, 5, 4), dict(kernel_size=3, stride=2, padding=1)),  # numba's size
    ("max_pool1d", (1, 2, 5), dict(kernel_size=2, stride=2, padding=1)),
    ("max_pool1d", (1, 1, 6), dict(kernel_size=3, stride=3, padding=1, dilation=2)),
    ("max_pool3d", (1, 2, 2, 3, 3), dict(kernel_size=2, stride=2, padding=1)),
]


def _data(shape, seed, fill):
    """Mostly `fill` (a whole window of it beside the padding), some finite values."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return np.where(rng.random(shape) < 0.8, fill, x)


def _run(lib, name, x, kw, cl, gy):
    t = lib.tensor(x, requires_grad=x.dtype.kind == "f")
    if cl:
        fmt = lib.channels_last if t.dim() == 4 else lib.channels_last_3d
        t = t.detach().contiguous(memory_format=fmt).requires_grad_(t.requires_grad)
    y, i = getattr(lib.nn.functional, name)(t, return_indices=True, **kw)
    grad = None
    if t.requires_grad:
        y.backward(lib.tensor(gy))
        grad = t.grad.numpy()
    return y.detach().numpy(), i.numpy(), grad


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
@pytest.mark.parametrize("cl", [False, True], ids=["rowmajor", "cl"])
def test_indices_and_grad_match_torch(case, cl, kernels):
    name, shape, kw = case
    if cl and len(shape) == 3:
        pytest.skip("channels-last needs 4-D or 5-D")
    for seed, fill in enumerate([-INF, -INF, -np.inf]):
        x = _data(shape, seed, fill)
        if seed == 2:
            x[:] = -INF                    # every window is padding and -inf
        y_t = getattr(torch.nn.functional, name)(torch.tensor(x), **kw)
        gy = np.random.default_rng(seed + 10).standard_normal(y_t.shape)
        # torch's channels-last 3-D CPU kernel leaves stale indices in such windows (one
        # window of the seed-0 volume points at 1, not its first in-bounds 10): its
        # row-major result is the reference there
        want = _run(torch, name, x, kw, cl and len(shape) == 4, gy)
        got = _run(gt, name, x, kw, cl, gy)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_allclose(got[2], want[2], rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8"])
def test_integer_minimum_windows(dtype):
    """Integers pad with their minimum: a window of padding and that minimum alike."""
    lo = np.iinfo(dtype).min
    x = np.full((1, 2, 3, 4), lo, dtype)
    x[0, 1, 2, 3] = 5
    for kw in (dict(kernel_size=2, stride=2, padding=1), dict(kernel_size=3, stride=1, padding=1)):
        want = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
        got = gt.nn.functional.max_pool2d(gt.tensor(x), return_indices=True, **kw)
        assert got[0].tolist() == want[0].tolist()
        assert got[1].tolist() == want[1].tolist()


def test_unpool_roundtrip_and_module():
    """The indices feed max_unpool2d (in range now) and nn.MaxPool2d agrees."""
    x = np.full((1, 1, 4, 4), -INF)
    x[0, 0, 3, 3] = 1.0
    outs = []
    for lib in (torch, gt):
        pool = lib.nn.MaxPool2d(2, 2, padding=1, return_indices=True)
        y, i = pool(lib.tensor(x))
        outs.append(lib.nn.functional.max_unpool2d(y, i, 2, 2, padding=1, output_size=(4, 4)))
    np.testing.assert_array_equal(outs[1].numpy(), outs[0].numpy())


def test_traced_pool_matches_eager():
    """The jit recomputes the window max from a new input (jit/derived.py): same indices."""
    def fn(x):
        return gt.nn.functional.max_pool2d(x, 3, 1, 1) * 2
    x0 = gt.randn(1, 1, 3, 3)
    traced = trace(fn, (x0,))
    x = gt.full((1, 1, 3, 3), -INF, requires_grad=True)
    traced(x).sum().backward()
    xt = torch.full((1, 1, 3, 3), -INF, requires_grad=True)
    (torch.nn.functional.max_pool2d(xt, 3, 1, 1) * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
