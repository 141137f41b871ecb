"""torch's legacy tensor types (old tutorials: `torch.LongTensor(idxs)`, `torch.Tensor(1, 5)
.fill_(-10000.)`, `isinstance(x, torch.FloatTensor)`), against torch: what they build,
isinstance by dtype, x.type(torch.LongTensor), their repr, torch.Tensor() being 1-D empty."""
import pytest
import torch

import glasstorch as gt

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "ByteTensor", "CharTensor",
         "ShortTensor", "IntTensor", "LongTensor", "BoolTensor"]


def _summary(t):
    return str(t.dtype).split(".")[-1], tuple(t.shape), t.tolist() if t.numel() else None


@pytest.mark.parametrize("name", NAMES)
def test_construction_matches_torch(name):
    for args in ([[1, 0, 2]], [[[1.0, 2.7]]], [(2, 3)], [3], [2, 3], []):
        want = getattr(torch, name)(*args)
        got = getattr(gt, name)(*args)
        if len(args) == 2 or args == [3]:            # sizes: uninitialized in torch
            assert _summary(got)[:2] == _summary(want)[:2]
        else:
            assert _summary(got) == _summary(want), (name, args)
    assert repr(getattr(gt, name)) == repr(getattr(torch, name)) == f"<class 'torch.{name}'>"
    assert getattr(gt, name).dtype == getattr(gt, str(getattr(torch, name).dtype).split(".")[1])


@pytest.mark.parametrize("name", NAMES)
def test_isinstance_asks_the_dtype(name):
    for lib in (gt, torch):
        kind = getattr(lib, name)
        for dtype in ("float32", "float64", "int64", "uint8", "bool"):
            x = lib.ones(2, dtype=getattr(lib, dtype))
            assert isinstance(x, kind) == (x.dtype == kind.dtype)
        assert not issubclass(kind, lib.Tensor)
    assert isinstance(gt.nn.Parameter(gt.ones(1)), gt.FloatTensor)


def test_tensor_argument_and_type_conversion():
    for lib in (gt, torch):
        t = lib.tensor([1, 2])
        alias = lib.LongTensor(t)
        assert alias.tolist() == [1, 2] and alias is not t
        with pytest.raises(TypeError):
            lib.LongTensor(lib.tensor([1.5]))
        x = lib.ones(2)
        assert x.type(lib.LongTensor).dtype == lib.int64 and x.type(lib.FloatTensor) is x
        assert lib.Tensor().shape == (0,) and lib.LongTensor().shape == (0,)
    from glasstorch import _torch_misc
    _torch_misc._WARNED_TENSOR_TYPE.clear()
    with pytest.warns(UserWarning, match=r"set_default_tensor_type\(\) is deprecated as of "
                                         "PyTorch 2.1"):
        gt.set_default_tensor_type(gt.DoubleTensor)
    try:
        assert gt.ones(1).dtype == gt.float64
    finally:
        gt.set_default_tensor_type(gt.FloatTensor)
