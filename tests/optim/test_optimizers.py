"""Every optimizer and option against torch: the parameter trajectory over 50 steps (float64,
two param groups, params with grad None) to 1e-5 relative, the saved state, resuming from a
state_dict mid-run, and float32 staying float32."""
import io

import numpy as np
import pytest

from kernel_choice import kernels  # noqa: F401  (a fixture)
from optim_problem import (INIT, flat, gt, make_optimizer, make_params, rosenbrock, run, torch,
                           train)

MAX = {"maximize": True}
CASES = [  # (optimizer, kwargs, options of param group 0 (holds w1), objective sign)
    ("SGD", {"lr": 0.1}, {"lr": 0.05}, 1),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, {"lr": 0.05}, 1),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}, {"momentum": 0.5}, 1),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, {"lr": 0.03}, 1),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}, {"weight_decay": 0.0}, 1),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}, {}, 1),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1, **MAX}, {}, -1),
    ("Adam", {"lr": 0.01}, {"lr": 0.02}, 1),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}, {"betas": (0.5, 0.9)}, 1),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}, {}, 1),
    ("Adam", {"lr": 0.01, "amsgrad": True}, {"amsgrad": False}, 1),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, **MAX}, {}, -1),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, {}, 1),
    ("AdamW", {"lr": 0.01}, {"weight_decay": 0.5}, 1),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}, {}, 1),
    ("AdamW", {"lr": 0.01, "betas": (0.7, 0.95), **MAX}, {}, -1),
    ("Adagrad", {"lr": 0.1}, {"lr": 0.05}, 1),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5}, {}, 1),
    ("Adagrad", {"lr": 0.1, "eps": 1e-3, "weight_decay": 0.1}, {"lr_decay": 0.1}, 1),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, **MAX}, {}, -1),
    ("RMSprop", {"lr": 0.01}, {"lr": 0.005}, 1),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-4}, {"alpha": 0.5}, 1),
    ("RMSprop", {"lr": 0.01, "centered": True}, {}, 1),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}, {"momentum": 0.5}, 1),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.1}, {}, 1),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1, **MAX}, {}, -1),
    ("Adadelta", {}, {"lr": 0.5}, 1),
    ("Adadelta", {"lr": 2.0, "rho": 0.5, "eps": 1e-4}, {"rho": 0.95}, 1),
    ("Adadelta", {"weight_decay": 0.1, **MAX}, {}, -1),
    ("Adamax", {}, {"lr": 0.01}, 1),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-3}, {}, 1),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1, **MAX}, {}, -1),
    ("NAdam", {"lr": 0.01}, {"lr": 0.02}, 1),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.02, "betas": (0.8, 0.99)}, {}, 1),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1}, {"weight_decay": 0.0}, 1),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, **MAX}, {}, -1),
    ("RAdam", {"lr": 0.01}, {"lr": 0.02}, 1),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}, {}, 1),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, **MAX}, {}, -1),
    ("Adafactor", {"lr": 0.05}, {"lr": 0.02}, 1),
    ("Adafactor", {"lr": 0.05, "beta2_decay": -0.5, "eps": (1e-4, 1e-2), "d": 2.0}, {}, 1),
    ("Adafactor", {"lr": 0.05, "weight_decay": 0.1, **MAX}, {"weight_decay": 0.0}, -1),
    ("LBFGS", {"lr": 1, "max_iter": 1, "history_size": 3}, None, 1),
    ("LBFGS", {"lr": 0.5, "max_iter": 3, "tolerance_grad": 1e-3}, None, 1),
    ("LBFGS", {"max_iter": 3, "tolerance_change": 1e-4}, None, 1),
    ("LBFGS", {"max_iter": 1, "line_search_fn": "strong_wolfe"}, None, 1),
    ("LBFGS", {"max_iter": 2, "history_size": 2, "line_search_fn": "strong_wolfe"}, None, 1),
    ("LBFGS", {"max_iter": 5, "line_search_fn": "strong_wolfe"}, None, 1),
    ("LBFGS", {"max_iter": 4, "tolerance_change": 1e-4, "line_search_fn": "strong_wolfe"}, None,
     1),
]
IDS = [f"{name}-{kw}-{g}" for name, kw, g, _ in CASES]


