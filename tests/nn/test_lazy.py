"""Lazy modules (nn/modules/lazy.py) against torch: reprs before, shapes inferred on the first
forward, the class they become, optimizers built before materialization; plus the deprecated
NLLLoss2d and Container."""
import numpy as np
import pytest
import torch

import glasstorch as gt

CASES = [  # (make, input shape)
    (lambda n: n.LazyLinear(5), (2, 7)), (lambda n: n.LazyLinear(5, bias=False), (3, 2, 4)),
    (lambda n: n.LazyConv1d(4, 3, padding=1), (2, 3, 8)),
    (lambda n: n.LazyConv1d(4, 2), (3, 8)),
    (lambda n: n.LazyConv2d(6, 3, groups=2, bias=False), (2, 4, 6, 6)),
    (lambda n: n.LazyConvTranspose1d(3, 2, stride=2), (2, 5, 4)),
    (lambda n: n.LazyConvTranspose2d(4, 3, groups=2), (1, 2, 5, 5)),
    (lambda n: n.LazyBatchNorm1d(), (4, 3)),
    (lambda n: n.LazyBatchNorm2d(affine=False), (2, 3, 4, 4)),
    (lambda n: n.LazyBatchNorm3d(track_running_stats=False), (2, 3, 2, 2, 2)),
    (lambda n: n.LazyInstanceNorm1d(), (2, 3, 5)),
    (lambda n: n.LazyInstanceNorm2d(), (2, 3, 4, 4)),
    (lambda n: n.LazyInstanceNorm3d(affine=False), (2, 3, 2, 2, 2)),
]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_lazy_module(k):
    make, shape = CASES[k]
    g, t = make(gt.nn), make(torch.nn)
    assert repr(g) == repr(t)
    assert g.has_uninitialized_params() and t.has_uninitialized_params()
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    params_before = list(g.parameters())
    x = np.random.default_rng(k).standard_normal(shape).astype(np.float32)
    yt = t(torch.tensor(x))
    g(gt.tensor(x))
    assert type(g).__name__ == type(t).__name__ and repr(g) == repr(t)
    assert [p is q for p, q in zip(params_before, g.parameters())] == [True] * len(params_before)
    for (n, a), (_, b) in zip(g.state_dict().items(), t.state_dict().items()):
        assert tuple(a.shape) == tuple(b.shape), n
    # with torch's initial values, the materialized layer computes what torch's does
    state = {k: gt.tensor(v.detach().numpy()) for k, v in t.state_dict().items()}
    fresh = make(gt.nn)
    fresh(gt.tensor(x))
    fresh.load_state_dict(state)
    fresh.train()
    t2 = make(torch.nn)
    t2(torch.tensor(x))
    t2.load_state_dict(t.state_dict())
    np.testing.assert_allclose(fresh(gt.tensor(x)).detach().numpy(),
                               t2(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
    assert yt.shape == t2(torch.tensor(x)).shape


def test_uninitialized_placeholders():
    for lib in (gt, torch):
        m = lib.nn.LazyLinear(3)
        assert repr(m.weight) == "<UninitializedParameter>"
        assert isinstance(m.weight, lib.nn.UninitializedParameter)
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
            m.weight.shape
        assert isinstance(lib.nn.LazyBatchNorm1d().running_mean, lib.nn.UninitializedBuffer)
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        m(lib.ones(2, 4)).sum().backward()
        opt.step()
        assert isinstance(m.weight, lib.nn.Parameter) and tuple(m.weight.shape) == (3, 4)
        with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\)"):
            lib.nn.LazyConv2d(2, 3)(lib.ones(2, 3))


def test_deprecated_names():
    for lib in (gt, torch):
        with pytest.warns(FutureWarning, match="NLLLoss2d"):
            loss = lib.nn.NLLLoss2d()
        x = lib.tensor(np.log(np.full((2, 3, 2, 2), 1 / 3)))
        assert abs(float(loss(x, lib.zeros(2, 2, 2, dtype=lib.long))) - np.log(3)) < 1e-6
        with pytest.warns(FutureWarning, match="Container` is deprecated"):
            c = lib.nn.Container(a=lib.nn.Linear(1, 1))
        assert [n for n, _ in c.named_children()] == ["a"]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_load_state_dict_into_a_lazy_module(k):
    # torch's _lazy_load_hook: the placeholders take the checkpoint's shapes and values; the
    # module stays Lazy* (in_features/in_channels 0) until its first forward (d2l read-write)
    make, shape = CASES[k]
    t = make(torch.nn)
    x = np.random.default_rng(k).standard_normal(shape).astype(np.float32)
    t(torch.tensor(x))
    g, t2 = make(gt.nn), make(torch.nn)
    t2.load_state_dict(t.state_dict())
    g.load_state_dict({k: gt.tensor(v.numpy()) for k, v in t.state_dict().items()})
    assert repr(g) == repr(t2) and type(g).__name__ == type(t2).__name__
    assert g.has_uninitialized_params() == t2.has_uninitialized_params()
    for (n, a), (_, b) in zip(g.state_dict().items(), t2.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=n)
    g.train(), t2.train()
    try:
        yt = t2(torch.tensor(x))
    except ValueError:      # torch: an affine InstanceNorm loaded lazily keeps num_features 0
        with pytest.raises(ValueError, match="to match num_features"):
            g(gt.tensor(x))
        return
    np.testing.assert_allclose(g(gt.tensor(x)).detach().numpy(), yt.detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    assert repr(g) == repr(t2) and type(g).__name__ == type(t2).__name__


def test_load_state_dict_lazy_into_initialized_raises():
    for lib in (gt, torch):
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
            lib.nn.Linear(2, 3).load_state_dict(lib.nn.LazyLinear(3).state_dict())


def test_state_dict_of_a_lazy_module_keeps_its_placeholders():
    for lib in (gt, torch):
        sd = lib.nn.Sequential(lib.nn.LazyLinear(3), lib.nn.LazyBatchNorm1d()).state_dict()
        assert [type(v).__name__ for v in sd.values()] == [
            "UninitializedParameter", "UninitializedParameter", "UninitializedParameter",
            "UninitializedParameter", "UninitializedBuffer", "UninitializedBuffer", "Tensor"]
