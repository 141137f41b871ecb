"""torch.special's Bessel, Airy and incomplete-gamma functions (ops/special_bessel.py) vs torch:
values over every regime of the kernels, gradients (and their absence), edge values, dtypes.

Tolerance note: torch's float64 bessel_j0/j1/y0/y1 and airy_ai (Cephes rational fits) are off
by up to ~1e-6 absolute between x ~ 2 and 8 (checked against mpmath: glasstorch's values are
the exact ones there), so those compare with atol 2e-6; everything else to float64's default."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

NO_GRAD = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "airy_ai"]
LOOSE = {"bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "airy_ai"}
POSITIVE_ONLY = {"bessel_y0", "bessel_y1", "modified_bessel_k0", "modified_bessel_k1",
                 "scaled_modified_bessel_k0", "scaled_modified_bessel_k1"}
# every kernel regime: series, FFT / trapezoid, asymptotic, and the signs
SAMPLES = np.array([-60.0, -31.0, -26.0, -12.5, -7.0, -3.3, -1.9, -0.4, -1e-3, 0.0, 1e-8,
                    1e-3, 0.3, 1.5, 1.99, 2.01, 4.7, 9.2, 17.0, 24.9, 25.1, 29.5, 30.5, 44.0,
                    80.0, 300.0])


@pytest.mark.parametrize("name", NO_GRAD)
def test_no_derivative_functions_values_and_no_graph(name):
    # torch defines no derivative: the result does not require grad (check_op compares that)
    atol = 2e-6 if name in LOOSE else None
    low = 0.05 if name in POSITIVE_ONLY else -6
    check_op(lambda m, x: getattr(m.special, name)(x), [(4, 5)], lib=True, low=low, high=12,
             atol=atol)
    check_op(lambda m, x: getattr(m.special, name)(x), [SAMPLES], lib=True, atol=atol)


@pytest.mark.parametrize("name", ["airy_ai"])
def test_airy_ai_wide_range(name):
    xs = np.concatenate([np.linspace(-40, 105, 59), [103.8, 104.0, 1e5, -1e4]])
    check_op(lambda m, x: m.special.airy_ai(x), [xs], lib=True, atol=2e-6)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.special.i0(x), lambda m, x: m.i0(x), lambda m, x: x.i0(),
    lambda m, x: m.special.i0e(x), lambda m, x: m.special.i1(x), lambda m, x: m.special.i1e(x),
])
def test_modified_bessel_with_derivatives(fn):
    check_op(fn, [(3, 4)], lib=True, low=-5, high=5, double=True)
    check_op(fn, [SAMPLES[np.abs(SAMPLES) < 100]], lib=True)


def test_i1_derivative_at_zero_is_one_half():
    check_op(lambda m, x: m.special.i1(x) + m.special.i1e(x), [np.zeros(3)], lib=True)


def test_non_finite_inputs():
    edges = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e300, -1e300, 1e-300])
    for name in NO_GRAD + ["i0", "i0e", "i1", "i1e"]:
        check_op(lambda m, x: getattr(m.special, name)(x), [edges], lib=True, grad=False,
                 atol=1e-300)


@pytest.mark.parametrize("upper", [False, True])
def test_gammainc_values_and_gradient_in_other(upper):
    name = "gammaincc" if upper else "gammainc"
    a = np.array([0.3, 1.0, 2.5, 7.0, 20.0, 45.0])
    x = np.array([0.1, 2.0, 1.5, 9.0, 15.0, 60.0])
    check_op(lambda m, a, x: getattr(m.special, name)(a.detach(), x), [a, x], lib=True)
    check_op(lambda m, a, x: getattr(m, name.replace("gammainc", "igamma"))(a.detach(), x),
             [(3, 4), (3, 4)], lib=True, low=0.1, high=6, double=True)
    check_op(lambda m, a, x: a.detach().igamma(x) if not upper else a.detach().igammac(x),
             [(4,), (1,)], lib=True, low=0.1, high=6)


def test_gammainc_edges_broadcast_and_float32():
    a = np.array([-1.0, 0.0, 0.0, 1.0, 0.0, np.inf, 2.0, np.nan, 3.0])
    x = np.array([1.0, 0.0, 1.0, -1.0, np.inf, 3.0, np.inf, 1.0, 0.0])
    for name in ("gammainc", "gammaincc"):
        check_op(lambda m, a, x: getattr(m.special, name)(a, x), [a, x], lib=True, grad=False)
        check_op(lambda m, a, x: getattr(m.special, name)(a.detach(), x), [(2, 1), (3,)],
                 lib=True, low=0.2, high=4, dtype="float32")


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_gammainc_has_no_derivative_in_input(name):
    for lib in (torch, gt):
        a = lib.tensor([1.5, 2.0], dtype=lib.float64, requires_grad=True)
        y = getattr(lib.special, name)(a, lib.tensor([1.0, 3.0], dtype=lib.float64))
        with pytest.raises(NotImplementedError, match="is not implemented"):
            y.sum().backward()


def test_gammainc_bad_arguments():
    check_raises(lambda m, a: m.special.gammainc(a, 2.0), [(3,)], lib=True)       # TypeError
    check_raises(lambda m, a: m.special.gammainc(1.0, a), [(3,)], lib=True)
    check_raises(lambda m, a, b: m.special.gammainc(a, b), [(2,), (3,)], lib=True)
    check_raises(lambda m, a: m.igamma(a.long(), a.long()), [(3,)], lib=True)


NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _outcome(fn):
    try:
        return str(fn().dtype).split(".")[-1]
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__


@pytest.mark.parametrize("name", NO_GRAD + ["i0", "i0e", "i1", "i1e"])
def test_unary_result_dtypes(name):
    for d in NAMES:
        got = _outcome(lambda: getattr(gt.special, name)(gt.tensor([1, 2]).to(getattr(gt, d))))
        want = _outcome(lambda: getattr(torch.special, name)(
            torch.tensor([1, 2]).to(getattr(torch, d))))
        assert got == want, (name, d)


def test_gammainc_result_dtypes_all_pairs():
    for d1 in NAMES:
        for d2 in NAMES:
            for zero in (False, True):
                def run(lib):
                    b = lib.tensor(2) if zero else lib.tensor([1, 2])
                    return lambda: lib.special.gammainc(lib.tensor([1, 2]).to(getattr(lib, d1)),
                                                        b.to(getattr(lib, d2)))
                assert _outcome(run(gt)) == _outcome(run(torch)), (d1, d2, zero)
