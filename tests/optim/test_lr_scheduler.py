"""Every scheduler against torch: the lr (and momentum / beta1) of each param group over 100
steps, to 1e-12 relative; the closed forms of step(epoch); state_dict resume; warnings."""
import copy
import math
import warnings

import numpy as np
import pytest

from optim_problem import gt, make_params, torch


def _sgd(lib):
    ps = make_params(lib)
    return lib.optim.SGD([{"params": ps[:2], "lr": 0.05}, {"params": ps[2:]}], lr=0.1,
                         momentum=0.9)


def _adam(lib):
    ps = make_params(lib)
    return lib.optim.Adam([{"params": ps[:2], "lr": 0.02}, {"params": ps[2:]}], lr=0.01,
                          betas=(0.9, 0.99))


def _values(opt, sched):
    """What the schedule controls: lr, momentum (or beta1) of each group, get_last_lr()."""
    out = []
    for g in opt.param_groups:
        out += [float(g["lr"]), g.get("momentum", g["betas"][0] if "betas" in g else 0.0)]
    return out + [float(lr) for lr in sched.get_last_lr()]


S = "lr_scheduler"
CASES = [  # (optimizer, scheduler built from (library's lr_scheduler module, optimizer))
    (_sgd, lambda m, o: m.LambdaLR(o, lambda e: 0.95 ** e)),
    (_sgd, lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.5 + (e % 4)])),
    (_sgd, lambda m, o: m.MultiplicativeLR(o, lambda e: 0.97)),
    (_sgd, lambda m, o: m.StepLR(o, step_size=7, gamma=0.5)),
    (_adam, lambda m, o: m.StepLR(o, step_size=1, gamma=0.9)),
    (_sgd, lambda m, o: m.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.3)),
    (_sgd, lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=10)),
    (_sgd, lambda m, o: m.ConstantLR(o)),
    (_sgd, lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=20)),
    (_adam, lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=50)),
    (_sgd, lambda m, o: m.ExponentialLR(o, gamma=0.95)),
    (_sgd, lambda m, o: m.PolynomialLR(o, total_iters=40, power=2.0)),
    (_sgd, lambda m, o: m.PolynomialLR(o)),
    (_sgd, lambda m, o: m.CosineAnnealingLR(o, T_max=30)),
    (_adam, lambda m, o: m.CosineAnnealingLR(o, T_max=17, eta_min=0.001)),
    (_sgd, lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10)),
    (_sgd, lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-3)),
    (_sgd, lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10)),
    (_sgd, lambda m, o: m.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=5, step_size_down=15,
                                   mode="triangular2", base_momentum=[0.7, 0.8])),
    (_adam, lambda m, o: m.CyclicLR(o, 0.001, 0.01, step_size_up=8, mode="exp_range",
                                    gamma=0.99)),
    (_sgd, lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=6, scale_fn=lambda x: 0.5 ** x,
                                   scale_mode="iterations", cycle_momentum=False)),
    (_sgd, lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=100)),
    (_adam, lambda m, o: m.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=100,
                                      anneal_strategy="linear", three_phase=True)),
    (_sgd, lambda m, o: m.OneCycleLR(o, 0.1, epochs=10, steps_per_epoch=10, pct_start=0.25,
                                     cycle_momentum=False, div_factor=10,
                                     final_div_factor=100)),
    (_sgd, lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.1, total_iters=10),
                                           m.CosineAnnealingLR(o, T_max=90)], milestones=[10])),
    (_adam, lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, 0.3, 5), m.ExponentialLR(o, 0.9),
                                            m.StepLR(o, 10, 0.5)], milestones=[5, 40])),
    (_sgd, lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.1, total_iters=5),
                                            m.ExponentialLR(o, gamma=0.9)])),
    (_adam, lambda m, o: m.ChainedScheduler([m.LinearLR(o, 0.5, total_iters=30),
                                             m.MultiStepLR(o, [20, 50], 0.5)], o)),
]


def _run(lib, make_opt, make_sched, steps=100):
    opt = make_opt(lib)
    sched = make_sched(getattr(lib.optim, S), opt)
    values = [_values(opt, sched)]
    for _ in range(steps):
        opt.step()
        sched.step()
        values.append(_values(opt, sched))
    return np.array(values), opt, sched


