"""torch's keyword forms of the list parameters that glasstorch takes as *args
(x.view(size=...), torch.permute(x, dims=...), x.repeat(repeats=...)), and the other parameter
names the census found missing: values, gradients, dtypes and error types against torch."""
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

LIST_KEYWORDS = [
    lambda m, x: x.view(size=(3, 4)),
    lambda m, x: x.view(size=[-1]),
    lambda m, x: x.reshape(shape=(4, 3)),
    lambda m, x: m.reshape(x, shape=(2, 6)),
    lambda m, x: x.permute(dims=(1, 0)),
    lambda m, x: m.permute(x, dims=[1, 0]),
    lambda m, x: x.flip(dims=[0]),
    lambda m, x: m.flip(x, dims=(0, 1)),
    lambda m, x: x.tile(dims=(2,)),
    lambda m, x: m.tile(x, dims=(2, 1, 1)),
    lambda m, x: x.repeat(repeats=(2, 1)),
    lambda m, x: x[:1].expand(size=(3, 4)),
    lambda m, x: x[:1].expand((5, 4), implicit=True),
    lambda m, x: x.sum_to_size(size=(1, 4)),
]


@pytest.mark.parametrize("fn", LIST_KEYWORDS)
def test_list_parameter_by_keyword(fn):
    check_op(fn, [(3, 4)], lib=True)


@pytest.mark.parametrize("fn", [
    lambda m, x: x.view(3, size=(4, 3)),              # both the sizes and the keyword
    lambda m, x: x.view(size=12),                      # the keyword takes a sequence
    lambda m, x: x.view(size=(12,), dtype=m.int32),
    lambda m, x: x.reshape(3, shape=(4, 3)),
    lambda m, x: x.permute(1, dims=(1, 0)),
])
def test_list_parameter_errors(fn):
    check_raises(fn, [(3, 4)], lib=True)


def test_view_dtype_and_resize_by_keyword():
    for m in (gt, torch):
        x = m.arange(6, dtype=m.float32)
        v = x.view(dtype=m.int32)
        assert v.dtype == m.int32 and tuple(v.shape) == (6,)
        y = m.arange(6.0).clone()
        assert tuple(y.resize_(size=(2, 3)).shape) == (2, 3)
    assert gt.arange(6, dtype=gt.float32).view(dtype=gt.int32).tolist() == \
        torch.arange(6, dtype=torch.float32).view(dtype=torch.int32).tolist()
