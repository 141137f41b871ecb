"""Reductions vs torch: values, dtypes, shapes and gradients (incl. second derivatives), over
several dims / keepdim / negative dims, zero-size and non-contiguous inputs, and torch's
errors. Inputs with ties, zeros, nans and infinities are given as explicit arrays."""
import math
import pickle
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import check_op, check_raises, gradcheck

INF, NAN = math.inf, math.nan


def arr(*rows):
    return np.array(rows if len(rows) > 1 else rows[0], dtype=np.float64)


# ---- (expression, input shapes): forward + gradient, float64 ----------------------------------
REDUCTIONS = [
    (lambda x: x.sum(), [(3, 4)]),
    (lambda x: x.sum(1), [(3, 4)]),
    (lambda x: x.sum(-1, keepdim=True), [(2, 3, 4)]),
    (lambda x: x.sum((0, 2)), [(2, 3, 4)]),
    (lambda x: x.sum([-1, 0], keepdim=True), [(2, 3, 4)]),
    (lambda x: x.sum(()), [(2, 3)]),
    (lambda x: x.sum(0), [()]),
    (lambda x: x.sum(0), [(0, 3)]),
    (lambda x: x.sum(1, keepdim=True), [(0, 3)]),
    (lambda x: x.mean(), [(3, 4)]),
    (lambda x: x.mean(0), [(3, 4)]),
    (lambda x: x.mean((-1, -2), keepdim=True), [(2, 3, 4)]),
    (lambda x: x.mean(0), [(0, 3)]),
    (lambda x: x.mean(1), [(0, 3)]),
    (lambda x: x.mean(-1), [()]),
    (lambda x: x.var(), [(3, 4)]),
    (lambda x: x.var(1), [(3, 4)]),
    (lambda x: x.var(0, False), [(3, 4)]),
    (lambda x: x.var(0, True, True), [(3, 4)]),
    (lambda x: x.var(False), [(3, 4)]),
    (lambda x: x.var((0, 2), correction=0), [(2, 3, 4)]),
    (lambda x: x.var(-1, correction=2, keepdim=True), [(2, 5)]),
    (lambda x: x.var(dim=0, correction=0.5), [(4, 2)]),
    (lambda x: x.std(), [(3, 4)]),
    (lambda x: x.std(1, keepdim=True), [(3, 4)]),
    (lambda x: x.std((0, 1), unbiased=False), [(2, 3, 2)]),
    (lambda x: x.std(0, correction=0), [(1, 3)]),
    (lambda x: x.prod(), [(2, 3)]),
    (lambda x: x.prod(1), [(3, 4)]),
    (lambda x: x.prod(-1, keepdim=True), [(2, 3, 4)]),
    (lambda x: x.prod(0), [()]),
    (lambda x: x.prod(0), [(0, 3)]),
    (lambda x: x.max(), [(3, 4)]),
    (lambda x: x.max(1), [(3, 4)]),
    (lambda x: x.max(-1, keepdim=True), [(2, 3, 4)]),
    (lambda x: x.max(dim=0), [()]),
    (lambda x: x.max(1), [(0, 3)]),
    (lambda x: x.min(), [(3, 4)]),
    (lambda x: x.min(0), [(3, 4)]),
    (lambda x: x.min(-2, True), [(2, 3, 4)]),
    (lambda x: x.amax(), [(3, 4)]),
    (lambda x: x.amax((0, 2)), [(2, 3, 4)]),
    (lambda x: x.amax(-1, keepdim=True), [(2, 3, 4)]),
    (lambda x: x.amax(1), [(0, 3)]),
    (lambda x: x.amin([0, 1], True), [(2, 3, 4)]),
    (lambda x: x.amin(-1), [(3, 4)]),
    (lambda x: x.median(), [(3, 4)]),
    (lambda x: x.median(), [(3, 5)]),
    (lambda x: x.median(1), [(3, 4)]),
    (lambda x: x.median(-1, keepdim=True), [(2, 3, 5)]),
    (lambda x: x.median(1), [(0, 3)]),
    (lambda x: x.logsumexp(1), [(3, 4)]),
    (lambda x: x.logsumexp((0, 2), keepdim=True), [(2, 3, 4)]),
    (lambda x: x.logsumexp(-1), [(2, 3, 4)]),
    (lambda x: x.logsumexp(0), [()]),
    (lambda x: x.logsumexp(0), [(0, 3)]),
    (lambda x: x.cumsum(0), [(3, 4)]),
    (lambda x: x.cumsum(-1), [(2, 3, 4)]),
    (lambda x: x.cumsum(0), [()]),
    (lambda x: x.cumsum(1), [(0, 3)]),
    (lambda x: x.cumprod(1), [(3, 4)]),
    (lambda x: x.cumprod(-3), [(2, 3, 4)]),
    (lambda x: x.cumprod(0), [()]),
    (lambda x: x.norm(), [(3, 4)]),
    (lambda x: x.norm(dim=1), [(3, 4)]),
    (lambda x: x.norm(2, (0, 2), keepdim=True), [(2, 3, 4)]),
    (lambda x: x.norm("fro", (0, 1)), [(3, 4)]),
    (lambda x: x.norm(1, -1), [(3, 4)]),
    (lambda x: x.norm(3, 0), [(3, 4)]),
    (lambda x: x.norm(1.5), [(3, 4)]),
    (lambda x: x.norm(0.5, 1), [(3, 4)]),
    (lambda x: x.norm(INF, 1), [(3, 4)]),
    (lambda x: x.norm(-INF), [(3, 4)]),
    (lambda x: x.norm(0, 1), [(3, 4)]),
    (lambda x: x.norm(dim=0), [(0, 3)]),
    (lambda x: x.norm(), [()]),
]


