"""F.linear_cross_entropy / nn.LinearCrossEntropyLoss / nn.LinearCrossEntropyOptions against
torch: values and gradients for class-index and probability targets, K-dimensional weights,
bias, class weights, label smoothing, ignore_index; torch's errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

TARGET = np.array([1, 3, 0, 3, 2])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_class_indices_with_bias_weight_smoothing(reduction):
    def fn(lib, x, w, b, cw):
        return lib.nn.functional.linear_cross_entropy(
            x, w, lib.tensor(TARGET), linear_bias=b, weight=cw.abs().detach(),
            reduction=reduction, ignore_index=2, label_smoothing=0.1)
    check_op(fn, [(5, 3), (4, 3), (4,), (4,)], lib=True)


def test_probability_targets_and_unbatched():
    def fn(lib, x, w, p):
        return lib.nn.functional.linear_cross_entropy(x, w, p.softmax(1).detach())
    check_op(fn, [(5, 3), (4, 3), (5, 4)], lib=True)
    check_op(lambda lib, x, w: lib.nn.functional.linear_cross_entropy(x, w, lib.tensor(2)),
             [(3,), (4, 3)], lib=True)


def test_k_dimensional_weight_and_module():
    tgt = np.random.default_rng(0).integers(0, 4, (5, 2, 3))

    def fn(lib, x, w, b):
        return lib.nn.functional.linear_cross_entropy(x, w, lib.tensor(tgt), linear_bias=b,
                                                      reduction="none")
    check_op(fn, [(5, 6), (4, 2, 3, 6), (4, 2, 3)], lib=True)

    def mod(lib, x):
        lib.manual_seed(0)
        m = lib.nn.LinearCrossEntropyLoss(6, 4, out_features=(2, 3), bias=True,
                                          options=lib.nn.LinearCrossEntropyOptions())
        m.linear.weight.data.copy_(lib.arange(144.0, dtype=lib.float64).reshape(24, 6) / 100)
        m.linear.bias.data.copy_(lib.linspace(-1, 1, 24, dtype=lib.float64))
        with pytest.warns(UserWarning, match="``options`` ignored"):
            return m.double()(x, lib.tensor(tgt))
    check_op(mod, [(5, 6)], lib=True)
    assert gt.nn.modules.loss.LinearCrossEntropyLoss is gt.nn.LinearCrossEntropyLoss


@pytest.mark.parametrize("args, match", [
    (((2, 2, 3), (4, 3)), "dimensionality 1 or 2, got 3"),
    (((2, 3), (4,)), "linear_weight with dimensionality at least 2"),
    (((2, 3), (4, 5)), "got 3 and 5, respectively"),
    (((3,), (4, 2, 3)), "requires batched input"),
])
def test_errors(args, match):
    check_raises(lambda lib, x, w: lib.nn.functional.linear_cross_entropy(
        x, w, lib.tensor(0)), list(args), lib=True, match=match)


def test_bias_shape_and_ignore_index_with_probabilities():
    check_raises(lambda lib, x, w, b: lib.nn.functional.linear_cross_entropy(
        x, w, lib.tensor([0, 1]), linear_bias=b), [(2, 3), (4, 3), (3,)], lib=True,
        match=r"expected linear_bias shape \(4,\), got \(3,\)")
    check_raises(lambda lib, x, w, p: lib.nn.functional.linear_cross_entropy(
        x, w, p, ignore_index=1), [(2, 3), (4, 3), (2, 4)], lib=True,
        match="ignore_index cannot be specified")


@pytest.mark.parametrize("kw", [dict(acc_policy="fast"), dict(chunking_method="rows"),
                                dict(batch_chunk_size=0), dict(acc_dtype="int8")])
def test_options_validation(kw):
    check_raises(lambda lib: lib.nn.LinearCrossEntropyOptions(**kw), lib=True, exc=ValueError)
    assert gt.nn.LinearCrossEntropyOptions(batch_chunk_size=8).batch_chunk_size == 8


def test_module_argument_errors():
    check_raises(lambda lib: lib.nn.LinearCrossEntropyLoss(3, 4, weight=lib.ones(3)), lib=True,
                 match=r"expected weight shape to be \(4,\)")
    check_raises(lambda lib: lib.nn.LinearCrossEntropyLoss(3, 4, label_smoothing=1.5),
                 lib=True, match="label_smoothing to be in range")
