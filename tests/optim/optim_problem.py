"""The fixed problem the optimizer tests run in both frameworks: a small tanh regression
(float64 by default) with two param groups, a parameter that only gets a gradient every third
step, and one that never gets one (its grad stays None, so every step must skip it).

    run(torch, "Adam", {"lr": 0.01}, steps=50)   # -> (steps, n_params_total) trajectory
"""
import numpy as np
import torch

import glasstorch as gt
from glasstorch.nn.parameter import Parameter as GtParameter

SHAPES = [(4, 5), (5,), (5, 2), (2,), (3,)]  # w1, b1, w2, b2 (every 3rd step), unused
_RNG = np.random.default_rng(1234)
INIT = [_RNG.uniform(-1, 1, s) for s in SHAPES]
X = _RNG.uniform(-1, 1, (16, 4))
Y = _RNG.uniform(-1, 1, (16, 2))


def make_params(lib, dtype="float64", init=None):
    make = torch.nn.Parameter if lib is torch else GtParameter
    return [make(lib.tensor(a.astype(dtype))) for a in (INIT if init is None else init)]


def loss_fn(lib, params, step, sign=1.0, l2=0.0):
    """mean squared error of tanh(X w1 + b1) w2 (+ b2 on every third step), + l2 |w|^2."""
    w1, b1, w2, b2, _ = params
    x, y = lib.tensor(X.astype(_dtype(w1))), lib.tensor(Y.astype(_dtype(w1)))
    r = (x @ w1 + b1).tanh() @ w2 - y
    if step % 3 == 0:
        r = r + b2
    loss = (r * r).sum() * (sign / 16)
    return loss + l2 * ((w1 * w1).sum() + (w2 * w2).sum()) if l2 else loss


def rosenbrock(lib, params):
    a, b = params
    return ((1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a)).sum()


def _dtype(t):
    return str(t.dtype).split(".")[-1]


def groups(params, kwargs, first_group):
    """Group 0 holds w1 with its own options; group 1 the rest, with the defaults."""
    return [dict({"params": params[:1]}, **first_group), {"params": params[1:]}]


def flat(params):
    return np.concatenate([np.array(p.detach().numpy(), dtype=np.float64).ravel()
                           for p in params])


def make_optimizer(lib, name, params, kwargs, first_group=None):
    cls = getattr(lib.optim, name)
    if name == "LBFGS":
        return cls(params, **kwargs)
    return cls(groups(params, kwargs, first_group or {}), **kwargs)


def train(lib, opt, params, start, steps, sign=1.0):
    """`steps` optimizer steps from step number `start`; returns the parameters after each."""
    out = []
    # LBFGS keeps one objective (b2 never gets a grad), made well-conditioned by an L2 term:
    # on the bare problem its many inner iterations amplify 1e-16 rounding chaotically
    lbfgs = isinstance(opt, lib.optim.LBFGS)
    for step in range(start, start + steps):
        def closure(step=step):
            opt.zero_grad()
            loss = loss_fn(lib, params, 1, l2=0.05) if lbfgs else loss_fn(lib, params, step, sign)
            loss.backward()
            return loss
        if lbfgs:
            opt.step(closure)
        else:
            closure()
            opt.step()
        out.append(flat(params))
    return np.stack(out)


def run(lib, name, kwargs, steps=50, first_group=None, sign=1.0, dtype="float64"):
    params = make_params(lib, dtype)
    opt = make_optimizer(lib, name, params, kwargs, first_group)
    return train(lib, opt, params, 0, steps, sign)


__all__ = ["gt", "torch", "make_params", "make_optimizer", "train", "run", "loss_fn",
           "rosenbrock", "flat", "INIT"]
