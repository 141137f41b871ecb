"""Convolutions (glasstorch/ops/conv.py, nn/modules/conv.py) against torch: conv1d/2d and
conv_transpose1d/2d forward and backward over stride/padding/dilation/groups/bias/'same'/
output_padding (float64, float32, non-contiguous, second derivatives), unfold/fold, integer and
unbatched inputs, modules with copied weights (padding modes, output_size), default init
moments, reprs, state_dict keys and error messages."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt
import glasstorch.nn as gnn
from helpers import assert_close, check_op, check_raises


# torch warns that 'same' with an even kernel pads a copy of the input (so do we, silently)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def F(lib):
    return lib.nn.functional


# ---- conv2d / conv1d -------------------------------------------------------------------------
# (input shape, weight shape, bias?, kwargs)
CONV2D = [
    ((2, 3, 7, 7), (4, 3, 3, 3), True, {}),
    ((2, 3, 8, 6), (4, 3, 3, 2), False, dict(stride=2)),
    ((1, 3, 7, 8), (5, 3, 3, 3), True, dict(stride=(2, 1), padding=(1, 2))),
    ((2, 4, 9, 9), (6, 2, 3, 3), True, dict(groups=2, dilation=2)),
    ((2, 4, 6, 6), (8, 1, 3, 3), True, dict(groups=4, padding=1)),            # depthwise x2
    ((2, 4, 6, 6), (4, 1, 3, 3), False, dict(groups=4, stride=2, padding=1)),  # depthwise
    ((2, 2, 6, 7), (3, 2, 4, 4), True, dict(padding="same")),                  # asymmetric
    ((2, 2, 6, 7), (3, 2, 3, 2), True, dict(padding="same", dilation=(2, 3))),
    ((2, 2, 5, 5), (3, 2, 3, 3), True, dict(padding="valid")),
    ((2, 3, 5, 5), (2, 3, 1, 1), True, {}),                                    # 1x1
    ((1, 2, 5, 5), (3, 2, 5, 5), True, dict(padding=2, stride=3)),
    ((6, 5, 4), (4, 6, 3, 3), True, dict(padding=1)),                          # unbatched
    ((0, 3, 5, 5), (4, 3, 3, 3), True, {}),                                    # empty batch
]

CONV1D = [
    ((2, 3, 9), (4, 3, 3), True, {}),
    ((2, 4, 10), (6, 2, 3), True, dict(stride=2, padding=2, dilation=2, groups=2)),
    ((2, 3, 8), (5, 3, 4), False, dict(padding="same")),
    ((3, 9), (4, 3, 2), True, dict(stride=3)),                                 # unbatched
]


def _conv_case(name, xs, ws, bias, kw):
    out_channels = ws[1] * kw.get("groups", 1) if "transpose" in name else ws[0]
    shapes = [xs, ws] + ([(out_channels,)] if bias else [])
    return (lambda lib, x, w, b=None: getattr(F(lib), name)(x, w, b, **kw)), shapes


@pytest.mark.parametrize("xs, ws, bias, kw", CONV2D)
def test_conv2d(xs, ws, bias, kw):
    fn, shapes = _conv_case("conv2d", xs, ws, bias, kw)
    check_op(fn, shapes, lib=True)
    check_op(fn, shapes, lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("name, xs, ws, kw", [
    ("conv2d", (3, 3, 6, 6), (4, 3, 3, 3), dict(padding=1)),
    ("conv2d", (3, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, stride=2)),
    ("conv_transpose2d", (3, 4, 4, 4), (4, 3, 3, 3), dict(groups=2, stride=2)),
])
def test_conv_in_batch_chunks(monkeypatch, name, xs, ws, kw):
    """Columns built one sample at a time (big batches are chunked): same values and grads."""
    monkeypatch.setattr("glasstorch.ops.conv_kernels._CHUNK_BYTES", 1)
    fn, shapes = _conv_case(name, xs, ws, False, kw)
    check_op(fn, shapes, lib=True, double=True)


@pytest.mark.parametrize("xs, ws, bias, kw", CONV1D)
def test_conv1d(xs, ws, bias, kw):
    fn, shapes = _conv_case("conv1d", xs, ws, bias, kw)
    check_op(fn, shapes, lib=True)
    check_op(fn, shapes, lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("name, xs, ws, kw", [
    ("conv2d", (2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, stride=2, padding=1)),
    ("conv1d", (2, 3, 7), (4, 3, 3), dict(dilation=2, padding="same")),
    ("conv_transpose2d", (2, 4, 4, 4), (4, 3, 3, 3), dict(stride=2, output_padding=1)),
    ("conv_transpose1d", (2, 4, 5), (4, 1, 3), dict(groups=2, stride=3, padding=1)),
])
def test_conv_double_backward(name, xs, ws, kw):
    # no bias: torch marks its bias gradient (sum of gy) as requiring grad under create_graph
    # though nothing flows back from it; glasstorch does not, and check_op compares that
    fn, shapes = _conv_case(name, xs, ws, False, kw)
    check_op(fn, shapes, lib=True, double=True)


def test_conv_top_level_and_grad_fn():
    fn = lambda lib, x, w: lib.conv2d(x, w, padding=1)  # noqa: E731
    g, t = check_op(fn, [(1, 2, 4, 4), (3, 2, 3, 3)], lib=True)
    assert g.grad_fn.name() == t.grad_fn.name() == "ConvolutionBackward0"


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_conv2d_integer(dtype):
    rng = np.random.default_rng(0)
    x = rng.integers(-5, 5, (2, 3, 5, 5)).astype(dtype)
    w = rng.integers(-3, 3, (4, 3, 3, 3)).astype(dtype)
    assert_close(gt.conv2d(gt.tensor(x), gt.tensor(w), stride=2),
                 torch.conv2d(torch.tensor(x), torch.tensor(w), stride=2))


# ---- transposed ------------------------------------------------------------------------------
CONV_T2D = [
    ((2, 3, 4, 4), (3, 2, 3, 3), True, {}),
    ((2, 3, 4, 5), (3, 4, 3, 2), False, dict(stride=2)),
    ((1, 3, 4, 4), (3, 2, 4, 4), True, dict(stride=2, padding=1)),
    ((2, 3, 3, 4), (3, 2, 3, 3), True, dict(stride=(3, 2), padding=(1, 0), output_padding=(2, 1))),
    ((2, 4, 4, 4), (4, 3, 3, 3), True, dict(groups=2, dilation=2)),
    ((2, 4, 5, 5), (4, 1, 3, 3), True, dict(groups=4, stride=2, output_padding=1)),
    ((2, 2, 3, 3), (2, 3, 3, 3), True, dict(dilation=2, stride=2, output_padding=1)),
    ((2, 2, 4, 4), (2, 2, 5, 5), True, dict(padding=3)),   # padding crops past the kernel
    ((3, 4, 4), (3, 2, 2, 2), True, dict(stride=2)),        # unbatched
]

CONV_T1D = [
    ((2, 3, 5), (3, 2, 3), True, {}),
    ((2, 4, 6), (4, 3, 4), True, dict(stride=3, padding=1, output_padding=2, groups=2)),
    ((2, 3, 5), (3, 2, 3), False, dict(dilation=3, padding=2)),
]


@pytest.mark.parametrize("xs, ws, bias, kw", CONV_T2D)
def test_conv_transpose2d(xs, ws, bias, kw):
    fn, shapes = _conv_case("conv_transpose2d", xs, ws, bias, kw)
    check_op(fn, shapes, lib=True)
    check_op(fn, shapes, lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("xs, ws, bias, kw", CONV_T1D)
def test_conv_transpose1d(xs, ws, bias, kw):
    fn, shapes = _conv_case("conv_transpose1d", xs, ws, bias, kw)
    check_op(fn, shapes, lib=True)
    check_op(fn, shapes, lib=True, dtype="float32", layout="T")


# ---- unfold / fold ---------------------------------------------------------------------------
@pytest.mark.parametrize("xs, kw", [
    ((2, 3, 5, 6), dict(kernel_size=2)),
    ((2, 2, 7, 7), dict(kernel_size=(3, 2), stride=2, padding=1, dilation=(1, 2))),
    ((3, 4, 4), dict(kernel_size=3, padding=1)),             # unbatched
])
def test_unfold(xs, kw):
    check_op(lambda lib, x: F(lib).unfold(x, **kw), [xs], lib=True, double=True)
    check_op(lambda lib, x: F(lib).unfold(x, **kw), [xs], lib=True, dtype="float32",
             layout="T")


@pytest.mark.parametrize("xs, size, kw", [
    ((2, 12, 12), (4, 5), dict(kernel_size=2)),
    ((2, 12, 9), (5, 5), dict(kernel_size=(3, 2), stride=2, padding=1, dilation=(1, 2))),
    ((18, 9), (3, 3), dict(kernel_size=3, padding=1)),        # unbatched
])
def test_fold(xs, size, kw):
    check_op(lambda lib, x: F(lib).fold(x, size, **kw), [xs], lib=True, double=True)
    check_op(lambda lib, x: F(lib).fold(x, size, **kw), [xs], lib=True, dtype="float32",
             layout="T")


# ---- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fn, shapes, match", [
    (lambda lib, x, w: lib.conv2d(x, w), [(2, 3), (6, 4, 3, 3)], "Expected 3D"),
    (lambda lib, x, w: lib.conv2d(x, w), [(2, 4, 8, 8), (6, 3, 3, 3)], "to have 3 channels"),
    (lambda lib, x, w: lib.conv2d(x, w), [(2, 4, 4, 4), (6, 4, 5, 5)], "Kernel size can't"),
    (lambda lib, x, w: lib.conv2d(x, w, groups=2), [(2, 4, 8, 8), (5, 2, 3, 3)], "divisible"),
    (lambda lib, x, w, b: lib.conv2d(x, w, b), [(2, 4, 8, 8), (6, 4, 3, 3), (5,)],
     "expected bias"),
    (lambda lib, x, w: lib.conv2d(x, w, stride=2, padding="same"), [(1, 4, 8, 8), (6, 4, 3, 3)],
     "strided"),
    (lambda lib, x, w: lib.conv2d(x, w, padding="foo"), [(1, 4, 8, 8), (6, 4, 3, 3)],
     "Invalid padding"),
    (lambda lib, x, w: lib.conv2d(x, w, stride=0), [(1, 4, 8, 8), (6, 4, 3, 3)], "stride"),
    (lambda lib, x, w: lib.conv2d(x, w, padding=-1), [(1, 4, 8, 8), (6, 4, 3, 3)], "negative"),
    (lambda lib, x, w: lib.conv2d(x, w, padding=(1, 2, 3)), [(1, 4, 8, 8), (6, 4, 3, 3)],
     "padding to be a single integer"),
    (lambda lib, x, w: lib.conv2d(x, w.double()), [(1, 4, 8, 8), (6, 4, 3, 3)], "Input type"),
    (lambda lib, x, w: lib.conv1d(x, w), [(2, 4, 8, 8), (6, 4, 3)], "Expected 2D"),
    (lambda lib, x, w: lib.conv_transpose2d(x, w, stride=2, output_padding=2),
     [(2, 4, 8, 8), (4, 3, 3, 3)], "output padding must be smaller"),
    (lambda lib, x, w: lib.conv_transpose2d(x, w), [(2, 4, 8, 8), (3, 3, 3, 3)],
     "transposed=1"),
    (lambda lib, x: F(lib).unfold(x, 2), [(2, 3)], "out of range"),
    (lambda lib, x: F(lib).unfold(x, 2), [(1, 2, 3, 4, 5)], "Expected 3D or 4D"),
    (lambda lib, x: F(lib).unfold(x, 9), [(1, 1, 8, 8)], "sliding blocks"),
    (lambda lib, x: F(lib).fold(x, (4, 4), 2), [(2, 10, 9)], "divisible"),
    (lambda lib, x: F(lib).fold(x, (4, 4), 2), [(2, 16, 8)], "sliding blocks"),
])
def test_conv_errors(fn, shapes, match):
    check_raises(fn, shapes, lib=True, dtype="float32", match=match)


# ---- modules ---------------------------------------------------------------------------------
def _pair(gmod, tmod):
    """Give the torch module the glasstorch module's parameters (through state_dict)."""
    tmod.load_state_dict({k: torch.tensor(v.numpy()) for k, v in gmod.state_dict().items()})
    return gmod, tmod


