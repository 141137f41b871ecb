"""kl_divergence vs torch for every pair torch registers (values and gradients in both
distributions' parameters, +inf where q's support misses p's), the ExponentialFamily
(Bregman) fallback, the dispatch to the most specific registered pair, and its errors."""
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op


def _pos(x):
    return x.abs() + 0.5


def _unit(x):
    return x.sigmoid() * 0.8 + 0.1


def _D(m):
    return m.distributions


# family name -> make(m, x) with x a (3, 4) float64 tensor
MAKE = {
    "Bernoulli": lambda m, x: _D(m).Bernoulli(probs=_unit(x)),
    "Beta": lambda m, x: _D(m).Beta(_pos(x), _pos(x.flip(0))),
    "Binomial": lambda m, x: _D(m).Binomial(6, probs=_unit(x)),
    "Categorical": lambda m, x: _D(m).Categorical(logits=x),
    "ContinuousBernoulli": lambda m, x: _D(m).ContinuousBernoulli(probs=_unit(x)),
    "Dirichlet": lambda m, x: _D(m).Dirichlet(_pos(x)),
    "Exponential": lambda m, x: _D(m).Exponential(_pos(x)),
    "Gamma": lambda m, x: _D(m).Gamma(_pos(x), _pos(x.flip(1))),
    "Gumbel": lambda m, x: _D(m).Gumbel(x, _pos(x.flip(0))),
    "Geometric": lambda m, x: _D(m).Geometric(probs=_unit(x)),
    "HalfNormal": lambda m, x: _D(m).HalfNormal(_pos(x)),
    "Laplace": lambda m, x: _D(m).Laplace(x, _pos(x.flip(0))),
    "LowRankMultivariateNormal": lambda m, x: _D(m).LowRankMultivariateNormal(
        x, x.unsqueeze(-1) * 0.5, _pos(x.flip(0))),
    "MultivariateNormal": lambda m, x: _D(m).MultivariateNormal(
        x, scale_tril=(x.unsqueeze(-1) * x.unsqueeze(-2)).tril(-1) * 0.2 +
        m.diag_embed(_pos(x))),
    "Normal": lambda m, x: _D(m).Normal(x, _pos(x.flip(0))),
    "OneHotCategorical": lambda m, x: _D(m).OneHotCategorical(logits=x),
    "Pareto": lambda m, x: _D(m).Pareto(_pos(x) * 0.1, _pos(x.flip(0)) + 2),
    "Poisson": lambda m, x: _D(m).Poisson(_pos(x)),
    "TransformedDistribution": lambda m, x: _D(m).TransformedDistribution(
        _D(m).Normal(x, _pos(x.flip(0))), [_D(m).transforms.ExpTransform()]),
    "Uniform": lambda m, x: _D(m).Uniform(_unit(x) * 0.5, 0.55 + _unit(x.flip(0)) * 0.4),
    "Independent": lambda m, x: _D(m).Independent(_D(m).Normal(x, _pos(x.flip(1))), 1),
    "Cauchy": lambda m, x: _D(m).Cauchy(x, _pos(x.flip(0))),
}
PAIRS = sorted((p.__name__, q.__name__) for p, q in torch.distributions.kl._KL_REGISTRY
               if p.__name__ in MAKE and q.__name__ in MAKE)


def test_every_torch_pair_is_registered():
    names = {(p.__name__, q.__name__) for p, q in torch.distributions.kl._KL_REGISTRY}
    ours = {(p.__name__, q.__name__) for p, q in gt.distributions.kl._KL_REGISTRY}
    assert names == ours
    assert len(PAIRS) >= 80


@pytest.mark.parametrize("pname,qname", PAIRS)
def test_kl_against_torch(pname, qname):
    def fn(m, a, b):
        return _D(m).kl_divergence(MAKE[pname](m, a), MAKE[qname](m, b))
    a, b = (torch.linspace(-1.5, 1.5, 12, dtype=torch.float64).reshape(3, 4).sin()
            for _ in range(2))
    infinite = bool(torch.isinf(fn(torch, a, b.flip(1))).all())
    check_op(fn, [(3, 4), (3, 4)], lib=True, grad=not infinite)


