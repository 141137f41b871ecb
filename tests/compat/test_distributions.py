"""torch.distributions vs torch: log_prob, entropy, cdf/icdf, mean/variance and kl_divergence
values and gradients (same parameters in both), sample shapes/dtypes, sample statistics, the
reparameterization gradient, and the ValueError on bad parameters."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises


def _pos(x):
    return x.abs() + 0.5


def _unit(x):
    return x.sigmoid()


def _spd(m, A):
    return A.transpose(-2, -1) @ A + 2 * m.eye(A.shape[-1], dtype=A.dtype)


D = "distributions"
CASES = [  # (make(m, a, b) -> distribution, value(m, a, b) -> tensor or None)
    (lambda m, a, b: getattr(m, D).Normal(a, _pos(b)), lambda m, a, b: b * 1.5),
    (lambda m, a, b: getattr(m, D).LogNormal(a, _pos(b)), lambda m, a, b: _pos(b)),
    (lambda m, a, b: getattr(m, D).Uniform(a - 3, a + _pos(b)), lambda m, a, b: a - 0.1),
    (lambda m, a, b: getattr(m, D).Exponential(_pos(a)), lambda m, a, b: _pos(b)),
    (lambda m, a, b: getattr(m, D).Laplace(a, _pos(b)), lambda m, a, b: b),
    (lambda m, a, b: getattr(m, D).Cauchy(a, _pos(b)), lambda m, a, b: b),
    (lambda m, a, b: getattr(m, D).Bernoulli(probs=_unit(a)), lambda m, a, b: (b > 0).double()),
    (lambda m, a, b: getattr(m, D).Bernoulli(logits=a), lambda m, a, b: (b > 0).double()),
    (lambda m, a, b: getattr(m, D).Categorical(logits=a), lambda m, a, b: b.argmax(-1)),
    (lambda m, a, b: getattr(m, D).Categorical(probs=_unit(a)), lambda m, a, b: b.argmax(-1)),
    (lambda m, a, b: getattr(m, D).OneHotCategorical(logits=a),
     lambda m, a, b: m.nn.functional.one_hot(b.argmax(-1), 4).double()),
    (lambda m, a, b: getattr(m, D).Geometric(probs=_unit(a)), lambda m, a, b: (b.abs() * 3).floor()),
    (lambda m, a, b: getattr(m, D).Independent(getattr(m, D).Normal(a, _pos(b)), 1),
     lambda m, a, b: a * b),
    (lambda m, a, b: getattr(m, D).Gamma(_pos(a), _pos(b)), lambda m, a, b: _pos(b)),
    (lambda m, a, b: getattr(m, D).Chi2(_pos(a) * 3), lambda m, a, b: _pos(b)),
    (lambda m, a, b: getattr(m, D).Beta(_pos(a), _pos(b)), lambda m, a, b: _unit(b)),
    (lambda m, a, b: getattr(m, D).Poisson(_pos(a)), lambda m, a, b: (b.abs() * 3).floor()),
    (lambda m, a, b: getattr(m, D).Binomial(5, probs=_unit(a)),
     lambda m, a, b: (b.abs() * 2).floor()),
    (lambda m, a, b: getattr(m, D).StudentT(_pos(a) + 2, b, _pos(b)), lambda m, a, b: a * b),
    (lambda m, a, b: getattr(m, D).HalfNormal(_pos(a)), lambda m, a, b: _pos(b)),
    (lambda m, a, b: getattr(m, D).Gumbel(a, _pos(b)), lambda m, a, b: b),
    (lambda m, a, b: getattr(m, D).Dirichlet(_pos(a)), lambda m, a, b: b.softmax(-1)),
    (lambda m, a, b: getattr(m, D).MultivariateNormal(a, scale_tril=b.tril() * 0.3 + 2 * m.eye(4,
                                                      dtype=a.dtype)), lambda m, a, b: b[..., 0, :]),
    (lambda m, a, b: getattr(m, D).MultivariateNormal(a, covariance_matrix=_spd(m, b)),
     lambda m, a, b: b[..., 1, :]),
    (lambda m, a, b: getattr(m, D).MultivariateNormal(a, precision_matrix=_spd(m, b)),
     lambda m, a, b: b[..., 1, :]),
]
_MVN = 22   # index of the first MultivariateNormal case (matrix parameter)


def _shapes(i):
    return [(3, 4), (3, 4, 4)] if i >= _MVN else [(3, 4), (3, 4)]


@pytest.mark.parametrize("i", range(len(CASES)))
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance"])
def test_against_torch(i, what):
    make, value = CASES[i]
    if what == "entropy" and i in (16,):
        pytest.skip("torch's Poisson has no closed-form entropy")

    def fn(m, a, b):
        d = make(m, a, b)
        if what == "log_prob":
            return d.log_prob(value(m, a, b))
        if what == "entropy":
            return d.entropy()
        return getattr(d, what)
    if (what in ("mean",) and i in (8, 9)) or (what in ("mean", "variance") and i == 5):
        # Categorical's mean, Cauchy's mean and variance: nan / inf constants in both
        check_op(fn, _shapes(i), lib=True, grad=False)
        return
    check_op(fn, _shapes(i), lib=True)


@pytest.mark.parametrize("i", [0, 1, 2, 3, 4, 5, 13, 14, 19, 20])
def test_cdf_icdf(i):
    make, value = CASES[i]
    # Gamma, Chi2: the incomplete gamma function has no derivative in its first argument, in
    # torch either (raises NotImplementedError on backward)
    check_op(lambda m, a, b: make(m, a, b).cdf(value(m, a, b)), _shapes(i), lib=True,
             grad=i not in (13, 14))
    if i not in (13, 14):                       # torch's Gamma has no icdf
        check_op(lambda m, a, b: make(m, a, b).icdf(_unit(b)), _shapes(i), lib=True)


@pytest.mark.parametrize("i", range(len(CASES)))
def test_sample_shape_dtype(i):
    make, _ = CASES[i]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in _shapes(i)]
    dg, dt = make(gt, *map(gt.tensor, arrays)), make(torch, *map(torch.tensor, arrays))
    assert tuple(dg.batch_shape) == tuple(dt.batch_shape)
    assert tuple(dg.event_shape) == tuple(dt.event_shape)
    for shape in [(), (5,), (2, 3)]:
        sg, st = dg.sample(shape), dt.sample(shape)
        assert tuple(sg.shape) == tuple(st.shape) and str(sg.dtype) == str(st.dtype)
        assert not sg.requires_grad
    assert dg.has_rsample == dt.has_rsample


@pytest.mark.parametrize("make,mean,var", [
    (lambda m: getattr(m, D).Normal(1.5, 2.0), 1.5, 4.0),
    (lambda m: getattr(m, D).Uniform(-1.0, 3.0), 1.0, 16 / 12),
    (lambda m: getattr(m, D).Exponential(2.0), 0.5, 0.25),
    (lambda m: getattr(m, D).Laplace(0.5, 1.0), 0.5, 2.0),
    (lambda m: getattr(m, D).Bernoulli(probs=0.3), 0.3, 0.21),
    (lambda m: getattr(m, D).Categorical(probs=m.tensor([0.2, 0.5, 0.3])), 1.1, 0.49),
    (lambda m: getattr(m, D).Geometric(probs=0.4), 1.5, 3.75),
    (lambda m: getattr(m, D).Gamma(2.0, 4.0), 0.5, 0.125),
    (lambda m: getattr(m, D).Beta(2.0, 3.0), 0.4, 0.04),
    (lambda m: getattr(m, D).Poisson(3.0), 3.0, 3.0),
    (lambda m: getattr(m, D).Binomial(10, probs=0.3), 3.0, 2.1),
    (lambda m: getattr(m, D).StudentT(5.0), 0.0, 5 / 3),
    (lambda m: getattr(m, D).HalfNormal(2.0), 2 * (2 / 3.141592653589793) ** 0.5,
     4 * (1 - 2 / 3.141592653589793)),
    (lambda m: getattr(m, D).Gumbel(1.0, 2.0), 1.0 + 2 * 0.5772156649, 3.141592653589793 ** 2
     / 6 * 4),
])
def test_sample_statistics(make, mean, var):
    gt.manual_seed(0)
    x = make(gt).sample((40000,)).double()
    assert abs(float(x.mean()) - mean) < 4 * (var / 40000) ** 0.5
    assert abs(float(x.var()) - var) < 0.05 * var + 0.01


def test_rsample_gradient_is_reparameterized():
    loc = gt.tensor([0.5, -1.0], requires_grad=True)
    scale = gt.tensor([1.0, 2.0], requires_grad=True)
    gt.manual_seed(0)
    x = gt.distributions.Normal(loc, scale).rsample((3,))
    gt.manual_seed(0)
    eps = gt.randn(3, 2, dtype=loc.dtype)
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [3.0, 3.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0).numpy(), rtol=1e-6)
    mvn = gt.distributions.MultivariateNormal(loc, scale_tril=gt.eye(2) * 2)
    assert mvn.rsample((4,)).shape == (4, 2)


KL = [
    (lambda m, a, b: getattr(m, D).Normal(a, _pos(b)),
     lambda m, a, b: getattr(m, D).Normal(b, _pos(a))),
    (lambda m, a, b: getattr(m, D).Bernoulli(logits=a),
     lambda m, a, b: getattr(m, D).Bernoulli(probs=_unit(b))),
    (lambda m, a, b: getattr(m, D).Categorical(logits=a),
     lambda m, a, b: getattr(m, D).Categorical(logits=b)),
    (lambda m, a, b: getattr(m, D).OneHotCategorical(logits=a),
     lambda m, a, b: getattr(m, D).OneHotCategorical(logits=b)),
    (lambda m, a, b: getattr(m, D).Uniform(a - 1, a + 1),
     lambda m, a, b: getattr(m, D).Uniform(a - 2, a + _pos(b) + 1)),
    (lambda m, a, b: getattr(m, D).Exponential(_pos(a)),
     lambda m, a, b: getattr(m, D).Exponential(_pos(b))),
    (lambda m, a, b: getattr(m, D).Laplace(a, _pos(b)),
     lambda m, a, b: getattr(m, D).Laplace(b, _pos(a))),
    (lambda m, a, b: getattr(m, D).Independent(getattr(m, D).Normal(a, _pos(b)), 1),
     lambda m, a, b: getattr(m, D).Independent(getattr(m, D).Normal(b, _pos(a)), 1)),
]


@pytest.mark.parametrize("i", range(len(KL)))
def test_kl(i):
    p, q = KL[i]
    check_op(lambda m, a, b: getattr(m, D).kl_divergence(p(m, a, b), q(m, a, b)),
             [(3, 4), (3, 4)], lib=True)


def test_kl_mvn():
    def fn(m, a, b, c):
        p = getattr(m, D).MultivariateNormal(a[0], covariance_matrix=_spd(m, b))
        q = getattr(m, D).MultivariateNormal(a[1], covariance_matrix=_spd(m, c))
        return getattr(m, D).kl_divergence(p, q)
    check_op(fn, [(2, 3), (3, 3), (3, 3)], lib=True)


@pytest.mark.parametrize("call", [
    lambda m: getattr(m, D).Normal(0.0, -1.0),
    lambda m: getattr(m, D).Bernoulli(probs=m.tensor([1.5])),
    lambda m: getattr(m, D).Bernoulli(probs=m.tensor([0.5]), logits=m.tensor([0.0])),
    lambda m: getattr(m, D).Categorical(probs=m.tensor([-0.5, 1.5])),
    lambda m: getattr(m, D).Exponential(m.tensor([0.0])),
    lambda m: getattr(m, D).MultivariateNormal(m.zeros(2)),
])
def test_bad_parameters_raise_value_error(call):
    check_raises(call, lib=True)


def test_kl_unknown_pair_raises():
    with pytest.raises(NotImplementedError):
        gt.distributions.kl_divergence(gt.distributions.Normal(0., 1.),
                                       gt.distributions.Bernoulli(probs=0.5))


@pytest.mark.parametrize("make", [
    lambda m: getattr(m, D).Bernoulli(probs=m.tensor([[0.2, 0.7]], dtype=m.float64)),
    lambda m: getattr(m, D).Binomial(3, probs=m.tensor([0.2, 0.7], dtype=m.float64)),
    lambda m: getattr(m, D).Categorical(probs=m.tensor([[0.2, 0.8], [0.5, 0.5]],
                                                       dtype=m.float64)),
    lambda m: getattr(m, D).OneHotCategorical(probs=m.tensor([0.2, 0.3, 0.5],
                                                             dtype=m.float64)),
    lambda m: getattr(m, D).Independent(getattr(m, D).Bernoulli(probs=m.tensor(
        [0.2, 0.7], dtype=m.float64)), 0),
])
def test_enumerate_support(make):
    dg, dt = make(gt), make(torch)
    assert dg.has_enumerate_support == dt.has_enumerate_support
    for expand in (True, False):
        vg, vt = dg.enumerate_support(expand), dt.enumerate_support(expand)
        assert tuple(vg.shape) == tuple(vt.shape) and str(vg.dtype) == str(vt.dtype)
        np.testing.assert_array_equal(vg.numpy(), vt.numpy())
    np.testing.assert_allclose(dg.log_prob(dg.enumerate_support()).exp().sum(0).numpy(), 1.0)


def test_torch_module_paths_resolve():
    """Every submodule of torch.distributions imports from glasstorch with the same names."""
    import importlib
    import pkgutil
    for info in pkgutil.iter_modules(torch.distributions.__path__):
        tmod = importlib.import_module("torch.distributions." + info.name)
        gmod = importlib.import_module("glasstorch.distributions." + info.name)
        for name in tmod.__all__:
            assert getattr(gmod, name, None) is not None, (info.name, name)
    from glasstorch.distributions.normal import Normal
    assert Normal is gt.distributions.Normal


def test_user_subclass_protocol():
    """A user's Distribution subclass gets torch's behaviour: warnings when validating without
    arg_constraints / support, _get_checked_instance for expand()."""
    for m in (gt, torch):
        class Coin(getattr(m, D).Distribution):
            def __init__(self, p, validate_args=None):
                self.p = p
                super().__init__(m.Size(p.shape), validate_args=validate_args)

            def log_prob(self, value):
                self._validate_sample(value)
                return value * self.p.log() + (1 - value) * (1 - self.p).log()

            def expand(self, batch_shape, _instance=None):
                new = self._get_checked_instance(Coin, _instance)
                new.p = self.p.expand(batch_shape)
                super(Coin, new).__init__(m.Size(batch_shape), validate_args=False)
                return new
        with pytest.warns(UserWarning, match="arg_constraints"):
            c = Coin(m.tensor([0.3, 0.6]))
        with pytest.warns(UserWarning, match="support"):
            c.log_prob(m.tensor([1.0, 0.0]))
        assert tuple(c.expand((4, 2)).batch_shape) == (4, 2)
        with pytest.raises(NotImplementedError):
            getattr(m, D).Distribution(validate_args=False).mean


def test_class_tree_matches_torch():
    """Every public class subclasses the same torch.distributions bases (isinstance checks in
    user code agree)."""
    import inspect
    bases = ["Distribution", "ExponentialFamily", "TransformedDistribution"]
    for name in torch.distributions.__all__:
        tcls = getattr(torch.distributions, name)
        if not inspect.isclass(tcls) or not issubclass(tcls, torch.distributions.Distribution):
            continue
        gcls = getattr(gt.distributions, name)
        for b in bases:
            assert issubclass(gcls, getattr(gt.distributions, b)) == \
                issubclass(tcls, getattr(torch.distributions, b)), (name, b)