MODULES = [
    ("Conv2d", (3, 4, 3), {}, (2, 3, 7, 7)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=2, padding=1, groups=2, bias=False), (2, 4, 8, 7)),
    ("Conv2d", (3, 4, 3), dict(padding=1, padding_mode="reflect"), (2, 3, 5, 6)),
    ("Conv2d", (3, 4, 3), dict(padding=(2, 1), padding_mode="replicate"), (2, 3, 5, 6)),
    ("Conv2d", (3, 4, 3), dict(padding=1, padding_mode="circular", stride=2), (2, 3, 5, 6)),
    ("Conv2d", (3, 4, 4), dict(padding="same", padding_mode="reflect"), (2, 3, 6, 6)),
    ("Conv2d", (3, 4, 2), dict(padding="valid", dilation=2), (3, 6, 6)),
    ("Conv1d", (3, 4, 3), dict(padding=1, padding_mode="circular"), (2, 3, 9)),
    ("Conv1d", (4, 4, 5), dict(stride=2, groups=4), (2, 4, 12)),
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 4, 4)),
    ("ConvTranspose2d", (4, 2, 2), dict(groups=2, bias=False, dilation=2), (2, 4, 3, 3)),
    ("ConvTranspose1d", (3, 2, 4), dict(stride=2), (2, 3, 5)),
]


