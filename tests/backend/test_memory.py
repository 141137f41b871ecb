"""backend/memory.py: `empty` (views 64-byte aligned into a larger buffer) and `own_aligned`
(aligned, zero-filled, and its own storage: no ndarray base to walk to)."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import memory


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("shape", [(784, 256), (1000,), (3, 5, 7), 64])
def test_own_aligned(shape, dtype):
    a = memory.own_aligned(shape, dtype)
    want = (shape,) if isinstance(shape, int) else shape
    assert a.shape == want and a.dtype == dtype and a.flags.c_contiguous
    assert a.flags.writeable and not a.any()
    assert a.ctypes.data % memory.ALIGNMENT == 0
    base = a
    while isinstance(base.base, np.ndarray):
        base = base.base
    assert base.nbytes == a.nbytes   # the walk from a view ends at exactly its bytes
    t = gt.from_numpy(a)
    assert t.storage_offset() == 0 and t.untyped_storage().nbytes() == a.nbytes


def test_own_aligned_small_is_plain_zeros():
    a = memory.own_aligned((3,), np.float32)
    assert a.base is None and a.tolist() == [0, 0, 0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 32, 8, 8), (1000,), 4096])
def test_empty_is_aligned_and_its_own_storage(shape, dtype):
    a = memory.empty(shape, dtype)
    want = (shape,) if isinstance(shape, int) else shape
    assert a.shape == want and a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable
    assert a.ctypes.data % memory.ALIGNMENT == 0
    t = gt.from_numpy(a)
    assert t.storage_offset() == 0 and t.untyped_storage().nbytes() == a.nbytes


def test_conv_output_storage_as_torch():
    # conv outputs come from memory.empty: no offset, no extra bytes (torch: 0 and 1152)
    import glasstorch.nn.functional as F
    y = F.conv2d(gt.ones(2, 3, 8, 8), gt.ones(4, 3, 3, 3))
    assert y.storage_offset() == 0 and y.untyped_storage().nbytes() == y.numel() * 4
