"""torch.autograd.functional against torch: values of jacobian, hessian, vjp, jvp, vhp, hvp
for single and tuple inputs/outputs, shapes, and errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import assert_close

rng = np.random.default_rng(0)
X, Y, V = rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(3)


def f1(x):
    return (x.exp() * x.sin()).sum()


def f_vec(x):
    return x * x.tanh()


def f2(x, y):
    return (y @ x) ** 2, (x * y).sum(0)


def f2s(x, y):
    return ((y @ x) ** 2).sum() + (x * x.sin()).sum()


def _both(call):
    return call(gt, gt.tensor), call(torch, torch.tensor)


@pytest.mark.parametrize("call", [
    lambda m, t: m.autograd.functional.jacobian(f_vec, t(X)),
    lambda m, t: m.autograd.functional.jacobian(f1, t(X)),
    lambda m, t: m.autograd.functional.jacobian(f2, (t(X), t(Y))),
    lambda m, t: m.autograd.functional.hessian(f1, t(X)),
    lambda m, t: m.autograd.functional.hessian(f2s, (t(X), t(Y))),
    lambda m, t: m.autograd.functional.vjp(f_vec, t(X), t(V)),
    lambda m, t: m.autograd.functional.vjp(f1, t(X)),
    lambda m, t: m.autograd.functional.vjp(f2, (t(X), t(Y)), (t(V[:2]), t(V))),
    lambda m, t: m.autograd.functional.jvp(f_vec, t(X), t(V)),
    lambda m, t: m.autograd.functional.jvp(f2, (t(X), t(Y)), (t(V), t(Y * 2))),
    lambda m, t: m.autograd.functional.vhp(f1, t(X), t(V)),
    lambda m, t: m.autograd.functional.hvp(f1, t(X), t(V)),
    lambda m, t: m.autograd.functional.hvp(f2s, (t(X), t(Y)), (t(V), t(Y))),
])
def test_against_torch(call):
    g, t = _both(call)
    assert_close(g, t)


def test_create_graph_allows_a_second_derivative():
    for m in (gt, torch):
        x = m.tensor(X, requires_grad=True)
        jac = m.autograd.functional.jacobian(f_vec, x, create_graph=True)
        (s,) = m.autograd.grad(jac.sum(), x)
        if m is gt:
            g = s
        else:
            t = s
    assert_close(g, t)


def test_errors():
    with pytest.raises(RuntimeError):
        gt.autograd.functional.vjp(f_vec, gt.tensor(X))       # v needed: output not scalar
    with pytest.raises(TypeError):
        gt.autograd.functional.jacobian(f_vec, [1.0])
    with pytest.raises(RuntimeError):
        gt.autograd.functional.jacobian(lambda x: x.detach() * 2, gt.tensor(X), strict=True)
