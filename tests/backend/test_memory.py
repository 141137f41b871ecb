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
