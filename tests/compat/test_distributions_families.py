"""The distribution families built on transforms, relaxations, counts and mixtures vs torch:
log_prob, entropy, mean, variance (values and gradients in the parameters), cdf/icdf, batch/
event/sample shapes and dtypes, has_rsample, sample moments, and reparameterized gradients
(Gamma's implicit one included)."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op


def _pos(x):
    return x.abs() + 0.5


def _unit(x):
    return x.sigmoid()


def _D(m):
    return m.distributions


def _t(m, v, like):
    return m.tensor(v, dtype=like.dtype)


CASES = {  # name: (make(m, a, b) -> distribution, value(m, a, b) -> a point of the support)
    "LogisticNormal": (lambda m, a, b: _D(m).LogisticNormal(a, _pos(b)),
                       lambda m, a, b: m.cat([a.softmax(-1) * 0.8,
                                              0.2 * m.ones(3, 1, dtype=a.dtype)], -1)),
    "HalfCauchy": (lambda m, a, b: _D(m).HalfCauchy(_pos(a)), lambda m, a, b: _pos(b)),
    "Weibull": (lambda m, a, b: _D(m).Weibull(_pos(a), _pos(b)), lambda m, a, b: _pos(b)),
    "Pareto": (lambda m, a, b: _D(m).Pareto(_pos(a), _pos(b) + 2),
               lambda m, a, b: _pos(a) + _pos(b)),
    "Kumaraswamy": (lambda m, a, b: _D(m).Kumaraswamy(_pos(a), _pos(b)),
                    lambda m, a, b: _unit(b)),
    "InverseGamma": (lambda m, a, b: _D(m).InverseGamma(_pos(a) + 2, _pos(b)),
                     lambda m, a, b: _pos(b)),
    "RelaxedBernoulli": (lambda m, a, b: _D(m).RelaxedBernoulli(_t(m, 0.7, a), logits=a),
                         lambda m, a, b: _unit(b)),
    "RelaxedBernoulliP": (lambda m, a, b: _D(m).RelaxedBernoulli(_t(m, 1.3, a), probs=_unit(a)),
                          lambda m, a, b: _unit(b)),
    "RelaxedOneHotCategorical": (
        lambda m, a, b: _D(m).RelaxedOneHotCategorical(_t(m, 0.7, a), logits=a),
        lambda m, a, b: b.softmax(-1)),
    "ContinuousBernoulli": (lambda m, a, b: _D(m).ContinuousBernoulli(logits=a),
                            lambda m, a, b: _unit(b)),
    "ContinuousBernoulliP": (lambda m, a, b: _D(m).ContinuousBernoulli(probs=_unit(a)),
                             lambda m, a, b: _unit(b)),
    "FisherSnedecor": (lambda m, a, b: _D(m).FisherSnedecor(_pos(a) * 3, _pos(b) * 3 + 4),
                       lambda m, a, b: _pos(b)),
    "VonMises": (lambda m, a, b: _D(m).VonMises(a, _pos(b) * 2), lambda m, a, b: b),
    "Multinomial": (lambda m, a, b: _D(m).Multinomial(5, logits=a),
                    lambda m, a, b: _t(m, [[2., 1, 1, 1], [0, 0, 5, 0], [1, 1, 1, 2]], a)),
    "NegativeBinomial": (lambda m, a, b: _D(m).NegativeBinomial(_pos(a) * 2, logits=b),
                         lambda m, a, b: (b.abs() * 3).floor()),
    "NegativeBinomialP": (lambda m, a, b: _D(m).NegativeBinomial(_pos(a) * 2,
                                                                 probs=_unit(b) * 0.9),
                          lambda m, a, b: (b.abs() * 3).floor()),
    "MixtureSameFamily": (lambda m, a, b: _D(m).MixtureSameFamily(
        _D(m).Categorical(logits=a), _D(m).Normal(a, _pos(b))), lambda m, a, b: b[:, 0]),
    "MixtureSameFamily2D": (lambda m, a, b: _D(m).MixtureSameFamily(
        _D(m).Categorical(logits=a[:, 0]), _D(m).Independent(_D(m).Normal(a, _pos(b)), 1)),
        lambda m, a, b: b[0]),
    "TransformedDistribution": (lambda m, a, b: _D(m).TransformedDistribution(
        _D(m).Normal(a, _pos(b)), [_D(m).transforms.TanhTransform(),
                                   _D(m).transforms.AffineTransform(1.0, 2.0)]),
        lambda m, a, b: 1 + 1.9 * b.tanh()),
    "OneHotCategoricalStraightThrough": (
        lambda m, a, b: _D(m).OneHotCategoricalStraightThrough(logits=a),
        lambda m, a, b: m.nn.functional.one_hot(b.argmax(-1), 4).to(a.dtype)),
}
# no closed form in torch either: (name, statistic)
UNDEFINED = {("LogisticNormal", "entropy"), ("LogisticNormal", "mean"),
             ("LogisticNormal", "variance"), ("RelaxedBernoulli", "entropy"),
             ("RelaxedBernoulli", "mean"), ("RelaxedBernoulli", "variance"),
             ("RelaxedBernoulliP", "entropy"), ("RelaxedBernoulliP", "mean"),
             ("RelaxedBernoulliP", "variance"), ("RelaxedOneHotCategorical", "entropy"),
             ("RelaxedOneHotCategorical", "mean"), ("RelaxedOneHotCategorical", "variance"),
             ("FisherSnedecor", "entropy"), ("VonMises", "entropy"),
             ("NegativeBinomial", "entropy"), ("NegativeBinomialP", "entropy"),
             ("MixtureSameFamily", "entropy"), ("MixtureSameFamily2D", "entropy"),
             ("TransformedDistribution", "entropy"), ("TransformedDistribution", "mean"),
             ("TransformedDistribution", "variance"), ("InverseGamma", "none")}


def _stat(d, what, value):
    if what == "log_prob":
        return d.log_prob(value)
    return d.entropy() if what == "entropy" else getattr(d, what)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance"])
def test_against_torch(name, what):
    make, value = CASES[name]
    if (name, what) in UNDEFINED:
        for m in (gt, torch):
            a = m.ones(3, 4, dtype=m.float64)
            with pytest.raises(NotImplementedError):
                _stat(make(m, a, a), what, value(m, a, a))
        return
    grad = not (name == "HalfCauchy" and what in ("mean", "variance"))   # inf constants
    check_op(lambda m, a, b: _stat(make(m, a, b), what, value(m, a, b)), [(3, 4), (3, 4)],
             lib=True, grad=grad)


def test_generalized_pareto_against_torch():
    # float32: torch's GeneralizedPareto compares with a float32 zero and fails in float64
    for c in (0.3, -0.2, 0.0):
        def fn(m, a, b):
            d = _D(m).GeneralizedPareto(a, _pos(b), b * 0 + c)
            v = a + _pos(b) * 0.5
            return d.log_prob(v), d.cdf(v), d.icdf(_unit(b)), d.entropy(), d.mean, d.variance
        check_op(fn, [(3, 4), (3, 4)], lib=True, dtype="float32", rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,value", [
    ("HalfCauchy", _pos), ("Kumaraswamy", _unit), ("Weibull", _pos), ("Pareto", None),
    ("ContinuousBernoulli", _unit), ("ContinuousBernoulliP", _unit), ("InverseGamma", None),
    ("TransformedDistribution", None)])
def test_cdf_icdf(name, value):
    make, point = CASES[name]
    check_op(lambda m, a, b: make(m, a, b).cdf(point(m, a, b)), [(3, 4), (3, 4)], lib=True,
             grad=name != "InverseGamma")       # igamma: no derivative in concentration
    if name not in ("Weibull", "Pareto", "TransformedDistribution", "InverseGamma"):
        # icdf: their base distributions have none (in torch too)
        check_op(lambda m, a, b: make(m, a, b).icdf(_unit(b)), [(3, 4), (3, 4)], lib=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_shape_dtype(name):
    make, _ = CASES[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 4)) for _ in range(2)]
    dg, dt = make(gt, *map(gt.tensor, arrays)), make(torch, *map(torch.tensor, arrays))
    assert tuple(dg.batch_shape) == tuple(dt.batch_shape)
    assert tuple(dg.event_shape) == tuple(dt.event_shape)
    assert dg.has_rsample == dt.has_rsample
    for shape in [(), (5,), (2, 3)]:
        sg, st = dg.sample(shape), dt.sample(shape)
        assert tuple(sg.shape) == tuple(st.shape) and str(sg.dtype) == str(st.dtype)
        assert not sg.requires_grad
        assert bool(dg.support.check(sg).all())
        if dg.has_rsample:
            assert tuple(dg.rsample(shape).shape) == tuple(st.shape)


@pytest.mark.parametrize("make,mean,var", [
    (lambda m: _D(m).HalfCauchy(2.0), None, None),
    (lambda m: _D(m).Weibull(2.0, 1.5), 2 * math.gamma(1 + 1 / 1.5),
     4 * (math.gamma(1 + 2 / 1.5) - math.gamma(1 + 1 / 1.5) ** 2)),
    (lambda m: _D(m).Pareto(1.0, 5.0), 1.25, 5 / (16 * 3)),
    (lambda m: _D(m).Kumaraswamy(2.0, 3.0), None, None),
    (lambda m: _D(m).InverseGamma(5.0, 2.0), 0.5, 4 / (16 * 3)),
    (lambda m: _D(m).FisherSnedecor(6.0, 10.0), 10 / 8, 2 * 100 * 14 / (6 * 64 * 6)),
    (lambda m: _D(m).VonMises(0.5, 2.0), 0.5, None),
    (lambda m: _D(m).ContinuousBernoulli(probs=0.8), None, None),
    (lambda m: _D(m).NegativeBinomial(3.0, probs=0.4), 2.0, 2.0 / 0.6),
    (lambda m: _D(m).Gamma(0.7, 2.0), 0.35, 0.175),
    (lambda m: _D(m).Beta(0.5, 2.0), 0.2, 1 / 21.875),
    (lambda m: _D(m).StudentT(6.0, 1.0, 2.0), 1.0, 4 * 1.5),
    (lambda m: _D(m).GeneralizedPareto(0.0, 1.0, 0.2), 1.25, 1 / (0.64 * 0.6)),
])
def test_sample_statistics(make, mean, var):
    """Sample mean/variance within a few standard errors of the closed form (or of torch's
    .mean/.variance where given as None)."""
    gt.manual_seed(0)
    d = make(gt)
    x = d.sample((40000,)).double()
    mean = float(d.mean) if mean is None else mean
    var = float(d.variance) if var is None and not isinstance(d, gt.distributions.HalfCauchy) \
        else var
    if isinstance(d, gt.distributions.HalfCauchy):        # no moments: check the median
        assert abs(float(x.median()) - 2.0) < 0.05
        return
    if isinstance(d, gt.distributions.VonMises):
        assert abs(float((x - 0.5).sin().mean())) < 0.01
        var = float(d.variance)
        assert abs(1 - float((x - 0.5).cos().mean()) - var) < 0.01
        return
    assert abs(float(x.mean()) - mean) < 5 * (var / 40000) ** 0.5
    assert abs(float(x.var()) - var) < 0.08 * var + 0.01


def test_multinomial_and_relaxed_samples():
    gt.manual_seed(0)
    p = gt.tensor([0.2, 0.5, 0.3])
    x = gt.distributions.Multinomial(10, probs=p).sample((5000,))
    assert bool((x.sum(-1) == 10).all())
    np.testing.assert_allclose(x.mean(0).numpy(), [2, 5, 3], atol=0.08)
    y = gt.distributions.RelaxedOneHotCategorical(gt.tensor(0.05), probs=p).sample((5000,))
    np.testing.assert_allclose(y.sum(-1).numpy(), 1, rtol=1e-5)
    np.testing.assert_allclose((y.argmax(-1) == 1).float().mean().item(), 0.5, atol=0.03)
    gm = gt.distributions.MixtureSameFamily(gt.distributions.Categorical(probs=p),
                                            gt.distributions.Normal(gt.tensor([-5., 0, 5]),
                                                                    gt.tensor(0.1)))
    z = gm.sample((20000,))
    # a mixture with fewer batch dims than its components samples too (torch's gather fails)
    wide = gt.distributions.MixtureSameFamily(gt.distributions.Categorical(probs=p),
                                              gt.distributions.Normal(gt.zeros(2, 3), 1.0))
    assert tuple(wide.sample((4,)).shape) == (4, 2)
    np.testing.assert_allclose(float(z.mean()), float(gm.mean), atol=0.1)
    np.testing.assert_allclose(float(z.var()), float(gm.variance), rtol=0.05)


@pytest.mark.parametrize("make,grad_of_mean", [
    # d E[X] / d theta estimated by the mean of reparameterized gradients
    (lambda th: gt.distributions.Gamma(th, 2.0), lambda t: 0.5),
    (lambda th: gt.distributions.Gamma(th * 0.1, 1.0), lambda t: 0.1),
    (lambda th: gt.distributions.Gamma(th * 2000, 1.0), lambda t: 2000),   # Wilson-Hilferty
    (lambda th: gt.distributions.Beta(th, 2.0), lambda t: 2 / (t + 2) ** 2),
    (lambda th: gt.distributions.InverseGamma(th + 2, 3.0), lambda t: -3 / (t + 1) ** 2),
    (lambda th: gt.distributions.Weibull(th, 2.0), lambda t: math.gamma(1.5)),
    (lambda th: gt.distributions.Kumaraswamy(th, 1.0), lambda t: 1 / (t + 1) ** 2),
    (lambda th: gt.distributions.Dirichlet(gt.stack([th, th * 0 + 2.0])),
     lambda t: 2 / (t + 2) ** 2),
])
def test_rsample_gradient_matches_gradient_of_mean(make, grad_of_mean):
    gt.manual_seed(0)
    t0 = 1.5
    th = gt.tensor(t0, dtype=gt.float64, requires_grad=True)
    x = make(th).rsample((40000,))
    x = x[..., 0] if x.ndim > 1 else x
    x.mean().backward()
    assert abs(float(th.grad) - grad_of_mean(t0)) < 0.03 * abs(grad_of_mean(t0)) + 0.005


def test_straight_through_and_relaxed_gradients():
    logits = gt.tensor([0.3, -0.2, 1.0], requires_grad=True)
    d = gt.distributions.OneHotCategoricalStraightThrough(logits=logits)
    y = d.rsample((4,))
    assert bool(((y == 0) | (y == 1)).all())
    (y * gt.tensor([1.0, 2.0, 3.0])).sum().backward()
    p = logits.detach().softmax(-1)
    expected = 4 * p * (gt.tensor([1.0, 2.0, 3.0]) - (p * gt.tensor([1.0, 2.0, 3.0])).sum())
    np.testing.assert_allclose(logits.grad.numpy(), expected.numpy(), rtol=1e-5)
    logits.grad = None
    r = gt.distributions.RelaxedBernoulli(gt.tensor(0.5), logits=logits).rsample((3,))
    r.sum().backward()
    assert logits.grad is not None and bool((logits.grad > 0).all())


def test_exponential_family_entropy_by_autograd():
    # ContinuousBernoulli's closed-form entropy vs the Bregman-divergence formula of the base
    d = gt.distributions.ContinuousBernoulli(logits=gt.tensor([-2.0, -0.3, 0.7, 3.0],
                                                              dtype=gt.float64))
    generic = gt.distributions.ExponentialFamily.entropy(d)
    np.testing.assert_allclose(generic.detach().numpy(), d.entropy().numpy(), rtol=1e-6)


def test_bad_parameters():
    D = gt.distributions
    for call in [lambda: D.Weibull(-1.0, 1.0), lambda: D.Pareto(1.0, 0.0),
                 lambda: D.HalfCauchy(gt.tensor([-1.0])), lambda: D.Kumaraswamy(1.0, -2.0),
                 lambda: D.InverseGamma(-1.0, 1.0), lambda: D.FisherSnedecor(1.0, -1.0),
                 lambda: D.VonMises(0.0, -1.0), lambda: D.NegativeBinomial(-1.0, probs=0.5),
                 lambda: D.NegativeBinomial(2.0, probs=1.0),
                 lambda: D.Multinomial(3, probs=gt.tensor([-0.1, 1.1])),
                 lambda: D.GeneralizedPareto(0.0, -1.0, 0.1),
                 lambda: D.LogisticNormal(0.0, gt.tensor([-1.0]))]:
        with pytest.raises(ValueError):
            call()
    with pytest.raises(NotImplementedError):
        D.Multinomial(gt.tensor(3), probs=gt.tensor([0.5, 0.5]))
    with pytest.raises(ValueError):
        D.MixtureSameFamily(D.Categorical(logits=gt.zeros(3)), D.Normal(gt.zeros(4), 1.0))
    with pytest.raises(ValueError):
        D.Pareto(1.0, 2.0).log_prob(gt.tensor(0.5))        # below the scale: outside support


def _expand_cases():
    from tests.compat import test_distributions as base
    from tests.compat import test_distributions_matrix as mat
    for i, (make, _) in enumerate(base.CASES):
        yield f"base{i}", make, base._shapes(i)
    for name, (make, _) in CASES.items():
        yield name, make, [(3, 4), (3, 4)]
    for name, (make, _) in mat.CASES.items():
        yield name, make, mat.SHAPES


@pytest.mark.parametrize("name,make,shapes", list(_expand_cases()),
                         ids=[c[0] for c in _expand_cases()])
def test_expand_against_torch(name, make, shapes):
    """expand((2,) + batch_shape): same shapes as torch, and log_prob of a draw equals the
    unexpanded distribution's, broadcast."""
    import warnings
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dg, dt = make(gt, *map(gt.tensor, arrays)), make(torch, *map(torch.tensor, arrays))
        shape = (2,) + tuple(dt.batch_shape)
        eg, et = dg.expand(shape), dt.expand(shape)
        assert tuple(eg.batch_shape) == tuple(et.batch_shape) == shape
        assert tuple(eg.event_shape) == tuple(et.event_shape)
        x = eg.sample()
        assert tuple(x.shape) == tuple(et.sample().shape)
        np.testing.assert_allclose(eg.log_prob(x).numpy(), dg.log_prob(x).numpy(), rtol=1e-10)
        np.testing.assert_allclose(eg.log_prob(x).numpy(),
                                   et.log_prob(torch.tensor(x.numpy())).numpy(), rtol=1e-6,
                                   atol=1e-8)


