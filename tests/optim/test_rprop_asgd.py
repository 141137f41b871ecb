"""Rprop and ASGD against torch: parameter trajectories over 50 steps (float64, two param
groups, a parameter without grad), the saved state, and bad options."""
import numpy as np
import pytest

from optim_problem import INIT, gt, make_optimizer, make_params, run, torch, train

MAX = {"maximize": True}
CASES = [
    ("Rprop", {"lr": 0.01}, {"lr": 0.02}, 1),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.2)}, {}, 1),
    ("Rprop", {"lr": 0.01, **MAX}, {}, -1),
    ("ASGD", {"lr": 0.01}, {"lr": 0.02}, 1),
    ("ASGD", {"lr": 0.01, "lambd": 0.01, "alpha": 0.5, "t0": 10}, {"t0": 5}, 1),
    ("ASGD", {"lr": 0.01, "weight_decay": 0.1, **MAX}, {}, -1),
]


@pytest.mark.parametrize("name, kwargs, first_group, sign", CASES)
def test_trajectory_matches_torch(name, kwargs, first_group, sign):
    expected = run(torch, name, kwargs, 50, first_group, sign)
    got = run(gt, name, kwargs, 50, first_group, sign)
    assert np.abs(expected[-1] - expected[0]).max() > 1e-3
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-10)
    assert np.array_equal(got[:, -3:], np.tile(INIT[-1], (50, 1)))


@pytest.mark.parametrize("name, kwargs", [("Rprop", {"lr": 0.01}),
                                          ("ASGD", {"lr": 0.01, "t0": 3})])
def test_state_matches_torch(name, kwargs):
    states = []
    for lib in (gt, torch):
        params = make_params(lib)
        opt = make_optimizer(lib, name, params, kwargs, {})
        train(lib, opt, params, 0, 10)
        states.append(opt.state_dict()["state"])
    g, t = states
    assert sorted(g) == sorted(t)
    for k in t:
        assert sorted(g[k]) == sorted(t[k])
        for key in t[k]:
            np.testing.assert_allclose(np.asarray(g[k][key].tolist(), dtype=float),
                                       np.asarray(t[k][key].tolist(), dtype=float),
                                       rtol=1e-5, err_msg=f"{name} state {key}")


@pytest.mark.parametrize("name, kwargs", [("Rprop", {"lr": -1}), ("Rprop", {"etas": (1.5, 1.2)}),
                                          ("ASGD", {"lr": -0.1}),
                                          ("ASGD", {"weight_decay": -1})])
def test_bad_options_raise_like_torch(name, kwargs):
    with pytest.raises(ValueError):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError):
        getattr(gt.optim, name)([gt.zeros(2, requires_grad=True)], **kwargs)
