"""Normalization (glasstorch/ops/norm.py, nn/modules/normalization.py) against torch: functional
batch/instance/layer/group/rms/local-response norm forward and backward (float64, float32,
transposed, second derivatives), running statistics through several training steps (momentum,
cumulative average, track_running_stats=False, affine=False), eval mode, reprs, state_dict keys
and error messages."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
import glasstorch.nn as gnn
from helpers import assert_close, check_op, check_raises


def F(lib):
    return lib.nn.functional


def _stats(lib, c, dtype=None):
    """Running statistics (no grad) for eval-mode calls."""
    rng = np.random.default_rng(5)
    return (lib.tensor(rng.standard_normal(c), dtype=dtype),
            lib.tensor(rng.uniform(0.5, 2.0, c), dtype=dtype))


# ---- batch norm ------------------------------------------------------------------------------
BN_SHAPES = [(4, 3), (5, 3, 4), (2, 3, 4, 5), (2, 3, 2, 2, 2), (2, 1)]


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training(shape, affine):
    c = shape[1]
    if affine:
        fn = lambda lib, x, w, b: F(lib).batch_norm(x, None, None, w, b, training=True)  # noqa
        shapes = [shape, (c,), (c,)]
    else:
        fn = lambda lib, x: F(lib).batch_norm(x, None, None, training=True, eps=1e-3)  # noqa
        shapes = [shape]
    check_op(fn, shapes, lib=True)
    check_op(fn, shapes, lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("shape", BN_SHAPES[:3])
def test_batch_norm_double_backward(shape):
    # no bias here: torch's bias gradient (the sum of gy) joins the graph with a zero second
    # derivative, glasstorch's does not (it depends on nothing that requires grad)
    c = shape[1]
    fn = lambda lib, x, w: F(lib).batch_norm(x, None, None, w, None, True)  # noqa: E731
    check_op(fn, [shape, (c,)], lib=True, double=True)
    check_op(lambda lib, x: F(lib).batch_norm(x, None, None, training=True), [shape], lib=True,
             double=True)


@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batch_norm_eval_uses_running_stats(shape):
    c = shape[1]

    def fn(lib, x, w, b):
        rm, rv = _stats(lib, c)
        return F(lib).batch_norm(x, rm, rv, w, b, training=False, eps=1e-4)
    check_op(fn, [shape, (c,), (c,)], lib=True)
    check_op(lambda lib, x, w: fn(lib, x, w, None), [shape, (c,)], lib=True, double=True)
    check_op(lambda lib, x: F(lib).batch_norm(x, *_stats(lib, c, x.dtype)), [shape], lib=True,
             dtype="float32", layout="T")


@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0, 0.0])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_norm_updates_running_stats(shape, momentum):
    x = np.random.default_rng(0).standard_normal(shape) * 3 + 1
    out = []
    for lib in (gt, torch):
        rm, rv = _stats(lib, shape[1])
        v0 = rm._version
        y = F(lib).batch_norm(lib.tensor(x), rm, rv, training=True, momentum=momentum)
        out.append((y, rm, rv, rm._version > v0))
    (yg, rmg, rvg, bumped), (yt, rmt, rvt, _) = out
    assert_close(yg, yt)
    assert_close(rmg, rmt, what="running_mean")
    assert_close(rvg, rvt, what="running_var (unbiased)")
    assert bumped  # an in-place update: the buffer's version moves, as torch's


def test_batch_norm_zero_size_batch():
    check_op(lambda lib, x: F(lib).layer_norm(x, (3,)), [(0, 3)], lib=True)
    check_op(lambda lib, x: F(lib).group_norm(x, 2), [(2, 4, 0)], lib=True)


# ---- layer norm, group norm, instance norm, rms norm, local response norm --------------------
LN_CASES = [((4, 5), (5,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((3,), (3,)),
            ((2, 1), (1,)), ((0, 4), (4,)), ((2, 2, 3, 2), (2, 3, 2))]


@pytest.mark.parametrize("shape, ns", LN_CASES)
def test_layer_norm(shape, ns):
    fn = lambda lib, x, w, b: F(lib).layer_norm(x, ns, w, b, eps=1e-4)  # noqa: E731
    check_op(fn, [shape, ns, ns], lib=True)
    check_op(fn, [shape, ns, ns], lib=True, dtype="float32", layout="T")
    check_op(lambda lib, x: F(lib).layer_norm(x, list(ns)), [shape], lib=True)
    check_op(lambda lib, x, w: F(lib).layer_norm(x, ns, w), [shape, ns], lib=True)


@pytest.mark.parametrize("shape, ns", LN_CASES[:3])
def test_layer_norm_double_backward(shape, ns):
    check_op(lambda lib, x, w: F(lib).layer_norm(x, ns, w), [shape, ns], lib=True, double=True)


GN_CASES = [((2, 6, 4), 1), ((2, 6, 4), 2), ((2, 6, 4), 3), ((2, 6, 4), 6), ((3, 4, 2, 3), 2),
            ((2, 4), 2), ((1, 4, 5), 4), ((2, 4, 2, 2, 2), 2)]


@pytest.mark.parametrize("shape, groups", GN_CASES)
def test_group_norm(shape, groups):
    c = shape[1]
    fn = lambda lib, x, w, b: F(lib).group_norm(x, groups, w, b, eps=1e-4)  # noqa: E731
    check_op(fn, [shape, (c,), (c,)], lib=True)
    # two values per group cancel badly in float32 (here glasstorch is the nearer to float64)
    rtol = 2e-3 if c // groups * int(np.prod(shape[2:])) <= 2 else None
    check_op(fn, [shape, (c,), (c,)], lib=True, dtype="float32", layout="T", grad_rtol=rtol)
    check_op(lambda lib, x: F(lib).group_norm(x, groups), [shape], lib=True, double=True)


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 4), (1, 2, 3, 2, 2)])
def test_instance_norm(shape):
    c = shape[1]
    fn = lambda lib, x, w, b: F(lib).instance_norm(x, weight=w, bias=b)  # noqa: E731
    check_op(fn, [shape, (c,), (c,)], lib=True)
    check_op(lambda lib, x, w: fn(lib, x, w, None), [shape, (c,)], lib=True, double=True)
    if len(shape) < 5:  # torch's instance_norm cannot .view() a transposed 5-d input
        check_op(fn, [shape, (c,), (c,)], lib=True, dtype="float32", layout="T")

    def eval_fn(lib, x, w):
        rm, rv = _stats(lib, c)
        return F(lib).instance_norm(x, rm, rv, w, None, use_input_stats=False)
    check_op(eval_fn, [shape, (c,)], lib=True)


def test_instance_norm_running_stats():
    x = np.random.default_rng(0).standard_normal((4, 3, 6)) * 2 + 1
    res = []
    for lib in (gt, torch):
        rm, rv = _stats(lib, 3)
        y = F(lib).instance_norm(lib.tensor(x), rm, rv, momentum=0.3)
        res.append((y, rm, rv))
    for g, t in zip(*res):
        assert_close(g, t)


@pytest.mark.parametrize("shape, ns", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((3,), (3,))])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm(shape, ns, eps):
    check_op(lambda lib, x, w: F(lib).rms_norm(x, ns, w, eps), [shape, ns], lib=True,
             double=True)
    check_op(lambda lib, x: F(lib).rms_norm(x, ns, eps=eps), [shape], lib=True,
             dtype="float32")


@pytest.mark.parametrize("shape", [(2, 7, 5), (2, 6, 3, 3), (1, 5, 2, 2, 2), (2, 1, 3)])
@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_local_response_norm(shape, size):
    fn = lambda lib, x: F(lib).local_response_norm(x, size, 0.5, 0.6, 1.5)  # noqa: E731
    check_op(fn, [shape], lib=True, double=True)
    # torch's local_response_norm cannot .view() a transposed 5-d input
    check_op(lambda lib, x: F(lib).local_response_norm(x, size), [shape], lib=True,
             dtype="float32", layout="T" if len(shape) < 5 else "C")


def test_local_response_norm_integer_input():
    check_op(lambda lib, x: F(lib).local_response_norm(x, 3), [("int", (2, 4, 3), -5, 5)],
             lib=True)


@pytest.mark.parametrize("fn, exc, match", [
    (lambda lib, x: F(lib).batch_norm(x[:1], None, None, training=True), ValueError,
     r"Expected more than 1 value per channel when training, got input size torch.Size\(\[1, 3"),
    (lambda lib, x: F(lib).batch_norm(x, None, None), RuntimeError,
     "running_mean must be defined in evaluation mode"),
    (lambda lib, x: F(lib).batch_norm(x, x.new_zeros(4), x.new_ones(4)), RuntimeError,
     "running_mean should contain 3 elements not 4"),
    (lambda lib, x: F(lib).batch_norm(x, None, None, x.new_ones(2), training=True),
     RuntimeError, "weight should contain 3 elements not 2"),
    (lambda lib, x: F(lib).batch_norm(x.long(), None, None, training=True), NotImplementedError,
     '"batch_norm" not implemented for \'Long\''),
    (lambda lib, x: F(lib).instance_norm(x), ValueError,
     "Expected more than 1 spatial element when training"),
    (lambda lib, x: F(lib).layer_norm(x, (4,)), RuntimeError,
     r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of "
     r"size\[2, 3\]"),
    (lambda lib, x: F(lib).layer_norm(x, (3,), x.new_ones(4)), RuntimeError,
     r"Expected weight to be of same shape as normalized_shape, but got weight of shape \[4\]"),
    (lambda lib, x: F(lib).layer_norm(x, []), RuntimeError, "at least 1-dimensional"),
    (lambda lib, x: F(lib).layer_norm(x, 3), TypeError, "must be tuple of ints"),
    (lambda lib, x: F(lib).layer_norm(x.long(), (3,)), NotImplementedError,
     "LayerNormKernelImpl"),
    (lambda lib, x: F(lib).group_norm(x, 2), RuntimeError,
     r"divisible by num_groups, but got input of shape \[2, 3\] and num_groups=2"),
    (lambda lib, x: F(lib).group_norm(x[0], 1), RuntimeError, "Expected at least 2 dimensions"),
    (lambda lib, x: F(lib).group_norm(x, 3, x.new_ones(2)), RuntimeError,
     "Expected weight to be a vector of size equal to the number of channels"),
    (lambda lib, x: F(lib).local_response_norm(x, 2), ValueError,
     "Expected 3D or higher dimensionality"),
    (lambda lib, x: lib.nn.GroupNorm(2, 3), ValueError,
     r"num_channels \(3\) must be divisible by num_groups \(2\)"),
    (lambda lib, x: lib.nn.BatchNorm1d(3)(x[None, None]), ValueError,
     r"expected 2D or 3D input \(got 4D input\)"),
    (lambda lib, x: lib.nn.BatchNorm2d(3)(x), ValueError, r"expected 4D input \(got 2D input\)"),
    (lambda lib, x: lib.nn.BatchNorm3d(3)(x), ValueError, r"expected 5D input \(got 2D input\)"),
    (lambda lib, x: lib.nn.InstanceNorm2d(3)(x), ValueError,
     r"expected 3D or 4D input \(got 2D input\)"),
    (lambda lib, x: lib.nn.InstanceNorm1d(4, affine=True)(x[None]), ValueError,
     r"expected input's size at dim=1 to match num_features \(4\), but got: 2."),
])
def test_errors(fn, exc, match):
    check_raises(fn, [(2, 3)], lib=True, exc=exc, match=match)


# ---- modules ---------------------------------------------------------------------------------
def _pair(build):
    g, t = build(gnn), build(torch.nn)
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in g.state_dict().items()})
    return g, t


def _randomize_affine(g, t, seed):
    # non-trivial weight/bias, the same in both
    rng = np.random.default_rng(seed)
    for (name, pg), (_, pt) in zip(g.named_parameters(), t.named_parameters()):
        v = rng.uniform(0.5, 1.5, tuple(pg.shape)).astype(np.float32)
        with gt.no_grad(), torch.no_grad():
            pg.copy_(gt.tensor(v))
            pt.copy_(torch.tensor(v))


def _compare(g, t):
    for (kg, vg), (kt, vt) in zip(g.state_dict().items(), t.state_dict().items()):
        assert kg == kt
        assert_close(vg, vt.detach(), what=kg)


MODULES = [
    (lambda nn: nn.BatchNorm1d(3), (8, 3)),
    (lambda nn: nn.BatchNorm1d(3), (4, 3, 5)),
    (lambda nn: nn.BatchNorm1d(3, momentum=None), (4, 3, 5)),
    (lambda nn: nn.BatchNorm1d(3, eps=1e-3, momentum=0.3, affine=False), (6, 3)),
    (lambda nn: nn.BatchNorm1d(3, track_running_stats=False), (6, 3)),
    (lambda nn: nn.BatchNorm1d(3, bias=False), (6, 3)),
    (lambda nn: nn.BatchNorm2d(4), (3, 4, 5, 5)),
    (lambda nn: nn.BatchNorm2d(4, momentum=None, affine=False), (3, 4, 2, 3)),
    (lambda nn: nn.BatchNorm2d(4, track_running_stats=False, affine=False), (3, 4, 2, 3)),
    (lambda nn: nn.BatchNorm3d(2), (2, 2, 3, 2, 2)),
    (lambda nn: nn.InstanceNorm1d(3), (4, 3, 6)),
    (lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), (4, 3, 6)),
    (lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), (3, 6)),
    (lambda nn: nn.InstanceNorm2d(3, affine=True), (2, 3, 4, 4)),
    (lambda nn: nn.InstanceNorm2d(3, track_running_stats=True, momentum=None), (2, 3, 4, 4)),
    (lambda nn: nn.InstanceNorm3d(2, affine=True), (2, 2, 2, 3, 2)),
    (lambda nn: nn.LayerNorm(5), (4, 5)),
    (lambda nn: nn.LayerNorm([3, 5], eps=1e-3), (2, 3, 5)),
    (lambda nn: nn.LayerNorm(5, elementwise_affine=False), (4, 5)),
    (lambda nn: nn.LayerNorm(5, bias=False), (4, 3, 5)),
    (lambda nn: nn.GroupNorm(2, 6), (3, 6, 4)),
    (lambda nn: nn.GroupNorm(3, 6, affine=False), (2, 6, 2, 2)),
    (lambda nn: nn.GroupNorm(1, 4, bias=False), (2, 4, 3)),
    (lambda nn: nn.RMSNorm(5), (4, 5)),
    (lambda nn: nn.RMSNorm([2, 5], eps=1e-4, elementwise_affine=False), (4, 2, 5)),
    (lambda nn: nn.LocalResponseNorm(3), (2, 6, 3, 3)),
    (lambda nn: nn.LocalResponseNorm(5, alpha=1e-2, beta=0.5, k=2.0), (2, 7, 4)),
]


@pytest.mark.parametrize("build, shape", MODULES)
def test_module_trains_like_torch(build, shape):
    """Fresh state equal to torch's (ones, zeros, buffers), then three training steps
    (outputs, every gradient, buffers), then eval outputs."""
    g, t = build(gnn), build(torch.nn)
    assert repr(g) == repr(t)
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    _compare(g, t)
    _randomize_affine(g, t, 0)
    rng = np.random.default_rng(1)
    for step in range(3):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        xg, xt = gt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yg, yt = g(xg), t(xt)
        assert_close(yg, yt, what=f"step {step} output")
        up = rng.standard_normal(shape).astype(np.float32)
        yg.backward(gt.tensor(up))
        yt.backward(torch.tensor(up))
        assert_close(xg.grad, xt.grad, what=f"step {step} input grad")
        for (name, pg), (_, pt) in zip(g.named_parameters(), t.named_parameters()):
            assert_close(pg.grad, pt.grad, what=f"step {step} {name}.grad")
        _compare(g, t)
    g.eval(), t.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(g(gt.tensor(x)), t(torch.tensor(x)), what="eval output")


def test_batch_norm_buffers_and_state_dict():
    g, t = gnn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    assert list(g.state_dict()) == list(t.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert g.num_batches_tracked.dtype == gt.int64 and g.num_batches_tracked.shape == ()
    assert g.running_mean.dtype == gt.float32 and not g.running_mean.requires_grad
    g.train()
    g(gt.randn(2, 3, 2, 2))
    assert g.num_batches_tracked.item() == 1
    g.eval()
    g(gt.randn(2, 3, 2, 2))
    assert g.num_batches_tracked.item() == 1  # eval leaves the statistics alone
    g.reset_running_stats()
    assert g.num_batches_tracked.item() == 0 and (g.running_var.numpy() == 1).all()
    n = gnn.BatchNorm1d(3, track_running_stats=False)
    assert n.running_mean is None and n.num_batches_tracked is None
    assert list(n.state_dict()) == ["weight", "bias"]
    d = gnn.BatchNorm1d(4, dtype=gt.float64)
    assert d.weight.dtype == d.running_var.dtype == gt.float64


def test_batch_norm_eval_with_single_sample():
    # eval uses running statistics, so a batch of one is fine (training raises)
    g, t = _pair(lambda nn: nn.BatchNorm1d(3))
    g.eval(), t.eval()
    x = np.array([[1.0, -2.0, 3.0]], np.float32)
    assert_close(g(gt.tensor(x)), t(torch.tensor(x)))
    g.train()
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        g(gt.tensor(x))


def test_grad_fn_names():
    x = gt.randn(2, 4, 3, requires_grad=True)
    assert F(gt).batch_norm(x, None, None, training=True).grad_fn.name() == \
        "NativeBatchNormBackward0"
    assert F(gt).layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"


@pytest.mark.parametrize("shape", [(2, 3), (2, 0), (0, 3)])
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32")])
def test_rms_norm_keeps_the_input_dtype(shape, dtypes):
    """rms_norm's result has the input's dtype whatever the weight's (fuzzer finding)."""
    from fuzz_engine import outcome
    x = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(dtypes[0])
    w = np.linspace(0.5, 2, shape[-1]).astype(dtypes[1])
    got, detail = outcome(lambda lib, x, w: lib.nn.functional.rms_norm(x, (shape[-1],), w),
                          [x, w])
    assert got in ("same_value", "same_error"), detail


