"""Dropout (glasstorch/ops/dropout.py, nn/modules/dropout.py). Masks come from glasstorch's
generator, so against torch only where the result is deterministic (eval, p = 0, p = 1,
errors, reprs); otherwise the statistics of the masks: the drop fraction, the exact scale of
kept units, channel-wise structure, alpha dropout's mean and variance, reproducibility under
manual_seed, and backward = upstream gradient * mask * scale."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
import glasstorch.nn as gnn
from helpers import check_op, check_raises

SAT = 1.7580993408473766  # SELU's -scale * alpha


def F(lib):
    return lib.nn.functional


def _x(shape, seed=0, dtype=np.float32):
    # strictly positive inputs, so y / x recovers the mask times its scale
    return gt.tensor(np.random.default_rng(seed).uniform(0.5, 1.5, shape).astype(dtype),
                     requires_grad=True)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_statistics_scale_and_backward(p, dtype):
    gt.manual_seed(0)
    x = _x((200, 300), dtype=dtype)
    y = F(gt).dropout(x, p)
    assert y.dtype == x.dtype and y.shape == x.shape
    m = (y / x).detach().numpy()
    kept = m != 0
    # 60000 Bernoulli draws: the dropped fraction is p within 5 standard deviations
    assert abs((~kept).mean() - p) < 5 * np.sqrt(p * (1 - p) / m.size)
    scale = (torch.ones(1, dtype=torch.float64 if dtype == np.float64 else torch.float32)
             / (1 - p)).item()
    np.testing.assert_allclose(m[kept], scale, rtol=1e-6)
    np.testing.assert_array_equal(y.detach().numpy()[kept],
                                  (x.detach().numpy() * np.asarray(scale, dtype))[kept])
    g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    y.backward(gt.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), g * m, rtol=1e-6)  # gy * mask * scale


@pytest.mark.parametrize("name, shape", [
    ("dropout", (6, 8)), ("dropout2d", (4, 6, 2, 3)), ("dropout1d", (5, 4)),
    ("alpha_dropout", (6, 8)), ("feature_alpha_dropout", (4, 6, 3)),
])
@pytest.mark.parametrize("dtype, layout", [("float64", "C"), ("float32", "T")])
def test_vs_torch_given_the_same_mask(name, shape, dtype, layout):
    """torch rebuilds y from glasstorch's mask (read off y): values and gradients must agree."""
    p, alpha = 0.4, "alpha" in name
    a = 1 / np.sqrt((SAT ** 2 * p + 1) * (1 - p))
    drop_value = -SAT * a * (1 - p) if alpha else 0.0
    keep = []

    def g_fn(lib, x):
        y = getattr(F(gt), name)(x, p, training=True)
        # (float32 rounds the dropped value differently per formula: compare to 1e-5)
        keep.append(~np.isclose(y.detach().numpy(), drop_value, rtol=0, atol=1e-5))
        return y

    def t_fn(lib, x):
        k = torch.tensor(keep[-1]).to(x.dtype)
        if alpha:
            return x * (k * a) + ((k - 1) * (SAT * a) + SAT * a * p)
        return x * (k / (1 - p))
    gt.manual_seed(0)
    check_op(g_fn, [shape], t_fn, lib=True, dtype=dtype, layout=layout, avoid=(0.0,))
    assert 0 < keep[-1].mean() < 1


def test_dropout_is_reproducible_under_manual_seed():
    x = _x((50, 40))
    gt.manual_seed(7)
    a = F(gt).dropout(x, 0.4).detach().numpy()
    b = F(gt).dropout(x, 0.4).detach().numpy()
    gt.manual_seed(7)
    c = F(gt).dropout(x, 0.4).detach().numpy()
    np.testing.assert_array_equal(a, c)
    assert (a != b).any()


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout", "feature_alpha_dropout",
                                  "dropout1d", "dropout2d", "dropout3d"])
