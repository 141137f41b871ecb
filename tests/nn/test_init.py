"""nn.init against torch.nn.init, by distribution (the random streams differ): each random init
is compared on a large tensor with torch's by a two-sample Kolmogorov-Smirnov test, plus its
bounds and moments within a few standard errors; the deterministic inits exactly. Also
calculate_gain, fan computations, errors, warnings and the deprecated aliases."""
import math
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.nn import init as ginit
from tests.helpers import check_raises

P = pytest.param
NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                  "leaky_relu", "selu"]


def _samples(fn, shape):
    """fn(init_module, tensor) applied to a fresh (seeded) tensor of both frameworks."""
    gt.manual_seed(0)
    torch.manual_seed(0)
    g, t = gt.empty(*shape), torch.empty(*shape)
    assert fn(ginit, g) is g
    fn(torch.nn.init, t)
    return g.numpy().astype(np.float64).ravel(), t.numpy().astype(np.float64).ravel()


def _same_distribution(a, b):
    """Two-sample KS statistic below its 1e-4 critical value, and equal means and stds within
    5 standard errors of their difference."""
    n, m = a.size, b.size
    grid = np.concatenate([a, b])
    d = np.abs(np.searchsorted(np.sort(a), grid, "right") / n
               - np.searchsorted(np.sort(b), grid, "right") / m).max()
    assert d < 2.23 * math.sqrt((n + m) / (n * m)), f"KS distance {d}"
    sd = max(a.std(), b.std())
    assert abs(a.mean() - b.mean()) < 5 * sd * math.sqrt(1 / n + 1 / m) + 1e-12
    # var(sample std) ~ sd^2 (kurtosis - 1) / (4 n); kurtosis <= 3 here (no heavy tails)
    assert abs(a.std() - b.std()) < 5 * sd * math.sqrt(2 / (4 * n) + 2 / (4 * m)) * 1.5 + 1e-12


RANDOM_INITS = [
    P(lambda I, w: I.uniform_(w, -0.5, 2.0), (400, 250), 2.0, id="uniform"),
    P(lambda I, w: I.normal_(w, 1.0, 3.0), (400, 250), None, id="normal"),
    P(lambda I, w: I.trunc_normal_(w), (400, 250), 2.0, id="trunc_normal"),
    P(lambda I, w: I.trunc_normal_(w, 1.0, 2.0, -1.0, 5.0), (400, 250), 5.0,
      id="trunc_normal-shifted"),
    P(lambda I, w: I.trunc_normal_(w, 0.0, 1.0, 1.5, 4.0), (100, 250), 4.0,
      id="trunc_normal-tail"),   # under 30% of the mass: torch's (slow) uniform proposals
    P(lambda I, w: I.xavier_uniform_(w), (200, 500), math.sqrt(6 / 700), id="xavier_uniform"),
    P(lambda I, w: I.xavier_uniform_(w, gain=2.0), (64, 32, 7, 7),
      2 * math.sqrt(6 / (96 * 49)), id="xavier_uniform-conv"),
    P(lambda I, w: I.xavier_normal_(w, gain=0.5), (64, 32, 7, 7), None, id="xavier_normal"),
    P(lambda I, w: I.kaiming_uniform_(w), (300, 300), math.sqrt(6 / 300),
      id="kaiming_uniform"),
    P(lambda I, w: I.kaiming_uniform_(w, a=math.sqrt(5)), (64, 32, 7, 7),
      1 / math.sqrt(32 * 49), id="kaiming_uniform-linear-default"),
    P(lambda I, w: I.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"), (20, 80, 8, 8),
      math.sqrt(6 / (20 * 64)), id="kaiming_uniform-fan_out"),
    P(lambda I, w: I.kaiming_normal_(w), (300, 300), None, id="kaiming_normal"),
    P(lambda I, w: I.kaiming_normal_(w, a=0.2, mode="fan_out"), (64, 32, 7, 7), None,
      id="kaiming_normal-fan_out"),
    P(lambda I, w: I.orthogonal_(w), (300, 300), None, id="orthogonal"),
    P(lambda I, w: I.orthogonal_(w, gain=2.0), (100, 10, 100), None, id="orthogonal-wide"),
    P(lambda I, w: I.sparse_(w, 0.3, std=0.5), (400, 250), None, id="sparse"),
]