@pytest.mark.parametrize("shape", [(2, 2, 3), (2, 2, 1, 2, 1), (2, 0, 3), (2, 2, 0)])
@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "bool", "float32"])
def test_local_response_norm_of_integer_inputs(shape, dtype):
    """torch averages with avg_pool2d/3d, which have loops for floats and int64 only; empty
    inputs come back unchanged (fuzzer finding)."""
    from fuzz_engine import outcome
    x = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    got, detail = outcome(lambda lib, x: lib.nn.functional.local_response_norm(x, 2), [x])
    assert got in ("same_value", "same_error"), detail


# fuzzer finding: |x| ~ 1e30 in float32. torch's moments (Welford per 32-byte vector lane, the
# lanes merged into the tail's with m2 += m2_lane + d * d * c * m0) overflow: inf variance
# (output 0), or NaN where d * d = inf meets c = 0 or m0 = 0 (fewer elements than a vector,
# or no tail). The two-pass moments stayed finite (or nan/0 elsewhere).
@pytest.mark.parametrize("dtype,big", [("float32", 1e30), ("float32", 1e20),
                                       ("float64", 1e160)])
@pytest.mark.parametrize("n", [2, 3, 4, 5, 8, 9, 16, 17, 24])
@pytest.mark.parametrize("where", ["first", "last", "all but one", "all"])
def test_layer_norm_of_huge_values_overflows_as_torch(dtype, big, n, where):
    x = np.zeros((2, n), dtype)
    x[1] = np.linspace(-1, 1, n)
    cols = {"first": [0], "last": [n - 1], "all but one": slice(0, n - 1),
            "all": slice(None)}[where]
    x[0, cols] = big
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check_op(lambda m, x: m.nn.functional.layer_norm(x, (n,)), [x], lib=True, grad=False,
                 dtype=dtype)


