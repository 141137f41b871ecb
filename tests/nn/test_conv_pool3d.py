"""3-D convolutions, pooling and padding (ops/conv3d.py, ops/pool3d.py, the 3-D layers of
nn/modules) against torch: values and gradients over stride/padding/dilation/groups/
output_padding, kernel/stride/padding/dilation/ceil_mode/count_include_pad/divisor_override,
return_indices and unpooling, adaptive and power-average pooling, the 3-D pads, unbatched and
empty-batch inputs, second derivatives, layer shapes/inits/reprs, lazy layers, and torch's
exact error messages for wrong input dims and arguments."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import check_op


def F(lib):
    return lib.nn.functional


# ---- convolution ---------------------------------------------------------------------------
CONV = [
    ((2, 4, 5, 6, 7), (6, 4, 3, 3, 3), dict()),
    ((2, 4, 5, 6, 7), (6, 2, 2, 3, 2), dict(stride=(1, 2, 1), padding=(1, 0, 1),
                                          dilation=(1, 1, 2), groups=2)),
    ((1, 2, 5, 5, 5), (3, 2, 3, 1, 2), dict(padding="same", dilation=2)),
    ((1, 2, 5, 5, 5), (3, 2, 1, 1, 1), dict(stride=2)),                    # pointwise
    ((2, 4, 4, 5), (3, 2, 2, 2, 2), dict(padding="valid")),                # unbatched
]


@pytest.mark.parametrize("xs, ws, kw", CONV)
def test_conv3d(xs, ws, kw):
    fn = lambda lib, x, w, b: F(lib).conv3d(x, w, b, **kw)            # noqa: E731
    check_op(fn, [xs, ws, (ws[0],)], lib=True)
    check_op(lambda lib, x, w: lib.conv3d(x, w, None, **kw), [xs, ws], lib=True,
             dtype="float32", layout="T")


CONV_T = [
    ((2, 4, 3, 4, 3), (4, 3, 2, 3, 2), dict()),
    ((2, 4, 3, 4, 3), (4, 3, 2, 3, 2), dict(stride=(2, 1, 2), padding=(1, 0, 1),
                                          output_padding=(1, 0, 0), groups=2)),
    ((1, 2, 3, 3, 3), (2, 2, 2, 2, 2), dict(stride=2, dilation=2, output_padding=1)),
    ((2, 3, 3, 3), (2, 3, 1, 1, 1), dict(stride=2)),                       # unbatched, 1x1x1
]


@pytest.mark.parametrize("xs, ws, kw", CONV_T)
def test_conv_transpose3d(xs, ws, kw):
    cout = ws[1] * kw.get("groups", 1)
    fn = lambda lib, x, w, b: F(lib).conv_transpose3d(x, w, b, **kw)  # noqa: E731
    check_op(fn, [xs, ws, (cout,)], lib=True)


def test_conv3d_double_backward_and_empty_batch():
    check_op(lambda lib, x, w: F(lib).conv3d(x, w, stride=2, padding=1) ** 2,
             [(1, 2, 4, 4, 4), (2, 2, 3, 3, 3)], lib=True, double=True)
    check_op(lambda lib, x, w: F(lib).conv_transpose3d(x, w, stride=2) ** 2,
             [(1, 2, 3, 3, 3), (2, 2, 2, 2, 2)], lib=True, double=True)
    check_op(lambda lib, x, w, b: F(lib).conv3d(x, w, b), [(0, 2, 4, 4, 4), (3, 2, 2, 2, 2),
                                                           (3,)], lib=True)


# ---- pooling --------------------------------------------------------------------------------
MAX3D = [
    ((2, 3, 4, 6, 6), dict(kernel_size=2)),
    ((2, 2, 5, 7, 6), dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0),
                           dilation=(1, 1, 2))),
    ((1, 2, 5, 5, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 4, 5, 6), dict(kernel_size=2, stride=1)),                         # unbatched
    ((0, 2, 4, 4, 4), dict(kernel_size=2)),                                # empty batch
]


@pytest.mark.parametrize("xs, kw", MAX3D)
def test_max_pool3d_and_unpool(xs, kw):
    check_op(lambda lib, x: F(lib).max_pool3d(x, **kw), [xs], lib=True)
    ties = np.random.default_rng(0).integers(0, 3, xs).astype(np.float64)  # first-max rule
    check_op(lambda lib, x: F(lib).max_pool3d(x, return_indices=True, **kw), [ties], lib=True)
    ks = {k: v for k, v in kw.items() if k in ("kernel_size", "stride", "padding")}

    def roundtrip(lib, x):
        y, i = F(lib).max_pool3d(x, return_indices=True, **kw)
        return F(lib).max_unpool3d(y * 2, i, output_size=x.shape[-3:], **ks)
    if "dilation" not in kw and not kw.get("ceil_mode"):
        check_op(roundtrip, [xs], lib=True)


def test_max_pool3d_top_level_int_and_double_backward():
    check_op(lambda lib, x: lib.max_pool3d(x, 2), [(1, 2, 4, 4, 4)], lib=True)
    check_op(lambda lib, x: F(lib).max_pool3d(x, 2), [(1, 2, 4, 4, 4)], lib=True,
             dtype="int64", grad=False, low=-50, high=50)
    check_op(lambda lib, x: F(lib).max_pool3d(x, 3, 2, 1) ** 2, [(1, 2, 5, 5, 5)], lib=True,
             double=True)


AVG3D = [
    ((2, 3, 4, 6, 6), dict(kernel_size=2)),
    ((2, 2, 5, 7, 6), dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0))),
    ((1, 2, 5, 5, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                           count_include_pad=False)),
    ((1, 2, 5, 5, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 2, 4, 5, 5), dict(kernel_size=2, padding=1, divisor_override=3)),
    ((2, 4, 5, 6), dict(kernel_size=2, stride=1)),                         # unbatched
]


@pytest.mark.parametrize("xs, kw", AVG3D)
def test_avg_pool3d(xs, kw):
    check_op(lambda lib, x: F(lib).avg_pool3d(x, **kw), [xs], lib=True)
    check_op(lambda lib, x: F(lib).avg_pool3d(x, **kw), [xs], lib=True, dtype="float32",
             layout="T")


def test_avg_pool3d_int64_and_double_backward():
    check_op(lambda lib, x: F(lib).avg_pool3d(x, 2, padding=1), [(1, 2, 4, 4, 4)], lib=True,
             dtype="int64", grad=False, low=-50, high=50)
    check_op(lambda lib, x: F(lib).avg_pool3d(x, 3, 2, 1) ** 2, [(1, 2, 5, 5, 5)], lib=True,
             double=True)


@pytest.mark.parametrize("out", [(2, 3, 4), 3, (None, 2, 5), 1, (1, 1, 1), (7, 1, 2)])
def test_adaptive_pool3d(out):
    check_op(lambda lib, x: F(lib).adaptive_avg_pool3d(x, out), [(2, 3, 5, 6, 7)], lib=True)
    check_op(lambda lib, x: F(lib).adaptive_max_pool3d(x, out, True), [(2, 3, 5, 6, 7)],
             lib=True)
    check_op(lambda lib, x: F(lib).adaptive_avg_pool3d(x, out), [(3, 5, 6, 7)], lib=True)
    check_op(lambda lib, x: F(lib).adaptive_max_pool3d(x, out), [(3, 5, 6, 7)], lib=True)


@pytest.mark.parametrize("p, kw", [(2.0, dict(kernel_size=2)),
                                   (3.0, dict(kernel_size=(2, 3, 2), stride=1)),
                                   (1.5, dict(kernel_size=2, stride=2, ceil_mode=True)),
                                   (float("inf"), dict(kernel_size=2))])
def test_lp_pool3d(p, kw):
    low = 0.1 if p == 1.5 else -2.0
    check_op(lambda lib, x: F(lib).lp_pool3d(x, p, **kw), [(2, 2, 5, 5, 5)], lib=True,
             low=low)
    g, t = check_op(lambda lib, x: lib.nn.LPPool3d(p, **kw)(x), [(2, 5, 4, 5)], lib=True,
                    low=low)


# ---- padding --------------------------------------------------------------------------------
PADS = [("ConstantPad3d", ((1, 0, 2, 1, 0, 2), 1.5)), ("ZeroPad3d", (1,)),
        ("ReflectionPad3d", ((1, 2, 0, 1, 2, 1),)), ("ReplicationPad3d", ((2, 1, 1, 0, 0, 3),)),
        ("CircularPad3d", ((1, 2, 0, 1, 2, 1),))]


@pytest.mark.parametrize("name, args", PADS)
def test_pad3d_layers(name, args):
    for shape in [(2, 2, 3, 4, 5), (2, 3, 4, 5)]:
        g, t = check_op(lambda lib, x: getattr(lib.nn, name)(*args)(x), [shape], lib=True)
    assert repr(getattr(gt.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


# ---- layers ---------------------------------------------------------------------------------
LAYERS = [
    ("Conv3d", (2, 4, 3), dict(stride=2, padding=1, bias=False)),
    ("Conv3d", (2, 4, (1, 2, 3)), dict(padding="same", padding_mode="circular")),
    ("Conv3d", (4, 4, 2), dict(groups=2, padding=1, padding_mode="reflect", dilation=2)),
    ("ConvTranspose3d", (2, 4, 3), dict(stride=2, padding=1, output_padding=1)),
    ("MaxPool3d", (2,), dict(stride=1, return_indices=True)),
    ("AvgPool3d", (3,), dict(stride=2, padding=1, count_include_pad=False)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}), ("AdaptiveMaxPool3d", (2,), {}),
]


def _seeded(lib, m):
    """Same parameters in both frameworks (their random streams differ): seeded normals."""
    rng = np.random.default_rng(0)
    with lib.no_grad():
        for p in m.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape))))
    return m


@pytest.mark.parametrize("name, args, kw", LAYERS)
def test_layers(name, args, kw):
    check_op(lambda lib, x: _seeded(lib, getattr(lib.nn, name)(*args, **kw).double())(x),
             [(2, args[0] if "Conv" in name else 3, 5, 6, 7)], lib=True)
    g, t = getattr(gt.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(g) == repr(t)
    assert type(g).__module__.replace("glasstorch", "torch") == type(t).__module__
    for (gn, gp), (tn, tp) in zip(g.named_parameters(), t.named_parameters()):
        # torch's init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
        bound = 1 / np.sqrt(g.weight.shape[1] * np.prod(g.kernel_size))
        assert gn == tn and gp.shape == tp.shape and str(gp.dtype) == str(tp.dtype)
        assert np.abs(gp.detach().numpy()).max() <= bound
        if gn == "weight":                      # (many draws: near the bound)
            assert np.abs(gp.detach().numpy()).max() > bound / 2


def test_unpool_layer_and_convtranspose_output_size():
    def run(lib, x):
        y, i = lib.nn.MaxPool3d(2, return_indices=True)(x)
        return lib.nn.MaxUnpool3d(2)(y, i, output_size=x.shape)
    check_op(run, [(1, 2, 5, 4, 5)], lib=True)

    def up(lib, x):
        m = _seeded(lib, lib.nn.ConvTranspose3d(2, 3, 3, stride=2).double())
        return m(x, output_size=(8, 7, 8))
    check_op(up, [(1, 2, 3, 3, 3)], lib=True)


@pytest.mark.parametrize("name", ["LazyConv3d", "LazyConvTranspose3d"])
def test_lazy_conv3d(name):
    def run(lib, x):
        m = getattr(lib.nn, name)(4, 3, stride=2)
        m(x)                                     # infers in_channels, becomes its class
        assert type(m).__name__ == name[4:] and m.in_channels == 3
        return _seeded(lib, m)(x)
    check_op(run, [(2, 3, 4, 5, 4)], lib=True, dtype="float32")
    with pytest.raises(RuntimeError, match="Expected 4D \\(unbatched\\) or 5D"):
        getattr(gt.nn, name)(4, 3)(gt.zeros(2, 3, 4))


# ---- errors: torch's exact messages --------------------------------------------------------
def _message(lib, fn):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001 - compared below
        return type(e).__name__, str(e)
    return None


def _x(lib, *shape, dtype=None):
    return lib.zeros(*shape, dtype=dtype or lib.float32)


ERRORS = [
    lambda lib: F(lib).conv3d(_x(lib, 2, 3, 4), _x(lib, 2, 1, 1, 1, 1)),
    lambda lib: F(lib).conv3d(_x(lib, 1, 1, 1, 2, 3, 4, 5), _x(lib, 2, 1, 1, 1, 1)),
    lambda lib: F(lib).conv3d(_x(lib, 1, 2, 3, 3, 3), _x(lib, 2, 2, 1, 1, 1), padding=(1, 1)),
    lambda lib: F(lib).conv3d(_x(lib, 1, 2, 3, 3, 3), _x(lib, 2, 2, 1, 1, 1), stride=0),
    lambda lib: F(lib).conv3d(_x(lib, 1, 2, 3, 3, 3, dtype=lib.bool),
                              _x(lib, 2, 2, 2, 2, 2, dtype=lib.bool)),
    lambda lib: F(lib).conv3d(_x(lib, 1, 2, 3, 3, 3, dtype=lib.bool),
                              _x(lib, 2, 2, 1, 1, 1, dtype=lib.bool)),
    lambda lib: F(lib).conv3d(_x(lib, 1, 2, 3, 3, 3, dtype=lib.bool),
                              _x(lib, 2, 2, 1, 1, 1, dtype=lib.bool), stride=2),
    lambda lib: F(lib).conv3d(_x(lib, 1, 2, 3, 3, 3, dtype=lib.bool),
                              _x(lib, 2, 2, 1, 1, 1, dtype=lib.bool), dilation=2),
    lambda lib: F(lib).conv_transpose3d(_x(lib, 2, 3, 4), _x(lib, 1, 2, 1, 1, 1)),
    lambda lib: F(lib).conv_transpose3d(_x(lib, 1, 2, 3, 3, 3), _x(lib, 2, 2, 2, 2, 2),
                                        stride=(2, 1, 1), output_padding=(1, 1, 0)),
    lambda lib: F(lib).conv_transpose3d(_x(lib, 1, 2, 3, 3, 3, dtype=lib.int32),
                                        _x(lib, 2, 2, 2, 2, 2, dtype=lib.int32)),
    lambda lib: F(lib).max_pool3d(_x(lib, 2, 3, 4), 2),
    lambda lib: F(lib).max_pool3d(_x(lib, 1, 2, 0, 4, 5), 1),
    lambda lib: F(lib).max_pool3d(_x(lib, 1, 1, 4, 4, 4), (2, 2)),
    lambda lib: F(lib).max_pool3d(_x(lib, 1, 1, 4, 4, 4), 2, (1, 1)),
    lambda lib: F(lib).max_pool3d(_x(lib, 1, 1, 4, 4, 4), 2, dilation=(0, 1, 1)),
    lambda lib: F(lib).max_pool3d(_x(lib, 1, 1, 4, 4, 4), -1),
    lambda lib: F(lib).max_pool3d(_x(lib, 1, 1, 4, 4, 4), 2, padding=2),
    lambda lib: F(lib).max_pool3d(_x(lib, 1, 1, 2, 4, 4), 3),
    lambda lib: F(lib).max_pool3d(_x(lib, 1, 1, 4, 4, 4, dtype=lib.bool), 2),
    lambda lib: F(lib).avg_pool3d(_x(lib, 2, 3, 4), 2),
    lambda lib: F(lib).avg_pool3d(_x(lib, 3, 0, 4, 5), 1),
    lambda lib: F(lib).avg_pool3d(_x(lib, 1, 1, 4, 4, 4), 2, padding=(1, 1)),
    lambda lib: F(lib).avg_pool3d(_x(lib, 1, 1, 4, 4, 4), 2, divisor_override=0),
    lambda lib: F(lib).avg_pool3d(_x(lib, 1, 1, 4, 4, 4, dtype=lib.int32), 2),
    lambda lib: F(lib).adaptive_avg_pool3d(_x(lib, 2, 3, 4), 2),
    lambda lib: F(lib).adaptive_avg_pool3d(_x(lib, 1, 2, 0, 4, 5), 2),
    lambda lib: F(lib).adaptive_avg_pool3d(_x(lib, 1, 1, 4, 4, 4), (2, 2)),
    lambda lib: F(lib).adaptive_avg_pool3d(_x(lib, 1, 1, 4, 4, 4, dtype=lib.int32), 2),
    lambda lib: F(lib).adaptive_max_pool3d(_x(lib, 2, 3, 4), 2),
    lambda lib: F(lib).adaptive_max_pool3d(_x(lib, 2, 0, 3, 4, 5), 2),
    lambda lib: F(lib).adaptive_max_pool3d(_x(lib, 1, 1, 4, 4, 4, dtype=lib.int32), 2),
    lambda lib: F(lib).lp_pool3d(_x(lib, 2, 3, 4), 2.0, 2),
    lambda lib: F(lib).max_unpool3d(_x(lib, 2, 3, 4), _x(lib, 2, 3, 4, dtype=lib.int64), 2),
    lambda lib: F(lib).max_unpool3d(_x(lib, 2, 0, 3, 4, 5), _x(lib, 2, 0, 3, 4, 5,
                                                               dtype=lib.int64), 1),
    lambda lib: F(lib).max_unpool3d(_x(lib, 1, 1, 4, 4, 4), _x(lib, 1, 1, 4, 4, 4,
                                                               dtype=lib.int32), 2),
    lambda lib: F(lib).max_unpool3d(_x(lib, 1, 1, 4, 4, 4), _x(lib, 1, 1, 4, 4, 3,
                                                               dtype=lib.int64), 2),
    lambda lib: F(lib).max_unpool3d(_x(lib, 1, 1, 2, 2, 2), _x(lib, 1, 1, 2, 2, 2,
                                                               dtype=lib.int64), 2,
                                    output_size=(3, 3)),
    lambda lib: lib.nn.CircularPad3d(1)(_x(lib, 2, 3)),
]




# ---- torch.nn.grad, conv_tbc and the small nn.functional names -----------------------------
GRADS = [(1, (2, 3, 7), (4, 3, 3), dict(stride=2, padding=1)),
         (2, (2, 4, 6, 5), (6, 2, 3, 2), dict(stride=(2, 1), dilation=(1, 2), groups=2)),
         (3, (1, 2, 4, 5, 4), (3, 2, 2, 3, 2), dict(padding=1))]


@pytest.mark.parametrize("nd, xs, ws, kw", GRADS)
def test_nn_grad(nd, xs, ws, kw):
    out = tuple(torch.nn.functional.__dict__[f"conv{nd}d"](
        torch.zeros(xs), torch.zeros(ws), **kw).shape)

    def input_grad(lib, w, gy):
        return getattr(lib.nn.grad, f"conv{nd}d_input")(xs, w, gy, **kw)

    def weight_grad(lib, x, gy):
        return getattr(lib.nn.grad, f"conv{nd}d_weight")(x, ws, gy, **kw)
    check_op(input_grad, [ws, out], lib=True)
    check_op(weight_grad, [xs, out], lib=True)
    g = gt.nn.grad.conv2d_input((1, 2, 5, 5), gt.ones(3, 2, 3, 3), gt.ones(1, 3, 3, 3))
    assert not g.requires_grad


def test_conv_tbc_and_functional_names():
    for pad in (0, 1, 2, -1):
        check_op(lambda lib, x, w, b: F(lib).conv_tbc(x, w, b, pad), [(6, 2, 3), (3, 3, 4), (4,)],
                 lib=True)
    check_op(lambda lib, x, w, b: F(lib).conv_tbc(x, w, b), [(2, 2, 3), (3, 3, 4), (4,)],
             lib=True)                                   # no output step
    check_op(lambda lib, x: F(lib).native_channel_shuffle(x, 2), [(2, 4, 3, 3)], lib=True,
             grad=False)                      # (torch defines no derivative: ERRORS)
    assert gt.nn.functional.GRID_SAMPLE_INTERPOLATION_MODES == \
        torch.nn.functional.GRID_SAMPLE_INTERPOLATION_MODES
    assert gt.nn.functional.GRID_SAMPLE_PADDING_MODES == \
        torch.nn.functional.GRID_SAMPLE_PADDING_MODES
    assert gt.nn.functional.Tensor is gt.Tensor


ERRORS += [
    lambda lib: F(lib).avg_pool3d(_x(lib, 4, 4, 2, 1), 2, 3, ceil_mode=True),
    lambda lib: F(lib).lp_pool3d(_x(lib, 1, 3, 2, 4, 3), 2.0, 3),
    lambda lib: F(lib).avg_pool3d(_x(lib, 2, 4, 0, 3, 0), 2, 3, 3),
    lambda lib: F(lib).max_pool3d(_x(lib, 0, 1, 2, 0, 2), 1, 2, 1),
    lambda lib: F(lib).max_pool3d(_x(lib, 3, 2, 4, 1), 2, 1, 2, 3),
    lambda lib: F(lib).adaptive_avg_pool3d(_x(lib, 1, 0, 4, 1, 3), 2),
    lambda lib: F(lib).adaptive_avg_pool3d(_x(lib, 4, 0, 2, 0, 0), 2),
    lambda lib: F(lib).conv_transpose3d(_x(lib, 1, 2, 3, 4, 1), _x(lib, 2, 2, 1, 1, 1),
                                        padding=3),
    lambda lib: F(lib).conv_transpose3d(_x(lib, 1, 2, 3, 4, 1), _x(lib, 2, 2, 0, 0, 0)),
    lambda lib: F(lib).conv_transpose3d(_x(lib, 1, 1, 1, 1, 1), _x(lib, 1, 1, 2, 2, 2),
                                        padding=1),
    lambda lib: F(lib).grid_sample(_x(lib, 1, 2, 3, 3, 3), _x(lib, 1, 2, 2, 2, 3),
                                   mode="bicubic", align_corners=False),
    lambda lib: F(lib).grid_sample(_x(lib, 1, 2, 3, 3, 3), _x(lib, 1, 2, 2, 2, 2),
                                   align_corners=False),
    lambda lib: F(lib).grid_sample(_x(lib, 1, 2, 3, 3, 3), _x(lib, 2, 2, 2, 2, 3),
                                   align_corners=False),
    lambda lib: F(lib).affine_grid(_x(lib, 1, 2, 3), (1, 1, 2, 2, 2), align_corners=False),
    lambda lib: F(lib).affine_grid(_x(lib, 1, 3, 4), (1, 1, 2, 2, 2, 2), align_corners=False),
    lambda lib: F(lib).conv_tbc(_x(lib, 5, 2), _x(lib, 2, 3, 4), _x(lib, 4)),
    lambda lib: F(lib).conv_tbc(_x(lib, 5, 2, 3), _x(lib, 2, 3), _x(lib, 4)),
    lambda lib: F(lib).conv_tbc(_x(lib, 5, 2, 3), _x(lib, 2, 3, 4), _x(lib, 1, 4)),
    lambda lib: F(lib).conv_tbc(_x(lib, 5, 2, 3), _x(lib, 2, 2, 4), _x(lib, 4)),
    lambda lib: F(lib).conv_tbc(_x(lib, 5, 2, 3), _x(lib, 2, 3, 4), _x(lib, 3)),
    lambda lib: F(lib).conv_tbc(_x(lib, 5, 2, 3), _x(lib, 2, 3, 4), None),
    lambda lib: F(lib).conv_tbc(_x(lib, 1, 2, 3), _x(lib, 3, 3, 4), _x(lib, 4)),
    lambda lib: F(lib).native_channel_shuffle(lib.ones(1, 4, 2, 2, requires_grad=True),
                                              2).sum().backward(),
    lambda lib: lib.nn.grad.conv2d_input((2, 5, 5), _x(lib, 3, 2, 3, 3), _x(lib, 1, 3, 3, 3)),
]


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_3d(mode, padding_mode, align):
    """5-D grid_sample (trilinear / nearest) at points inside and outside [-1, 1]."""
    grad = mode == "bilinear"          # nearest: the grid's gradient is zeros in both
    check_op(lambda lib, x, g: F(lib).grid_sample(x, g, mode, padding_mode, align),
             [(2, 3, 4, 5, 3), (2, 3, 2, 4, 3)], lib=True, low=-1.3, high=1.3, grad=grad)
    check_op(lambda lib, x, g: lib.grid_sampler_3d(x, g, ("bilinear", "nearest").index(mode),
                                                   ("zeros", "border", "reflection").index(
                                                       padding_mode), align),
             [(1, 2, 3, 3, 4), (1, 2, 2, 2, 3)], lib=True, low=-1.3, high=1.3, grad=False)


@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_3d(align):
    check_op(lambda lib, t: F(lib).affine_grid(t, (2, 3, 4, 5, 3), align), [(2, 3, 4)],
             lib=True)
    check_op(lambda lib, t, x: F(lib).grid_sample(x, F(lib).affine_grid(t, x.shape, align),
                                                  align_corners=align),
             [(2, 3, 4), (2, 2, 3, 4, 5)], lib=True, low=-0.8, high=0.8)


def test_3d_model_traces_and_exports_to_onnx(tmp_path):
    """The 3-D layers run the N-d ops, which the jit tracer and ONNX exporter record by name:
    a traced model and onnxruntime on the exported file give the eager result."""
    ort = pytest.importorskip("onnxruntime")
    nn = gt.nn
    gt.manual_seed(0)
    m = nn.Sequential(nn.Conv3d(2, 3, 3, padding=1), nn.MaxPool3d(2), nn.ReLU(),
                      nn.AvgPool3d(2, padding=1), nn.AdaptiveAvgPool3d((2, 1, 2)), nn.Flatten())
    x = gt.randn(2, 2, 6, 6, 6)
    want = m(x).detach().numpy()
    np.testing.assert_allclose(gt.jit.trace(m, x)(x).detach().numpy(), want, rtol=1e-6)
    f = str(tmp_path / "m3d.onnx")
    gt.onnx.export(m, (x,), f)
    s = ort.InferenceSession(f)
    got = s.run(None, {s.get_inputs()[0].name: x.numpy()})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_error_messages(i):
    want = _message(torch, ERRORS[i])
    assert want is not None, "torch did not raise"
    assert _message(gt, ERRORS[i]) == want