@pytest.mark.parametrize("fn, shape, bound", RANDOM_INITS)
def test_random_init_matches_torch_distribution(fn, shape, bound):
    a, b = _samples(fn, shape)
    _same_distribution(a, b)
    if bound is not None:
        assert np.abs(a).max() <= bound * (1 + 1e-6)


@pytest.mark.parametrize("fn, mean, std", [
    P(lambda I, w: I.uniform_(w, -0.5, 2.0), 0.75, 2.5 / math.sqrt(12), id="uniform"),
    P(lambda I, w: I.normal_(w, 1.0, 3.0), 1.0, 3.0, id="normal"),
    P(lambda I, w: I.xavier_normal_(w, gain=0.5), 0.0, 0.5 * math.sqrt(2 / 700),
      id="xavier_normal"),
    P(lambda I, w: I.kaiming_normal_(w, nonlinearity="tanh"), 0.0, 5 / 3 / math.sqrt(500),
      id="kaiming_normal-tanh"),
    P(lambda I, w: I.kaiming_uniform_(w, a=0.1), 0.0, math.sqrt(2 / 1.01 / 500),
      id="kaiming_uniform-leaky"),
])
def test_random_init_moments(fn, mean, std):
    a, _ = _samples(fn, (200, 500))
    n = a.size
    assert abs(a.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(a.std() - std) < 5 * std * math.sqrt(1 / n)


def test_trunc_normal_bounds_and_moments():
    # N(0, 1) on [-2, 2]: std^2 = 1 - 2 * 2 phi(2) / (Phi(2) - Phi(-2))
    a, _ = _samples(lambda I, w: I.trunc_normal_(w), (400, 250))
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    std = math.sqrt(1 - 4 * phi2 / math.erf(2 / math.sqrt(2)))
    assert a.min() >= -2 and a.max() <= 2 and a.max() > 1.99
    assert abs(a.mean()) < 5 * std / math.sqrt(a.size)
    assert abs(a.std() - std) < 5 * std / math.sqrt(a.size)
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        far, _ = _samples(lambda I, w: I.trunc_normal_(w, 0.0, 1.0, 8.0, 9.0), (1000,))
    assert far.min() >= 8 and far.max() <= 9 and far.mean() < 8.2   # mass piles up at 8


@pytest.mark.parametrize("shape", [(50, 80), (80, 50), (30, 4, 5), (1, 7)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_rows_or_columns_orthonormal(shape, gain):
    w = ginit.orthogonal_(gt.empty(*shape), gain=gain).numpy().reshape(shape[0], -1)
    w = w.astype(np.float64) / gain
    eye = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(eye, np.eye(len(eye)), atol=1e-5)


@pytest.mark.parametrize("sparsity, rows", [(0.1, 50), (0.25, 40), (0.9, 7), (0.0, 5)])
def test_sparse_zero_count_per_column(sparsity, rows):
    w = ginit.sparse_(gt.empty(rows, 30), sparsity, std=0.1).numpy()
    assert ((w == 0).sum(0) == math.ceil(sparsity * rows)).all()
    assert np.abs(w).max() < 0.1 * 6


@pytest.mark.parametrize("fn, shape", [
    P(lambda I, w: I.constant_(w, 0.3), (3, 4), id="constant"),
    P(lambda I, w: I.ones_(w), (2, 3, 4), id="ones"),
    P(lambda I, w: I.zeros_(w), (5,), id="zeros"),
    P(lambda I, w: I.eye_(w), (3, 5), id="eye-wide"),
    P(lambda I, w: I.eye_(w), (5, 3), id="eye-tall"),
    P(lambda I, w: I.dirac_(w), (4, 2, 3), id="dirac-1d"),
    P(lambda I, w: I.dirac_(w), (3, 5, 3, 4), id="dirac-2d"),
    P(lambda I, w: I.dirac_(w, groups=2), (6, 3, 3, 3), id="dirac-groups"),
    P(lambda I, w: I.dirac_(w, groups=3), (6, 1, 2, 3, 5), id="dirac-3d-groups"),
])
def test_deterministic_init_exact(fn, shape):
    g, t = _samples(fn, shape)
    np.testing.assert_array_equal(g, t)


@pytest.mark.parametrize("fn", [
    P(lambda I, w: I.uniform_(w), id="uniform"),
    P(lambda I, w: I.kaiming_normal_(w), id="kaiming_normal"),
    P(lambda I, w: I.orthogonal_(w), id="orthogonal"),
    P(lambda I, w: I.eye_(w), id="eye"),
])
def test_init_keeps_leaf_and_bumps_version(fn):
    p = gt.nn.Parameter(gt.zeros(4, 6))
    v = p._version
    assert fn(ginit, p) is p
    assert p.requires_grad and p.grad_fn is None and p._version > v
    assert p.dtype == gt.float32


def test_generator_makes_draws_reproducible():
    draws = []
    for _ in range(2):
        g = gt.Generator().manual_seed(7)
        draws.append(ginit.normal_(gt.empty(10), generator=g).numpy())
        draws.append(ginit.kaiming_uniform_(gt.empty(3, 4), generator=g).numpy())
    np.testing.assert_array_equal(draws[0], draws[2])
    np.testing.assert_array_equal(draws[1], draws[3])


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_calculate_gain(nonlinearity):
    assert ginit.calculate_gain(nonlinearity) == torch.nn.init.calculate_gain(nonlinearity)


@pytest.mark.parametrize("param", [None, 0, 0.2, 3, -1.5])
def test_calculate_gain_leaky_relu_param(param):
    want = torch.nn.init.calculate_gain("leaky_relu", param)
    assert ginit.calculate_gain("leaky_relu", param) == want


@pytest.mark.parametrize("args", [("leaky_relu", True), ("leaky_relu", "0.1"), ("softmax",),
                                  ("Tanh",)])
def test_calculate_gain_errors(args):
    with pytest.raises(ValueError) as want:
        torch.nn.init.calculate_gain(*args)
    with pytest.raises(ValueError, match=str(want.value)):
        ginit.calculate_gain(*args)


@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5), (8, 3, 3, 3), (8, 3, 2, 3, 4), (0, 5),
                                   (4, 0, 3)])
