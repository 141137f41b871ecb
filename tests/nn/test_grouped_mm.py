"""F.grouped_mm against torch (CPU, float32; shapes whose strides are multiples of 16 bytes as
torch's kernel needs): the four operand layouts, values and gradients, out_dtype, errors."""
import numpy as np
import pytest

from tests.helpers import check_op, check_raises

OFFS = np.array([2, 5], dtype=np.int32)


@pytest.mark.parametrize("shapes, offs", [
    ([(5, 4), (2, 4, 4)], OFFS),      # 2-D a split by rows (all rows used: torch leaves
    ([(2, 4, 4), (4, 8)], np.array([3, 8], np.int32)),   # the rest unwritten)
    ([(4, 8), (8, 4)], np.array([4, 8], np.int32)),
    ([(2, 3, 4), (2, 4, 4)], None),
])
def test_grouped_mm_matches_torch(shapes, offs):
    def fn(lib, a, b):
        o = None if offs is None else lib.tensor(offs)
        return lib.nn.functional.grouped_mm(a, b, offs=o)
    # torch's CPU backward of the 2-D x 3-D form fails on its own strides: values only there
    check_op(fn, shapes, lib=True, dtype="float32", grad=offs is None or len(shapes[0]) == 3
             or len(shapes[1]) == 2, rtol=1e-5, atol=1e-5)


def test_grouped_mm_out_dtype_and_errors():
    check_op(lambda lib, a, b: lib.nn.functional.grouped_mm(a, b, out_dtype=lib.float32),
             [(2, 3, 4), (2, 4, 4)], lib=True, dtype="float32", rtol=1e-5, atol=1e-5)
    check_raises(lambda lib, a, b: lib.nn.functional.grouped_mm(a, b, out_dtype=lib.float16),
                 [(2, 3, 4), (2, 4, 4)], lib=True, dtype="float32",
                 match="output dtype must match")
    check_raises(lambda lib, a, b: lib.nn.functional.grouped_mm(a, b), [(4, 4), (2, 4, 4)],
                 lib=True, dtype="float32", match="Have to provide offsets")
    check_raises(lambda lib, a, b: lib.nn.functional.grouped_mm(
        a, b, offs=lib.tensor(OFFS), bias=lib.ones(2, 4)), [(6, 4), (2, 4, 4)], lib=True,
        dtype="float32", match="Bias not supported yet")
    check_raises(lambda lib, a, b: lib.nn.functional.grouped_mm(a, b, offs=lib.tensor(OFFS)),
                 [(6, 4), (2, 4, 4)], lib=True, match="Expected mat_a to be Float32")
