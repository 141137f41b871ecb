"""Muon (bfloat16 Newton-Schulz emulated), swap_in_optimizer_params_and_state and
autograd.enforce_grad_layout_policy against torch."""
import numpy as np
import pytest
import torch

import glasstorch as gt


@pytest.mark.parametrize("shape", [(8, 5), (5, 8), (6, 6)])
@pytest.mark.parametrize("kw", [{}, {"nesterov": False}, {"adjust_lr_fn": "match_rms_adamw"},
                                {"weight_decay": 0.0, "momentum": 0.5, "ns_steps": 3}])
def test_muon_trajectory_like_torch(shape, kw):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(shape).astype(np.float32)
    grads = [rng.standard_normal(shape).astype(np.float32) for _ in range(6)]
    out = []
    for lib in (torch, gt):
        p = lib.nn.Parameter(lib.tensor(w0.copy()))
        opt = lib.optim.Muon([p], lr=0.02, **kw)
        for g in grads:
            p.grad = lib.tensor(g)
            opt.step()
        out.append(p.detach().numpy().copy())
        assert sorted(opt.state[p]) == ["momentum_buffer"]
    # bfloat16 rounding is emulated step by step: agreement to far below one update's size
    np.testing.assert_allclose(out[1], out[0], atol=2e-5)
    assert np.abs(out[0] - w0).max() > 1e-2


@pytest.mark.parametrize("make", [
    lambda m, p: m.optim.Muon([m.nn.Parameter(m.zeros(3))]),
    lambda m, p: m.optim.Muon([p], lr=-1.0),
    lambda m, p: m.optim.Muon([p], momentum=-0.1),
    lambda m, p: m.optim.Muon([p], weight_decay=-0.1),
    lambda m, p: m.optim.Muon([p], adjust_lr_fn="nope"),
])
def test_muon_errors_like_torch(make):
    errs = []
    for m in (torch, gt):
        with pytest.raises(Exception) as e:
            make(m, m.nn.Parameter(m.zeros(2, 3)))
        errs.append((type(e.value), str(e.value)))
    assert errs[0] == errs[1]


def _trained(m):
    p = m.nn.Parameter(m.tensor([[1.0, 2.0], [3.0, 4.0]]))
    opt = m.optim.Adam([p], lr=0.1)
    p.grad = m.ones(2, 2)
    opt.step()
    return p, opt


def test_swap_in_optimizer_params_and_state_like_torch():
    results, steps = [], []
    for m in (torch, gt):
        p, opt = _trained(m)
        sd = opt.state_dict()
        other = m.nn.Parameter(m.tensor([[0.0, 0.0], [0.0, 0.0]]))
        sd["param_groups"][0]["lr"] = 1.0
        with m.optim.swap_in_optimizer_params_and_state(opt, {"w": other}, sd):
            assert opt.param_groups[0]["params"][0] is other and opt.param_groups[0]["lr"] == 1.0
            other.grad = m.ones(2, 2)
            opt.step()
        assert opt.param_groups[0]["params"][0] is p and opt.param_groups[0]["lr"] == 0.1
        steps.append(float(opt.state[p]["step"]))
        results.append((other.detach().numpy().copy(), p.detach().numpy().copy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-6)
    assert steps[0] == steps[1]     # state tensors are shared: the swapped step counts too
    for m in (torch, gt):
        p = m.nn.Parameter(m.zeros(2))
        opt = m.optim.SGD([p], lr=0.1)
        with pytest.raises(RuntimeError, match="requires initialized optimizer state"):
            with m.optim.swap_in_optimizer_params_and_state(opt, {"w": p}, opt.state_dict()):
                pass
        p, opt = _trained(m)
        sd = opt.state_dict()
        sd["state"][7] = {}
        with pytest.raises(RuntimeError, match="got extra keys"):
            with m.optim.swap_in_optimizer_params_and_state(opt, {"w": p}, sd):
                pass


def test_enforce_grad_layout_policy_like_torch():
    flags = []
    for m, get in ((torch, torch._C._is_grad_layout_enforcement_enabled),
                   (gt, lambda: gt.autograd.grad_mode.STATE.grad_layout)):
        seen = []
        with m.autograd.enforce_grad_layout_policy(False):
            seen.append(get())
        seen.append(get())
        m.autograd.enforce_grad_layout_policy(False)
        seen.append(get())
        m.autograd.enforce_grad_layout_policy(True)

        @m.autograd.enforce_grad_layout_policy(False)
        def f():
            return get()
        seen += [get(), f(), get()]
        for pol in (True, False):      # the policy off: .grad keeps the gradient's own layout
            x = m.ones(2, 3, 4, 5).contiguous(memory_format=m.channels_last).requires_grad_()
            y = m.ones(2, 3, 4, 5).requires_grad_()
            w = m.ones(2, 3, 4, 5).contiguous(memory_format=m.channels_last)
            with m.autograd.enforce_grad_layout_policy(pol):
                (x * 2).sum().backward()
                (y * w).sum().backward()
            seen += [x.grad.stride(), y.grad.stride()]
        flags.append(seen)
    assert flags[0] == flags[1]
