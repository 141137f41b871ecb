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