@pytest.mark.parametrize("name, args, kw, xs", MODULES)
def test_conv_module_matches_torch(name, args, kw, xs):
    gt.manual_seed(0)
    g, t = _pair(getattr(gnn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw))
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    x = np.random.default_rng(1).standard_normal(xs).astype(np.float32)
    gx, tx = gt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yg, yt = g(gx), t(tx)
    assert_close(yg, yt, rtol=1e-4, atol=1e-4)
    up = np.random.default_rng(2).standard_normal(tuple(yt.shape)).astype(np.float32)
    yg.backward(gt.tensor(up))
    yt.backward(torch.tensor(up))
    assert_close(gx.grad, tx.grad, rtol=1e-4, atol=1e-4)
    for (kg, pg), (kt, pt) in zip(g.named_parameters(), t.named_parameters()):
        assert kg == kt
        assert_close(pg.grad, pt.grad, rtol=1e-4, atol=1e-4, what=kg)


@pytest.mark.parametrize("output_size", [[9, 9], [10, 10], (2, 4, 10, 9), None])
def test_conv_transpose_output_size(output_size):
    gt.manual_seed(0)
    g, t = _pair(gnn.ConvTranspose2d(3, 4, 3, stride=2, padding=1),
                 torch.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1))
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)
    assert_close(g(gt.tensor(x), output_size=output_size),
                 t(torch.tensor(x), output_size=output_size), atol=1e-5)


