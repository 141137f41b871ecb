"""Regressions from the issue-10 probe: inputs glasstorch used to accept silently or answer
wrongly, each compared with torch."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt


def _same_error(fn):
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(type(te.value)) as ge:
        fn(gt)
    assert str(ge.value) == str(te.value).split(" Hint")[0] or \
        str(te.value).startswith(str(ge.value)[:60]), (str(ge.value), str(te.value))


@pytest.mark.parametrize("xs, ws, bs", [
    ((2, 3), (4, 5, 3), None), ((2, 3), (4, 3), (3,)), ((2, 3), (4, 3), (2, 2, 4)),
    ((2, 3), (4, 3), (3, 4)), ((2, 3), (3,), (2,))])
def test_linear_bad_weight_or_bias(xs, ws, bs):
    _same_error(lambda lib: lib.nn.functional.linear(
        lib.ones(xs), lib.ones(ws), None if bs is None else lib.ones(bs)))


def test_linear_bias_dtype():
    _same_error(lambda lib: lib.nn.functional.linear(
        lib.ones(2, 3), lib.ones(4, 3), lib.ones(4, dtype=lib.float64)))


def test_linear_weight_changed_in_place_before_backward():
    """torch saves the weight only when the input needs a gradient: a first layer's weight may
    be changed in place between forward and backward (gW uses only x)."""
    grads = []
    for lib in (torch, gt):
        lin = lib.nn.Linear(3, 2)
        x = lib.arange(12.0).reshape(4, 3)
        y = lin(x).sum()
        with lib.no_grad():
            lin.weight.mul_(2)
        y.backward()
        grads.append(lin.weight.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0])


def test_linear_still_detects_a_needed_weight_changed():
    def run(lib):
        lin = lib.nn.Linear(3, 2)
        x = lib.ones(4, 3, requires_grad=True)
        y = lin(x).sum()
        with lib.no_grad():
            lin.weight.mul_(2)
        y.backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        run(gt)


@pytest.mark.parametrize("size, out", [((1, 5), (1, 3)), ((7, 5), (3, 2)), ((5,), (3,))])
def test_adaptive_avg_pool_keeps_inf(size, out):
    data = np.arange(np.prod(size), dtype=np.float32).reshape(size)
    data.flat[1] = math.inf
    data.flat[-2] = -math.inf if data.size > 5 else data.flat[-2]
    res = []
    for lib in (torch, gt):
        x = lib.tensor(data[None, None] if len(size) == 2 else data[None]).requires_grad_()
        f = lib.nn.functional.adaptive_avg_pool2d if len(size) == 2 else \
            lib.nn.functional.adaptive_avg_pool1d
        y = f(x, out)
        y.sum().backward()
        res.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-6)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-6)


def test_index_add_refuses_negative_indices():
    """NumPy would wrap -1 to the last row and add there silently; torch raises."""
    for lib in (torch, gt):
        with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 0 "
                                               "with size 3"):
            lib.zeros(3, 2).index_add(0, lib.tensor([-1]), lib.ones(1, 2))
