"""Optimizer bookkeeping against torch: param groups, errors, zero_grad, state keyed by the
parameter, state_dict validation and casting, closures and version counters."""
import copy
import warnings

import numpy as np
import pytest

from optim_problem import INIT, flat, gt, loss_fn, make_optimizer, make_params, run, torch

ALL = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam",
       "LBFGS"]


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and message are what we compare
        return type(e), str(e)
    return None


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"lr": -0.1}),
    ("SGD", {"lr": 0.1, "momentum": -0.5}),
    ("SGD", {"lr": 0.1, "weight_decay": -1.0}),
    ("SGD", {"lr": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("Adam", {"lr": -1e-3}),
    ("Adam", {"eps": -1.0}),
    ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (0.9, -0.1)}),
    ("Adam", {"betas": (0, 0.9)}),
    ("Adam", {"weight_decay": -0.1}),
    ("AdamW", {"betas": (0.9, 1.5)}),
    ("Adagrad", {"lr_decay": -1.0}),
    ("Adagrad", {"initial_accumulator_value": -1.0}),
    ("Adagrad", {"eps": -1.0}),
    ("RMSprop", {"alpha": -0.5}),
    ("RMSprop", {"momentum": -0.5}),
    ("Adadelta", {"rho": 1.5}),
    ("Adadelta", {"lr": -1.0}),
    ("Adamax", {"betas": (-0.1, 0.9)}),
    ("NAdam", {"momentum_decay": -1.0}),
    ("RAdam", {"weight_decay": -1.0}),
    ("LBFGS", {"lr": -1.0}),
])
def test_invalid_hyperparameters(name, kwargs):
    expected = _error(lambda: getattr(torch.optim, name)(make_params(torch), **kwargs))
    got = _error(lambda: getattr(gt.optim, name)(make_params(gt), **kwargs))
    assert expected is not None and got == expected


@pytest.mark.parametrize("case", [
    lambda lib, ps: lib.optim.SGD([], lr=0.1),
    lambda lib, ps: lib.optim.SGD(ps[0], lr=0.1),
    lambda lib, ps: lib.optim.SGD([{"params": {ps[0]}}], lr=0.1),
    lambda lib, ps: lib.optim.SGD([ps[0], 1.0], lr=0.1),
    lambda lib, ps: lib.optim.SGD([ps[0] * 2], lr=0.1),
    lambda lib, ps: lib.optim.SGD([{"params": ps[:2]}, {"params": ps[1:]}], lr=0.1),
    lambda lib, ps: lib.optim.SGD([ps[3]], lr=0.1).add_param_group({"params": [ps[3]]}),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1).add_param_group([ps[0]]),
    lambda lib, ps: lib.optim.SGD(ps[:1], lr=0.1).add_param_group({"params": [("b", ps[1])]}),
    lambda lib, ps: lib.optim.SGD([("a", ps[0]), ps[1]], lr=0.1),
    lambda lib, ps: lib.optim.LBFGS([{"params": ps[:2]}, {"params": ps[2:]}]),
    lambda lib, ps: lib.optim.LBFGS(ps).step(),
])
def test_construction_errors(case):
    expected = _error(lambda: case(torch, make_params(torch)))
    got = _error(lambda: case(gt, make_params(gt)))
    assert expected is not None
    assert got[0] is expected[0]
    if expected[0] is ValueError:
        assert got[1] == expected[1]


def test_add_param_group_and_repr_match_torch():
    opts = []
    for lib in (torch, gt):
        ps = make_params(lib)
        opt = lib.optim.Adam([{"params": ps[:2], "lr": 0.1}], amsgrad=True)
        opt.add_param_group({"params": ps[2:], "betas": (0.5, 0.6)})
        opts.append(opt)
    assert repr(opts[1]) == repr(opts[0])
    assert opts[1].state_dict() == opts[0].state_dict()  # no state yet: plain values


def test_duplicate_parameter_warns_like_torch():
    for lib in (torch, gt):
        ps = make_params(lib)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            lib.optim.SGD([ps[0], ps[0]], lr=0.1)


def test_named_parameters_are_kept():
    sds = []
    for lib in (torch, gt):
        ps = make_params(lib)
        opt = lib.optim.SGD([("w1", ps[0]), ("b1", ps[1])], lr=0.1)
        sds.append(opt.state_dict())
    assert sds[1] == sds[0]
    assert sds[1]["param_groups"][0]["param_names"] == ["w1", "b1"]


