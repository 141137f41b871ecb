"""Regressions from the issue-10 probe in the elementwise ops and losses, against torch:
integer operands of float-valued ops are converted from their own dtype, BCE checks its
target range, and losses of mixed float inputs return torch's dtype."""
import numpy as np
import pytest
import torch

import glasstorch as gt


def _both(fn):
    out = []
    for lib in (torch, gt):
        y = fn(lib)
        out.append((str(y.dtype).split(".")[-1], np.asarray(y.detach().numpy())))
    return out


@pytest.mark.parametrize("fn", [
    lambda lib: lib.tensor(1000) / lib.tensor([10], dtype=lib.uint8),
    lambda lib: lib.tensor(-3) / lib.tensor([10], dtype=lib.uint8),
    lambda lib: lib.true_divide(lib.tensor(1000), lib.tensor([10, 3], dtype=lib.uint8)),
    lambda lib: lib.atan2(lib.tensor(1000), lib.tensor([10], dtype=lib.uint8)),
    lambda lib: lib.atan2(lib.tensor([7], dtype=lib.int8), lib.tensor(-300)),
    lambda lib: lib.tensor([200], dtype=lib.uint8) / lib.tensor(-1),
])
def test_int_operands_convert_from_their_own_dtype(fn):
    (td, tv), (gd, gv) = _both(fn)
    assert gd == td
    np.testing.assert_allclose(gv, tv, rtol=1e-6)


@pytest.mark.parametrize("target", [2.0, -0.5, float("nan")])
def test_bce_target_outside_0_1(target):
    for lib in (torch, gt):
        with pytest.raises(RuntimeError, match="all elements of target should be between 0 "
                                               "and 1"):
            lib.nn.functional.binary_cross_entropy(lib.tensor([0.5]), lib.tensor([target]))


@pytest.mark.parametrize("name", ["binary_cross_entropy_with_logits", "mse_loss", "l1_loss",
                                  "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("shapes", [((2,), (2,)), ((), (2,)), ((2,), ())])
@pytest.mark.parametrize("dts", [("float32", "float64"), ("float64", "float32")])
def test_loss_dtype_of_mixed_float_inputs(name, shapes, dts):
    if shapes[0] != shapes[1] and name == "binary_cross_entropy_with_logits":
        pytest.skip("torch requires equal shapes")

    def fn(lib):
        a = lib.full(shapes[0], 0.3, dtype=getattr(lib, dts[0]))
        b = lib.full(shapes[1], 0.7, dtype=getattr(lib, dts[1]))
        return getattr(lib.nn.functional, name)(a, b)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (td, tv), (gd, gv) = _both(fn)
    assert gd == td
    np.testing.assert_allclose(gv, tv, rtol=1e-6)