@pytest.mark.parametrize("name, kwargs, first_group, sign", CASES, ids=IDS)
def test_trajectory_matches_torch(name, kwargs, first_group, sign):
    expected = run(torch, name, kwargs, 50, first_group, sign)
    got = run(gt, name, kwargs, 50, first_group, sign)
    assert np.abs(expected[-1] - expected[0]).max() > 1e-3  # the problem really moves
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-10)
    assert np.array_equal(got[:, -3:], np.tile(INIT[-1], (50, 1)))  # grad None: untouched


FUSED = [case for case in CASES if case[0] in ("SGD", "Adam", "AdamW")]


@pytest.mark.parametrize("name, kwargs, first_group, sign", FUSED,
                         ids=[f"{n}-{kw}-{g}" for n, kw, g, _ in FUSED])
def test_fused_updates_match_torch_on_both_kernel_paths(name, kwargs, first_group, sign,
                                                         kernels):
    # SGD and Adam run backend/numba_optim.py's loops when numba may (the default when it is
    # installed) and the NumPy formulas otherwise: both follow torch, float64 and float32
    for dtype, rtol in (("float64", 1e-5), ("float32", 2e-4)):
        expected = run(torch, name, kwargs, 20, first_group, sign, dtype=dtype)
        got = run(gt, name, kwargs, 20, first_group, sign, dtype=dtype)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-5 if rtol > 1e-5 else 1e-10)


def _state_dict_after(lib, name, kwargs, first_group, steps):
    params = make_params(lib)
    opt = make_optimizer(lib, name, params, kwargs, first_group)
    train(lib, opt, params, 0, steps)
    return opt.state_dict()


def _values_equal(a, b):
    if isinstance(b, torch.Tensor) and b.ndim == 0 and isinstance(a, float):
        assert a == pytest.approx(b.item(), rel=1e-5)  # LBFGS's ro, H_diag, t: floats here
    elif isinstance(b, torch.Tensor):
        assert isinstance(a, gt.Tensor) and str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-10)
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _values_equal(x, y)
    elif isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-10)
    else:
        assert a == b


@pytest.mark.parametrize("name, kwargs, first_group, sign", CASES[1::3], ids=IDS[1::3])
def test_state_dict_matches_torch(name, kwargs, first_group, sign):
    expected = _state_dict_after(torch, name, kwargs, first_group, 7)
    got = _state_dict_after(gt, name, kwargs, first_group, 7)
    assert got["param_groups"] == expected["param_groups"]
    assert list(got["state"]) == list(expected["state"])
    for index, state in expected["state"].items():
        torch_keys = [k for k in state if k != "al"]  # LBFGS's scratch space is not kept
        assert list(got["state"][index]) == torch_keys
        for key in torch_keys:
            _values_equal(got["state"][index][key], state[key])


def _roundtrip(state_dict):
    buf = io.BytesIO()
    gt.save(state_dict, buf)
    buf.seek(0)
    return gt.load(buf)


@pytest.mark.parametrize("name, kwargs, first_group, sign", CASES[::2], ids=IDS[::2])
def test_resume_from_state_dict(name, kwargs, first_group, sign):
    expected = run(torch, name, kwargs, 50, first_group, sign)
    params = make_params(gt)
    opt = make_optimizer(gt, name, params, kwargs, first_group)
    first = train(gt, opt, params, 0, 25, sign)
    saved = _roundtrip(opt.state_dict())
    # a fresh model and optimizer (default options: the state_dict brings the real ones)
    arrays = [p.detach().numpy().copy() for p in params]
    params2 = make_params(gt, init=arrays)
    opt2 = make_optimizer(gt, name, params2, {"lr": 123.0} if name != "LBFGS" else {})
    opt2.load_state_dict(saved)
    second = train(gt, opt2, params2, 25, 25, sign)
    np.testing.assert_allclose(np.concatenate([first, second]), expected, rtol=1e-5, atol=1e-10)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9}),
    ("Adadelta", {}),
    ("Adamax", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01}),
    ("LBFGS", {"max_iter": 3, "line_search_fn": "strong_wolfe"}),
])
def test_float32_stays_float32(name, kwargs):
    expected = run(torch, name, kwargs, 20, None, dtype="float32")
    params = make_params(gt, "float32")
    opt = make_optimizer(gt, name, params, kwargs)
    got = train(gt, opt, params, 0, 20)
    assert all(p.dtype == gt.float32 for p in params)
    for state in opt.state.values():
        for key, value in state.items():
            if isinstance(value, gt.Tensor) and key not in ("step", "mu_product"):
                assert value.dtype == gt.float32, key
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4)  # float32 rounding