def test_state_is_keyed_by_parameter_and_skips_grad_none():
    ps = make_params(gt)
    opt = gt.optim.Adam(ps, lr=0.1)
    loss_fn(gt, ps, 1).backward()  # step 1: b2 and the last param get no grad
    opt.step()
    assert set(opt.state) == set(ps[:3]) and all(isinstance(k, gt.Tensor) for k in opt.state)
    assert ps[3] not in opt.state and opt.state[ps[0]]["exp_avg"].shape == ps[0].shape
    np.testing.assert_array_equal(ps[3].detach().numpy(), INIT[3])


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    """With zeros instead of None, b2 keeps getting momentum steps: compare with torch."""
    trajectories = []
    for lib in (torch, gt):
        ps = make_params(lib)
        opt = lib.optim.SGD(ps, lr=0.1, momentum=0.9)
        traj = []
        for step in range(12):
            opt.zero_grad(set_to_none=set_to_none)
            loss_fn(lib, ps, step).backward()
            opt.step()
            traj.append(flat(ps))
        trajectories.append(np.stack(traj))
        assert (ps[3].grad is None) == set_to_none  # step 11: b2 is not in the loss
    np.testing.assert_allclose(trajectories[1], trajectories[0], rtol=1e-10, atol=1e-12)


def test_step_returns_closure_loss_with_grad_enabled():
    ps = make_params(gt)
    opt = gt.optim.SGD(ps, lr=0.1)
    seen = []

    def closure():
        seen.append(gt.is_grad_enabled())
        opt.zero_grad()
        loss = loss_fn(gt, ps, 0)
        loss.backward()
        return loss
    with gt.no_grad():
        loss = opt.step(closure)
    assert seen == [True] and isinstance(loss, gt.Tensor)
    assert opt.step() is None


@pytest.mark.parametrize("name", ALL)
def test_step_bumps_version_and_keeps_params_leaves(name):
    ps = make_params(gt)
    opt = make_optimizer(gt, name, ps, {})
    before = [p._version for p in ps]

    def closure():
        opt.zero_grad()
        loss = loss_fn(gt, ps, 0)
        loss.backward()
        return loss
    opt.step(closure) if name == "LBFGS" else (closure(), opt.step())
    assert all(p._version > v for p, v in zip(ps[:4], before))
    if name != "LBFGS":  # (LBFGS moves all parameters as one vector, as torch)
        assert ps[4]._version == before[4]  # never had a grad
    assert all(p.is_leaf and p.requires_grad and p.grad_fn is None for p in ps)


def test_tensor_lr_matches_torch():
    expected = run(torch, "SGD", {"lr": torch.tensor(0.1), "momentum": 0.9}, 10)
    got = run(gt, "SGD", {"lr": gt.tensor(0.1), "momentum": 0.9}, 10)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_load_state_dict_validates_before_changing_anything():
    ps = make_params(gt)
    opt = make_optimizer(gt, "Adam", ps, {"lr": 0.1})
    loss_fn(gt, ps, 0).backward()
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    groups, state = copy.deepcopy(opt.param_groups), opt.state
    bad_count = dict(sd, param_groups=sd["param_groups"][:1])
    bad_size = dict(sd, param_groups=[sd["param_groups"][0],
                                      dict(sd["param_groups"][1], params=[1, 2])])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(bad_count)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(bad_size)
    assert opt.state is state and [g["lr"] for g in opt.param_groups] == [g["lr"] for g in groups]


def test_load_state_dict_casts_like_torch():
    """float64 state into float32 params: moments become float32 (copies), step keeps float32;
    a number `step` (older checkpoints) becomes a tensor; options missing from the saved groups
    get the defaults, and AdamW stays decoupled."""
    src = make_params(gt)
    opt = gt.optim.Adam(src, lr=0.1)
    loss_fn(gt, src, 0).backward()
    opt.step()
    sd = opt.state_dict()
    sd["state"][1]["step"] = 1.0
    del sd["param_groups"][0]["amsgrad"]
    dst = make_params(gt, "float32")
    opt2 = gt.optim.AdamW(dst, lr=0.5)
    opt2.load_state_dict(sd)
    s0 = opt2.state[dst[0]]
    assert s0["exp_avg"].dtype == gt.float32 and s0["step"].dtype == gt.float32
    assert s0["exp_avg"]._data is not opt.state[src[0]]["exp_avg"]._data
    assert isinstance(opt2.state[dst[1]]["step"], gt.Tensor)
    group = opt2.param_groups[0]
    assert group["lr"] == 0.1 and group["amsgrad"] is False
    assert group["decoupled_weight_decay"] is True and group["params"] == dst


def test_deepcopy_optimizer_keeps_working():
    ps = make_params(gt)
    opt = gt.optim.LBFGS(ps, max_iter=3)

    def closure():
        opt.zero_grad()
        loss = loss_fn(gt, ps, 1)
        loss.backward()
        return loss
    opt.step(closure)
    clone = copy.deepcopy(opt)
    assert clone.param_groups[0]["params"][0] is not ps[0]
    assert clone.state_dict()["state"][0]["n_iter"] == opt.state[ps[0]]["n_iter"] == 2


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_differentiable_is_refused(name):
    with pytest.raises(NotImplementedError, match="differentiable"):
        getattr(gt.optim, name)(make_params(gt), differentiable=True)


def test_no_warnings_in_a_normal_loop():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(gt, "Adam", {"lr": 0.01}, 3)
