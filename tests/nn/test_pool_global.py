"""Global average pooling (adaptive_avg_pool2d to 1x1, ops/pool.py) is a plain mean over the
plane, as in torch: values and gradients against torch, batched and unbatched."""
import pytest

from helpers import check_op


@pytest.mark.parametrize("shape", [(4, 3, 5, 7), (3, 6, 6), (2, 2, 1, 1)])
@pytest.mark.parametrize("size", [1, (1, 1)])
def test_global_avg_pool(shape, size):
    fn = lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, size)  # noqa: E731
    check_op(fn, [shape], lib=True)
    check_op(fn, [shape], lib=True, dtype="float32", layout="T")
    check_op(lambda lib, x: lib.nn.AdaptiveAvgPool2d(size)(x), [shape], lib=True, double=True)