@pytest.mark.parametrize("make_opt, make_sched", CASES)
def test_schedule_matches_torch(make_opt, make_sched):
    expected = _run(torch, make_opt, make_sched)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the right call order warns about nothing
        got = _run(gt, make_opt, make_sched)[0]
    assert len(np.unique(expected[:, 0])) > 1  # the schedule really changes the lr
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("make_opt, make_sched", CASES[::3])
def test_state_dict_resume(make_opt, make_sched):
    """Save scheduler and optimizer after 40 steps, load both into fresh ones (scheduler
    first, as torch's docs say), finish: the same as 100 uninterrupted steps."""
    expected, _, _ = _run(torch, make_opt, make_sched)
    _, opt, sched = _run(gt, make_opt, make_sched, steps=40)
    saved_sched, saved_opt = copy.deepcopy(sched.state_dict()), copy.deepcopy(opt.state_dict())
    opt2 = make_opt(gt)
    sched2 = make_sched(gt.optim.lr_scheduler, opt2)
    sched2.load_state_dict(saved_sched)
    opt2.load_state_dict(saved_opt)
    rest = []
    for _ in range(60):
        opt2.step()
        sched2.step()
        rest.append(_values(opt2, sched2))
    np.testing.assert_allclose(np.array(rest), expected[41:], rtol=1e-12, atol=0)


@pytest.mark.parametrize("make_opt, make_sched", CASES)
def test_state_dict_matches_torch(make_opt, make_sched):
    expected = _run(torch, make_opt, make_sched, 5)[2].state_dict()
    got = _run(gt, make_opt, make_sched, 5)[2].state_dict()
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == value, key


@pytest.mark.parametrize("name, kwargs, epochs", [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, [1, 2, 5, 3, 9, 10, 0]),
    ("MultiStepLR", {"milestones": [2, 5, 5], "gamma": 0.5}, [1, 2, 6, 3, 0]),
    ("ConstantLR", {"factor": 0.25, "total_iters": 4}, [1, 3, 4, 8, 2]),
    ("LinearLR", {"start_factor": 0.2, "total_iters": 6}, [1, 4, 9, 2, 0]),
    ("ExponentialLR", {"gamma": 0.8}, [1, 5, 2, 7]),
    ("PolynomialLR", {"total_iters": 6, "power": 1.5}, [1, 4, 9, 2]),
    ("CosineAnnealingLR", {"T_max": 8, "eta_min": 0.01}, [1, 4, 13, 8, 2]),
    ("LambdaLR", {"lr_lambda": lambda e: 1.0 / (1 + e)}, [3, 1, 7]),
])
def test_step_with_epoch_uses_closed_form(name, kwargs, epochs):
    results = []
    for lib in (torch, gt):
        opt = _sgd(lib)
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
        values = []
        for epoch in epochs:
            opt.step()
            with pytest.warns(UserWarning, match="epoch parameter"):
                sched.step(epoch)
            values.append(_values(opt, sched))
        results.append(np.array(values))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12, atol=0)


@pytest.mark.parametrize("kwargs", [{"T_0": 3}, {"T_0": 2, "T_mult": 3, "eta_min": 0.005}])
def test_warm_restarts_fractional_epochs(kwargs):
    results = []
    for lib in (torch, gt):
        opt = _sgd(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, **kwargs)
        values = []
        for epoch in range(12):
            for i in range(5):
                opt.step()
                sched.step(epoch + i / 5)
                values.append(_values(opt, sched) + [sched.T_cur, sched.T_i, sched.last_epoch])
        results.append(np.array(values))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12, atol=0)


METRICS = [1.0, 0.9, 0.9, 0.95, 0.9, 0.91, 0.92, 0.5, 0.5, 0.5, 0.5, 0.49999, 0.6, 0.6, 0.6,
           0.6, 0.3, 0.3, 0.3, 0.31, 0.32, 0.33, 0.34, 0.35] * 4


@pytest.mark.parametrize("kwargs", [
    {},
    {"patience": 2},
    {"mode": "max", "factor": 0.5, "patience": 1},
    {"patience": 1, "threshold": 0.05, "threshold_mode": "abs", "cooldown": 2},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 0},
    {"patience": 0, "factor": 0.5, "min_lr": [0.01, 0.02]},
    {"patience": 0, "factor": 0.9, "min_lr": 0.04, "eps": 0.004},
])
def test_reduce_lr_on_plateau(kwargs):
    results = []
    for lib in (torch, gt):
        opt = _sgd(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        values = []
        for metric in METRICS:
            opt.step()
            sched.step(metric)
            values.append(_values(opt, sched) + [sched.num_bad_epochs, sched.cooldown_counter,
                                                 sched.best, sched.last_epoch])
        results.append(np.array(values))
    assert len(np.unique(results[0][:, 0])) > 1
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12, atol=0)


