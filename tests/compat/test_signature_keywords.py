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


@pytest.mark.parametrize("fn, shapes", [
    (lambda m, x, y: x.max(other=y), [(3, 4), (3, 4)]),
    (lambda m, x, y: x.min(other=y), [(3, 4), (4,)]),
    (lambda m, x, y: x.max(y), [(3, 4), (3, 1)]),
    (lambda m, x: x.swapaxes(axis0=0, axis1=1), [(3, 4)]),
    (lambda m, x: x.swapdims(dim0=1, dim1=0), [(3, 4)]),
])
def test_method_keywords(fn, shapes):
    check_op(fn, shapes, lib=True)


def test_method_keyword_errors():
    check_raises(lambda m, x: x.swapaxes(dim0=0, dim1=1), [(3, 4)], lib=True)
    check_raises(lambda m, x: x.swapdims(axis0=0, axis1=1), [(3, 4)], lib=True)


@pytest.mark.parametrize("sparse_grad", [False, True])
def test_gather_sparse_grad(sparse_grad):
    """torch's sparse_grad=True gives input a sparse COO gradient; glasstorch's is dense with
    the same values."""
    import numpy as np
    x = np.random.default_rng(0).standard_normal((3, 4))
    idx = np.array([[0, 0, 3], [1, 2, 2], [3, 1, 0]])
    outs = []
    for m in (gt, torch):
        t = m.tensor(x, requires_grad=True)
        y = t.gather(1, m.tensor(idx), sparse_grad=sparse_grad)
        (y * m.arange(9.0, dtype=m.float64).reshape(3, 3)).sum().backward()
        g = t.grad.to_dense() if m is torch and sparse_grad else t.grad
        outs.append((y.detach().numpy(), g.numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0])
    np.testing.assert_allclose(outs[0][1], outs[1][1])


@pytest.mark.parametrize("kw, lo, hi", [({"from": 2, "to": 5}, 2, 5), ({"to": 7}, 0, 7)])
def test_random_from_to(kw, lo, hi):
    for m in (gt, torch):
        x = m.empty(2000, dtype=m.int64).random_(**kw)
        assert x.dtype == m.int64 and x.min().item() == lo and x.max().item() == hi - 1


@pytest.mark.parametrize("kw, lo, hi", [({"from": -2.0, "to": -1.0}, -2.0, -1.0),
                                        ({"to": 3.0}, 0.0, 3.0)])
def test_uniform_from_to(kw, lo, hi):
    for m in (gt, torch):
        x = m.empty(2000, dtype=m.float64).uniform_(**kw)
        assert x.dtype == m.float64
        assert lo <= x.min().item() < lo + 0.05 and hi - 0.05 < x.max().item() <= hi
    with pytest.raises(TypeError):
        gt.empty(3).uniform_(a=0.0, b=1.0)             # torch's names are from/to
    with pytest.raises(TypeError):
        torch.empty(3).uniform_(a=0.0, b=1.0)
