"""glasstorch/_tensor_extra.py vs torch: fill_diagonal_ (values, wrap, gradient),
sum_to_size, dim_order, nonzero_static, and the random in-place fills (distribution checks:
their samples come from NumPy's generator, not torch's)."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

CASES = {
    "fill_diagonal_": (lambda m, x: (x * 1).fill_diagonal_(2.5), [(3, 3)]),
    "fill_diagonal_tall": (lambda m, x: (x * 1).fill_diagonal_(-1.0), [(5, 2)]),
    "fill_diagonal_wrap": (lambda m, x: (x * 1).fill_diagonal_(0.5, wrap=True), [(7, 3)]),
    "fill_diagonal_wide": (lambda m, x: (x * 1).fill_diagonal_(4), [(2, 5)]),
    "fill_diagonal_3d": (lambda m, x: (x * 1).fill_diagonal_(1), [(2, 2, 2)]),
    "sum_to_size": (lambda m, x: x.sum_to_size(3, 1), [(2, 3, 4)]),
    "sum_to_size_tuple": (lambda m, x: x.sum_to_size((1, 4)), [(3, 4)]),
    "sum_to_size_same": (lambda m, x: x.sum_to_size(3, 4), [(3, 4)]),
    "nonzero_static_pad": (lambda m, x: m.nonzero_static(x > 0, size=10), [(3, 4)]),
    "nonzero_static_cut": (lambda m, x: (x > 0).nonzero_static(size=2, fill_value=7), [(3, 4)]),
    "nonzero_static_0": (lambda m, x: m.nonzero_static(x, size=0), [(3,)]),
    "dim_order": (lambda m, x: x.dim_order(), [(2, 3, 4)]),
    "dim_order_t": (lambda m, x: x.transpose(0, 2).dim_order(), [(2, 3, 4)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    fn, shapes = CASES[name]
    check_op(fn, shapes, lib=True)


ERRORS = {
    "fill_diagonal_1d": lambda m, x: x.clone().fill_diagonal_(1),
    "fill_diagonal_unequal": lambda m, x: m.zeros(2, 3, 4).fill_diagonal_(1),
    "sum_to_size_bad": lambda m, x: x.sum_to_size(3),
    "nonzero_static_neg": lambda m, x: m.nonzero_static(x, size=-1),
    "geometric_p": lambda m, x: x.clone().geometric_(1.5),
    "log_normal_std": lambda m, x: x.clone().log_normal_(0.0, -1.0),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    check_raises(ERRORS[name], [(4,)], lib=True)


def test_random_fills_have_the_right_distribution():
    gt.manual_seed(0)
    c = gt.empty(20000, dtype=gt.float64).cauchy_(1.0, 2.0).numpy()
    assert abs(np.median(c) - 1.0) < 0.1 and abs(np.percentile(c, 75) - 3.0) < 0.15
    g = gt.empty(20000).geometric_(0.25).numpy()
    assert g.min() >= 1 and abs(g.mean() - 4.0) < 0.15 and (g == np.round(g)).all()
    ln = np.log(gt.empty(20000, dtype=gt.float64).log_normal_(0.5, 0.3).numpy())
    assert abs(ln.mean() - 0.5) < 0.01 and abs(ln.std() - 0.3) < 0.01
    for t in (gt.zeros(3, dtype=gt.int64).geometric_(0.5), gt.zeros(3).cauchy_()):
        assert t.shape == (3,)
    assert torch.zeros(3, dtype=torch.int64).geometric_(0.5).dtype == torch.int64
    assert gt.zeros(3, dtype=gt.int64).geometric_(0.5).dtype == gt.int64


VIEWS_ = {
    "t_": (lambda m, x: (x * 1).t_(), [(2, 3)]),
    "transpose_": (lambda m, x: (x * 1).transpose_(0, 2), [(2, 3, 4)]),
    "swapaxes_": (lambda m, x: (x * 1).swapaxes_(1, -1), [(2, 3, 4)]),
    "swapdims_": (lambda m, x: (x * 1).swapdims_(0, 1), [(2, 3)]),
    "squeeze_": (lambda m, x: (x * 1).squeeze_(), [(2, 1, 3, 1)]),
    "squeeze_dim": (lambda m, x: (x * 1).squeeze_(1), [(2, 1, 3)]),
    "view_of_view": (lambda m, x: (lambda v: (v.t_(), v * 2))((x * 1)[1:]), [(3, 2)]),
    "then_inplace": (lambda m, x: (lambda v: v.t_().mul_(3))((x * 1)), [(2, 3)]),
}


@pytest.mark.parametrize("name", list(VIEWS_))
def test_inplace_view_changes(name):
    fn, shapes = VIEWS_[name]
    check_op(fn, shapes, lib=True)


def test_inplace_view_changes_share_memory_and_bump_version():
    for lib in (gt, torch):
        base = lib.arange(6.0).reshape(2, 3)
        v = base[:, :2]
        v.t_()
        assert tuple(v.shape) == (2, 2) and v.stride() == (1, 3)
        v[0, 1] = 100.0
        assert base[1, 0].item() == 100.0
        x = lib.zeros(2, 3)
        before = x._version
        x.transpose_(0, 1)
        assert x._version == before + 1 and x.is_contiguous() is False
    check_raises(lambda m, x: m.ones(2, 3, requires_grad=True).t_(), [(1,)], lib=True)


def test_resize_in_place_as_torch():
    for lib in (gt, torch):
        x = lib.arange(6.0)
        y = x.resize_(2, 2)
        assert y is x and tuple(x.shape) == (2, 2) and x.tolist() == [[0.0, 1.0], [2.0, 3.0]]
        b = lib.arange(6.0)
        v = b[:4]
        v.resize_(2, 2)
        v[0, 0] = 9.0
        assert b[0].item() == 9.0                       # shrinking keeps the memory
        g = lib.arange(4.0)
        g.resize_((3, 2))
        assert tuple(g.shape) == (3, 2) and g.reshape(-1)[:4].tolist() == [0.0, 1.0, 2.0, 3.0]
        z = lib.zeros(3)
        z.resize_as_(lib.ones(1, 3))
        assert tuple(z.shape) == (1, 3)
    check_raises(lambda m, x: m.ones(2, requires_grad=True).resize_(3), [(1,)], lib=True)
    check_raises(lambda m, x: m.ones(2).resize_(-1), [(1,)], lib=True)


@pytest.mark.parametrize("fn", [lambda m, x: x.resize(3, 4), lambda m, x: x.t().resize(12),
                                lambda m, x, y=None: x.resize_as(m.ones(2, 6))])
def test_deprecated_resize_is_a_reshape(fn):
    check_op(fn, [(4, 3)], lib=True)


def test_deprecated_resize_checks_the_count():
    check_raises(lambda m, x: x.resize(5), [(4, 3)], lib=True)