def test_fan_in_and_fan_out(shape):
    want = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert ginit._calculate_fan_in_and_fan_out(gt.empty(*shape)) == want
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert ginit._calculate_correct_fan(gt.empty(*shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)


@pytest.mark.parametrize("fn, shape", [
    P(lambda I, w: I.xavier_uniform_(w), (5,), id="fan-1d"),
    P(lambda I, w: I.kaiming_normal_(w, mode="fan_avg"), (3, 4), id="bad-mode"),
    P(lambda I, w: I.kaiming_uniform_(w, nonlinearity="softmax"), (3, 4), id="bad-nonlin"),
    P(lambda I, w: I.eye_(w), (2, 3, 4), id="eye-3d"),
    P(lambda I, w: I.dirac_(w), (2, 3), id="dirac-2d"),
    P(lambda I, w: I.dirac_(w, groups=4), (6, 3, 3), id="dirac-groups"),
    P(lambda I, w: I.orthogonal_(w), (5,), id="orthogonal-1d"),
    P(lambda I, w: I.sparse_(w, 0.1), (2, 3, 4), id="sparse-3d"),
])
def test_init_errors(fn, shape):
    _, t_err = check_raises(lambda L, w: fn(L.nn.init, w), [shape], lib=True)
    with pytest.raises(ValueError, match=str(t_err).replace("[", r"\[").replace("]", r"\]")):
        fn(ginit, gt.empty(*shape))


@pytest.mark.parametrize("fn", [
    P(lambda I, w: I.kaiming_uniform_(w), id="kaiming_uniform"),
    P(lambda I, w: I.kaiming_normal_(w), id="kaiming_normal"),
])
def test_zero_element_warning(fn):
    w = gt.empty(0, 3)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert fn(ginit, w) is w
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ginit.orthogonal_(gt.empty(0, 3))     # orthogonal_ is a silent no-op, as torch


def test_trunc_normal_far_mean_warns():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        ginit.trunc_normal_(gt.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("name", ["uniform", "normal", "constant", "eye", "dirac",
                                  "xavier_uniform", "xavier_normal", "kaiming_uniform",
                                  "kaiming_normal", "orthogonal", "sparse"])
def test_deprecated_aliases_warn(name):
    args = {"constant": (0.5,), "sparse": (0.1,)}.get(name, ())
    shape = (3, 3, 3) if name == "dirac" else (3, 3)
    assert name in ginit.__all__
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of "
                      f"`nn.init.{name}_`"):
        w = gt.empty(*shape)
        assert getattr(ginit, name)(w, *args) is w