def test_identity_in_eval_and_for_p0(name):
    shape = {"dropout1d": (2, 3, 4), "dropout3d": (2, 3, 2, 2, 2)}.get(name, (2, 3, 4, 4))
    for lib in (gt, torch):
        x = lib.ones(shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert getattr(F(lib), name)(x, 0.5, training=False) is x
            assert getattr(F(lib), name)(x, 0.0, training=True) is x


@pytest.mark.parametrize("fn", [
    lambda lib, x: F(lib).dropout(x, 1.0),
    lambda lib, x: F(lib).dropout2d(x, 1.0),
    lambda lib, x: F(lib).alpha_dropout(x, 1.0, True),
    lambda lib, x: F(lib).feature_alpha_dropout(x, 1.0, True),
    lambda lib, x: F(lib).dropout(x * 1, 1.0, inplace=True),
    lambda lib, x: F(lib).dropout(x, 0.0),
    lambda lib, x: F(lib).dropout(x, 0.7, training=False),
    lambda lib, x: F(lib).alpha_dropout(x, 0.7),  # training defaults to False
    lambda lib, x: lib.nn.Dropout(0.3).eval()(x),
    lambda lib, x: lib.nn.AlphaDropout(0.3).eval()(x),
])
def test_deterministic_cases_vs_torch(fn):
    check_op(fn, [(2, 3, 4, 4)], lib=True)
    check_op(fn, [(2, 3, 4, 4)], lib=True, dtype="float32")


def test_integer_inputs():
    check_op(lambda lib, x: F(lib).dropout(x, 1.0), [("int", (3, 4), -5, 5)], lib=True)
    check_op(lambda lib, x: F(lib).dropout(x, 0.5, False), [("int", (3, 4), -5, 5)], lib=True)
    check_raises(lambda lib, x: F(lib).dropout(x.long(), 0.5), [(3, 4)], lib=True,
                 match="result type Float can't be cast to the desired output type Long")


@pytest.mark.parametrize("name, shape, channels", [
    ("dropout1d", (20, 30, 7), (20, 30, 1)),
    ("dropout1d", (600, 7), (600, 1)),            # unbatched (C, L)
    ("dropout2d", (20, 30, 3, 3), (20, 30, 1, 1)),
    ("dropout3d", (20, 30, 2, 2, 2), (20, 30, 1, 1, 1)),
    ("dropout3d", (600, 2, 2, 2), (600, 1, 1, 1)),  # unbatched (C, D, H, W)
])
def test_channel_dropout_drops_whole_channels(name, shape, channels):
    gt.manual_seed(1)
    p = 0.4
    x = _x(shape)
    y = getattr(F(gt), name)(x, p)
    m = (y / x).detach().numpy()
    k = sum(c > 1 for c in channels)  # the leading (N,) C dims: one mask entry each
    kept = (m != 0).reshape(shape[:k] + (-1,))
    assert (kept == kept[..., :1]).all()  # every channel kept or dropped as a whole
    np.testing.assert_allclose(m[m != 0], 1 / (1 - p), rtol=1e-6)
    assert abs((~kept[..., 0]).mean() - p) < 5 * np.sqrt(p * (1 - p) / kept[..., 0].size)
    y.backward(gt.ones_like(y))
    np.testing.assert_allclose(x.grad.numpy(), m, rtol=1e-6)


def test_dropout2d_warns_like_torch():
    for lib in (gt, torch):
        with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
            F(lib).dropout2d(lib.ones(2, 3, 4))
        with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
            F(lib).dropout2d(lib.ones(2, 3))


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_keeps_mean_and_variance(feature):
    gt.manual_seed(2)
    p = 0.2
    x = gt.tensor(np.random.default_rng(0).standard_normal((400, 50, 10)).astype(np.float32),
                  requires_grad=True)
    fn = F(gt).feature_alpha_dropout if feature else F(gt).alpha_dropout
    y = fn(x, p, training=True)
    yv = y.detach().numpy()
    # a standardized input stays standardized (Klambauer et al. 2017, eq. 6)
    assert abs(yv.mean()) < 0.02 and abs(yv.std() - 1) < 0.02
    a = 1 / np.sqrt((SAT ** 2 * p + 1) * (1 - p))
    y.backward(gt.ones_like(y))
    dropped = x.grad.numpy() == 0
    assert abs(dropped.mean() - p) < 0.01
    np.testing.assert_allclose(x.grad.numpy()[~dropped], a, rtol=1e-6)  # gy * mask * a
    np.testing.assert_allclose(yv[dropped], -SAT * a * (1 - p), rtol=1e-6)
    xv = x.detach().numpy()
    np.testing.assert_allclose(yv[~dropped], a * xv[~dropped] + SAT * a * p, rtol=1e-5,
                               atol=1e-6)
    if feature:
        assert (dropped == dropped[:, :, :1]).all()  # whole channels of (N, C, L)


def test_inplace_dropout():
    gt.manual_seed(3)
    a = _x((30, 40))
    x = a * 1
    y = F(gt).dropout(x, 0.5, inplace=True)
    assert y is x
    m = (y / a).detach().numpy()
    assert set(np.unique(m)) == {0.0, 2.0}
    y.backward(gt.ones_like(y))
    np.testing.assert_array_equal(a.grad.numpy(), m)
    leaf = _x((3, 3))
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F(gt).dropout(leaf, 0.5, inplace=True)


@pytest.mark.parametrize("fn, exc, match", [
    (lambda lib, x: F(lib).dropout(x, 1.5), ValueError,
     "dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda lib, x: F(lib).dropout(x, -0.1), ValueError, "but got -0.1"),
    (lambda lib, x: F(lib).dropout2d(x, 2), ValueError, "but got 2"),
    (lambda lib, x: F(lib).alpha_dropout(x, 1.1, True), ValueError, "but got 1.1"),
    (lambda lib, x: lib.nn.Dropout(-1), ValueError, "but got -1"),
    (lambda lib, x: lib.nn.AlphaDropout(3.0), ValueError, "but got 3.0"),
    (lambda lib, x: F(lib).dropout1d(x[None, None]), RuntimeError,
     "dropout1d: Expected 2D or 3D input, but received a 4D input"),
    (lambda lib, x: F(lib).feature_alpha_dropout(x[0], 0.5, True), RuntimeError,
     "Feature dropout requires at least 2 dimensions in the input"),
])
def test_errors(fn, exc, match):
    check_raises(fn, [(2, 3)], lib=True, exc=exc, match=match)


@pytest.mark.parametrize("build", [
    lambda nn: nn.Dropout(), lambda nn: nn.Dropout(0.2, inplace=True), lambda nn: nn.Dropout1d(),
    lambda nn: nn.Dropout2d(0.3), lambda nn: nn.Dropout3d(1), lambda nn: nn.AlphaDropout(0.1),
    lambda nn: nn.FeatureAlphaDropout(0.25),
])
def test_module_repr_and_modes(build):
    g, t = build(gnn), build(torch.nn)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == []
    shape = {"Dropout1d": (40, 30, 2), "Dropout2d": (40, 30, 2, 2)}.get(type(g).__name__,
                                                                        (40, 30, 2, 2, 2))
    x = gt.ones(shape)
    g.eval()
    assert g(x) is x
    g.train()
    assert not np.array_equal(g(x.clone()).numpy(), x.numpy())


def test_dropout_module_in_a_model():
    gt.manual_seed(4)
    model = gnn.Sequential(gnn.Linear(10, 50), gnn.ReLU(), gnn.Dropout(0.5), gnn.Linear(50, 1))
    x = gt.randn(8, 10)
    model.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), model(x).detach().numpy())
    model.train()
    assert not np.array_equal(model(x).detach().numpy(), model(x).detach().numpy())
