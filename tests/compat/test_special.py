"""torch.special and the gamma ops (lgamma, digamma, polygamma, mvlgamma) vs torch: values,
first and second derivatives, dtypes."""
import pytest
import torch

from tests.helpers import check_op, check_raises

POSITIVE = ["digamma", "psi", "gammaln", "entr", "erfcx", "log1p", "expm1", "exp2"]
REAL = ["erf", "erfc", "expit", "ndtr", "log_ndtr", "sinc", "spherical_bessel_j0", "round"]
UNIT = ["logit", "ndtri", "erfinv"]


@pytest.mark.parametrize("name", POSITIVE)
def test_positive_domain(name):
    check_op(lambda m, x: getattr(m.special, name)(x), [(3, 4)], lib=True, low=0.2, high=4.0)


@pytest.mark.parametrize("name", REAL)
def test_real_domain(name):
    check_op(lambda m, x: getattr(m.special, name)(x), [(3, 4)], lib=True, low=-3, high=3,
             avoid=[0.0] if name in ("sinc", "spherical_bessel_j0") else ())


@pytest.mark.parametrize("name", UNIT)
def test_unit_domain(name):
    check_op(lambda m, x: getattr(m.special, name)(x), [(3, 4)], lib=True, low=0.05, high=0.95)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.lgamma(x), lambda m, x: m.digamma(x), lambda m, x: m.sinc(x), lambda m, x: m.polygamma(1, x),
    lambda m, x: m.polygamma(2, x), lambda m, x: m.special.polygamma(3, x),
    lambda m, x: m.mvlgamma(x + 2, 3), lambda m, x: m.special.multigammaln(x + 1, 2),
])
def test_gamma_family_with_second_derivatives(fn):
    check_op(fn, [(3, 4)], lib=True, low=0.3, high=5.0, double=True, rtol=1e-6)


def test_gamma_negative_noninteger_and_float32():
    check_op(lambda m, x: m.lgamma(x), [(8,)], lib=True, low=-3.9, high=-0.1,
             avoid=[-1.0, -2.0, -3.0])
    check_op(lambda m, x: m.digamma(x), [(8,)], lib=True, low=-3.9, high=-0.1,
             avoid=[-1.0, -2.0, -3.0])
    check_op(lambda m, x: m.lgamma(x), [(8,)], lib=True, low=0.5, high=9, dtype="float32")


def test_gamma_poles_and_ints():
    for m in (torch, __import__("glasstorch")):
        x = m.tensor([0.0, -1.0, 1.0, 2.0])
        assert str(m.lgamma(x).dtype).endswith("float32")
    check_op(lambda m, x: m.lgamma(x), [("int", (5,), 1, 6)], lib=True, grad=False)
    check_raises(lambda m, x: m.mvlgamma(x, 0), [(3,)], lib=True)
    check_raises(lambda m, x: m.polygamma(-1, x), [(3,)], lib=True)


@pytest.mark.parametrize("fn", [
    lambda m, x, y: m.special.xlogy(x, y), lambda m, x, y: m.special.xlog1py(x, y),
    lambda m, x, y: m.special.zeta(x + 2, y),
])
def test_binary(fn):
    check_op(fn, [(3, 4), (3, 4)], lib=True, low=0.2, high=3.0, rtol=1e-6,
             grad="zeta" not in str(fn.__code__.co_names))


@pytest.mark.parametrize("fn", [lambda m, x, q: m.special.zeta(x.detach() + 2, q),
                                lambda m, x, q: m.special.zeta(2.5, q * x.detach())],
                         ids=["tensor_x", "number_x"])
def test_zeta_gradient_in_q(fn):
    # d/dq zeta(x, q) = -x zeta(x + 1, q), and its own derivative (double=True)
    check_op(fn, [(3, 4), (3, 4)], lib=True, low=0.5, high=3.0, rtol=1e-6, double=True)


def test_zeta_has_no_gradient_in_x():
    import glasstorch as gt
    errors = []
    for m in (gt, torch):
        x = m.tensor([2.5, 3.0], dtype=m.float64, requires_grad=True)
        y = m.special.zeta(x, m.tensor([1.5, 2.0], dtype=m.float64))
        assert y.requires_grad
        with pytest.raises(NotImplementedError) as e:
            y.sum().backward()
        errors.append(str(e.value))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("name", ["chebyshev_polynomial_t", "chebyshev_polynomial_u",
                                  "chebyshev_polynomial_v", "chebyshev_polynomial_w",
                                  "shifted_chebyshev_polynomial_t",
                                  "shifted_chebyshev_polynomial_u",
                                  "shifted_chebyshev_polynomial_v",
                                  "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
                                  "hermite_polynomial_he", "laguerre_polynomial_l",
                                  "legendre_polynomial_p"])
@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_polynomials(name, n):
    # torch defines no derivative: the result does not require grad (check_op compares that)
    check_op(lambda m, x: getattr(m.special, name)(x, n), [(3, 4)], lib=True, low=-0.9,
             high=0.9, rtol=1e-6, atol=1e-8)


def test_polynomial_tensor_degree():
    import numpy as np
    import glasstorch as gt
    x = np.linspace(-0.9, 0.9, 6)
    n = np.array([0, 1, 2, 3, 4, 6])
    g = gt.special.hermite_polynomial_h(gt.tensor(x), gt.tensor(n))
    t = torch.special.hermite_polynomial_h(torch.tensor(x), torch.tensor(n))
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-10)


@pytest.mark.parametrize("fn", [lambda m, x: m.special.log_softmax(x, 1),
                                lambda m, x: m.special.softmax(x, 0),
                                lambda m, x: m.special.logsumexp(x, 1)])
def test_reductions(fn):
    check_op(fn, [(3, 4)], lib=True)


@pytest.mark.parametrize("fn", [lambda m, x: x.lgamma(), lambda m, x: x.digamma(),
                                lambda m, x: x.polygamma(1), lambda m, x: x.mvlgamma(2) + 0,
                                lambda m, x: x.sinc(), lambda m, x: (x * 1).lgamma_(),
                                lambda m, x: (x * 1).digamma_(), lambda m, x: (x * 1).sinc_()])
def test_tensor_methods(fn):
    check_op(fn, [(3, 4)], lib=True, low=1.2, high=4.0)
