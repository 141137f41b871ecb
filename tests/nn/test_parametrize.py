"""nn.utils weight_norm / spectral_norm (hooks), parametrize, parametrizations and
stateless.functional_call against torch: names, values, gradients, power iteration."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt


def _pair(make, seed=0):
    """The same layer in both frameworks (torch's initial values copied into glasstorch's)."""
    torch.manual_seed(seed)
    t = make(torch)
    g = make(gt)
    g.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return g, t


def _close(a, b, atol=1e-6):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=atol)


LAYERS = [lambda m: m.nn.Linear(4, 3), lambda m: m.nn.Conv2d(2, 3, 3),
          lambda m: m.nn.ConvTranspose2d(2, 3, 3)]
INPUTS = [(5, 4), (2, 2, 6, 6), (2, 2, 4, 4)]


@pytest.mark.parametrize("dim", [0, 1, None])
@pytest.mark.parametrize("k", range(3))
def test_weight_norm_hook(k, dim):
    g, t = _pair(LAYERS[k])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        g, t = gt.nn.utils.weight_norm(g, dim=dim), torch.nn.utils.weight_norm(t, dim=dim)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    _close(g.weight_g, t.weight_g)
    x = np.random.default_rng(0).standard_normal(INPUTS[k]).astype(np.float32)
    yg, yt = g(gt.tensor(x)), t(torch.tensor(x))
    _close(yg, yt, 1e-5)
    yg.square().sum().backward()
    yt.square().sum().backward()
    _close(g.weight_g.grad, t.weight_g.grad, 1e-4)
    _close(g.weight_v.grad, t.weight_v.grad, 1e-4)
    gt.nn.utils.remove_weight_norm(g)
    torch.nn.utils.remove_weight_norm(t)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    _close(g.weight, t.weight)


def test_weight_norm_hook_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for lib in (gt, torch):
            m = lib.nn.utils.weight_norm(lib.nn.Linear(2, 2))
            with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
                lib.nn.utils.weight_norm(m)
            with pytest.raises(ValueError, match="weight_norm of 'bias' not found"):
                lib.nn.utils.remove_weight_norm(m, "bias")
    with pytest.warns(FutureWarning, match="deprecated in favor of"):
        gt.nn.utils.weight_norm(gt.nn.Linear(2, 2))


@pytest.mark.parametrize("k", range(3))
def test_spectral_norm_hook_power_iteration(k):
    g, t = _pair(LAYERS[k])
    g, t = gt.nn.utils.spectral_norm(g), torch.nn.utils.spectral_norm(t, n_power_iterations=1)
    for name in ("weight_u", "weight_v"):        # torch's random start, copied
        getattr(g, name).copy_(gt.tensor(getattr(t, name).numpy()))
    assert sorted(n for n, _ in g.named_buffers()) == sorted(n for n, _ in t.named_buffers())
    x = np.random.default_rng(1).standard_normal(INPUTS[k]).astype(np.float32)
    for _ in range(3):                       # training calls: one power step each
        yg, yt = g(gt.tensor(x)), t(torch.tensor(x))
        _close(yg, yt, 1e-5)
        _close(g.weight_u, t.weight_u, 1e-5)
    yg.sum().backward()
    yt.sum().backward()
    _close(g.weight_orig.grad, t.weight_orig.grad, 1e-4)
    g.eval(), t.eval()
    _close(g(gt.tensor(x)), t(torch.tensor(x)), 1e-5)
    gt.nn.utils.remove_spectral_norm(g)
    torch.nn.utils.remove_spectral_norm(t)
    _close(g.weight, t.weight, 1e-5)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]


class Symmetric:
    @staticmethod
    def make(lib):
        class Sym(lib.nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).mT

            def right_inverse(self, A):
                return A.triu()
        return Sym()


def test_register_and_remove_parametrization():
    P = {gt: gt.nn.utils.parametrize, torch: torch.nn.utils.parametrize}
    g, t = _pair(lambda m: m.nn.Linear(3, 3))
    for lib, m in ((gt, g), (torch, t)):
        P[lib].register_parametrization(m, "weight", Symmetric.make(lib))
        assert type(m).__name__ == "ParametrizedLinear"
        assert P[lib].is_parametrized(m) and P[lib].is_parametrized(m, "weight")
        assert not P[lib].is_parametrized(m, "bias")
        assert P[lib].type_before_parametrizations(m) is lib.nn.Linear
    assert list(g.state_dict()) == list(t.state_dict())
    _close(g.weight, t.weight)
    x = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    yg, yt = g(gt.tensor(x)), t(torch.tensor(x))
    _close(yg, yt)
    yg.sum().backward()
    yt.sum().backward()
    _close(g.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad)
    a = np.arange(9, dtype=np.float32).reshape(3, 3)
    g.weight, t.weight = gt.tensor(a), torch.tensor(a)       # right_inverse
    _close(g.parametrizations.weight.original, t.parametrizations.weight.original)
    with P[gt].cached():
        assert g.weight is g.weight
    for leave in (True, False):
        gg, tt = _pair(lambda m: m.nn.Linear(3, 3))
        for lib, m in ((gt, gg), (torch, tt)):
            P[lib].register_parametrization(m, "weight", Symmetric.make(lib))
            P[lib].remove_parametrizations(m, "weight", leave_parametrized=leave)
            assert type(m).__name__ == "Linear" and not hasattr(m, "parametrizations")
        assert list(gg.state_dict()) == list(tt.state_dict())
        _close(gg.weight, tt.weight)


def test_parametrization_errors():
    for lib in (gt, torch):
        P = lib.nn.utils.parametrize

        class Shrink(lib.nn.Module):
            def forward(self, X):
                return X[:1]
        with pytest.raises(ValueError, match="may not change the shape"):
            P.register_parametrization(lib.nn.Linear(2, 2), "weight", Shrink())
        with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
            P.register_parametrization(lib.nn.Linear(2, 2), "nope", Shrink())
        with pytest.raises(ValueError, match="does not have a parametrization on"):
            P.remove_parametrizations(lib.nn.Linear(2, 2), "weight")


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization(dim):
    g, t = _pair(lambda m: m.nn.Conv2d(2, 3, 3))
    g = gt.nn.utils.parametrizations.weight_norm(g, dim=dim)
    t = torch.nn.utils.parametrizations.weight_norm(t, dim=dim)
    assert list(g.state_dict()) == list(t.state_dict())
    for k in ("original0", "original1"):
        _close(getattr(g.parametrizations.weight, k), getattr(t.parametrizations.weight, k))
    x = np.random.default_rng(3).standard_normal((2, 2, 5, 5)).astype(np.float32)
    yg, yt = g(gt.tensor(x)), t(torch.tensor(x))
    _close(yg, yt, 1e-5)
    yg.square().sum().backward()
    yt.square().sum().backward()
    _close(g.parametrizations.weight.original0.grad, t.parametrizations.weight.original0.grad,
           1e-4)


@pytest.mark.parametrize("k", range(3))
def test_spectral_norm_parametrization(k):
    g, t = _pair(LAYERS[k])
    g = gt.nn.utils.parametrizations.spectral_norm(g)
    t = torch.nn.utils.parametrizations.spectral_norm(t)
    sg, st = g.parametrizations.weight[0], t.parametrizations.weight[0]
    for name in ("_u", "_v"):
        getattr(sg, name).copy_(gt.tensor(getattr(st, name).numpy()))
    assert list(g.state_dict()) == list(t.state_dict())
    x = np.random.default_rng(4).standard_normal(INPUTS[k]).astype(np.float32)
    for _ in range(3):
        _close(g(gt.tensor(x)), t(torch.tensor(x)), 1e-5)
        _close(sg._u, st._u, 1e-5)


def test_functional_call():
    g, t = _pair(lambda m: m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4)))
    w = np.ones((4, 3), np.float32)
    x = np.random.default_rng(5).standard_normal((6, 3)).astype(np.float32)
    before = g[0].weight.detach().clone()
    yg = gt.nn.utils.stateless.functional_call(g, {"0.weight": gt.tensor(w)}, (gt.tensor(x),))
    yt = torch.nn.utils.stateless.functional_call(t, {"0.weight": torch.tensor(w)},
                                                  (torch.tensor(x),))
    _close(yg, yt, 1e-5)
    assert gt.equal(g[0].weight, before) and isinstance(g[0].weight, gt.nn.Parameter)
    _close(g[1].running_mean, t[1].running_mean)
    for lib in (gt, torch):
        m = lib.nn.Linear(2, 2)
        with pytest.raises(RuntimeError, match="Unexpected key"):
            lib.nn.utils.stateless.functional_call(m, {"nope": lib.zeros(1)}, lib.zeros(1, 2),
                                                   strict=True)