def test_reduce_lr_on_plateau_resume():
    opt = _sgd(gt)
    sched = gt.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for metric in METRICS[:10]:
        sched.step(metric)
    sched2 = gt.optim.lr_scheduler.ReduceLROnPlateau(opt)
    sched2.load_state_dict(copy.deepcopy(sched.state_dict()))
    for metric in METRICS[10:]:
        sched.step(metric)
        lr = opt.param_groups[0]["lr"]
        sched2.step(metric)
    assert sched2.state_dict() == sched.state_dict() and lr > 0


def test_warns_when_scheduler_steps_first():
    for lib in (torch, gt):
        opt = _sgd(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()
        opt2 = _sgd(lib)
        sched2 = lib.optim.lr_scheduler.ExponentialLR(opt2, 0.9)
        opt2.step = lambda closure=None: None  # replaced after the scheduler wrapped it
        with pytest.warns(UserWarning, match="has been overridden"):
            sched2.step()
        with pytest.warns(UserWarning, match="get_last_lr"):
            sched2.get_lr()


@pytest.mark.parametrize("case", [
    lambda m, o: m.StepLR(object(), 3),
    lambda m, o: m.StepLR(o, 3, last_epoch=4),
    lambda m, o: m.ConstantLR(o, factor=1.5),
    lambda m, o: m.LinearLR(o, start_factor=0),
    lambda m, o: m.LinearLR(o, end_factor=2.0),
    lambda m, o: m.LambdaLR(o, [lambda e: 1.0]),
    lambda m, o: m.MultiplicativeLR(o, 0.9),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
    lambda m, o: m.CyclicLR(o, 0.01, 0.1, mode="bogus"),
    lambda m, o: m.CyclicLR(o, [0.01], 0.1),
    lambda m, o: m.CyclicLR(_adagrad(o), 0.01, 0.1),  # cycle_momentum needs momentum/betas
    lambda m, o: m.OneCycleLR(o, 0.1),
    lambda m, o: m.OneCycleLR(o, 0.1, total_steps=0),
    lambda m, o: m.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=0),
    lambda m, o: m.OneCycleLR(o, 0.1, total_steps=10, pct_start=1),
    lambda m, o: m.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"),
    lambda m, o: _step_n(m.OneCycleLR(o, 0.1, total_steps=3), 4),  # past total_steps
    lambda m, o: m.SequentialLR(o, [], milestones=[]),
    lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.StepLR(o, 3)], milestones=[]),
    lambda m, o: m.SequentialLR(o, [m.ReduceLROnPlateau(o)], milestones=[]),
    lambda m, o: m.ChainedScheduler([]),
    lambda m, o: m.ReduceLROnPlateau(o, factor=1.0),
    lambda m, o: m.ReduceLROnPlateau(o, mode="avg"),
    lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="pct"),
    lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1]),
])
def test_errors_match_torch(case):
    outcomes = []
    for lib in (torch, gt):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                case(getattr(lib.optim, S), _sgd(lib))
            outcomes.append(None)
        except Exception as e:  # noqa: BLE001 - type and message are compared
            outcomes.append((type(e), str(e)))
    assert outcomes[0] is not None
    assert outcomes[1][0] is outcomes[0][0]
    if outcomes[0][0] is ValueError:
        assert outcomes[1][1] == outcomes[0][1]


def _step_n(sched, n):
    for _ in range(n):
        sched.step()


def _adagrad(opt):
    """An optimizer over the same parameters with neither momentum nor betas."""
    lib = torch if isinstance(opt, torch.optim.Optimizer) else gt
    return lib.optim.Adagrad(opt.param_groups[0]["params"])


def test_schedulers_write_only_lr():
    opt = _adam(gt)
    before = copy.deepcopy([{k: v for k, v in g.items() if k != "params"}
                            for g in opt.param_groups])
    sched = gt.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    for _ in range(3):
        opt.step()
        sched.step()
    for b, g in zip(before, opt.param_groups):
        assert {k: v for k, v in g.items() if k not in ("params", "lr", "initial_lr")} == \
            {k: v for k, v in b.items() if k != "lr"}
        assert math.isclose(g["initial_lr"], b["lr"]) and g["lr"] < b["lr"]
