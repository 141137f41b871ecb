"""torch.as_strided / Tensor.as_strided / as_strided_: a view of the input's storage with the
given sizes, strides and storage offset. Values, gradients (through the storage: overlapping
outputs accumulate, an expanded input shares them), memory sharing, errors, against torch."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

CASES = [
    (lambda m, x: m.as_strided(x, (3, 3), (4, 1), 1), [(3, 4)]),
    (lambda m, x: x.as_strided((2, 2), (1, 2), 3), [(3, 4)]),
    (lambda m, x: x.as_strided((4, 3), (2, 1)), [(12,)]),                # windows overlap
    (lambda m, x: x.as_strided((2, 3), (0, 1), 2), [(3, 4)]),            # stride 0
    (lambda m, x: x[1:].as_strided((2, 2), (2, 1)), [(3, 4)]),           # input's own offset
    (lambda m, x: x[:, 1:].as_strided((2, 2), (4, 1), 0), [(3, 4)]),     # outside the slice
    (lambda m, x: x.t().as_strided((3, 2), (1, 3)), [(2, 3)]),
    (lambda m, x: x.expand(3, 4).as_strided((2, 2), (1, 1)), [(1, 4)]),  # expanded input
    (lambda m, x: x.as_strided((), (), 5), [(3, 4)]),
    (lambda m, x: x.as_strided((0, 3), (3, 1)), [(3, 4)]),
]


@pytest.mark.parametrize("fn, shapes", CASES)
def test_as_strided(fn, shapes):
    check_op(fn, shapes, lib=True)
    check_op(fn, shapes, lib=True, dtype="float32", grad=False)


@pytest.mark.parametrize("fn", [
    lambda m, x: x.as_strided((3, 3), (4, 1), 2),                     # past the storage
    lambda m, x: x.as_strided((2, 2), (-1, 1)),
    lambda m, x: x.as_strided((2, 2), (1,)),
    lambda m, x: x.as_strided((2,), (1,), -1),
])
def test_as_strided_errors(fn):
    check_raises(fn, [(3, 4)], lib=True)


def test_as_strided_shares_memory_and_in_place():
    outs = []
    for m in (gt, torch):
        x = m.arange(12.0)
        v = x.as_strided((2, 2), (1, 4), 1)
        v.mul_(10)                                  # writes through to x
        assert v.stride() == (1, 4) and v.storage_offset() == 1
        w = m.arange(6.0, dtype=m.float64)
        w.as_strided_((2, 2), (2, 1), 1)
        assert tuple(w.shape) == (2, 2) and w.stride() == (2, 1)
        a = m.ones(6, dtype=m.float64, requires_grad=True)
        b = a * 1
        b.as_strided((2, 2), (1, 2)).mul_(m.tensor([[2.0, 3.0], [4.0, 5.0]], dtype=m.float64))
        b.sum().backward()
        outs.append((x.tolist(), w.tolist(), a.grad.tolist(), b.tolist()))
    assert outs[0] == outs[1]
