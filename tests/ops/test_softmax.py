"""softmax / log_softmax vs torch (values, gradients, second derivatives), and vs their
composite twins written with exp/sum (DeZero's *_simple): same numbers where the composite is
safe, while only the fused op survives large inputs."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.ops.softmax import softmin
from helpers import check_op, check_raises, make_inputs

INF = math.inf


def _softmax_simple(x, dim):
    """The textbook composite: exp(x) / sum(exp(x)). Overflows for large x."""
    e = x.exp()
    return e / e.sum(dim, keepdim=True)


def _log_softmax_simple(x, dim):
    """x - log(sum(exp(x))) via logsumexp (stable, but three ops and their intermediates)."""
    return x - x.logsumexp(dim, keepdim=True)


CASES = [
    ((3, 4), 1), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1), ((2, 3, 4), -3), ((5,), 0),
    ((), 0), ((), -1), ((0, 3), 1), ((3, 0), 1), ((1, 1), 0),
]


@pytest.mark.parametrize("shape, dim", CASES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_vs_torch(name, shape, dim):
    check_op(lambda x: getattr(x, name)(dim), [shape])
    check_op(lambda lib, x: getattr(lib, name)(x, dim=dim), [shape], lib=True)


@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((2, 3, 4), 0), ((4,), -1)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_second_derivative(name, shape, dim):
    check_op(lambda x: getattr(x, name)(dim), [shape], double=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_non_contiguous_and_float32(name):
    check_op(lambda x: getattr(x, name)(0), [(3, 4)], layout="T")
    check_op(lambda x: getattr(x, name)(-1), [(2, 3, 4)], dtype="float32")


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_dtype_argument(name):
    check_op(lambda lib, x: getattr(lib, name)(x, 1, lib.float64), [(3, 4)], dtype="float32",
             lib=True)
    check_op(lambda lib, x: getattr(x, name)(0, dtype=lib.float32), [("int", (3, 4), -3, 4)],
             lib=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_extreme_values(name):
    a = np.array([[1000., 0, -1000], [-INF, 0, 1], [50., 50, 50]])
    check_op(lambda x: getattr(x, name)(1), [a])


# short rows along the contiguous last dim: the row max goes through a transposed copy
# (ops/softmax.py _max_along); NaN and -inf rows and float32 included
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("shape, dim", [((256, 10), 1), ((256, 10), -1), ((3, 40, 8), 2),
                                        ((128, 32), 1), ((128, 33), 1), ((64, 1), 1)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_short_rows(name, shape, dim):
    a = make_inputs([shape], low=-5.0, high=5.0)[0]
    check_op(lambda x: getattr(x, name)(dim), [a], double=shape == (256, 10))
    special = a.reshape(-1, shape[-1]).copy()
    special[0] = -INF
    special[1, 0] = INF
    special[2, -1] = math.nan
    special[3] = 1000.0
    check_op(lambda x: getattr(x, name)(dim), [special.reshape(shape).astype(np.float32)],
             dtype="float32")


@pytest.mark.parametrize("fused, simple", [("softmax", _softmax_simple),
                                           ("log_softmax", _log_softmax_simple)])
@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((2, 3, 4), 0)])
def test_matches_composite_twin(fused, simple, shape, dim):
    a, up = make_inputs([shape, shape], seed=3)
    grads = []
    for f in (lambda x: getattr(x, fused)(dim), lambda x: simple(x, dim)):
        x = gt.tensor(a, requires_grad=True)
        y = f(x)
        (g,) = gt.autograd.grad(y, [x], gt.tensor(up))
        grads.append((y.detach().numpy(), g.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-10, atol=1e-12)


def test_fused_is_stable_where_composite_overflows():
    x = gt.tensor([[100., 101.]], dtype=gt.float32)
    with np.errstate(over="ignore", invalid="ignore"):  # exp(100) = inf in float32: inf/inf
        assert np.isnan(_softmax_simple(x, 1).numpy()).all()
    np.testing.assert_allclose(x.softmax(1).numpy(), [[0.26894142, 0.7310586]], rtol=1e-6)


def test_softmin():
    check_op(lambda x: softmin(x, 1), [(3, 4)],
             torch_fn=lambda x: torch.nn.functional.softmin(x, 1))


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.softmax(2),
    lambda lib, x: x.log_softmax(-3),
    lambda lib, x: lib.softmax(x.long(), 0),
    lambda lib, x: lib.log_softmax(x.bool(), 1),
])
def test_errors(fn):
    check_raises(fn, [(2, 3)], lib=True)


def test_grad_fn_names():
    x = gt.ones(2, 3, requires_grad=True)
    assert x.softmax(1).grad_fn.name() == "SoftmaxBackward0"
    assert x.log_softmax(1).grad_fn.name() == "LogSoftmaxBackward0"
