"""Binary elementwise ops against torch: forward values and dtypes, gradients (first and second),
broadcasting, zero-size and non-contiguous inputs, integer/bool semantics, in-place and
reflected forms, and the error paths. Promotion is covered by tests/test_dtype_promotion.py."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import check_op, check_raises

# NumPy warns on x / 0, log(0) and the like; torch is silent. The values are what is compared.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

TWO = [(3, 4), (4,)]
BCAST = [(2, 1, 4), (3, 1)]
EMPTY = [(0, 3), (3,)]
THREE = [(3, 4), (4,), (3, 1)]

# name, fn, shapes, check_op options. Each case also runs with layout="T" (non-contiguous).
GRAD_CASES = [
    ("add", lambda a, b: a + b, TWO, {}),
    ("add_bcast", lambda a, b: a + b, BCAST, {}),
    ("add_empty", lambda a, b: a + b, EMPTY, {}),
    ("add_alpha", lambda a, b: a.add(b, alpha=2.5), TWO, {"double": True}),
    ("add_scalar", lambda a: a + 1.5, [(3, 4)], {}),
    ("sub", lambda a, b: a - b, BCAST, {}),
    ("sub_alpha", lambda lib, a, b: lib.sub(a, b, alpha=-3), TWO, {"lib": True, "double": True}),
    ("rsub", lambda a: 2 - a, [(3, 4)], {}),
    ("rsub_fn", lambda lib, a, b: lib.rsub(a, b, alpha=2), TWO, {"lib": True, "double": True}),
    ("mul", lambda a, b: a * b, TWO, {"double": True}),
    ("mul_bcast", lambda a, b: a * b, BCAST, {"double": True}),
    ("mul_empty", lambda a, b: a * b, EMPTY, {"double": True}),
    ("mul_scalar", lambda a: 3 * a, [(3, 4)], {"double": True}),
    ("mul_0d", lambda a, b: a * b, [(3, 4), ()], {"double": True}),
    ("div", lambda a, b: a / b, TWO, {"double": True, "avoid": [0.0]}),
    ("div_bcast", lambda a, b: a / b, BCAST, {"double": True, "avoid": [0.0]}),
    ("div_empty", lambda a, b: a / b, EMPTY, {"double": True, "avoid": [0.0]}),
    ("rdiv", lambda a: 2 / a, [(3, 4)], {"double": True, "avoid": [0.0]}),
    ("div_floor", lambda a, b: a.div(b, rounding_mode="floor"), TWO, {"avoid": [0.0]}),
    ("div_trunc", lambda a, b: a.div(b, rounding_mode="trunc"), TWO, {"avoid": [0.0]}),
    ("remainder", lambda a, b: a % b, TWO, {"avoid": [0.0]}),
    ("remainder_bcast", lambda a, b: a.remainder(b), BCAST, {"avoid": [0.0]}),
    ("remainder_scalar", lambda a: a % -1.5, [(3, 4)], {}),
    ("fmod", lambda a, b: a.fmod(b), TWO, {"avoid": [0.0]}),
    ("fmod_scalar", lambda a: a.fmod(1.5), [(3, 4)], {}),
    ("pow_scalar", lambda a: a ** 3, [(3, 4)], {"double": True}),
    ("pow_sqrt", lambda a: a ** 0.5, [(3, 4)], {"double": True, "low": 0.1}),
    ("pow_neg", lambda a: a.pow(-2), [(3, 4)], {"double": True, "avoid": [0.0]}),
    ("pow_tensor", lambda a, b: a ** b, TWO, {"double": True, "low": 0.1}),
    ("pow_bcast", lambda a, b: a ** b, BCAST, {"double": True, "low": 0.1}),
    ("pow_empty", lambda a, b: a ** b, EMPTY, {"double": True, "low": 0.1}),
    ("rpow", lambda a: 2 ** a, [(3, 4)], {"double": True}),
    ("rpow_float", lambda a: 0.5 ** a, [(3, 4)], {"double": True}),
    ("pow_fn_number_base", lambda lib, a: lib.pow(3, a), [(3, 4)], {"double": True, "lib": True}),
    ("float_power", lambda lib, a, b: lib.float_power(a, b), TWO, {"lib": True, "low": 0.1}),
    ("maximum", lambda a, b: a.maximum(b), TWO, {}),
    ("minimum", lambda lib, a, b: lib.minimum(a, b), BCAST, {"lib": True}),
    ("fmax", lambda lib, a, b: lib.fmax(a, b), TWO, {"lib": True}),
    ("fmin", lambda lib, a, b: lib.fmin(a, b), TWO, {"lib": True}),
    ("atan2", lambda a, b: a.atan2(b), TWO, {"double": True}),
    ("hypot", lambda lib, a, b: lib.hypot(a, b), BCAST, {"lib": True, "double": True}),
    ("lerp_scalar", lambda a, b: a.lerp(b, 0.3), TWO, {"double": True}),
    ("lerp_big_weight", lambda a, b: a.lerp(b, 0.8), TWO, {"double": True}),
    ("lerp_tensor", lambda a, b, w: a.lerp(b, w), THREE, {"double": True}),
    ("addcmul", lambda a, b, c: a.addcmul(b, c, value=0.5), THREE, {"double": True}),
    ("addcdiv", lambda a, b, c: a.addcdiv(b, c, value=-2), THREE,
     {"double": True, "avoid": [0.0]}),
    ("xlogy", lambda lib, a, b: lib.xlogy(a, b), TWO, {"lib": True, "double": True, "low": 0.1}),
    ("xlogy_number", lambda lib, a: lib.xlogy(2, a), [(3, 4)], {"lib": True, "low": 0.1}),
    ("copysign", lambda lib, a, b: lib.copysign(a, b), TWO, {"lib": True, "double": True}),
    ("chain", lambda a, b: (a * b + a / (b * b + 1)) ** 2 - b.maximum(a), TWO, {"double": True}),
]


@pytest.mark.parametrize("layout", ["C", "T"])
@pytest.mark.parametrize("name, fn, shapes, opts", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_forward_backward(name, fn, shapes, opts, layout):
    check_op(fn, shapes, layout=layout, **opts)


@pytest.mark.parametrize("name, fn, shapes, opts", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_float32(name, fn, shapes, opts):
    opts = {k: v for k, v in opts.items() if k != "double"}
    check_op(fn, shapes, dtype="float32", **opts)


def test_floor_divide_has_no_derivative():
    check_op(lambda a, b: a // b, TWO, grad=False, avoid=[0.0])
    # torch records the op (the result requires grad) but has no formula: backward raises
    assert (gt.ones(2, requires_grad=True) // 2).requires_grad
    check_raises(lambda lib: lib.autograd.grad((lib.ones(2, requires_grad=True) // 2).sum(),
                                               [lib.ones(1)]), lib=True)
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide"):
        (gt.ones(2, requires_grad=True) // 2).sum().backward()
    with pytest.raises(RuntimeError, match="derivative for aten::remainder"):
        (2.5 % gt.ones(2, requires_grad=True)).sum().backward()


def test_reflected_floor_divide_and_remainder_values():
    check_op(lambda a: 2.5 // a, [(3, 4)], grad=False, avoid=[0.0])
    check_op(lambda a: 2.5 % a, [(3, 4)], grad=False, avoid=[0.0])


# ---- special points: torch's conventions where the formulas give 0 * inf --------------------
POW_BASE = np.array([0.0, 0.0, 0.0, 2.0, -1.0, 0.0, 3.0])
POW_EXP = np.array([0.0, 1.0, -1.0, 0.0, 0.5, 2.0, -0.5])


@pytest.mark.parametrize("fn", [lambda a, b: a ** b, lambda a, b: a ** 0 + b,
                                lambda a, b: a ** 0.5 * b, lambda a, b: a ** 2 * b,
                                lambda a, b: a ** -1 * b, lambda a, b: 0 ** b * a,
                                lambda a, b: 0.0 ** b + (-2.0) ** b * a])
def test_pow_conventions_at_zero(fn):
    check_op(fn, [POW_BASE, POW_EXP])


@pytest.mark.parametrize("dtype", ["int32", "float32", "float64"])
@pytest.mark.parametrize("e", [-1e-50, 1e-50, -1.8e-106])
def test_pow_exponent_underflowing_float32(dtype, e):
    # torch keeps a number exponent in double (its scalar kernel; under 16 elements no CPU
    # runs the vector kernel, which rounds it to float): x ** -1e-50 is nan for x < 0
    x = [-2, -1, 0, 1, 3]
    g, t = (lib.pow(lib.tensor(x, dtype=getattr(lib, dtype)), e) for lib in (gt, torch))
    assert str(g.dtype) == str(t.dtype)
    np.testing.assert_array_equal(g.numpy(), t.numpy())


def test_div_gradient_of_tiny_divisor():
    # torch: -g * ((a / b) / b); b * b underflows to 0 in float32 and 0 / 0 is NaN
    out = []
    for lib in (gt, torch):
        b = lib.tensor([-1e-30, 1e-20, 2.0], requires_grad=True)
        (lib.tensor([0, 1, 3], dtype=lib.uint8) / b).sum().backward()
        out.append(b.grad.numpy())
    np.testing.assert_array_equal(*out)


XLOGY_Y = np.array([-2.0, 0.0, 0.5, 2.0, -2.0, 0.0, 0.5, 2.0])
XLOGY_X = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, -1.0, 0.0])


@pytest.mark.parametrize("fn", [lambda lib, x, y: lib.xlogy(x, y),
                                lambda lib, x, y: lib.xlogy(x, y[3:4]),
                                lambda lib, x, y: lib.xlogy(x, 2.0) + lib.xlogy(x, -1.0) * y])
def test_xlogy_gradient_at_zero(fn):
    # torch: d/dx = log(y) also where x == 0, but 0 where x == 0 and y <= 0
    check_op(fn, [XLOGY_X, XLOGY_Y], lib=True)


MAX_A = np.array([1.0, 2.0, np.nan, 3.0, 5.0, -1.0])
MAX_B = np.array([1.0, 3.0, 1.0, np.nan, 4.0, -1.0])


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_max_min_ties_and_nan(name):
    # maximum/minimum split the gradient on ties; fmax/fmin give it to the first input
    check_op(lambda lib, a, b: getattr(lib, name)(a, b), [MAX_A, MAX_B], lib=True, double=True)


def test_remainder_fmod_special_values():
    a = np.array([5.0, -5.0, 5.0, 0.0, -5.0, 1.0, 3.0])
    b = np.array([0.0, 3.0, np.inf, -3.0, np.inf, -1.0, -1.5])
    for fn in (lambda x, y: x % y, lambda x, y: x // y, lambda x, y: x.fmod(y),
               lambda x, y: x.div(y, rounding_mode="trunc")):
        g, t = check_op(fn, [a, b], grad=False)
        # torch's remainder gives +0.0 where NumPy's gives -0.0 (1 % -1)
        np.testing.assert_array_equal(np.signbit(g.numpy()), np.signbit(t.numpy()))


# ---- integers and bools ------------------------------------------------------------------------
INT_A = np.array([5, -5, 5, -5, 0, 7, -8])
INT_B = np.array([3, 3, -3, -3, 7, 1, 2])
INT_CASES = [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("floor_divide", lambda a, b: a // b),
    ("remainder", lambda a, b: a % b), ("fmod", lambda a, b: a.fmod(b)),
    ("div_trunc", lambda a, b: a.div(b, rounding_mode="trunc")),
    ("div_floor", lambda a, b: a.div(b, rounding_mode="floor")),
    ("pow", lambda a, b: a ** b), ("pow_negative", lambda a, b: a ** -b),
    ("pow_scalar", lambda a, b: a ** 3), ("pow_float", lambda a, b: a ** 0.5 + b),
    ("rpow", lambda a, b: 2 ** b), ("rpow_negative", lambda a, b: (-1) ** -b + a),
    ("maximum", lambda a, b: a.maximum(b)), ("minimum", lambda a, b: a.minimum(b)),
    ("atan2", lambda a, b: a.atan2(b)), ("lt", lambda a, b: a < b), ("eq", lambda a, b: a == b),
    ("and", lambda a, b: a & b), ("or", lambda a, b: a | 6), ("xor", lambda a, b: a ^ -1),
    ("lshift", lambda a, b: a << b), ("rshift", lambda a, b: a >> b),
    ("lshift_big", lambda a, b: a << 64), ("rshift_big", lambda a, b: a >> 70),
    ("shift_negative", lambda a, b: (a << -b) + (a >> -b)),
    ("rsub", lambda a, b: 2 - a), ("rdiv", lambda a, b: 2 / b),
    ("rfloordiv", lambda a, b: 7 // b), ("rmod", lambda a, b: -7 % b),
    ("mod_float", lambda a, b: a % 2.5), ("floordiv_float", lambda a, b: a // -2.5),
    ("addcmul", lambda a, b: a.addcmul(b, b, value=2)),
    ("logical", lambda a, b: a.logical_and(b) ^ a.logical_or(b) ^ a.logical_xor(b)),
    ("xlogy", lambda lib, a, b: lib.xlogy(a.abs(), b)),
    ("copysign", lambda lib, a, b: lib.copysign(a, -b)),
]


@pytest.mark.parametrize("name, fn", INT_CASES, ids=[c[0] for c in INT_CASES])
def test_integer_semantics(name, fn):
    check_op(fn, [INT_A, INT_B], grad=False, lib=fn.__code__.co_argcount == 3)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32])
def test_small_integer_wraparound(dtype):
    a = np.array([1, 2, 100, 127], dtype=dtype)
    for fn in (lambda x: x + 300, lambda x: x * 300, lambda x: x - 3, lambda x: 200 - x,
               lambda x: x.sub(-1, alpha=2), lambda x: x ** 2, lambda x: x << 7):
        check_op(fn, [a], grad=False)


BOOL_A = np.array([True, False, True, False])
BOOL_B = np.array([True, True, False, False])
BOOL_CASES = [
    ("and", lambda a, b: a & b), ("or", lambda a, b: a | b), ("xor", lambda a, b: a ^ b),
    ("and_number", lambda a, b: (a & True) + (a | 1)), ("add", lambda a, b: a + b),
    ("add_alpha", lambda a, b: a.add(b, alpha=2)), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / 2), ("pow_int", lambda a, b: a ** 2),
    ("pow_bool", lambda a, b: (a ** True) & (b ** False)), ("rpow", lambda a, b: 3 ** a),
    ("lshift", lambda a, b: a << 2), ("maximum", lambda a, b: a.maximum(b)),
    ("lt", lambda a, b: a < b), ("eq_number", lambda a, b: a == 1),
    ("scale", lambda a, b: a * 2.5 + b * 3),
]


@pytest.mark.parametrize("name, fn", BOOL_CASES, ids=[c[0] for c in BOOL_CASES])
def test_bool_semantics(name, fn):
    check_op(fn, [BOOL_A, BOOL_B], grad=False)


# ---- NumPy scalars, reflected operators, in-place forms, out= ---------------------------------
@pytest.mark.parametrize("scalar", [np.float64(2.5), np.float32(-1.5), np.float16(3),
                                    np.int64(3), np.int32(-2), np.bool_(True)])
@pytest.mark.parametrize("dtype", ["float32", "int"])
def test_numpy_scalars(scalar, dtype):
    # torch reads NumPy scalars as Python numbers (np.bool_ as a float): no float64 upcast
    shape = [(3, 4)] if dtype == "float32" else [("int", (3, 4), 1, 5)]
    grad = dtype == "float32"
    for fn in (lambda a: a * scalar, lambda a: scalar * a, lambda a: a - scalar,
               lambda a: scalar - a, lambda a: a / scalar, lambda a: scalar / a,
               lambda a: a + scalar, lambda a: a > scalar):
        check_op(fn, shape, dtype="float32", grad=grad, low=0.5)


@pytest.mark.parametrize("fn", [lambda a: 2 - a, lambda a: 2 / a, lambda a: 2 ** a,
                                lambda a: 2 // a, lambda a: 2 % a, lambda a: 2.5 - a,
                                lambda a: 2.5 / a, lambda a: 2.5 ** a, lambda a: -2.5 // a,
                                lambda a: -2.5 % a, lambda a: True + a, lambda a: 3 * a])
@pytest.mark.parametrize("kind", ["float", "int"])
def test_reflected_operators(fn, kind):
    shapes = [(3, 4)] if kind == "float" else [("int", (3, 4), 1, 5)]
    check_op(fn, shapes, dtype="float32", grad=False, avoid=[0.0])


INPLACE_CASES = [
    ("add_", lambda a, b: a.add_(b)), ("add_alpha", lambda a, b: a.add_(b, alpha=2)),
    ("sub_", lambda a, b: a.sub_(b, alpha=0.5)), ("mul_", lambda a, b: a.mul_(b)),
    ("div_", lambda a, b: a.div_(b)), ("div_floor", lambda a, b: a.div_(b, rounding_mode="floor")),
    ("pow_", lambda a, b: a.abs().pow_(b)), ("iadd", lambda a, b: a.__iadd__(b)),
    ("isub", lambda a, b: a.__isub__(b)), ("imul", lambda a, b: a.__imul__(2.5)),
    ("itruediv", lambda a, b: a.__itruediv__(b)), ("ipow", lambda a, b: a.__ipow__(2)),
    ("remainder_", lambda a, b: a.remainder_(b)), ("fmod_", lambda a, b: a.fmod_(b)),
    ("atan2_", lambda a, b: a.atan2_(b)), ("lerp_", lambda a, b: a.lerp_(b, 0.25)),
    ("addcmul_", lambda a, b: a.addcmul_(b, b, value=0.5)),
    ("addcdiv_", lambda a, b: a.addcdiv_(b, b * b + 1, value=2)),
]


@pytest.mark.parametrize("name, fn", INPLACE_CASES, ids=[c[0] for c in INPLACE_CASES])
def test_inplace_forms(name, fn):
    # on a non-leaf (a * 1) so the in-place op is recorded and differentiable
    check_op(lambda a, b: fn(a * 1, b), TWO, avoid=[0.0])


@pytest.mark.parametrize("fn", [lambda a: a.__ifloordiv__(2), lambda a: a.__imod__(3),
                                lambda a: a.__iand__(6), lambda a: a.__ior__(1),
                                lambda a: a.__ixor__(5), lambda a: a.add_(True),
                                lambda a: a.mul_(a)])
def test_inplace_integer_forms(fn):
    check_op(lambda a: fn(a.clone()), [INT_A], grad=False)


@pytest.mark.parametrize("fn", [lambda a, b: a.hypot(b), lambda a, b: a.xlogy(b.abs()),
                                lambda a, b: a.copysign(b), lambda a, b: a.fmax(b),
                                lambda a, b: a.fmin(b), lambda a, b: a.float_power(b.abs()),
                                lambda a, b: a.arctan2(b)])
def test_methods(fn):
    check_op(fn, TWO, avoid=[0.0])


def test_out_argument():
    a, b = gt.tensor([1.0, 2.0]), gt.tensor([3.0, 4.0])
    out = gt.empty(2)
    r = gt.add(a, b, out=out)
    assert r is out and out.tolist() == [4.0, 6.0]
    out = gt.empty(5)  # resized, as torch does
    assert gt.mul(a, b, out=out).tolist() == [3.0, 8.0] and out.shape == (2,)
    out = gt.empty(2, dtype=gt.float64)  # cast on the way in
    assert gt.div(a, b, out=out).dtype is gt.float64
    lt_out = gt.empty(2, dtype=gt.bool)
    assert gt.lt(a, b, out=lt_out).tolist() == [True, True]


# ---- comparisons, closeness, equality ---------------------------------------------------------
CLOSE_A = np.array([1.0, np.nan, np.inf, 1e-9, -2.0, -np.inf, 100.0])
CLOSE_B = np.array([1.0 + 1e-6, np.nan, np.inf, 0.0, -2.0001, np.inf, 100.001])


@pytest.mark.parametrize("kw", [{}, {"equal_nan": True}, {"rtol": 0, "atol": 0},
                                {"rtol": 1e-3}, {"atol": 1e-3, "rtol": 0}])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_isclose_allclose(kw, dtype):
    check_op(lambda lib, a, b: lib.isclose(a, b, **kw), [CLOSE_A, CLOSE_B], lib=True,
             dtype=dtype, grad=False)
    check_op(lambda a, b: a.isclose(b[:, None], **kw), [CLOSE_A, CLOSE_B], grad=False)
    for pair in ([CLOSE_A, CLOSE_B], [CLOSE_A[:5], CLOSE_A[:5]]):
        a, b = (x.astype(dtype) for x in pair)
        want = torch.allclose(torch.tensor(a), torch.tensor(b), **kw)
        assert gt.tensor(a).allclose(gt.tensor(b), **kw) == want


def test_isclose_integers_and_bools():
    check_op(lambda lib, a, b: lib.isclose(a, b, rtol=0.4), [INT_A, INT_B], lib=True, grad=False)
    check_op(lambda lib, a, b: lib.isclose(a, b, atol=1), [BOOL_A, BOOL_B], lib=True, grad=False)


@pytest.mark.parametrize("a, b", [([1.0, 2.0], [1.0, 2.0]), ([1.0, 2.0], [1, 2]),
                                  ([1.0, 2.0], [1.0, 3.0]), ([1.0], [1.0, 1.0]),
                                  ([float("nan")], [float("nan")]), ([[1.0, 2.0]], [1.0, 2.0])])
def test_equal(a, b):
    assert gt.equal(gt.tensor(a), gt.tensor(b)) == torch.equal(torch.tensor(a), torch.tensor(b))
    assert gt.tensor(a).equal(gt.tensor(b)) == torch.tensor(a).equal(torch.tensor(b))


@pytest.mark.parametrize("fn", [lambda a, b: a == b, lambda a, b: a != b, lambda a, b: a < b,
                                lambda a, b: a <= b, lambda a, b: a > b, lambda a, b: a >= b,
                                lambda lib, a, b: lib.greater_equal(a, b),
                                lambda lib, a, b: lib.not_equal(a, 0.5)])
def test_comparisons(fn):
    lib = fn.__code__.co_argcount == 3
    a = np.array([[1.0, np.nan, 2.0], [0.5, -1.0, 3.0]])
    b = np.array([1.0, np.nan, 2.5])
    check_op(fn, [a, b], lib=lib, grad=False)
    check_op(fn, [(2, 3), (3,)], lib=lib, grad=False, dtype="float32", layout="T")


def test_compare_with_non_numbers():
    t, x = torch.tensor([1.0, 2.0]), gt.tensor([1.0, 2.0])
    for other in (None, "a", [1.0, 2.0]):
        assert (x == other) == (t == other)
        assert (x != other) == (t != other)


def test_grad_fn_names():
    x, y = gt.ones(2, requires_grad=True), gt.ones(2, requires_grad=True)
    exprs = [lambda x, y: x ** 2, lambda x, y: x ** y, lambda x, y: 2 ** x,
             lambda x, y: x * y, lambda x, y: x / 2, lambda x, y: x.maximum(y),
             lambda x, y: x % 2, lambda x, y: x % y, lambda x, y: x.fmod(2),
             lambda x, y: x.fmod(y), lambda x, y: x.div(y, rounding_mode="floor"),
             lambda x, y: x.lerp(y, 0.5), lambda x, y: x.lerp(y, y), lambda x, y: x.atan2(y)]
    for lib in (gt, torch):
        x, y = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        names = [f(x, y).grad_fn.name() for f in exprs]
        if lib is gt:
            got = names
    assert got == names


# ---- errors -----------------------------------------------------------------------------------
F2 = [(2,), (2,)]
I2 = [("int", (2,), 1, 5), ("int", (2,), 1, 5)]
B2 = [("bool", (2,)), ("bool", (2,))]
RAISE_CASES = [
    ("sub_bools", lambda a, b: a - b, B2, "two bool tensors"),
    ("sub_bool_number", lambda a, b: a - 1, B2, "with a bool tensor"),
    ("sub_number_bool", lambda a, b: True - a.int(), B2, "with a bool tensor"),
    ("rsub_bools", lambda a, b: True - a, B2, "two bool tensors"),
    ("sub_alpha_bools", lambda a, b: a.sub(b, alpha=2), B2, "two bool tensors"),
    ("int_floordiv_zero", lambda a, b: a // (b * 0), I2, "ZeroDivisionError"),
    ("int_remainder_zero", lambda a, b: a % 0, I2, "ZeroDivisionError"),
    ("int_fmod_zero", lambda a, b: a.fmod(b * 0), I2, "ZeroDivisionError"),
    ("int_div_trunc_zero", lambda a, b: a.div(0, rounding_mode="trunc"), I2, "ZeroDivision"),
    ("int_negative_power", lambda a, b: a ** -1, I2, "negative integer powers"),
    ("int_pow_overflow", lambda lib, a, b: a.to(lib.int8) ** 300, I2, "without overflow"),
    ("int_pow_", lambda a, b: a.pow_(-2), I2, "negative integer powers"),
    ("int_add_float_inplace", lambda a, b: a.add_(1.5), I2,
     "result type Float can't be cast to the desired output type Long"),
    ("int_div_inplace", lambda a, b: a.div_(b), I2, "can't be cast"),
    ("bool_add_inplace", lambda a, b: a.add_(1), B2, "result type Long can't be cast"),
    ("float_alpha_ints", lambda a, b: a.add(b, alpha=1.5), I2, "alpha must not be a floating"),
    ("bool_alpha", lambda a, b: a.add(b, alpha=True), F2, "Boolean alpha"),
    ("bad_rounding_mode", lambda a, b: a.div(b, rounding_mode="round"), F2, "rounding_mode"),
    ("floordiv_bools", lambda a, b: a // b, B2, "not implemented for 'Bool'"),
    ("remainder_bools", lambda a, b: a % b, B2, "not implemented for 'Bool'"),
    ("pow_bools", lambda a, b: a ** b, B2, "not implemented for 'Bool'"),
    ("pow_bools_shapes", lambda a, b: a.bool()[:0] ** b.bool(), F2, "size of tensor a"),
    ("remainder_bools_shapes", lambda a, b: a.bool()[:0] % b.bool(), F2, "size of tensor a"),
    ("floordiv_bools_shapes", lambda a, b: a.bool()[:0] // b.bool(), F2, "size of tensor a"),
    ("bitwise_float", lambda a, b: a & b, F2, "not implemented for 'Float'"),
    ("bitwise_float_number", lambda a, b: a.int() | 1.5, F2, "not implemented for 'Float'"),
    ("shift_float", lambda a, b: a << 1, F2, "not implemented for 'Float'"),
    ("shift_bool", lambda a, b: a >> b, B2, "not implemented for 'Bool'"),
    ("hypot_ints", lambda lib, a, b: lib.hypot(a, b), I2, "hypot_cpu"),
    ("lerp_end_dtype", lambda a, b: a.lerp(b.double(), 0.5), F2, "for `end`"),
    ("lerp_weight_dtype", lambda a, b: a.lerp(b, b.double()), F2, "for `weight`"),
    ("lerp_ints", lambda a, b: a.lerp(b, 0.5), I2, "lerp_kernel_scalar"),
    ("addcdiv_ints", lambda a, b: a.float().addcdiv(a, b), I2, "Integer division with addcdiv"),
    ("addcmul_bools", lambda a, b: a.addcmul(a, b), B2, "addcmul"),
    ("isclose_dtypes", lambda a, b: a.isclose(b.double()), F2, "Float did not match Double"),
    ("isclose_rtol", lambda a, b: a.isclose(b, rtol=-1), F2, "rtol must be"),
    ("isclose_atol", lambda a, b: a.isclose(b, atol=-1), F2, "atol must be"),
    ("maximum_number", lambda a, b: a.maximum(1), F2, "must be Tensor"),
    ("atan2_number", lambda a, b: a.atan2(2.0), F2, "must be Tensor"),
    ("logical_number", lambda a, b: a.logical_and(1), F2, "must be Tensor"),
    ("equal_number", lambda a, b: a.equal(1), F2, "must be Tensor"),
    ("add_none", lambda a, b: a + None, F2, None),
    ("lt_none", lambda a, b: a < None, F2, None),
    ("add_list", lambda a, b: a * [1, 2], F2, None),
    ("broadcast", lambda a, b: a + b[:, None, None].expand(2, 3, 4), F2, "size of tensor a"),
    ("broadcast_compare", lambda a, b: a < b[:, None, None].expand(2, 3, 4), F2, "tensor b"),
    ("inplace_broadcast", lambda a, b: a.add_(b[:, None]), F2, "doesn't match the broadcast"),
    ("array_requires_grad", lambda a, b: a.requires_grad_() * np.ones(2), F2, "requires grad"),
]


@pytest.mark.parametrize("name, fn, shapes, match", RAISE_CASES, ids=[c[0] for c in RAISE_CASES])
def test_errors(name, fn, shapes, match):
    check_raises(fn, shapes, lib=fn.__code__.co_argcount == 3, dtype="float32", match=match)


def test_out_with_grad_raises():
    check_raises(lambda lib: lib.add(lib.ones(2, requires_grad=True), 1, out=lib.empty(2)),
                 lib=True, match="out=")
    check_raises(lambda lib: lib.add(lib.ones(2), 1.5, out=lib.empty(2, dtype=lib.int64)),
                 lib=True, match="can't be cast")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_atan2_gradient_where_the_squares_underflow_or_vanish(dtype):
    """torch takes 1 / (a^2 + b^2) as 0 where that sum is 0 (a = -1e-30 in float32 squares
    to 0): a zero gradient there, not 0 * inf = nan (a fuzzer finding)."""
    a = np.array([-1e-30, 1e-30, 0.0, 1e-20, 3e-20, 0.5], dtype)
    b = np.array([0.0, 1e-30, 0.0, 1e-20, 0.0, -1e-30], dtype)
    check_op(lambda x, y: x.atan2(y), [a, b], dtype=dtype)