def test_exponential_family_bregman_fallback():
    # Wishart has no closed-form pair: both frameworks use the Bregman divergence
    def fn(m, a, b):
        def make(x):
            return _D(m).Wishart(x[0, 0].abs() + 4, covariance_matrix=x @ x.mT +
                                 2 * m.eye(3, dtype=x.dtype))
        return _D(m).kl_divergence(make(a), make(b))
    check_op(fn, [(3, 3), (3, 3)], lib=True)


def test_dispatch_and_errors():
    D = gt.distributions
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Normal(0., 1.), D.Bernoulli(probs=0.5))
    with pytest.raises(NotImplementedError):     # Bregman only within one family
        D.kl_divergence(D.ContinuousBernoulli(probs=0.3),
                        D.Wishart(3.0, covariance_matrix=gt.eye(2)))
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Binomial(3, probs=0.5), D.Binomial(5, probs=0.5))
    with pytest.raises(TypeError):
        D.register_kl(D.Normal(0., 1.), D.Normal)

    class MyNormal(D.Normal):
        pass
    # a subclass falls back to its base's pair ...
    assert float(D.kl_divergence(MyNormal(0., 1.), D.Normal(1., 1.))) == pytest.approx(0.5)

    # ... until a more specific one is registered
    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return gt.tensor(42.0)
    try:
        assert float(D.kl_divergence(MyNormal(0., 1.), D.Normal(1., 1.))) == 42.0
    finally:
        del D.kl._KL_REGISTRY[MyNormal, D.Normal]
        D.kl._KL_MEMOIZE.clear()


@pytest.mark.parametrize("name", ["Normal", "Exponential", "Gamma", "Bernoulli", "Beta",
                                  "Dirichlet", "Poisson", "Chi2", "ContinuousBernoulli",
                                  "Wishart"])
def test_exponential_family_membership_and_natural_parameters(name):
    """Same class tree as torch, and the Bregman KL through _natural_params /
    _log_normalizer equals the closed form (checks both against torch's)."""
    assert issubclass(getattr(gt.distributions, name), gt.distributions.ExponentialFamily)
    if name in ("Chi2", "Wishart", "ContinuousBernoulli"):
        return
    from glasstorch.distributions.kl import _kl_expfamily_expfamily

    def fn(m, a, b):
        p, q = MAKE[name](m, a), MAKE[name](m, b)
        if m is gt:
            return _kl_expfamily_expfamily(p, q)
        return torch.distributions.kl._kl_expfamily_expfamily(p, q)
    check_op(fn, [(3, 4), (3, 4)], lib=True)
    check_op(lambda m, a, b: _D(m).kl_divergence(MAKE[name](m, a), MAKE[name](m, b)),
             [(3, 4), (3, 4)], lib=True)


def test_utils():
    U, TU = gt.distributions.utils, torch.distributions.utils
    check_op(lambda m, x: getattr(m.distributions.utils, "probs_to_logits")(x.sigmoid()),
             [(3, 4)], lib=True)
    check_op(lambda m, x: m.distributions.utils.probs_to_logits(x.sigmoid(), is_binary=True),
             [(3, 4)], lib=True)
    check_op(lambda m, x: m.distributions.utils.logits_to_probs(x), [(3, 4)], lib=True)
    check_op(lambda m, x: m.distributions.utils.vec_to_tril_matrix(x, -1), [(2, 6)], lib=True)
    check_op(lambda m, x: m.distributions.utils.tril_matrix_to_vec(x, 0), [(2, 3, 3)],
             lib=True)
    with pytest.raises(ValueError):
        U.vec_to_tril_matrix(gt.zeros(5))
    assert U.euler_constant == TU.euler_constant

    class Thing:
        calls = 0

        @U.lazy_property
        def value(self):
            Thing.calls += 1
            return 3
    t = Thing()
    assert t.value == 3 and t.value == 3 and Thing.calls == 1
