"""quantile, nanquantile, nanmedian, mode, cummax, cummin (ops/order_stats.py) against torch:
values, indices, gradients, NaN handling, keepdim, and torch's errors."""
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises


def _with_nans(m, x):
    # NaN in one slice, a whole slice of NaN in another (no gradient through the mask)
    mask = m.zeros_like(x, dtype=m.bool)
    mask[1, 2] = True
    mask[3] = True
    return x.masked_fill(mask, float("nan"))


@pytest.mark.parametrize("call", [
    lambda m, x: m.quantile(x, 0.3),
    lambda m, x: m.quantile(x, 0.3, dim=1),
    lambda m, x: m.quantile(x, x.new_tensor([0.1, 0.5, 1.0]).detach(), dim=0, keepdim=True),
    lambda m, x: m.quantile(x, x.new_tensor([0.5]).detach(), keepdim=True),
    lambda m, x: m.quantile(x, 0.5, dim=-1, interpolation="midpoint"),
    lambda m, x: m.quantile(x, 0.4, dim=1, interpolation="lower"),
    lambda m, x: m.quantile(x, 0.4, dim=1, interpolation="higher"),
    lambda m, x: m.quantile(x, 0.625, dim=0, interpolation="nearest"),
    lambda m, x: x.quantile(0.2, 1, True),
    lambda m, x: m.nanquantile(x, 0.7, dim=1),
    lambda m, x: x.nanquantile(x.new_tensor([0.0, 0.25]).detach(), 0),
])
def test_quantile(call):
    check_op(call, [(4, 5)], lib=True)


@pytest.mark.parametrize("call", [
    lambda m, x: m.quantile(_with_nans(m, x), 0.3, dim=1),
    lambda m, x: m.nanquantile(_with_nans(m, x), x.new_tensor([0.1, 0.9]).detach(), dim=1),
    lambda m, x: m.nanquantile(_with_nans(m, x), 0.5, 1, True, interpolation="nearest"),
    lambda m, x: m.nanmedian(_with_nans(m, x)),
    lambda m, x: m.nanmedian(_with_nans(m, x), 1),
    lambda m, x: m.nanmedian(_with_nans(m, x), 0, keepdim=True),
    lambda m, x: m.cummax(_with_nans(m, x), 1),
    lambda m, x: m.cummin(_with_nans(m, x), 1),
])
def test_nan_handling(call):
    check_op(call, [(4, 5)], lib=True, grad=False)


@pytest.mark.parametrize("call", [
    lambda m, x: m.nanmedian(x, 1), lambda m, x: x.nanmedian(),
    lambda m, x: m.cummax(x, 1), lambda m, x: m.cummin(x, 0), lambda m, x: x.cummax(-1),
    lambda m, x: m.cummax(x[0, 0], 0),
])
def test_values_indices_and_gradients(call):
    check_op(call, [(4, 5)], lib=True)


@pytest.mark.parametrize("call", [
    lambda m, x: m.mode(x.round()), lambda m, x: m.mode(x.round(), 0, keepdim=True),
    lambda m, x: x.round().long().mode(1), lambda m, x: m.cummax(x.round(), 1),
    lambda m, x: m.cummin(x.round().long(), 1), lambda m, x: m.cummax(x.round() > 0, 0),
])
def test_ties_pick_torchs_indices(call):
    # rounded values tie often: mode's smallest most frequent value at its last position,
    # cummax/cummin's last index among equal running extrema
    check_op(call, [(4, 6)], lib=True, grad=False)


def test_mode_gradient_goes_to_the_returned_index():
    check_op(lambda m, x: m.mode((x * 2).round() / 2 + 0 * x, 1).values, [(3, 6)], lib=True)


@pytest.mark.parametrize("call", [
    lambda m, x: m.quantile(x, 1.5), lambda m, x: m.quantile(x, x.new_tensor([0.2, -0.1])),
    lambda m, x: m.quantile(x.float(), x.new_tensor(0.5)), lambda m, x: m.quantile(x.long(), 0.5),
    lambda m, x: m.quantile(x, x.new_ones(2, 2) / 2),
    lambda m, x: m.quantile(x, 0.5, interpolation="cubic"),
    lambda m, x: m.quantile(x[:0], 0.5), lambda m, x: m.quantile(x, 0.5, dim=3),
    lambda m, x: m.nanmedian(x > 0), lambda m, x: m.cummax(x, 2),
])
def test_errors(call):
    check_raises(call, [(3, 4)], lib=True)


def test_functions_and_methods_exist():
    for name in ("quantile", "nanquantile", "nanmedian", "mode", "cummax", "cummin"):
        assert hasattr(gt, name) and hasattr(gt.Tensor, name)
    r = gt.cummax(gt.tensor([1.0, 3.0, 2.0]), 0)
    assert repr(r).startswith("torch.return_types.cummax(") and r.indices.tolist() == [0, 1, 1]
    assert torch.cummax(torch.tensor([1.0, 3.0, 2.0]), 0).indices.tolist() == [0, 1, 1]