@pytest.mark.parametrize("n,groups", [(5, 1), (8, 2), (9, 3)])
def test_group_norm_of_huge_values_overflows_as_torch(n, groups):
    x = np.zeros((2, 3 * groups, n), "float32")
    x[0, 0, 0] = x[1, :, 1:] = 1e30
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check_op(lambda m, x: m.nn.functional.group_norm(x, groups), [x], lib=True, grad=False,
                 dtype="float32")


@pytest.mark.parametrize("shape,groups", [((1, 5, 1, 1), 3), ((1, 2), 2), ((1, 1, 1, 1), 1)])
def test_group_norm_one_value_per_group_is_a_value_error_first(shape, groups):
    """F.group_norm checks its batch size (ValueError) before divisibility (RuntimeError)."""
    g, t = check_raises(lambda m, x: m.nn.functional.group_norm(x, groups), [shape], lib=True)
    assert str(g) == str(t)


@pytest.mark.parametrize("layout", ["T", "S"])
def test_batch_norm_of_huge_values_in_a_strided_input_as_torch(layout):
    """torch's kernel for a strided input sums float32 statistics in double."""
    x = np.array([[1.0, -2.5, 1e30], [-0.4, 1.0, 2.0], [1.4, 0.3, -1.0], [1e30, 2.0, 0.5]],
                 "float32")
    outs = []
    for m in (gt, torch):
        t = m.tensor(np.ascontiguousarray(x.T)).T if layout == "T" else \
            m.tensor(np.repeat(x, 2, axis=-1))[..., ::2]
        outs.append(m.nn.functional.batch_norm(t, m.zeros(3), m.ones(3), training=True))
    assert_close(*outs, rtol=1e-4, atol=1e-5)