def _all_cases():
    from tests.compat import test_distributions as base
    from tests.compat import test_distributions_matrix as mat
    for i, (make, _) in enumerate(base.CASES):
        yield f"base{i}", make, base._shapes(i)
    for name, (make, _) in CASES.items():
        yield name, make, [(3, 4), (3, 4)]
    for name, (make, _) in mat.CASES.items():
        if name != "WishartNumberDf":           # torch's .mode/.stddev fail on a number df
            yield name, make, mat.SHAPES


def _attributes(d):
    out = {}
    for what in ["mode", "stddev", "perplexity", "support", "arg_constraints",
                 "has_enumerate_support", "has_rsample", "batch_shape", "event_shape"]:
        try:
            v = getattr(d, what)
            v = v() if what == "perplexity" else v
            if what == "arg_constraints":
                v = sorted(v)
            elif what == "support":             # bounds that are tensors: compare the type
                v = type(v).__name__ if hasattr(getattr(v, "lower_bound", None), "shape") or \
                    hasattr(getattr(v, "upper_bound", None), "shape") else repr(v)
            elif what.endswith("shape"):
                v = tuple(v)
            out[what] = v.detach().numpy() if hasattr(v, "detach") else v
        except NotImplementedError:
            out[what] = "NotImplementedError"
    return out


@pytest.mark.parametrize("name,make,shapes", list(_all_cases()),
                         ids=[c[0] for c in _all_cases()])
def test_attributes_against_torch(name, make, shapes):
    """mode, stddev, perplexity, support, arg_constraints names, has_* flags and shapes."""
    import warnings
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ag = _attributes(make(gt, *map(gt.tensor, arrays)))
        at = _attributes(make(torch, *map(torch.tensor, arrays)))
    assert ag.keys() == at.keys()
    for what in ag:
        if isinstance(at[what], np.ndarray):
            np.testing.assert_allclose(ag[what], at[what], rtol=1e-6, atol=1e-9,
                                       err_msg=what)
        else:
            assert ag[what] == at[what], what
