"""Pooling (glasstorch/ops/pool.py, nn/modules/pooling.py) against torch: max/avg pooling 1-D
and 2-D over kernel/stride/padding/dilation/ceil_mode/count_include_pad/divisor_override,
return_indices (flat per plane, torch's tie rule and nan rule), adaptive average/max pooling,
max_unpool, float32 and non-contiguous inputs, second derivatives, integer inputs, module
reprs and error messages."""
import numpy as np
import pytest
import torch

import glasstorch as gt
import glasstorch.nn as gnn
from helpers import assert_close, check_op, check_raises


def F(lib):
    return lib.nn.functional


def _ties(shape, seed=0):
    """Few distinct values: many windows hold equal maxima (tests the first-max rule)."""
    return np.random.default_rng(seed).integers(0, 3, shape).astype(np.float64)


# ---- max pooling -----------------------------------------------------------------------------
MAX2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2)),
    ((1, 2, 7, 7), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 2, 9, 8), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1))),
    ((2, 2, 7, 7), dict(kernel_size=2, ceil_mode=True)),
    ((1, 2, 8, 8), dict(kernel_size=3, stride=3, padding=1, ceil_mode=True)),
    ((2, 5, 5), dict(kernel_size=2, stride=1)),                                 # unbatched
    ((0, 2, 4, 4), dict(kernel_size=2)),                                        # empty batch
]

MAX1D = [
    ((2, 3, 9), dict(kernel_size=2)),
    ((2, 3, 10), dict(kernel_size=3, stride=2, padding=1, dilation=2)),
    ((2, 3, 8), dict(kernel_size=3, stride=2, ceil_mode=True)),
    ((3, 7), dict(kernel_size=2, stride=1)),                                    # unbatched
]


@pytest.mark.parametrize("xs, kw", MAX2D)
def test_max_pool2d(xs, kw):
    fn = lambda lib, x: F(lib).max_pool2d(x, return_indices=True, **kw)  # noqa: E731
    check_op(fn, [xs], lib=True)
    check_op(fn, [xs], lib=True, dtype="float32", layout="T")
    check_op(fn, [_ties(xs)], lib=True)


@pytest.mark.parametrize("xs, kw", MAX1D)
def test_max_pool1d(xs, kw):
    fn = lambda lib, x: F(lib).max_pool1d(x, return_indices=True, **kw)  # noqa: E731
    check_op(fn, [xs], lib=True)
    check_op(fn, [xs], lib=True, dtype="float32", layout="T")
    check_op(fn, [_ties(xs)], lib=True)


# Pooling is linear in its input given the windows, so its gradient does not depend on x; torch
# still marks that gradient as requiring grad (its backward takes x), glasstorch does not. The
# second-derivative tests square the output so both have a real second derivative to compare.
def test_max_pool_double_backward():
    check_op(lambda lib, x: F(lib).max_pool2d(x, 3, 2, 1) ** 2, [(2, 2, 7, 7)], lib=True,
             double=True)


def test_max_pool_nan():
    """A nan is the maximum of its window; a later nan takes the index (torch's rule)."""
    x = np.random.default_rng(0).standard_normal((1, 1, 6, 6))
    x[0, 0, 0, 0] = x[0, 0, 0, 1] = x[0, 0, 3, 3] = np.nan
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        fn = lambda lib, a: F(lib).max_pool2d(a, return_indices=True, **kw)  # noqa: E731
        check_op(fn, [x], lib=True)
    for out in (1, 2, (4, 5)):
        fn = lambda lib, a: F(lib).adaptive_max_pool2d(a, out, return_indices=True)  # noqa
        check_op(fn, [x], lib=True)


def test_max_pool_integer():
    x = np.random.default_rng(0).integers(-50, 50, (2, 3, 6, 6))
    fn = lambda lib, a: F(lib).max_pool2d(a, 3, 2, 1, return_indices=True)  # noqa: E731
    assert_close(fn(gt, gt.tensor(x)), fn(torch, torch.tensor(x)))
    check_raises(lambda lib, a: F(lib).max_pool1d(a, 2), [("int", (2, 3, 6), 0, 5)], lib=True,
                 match="not implemented for 'Long'")


def test_max_pool_top_level_and_grad_fn():
    g, t = check_op(lambda lib, x: lib.max_pool2d(x, 2), [(1, 2, 4, 4)], lib=True)
    assert g.grad_fn.name() == t.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    check_op(lambda lib, x: lib.max_pool1d_with_indices(x, 2), [(1, 2, 4)], lib=True)


