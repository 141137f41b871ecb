"""Losses' errors and warnings against torch (glasstorch/ops/loss.py, loss_binary.py,
loss_composed.py): the exception type and message for bad shapes, dtypes, targets and options
of every functional loss; float32 stays float32; no spurious warnings; infinite inputs."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import check_raises


def F(lib):
    return lib.nn.functional


def _i(lib, a):
    return lib.tensor(np.asarray(a))


def _f(lib, *shape):
    return lib.ones(*shape)


ERRORS = [  # fn(lib), glasstorch message (regex)
    (lambda lib: F(lib).cross_entropy(_f(lib, 4, 5), _f(lib, 4)), "expected target dtype to be "
     "Long or Byte, but got Float"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 4, 5), _i(lib, np.zeros((4, 5), np.int64))),
     "Expected floating point type for target with class probabilities, got Long"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 4, 5), _i(lib, [0, 1, 2, 10])),
     "Target 10 is out of bounds."),
    (lambda lib: F(lib).cross_entropy(_f(lib, 4, 5), _i(lib, [0, -1, 2, 3])),
     "Target -1 is out of bounds."),
    (lambda lib: F(lib).cross_entropy(_f(lib, 2, 3, 4), _i(lib, [[0, 1, 2, 7], [9, 1, 1, 1]])),
     "Target 7 is out of bounds."),
    (lambda lib: F(lib).cross_entropy(lib.tensor(1.0), _i(lib, 0)),
     "Expected floating point type for target with class probabilities"),
    (lambda lib: F(lib).cross_entropy(lib.tensor(1.0), lib.tensor(0.5)),
     "Dimension specified as 1 but tensor has no dimensions"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 5), _i(lib, [2, 1])),
     "For 1D input, 1D target must have size 1, but got target size: 2"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 4, 5), _i(lib, [0, 1, 2])),
     r"Expected input batch_size \(4\) to match target batch_size \(3\)."),
    (lambda lib: F(lib).cross_entropy(_f(lib, 2, 3, 4), _i(lib, np.zeros((2, 5), np.int64))),
     r"Expected target size \[2, 4\], got \[2, 5\]"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 3, 4), _i(lib, np.zeros((3, 2), np.int64))),
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 4, 5), _i(lib, [0, 1, 2, 3]), weight=_f(lib, 3)),
     r"weight tensor should be defined either for all 5 classes or no classes but got weight "
     r"tensor of shape: \[3\]"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 4, 5), _f(lib, 4, 5), weight=_f(lib, 3)),
     "cross_entropy: weight tensor should be defined either for all 5 classes"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 4, 5), _i(lib, [0, 1, 2, 3]),
                                      weight=lib.ones(5, dtype=lib.float64)),
     "expected scalar type Float but found Double"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 4, 5), _i(lib, [0, 1, 2, 3]).int()),
     "expected target dtype to be Long or Byte, but got Int"),
    (lambda lib: F(lib).cross_entropy(_i(lib, [[1, 2]]), _i(lib, [0])),
     "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 4, 5), _i(lib, [0, 1, 2, 3]), reduction="foo"),
     "foo is not a valid value for reduction"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 4, 5), _i(lib, [0, 1, 2, 3]),
                                      label_smoothing=1.5),
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 3, 4), _f(lib, 3, 4), ignore_index=1),
     "ignore_index is not supported for floating point target"),
    (lambda lib: F(lib).cross_entropy(_f(lib, 3, 4), _i(lib, [0, 1, 2]),
                                      weight=lib.ones(4, requires_grad=True)),
     "The function 'nll_loss_forward' is not differentiable with respect to argument 'weight'"),
    (lambda lib: F(lib).nll_loss(lib.tensor(1.0), _i(lib, 0)),
     r"Expected 1 or more dimensions \(got 0\)"),
    (lambda lib: F(lib).nll_loss(_f(lib, 4, 5), _i(lib, [0, 1, 2, 10])),
     "Target 10 is out of bounds."),
    (lambda lib: F(lib).nll_loss(_i(lib, [[1, 2]]), _i(lib, [0])),
     "\"nll_loss_out_frame\" not implemented for 'Long'"),
    (lambda lib: F(lib).mse_loss(_f(lib, 3), _f(lib, 3), reduction="x"),
     "x is not a valid value for reduction"),
    (lambda lib: F(lib).mse_loss(_f(lib, 3, 2), _f(lib, 3)),
     r"The size of tensor a \(2\) must match the size of tensor b \(3\)"),
    (lambda lib: F(lib).mse_loss(_i(lib, [1, 2]), _i(lib, [1, 2])),
     "\"mse_cpu\" not implemented for 'Long'"),
    (lambda lib: F(lib).mse_loss(_f(lib, 3), _f(lib, 3), weight=_f(lib, 2)),
     "Weights and input must have the same size."),
    (lambda lib: F(lib).smooth_l1_loss(_f(lib, 3), _f(lib, 3), beta=-1.0),
     "smooth_l1_loss does not support negative values for beta."),
    (lambda lib: F(lib).huber_loss(_f(lib, 3), _f(lib, 3), delta=0.0),
     "huber_loss does not support non-positive values for delta."),
    (lambda lib: F(lib).binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0])),
     "all elements of input should be between 0 and 1"),
    (lambda lib: F(lib).binary_cross_entropy(_f(lib, 3, 1) / 2, _f(lib, 3)),
     r"Using a target size \(torch.Size\(\[3\]\)\) that is different to the input size "
     r"\(torch.Size\(\[3, 1\]\)\) is deprecated"),
    (lambda lib: F(lib).binary_cross_entropy(_f(lib, 3) / 2, lib.ones(3, dtype=lib.float64)),
     "Found dtype Double but expected Float"),
    (lambda lib: F(lib).binary_cross_entropy(_f(lib, 3, 4) / 2, _f(lib, 3, 4),
                                             weight=_f(lib, 2, 3, 4)),
     r"output with shape \[3, 4\] doesn't match the broadcast shape \[2, 3, 4\]"),
    (lambda lib: F(lib).binary_cross_entropy(_f(lib, 3) / 2, _f(lib, 3),
                                             weight=lib.ones(3, requires_grad=True)),
     "not differentiable with respect to argument 'weight'"),
    (lambda lib: F(lib).binary_cross_entropy_with_logits(_f(lib, 3, 1), _f(lib, 3)),
     r"Target size \(torch.Size\(\[3\]\)\) must be the same as input size"),
    (lambda lib: F(lib).binary_cross_entropy_with_logits(_f(lib, 3, 4), _f(lib, 3, 4),
                                                         pos_weight=_f(lib, 3)),
     r"The size of tensor a \(4\) must match the size of tensor b \(3\)"),
    (lambda lib: F(lib).binary_cross_entropy_with_logits(_f(lib, 3), _i(lib, [1, 0, 1])),
     "result type Float can't be cast to the desired output type Long"),
    (lambda lib: F(lib).binary_cross_entropy_with_logits(_f(lib, 3), _f(lib, 3),
                                                         pos_weight=lib.ones(3,
                                                                             requires_grad=True)),
     "argument 'pos_weight'"),
    (lambda lib: F(lib).kl_div(_f(lib, 3), _f(lib, 3), reduction="x"),
     "x is not a valid value for reduction"),
    (lambda lib: F(lib).poisson_nll_loss(_f(lib, 3), _f(lib, 3), reduction="x"),
     "x is not a valid value for reduction"),
    (lambda lib: F(lib).gaussian_nll_loss(_f(lib, 3, 2), _f(lib, 3, 2), _f(lib, 3, 3)),
     "var is of incorrect size"),
    (lambda lib: F(lib).gaussian_nll_loss(_f(lib, 3, 2), _f(lib, 3, 2), -_f(lib, 3, 2)),
     "var has negative entry/entries"),
    (lambda lib: F(lib).gaussian_nll_loss(_f(lib, 3, 2), _f(lib, 3, 2), -1.0),
     "var has negative entry/entries"),
    (lambda lib: F(lib).gaussian_nll_loss(_f(lib, 3, 2), _f(lib, 3, 2), _f(lib, 3, 2),
                                          reduction="x"), "x is not valid"),
    (lambda lib: F(lib).multi_margin_loss(_f(lib, 3, 4), _i(lib, [0, 1, 2]), p=3),
     "only p == 1 and p == 2 supported"),
    (lambda lib: F(lib).multi_margin_loss(_f(lib, 3, 4), _i(lib, [0, 1, 5])),
     "target out of range"),
    (lambda lib: F(lib).multi_margin_loss(_f(lib, 3, 4), _i(lib, [0, 1, 2]),
                                          weight=_f(lib, 2, 2)), "weight must be one-dimensional"),
    (lambda lib: F(lib).multi_margin_loss(_f(lib, 3, 4), _i(lib, [0, 1, 2]), weight=_f(lib, 3)),
     r"inconsistent weight size, expected 4 but got \[3\]"),
    (lambda lib: F(lib).multi_margin_loss(_f(lib, 2, 3, 4), _i(lib, [1, 1])),
     r"Expected non-empty vector or matrix with optional 0-dim batch size, but got: \[2, 3, 4\]"),
    (lambda lib: F(lib).multi_margin_loss(_f(lib, 3, 4), _i(lib, [0, 1])),
     r"Expected target size \[3\], but got \[2\]. Input has shape \[3, 4\]."),
    (lambda lib: F(lib).multi_margin_loss(_f(lib, 3, 4), _f(lib, 3)),
     "expected scalar type Long but found Float"),
    (lambda lib: F(lib).multilabel_margin_loss(_f(lib, 3, 4), _i(lib, [1, 2, -1, 0])),
     r"inconsistent target size: \[4\] for input of size: \[3, 4\]"),
    (lambda lib: F(lib).multilabel_margin_loss(_f(lib, 1, 4), _i(lib, [[1, 5, -1, 0]])),
     "argument #2 'target' is out of range"),
    (lambda lib: F(lib).cosine_embedding_loss(_f(lib, 2, 3, 4), _f(lib, 2, 3, 4), _f(lib, 2)),
     r"1D target tensor expects 2D input tensors, but found inputs with sizes \[2, 3, 4\] and "
     r"\[2, 3, 4\]."),
    (lambda lib: F(lib).cosine_embedding_loss(_f(lib, 2, 3), _f(lib, 2, 3), _f(lib, 2, 1)),
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda lib: F(lib).cosine_embedding_loss(_f(lib, 2, 3), _f(lib, 2, 3), _f(lib, 3)),
     r"The size of tensor a \(3\) must match the size of tensor b \(2\)"),
    (lambda lib: F(lib).margin_ranking_loss(_f(lib, 2), _f(lib, 2), _f(lib, 2, 1)),
     "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
     r"input1: torch.Size\(\[2\]\), input2: torch.Size\(\[2\]\), target: torch.Size\(\[2, 1\]\)"),
    (lambda lib: F(lib).soft_margin_loss(_f(lib, 2, 1), _f(lib, 2)),
     r"output with shape \[2, 1\] doesn't match the broadcast shape \[2, 2\]"),
    (lambda lib: F(lib).multilabel_soft_margin_loss(_f(lib, 2, 3), _f(lib, 2, 3),
                                                    reduction="x"), "x is not valid"),
    (lambda lib: F(lib).triplet_margin_loss(_f(lib, 2, 3), _f(lib, 2, 3), _f(lib, 2, 3),
                                            margin=0), "margin must be greater than 0, got 0"),
    (lambda lib: F(lib).triplet_margin_loss(_f(lib, 2, 3), _f(lib, 3), _f(lib, 2, 3)),
     "The anchor, positive, and negative tensors are expected to have the same number of "
     "dimensions, but got: anchor 2D, positive 1D, and negative 2D inputs"),
    (lambda lib: F(lib).triplet_margin_with_distance_loss(_f(lib, 2, 3), _f(lib, 2, 3),
                                                          _f(lib, 2, 3), reduction="x"),
     "x is not a valid value for reduction"),
]


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("fn, match", ERRORS)
def test_loss_errors_like_torch(fn, match):
    check_raises(fn, lib=True, match=match)


def test_loss_functions_accept_float32_and_stay_float32():
    x = gt.randn(4, 5, requires_grad=True)
    for loss in (gt.nn.functional.cross_entropy(x, gt.tensor([0, 1, 2, 3]), label_smoothing=0.1),
                 gt.nn.functional.mse_loss(x, x.detach() * 2),
                 gt.nn.functional.binary_cross_entropy_with_logits(x, x.detach().sigmoid())):
        assert loss.dtype == gt.float32
        gx, = gt.autograd.grad(loss, x)
        assert gx.dtype == gt.float32


def test_torch_warnings_are_not_raised_spuriously():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = gt.randn(3, 4)
        gt.nn.functional.mse_loss(x, x)
        gt.nn.functional.kl_div(x, x.exp(), reduction="batchmean")
        gt.nn.functional.cross_entropy(x, gt.tensor([-100, -100, -100]))
        gt.nn.functional.binary_cross_entropy(gt.tensor([0.0, 1.0]), gt.tensor([1.0, 0.0]))


def test_hinge_embedding_loss_infinite_inputs():
    # torch fills the unused branch with zeros, not input * 0 (NaN at +-inf)
    x = np.array([np.inf, -np.inf, np.inf, -np.inf, 2.0], dtype=np.float32)
    y = np.array([1.0, 1.0, -1.0, -1.0, -1.0])
    g, t = (lib.nn.functional.hinge_embedding_loss(lib.tensor(x), lib.tensor(y),
                                                    reduction="none") for lib in (gt, torch))
    np.testing.assert_array_equal(g.numpy(), t.numpy())