@pytest.mark.parametrize("kwargs", [  # (without line search, 20 iterations per step are chaotic)
    {"max_iter": 5},
    {"max_iter": 20, "line_search_fn": "strong_wolfe"},
    {"max_iter": 10, "history_size": 3, "lr": 0.5, "line_search_fn": "strong_wolfe"},
])
def test_lbfgs_rosenbrock(kwargs):
    start = [np.array([-1.5]), np.array([2.0])]
    results = []
    for lib in (torch, gt):
        params = make_params(lib, init=start)
        opt = lib.optim.LBFGS(params, **kwargs)
        traj = []
        for _ in range(10):
            def closure():
                opt.zero_grad()
                loss = rosenbrock(lib, params)
                loss.backward()
                return loss
            opt.step(closure)
            traj.append(flat(params))
        results.append((np.stack(traj), opt.state[params[0]]["func_evals"],
                        opt.state[params[0]]["n_iter"]))
    (expected, evals_t, iters_t), (got, evals_g, iters_g) = results
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-10)
    assert (evals_g, iters_g) == (evals_t, iters_t)


def _from_torch(value):
    """A torch state_dict with every tensor turned into a glasstorch one."""
    if isinstance(value, torch.Tensor):
        return gt.tensor(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {k: _from_torch(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_from_torch(v) for v in value)
    return value


@pytest.mark.parametrize("name, kwargs, first_group, sign", CASES[2::4], ids=IDS[2::4])
def test_resume_from_torch_state_dict(name, kwargs, first_group, sign):
    """torch's state layout loads as is: 25 steps in torch, 25 more in glasstorch."""
    expected = run(torch, name, kwargs, 50, first_group, sign)
    params = make_params(torch)
    opt = make_optimizer(torch, name, params, kwargs, first_group)
    train(torch, opt, params, 0, 25, sign)
    params2 = make_params(gt, init=[p.detach().numpy().copy() for p in params])
    opt2 = make_optimizer(gt, name, params2, {})
    opt2.load_state_dict(_from_torch(opt.state_dict()))
    got = train(gt, opt2, params2, 25, 25, sign)
    np.testing.assert_allclose(got, expected[25:], rtol=1e-5, atol=1e-10)


def test_adafactor_factors_the_last_two_dims_of_a_3d_param():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    out = []
    for lib in (gt, torch):
        p = (lib.nn.Parameter if lib is torch else gt.nn.Parameter)(lib.tensor(a))
        opt = lib.optim.Adafactor([p], lr=0.1, weight_decay=0.01)
        for _ in range(5):
            opt.zero_grad()
            (p.sin() * p).sum().backward()
            opt.step()
        out.append((p.detach().numpy(), opt.state[p]["row_var"].numpy(),
                    opt.state[p]["col_var"].numpy()))
    for mine, theirs in zip(*out):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [5, 32768, 70001])
def test_sgd_momentum_chunked_update_same_bits(size, dtype):
    # SGD's heavy-ball step (dampening 0, no nesterov) runs chunk by chunk on large parameters
    # (optim/sgd.py _heavy_ball): the same bits as the whole-array formula, and torch's values
    rng = np.random.default_rng(size)
    p0 = rng.standard_normal(size).astype(dtype)
    grads = [rng.standard_normal(size).astype(dtype) for _ in range(3)]
    lr, mom = 0.05, 0.9
    x, b = p0.copy(), None
    for g in grads:   # the reference: whole arrays, the order of operations of the step
        b = g.copy() if b is None else b * dtype(mom) + g
        x = x - lr * b
    got = {}
    for lib in (gt, torch):
        p = lib.nn.Parameter(lib.tensor(p0.copy()))
        opt = lib.optim.SGD([p], lr=lr, momentum=mom)
        for g in grads:
            p.grad = lib.tensor(g.copy())
            opt.step()
        got[lib] = p.detach().numpy()
    assert np.array_equal(got[gt], x)
    np.testing.assert_allclose(got[gt], got[torch], rtol=1e-5, atol=1e-6)