@pytest.mark.parametrize("fn, shapes", REDUCTIONS)
def test_reduction(fn, shapes):
    check_op(fn, shapes)


@pytest.mark.parametrize("fn, shapes", [
    (lambda x: x.sum((0, 2)), [(2, 3, 4)]),
    (lambda x: x.mean(1), [(3, 4)]),
    (lambda x: x.var(0, keepdim=True), [(3, 4)]),
    (lambda x: x.std(1), [(3, 4)]),
    (lambda x: x.prod(1), [(3, 4)]),
    (lambda x: x.max(0), [(3, 4)]),
    (lambda x: x.amin((0, 1)), [(3, 4)]),
    (lambda x: x.median(1), [(3, 5)]),
    (lambda x: x.logsumexp(0), [(3, 4)]),
    (lambda x: x.cumsum(1), [(3, 4)]),
    (lambda x: x.cumprod(0), [(3, 4)]),
    (lambda x: x.norm(dim=0), [(3, 4)]),
])
def test_non_contiguous(fn, shapes):
    check_op(fn, shapes, layout="T")


@pytest.mark.parametrize("fn, shapes", [
    (lambda x: x.sum(1), [(3, 4)]),
    (lambda x: x.mean((0, 1), keepdim=True), [(3, 4)]),
    (lambda x: x.var(1), [(3, 4)]),
    (lambda x: x.var(), [(3, 4)]),
    (lambda x: x.std(0), [(3, 4)]),
    (lambda x: x.logsumexp(1), [(3, 4)]),
    (lambda x: x.prod(), [(2, 3)]),
    (lambda x: x.prod(1, keepdim=True), [(3, 4)]),
    (lambda x: x.cumsum(0), [(3, 4)]),
    (lambda x: x.cumprod(1), [(3, 4)]),
    (lambda x: x.max(1).values * x.max(), [(3, 4)]),
    (lambda x: x.amax(0) * x.median(), [(3, 4)]),
    (lambda x: x.norm(dim=1), [(3, 4)]),
    (lambda x: x.norm(3, 1), [(3, 4)]),
    (lambda x: x.norm(1.5), [(3, 4)]),
])
def test_second_derivative(fn, shapes):
    check_op(fn, shapes, double=True)


