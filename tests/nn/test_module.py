"""nn.Module mechanics against torch: registration, iteration, state_dict, hooks, repr."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import glasstorch as gt
import glasstorch.nn as gnn


def _pair(build):
    """The same architecture in both frameworks, with glasstorch weights copied to torch."""
    g, t = build(gnn), build(torch.nn)
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in g.state_dict().items()})
    return g, t


class _Net:
    @staticmethod
    def build(nn):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(4, 8)
                self.act = nn.Identity()
                self.blocks = nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8)])
                self.head = nn.Sequential(OrderedDict(out=nn.Linear(8, 3)))
                self.register_buffer("steps", (torch if nn is torch.nn else gt).zeros(1))
                self.register_buffer("scratch", (torch if nn is torch.nn else gt).zeros(2),
                                     persistent=False)

            def forward(self, x):
                x = self.act(self.fc1(x))
                for b in self.blocks:
                    x = b(x)
                return self.head(x)
        return Net()


def test_names_and_order_match_torch():
    g, t = _pair(_Net.build)
    assert list(g.state_dict()) == list(t.state_dict())
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in g.named_children()] == [n for n, _ in t.named_children()]
    assert repr(g) == repr(t)


def test_forward_backward_matches_torch():
    g, t = _pair(_Net.build)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    yg, yt = g(gt.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    (yg * yg).sum().backward()
    (yt * yt).sum().backward()
    for (n, pg), (_, pt) in zip(g.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pg.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=n)


def test_tied_parameter_appears_once_and_gets_summed_grad():
    for nn, lib in ((gnn, gt), (torch.nn, torch)):
        lin = nn.Linear(3, 3, bias=False)
        seq = nn.Sequential(lin, lin)
        assert len(list(seq.parameters())) == 1
        assert list(seq.state_dict()) == ["0.weight", "1.weight"]
    g, t = _pair(lambda nn: nn.Sequential(*(2 * [nn.Linear(3, 3, bias=False)])))
    x = np.ones((2, 3), np.float32)
    g(gt.tensor(x)).sum().backward()
    t(torch.tensor(x)).sum().backward()
    np.testing.assert_allclose(g[0].weight.grad.numpy(), t[0].weight.grad.numpy(), rtol=1e-5)


def test_load_state_dict_errors_leave_model_unchanged():
    g = _Net.build(gnn)
    before = {k: v.numpy().copy() for k, v in g.state_dict().items()}
    bad = OrderedDict((k, gt.zeros(v.shape)) for k, v in g.state_dict().items())
    bad["head.out.weight"] = gt.zeros(5, 8)  # wrong shape
    del bad["fc1.bias"]                       # missing
    bad["extra"] = gt.zeros(1)                # unexpected
    with pytest.raises(RuntimeError) as e:
        g.load_state_dict(bad)
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "fc1.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra"' in msg
    assert "size mismatch for head.out.weight" in msg
    for k, v in g.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    # torch's message for the same situation has the same three parts
    t = _Net.build(torch.nn)
    tbad = OrderedDict((k, torch.zeros(v.shape)) for k, v in t.state_dict().items())
    tbad["head.out.weight"] = torch.zeros(5, 8)
    del tbad["fc1.bias"]
    tbad["extra"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as te:
        t.load_state_dict(tbad)
    assert str(te.value).splitlines()[0] == msg.splitlines()[0]


def test_load_state_dict_non_strict_reports_keys():
    g = gnn.Linear(2, 2)
    r = g.load_state_dict({"weight": gt.ones(2, 2), "junk": gt.ones(1)}, strict=False)
    assert r.missing_keys == ["bias"] and r.unexpected_keys == ["junk"]
    np.testing.assert_array_equal(g.weight.detach().numpy(), np.ones((2, 2)))


def test_setattr_routing_and_errors():
    m = gnn.Module()
    m.w = gnn.Parameter(gt.ones(2))
    assert "w" in m._parameters
    with pytest.raises(TypeError):
        m.w = gt.ones(2)  # a plain tensor cannot replace a parameter
    m.w = None
    assert m._parameters["w"] is None

    class NoInit(gnn.Module):
        def __init__(self):
            self.w = gnn.Parameter(gt.ones(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        NoInit()
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        gnn.Linear(1, 1).nope
    with pytest.raises(KeyError):
        gnn.Module().register_parameter("a.b", None)


def test_sequential_indexing_like_torch():
    g, t = _pair(lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Identity(), nn.Linear(3, 1)))
    assert type(g[-1]).__name__ == type(t[-1]).__name__ == "Linear"
    assert repr(g[1:]) == repr(t[1:])
    assert len(g) == len(t) == 3
    g.append(gnn.Identity())
    t.append(torch.nn.Identity())
    g.insert(0, gnn.Identity())
    t.insert(0, torch.nn.Identity())
    assert list(g.state_dict()) == list(t.state_dict())
    assert repr(g) == repr(t)


def test_containers():
    ml = gnn.ModuleList([gnn.Linear(1, 1) for _ in range(3)])
    assert len(list(ml.parameters())) == 6 and isinstance(ml[1:], gnn.ModuleList)
    md = gnn.ModuleDict({"a": gnn.Linear(1, 2), "b": gnn.Identity()})
    assert list(md.keys()) == ["a", "b"] and "a" in md
    pl = gnn.ParameterList([gt.ones(2), gt.zeros(3)])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    assert isinstance(pl[0], gnn.Parameter)
    pd = gnn.ParameterDict({"x": gt.ones(1)})
    assert [n for n, _ in pd.named_parameters()] == ["x"]


def test_hooks_order_and_effects():
    calls = []
    m = gnn.Linear(2, 2)
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre"))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 0)
    y = m(gt.ones(1, 2))
    assert calls == ["pre"] and not y.detach().numpy().any()
    h1.remove()
    h2.remove()
    assert m(gt.ones(1, 2)).detach().numpy().any()


def test_full_backward_hook_matches_torch():
    seen = {}
    for nn, lib in ((gnn, gt), (torch.nn, torch)):
        lib.manual_seed(0)
        m = nn.Linear(3, 2)
        with (gt.no_grad() if lib is gt else torch.no_grad()):
            m.weight.copy_(lib.tensor([[1., 2., 3.], [4., 5., 6.]]))
        got = []
        m.register_full_backward_hook(lambda mod, gin, gout: got.append((gin, gout)))
        x = lib.tensor([[1., -1., 2.]], requires_grad=True)
        m(x).sum().backward()
        gin, gout = got[0]
        seen[lib.__name__] = (gin[0].detach().numpy(), gout[0].detach().numpy())
    np.testing.assert_allclose(seen["glasstorch"][0], seen["torch"][0])
    np.testing.assert_allclose(seen["glasstorch"][1], seen["torch"][1])


def test_train_eval_apply_zero_grad_to():
    m = gnn.Sequential(gnn.Linear(2, 2), gnn.Linear(2, 2))
    m.eval()
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    with pytest.raises(ValueError):
        m.train("yes")
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Linear", "Sequential"]
    m(gt.ones(1, 2)).sum().backward()
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    params = list(m.parameters())
    m.double()
    assert all(p.dtype == gt.float64 for p in m.parameters())
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]  # same objects
    with pytest.raises(RuntimeError, match="cuda"):
        m.to("cuda")


def test_get_submodule_and_parameter():
    g = _Net.build(gnn)
    assert g.get_submodule("head.out") is g.head.out
    assert g.get_parameter("blocks.1.bias") is g.blocks[1].bias
    with pytest.raises(AttributeError):
        g.get_submodule("head.nothing")


def test_linear_init_distribution_like_torch():
    # kaiming_uniform(a=sqrt(5)) on weight and U(-1/sqrt(in), 1/sqrt(in)) on bias
    gt.manual_seed(0)
    m = gnn.Linear(400, 1000)
    bound = 1 / np.sqrt(400)
    w = m.weight.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound
    assert abs(w.mean()) < 0.01 * bound
    b = m.bias.detach().numpy()
    assert b.min() >= -bound and b.max() <= bound


@pytest.mark.parametrize("build, shape", [
    (lambda nn: nn.Flatten(), (2, 3, 4)),
    (lambda nn: nn.Flatten(0, 1), (2, 3, 4)),
    (lambda nn: nn.Unflatten(1, (2, 6)), (3, 12)),
    (lambda nn: nn.Unflatten(-1, (2, -1)), (3, 12)),
    (lambda nn: nn.Identity(7, unused=True), (2, 2)),
])
def test_flatten_unflatten_identity_like_torch(build, shape):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    g, t = build(gnn), build(torch.nn)
    assert repr(g) == repr(t)
    np.testing.assert_array_equal(g(gt.tensor(x)).numpy(), t(torch.tensor(x)).numpy())


# ---- Module.__call__'s fast path (hook registries read from the instance dict) --------------
def _hooked_mlp(lib, log):
    """A batch-1 MLP under no_grad with pre-hooks, hooks (one with kwargs) and a hook added
    straight into a registry, as code written against torch's internals does."""
    nn = lib.nn
    lib.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    m[0].register_forward_pre_hook(lambda mod, args: log.append("pre0") or (args[0] * 2,))
    m.register_forward_pre_hook(lambda mod, args, kwargs: log.append("pre-seq"),
                                with_kwargs=True)
    m[1].register_forward_hook(lambda mod, args, out: log.append("post1") or out + 1)
    m[2].register_forward_hook(lambda mod, args, out: log.append("post2-first"),
                               prepend=True)
    m[2]._forward_hooks[10 ** 6] = lambda mod, args, out: log.append("post2-direct")
    return m


