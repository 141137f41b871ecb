"""Activations (glasstorch/ops/activation.py, nn/modules/activation.py) against torch: values and
gradients (float64, float32, transposed, zero-size), torch's gradient at every kink, stability
for large |x|, second derivatives of the smooth ones, in-place forms, rrelu's random slopes,
softmax's implicit dim, module reprs and PReLU's learnable weight, error types and messages."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
import glasstorch.nn as gnn
from helpers import assert_close, check_op, check_raises


def F(lib):
    return lib.nn.functional


# name, fn(lib, x), sample range; every entry runs forward + backward against torch
ACTS = [
    ("relu", lambda lib, x: F(lib).relu(x), 2),
    ("relu6", lambda lib, x: F(lib).relu6(x), 8),
    ("hardtanh", lambda lib, x: F(lib).hardtanh(x), 2),
    ("hardtanh_bounds", lambda lib, x: F(lib).hardtanh(x, -0.5, 1.5), 2),
    ("leaky_relu", lambda lib, x: F(lib).leaky_relu(x), 2),
    ("leaky_relu_0.2", lambda lib, x: F(lib).leaky_relu(x, 0.2), 2),
    ("leaky_relu_neg", lambda lib, x: F(lib).leaky_relu(x, -1.5), 2),
    ("rrelu_eval", lambda lib, x: F(lib).rrelu(x), 2),
    ("rrelu_eval_bounds", lambda lib, x: F(lib).rrelu(x, 0.1, 0.6, training=False), 2),
    ("elu", lambda lib, x: F(lib).elu(x), 3),
    ("elu_alpha", lambda lib, x: F(lib).elu(x, alpha=0.5), 3),
    ("selu", lambda lib, x: F(lib).selu(x), 3),
    ("celu", lambda lib, x: F(lib).celu(x), 3),
    ("celu_alpha", lambda lib, x: F(lib).celu(x, alpha=2.5), 3),
    ("gelu", lambda lib, x: F(lib).gelu(x), 4),
    ("gelu_tanh", lambda lib, x: F(lib).gelu(x, approximate="tanh"), 4),
    ("silu", lambda lib, x: F(lib).silu(x), 4),
    ("mish", lambda lib, x: F(lib).mish(x), 4),
    ("sigmoid", lambda lib, x: F(lib).sigmoid(x), 4),
    ("tanh", lambda lib, x: F(lib).tanh(x), 2),
    ("hardsigmoid", lambda lib, x: F(lib).hardsigmoid(x), 5),
    ("hardswish", lambda lib, x: F(lib).hardswish(x), 5),
    ("softplus", lambda lib, x: F(lib).softplus(x), 4),
    ("softplus_beta", lambda lib, x: F(lib).softplus(x, beta=2.0, threshold=3.0), 4),
    ("softplus_half", lambda lib, x: F(lib).softplus(x, beta=0.5, threshold=1.0), 4),
    ("softsign", lambda lib, x: F(lib).softsign(x), 3),
    ("threshold", lambda lib, x: F(lib).threshold(x, 0.3, -7.0), 2),
    ("logsigmoid", lambda lib, x: F(lib).logsigmoid(x), 4),
    ("tanhshrink", lambda lib, x: F(lib).tanhshrink(x), 3),
    ("softshrink", lambda lib, x: F(lib).softshrink(x), 2),
    ("softshrink_1", lambda lib, x: F(lib).softshrink(x, 1.0), 2),
    ("hardshrink", lambda lib, x: F(lib).hardshrink(x), 2),
    ("hardshrink_0.8", lambda lib, x: F(lib).hardshrink(x, 0.8), 2),
    ("softmax", lambda lib, x: F(lib).softmax(x, dim=-1), 2),
    ("log_softmax", lambda lib, x: F(lib).log_softmax(x, dim=0), 2),
    ("softmin", lambda lib, x: F(lib).softmin(x, dim=1), 2),
    ("glu", lambda lib, x: F(lib).glu(x), 2),
    ("glu_dim0", lambda lib, x: F(lib).glu(x, 0), 2),
]
_ACT = {name: fn for name, fn, _ in ACTS}
SMOOTH = ["elu", "elu_alpha", "selu", "celu_alpha", "gelu", "gelu_tanh", "silu", "mish",
          "softplus", "softplus_beta", "softsign", "logsigmoid", "tanhshrink", "glu",
          "softmin", "hardswish"]

# kinks and saturation points of every activation above, hit exactly
KINKS = np.array([-20.0, -6.0, -3.0, -2.5, -1.0, -0.8, -0.5, -0.3, 0.0, 0.3, 0.5, 0.8, 1.0,
                  1.5, 1.0 / 3, 3.0, 6.0, 20.0, 21.0, -0.0, 10.0, 0.25, 2.0, -2.0]).reshape(2, 12)
# far tails: every formula must stay finite and exact (softplus, log_sigmoid, elu, ...)
TAILS = np.array([-1e4, -800.0, -100.0, -40.0, -17.0, 17.0, 40.0, 100.0, 800.0, 1e4])


@pytest.mark.parametrize("name, fn, r", ACTS, ids=[a[0] for a in ACTS])
def test_float64_vs_torch(name, fn, r):
    check_op(fn, [(4, 6)], lib=True, low=-r, high=r)


@pytest.mark.parametrize("name, fn, r", ACTS, ids=[a[0] for a in ACTS])
def test_float32_transposed_vs_torch(name, fn, r):
    check_op(fn, [(6, 4)], lib=True, low=-r, high=r, dtype="float32", layout="T")


@pytest.mark.parametrize("name, fn, r", ACTS, ids=[a[0] for a in ACTS])
def test_kinks_exactly_as_torch(name, fn, r):
    check_op(fn, [KINKS], lib=True)


@pytest.mark.parametrize("name, fn, r", ACTS, ids=[a[0] for a in ACTS])
def test_tails_stay_finite(name, fn, r):
    if name.startswith("glu"):
        return  # covered by the sigmoid inside
    x = TAILS.reshape(2, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings from NumPy either
        check_op(fn, [x], lib=True)
        check_op(fn, [x.astype(np.float32)], lib=True)


@pytest.mark.parametrize("name", SMOOTH)
def test_second_derivatives(name):
    check_op(_ACT[name], [(3, 4)], lib=True, low=-3, high=3, double=True, avoid=(-3.0, 0.0, 3.0))


@pytest.mark.parametrize("shape", [(0, 4), (3, 0, 2), ()])
@pytest.mark.parametrize("name", ["relu6", "leaky_relu", "elu", "gelu", "softplus", "hardswish",
                                  "threshold", "softshrink", "logsigmoid", "mish"])
def test_zero_size_and_scalar(name, shape):
    check_op(_ACT[name], [shape], lib=True)


def test_prelu_vs_torch():
    w1 = np.array([0.25])
    w3 = np.array([0.1, -0.4, 2.0])
    prelu = lambda lib, x, w: F(lib).prelu(x, w)  # noqa: E731
    for shapes in ([(4, 3), w3], [(2, 3, 5), w3], [(2, 3, 2, 2), w3], [(5,), w1], [(), w1],
                   [(2, 3, 2), w1], [(0, 3), w3]):
        check_op(prelu, shapes, lib=True, double=True, avoid=(0.0,))
    check_op(prelu, [(2, 3, 4), w3.astype(np.float32)], lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("fn, kernel", [
    (lambda lib, x: F(lib).leaky_relu(x), "leaky_relu_cpu"),
    (lambda lib, x: F(lib).rrelu(x), "leaky_relu_cpu"),
    (lambda lib, x: F(lib).elu(x), "elu_cpu"),
    (lambda lib, x: F(lib).selu(x), "elu_cpu"),
    (lambda lib, x: F(lib).gelu(x), "GeluKernelImpl"),
    (lambda lib, x: F(lib).silu(x), "silu_cpu"),
    (lambda lib, x: F(lib).mish(x), "mish_cpu"),
    (lambda lib, x: F(lib).softplus(x), "softplus_cpu"),
    (lambda lib, x: F(lib).logsigmoid(x), "log_sigmoid_cpu"),
    (lambda lib, x: F(lib).hardsigmoid(x), "hardsigmoid_cpu"),
    (lambda lib, x: F(lib).hardswish(x), "hardswish_cpu"),
    (lambda lib, x: F(lib).hardshrink(x), "hardshrink_cpu"),
    (lambda lib, x: F(lib).softshrink(x), "softshrink_check"),
    (lambda lib, x: F(lib).glu(x), "glu_cpu"),
])
def test_integer_inputs_rejected(fn, kernel):
    check_raises(fn, [("int", (2, 4), -3, 3)], lib=True, match=f'"{kernel}" not implemented for '
                 "'Long'")


@pytest.mark.parametrize("fn", [
    lambda lib, x: F(lib).relu(x), lambda lib, x: F(lib).relu6(x),
    lambda lib, x: F(lib).hardtanh(x, -2, 1), lambda lib, x: F(lib).threshold(x, 0, 9),
    lambda lib, x: F(lib).softsign(x), lambda lib, x: F(lib).tanhshrink(x),
    lambda lib, x: F(lib).sigmoid(x),
])
def test_integer_inputs_accepted(fn):
    check_op(fn, [("int", (3, 4), -8, 8)], lib=True)


@pytest.mark.parametrize("fn, exc, match", [
    (lambda lib, x: F(lib).hardtanh(x, 2.0, 1.0), ValueError, "min_val cannot be greater"),
    (lambda lib, x: F(lib).celu(x, 0.0), RuntimeError, "alpha cannot be 0 for CELU"),
    (lambda lib, x: F(lib).softshrink(x, -1.0), RuntimeError, "lambda must be in range"),
    (lambda lib, x: F(lib).gelu(x, approximate="erf"), RuntimeError, "either none or tanh"),
    (lambda lib, x: F(lib).glu(x), RuntimeError, "dimension 1 is size 3"),
    (lambda lib, x: F(lib).glu(x[0, 0]), RuntimeError, "glu does not support scalars"),
    (lambda lib, x: F(lib).rrelu(x, 0.5, 0.1, True), RuntimeError, "Lower bound should be"),
    (lambda lib, x: F(lib).prelu(x, x.new_ones(2)), RuntimeError,
     "Found parameter numbers = 2 and channel size = 3"),
    (lambda lib, x: F(lib).prelu(x, x.new_ones(1, 3)), RuntimeError, "scalar or 1D tensor"),
    (lambda lib, x: F(lib).prelu(x[0, 0], x.new_ones(3)), RuntimeError, "zero-dim input"),
    (lambda lib, x: F(lib).prelu(x, lib.ones(3, dtype=lib.float32)), RuntimeError,
     "Got Double and Float"),
    (lambda lib, x: F(lib).relu6(x.bool()), RuntimeError, "Bool inputs not supported"),
    (lambda lib, x: F(lib).softmax(x, 2), IndexError, "Dimension out of range"),
    (lambda lib, x: lib.nn.Hardtanh(1.0, 1.0), AssertionError, "must be greater than"),
    (lambda lib, x: lib.nn.Softmax2d()(x), ValueError, "expected input to be 3D or 4D"),
])
def test_errors(fn, exc, match):
    check_raises(fn, [(2, 3)], lib=True, exc=exc, match=match)


@pytest.mark.parametrize("name, call", [
    ("relu", lambda F, x: F.relu(x, inplace=True)),
    ("relu_", lambda F, x: F.relu_(x)),
    ("relu6", lambda F, x: F.relu6(x, inplace=True)),
    ("hardtanh_", lambda F, x: F.hardtanh_(x, -0.5, 0.5)),
    ("leaky_relu_", lambda F, x: F.leaky_relu_(x, 0.2)),
    ("elu", lambda F, x: F.elu(x, 0.7, inplace=True)),
    ("elu_", lambda F, x: F.elu_(x)),
    ("selu_", lambda F, x: F.selu_(x)),
    ("celu_", lambda F, x: F.celu_(x, 1.5)),
    ("threshold_", lambda F, x: F.threshold_(x, 0.1, 2.0)),
    ("silu", lambda F, x: F.silu(x, inplace=True)),
    ("mish", lambda F, x: F.mish(x, inplace=True)),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x, inplace=True)),
    ("hardswish", lambda F, x: F.hardswish(x, inplace=True)),
    ("rrelu_", lambda F, x: F.rrelu_(x, 0.2, 0.4)),
])
def test_inplace_forms(name, call):
    # on a non-leaf: the op writes into x (same object back) and gradients flow as torch's
    def fn(lib, a):
        x = a * 1
        y = call(F(lib), x)
        assert y is x
        return y
    check_op(fn, [(3, 5)], lib=True, low=-4, high=4)


@pytest.mark.parametrize("name, call", [
    ("relu_", lambda lib, x: x.relu_()),
    ("F.relu-inplace", lambda lib, x: F(lib).relu(x, inplace=True)),
    ("ReLU-inplace", lambda lib, x: lib.nn.ReLU(inplace=True)(x)),
    ("tanh_", lambda lib, x: x.tanh_()),
    ("sigmoid_", lambda lib, x: x.sigmoid_()),
    ("exp_", lambda lib, x: x.exp_()),
    ("threshold_", lambda lib, x: F(lib).threshold_(x, 0.1, 2.0)),
    ("hardtanh_", lambda lib, x: F(lib).hardtanh_(x, -0.5, 0.5)),
    ("leaky_relu_", lambda lib, x: F(lib).leaky_relu_(x, 0.2)),
    ("hardsigmoid-inplace", lambda lib, x: F(lib).hardsigmoid(x, inplace=True)),
])
def test_inplace_without_snapshot_of_the_input(name, call):
    # these ops' backwards keep only their output or masks, so their in-place forms write over
    # the input without cloning it first (ops/_inplace.py, snapshot=False): no clone op runs,
    # the buffer is the same, the node links straight to x's node as in torch, same gradients
    rng = np.random.default_rng(0)
    a_np, g_np = rng.uniform(-3, 3, (4, 5)), rng.standard_normal((4, 5))
    grads, links = [], []
    ops = []
    observe = lambda cls, args, kwargs, result: ops.append(cls.__name__)  # noqa: E731
    for lib in (gt, torch):
        a = lib.tensor(a_np, requires_grad=True)
        x = a * 2
        ptr = x.data_ptr()
        if lib is gt:
            gt.autograd.node._OBSERVERS.append(observe)
        try:
            y = call(lib, x)
        finally:
            if lib is gt:
                gt.autograd.node._OBSERVERS.remove(observe)
        assert y is x and x.data_ptr() == ptr
        links.append(type(x.grad_fn.next_functions[0][0]).__name__ if lib is torch else
                     x.grad_fn.next_functions[0][0].name())
        y.backward(lib.tensor(g_np))
        grads.append(a.grad)
    assert "Clone" not in ops and ops
    assert links[0] == links[1] == "MulBackward0"
    assert_close(grads[0], grads[1])

def test_inplace_on_leaf_raises_like_torch():
    check_raises(lambda lib, x: F(lib).relu(x.requires_grad_(), inplace=True), [(2, 2)],
                 lib=True, match="leaf Variable")


def test_rrelu_training_draws_slopes_from_glasstorch_generator():
    lower, upper = 0.1, 0.3
    x = gt.tensor(-np.abs(np.random.default_rng(0).standard_normal(20000)) - 0.01,
                  requires_grad=True)
    gt.manual_seed(3)
    y = F(gt).rrelu(x, lower, upper, training=True)
    slope = (y / x).detach().numpy()
    assert slope.min() >= lower and slope.max() <= upper
    assert abs(slope.mean() - (lower + upper) / 2) < 2e-3       # U(l, u): mean (l+u)/2
    assert abs(slope.std() - (upper - lower) / 12 ** 0.5) < 2e-3  # and sd (u-l)/sqrt(12)
    y.backward(gt.ones_like(y))
    np.testing.assert_allclose(x.grad.numpy(), slope)             # the gradient is the slope
    gt.manual_seed(3)
    again = F(gt).rrelu(x.detach(), lower, upper, training=True)
    np.testing.assert_array_equal(again.numpy(), y.detach().numpy())
    pos = gt.tensor([0.5, 2.0, 3.0])
    np.testing.assert_array_equal(F(gt).rrelu(pos, training=True).numpy(), pos.numpy())


def test_rrelu_module_train_and_eval():
    m = gnn.RReLU(0.2, 0.4)
    x = gt.tensor(-np.ones(1000))
    y = m(x).numpy()
    assert len(np.unique(y)) > 900 and (-0.4 <= y).all() and (y <= -0.2).all()
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.3 * np.ones(1000))


@pytest.mark.parametrize("shape, want", [((5,), 0), ((2, 3), 1), ((2, 3, 4), 0),
                                         ((2, 3, 4, 5), 1), ((), 0)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_implicit_dim(name, shape, want):
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        got = getattr(F(gt), name)(gt.tensor(x))
    if x.ndim:
        np.testing.assert_allclose(got.numpy(), getattr(F(torch), name)(torch.tensor(x),
                                                                          dim=want).numpy())


@pytest.mark.parametrize("name, dtype", [("softmax", "float32"), ("log_softmax", "float64")])
def test_softmax_dtype_argument(name, dtype):
    check_op(lambda lib, x: getattr(F(lib), name)(x, 1, dtype=getattr(lib, dtype)), [(3, 4)],
             lib=True, dtype="float32")


# ---- modules ---------------------------------------------------------------------------------
MODULES = [
    lambda nn: nn.ReLU(), lambda nn: nn.ReLU(inplace=True), lambda nn: nn.ReLU6(),
    lambda nn: nn.ReLU6(True), lambda nn: nn.Threshold(0.1, 20),
    lambda nn: nn.Threshold(0.1, 20.0, True), lambda nn: nn.RReLU(),
    lambda nn: nn.RReLU(0.1, 0.3, True), lambda nn: nn.Hardtanh(),
    lambda nn: nn.Hardtanh(-2, 3, True), lambda nn: nn.Hardtanh(min_value=-2.0),
    lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(), lambda nn: nn.Hardsigmoid(True),
    lambda nn: nn.Hardswish(True), lambda nn: nn.SiLU(), lambda nn: nn.SiLU(True),
    lambda nn: nn.Mish(), lambda nn: nn.Mish(True), lambda nn: nn.ELU(),
    lambda nn: nn.ELU(0.5, True), lambda nn: nn.CELU(2.0), lambda nn: nn.SELU(),
    lambda nn: nn.SELU(True), lambda nn: nn.GLU(), lambda nn: nn.GLU(0), lambda nn: nn.GELU(),
    lambda nn: nn.GELU("tanh"), lambda nn: nn.Hardshrink(), lambda nn: nn.Hardshrink(0.3),
    lambda nn: nn.Softshrink(1), lambda nn: nn.LeakyReLU(), lambda nn: nn.LeakyReLU(0.2, True),
    lambda nn: nn.LogSigmoid(), lambda nn: nn.Softplus(), lambda nn: nn.Softplus(2, 10),
    lambda nn: nn.PReLU(), lambda nn: nn.PReLU(4, 0.1), lambda nn: nn.Softsign(),
    lambda nn: nn.Tanhshrink(), lambda nn: nn.Softmin(1), lambda nn: nn.Softmax(dim=-1),
    lambda nn: nn.Softmax(), lambda nn: nn.Softmax2d(), lambda nn: nn.LogSoftmax(0),
]


@pytest.mark.parametrize("build", MODULES)
def test_module_repr_state_and_forward(build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Hardtanh(min_value=...) is deprecated in both
        g, t = build(gnn), build(torch.nn)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    for (kg, vg), (kt, vt) in zip(g.state_dict().items(), t.state_dict().items()):
        np.testing.assert_array_equal(vg.numpy(), vt.numpy(), err_msg=kg)
    g.eval(), t.eval()  # RReLU: deterministic in eval
    x = np.random.default_rng(1).uniform(-3, 3, (2, 4, 3, 2)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Softmax(): implicit dim
        assert_close(g(gt.tensor(x)), t(torch.tensor(x)))


def test_prelu_module_trains_like_torch():
    g, t = gnn.PReLU(3, init=0.2), torch.nn.PReLU(3, init=0.2)
    assert g.weight.dtype == gt.float32 and g.weight.requires_grad
    for step in range(3):
        x = np.random.default_rng(step).standard_normal((4, 3, 5)).astype(np.float32)
        yg, yt = g(gt.tensor(x)), t(torch.tensor(x))
        assert_close(yg, yt)
        (yg * yg).sum().backward()
        (yt * yt).sum().backward()
        assert_close(g.weight.grad, t.weight.grad)
        with gt.no_grad(), torch.no_grad():
            g.weight -= 0.1 * g.weight.grad
            t.weight -= 0.1 * t.weight.grad
        g.weight.grad = t.weight.grad = None
    assert_close(g.weight.detach(), t.weight.detach())


def test_grad_fn_names_match_torch():
    for name in ["relu6", "elu", "gelu", "softplus", "silu", "mish", "hardswish", "logsigmoid",
                 "leaky_relu"]:
        g = _ACT[name](gt, gt.ones(2, requires_grad=True)).grad_fn.name()
        t = _ACT[name](torch, torch.ones(2, requires_grad=True)).grad_fn.name()
        assert g == t, name


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "float32"])
@pytest.mark.parametrize("th, value", [(-0.3, 0.1), (0.3, -0.5), (-1, 2), (2, -1), (300, 1),
                                       (1.5, 2.5), (1e39, 0.0), (0.0, float("nan")),
                                       (float("inf"), 0.0), (2**63, 1)])
def test_threshold_value_must_fit_the_dtype(dtype, th, value):
    """torch converts threshold and value to the input's dtype and raises on overflow
    (uint8 with a negative float threshold was silently accepted; fuzzer finding); NaN
    inputs stay NaN."""
    from fuzz_engine import outcome
    x = np.array([0, 1, 3, 200] + [float("nan")] * (dtype == "float32"), dtype)
    got, detail = outcome(lambda lib, x: lib.nn.functional.threshold(x, th, value), [x])
    assert got in ("same_value", "same_error"), detail


@pytest.mark.parametrize("shape", [(2, 1, 0), (2, 2, 0), (3,), (0,), ()])
@pytest.mark.parametrize("dtype", ["bool", "int64", "float32"])
@pytest.mark.parametrize("dim", [-1, 1, 5])
def test_glu_checks_in_torchs_order(shape, dtype, dim):
    """glu checks the dim, then the halved size, then the dtype (fuzzer finding)."""
    from fuzz_engine import outcome
    x = np.zeros(shape, dtype)
    got, detail = outcome(lambda lib, x: lib.nn.functional.glu(x, dim), [x])
    assert got in ("same_value", "same_error"), detail