def test_conv_transpose_bad_output_size():
    x = np.zeros((2, 3, 5, 5), np.float32)
    for lib in (gt, torch):
        with pytest.raises(ValueError, match="requested an output size"):
            lib.nn.ConvTranspose2d(3, 4, 3, stride=2)(lib.tensor(x), output_size=[20, 20])


@pytest.mark.parametrize("name, args, kw", [
    ("Conv2d", (64, 128, 3), {}),
    ("Conv2d", (64, 128, (3, 5)), dict(groups=4)),
    ("Conv1d", (32, 600, 7), {}),
    ("ConvTranspose2d", (128, 64, 3), {}),
])
def test_conv_default_init(name, args, kw):
    """weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)): bound, mean and variance."""
    gt.manual_seed(0)
    m = getattr(gnn, name)(*args, **kw)
    w = m.weight.detach().numpy()
    assert w.dtype == np.float32 and w.shape == tuple(getattr(torch.nn, name)(*args, **kw)
                                                      .weight.shape)
    fan_in = w.shape[1] * int(np.prod(w.shape[2:]))
    bound = 1 / math.sqrt(fan_in)
    for p in (w, m.bias.detach().numpy()):
        assert np.abs(p).max() <= bound
        # the bound is reached: P(max < 0.95 bound) = 0.95^n, negligible for n >= 1000 only
        assert p.size < 1000 or np.abs(p).max() > 0.95 * bound
    assert abs(w.mean()) < 0.02 * bound
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.03


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(4, 8, 3, stride=2, padding=1, dilation=2, groups=2, bias=False),
    lambda nn: nn.Conv2d(4, 8, 3, padding="same", padding_mode="circular"),
    lambda nn: nn.Conv1d(4, 8, 3, padding="valid"),
    lambda nn: nn.ConvTranspose1d(4, 8, 3, output_padding=0, groups=4),
    lambda nn: nn.Unfold(kernel_size=(2, 3), padding=1),
    lambda nn: nn.Fold(output_size=(4, 5), kernel_size=2, stride=2),
])
def test_module_repr(make):
    assert repr(make(gnn)) == repr(make(torch.nn))


def test_fold_unfold_modules():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    for lib in (gt, torch):
        u = lib.nn.Unfold(kernel_size=2, stride=2)(lib.tensor(x))
        y = lib.nn.Fold(output_size=(6, 6), kernel_size=2, stride=2)(u)
        np.testing.assert_allclose(np.asarray(y.tolist()), x)  # non-overlapping: a round trip