# ---- average pooling -------------------------------------------------------------------------
AVG2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2)),
    ((1, 2, 7, 7), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 7, 7), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((2, 2, 7, 6), dict(kernel_size=(3, 2), padding=(1, 0), ceil_mode=True)),
    ((1, 2, 8, 8), dict(kernel_size=3, stride=3, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ((1, 2, 6, 6), dict(kernel_size=2, divisor_override=3)),
    ((1, 2, 7, 7), dict(kernel_size=3, stride=2, padding=1, divisor_override=5)),
    ((2, 5, 5), dict(kernel_size=2, stride=1)),                                 # unbatched
]

AVG1D = [
    ((2, 3, 9), dict(kernel_size=2)),
    ((2, 3, 10), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((2, 3, 8), dict(kernel_size=3, stride=2, ceil_mode=True, padding=1)),
    ((3, 7), dict(kernel_size=2, stride=1)),
]


@pytest.mark.parametrize("xs, kw", AVG2D)
def test_avg_pool2d(xs, kw):
    fn = lambda lib, x: F(lib).avg_pool2d(x, **kw)  # noqa: E731
    check_op(fn, [xs], lib=True)
    check_op(fn, [xs], lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("xs, kw", AVG1D)
def test_avg_pool1d(xs, kw):
    fn = lambda lib, x: F(lib).avg_pool1d(x, **kw)  # noqa: E731
    check_op(fn, [xs], lib=True)
    check_op(fn, [xs], lib=True, dtype="float32", layout="T")


def test_avg_pool_double_backward():
    check_op(lambda lib, x: F(lib).avg_pool2d(x, 3, 2, 1, count_include_pad=False) ** 2,
             [(2, 2, 7, 7)], lib=True, double=True)


def test_avg_pool_integer_truncates():
    x = np.arange(-20, 44).reshape(1, 4, 4, 4)
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        assert_close(gt.nn.functional.avg_pool2d(gt.tensor(x), **kw),
                     torch.nn.functional.avg_pool2d(torch.tensor(x), **kw))


# ---- adaptive pooling ------------------------------------------------------------------------
@pytest.mark.parametrize("xs, out", [
    ((2, 3, 8, 8), 4), ((2, 3, 7, 9), (3, 4)), ((2, 3, 5, 5), 1), ((1, 2, 4, 5), (6, 7)),
    ((1, 2, 6, 5), (None, 2)), ((3, 10, 7), (4, 3)),
])
def test_adaptive_avg_pool2d(xs, out):
    fn = lambda lib, x: F(lib).adaptive_avg_pool2d(x, out)  # noqa: E731
    check_op(fn, [xs], lib=True)
    check_op(lambda lib, x: fn(lib, x) ** 2, [xs], lib=True, double=True)
    check_op(fn, [xs], lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("xs, out", [((2, 3, 9), 4), ((2, 3, 5), 1), ((2, 3, 4), 7), ((3, 10), 3)])
def test_adaptive_avg_pool1d(xs, out):
    fn = lambda lib, x: F(lib).adaptive_avg_pool1d(x, out)  # noqa: E731
    check_op(fn, [xs], lib=True)
    check_op(fn, [xs], lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("xs, out", [
    ((2, 3, 8, 8), 4), ((2, 3, 7, 9), (3, 4)), ((2, 3, 5, 5), 1), ((1, 2, 4, 5), (6, 7)),
    ((3, 10, 7), (4, 3)),
])
def test_adaptive_max_pool2d(xs, out):
    fn = lambda lib, x: F(lib).adaptive_max_pool2d(x, out, return_indices=True)  # noqa: E731
    check_op(fn, [xs], lib=True)
    check_op(fn, [xs], lib=True, dtype="float32", layout="T")
    check_op(fn, [_ties(xs)], lib=True)


@pytest.mark.parametrize("xs, out", [((2, 3, 9), 4), ((2, 3, 4), 7), ((3, 10), 3)])
def test_adaptive_max_pool1d(xs, out):
    fn = lambda lib, x: F(lib).adaptive_max_pool1d(x, out, return_indices=True)  # noqa: E731
    check_op(fn, [xs], lib=True)
    check_op(fn, [_ties(xs)], lib=True)


# ---- unpooling -------------------------------------------------------------------------------
@pytest.mark.parametrize("xs, kw, size", [
    ((2, 3, 8, 8), dict(kernel_size=2), None),
    ((2, 3, 7, 7), dict(kernel_size=2), [7, 7]),
    ((1, 2, 7, 7), dict(kernel_size=3, stride=2, padding=1), None),
    ((2, 6, 6), dict(kernel_size=3, stride=1), (6, 6)),                         # unbatched
])
def test_max_unpool2d(xs, kw, size):
    def fn(lib, x):
        y, idx = F(lib).max_pool2d(x.detach(), return_indices=True, **kw)
        return F(lib).max_unpool2d(y * x.mean(), idx, output_size=size, **kw)
    check_op(fn, [xs], lib=True, double=True)
    check_op(fn, [xs], lib=True, dtype="float32")


def test_max_unpool1d():
    def fn(lib, x):
        y, idx = F(lib).max_pool1d(x.detach(), 2, return_indices=True)
        return F(lib).max_unpool1d(y * x.sum(), idx, 2)
    check_op(fn, [(2, 3, 8)], lib=True)


# ---- modules ---------------------------------------------------------------------------------
MODULES = [
    ("MaxPool2d", (2,), {}, (2, 3, 6, 6)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, dilation=1, ceil_mode=True), (2, 3, 7, 7)),
    ("MaxPool2d", ((2, 3),), dict(return_indices=True), (2, 3, 6, 6)),
    ("MaxPool1d", (3,), dict(stride=1, padding=1, return_indices=True), (2, 3, 6)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 7, 7)),
    ("AvgPool2d", (2,), dict(divisor_override=2, ceil_mode=True), (2, 3, 5, 5)),
    ("AvgPool1d", (3,), dict(stride=2), (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, (2, 3, 7, 7)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 7, 7)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveMaxPool2d", (3,), dict(return_indices=True), (2, 3, 7, 7)),
    ("AdaptiveMaxPool1d", (4,), {}, (2, 3, 9)),
]


@pytest.mark.parametrize("name, args, kw, xs", MODULES)
def test_pool_module_matches_torch(name, args, kw, xs):
    g, t = getattr(gnn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(g) == repr(t)
    check_op(lambda lib, x: (g if lib is gt else t)(x), [xs], lib=True, dtype="float32")


@pytest.mark.parametrize("name, args, kw", [
    ("MaxUnpool2d", (2,), {}), ("MaxUnpool2d", ((3, 2),), dict(stride=1, padding=(1, 0))),
    ("MaxUnpool1d", (2,), dict(stride=3)),
])
def test_unpool_module_repr(name, args, kw):
    assert repr(getattr(gnn, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))


def test_unpool_module_round_trip():
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype(np.float32)
    out = []
    for lib in (gt, torch):
        y, idx = lib.nn.MaxPool2d(2, return_indices=True)(lib.tensor(x))
        out.append(lib.nn.MaxUnpool2d(2)(y, idx, output_size=[4, 4]))
    assert_close(*out)


# ---- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fn, shapes, match", [
    (lambda lib, x: F(lib).max_pool2d(x, 2, padding=2), [(1, 1, 8, 8)], "at most half"),
    (lambda lib, x: F(lib).max_pool2d(x, 2), [(1, 1, 1, 1)], "Output size is too small"),
    (lambda lib, x: F(lib).max_pool2d(x, 2), [(2, 8)], "3D or 4D"),
    (lambda lib, x: F(lib).max_pool2d(x, 2), [(1, 0, 4, 4)], "3D or 4D"),
    (lambda lib, x: F(lib).max_pool1d(x, 2), [(2, 2, 4, 4)], "max_pool1d"),
    (lambda lib, x: F(lib).max_pool2d(x, 2, stride=0), [(1, 1, 4, 4)], "stride"),
    (lambda lib, x: F(lib).max_pool2d(x, 2, dilation=0), [(1, 1, 4, 4)], "dilation"),
    (lambda lib, x: F(lib).max_pool2d(x, 2, padding=-1), [(1, 1, 4, 4)], "non-negative"),
    (lambda lib, x: F(lib).max_pool2d(x, (2, 2, 2)), [(1, 1, 4, 4)], "kernel_size"),
    (lambda lib, x: F(lib).avg_pool2d(x, 2, padding=2), [(1, 1, 8, 8)], "at most half"),
    (lambda lib, x: F(lib).avg_pool2d(x, 2), [(2, 8)], "out of range"),
    (lambda lib, x: F(lib).avg_pool2d(x, 2, divisor_override=0), [(1, 1, 4, 4)], "divisor"),
    (lambda lib, x: F(lib).adaptive_avg_pool2d(x, 2), [(2, 8)], "3D or 4D"),
    (lambda lib, x: F(lib).adaptive_avg_pool2d(x, (2,)), [(1, 2, 8, 8)], "output_size"),
    (lambda lib, x: F(lib).adaptive_avg_pool2d(x, 2), [(1, 1, 0, 4)], "non-zero size"),
    (lambda lib, x: F(lib).adaptive_avg_pool2d(x.long(), 2), [(1, 1, 4, 4)], "Long"),
    (lambda lib, x: F(lib).max_unpool2d(x, (x * 0).long() + 99, 2), [(1, 1, 2, 2)],
     "invalid max index"),
])
def test_pool_errors(fn, shapes, match):
    check_raises(fn, shapes, lib=True, dtype="float32", match=match)


def test_unpool_bad_output_size():
    x = np.zeros((1, 1, 2, 2), np.float32)
    for lib in (gt, torch):
        with pytest.raises(ValueError, match="invalid output_size"):
            F(lib).max_unpool2d(lib.tensor(x), lib.zeros(1, 1, 2, 2).long(), 2,
                                output_size=[9, 9])


@pytest.mark.parametrize("shape", [(2, 2), (2, 2, 4), (2, 4, 0), (3,), (0,), (2, 0)])
@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "bool", "float32"])
@pytest.mark.parametrize("fn", [
    lambda lib, x: lib.nn.functional.max_pool1d(x, 2),
    lambda lib, x: lib.nn.functional.max_pool1d_with_indices(x, 2),
    lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, 2),
    lambda lib, x: lib.nn.functional.avg_pool1d(x, 2),
    lambda lib, x: lib.nn.functional.avg_pool2d(x.unsqueeze(0), 2),
])
def test_pools_of_integer_inputs(shape, dtype, fn):
    """Integer and bool inputs: torch checks the shapes first, then finds no kernel for some
    dtypes (avg pools: floats and int64 only; the 1-D max pool: floats; its with_indices
    form: all but bool) (fuzzer findings)."""
    from fuzz_engine import outcome
    x = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    got, detail = outcome(fn, [x])
    assert got in ("same_value", "same_error"), detail


