"""nn.CrossMapLRN2d against torch: values and gradients (torch's legacy windows, even and odd
sizes, windows wider than the channels), repr, the 4-D check."""
import numpy as np
import pytest

import glasstorch as gt
from tests.helpers import check_op, check_raises


@pytest.mark.parametrize("size, channels", [(3, 7), (5, 9), (4, 6), (2, 5), (7, 3), (5, 1)])
def test_cross_map_lrn2d_matches_torch(size, channels):
    def fn(lib, x):
        return lib.nn.CrossMapLRN2d(size, alpha=0.3, beta=0.6, k=1.5)(x)
    check_op(fn, [(2, channels, 3, 4)], lib=True)


def test_cross_map_lrn2d_float32_defaults_and_repr():
    check_op(lambda lib, x: lib.nn.CrossMapLRN2d(5)(x), [(1, 8, 2, 2)], lib=True,
             dtype="float32")
    assert repr(gt.nn.CrossMapLRN2d(3)) == "CrossMapLRN2d(3, alpha=0.0001, beta=0.75, k=1)"
    assert gt.nn.modules.normalization.CrossMapLRN2d is gt.nn.CrossMapLRN2d


def test_cross_map_lrn2d_needs_4d():
    check_raises(lambda lib, x: lib.nn.CrossMapLRN2d(3)(x), [(2, 3)], lib=True,
                 match="Expected input to be 4D, got 2D instead")


@pytest.mark.parametrize("shape", [(3, 0, 2, 2), (0, 2, 2, 2), (2, 2, 0, 2)])
def test_empty_inputs(shape):
    """No channels: torch's IndexError (was silently accepted; fuzzer finding); an empty
    batch or plane passes through."""
    from fuzz_engine import outcome
    got, detail = outcome(lambda lib, x: lib.nn.CrossMapLRN2d(3)(x),
                          [np.ones(shape, "float32")])
    assert got in ("same_value", "same_error"), detail