@pytest.mark.parametrize("make, exc", [
    (lambda nn: nn.Conv2d(4, 8, 3, groups=0), ValueError),
    (lambda nn: nn.Conv2d(4, 8, 3, groups=3), ValueError),
    (lambda nn: nn.Conv2d(4, 6, 3, groups=4), ValueError),
    (lambda nn: nn.Conv2d(4, 8, 3, padding="full"), ValueError),
    (lambda nn: nn.Conv2d(4, 8, 3, padding="same", stride=2), ValueError),
    (lambda nn: nn.Conv2d(4, 8, 3, padding_mode="mirror"), ValueError),
    (lambda nn: nn.ConvTranspose2d(4, 8, 3, padding_mode="reflect"), ValueError),
])
def test_module_init_errors(make, exc):
    for nn in (gnn, torch.nn):
        with pytest.raises(exc):
            make(nn)


def test_conv_module_wrong_channels():
    def fn(lib, x):
        lib.manual_seed(0)
        return lib.nn.Conv2d(3, 4, 3)(x)
    check_raises(fn, [(2, 4, 8, 8)], lib=True, dtype="float32", match="to have 3 channels")


def test_conv_float32_keeps_dtype():
    m = gnn.Conv2d(3, 4, 3)
    y = m(gt.randn(2, 3, 6, 6))
    assert y.dtype == gt.float32
    y.sum().backward()
    assert m.weight.grad.dtype == gt.float32 and m.bias.grad.dtype == gt.float32


def _lenet(nn):
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                         nn.Linear(16 * 5 * 5, 10))


def test_lenet_forward_backward_matches_torch():
    """End to end: conv, relu, max/avg pooling, flatten, linear; float32 within 1e-4."""
    gt.manual_seed(0)
    g, t = _pair(_lenet(gnn), _lenet(torch.nn))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
    target = rng.integers(0, 10, 8)
    lg = gnn.functional.cross_entropy(g(gt.tensor(x)), gt.tensor(target))
    lt = torch.nn.functional.cross_entropy(t(torch.tensor(x)), torch.tensor(target))
    assert_close(lg, lt, rtol=1e-4, atol=1e-5)
    lg.backward()
    lt.backward()
    for (name, pg), (_, pt) in zip(g.named_parameters(), t.named_parameters()):
        assert_close(pg.grad, pt.grad, rtol=1e-4, atol=1e-5, what=name)


def test_conv_module_float64():
    m = gnn.Conv1d(2, 3, 3, dtype=gt.float64)
    assert m.weight.dtype == gt.float64 and m.bias.dtype == gt.float64
    assert m(gt.randn(1, 2, 5, dtype=gt.float64)).dtype == gt.float64


@pytest.mark.parametrize("module", [
    "glasstorch.ops.conv", "glasstorch.ops.pool", "glasstorch.ops.pad", "glasstorch.ops.upsample",
    "glasstorch.nn.modules.conv", "glasstorch.nn.modules.pooling",
    "glasstorch.nn.modules.padding", "glasstorch.nn.modules.upsampling",
])
def test_docstring_examples(module):
    """The examples in the docstrings of this family run and print what they show."""
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("wshape", [(0, 0, 0), (3, 1, 1)])
def test_conv_transpose_checks_the_groups_against_weight(wshape):
    """conv_transpose checks weight.size(0) >= groups and divisible by it, as conv does."""
    from fuzz_engine import outcome
    x = np.zeros((1, wshape[0], 3), "float32")
    w = np.ones(wshape, "float32")
    got, detail = outcome(lambda lib, x, w: lib.nn.functional.conv_transpose1d(x, w, groups=2),
                          [x, w])
    assert got in ("same_value", "same_error"), detail


@pytest.mark.parametrize("fn, wshape", [
    (lambda lib, x, w: lib.nn.functional.conv1d(x, w), (3, 2, 0)),
    (lambda lib, x, w: lib.nn.functional.conv2d(x.unsqueeze(-1), w), (3, 2, 0, 1)),
    (lambda lib, x, w: lib.nn.functional.conv_transpose2d(x.unsqueeze(-1), w), (2, 3, 0, 0)),
])
def test_conv_with_a_zero_kernel_size_raises(fn, wshape):
    """A weight with a kernel size of 0 raises in torch (was silently accepted; fuzzer)."""
    from fuzz_engine import outcome
    x = np.ones((3, 2, 2), "float32")
    got, detail = outcome(fn, [x, np.ones(wshape, "float32")])
    assert got == "same_error", detail