@pytest.mark.parametrize("fn, shape, out", [
    ("adaptive_max_pool2d", (5, 5, 3, 5), (2, 0)), ("adaptive_max_pool2d", (1, 3, 5), (0, None)),
    ("adaptive_max_pool2d", (2, 2, 1, 3), (None, 0)), ("adaptive_max_pool1d", (0, 3), 0),
    ("adaptive_max_pool1d", (2, 3), 0),
    ("adaptive_avg_pool1d", (2, 0), 1), ("adaptive_avg_pool1d", (2, 3, 0), 1),
    ("adaptive_avg_pool2d", (2, 0), 1), ("adaptive_avg_pool2d", (2, 3, 0), (1, 1)),
    ("adaptive_avg_pool2d", (2, 0, 3), (1, None)), ("adaptive_avg_pool2d", (0, 3), (1, 1)),
    ("adaptive_avg_pool1d", (2, 3, 5), 1), ("adaptive_avg_pool2d", (2, 3, 5), (None, 1)),
])
def test_adaptive_pools_of_empty_sizes(fn, shape, out):
    """An output size of 0 gives an empty output; an output of 1 (x 1) is torch's mean, taken
    before any check of the input's sizes (an empty plane gives nan) (fuzzer findings)."""
    from fuzz_engine import outcome
    x = np.random.default_rng(0).uniform(-1, 1, shape)
    got, detail = outcome(lambda lib, x: getattr(lib.nn.functional, fn)(x, out), [x])
    assert got in ("same_value", "same_error"), detail


@pytest.mark.parametrize("dtype", ["bool", "int64", "uint8"])
def test_max_pool2d_with_indices_dtypes(dtype):
    """bool has no max_pool2d kernel in torch: NotImplementedError (was NumPy's ValueError)."""
    from fuzz_engine import outcome
    got, detail = outcome(lambda lib, x: lib.nn.functional.max_pool2d_with_indices(x, 2),
                          [np.ones((2, 2, 2, 2), dtype)])
    assert got in ("same_value", "same_error"), detail
