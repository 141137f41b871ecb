"""Autograd through in-place ops on views (ops/_inplace.py: CopySlices) against torch: a view
written in place rewrites its base's history, so gradients (and second derivatives) flow through
the write; a view taken before its base changed replays its history from the base."""
import pytest
import torch

import glasstorch as gt
from helpers import assert_close, check_op


def _y(x, how):
    # the tensor written in place: a non-leaf, row-major or with the transposed layout
    return x * 1 if how == "C" else (x.t() * 1).t()


INPLACE_ON_VIEW = [
    ("select_mul", lambda L, x, w: x.select(1, 0).mul_(2)),
    ("view_add", lambda L, x, w: x.view(-1).add_(1)),
    ("view_narrow_mul_w", lambda L, x, w: x.view(-1).narrow(0, 0, 4).mul_(w)),
    ("t_select_mul_w", lambda L, x, w: x.t().select(0, 1).mul_(w.narrow(0, 0, 3))),
    ("diagonal_mul_w", lambda L, x, w: x.diagonal().mul_(w.narrow(0, 0, 3))),
    ("unsqueeze_exp", lambda L, x, w: x.unsqueeze(0).select(0, 0).exp_()),
    ("narrow_copy", lambda L, x, w: x.narrow(1, 1, 2).copy_(w.narrow(0, 0, 2))),
    ("unfold_fill", lambda L, x, w: x.unfold(1, 2, 2).select(2, 0).fill_(3)),
    ("view_t_div", lambda L, x, w: x.view(2, 6).t().div_(3)),
    ("two_writes", lambda L, x, w: (x.select(0, 0).mul_(w), x.narrow(1, 1, 2).mul_(3))),
    ("getitem_mul", lambda L, x, w: x[:, 0].mul_(2)),
    ("view_setitem", lambda L, x, w: x.view(-1).__setitem__(slice(2, 5), w[:3])),
    ("t_setitem", lambda L, x, w: x.t().__setitem__((1, slice(None)), w[1] * w[:3])),
    ("base_then_view", None),
]


@pytest.mark.parametrize("how", ["C", "F"])
@pytest.mark.parametrize("name, write", INPLACE_ON_VIEW, ids=[c[0] for c in INPLACE_ON_VIEW])
def test_inplace_on_view_autograd(name, write, how):
    def fn(L, x, w):
        y = _y(x, how)
        if write is None:  # the base changes after the view was taken: the view sees it
            v = y.select(1, 1)
            y.mul_(2)
            return v * w.narrow(0, 0, 3), y
        write(L, y, w)
        return y * y
    check_op(fn, [(3, 4), (4,)], lib=True)


def test_inplace_on_view_second_derivative():
    def fn(L, x, w):
        y = x * x
        y.t().select(0, 1).mul_(w.narrow(0, 0, 3))
        return y * w
    check_op(fn, [(3, 4), (4,)], lib=True, double=True)


def test_inplace_on_transposed_base_view():
    # a view that exists only for the base's own (column-major) layout
    def fn(L, x):
        y = x.t() * 1
        y.t().view(12).mul_(2)
        return y * y
    check_op(fn, [(3, 4)], lib=True)


def test_sum_backward_through_inplace_view():
    x = gt.arange(12.0).reshape(3, 4).requires_grad_()
    y = x.clone()
    v = y.view(-1)
    v.add_(1)
    y.select(1, 0).mul_(2)
    y.sum().backward()
    assert x.grad.tolist() == [[2.0, 1, 1, 1]] * 3


def test_stale_view_backward_sees_base_change():
    # v was taken before its base changed in place: its history is replayed from the base
    grads = []
    for lib in (gt, torch):
        x = lib.ones(3, 4, dtype=lib.float64, requires_grad=True)
        y = x * 1
        v = y.select(1, 1)
        y.mul_(2)
        v.backward(lib.ones(3, dtype=lib.float64))
        grads.append(x.grad)
    assert_close(*grads)
