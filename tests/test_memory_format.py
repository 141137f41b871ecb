"""Memory formats (torch.channels_last, ...): strides, is_contiguous for each format,
contiguous/to/clone and Module.to(memory_format=...), compared with torch."""
import numpy as np
import pytest
import torch

import glasstorch as gt


def _pair(shape, seed=0):
    a = np.random.RandomState(seed).randn(*shape).astype(np.float32)
    # (torch.tensor keeps NumPy's all-zero strides of an empty array)
    return gt.tensor(a), torch.empty(shape).copy_(torch.from_numpy(a))


def _same(fn, shape=(2, 3, 4, 5)):
    """fn(lib, x) -> tensor or value, equal (with strides) in both frameworks, or the same
    exception type and message."""
    g, t = _pair(shape)
    try:
        want = fn(torch, t)
    except Exception as e:               # noqa: BLE001 (compared with glasstorch's below)
        with pytest.raises(type(e)) as info:
            fn(gt, g)
        assert str(info.value) == str(e)
        return
    got = fn(gt, g)
    if isinstance(want, torch.Tensor):
        assert tuple(got.shape) == tuple(want.shape)
        assert got.stride() == want.stride()
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    else:
        assert got == want


FORMATS = ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]
SHAPES = [(2, 3, 4, 5), (2, 3, 4, 5, 6), (2, 3), (1, 3, 1, 1), (2, 1, 4, 5), (0, 3, 4, 5)]


def test_names():
    for name in FORMATS:
        assert repr(getattr(gt, name)) == repr(getattr(torch, name))
        assert isinstance(getattr(gt, name), gt.memory_format)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_contiguous_to_clone(shape, fmt):
    _same(lambda lib, x: x.contiguous(memory_format=getattr(lib, fmt)), shape)
    _same(lambda lib, x: x.to(memory_format=getattr(lib, fmt)), shape)
    _same(lambda lib, x: x.to(lib.float64, memory_format=getattr(lib, fmt)), shape)
    _same(lambda lib, x: x.clone(memory_format=getattr(lib, fmt)), shape)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("src", ["contiguous_format", "channels_last", "channels_last_3d"])
def test_is_contiguous(shape, src):
    def fn(lib, x):
        try:
            x = x.contiguous(memory_format=getattr(lib, src))
        except RuntimeError:
            pass
        return tuple(x.is_contiguous(memory_format=getattr(lib, f)) for f in FORMATS) + (
            x.is_contiguous(), x.stride())
    _same(fn, shape)


@pytest.mark.parametrize("view", [lambda x: x.transpose(2, 3), lambda x: x[:, :, ::2],
                                  lambda x: x.permute(0, 2, 3, 1)[:, 1:].permute(0, 3, 1, 2)])
def test_clone_preserve(view):
    _same(lambda lib, x: view(x).clone())
    _same(lambda lib, x: view(x.contiguous(memory_format=lib.channels_last)).clone())


def test_no_copy_when_already_in_format():
    x = gt.randn(2, 3, 4, 5)
    y = x.contiguous(memory_format=gt.channels_last)
    assert y.contiguous(memory_format=gt.channels_last) is y
    assert y.to(memory_format=gt.channels_last) is y
    assert x.contiguous(memory_format=gt.contiguous_format) is x
    assert y.contiguous() is not y and y.contiguous().is_contiguous()


def test_errors():
    _same(lambda lib, x: x.contiguous(memory_format="channels_last"))
    _same(lambda lib, x: x.is_contiguous(memory_format=3))


def test_gradient_flows_through_format_changes():
    g, t = _pair((2, 3, 4, 5))
    up = np.random.RandomState(3).randn(2, 3, 4, 5).astype(np.float32)
    for lib, x in ((gt, g), (torch, t)):
        x.requires_grad_()
        y = x.contiguous(memory_format=lib.channels_last).to(memory_format=lib.contiguous_format)
        (y * lib.tensor(up)).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())


def test_module_to():
    def make(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.BatchNorm2d(4),
                                 lib.nn.Linear(3, 3))
    mods = []
    for lib in (gt, torch):
        m = make(lib)
        m[0].weight.grad = m[0].weight.detach() * 2
        p = m[0].weight
        assert m.to(memory_format=lib.channels_last) is m
        assert m[0].weight is p
        mods.append(m)
    for (name, a), (_, b) in zip(mods[0].named_parameters(), mods[1].named_parameters()):
        assert a.stride() == b.stride(), name
    assert mods[0][0].weight.grad.stride() == mods[1][0].weight.grad.stride()


def test_convert_conv2d_weight_memory_format():
    strides = []
    for lib in (gt, torch):
        m = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.Linear(2, 2),
                              lib.nn.Sequential(lib.nn.ConvTranspose2d(4, 2, 3)))
        assert lib.nn.utils.convert_conv2d_weight_memory_format(m, lib.channels_last) is m
        strides.append([p.stride() for p in m.parameters()])
    assert strides[0] == strides[1]


@pytest.mark.parametrize("make", ["empty_like", "zeros_like", "ones_like", "full_like"])
@pytest.mark.parametrize("fmt", [None, "contiguous_format", "channels_last", "preserve_format"])
@pytest.mark.parametrize("view", ["cl", "t", "plain"])
def test_like_functions(make, fmt, view):
    def fn(lib, x):
        x = {"cl": lambda: x.contiguous(memory_format=lib.channels_last),
             "t": lambda: x.transpose(1, 3), "plain": lambda: x}[view]()
        args = (x, 2.0) if make == "full_like" else (x,)
        kw = {} if fmt is None else {"memory_format": getattr(lib, fmt)}
        y = getattr(lib, make)(*args, **kw)
        return y.stride() if make == "empty_like" else y
    _same(fn)


def test_dropout_keeps_channels_last():
    x = gt.randn(2, 3, 4, 5).contiguous(memory_format=gt.channels_last).requires_grad_()
    y = gt.nn.functional.dropout(x, 0.5)
    assert y.is_contiguous(memory_format=gt.channels_last)
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(y.detach().numpy()[kept], 2 * x.detach().numpy()[kept])


def test_convert_conv3d_weight_memory_format():
    strides = []
    for lib in (gt, torch):
        m = lib.nn.Sequential(lib.nn.Conv3d(3, 4, 3), lib.nn.Conv2d(3, 4, 3),
                              lib.nn.ConvTranspose3d(4, 2, 3))
        assert lib.nn.utils.convert_conv3d_weight_memory_format(m, lib.channels_last_3d) is m
        strides.append([p.stride() for p in m.parameters()])
    assert strides[0] == strides[1]