@pytest.mark.parametrize("fn, shapes", [
    (lambda x: x.sum(1), [(3, 4)]),
    (lambda x: x.mean(), [(3, 4)]),
    (lambda x: x.var(0), [(3, 4)]),
    (lambda x: x.std(), [(3, 4)]),
    (lambda x: x.prod(1), [(3, 4)]),
    (lambda x: x.max(1), [(3, 4)]),
    (lambda x: x.amin(), [(3, 4)]),
    (lambda x: x.median(0), [(3, 4)]),
    (lambda x: x.logsumexp(1), [(3, 4)]),
    (lambda x: x.cumsum(0), [(3, 4)]),
    (lambda x: x.cumprod(1), [(3, 4)]),
    (lambda x: x.norm(dim=1), [(3, 4)]),
    (lambda x: x.norm(3), [(3, 4)]),
    (lambda x: x.sum(dtype=gt.float64) if isinstance(x, gt.Tensor)
     else x.sum(dtype=torch.float64), [(3, 4)]),
    (lambda x: x.mean(0, dtype=gt.float64) if isinstance(x, gt.Tensor)
     else x.mean(0, dtype=torch.float64), [(3, 4)]),
])
def test_float32(fn, shapes):
    check_op(fn, shapes, dtype="float32")


# ---- special values: ties, zeros, nan, inf ------------------------------------------------------
SPECIAL = [
    (lambda x: x.max(), arr([1., 3, 3, 2])),                          # ties share the gradient
    (lambda x: x.min(), arr([[1., 3], [1, 1]])),
    (lambda x: x.max(0), arr([1., 3, 3, 2])),                         # max(dim): first index
    (lambda x: x.min(1), arr([[2., 1, 1], [0, 0, 5]])),
    (lambda x: x.amax(1), arr([[1., 3, 3], [2, 2, 2]])),
    (lambda x: x.amin(), arr([[1., 0, 3], [0, 2, 2]])),
    (lambda x: x.median(), arr([1., 3, 3, 2, 3])),
    (lambda x: x.median(), arr([1., 3, 3, 2])),
    (lambda x: x.median(1), arr([[1., 3, 3, 2, 3], [5, 5, 5, 5, 5], [2, 1, 2, 1, 0]])),
    (lambda x: x.max(), arr([1., NAN, 3, NAN])),                      # nan wins, nans share
    (lambda x: x.max(0), arr([1., NAN, 3, NAN])),
    (lambda x: x.amax(), arr([1., NAN, 3])),
    (lambda x: x.median(), arr([1., NAN, 0])),
    (lambda x: x.median(0), arr([1., NAN, 0])),
    (lambda x: x.prod(), arr([2., 0, 3])),                            # one zero
    (lambda x: x.prod(), arr([2., 0, 3, 0])),                         # two zeros
    (lambda x: x.prod(1), arr([[2., 0, 3], [0, 0, 4], [1, 2, 3]])),
    (lambda x: x.prod(0, keepdim=True), arr([[2., 0], [0, 0], [5, 3]])),
    (lambda x: x.cumprod(0), arr([2., 0, 3, 0, 5])),
    (lambda x: x.cumprod(1), arr([[2., 0, 3], [0, 0, 4], [1, 2, 3]])),
    (lambda x: x.std(1), arr([[2., 2, 2], [1, 2, 3]])),                 # zero std: gradient 0
    (lambda x: x.norm(dim=1), arr([[0., 0], [3, 4]])),                # zero norm: gradient 0
    (lambda x: x.norm(3), arr([0., 0])),
    (lambda x: x.norm(0.5), arr([0., 1])),
    (lambda x: x.norm(INF), arr([-3., 1, 3])),
    (lambda x: x.norm(-INF, 0), arr([-3., 1, 3, -1])),
    (lambda x: x.logsumexp(1), arr([[-INF, -INF], [INF, 1], [-INF, 0]])),
    (lambda x: x.logsumexp(0), arr([1000., 1000, -1000])),              # no overflow
]