# (function, input (shape, dtype), weight (shape, dtype), bias shape or None, kwargs, outcome)
_EMPTY_CASES = [
    ("conv1d", ((0, 1, 4), "float64"), ((3, 1, 3), "float32"), None, {}, "same_value"),
    ("conv1d", ((0, 1, 2), "float64"), ((3, 1, 3), "float32"), None, {}, "same_error"),
    ("conv1d", ((0, 1, 4), "float64"), ((3, 1, 0), "float64"), None, {}, "same_error"),
    ("conv1d", ((2, 0, 4), "float64"), ((3, 0, 2), "float64"), (3,), {}, "same_value"),
    ("conv1d", ((0, 2, 4), "float64"), ((3, 2, 2), "float32"), (3,), {}, "same_value"),
    ("conv1d", ((0, 2, 4), "int64"), ((3, 2, 2), "float32"), None, {}, "same_value"),
    ("conv1d", ((0, 4), "float32"), ((3, 0, 2), "float32"), None, {}, "same_value"),
    ("conv1d", ((0, 1, 2), "float64"), ((3, 1, 3), "float32"), None, dict(dilation=0),
     "same_value"),
    ("conv1d", ((2, 1, 2), "float64"), ((3, 1, 3), "float64"), None, dict(dilation=0),
     "same_error"),
    ("conv1d", ((2, 2, 0), "float32"), ((3, 2, 1), "float32"), None, dict(padding=1),
     "same_error"),
    ("conv2d", ((0, 2, 7, 5), "float64"), ((4, 1, 2, 1), "float32"), (4,),
     dict(stride=2, padding=1, dilation=2, groups=2), "same_value"),
    ("conv_transpose1d", ((0, 3, 2), "float64"), ((3, 3, 1), "float32"), (3,), {},
     "same_value"),
    ("conv_transpose1d", ((0, 2, 4), "int32"), ((2, 3, 2), "int32"), None, {}, "same_value"),
    ("conv_transpose1d", ((0, 2, 4), "float32"), ((2, 0, 2), "float32"), None, {},
     "same_error"),
    ("conv_transpose1d", ((0, 2, 1), "float32"), ((2, 3, 2), "float32"), None,
     dict(padding=3), "same_error"),
    ("conv_transpose1d", ((2, 2, 0), "float64"), ((2, 2, 1), "float64"), None, {},
     "same_error"),
    ("conv_transpose1d", ((2, 2, 3), "float64"), ((2, 0, 2), "float64"), None, {},
     "same_error"),
    ("conv_transpose1d", ((2, 2, 1), "float64"), ((2, 3, 2), "float64"), None,
     dict(padding=1), "same_error"),
    ("conv_transpose1d", ((2, 2, 1), "float32"), ((2, 3, 2), "float32"), None,
     dict(padding=1), "same_value"),
    ("conv_transpose2d", ((3, 1, 0, 0), "float32"), ((1, 2, 2, 2), "float32"), None, {},
     "same_error"),
]


@pytest.mark.parametrize("name, xs, ws, bs, kw, expected", _EMPTY_CASES)
def test_conv_of_an_empty_batch_or_zero_channels(name, xs, ws, bs, kw, expected):
    """torch runs no kernel on an empty batch or zero input channels: the output is empty
    with the right shape (0 channels when the input has none), the weight and bias get zero
    gradients and dtypes are not checked; any other empty input raises (fuzzer findings)."""
    from fuzz_engine import outcome
    rng = np.random.default_rng(0)
    args = [rng.uniform(-1, 1, s).astype(d) for s, d in (xs, ws)]
    if bs is not None:
        args.append(rng.uniform(-1, 1, bs).astype(args[0].dtype if args[0].dtype.kind == "f"
                                                   else "float32"))
    got, detail = outcome(lambda lib, *t: getattr(lib.nn.functional, name)(*t, **kw), args)
    assert got == expected, detail


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_transpose_with_an_infinite_weight(dtype):
    """A stride-1 transposed conv with an inf weight: inf only where torch has it (the
    flipped-kernel path multiplied the inf by the zero padding: nan; fuzzer finding)."""
    from fuzz_engine import outcome
    rng = np.random.default_rng(0)
    x, w = rng.uniform(-3, 3, (3, 2, 2)).astype(dtype), rng.uniform(-3, 3, (2, 3, 3)).astype(dtype)
    w[1, 0, 1] = np.inf
    got, detail = outcome(lambda lib, x, w: lib.nn.functional.conv_transpose1d(x, w), [x, w])
    assert got == "same_value", detail
