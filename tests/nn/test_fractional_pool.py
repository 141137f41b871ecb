"""F.fractional_max_pool2d / nn.FractionalMaxPool2d against torch with torch's random samples
passed as `_random_samples`: values, indices, gradients (overlapping windows add up), output
ratios, unbatched input, ties and NaN, errors."""
import numpy as np
import pytest

import glasstorch as gt
from tests.helpers import check_op, check_raises


def _samples(n, c, dtype="float64", seed=0, nd=2):
    return np.random.default_rng(seed).random((n, c, nd)).astype(dtype)


@pytest.mark.parametrize("shape, k, out, ratio", [
    ((2, 3, 9, 11), 2, (4, 5), None), ((2, 3, 9, 11), (3, 2), None, (0.5, 0.7)),
    ((1, 2, 7, 7), 3, 5, None), ((2, 1, 6, 8), 2, 1, None), ((2, 2, 5, 5), 1, 5, None),
])
def test_fractional_max_pool2d_matches_torch(shape, k, out, ratio):
    u = _samples(shape[0], shape[1])

    def fn(lib, x, u):
        return lib.nn.functional.fractional_max_pool2d(x, k, out, ratio, return_indices=True,
                                                       _random_samples=u.detach())
    check_op(fn, [shape, u], lib=True)


def test_fractional_max_pool2d_module_float32_unbatched_ties_nan():
    x = np.random.default_rng(1).integers(0, 3, (3, 8, 9)).astype("float32")
    x[0, 2, 3], x[1, 5, 5] = np.nan, np.nan

    def fn(lib, x, u):
        pool = lib.nn.FractionalMaxPool2d(3, output_ratio=0.6, return_indices=True,
                                          _random_samples=u.detach())
        return pool(x)
    check_op(fn, [x, _samples(1, 3, "float32", 2)], lib=True, dtype="float32")
    y = gt.nn.FractionalMaxPool2d(2, output_size=3)(gt.randn(2, 2, 6, 6))  # own samples
    assert y.shape == (2, 2, 3, 3)


@pytest.mark.parametrize("kw, exc, match", [
    (dict(output_size=(8, 4)), RuntimeError, r"fractional_max_pool2d\(\): pool height 2 too "
     "large relative to input height 8"),
    (dict(output_size=(2, 9)), RuntimeError, "pool width 2 too large"),
    (dict(), ValueError, "requires specifying either an output_size or an output_ratio"),
])
def test_fractional_max_pool2d_errors(kw, exc, match):
    check_raises(lambda lib, x: lib.nn.functional.fractional_max_pool2d(x, 2, **kw),
                 [(1, 2, 8, 9)], lib=True, exc=exc, match=match)
    check_raises(lambda lib: lib.nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5),
                 lib=True, match="only one of output_size and output_ratio")
    check_raises(lambda lib: lib.nn.FractionalMaxPool2d(2, output_ratio=1.5), lib=True,
                 match="output_ratio must be between 0 and 1")


@pytest.mark.parametrize("shape, k, out, ratio", [
    ((2, 2, 7, 8, 9), 2, (4, 5, 3), None), ((1, 3, 6, 7, 8), (2, 3, 1), None, (0.5, 0.4, 0.7)),
    ((2, 5, 6, 7), 2, 3, None),
])
def test_fractional_max_pool3d_matches_torch(shape, k, out, ratio):
    n = shape[0] if len(shape) == 5 else 1
    u = _samples(n, shape[-4], seed=4, nd=3)

    def fn(lib, x, u):
        return lib.nn.functional.fractional_max_pool3d(x, k, out, ratio, return_indices=True,
                                                       _random_samples=u.detach())
    check_op(fn, [shape, u], lib=True)
    check_op(lambda lib, x, u: lib.nn.FractionalMaxPool3d(k, out, ratio,
                                                          _random_samples=u.detach())(x),
             [shape, u], lib=True)


def test_fractional_max_pool3d_errors():
    for out, axis in [((2, 3, 3), "width"), ((3, 3, 2), "time"), ((2, 3, 2), "height")]:
        check_raises(lambda lib, x: lib.nn.functional.fractional_max_pool3d(x, 2, out),
                     [(1, 1, 4, 4, 4)], lib=True,
                     match=rf"fractional_max_pool3d_out\(\): pool {axis} 2 too large")
    check_raises(lambda lib: lib.nn.FractionalMaxPool3d(0, output_size=2), lib=True,
                 match="kernel_size must be greater than 0")
    check_raises(lambda lib: lib.nn.FractionalMaxPool3d(2), lib=True,
                 match="FractionalMaxPool3d requires specifying either")