# numpy warns on inf - inf and inf * 0 inside the gradients; torch gives the same nan silently
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("fn, a", SPECIAL)
def test_special_values(fn, a):
    check_op(fn, [a])


@pytest.mark.parametrize("fn, a", [
    (lambda x: x.var(correction=5), arr([2., 0, 3])),
    (lambda x: x.var(0, correction=3), arr([2., 0, 3])),
    (lambda x: x.var(0, correction=5), arr([2., 0, 3])),
    (lambda x: x.var(correction=3), arr([2., 2, 2])),
    (lambda x: x.std(correction=5), arr([2., 0, 3])),
    (lambda x: x.var(), arr(2.)),
    (lambda x: x.var(1), np.zeros((2, 0))),
])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_var_correction_too_large(fn, a):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # both warn: degrees of freedom <= 0
        check_op(fn, [a])


@pytest.mark.parametrize("fn, a", [
    (lambda x: x.prod(), arr([2., 0, 3])),
    (lambda x: x.prod(), arr([2., 0, 3, 0])),
    (lambda x: x.prod(1), arr([[2., 0, 3, 1], [0, 0, 4, 2], [1, 2, 0, 3]])),
    (lambda x: x.cumprod(0), arr([2., 0, 3, 0, 5])),
    (lambda x: x.cumprod(1), arr([[2., 0, 3], [0, 0, 4], [1, 2, 3]])),
])
def test_zeros_second_derivative(fn, a):
    check_op(fn, [a], double=True)


def test_cumprod_zeros_gradcheck():
    gradcheck(lambda x: x.cumprod(1), [arr([[2., 0, 3, -1], [0, 1.5, 0, 4]])])


# ---- integer and bool inputs, dtype= ------------------------------------------------------------
INTS = [
    lambda x: x.sum(),
    lambda x: x.sum(0),
    lambda x: x.prod(1),
    lambda x: x.cumsum(0),
    lambda x: x.cumprod(1),
    lambda x: x.max(),
    lambda x: x.max(1),
    lambda x: x.min(0, keepdim=True),
    lambda x: x.amax(0),
    lambda x: x.median(),
    lambda x: x.median(1),
    lambda x: x.argmax(),
    lambda x: x.argmin(1, keepdim=True),
    lambda x: x.logsumexp(1),
    lambda x: x.all(),
    lambda x: x.any(1),
    lambda x: x.count_nonzero(),
    lambda x: x.count_nonzero((0, 1)),
]


@pytest.mark.parametrize("fn", INTS)
def test_int_inputs(fn):
    check_op(fn, [("int", (3, 4), -3, 4)])


@pytest.mark.parametrize("fn", [
    lambda x: x.sum(), lambda x: x.sum(1), lambda x: x.prod(), lambda x: x.cumsum(0),
    lambda x: x.cumprod(1), lambda x: x.max(), lambda x: x.max(0), lambda x: x.amin(1),
    lambda x: x.all(), lambda x: x.all(1, keepdim=True), lambda x: x.any((0, 1)),
    lambda x: x.count_nonzero(1),
])
def test_bool_inputs(fn):
    check_op(fn, [("bool", (3, 4))])


