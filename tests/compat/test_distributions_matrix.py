"""LowRankMultivariateNormal, Wishart and LKJCholesky vs torch: log_prob, entropy, moments and
derived matrices (values and gradients), shapes and dtypes of draws, that draws lie in the
support, sample moments, and bad-parameter errors."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op


def _spd(m, b):
    return b @ b.transpose(-2, -1) + 2 * m.eye(b.shape[-1], dtype=b.dtype)


def _D(m):
    return m.distributions


CORR = [[1.0, 0.3, 0.2], [0.3, 1.0, -0.4], [0.2, -0.4, 1.0]]
CASES = {  # name: (make(m, a, w, b), value(m, a, w, b))
    "LowRankMVN": (lambda m, a, w, b: _D(m).LowRankMultivariateNormal(a, w, a.abs() + 0.5),
                   lambda m, a, w, b: a * 0.3 + 1),
    "LowRankMVNBroadcast": (
        lambda m, a, w, b: _D(m).LowRankMultivariateNormal(a, w[0], a[0].abs() + 0.5),
        lambda m, a, w, b: a.flip(0)),
    "WishartCov": (lambda m, a, w, b: _D(m).Wishart(a[:, 0].abs() + 3, covariance_matrix=_spd(
        m, b)), lambda m, a, w, b: _spd(m, b.flip(0))),
    "WishartTril": (lambda m, a, w, b: _D(m).Wishart(a[:, 1].abs() + 2.5, scale_tril=m.linalg
                                                     .cholesky(_spd(m, b))),
                    lambda m, a, w, b: _spd(m, b.flip(0))),
    "WishartPrec": (lambda m, a, w, b: _D(m).Wishart(a[:, 2].abs() + 4,
                                                     precision_matrix=_spd(m, b)),
                    lambda m, a, w, b: _spd(m, b.flip(0))),
    "WishartNumberDf": (lambda m, a, w, b: _D(m).Wishart(4.5, covariance_matrix=_spd(m, b)),
                        lambda m, a, w, b: _spd(m, b.flip(0))),
    "LKJCholesky": (lambda m, a, w, b: _D(m).LKJCholesky(3, a[:, 0].abs() + 0.5),
                    lambda m, a, w, b: m.linalg.cholesky(m.tensor(CORR, dtype=a.dtype))),
}
SHAPES = [(2, 4), (2, 4, 2), (2, 3, 3)]
STATS = {"LowRankMVN": ["log_prob", "entropy", "mean", "variance", "covariance_matrix",
                        "precision_matrix", "scale_tril"],
         "Wishart": ["log_prob", "entropy", "mean", "variance", "mode", "covariance_matrix",
                     "precision_matrix", "scale_tril"],
         "WishartNumberDf": ["log_prob", "entropy"],   # torch's .mean fails on a number df
         "LKJCholesky": ["log_prob"]}


def _params():
    for name in CASES:
        key = name if name in STATS else name.replace("Broadcast", "").replace(
            "Cov", "").replace("Tril", "").replace("Prec", "")
        for what in STATS[key]:
            yield name, what


@pytest.mark.parametrize("name,what", list(_params()))
def test_against_torch(name, what):
    make, value = CASES[name]

    def fn(m, a, w, b):
        d = make(m, a, w, b)
        if what == "log_prob":
            return d.log_prob(value(m, a, w, b))
        return d.entropy() if what == "entropy" else getattr(d, what)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # torch's "Singular sample" / low-df warnings
        check_op(fn, SHAPES, lib=True, grad=what != "mode")


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_shape_dtype_support(name):
    make, _ = CASES[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in SHAPES]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dg, dt = make(gt, *map(gt.tensor, arrays)), make(torch, *map(torch.tensor, arrays))
        assert tuple(dg.batch_shape) == tuple(dt.batch_shape)
        assert tuple(dg.event_shape) == tuple(dt.event_shape)
        assert dg.has_rsample == dt.has_rsample
        for shape in [(), (4,), (2, 3)]:
            sg, st = dg.sample(shape), dt.sample(shape)
            assert tuple(sg.shape) == tuple(st.shape) and str(sg.dtype) == str(st.dtype)
            assert bool(dg.support.check(sg).all())


def test_sample_moments():
    gt.manual_seed(0)
    cov = gt.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=gt.float64)
    w = gt.distributions.Wishart(5.0, covariance_matrix=cov)
    x = w.sample((20000,))
    np.testing.assert_allclose(x.mean(0).numpy(), w.mean.numpy(), rtol=0.03, atol=0.03)
    np.testing.assert_allclose(x.var(0).numpy(), w.variance.numpy(), rtol=0.1)
    lr = gt.distributions.LowRankMultivariateNormal(
        gt.tensor([1.0, -1.0, 0.0], dtype=gt.float64),
        gt.tensor([[1.0], [0.5], [-1.0]], dtype=gt.float64),
        gt.tensor([0.5, 1.0, 0.2], dtype=gt.float64))
    y = lr.sample((40000,))
    emp = (y - y.mean(0)).T @ (y - y.mean(0)) / 40000
    np.testing.assert_allclose(emp.numpy(), lr.covariance_matrix.numpy(), atol=0.04)
    # LKJ(eta) in d dims: an off-diagonal correlation is 2 B - 1, B ~ Beta(eta - 1 + d/2,
    # same), of variance 1 / (2 eta + d - 1) = 1/4 for eta = 1, d = 3
    L = gt.distributions.LKJCholesky(3, 1.0).sample((20000,)).double()
    C = L @ L.transpose(-2, -1)
    np.testing.assert_allclose(C.diagonal(0, -2, -1).numpy(), 1.0, atol=1e-5)
    assert abs(float(C[:, 0, 1].mean())) < 0.02 and abs(float(C[:, 0, 1].var()) - 0.25) < 0.01


def test_rsample_gradients_flow():
    loc = gt.zeros(3, dtype=gt.float64, requires_grad=True)
    W = gt.ones(3, 2, dtype=gt.float64, requires_grad=True)
    D = gt.ones(3, dtype=gt.float64, requires_grad=True)
    gt.distributions.LowRankMultivariateNormal(loc, W, D).rsample((5,)).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), 5.0)
    assert W.grad is not None and D.grad is not None
    w = gt.distributions.Wishart(4.5, covariance_matrix=gt.eye(2) * 2)
    np.testing.assert_allclose(w.mean.numpy(), 9 * np.eye(2), rtol=1e-6)
    L = gt.eye(2, dtype=gt.float64).requires_grad_()
    df = gt.tensor(4.0, dtype=gt.float64, requires_grad=True)
    gt.distributions.Wishart(df, scale_tril=L).rsample((3,)).diagonal(0, -2, -1).sum() \
        .backward()
    assert L.grad is not None and df.grad is not None


def test_bad_parameters():
    D = gt.distributions
    with pytest.raises(ValueError):
        D.LKJCholesky(1)
    with pytest.raises(ValueError):
        D.LKJCholesky(3, -1.0)
    with pytest.raises(ValueError):
        D.Wishart(1.0, covariance_matrix=gt.eye(3))           # df <= p - 1
    with pytest.raises(ValueError):
        D.Wishart(4.0, covariance_matrix=gt.eye(2), scale_tril=gt.eye(2))
    with pytest.raises(ValueError):
        D.Wishart(4.0, covariance_matrix=-gt.eye(2))
    with pytest.raises(ValueError):
        D.LowRankMultivariateNormal(gt.zeros(3), gt.ones(2, 1), gt.ones(3))
    with pytest.raises(ValueError):
        D.LowRankMultivariateNormal(gt.zeros(3), gt.ones(3, 1), -gt.ones(3))
    with pytest.raises(ValueError):
        D.LKJCholesky(2).log_prob(gt.eye(2) * 2)               # not a correlation factor