def test_call_hooks_fire_in_torchs_order_under_no_grad():
    logs, outs = {}, {}
    for lib in (gt, torch):
        log = logs[lib.__name__] = []
        m = _hooked_mlp(lib, log)
        if lib is torch:
            m.load_state_dict({k: torch.tensor(v.numpy()) for k, v in
                               _hooked_mlp(gt, []).state_dict().items()})
        with lib.no_grad():
            outs[lib.__name__] = m(lib.ones(1, 4)).numpy()
            m(lib.ones(1, 4))
    assert logs["glasstorch"] == logs["torch"] and len(logs["torch"]) == 10
    np.testing.assert_allclose(outs["glasstorch"], outs["torch"], rtol=1e-6)


def test_call_passes_keywords_and_runs_forward_once():
    class Scale(gnn.Module):
        calls = 0

        def forward(self, x, scale=1, *, missing):
            Scale.calls += 1
            return {"y": x * scale}[missing]   # a KeyError from inside forward

    m = Scale()
    with pytest.raises(KeyError, match="nope"):
        m(gt.ones(2), 3, missing="nope")
    assert Scale.calls == 1
    assert m(gt.ones(2), scale=3, missing="y").tolist() == [3.0, 3.0]


def test_call_without_module_init_raises_torchs_attribute_error():
    for nn in (gnn, torch.nn):
        class NoInit(nn.Module):
            def __init__(self):
                pass

            def forward(self, x):
                return x

        with pytest.raises(AttributeError, match="'NoInit' object has no attribute "
                                                 "'_backward_hooks'"):
            NoInit()(1)
