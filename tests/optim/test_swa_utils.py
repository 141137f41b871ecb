"""optim.swa_utils against torch: the averaged weights (SWA and EMA, per-tensor and list
forms, with and without buffers), SWALR's lr sequence, update_bn's statistics."""
import numpy as np
import pytest
import torch

import glasstorch as gt


def _net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def _pair():
    torch.manual_seed(0)
    t = _net(torch).double()
    g = _net(gt).double()
    g.load_state_dict({k: gt.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return g, t


X = np.random.default_rng(0).standard_normal((10, 16, 4))
Y = np.random.default_rng(1).standard_normal((10, 16, 2))


def _train(lib, model, make_avg, sched_kw):
    su = lib.optim.swa_utils
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    avg = make_avg(su, model)
    sched = su.SWALR(opt, **sched_kw)
    lrs = []
    for x, y in zip(X, Y):
        opt.zero_grad()
        ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean().backward()
        opt.step()
        avg.update_parameters(model)
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    su.update_bn([lib.tensor(x) for x in X[:4]], avg)
    return avg, lrs


AVERAGES = [
    lambda su, m: su.AveragedModel(m),
    lambda su, m: su.AveragedModel(m, avg_fn=su.get_ema_avg_fn(0.9)),
    lambda su, m: su.AveragedModel(m, multi_avg_fn=su.get_ema_multi_avg_fn(0.8)),
    lambda su, m: su.AveragedModel(m, multi_avg_fn=su.get_swa_multi_avg_fn(),
                                   use_buffers=True),
    lambda su, m: su.AveragedModel(m, avg_fn=su.get_swa_avg_fn(), use_buffers=True),
    lambda su, m: su.AveragedModel(m, multi_avg_fn=su.get_swa_multi_avg_fn()),
]
SCHEDULES = [{"swa_lr": 0.05}, {"swa_lr": 0.02, "anneal_epochs": 3, "anneal_strategy": "linear"},
             {"swa_lr": 0.01, "anneal_epochs": 0}]


@pytest.mark.parametrize("k", range(len(AVERAGES)))
def test_averaged_model_and_swalr(k):
    g, t = _pair()
    if k == 3:   # the list form meets BN's int64 counter: torch's addcdiv refuses integers
        for lib, m in ((gt, g), (torch, t)):
            with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
                _train(lib, m, AVERAGES[k], SCHEDULES[k % 3])
        return
    ga, glr = _train(gt, g, AVERAGES[k], SCHEDULES[k % 3])
    ta, tlr = _train(torch, t, AVERAGES[k], SCHEDULES[k % 3])
    np.testing.assert_allclose(glr, tlr, rtol=1e-12)
    gs, ts = ga.state_dict(), ta.state_dict()
    assert list(gs) == list(ts)
    for key in ts:
        np.testing.assert_allclose(gs[key].numpy(), ts[key].numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=key)
    x = X[0]
    np.testing.assert_allclose(ga(gt.tensor(x)).detach().numpy(),
                               ta(torch.tensor(x)).detach().numpy(), rtol=1e-9, atol=1e-12)


def test_errors_and_state_dict():
    for lib in (gt, torch):
        su = lib.optim.swa_utils
        with pytest.raises(ValueError, match="Invalid decay value"):
            su.get_ema_avg_fn(1.5)
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(2))], lr=0.1)
        with pytest.raises(ValueError, match="anneal_strategy must be one of"):
            su.SWALR(opt, 0.1, anneal_strategy="step")
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater"):
            su.SWALR(opt, 0.1, anneal_epochs=-1)
        with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
            su.AveragedModel(lib.nn.Linear(1, 1), avg_fn=su.get_swa_avg_fn(),
                             multi_avg_fn=su.get_swa_multi_avg_fn())
        s = su.SWALR(opt, 0.05, anneal_strategy="linear")
        state = s.state_dict()
        assert "anneal_func" not in state and state["_anneal_strategy"] == "linear"
        s2 = su.SWALR(opt, 0.05)
        s2.load_state_dict(state)
        assert s2.anneal_func(0.5) == 0.5
