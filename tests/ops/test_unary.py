"""Unary elementwise ops (glasstorch/ops/unary.py, trig.py, piecewise.py) against torch: values,
dtypes, gradients (float64, float32, transposed, zero-size, 0-d), second derivatives,
integer/bool inputs, errors, special values (NaN, inf, -0.0), and erf/erfc/erfinv accuracy
(glasstorch/backend/special.py)."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import assert_close, check_op, check_raises

# name, float sample range (low, high), points to keep samples away from (kinks, poles)
FLOAT_OPS = [
    ("neg", -2, 2, ()),
    ("positive", -2, 2, ()),
    ("abs", -2, 2, (0.0,)),
    ("exp", -2, 2, ()),
    ("exp2", -2, 2, ()),
    ("expm1", -2, 2, ()),
    ("log", 0.1, 3, ()),
    ("log2", 0.1, 3, ()),
    ("log10", 0.1, 3, ()),
    ("log1p", -0.9, 3, ()),
    ("sqrt", 0.1, 3, ()),
    ("rsqrt", 0.1, 3, ()),
    ("square", -2, 2, ()),
    ("reciprocal", -2, 2, (0.0,)),
    ("sin", -3, 3, ()),
    ("cos", -3, 3, ()),
    ("tan", -1.2, 1.2, ()),
    ("asin", -0.95, 0.95, ()),
    ("acos", -0.95, 0.95, ()),
    ("atan", -3, 3, ()),
    ("arcsin", -0.95, 0.95, ()),
    ("sinh", -2, 2, ()),
    ("cosh", -2, 2, ()),
    ("tanh", -2, 2, ()),
    ("asinh", -2, 2, ()),
    ("acosh", 1.1, 3, ()),
    ("atanh", -0.9, 0.9, ()),
    ("sigmoid", -4, 4, ()),
    ("relu", -2, 2, (0.0,)),
    ("sign", -2, 2, (0.0,)),
    ("sgn", -2, 2, (0.0,)),
    ("floor", -3, 3, (-2.0, -1.0, 0.0, 1.0, 2.0)),
    ("ceil", -3, 3, (-2.0, -1.0, 0.0, 1.0, 2.0)),
    ("round", -3, 3, (-1.5, -0.5, 0.5, 1.5)),
    ("trunc", -3, 3, (-2.0, -1.0, 0.0, 1.0, 2.0)),
    ("fix", -3, 3, (-2.0, -1.0, 0.0, 1.0, 2.0)),
    ("frac", -3, 3, (-2.0, -1.0, 0.0, 1.0, 2.0)),
    ("erf", -3, 3, ()),
    ("erfc", -3, 3, ()),
    ("erfinv", -0.95, 0.95, ()),
    ("nan_to_num", -2, 2, ()),
]
_RANGE = {name: (lo, hi, avoid) for name, lo, hi, avoid in FLOAT_OPS}

SMOOTH = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square",
          "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
          "asinh", "acosh", "atanh", "sigmoid", "erf", "erfc", "erfinv", "abs", "neg"]

CASES = {  # check_op arguments of each variant every op runs through
    "float64": dict(shapes=[(3, 4)]),
    "float32": dict(shapes=[(3, 4)], dtype="float32"),
    "transposed": dict(shapes=[(3, 4)], layout="T"),
    "zero_size": dict(shapes=[(0, 3)]),
    "0d": dict(shapes=[()]),
}


def _fn(name):
    return lambda lib, x: getattr(lib, name)(x)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", list(_RANGE))
def test_float_op(name, case):
    lo, hi, avoid = _RANGE[name]
    kw = CASES[case]
    check_op(_fn(name), kw["shapes"], lib=True, low=lo, high=hi, avoid=avoid,
             dtype=kw.get("dtype", "float64"), layout=kw.get("layout", "C"))


@pytest.mark.parametrize("name", SMOOTH)
def test_double_backward(name):
    lo, hi, avoid = _RANGE[name]
    check_op(_fn(name), [(5,)], lib=True, low=lo, high=hi, avoid=avoid, double=True)


@pytest.mark.parametrize("fn", [
    lambda x: x.relu() * x,
    lambda x: x.clamp(-0.5, 0.7) * x,
    lambda x: x.frac() * x,
    lambda x: x.nan_to_num() * x,
    lambda x: x.sigmoid().log(),
])
def test_double_backward_piecewise(fn):
    check_op(fn, [(6,)], avoid=(-0.5, 0.0, 0.7), double=True)


@pytest.mark.parametrize("method", [
    "neg", "negative", "abs", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt",
    "rsqrt", "square", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    "sigmoid", "relu", "sign", "sgn", "floor", "ceil", "round", "trunc", "frac", "reciprocal",
    "erf", "erfc", "erfinv", "nan_to_num",
])
def test_tensor_method(method):
    check_op(lambda x: getattr(x, method)(), [(2, 3)], low=0.1, high=0.9)


@pytest.mark.parametrize("fn", [lambda x: -x, lambda x: abs(x), lambda x: +x])
def test_dunders(fn):
    check_op(fn, [(2, 3)], avoid=(0.0,))


@pytest.mark.parametrize("method", ["neg_", "abs_", "exp_", "log_", "sqrt_", "tanh_", "sigmoid_",
                                    "relu_", "floor_", "reciprocal_"])
def test_inplace(method):
    check_op(lambda x: getattr(x.clone(), method)(), [(2, 3)], low=0.1, high=2)


# ---- integer and bool inputs ------------------------------------------------------------------
INT_OK = ["neg", "positive", "abs", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
          "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan",
          "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "relu", "sign", "floor",
          "ceil", "round", "trunc", "erf", "erfc", "erfinv", "nan_to_num", "signbit", "isnan",
          "isinf", "isfinite", "logical_not", "bitwise_not"]
BOOL_OK = ["exp", "log", "sqrt", "rsqrt", "square", "reciprocal", "sin", "tanh", "sigmoid",
           "sign", "erf", "erfinv", "nan_to_num", "signbit", "isnan", "isinf", "isfinite",
           "logical_not", "bitwise_not"]


@pytest.mark.parametrize("name", INT_OK)
def test_int_input(name):
    # ints in [-1, 3]: every domain edge (log(0), sqrt(-1), erfinv(1)) torch returns silently
    check_op(_fn(name), [np.array([[-1, 0, 1], [2, 3, 1]])], lib=True)


@pytest.mark.parametrize("name", BOOL_OK)
def test_bool_input(name):
    check_op(_fn(name), [np.array([True, False, True])], lib=True)


@pytest.mark.parametrize("name", ["neg", "abs", "sign", "relu", "floor", "bitwise_not"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int32])
def test_small_int_dtypes(name, dtype):
    check_op(_fn(name), [np.array([0, 1, 7, 127], dtype=dtype)], lib=True)


@pytest.mark.parametrize("name", ["exp", "sigmoid", "erf", "round", "abs", "sqrt"])
def test_float16(name):
    check_op(_fn(name), [np.array([0.5, 1.25, 2.5, 3.0], dtype=np.float16)], lib=True)


# ---- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fn, shapes", [
    (lambda x: x.abs(), [("bool", (3,))]),
    (lambda x: -x, [("bool", (3,))]),
    (lambda x: x.relu(), [("bool", (3,))]),
    (lambda lib, x: lib.positive(x), [("bool", (3,))]),
    (lambda x: x.floor(), [("bool", (3,))]),
    (lambda x: x.round(), [("bool", (3,))]),
    (lambda x: x.frac(), [("int", (3,), 0, 5)]),
    (lambda x: x.round(decimals=1), [("int", (3,), 0, 5)]),
    (lambda x: x.bitwise_not(), [(3,)]),                         # NotImplementedError
    (lambda x: ~x, [(3,)]),                                      # TypeError
    (lambda x: x.clamp(), [(3,)]),
    (lambda lib, x: lib.clamp(x, None, None), [(3,)]),
    (lambda x: x.clamp(True), [("bool", (3,))]),
])
def test_errors(fn, shapes):
    lib = fn.__code__.co_argcount == len(shapes) + 1
    check_raises(fn, shapes, lib=lib)


def test_error_messages():
    g_err, _ = check_raises(lambda x: x.abs(), [("bool", (2,))])
    assert str(g_err) == '"abs_cpu" not implemented for \'Bool\''
    g_err, _ = check_raises(lambda x: x.clamp(), [(2,)])
    assert "At least one of 'min' or 'max' must not be None" in str(g_err)


# ---- clamp ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn, shapes", [
    (lambda x: x.clamp(-0.5, 0.5), [(3, 4)]),
    (lambda x: x.clamp(min=-0.5), [(3, 4)]),
    (lambda x: x.clamp(max=0.5), [(3, 4)]),
    (lambda x: x.clamp(1.0, -1.0), [(3, 4)]),                      # min > max: all max
    (lambda x: x.clip(-1, 1), [(3, 4)]),
    (lambda x: x.clamp_min(0.2), [(3, 4)]),
    (lambda x: x.clamp_max(0.2), [(3, 4)]),
    (lambda lib, x: lib.clamp_min(x, 0.2), [(3, 4)]),
    (lambda lib, x: lib.clamp_max(x, 0.2), [(3, 4)]),
    (lambda lib, x: lib.clip(x, -0.3, 0.3), [(3, 4)]),
    (lambda x, lo, hi: x.clamp(lo, hi), [(3, 4), (3, 4), (3, 4)]),  # some lo > hi
    (lambda x, lo, hi: x.clamp(lo, hi), [(3, 4), (4,), (3, 1)]),    # broadcast bounds
    (lambda x, lo: x.clamp(min=lo), [(3, 4), (1, 4)]),
    (lambda x, hi: x.clamp(max=hi), [(3, 4), ()]),
    (lambda lib, x, lo: lib.clamp(x, lo, lib.tensor(0.5)), [(3, 4), (4,)]),  # 0-d: a number
    (lambda x, lo, hi: x.clamp(lo, hi), [(0, 4), (4,), (1, 4)]),
])
def test_clamp(fn, shapes):
    lib = fn.__code__.co_argcount == len(shapes) + 1
    check_op(fn, shapes, lib=lib)
    check_op(fn, shapes, lib=lib, dtype="float32", layout="T")


@pytest.mark.parametrize("fn, torch_fn", [
    # a tensor bound with a number bound: torch wants both tensors (or a 0-d one), we take both
    (lambda x, lo: x.clamp(lo, 0.5), lambda x, lo: x.clamp(lo, torch.full_like(lo, 0.5))),
    (lambda x, hi: x.clamp(-0.5, hi), lambda x, hi: x.clamp(torch.full_like(hi, -0.5), hi)),
])
def test_clamp_tensor_and_number(fn, torch_fn):
    check_op(fn, [(3, 4), (4,)], torch_fn)


def test_clamp_bounds_widen_shape():
    # the output takes the bounds' broadcast shape (torch's own backward fails here)
    check_op(lambda x, lo, hi: x.clamp(lo, hi), [(4,), (2, 1, 4), (3, 1)], grad=False)


def test_clamp_gradient_at_bounds():
    # x on the bounds gets gradient 1 (torch's subgradient); a bound tensor equal to x gets 0
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 2.0, np.nan])
    check_op(lambda x: x.clamp(-0.5, 1.0), [x])
    lo = np.array([-0.5, -0.5, 0.0, 0.6, 0.0, 0.0, 0.0])
    hi = np.array([1.0, 1.0, 0.0, 0.5, 1.0, 2.0, 1.0])
    check_op(lambda x, lo, hi: x.clamp(lo, hi), [x, lo, hi])
    check_op(lambda x, lo: x.clamp(min=lo), [x, lo])
    check_op(lambda x, hi: x.clamp(max=hi), [x, hi])


@pytest.mark.parametrize("fn, arrays", [  # dtypes only: ints in the mix have no grad
    (lambda x: x.clamp(0.5), [np.array([-2, 0, 3])]),              # int + float -> float32
    (lambda x: x.clamp(1), [np.array([-2, 0, 3])]),                # int + int -> int64
    (lambda x: x.clamp(1, 2.5), [np.array([-2, 0, 3])]),
    (lambda x: x.clamp(0), [np.array([True, False])]),             # bool + int -> int64
    (lambda x: x.clamp(-1), [np.array([1, 2], dtype=np.uint8)]),   # -1 wraps to 255
    (lambda x: x.clamp(2, 100), [np.array([1, 2, 120], dtype=np.int8)]),
    (lambda x, lo: x.clamp(lo), [np.array([-2, 0, 3]), np.array([0.5, 0.5, 0.5])]),
    (lambda x, lo: x.clamp(lo), [np.array([-2.0, 0.5], dtype=np.float32), np.array(0.0)]),
    (lambda x, lo: x.clamp(lo), [np.array([-2.0, 0.5], dtype=np.float32), np.zeros(2)]),
    (lambda x, lo: x.clamp(lo), [np.array([-2.0, 0.5], dtype=np.float32), np.array([0, 1])]),
    (lambda x: x.clamp(np.float64(0.5)), [np.array([-2.0, 0.5], dtype=np.float32)]),
    (lambda x: x.clamp(float("nan")), [np.array([-2.0, 0.5])]),
])
def test_clamp_dtypes(fn, arrays):
    lib = fn.__code__.co_argcount == len(arrays) + 1
    check_op(fn, arrays, lib=lib, grad=False)


def test_clamp_inplace():
    check_op(lambda x: x.clone().clamp_(-0.5, 0.5), [(3, 4)])
    check_op(lambda x: x.clone().clip_(max=0.5), [(3, 4)])


# ---- rounding and special values --------------------------------------------------------------
SPECIAL = np.array([-2.5, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.5, 1e308, -np.inf, np.inf, np.nan])


@pytest.mark.parametrize("name", ["round", "floor", "ceil", "trunc", "frac", "sign", "abs",
                                  "relu", "sigmoid", "exp", "tanh", "erf", "erfc", "neg",
                                  "signbit", "isnan", "isinf", "isfinite", "logical_not",
                                  "nan_to_num", "atan", "reciprocal"])
def test_special_values(name):
    # -0.0 vs 0.0 and NaN placement are compared through the values; signbit checks zeros' sign
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # exp(1e308), cosh... overflow to inf
        g, t = check_op(_fn(name), [SPECIAL], lib=True)
    if name != "relu":  # relu(-0.0) = -0.0 rests on NumPy's tie rule, not checked everywhere
        assert np.array_equal(np.signbit(g.detach().numpy()), np.signbit(t.detach().numpy()))


@pytest.mark.parametrize("size", [8, 1 << 16])   # below / from cpu_kernels' block size
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_backward_special_upstream(dtype, size):
    # relu's backward runs on arrays when no graph is recorded (ops/piecewise.py): where the
    # output is 0 the gradient is 0 even for an inf or NaN upstream (torch's where, not a
    # product), and a NaN input passes its gradient; small arrays take the three-call mask,
    # large ones the blocked kernel
    rng = np.random.default_rng(size)
    x = rng.standard_normal(size).astype(dtype)
    up = rng.standard_normal(size).astype(dtype)
    x[:8] = [-1.0, 0.0, -0.0, 2.0, np.nan, 3.0, -np.inf, np.inf]
    up[:8] = [np.inf, np.nan, -np.inf, np.nan, 5.0, -0.0, 2.0, 3.0]
    grads = []
    for lib in (gt, torch):
        t = lib.tensor(x, requires_grad=True)
        t.relu().backward(lib.tensor(up))
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("decimals", [0, 1, 2, 3, -1, -2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_round_decimals(decimals, dtype):
    x = (np.random.default_rng(1).standard_normal(200) * 300).astype(dtype)
    x[:6] = [0.125, 1.005, 2.675, 150.0, 250.0, -0.5]
    check_op(lambda x: x.round(decimals=decimals), [x], grad=dtype != np.float16)


@pytest.mark.parametrize("kw", [{}, {"nan": 1.5}, {"posinf": 9.0, "neginf": -9.0},
                                {"nan": -1.0, "posinf": 1e300}])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_nan_to_num(kw, dtype):
    x = np.array([1.0, np.nan, np.inf, -np.inf, -0.5], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # torch's own cast of 1e300 to float16
        check_op(lambda lib, x: lib.nan_to_num(x, **kw), [x], lib=True,
                 grad=dtype != np.float16)


def test_predicates_and_bitwise():
    ints = np.array([-3, 0, 5])
    for fn in (lambda x: ~x, lambda x: x.bitwise_not(), lambda x: x.logical_not(),
               lambda x: x.isnan(), lambda x: x.isinf(), lambda x: x.isfinite()):
        check_op(fn, [ints])
        check_op(fn, [np.array([True, False])])
    check_op(lambda x: x.logical_not(), [SPECIAL])


# ---- numerics ---------------------------------------------------------------------------------
def _no_warnings(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_stable(dtype):
    x = np.array([-1000.0, -100.0, -40.0, 0.0, 40.0, 100.0, 1000.0], dtype=dtype)
    g, t = _no_warnings(lambda: check_op(lambda x: x.sigmoid(), [x]))
    assert g.detach().numpy()[2] > 0  # sigmoid(-40) = 4e-18, not 1 - 1 = 0
    _no_warnings(lambda: gt.tensor(x, requires_grad=True).sigmoid().sum().backward())


@pytest.mark.parametrize("name, x", [
    ("log", [0.0, -1.0, 1.0]), ("log2", [0.0, -1.0]), ("log10", [0.0, -1.0]),
    ("log1p", [-1.0, -2.0]), ("reciprocal", [0.0, -0.0]), ("rsqrt", [0.0]),
    ("atanh", [1.0, -1.0, 2.0]), ("sqrt", [-1.0]), ("asin", [2.0]), ("acos", [-2.0]),
    ("acosh", [0.0]), ("erf", [np.inf, -np.inf, np.nan, 1e308]),
    ("erfc", [np.inf, -np.inf, np.nan, -1e308]), ("erfinv", [1.0, -1.0, 2.0, np.nan]),
])
def test_domain_edges_silent(name, x):
    # torch returns inf/NaN here without complaint; NumPy would warn
    _no_warnings(lambda: check_op(_fn(name), [np.array(x)], lib=True, grad=False))


@pytest.mark.parametrize("method", ["exp", "tanh", "sigmoid", "sqrt", "relu"])
def test_saves_output(method):
    # the output is saved for backward: changing it in place must raise, as in torch
    for lib in (gt, torch):
        x = lib.tensor([0.2, 0.4], requires_grad=True)
        y = getattr(x, method)()
        y.exp_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def _wide_range():
    rng = np.random.default_rng(0)
    mags = 10.0 ** rng.uniform(-310, 2.5, 3000)
    return np.concatenate([rng.uniform(-7, 7, 3000), mags, -mags, np.arange(-30, 30, 0.0625),
                           [0.0, -0.0, 0.46875, -0.46875, 4.0, -4.0, 26.5, 27.0, 5e-324]])


@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_erf_accuracy(name):
    x = _wide_range()
    got = getattr(gt, name)(gt.tensor(x)).numpy()
    want = getattr(torch, name)(torch.tensor(x)).numpy()
    # both are within ~3 ulp of the true value; subnormal erfc tails carry fewer bits (atol)
    np.testing.assert_allclose(got, want, rtol=2e-15, atol=1e-300)
    got32 = getattr(gt, name)(gt.tensor(x.astype(np.float32))).numpy()
    want32 = getattr(torch, name)(torch.tensor(x.astype(np.float32))).numpy()
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want32, rtol=3e-7, atol=1e-37)



def test_erf_float32_path_within_1_5_ulp():
    # float32 erf has its own single-precision approximation (backend/special.py, Juffa's);
    # every 509th float32 from 2^-30 to 8 (all of erf's range short of +-1), both signs,
    # against the float64 path (Cody, correctly rounded in nearly all cases)
    lo, hi = np.array([2.0 ** -30, 8.0], np.float32).view(np.int32)
    x = np.arange(lo, hi, 509, dtype=np.int32).view(np.float32)
    x = np.concatenate([x, -x, [0.927734375, np.nextafter(np.float32(0.927734375), 1), 4.0]])
    x = x.astype(np.float32)
    got = gt.erf(gt.tensor(x)).numpy()
    exact = gt.erf(gt.tensor(x.astype(np.float64))).numpy()
    assert got.dtype == np.float32
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert (np.abs(got - exact) / ulp).max() <= 1.5
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3e38, -3e38, 1e-45], np.float32)
    got = gt.erf(gt.tensor(special)).numpy()
    want = np.array([0.0, -0.0, 1.0, -1.0, np.nan, 1.0, -1.0, 1e-45], np.float32)
    np.testing.assert_array_equal(got, want)
    assert np.signbit(got[1])

@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv"])
def test_erf_family_large_input(name):
    # more elements than one block of backend/special.py, transposed: blocking keeps the layout
    x = np.random.default_rng(2).standard_normal((150, 130)) * 3
    x = np.tanh(x) if name == "erfinv" else x
    check_op(_fn(name), [x], lib=True, layout="T", grad=False, rtol=2e-15, atol=1e-300)
    check_op(_fn(name), [x.astype(np.float32)], lib=True)


def test_erfinv_accuracy():
    rng = np.random.default_rng(0)
    near_one = 1 - 10.0 ** rng.uniform(-16, -1, 1000)
    tiny = 10.0 ** rng.uniform(-310, -1, 1000)
    y = np.concatenate([rng.uniform(-1, 1, 3000), near_one, -near_one, tiny, -tiny,
                        [0.0, -0.0, 0.5, -0.5, 1 - 2 ** -53, 1.0, -1.0]])
    got = gt.erfinv(gt.tensor(y)).numpy()
    want = torch.erfinv(torch.tensor(y)).numpy()
    np.testing.assert_allclose(got, want, rtol=2e-15, atol=0)
    # round trip through erf
    inner = np.abs(y) < 0.999
    np.testing.assert_allclose(gt.erf(gt.tensor(got[inner])).numpy(), y[inner], rtol=1e-15)
    y32 = y.astype(np.float32)
    np.testing.assert_allclose(gt.erfinv(gt.tensor(y32)).numpy(),
                               torch.erfinv(torch.tensor(y32)).numpy(), rtol=3e-6)


def test_erf_matches_definition():
    # d/dx erf = 2/sqrt(pi) exp(-x^2): the analytic gradient against finite differences
    from helpers import gradcheck
    gradcheck(lambda x: gt.erf(x), [np.linspace(-3, 3, 13)])
    gradcheck(lambda x: gt.erfinv(x), [np.linspace(-0.9, 0.9, 13)])


def test_dtype_results():
    x32 = gt.tensor([0.5, 1.5], dtype=gt.float32)
    for fn in (gt.exp, gt.sigmoid, gt.erf, gt.erfinv, gt.rsqrt, gt.exp2,
               lambda t: t.round(decimals=1)):
        assert fn(x32).dtype == gt.float32
    assert gt.clamp(x32, 0.7).dtype == gt.float32
    gt.set_default_dtype(gt.float64)
    try:
        assert gt.exp(gt.tensor([1, 2])).dtype == gt.float64  # ints follow the default dtype
    finally:
        gt.set_default_dtype(gt.float32)
    assert_close(gt.square(gt.tensor([True, False])), torch.square(torch.tensor([True, False])))