@pytest.mark.parametrize("fn", [
    lambda x: x.all(), lambda x: x.any(0), lambda x: x.all(-1, True), lambda x: x.count_nonzero(),
])
def test_uint8_logical(fn):  # torch: all/any keep uint8
    check_op(fn, [np.array([[0, 2, 1], [3, 1, 1]], dtype=np.uint8)])


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.sum(dtype=lib.float32),
    lambda lib, x: x.mean(dtype=lib.float64),
    lambda lib, x: x.prod(0, dtype=lib.float64),
    lambda lib, x: x.cumsum(1, dtype=lib.float32),
    lambda lib, x: x.cumprod(0, dtype=lib.float64),
    lambda lib, x: x.norm(dtype=lib.float64),
])
def test_dtype_argument(fn):
    check_op(fn, [(3, 4)], dtype="float32", lib=True)


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.sum(dtype=lib.float32),
    lambda lib, x: x.int().sum(1, dtype=lib.int32),
    lambda lib, x: x.mean(dtype=lib.float64),
    lambda lib, x: x.prod(dtype=lib.float32),
    lambda lib, x: x.cumsum(0, dtype=lib.float64),
    lambda lib, x: x.int().cumprod(1),
    lambda lib, x: x.logsumexp(0),
])
def test_dtype_argument_int(fn):
    check_op(fn, [("int", (3, 4), -3, 4)], lib=True)


@pytest.mark.parametrize("fn", [
    lambda x: x.all(), lambda x: x.any(1), lambda x: x.count_nonzero(0), lambda x: x.argmax(1),
    lambda x: x.argmin(), lambda x: x.argmax(None, True), lambda x: x.argmin(0),
])
def test_logical_and_arg(fn):
    check_op(fn, [arr([[0., 1, 2, 2], [NAN, 0, -1, 5], [0, 0, 0, 0]])])


@pytest.mark.parametrize("fn", [
    lambda x: x.all(), lambda x: x.any(), lambda x: x.all(0), lambda x: x.any(1, keepdim=True),
    lambda x: x.count_nonzero(), lambda x: x.count_nonzero(1), lambda x: x.argmax(1),
    lambda x: x.argmin(1, True),
])
def test_logical_and_arg_empty(fn):
    check_op(fn, [np.zeros((0, 3))])


# ---- module-level functions with torch's signatures ---------------------------------------------
MODULE = [
    lambda lib, x, y: lib.sum(x, dim=1),
    lambda lib, x, y: lib.sum(x, 1, True),
    lambda lib, x, y: lib.mean(x, (0, 1), True),
    lambda lib, x, y: lib.var(x, 1, False, True),
    lambda lib, x, y: lib.var(x, dim=0, correction=0, keepdim=True),
    lambda lib, x, y: lib.std(x, False),
    lambda lib, x, y: lib.prod(x, 1),
    lambda lib, x, y: lib.max(x),
    lambda lib, x, y: lib.max(x, 1),
    lambda lib, x, y: lib.max(x, dim=1, keepdim=True),
    lambda lib, x, y: lib.min(x, 0, True),
    lambda lib, x, y: lib.amax(x, dim=(0, 1)),
    lambda lib, x, y: lib.amin(x, 1, True),
    lambda lib, x, y: lib.argmax(x, dim=1),
    lambda lib, x, y: lib.argmin(x),
    lambda lib, x, y: lib.logsumexp(x, 1, True),
    lambda lib, x, y: lib.cumsum(x, dim=1),
    lambda lib, x, y: lib.cumprod(x, 0),
    lambda lib, x, y: lib.norm(x, 2, 1, True),
    lambda lib, x, y: lib.norm(x, dim=(0, 1)),
    lambda lib, x, y: lib.all(x > 0, 1),
    lambda lib, x, y: lib.any(x > 0, dim=0, keepdim=True),
    lambda lib, x, y: lib.count_nonzero(x > 0, dim=1),
    lambda lib, x, y: lib.median(x),
    lambda lib, x, y: lib.median(x, 1, True),
    lambda lib, x, y: lib.var_mean(x, 1),
    lambda lib, x, y: lib.var_mean(x, 1, True),
    lambda lib, x, y: lib.var_mean(x, keepdim=True),
    lambda lib, x, y: lib.std_mean(x, dim=1, correction=0),
    lambda lib, x, y: lib.std_mean(x, (0, 1), unbiased=False),
    lambda lib, x, y: lib.aminmax(x),
    lambda lib, x, y: lib.aminmax(x, dim=1, keepdim=True),
]


@pytest.mark.parametrize("fn", MODULE)
def test_module_functions(fn):
    check_op(fn, [(3, 4), (3, 4)], lib=True)


def test_aminmax_ties():
    check_op(lambda lib, x: lib.aminmax(x, dim=0), [arr([[1., 2], [1, 5], [3, 5]])], lib=True)
    check_op(lambda x: x.aminmax(), [arr([[1., 2], [1, 5], [3, 5]])])


def test_return_types():
    r = gt.tensor([[1., 5.], [4., 2.]]).max(1)
    values, indices = r
    assert r.values is values and r.indices is indices and r[0] is values
    assert type(r).__name__ == "max" and repr(r).startswith("torch.return_types.max(")
    assert pickle.loads(pickle.dumps(r))[1].tolist() == [1, 0]
    m = gt.aminmax(gt.tensor([3., 1.]))
    assert (m.min.item(), m.max.item()) == (1.0, 3.0)


def test_grad_fn_names():
    x = gt.ones(3, 4, requires_grad=True)
    names = [x.max().grad_fn.name(), x.max(0).values.grad_fn.name(),
             x.median().grad_fn.name(), x.median(0).values.grad_fn.name(),
             x.norm().grad_fn.name(), x.logsumexp(0).grad_fn.name()]
    assert names == ["MaxBackward1", "MaxBackward0", "MedianBackward0", "MedianBackward1",
                     "LinalgVectorNormBackward0", "LogsumexpBackward0"]


# ---- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn, shapes", [
    (lambda x: x.max(), [(0,)]),
    (lambda x: x.min(), [(0, 3)]),
    (lambda x: x.max(0), [(0, 3)]),
    (lambda x: x.min(1), [(3, 0)]),
    (lambda x: x.amax(), [(0, 3)]),
    (lambda x: x.amin((0, 1)), [(0, 3)]),
    (lambda x: x.argmax(), [(0, 3)]),
    (lambda x: x.argmin(0), [(0, 3)]),
    (lambda x: x.median(0), [(0, 3)]),
    (lambda x: x.norm(INF), [(0, 3)]),
    (lambda x: x.norm(-INF, 1), [(3, 0)]),
    (lambda x: x.sum(2), [(2, 3)]),
    (lambda x: x.sum((0, 0)), [(2, 3)]),
    (lambda x: x.amax((1, -1)), [(2, 3)]),
    (lambda x: x.max(1), [()]),
    (lambda x: x.max(keepdim=True), [(2, 3)]),
    (lambda x: x.prod((0, 1)), [(2, 3)]),
    (lambda x: x.cumsum(2), [(2, 3)]),
    (lambda x: x.logsumexp(None), [(2, 3)]),
    (lambda x: x.var(0, unbiased=True, correction=1), [(2, 3)]),
    (lambda x: x.norm("nuc2"), [(2, 3)]),
    (lambda x: x.norm("fro", (0, 1, 1)), [(2, 3, 4)]),
])
def test_errors(fn, shapes):
    check_raises(fn, shapes)


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.mean(),
    lambda lib, x: x.var(),
    lambda lib, x: x.std(0),
    lambda lib, x: x.norm(),
    lambda lib, x: x.float().mean(dtype=lib.int64),
    lambda lib, x: x.double().norm(dtype=lib.float32),
    lambda lib, x: (x > 0).argmax(),
])
def test_dtype_errors(fn):
    check_raises(fn, [("int", (2, 3), 0, 5)], lib=True)


def test_var_warns_like_torch():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        gt.ones(1).var()


def test_max_other_delegates_to_maximum():
    check_op(lambda lib, x, y: lib.max(x, y), [(3, 4), (4,)], lib=True)
    check_op(lambda lib, x, y: x.min(y), [(3, 4), (3, 1)], lib=True)
