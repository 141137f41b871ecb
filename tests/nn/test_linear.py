"""nn.Linear / nn.Bilinear and F.linear / F.bilinear against torch: values and gradients (1-D,
batched, zero-size, non-contiguous, second derivatives), modules with copied weights, repr,
state_dict keys, the default init's bounds and moments, and shape/dtype errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import assert_close, check_op, check_raises

P = pytest.param


def _linear(L, x, w, *b):
    return L.nn.functional.linear(x, w, *b)


def _bilinear(L, x1, x2, w, *b):
    return L.nn.functional.bilinear(x1, x2, w, *b)


# ---- functional ------------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", [
    P([(5, 3), (4, 3), (4,)], id="2d"),
    P([(3,), (4, 3), (4,)], id="1d-input"),
    P([(2, 5, 3), (4, 3), (4,)], id="3d-input"),
    P([(5, 3), (4, 3)], id="no-bias"),
    P([(0, 3), (4, 3), (4,)], id="empty-batch"),
    P([(5, 0), (4, 0), (4,)], id="zero-features"),
    P([(5, 3), (3,)], id="1d-weight"),
])
@pytest.mark.parametrize("layout", ["C", "T"])
def test_linear(shapes, layout):
    check_op(_linear, shapes, lib=True, layout=layout, double=True)


def test_linear_float32_and_int():
    check_op(_linear, [(2, 5, 3), (4, 3), (4,)], lib=True, dtype="float32")
    check_op(_linear, [("int", (5, 3), -3, 3), ("int", (4, 3), -3, 3)], lib=True)


def test_linear_permuted_3d_input():
    # (T, B, in) permuted to (B, T, in), as d2l's Bahdanau decoder passes its encoder outputs
    # to the keys' LazyLinear: folded into one GEMM (a copy) as torch does
    check_op(lambda L, x, w, b: L.nn.functional.linear(x.permute(1, 0, 2), w, b),
             [(9, 4, 6), (5, 6), (5,)], lib=True, dtype="float32")


@pytest.mark.parametrize("shapes", [
    P([(5, 2), (5, 3), (4, 2, 3), (4,)], id="2d"),
    P([(2,), (3,), (4, 2, 3), (4,)], id="1d"),
    P([(6, 5, 2), (6, 5, 3), (4, 2, 3)], id="3d-no-bias"),
    P([(0, 2), (0, 3), (4, 2, 3), (4,)], id="empty-batch"),
    P([(5, 2), (5, 3), (0, 2, 3), (0,)], id="no-outputs"),
    P([(5, 1), (5, 1), (1, 1, 1), (1,)], id="ones"),
])
@pytest.mark.parametrize("layout", ["C", "T"])
def test_bilinear(shapes, layout):
    check_op(_bilinear, shapes, lib=True, layout=layout, double=True)


def test_bilinear_float32_and_int():
    check_op(_bilinear, [(6, 5, 2), (6, 5, 3), (4, 2, 3), (4,)], lib=True, dtype="float32")
    check_op(_bilinear, [("int", (5, 2), -3, 3), ("int", (5, 3), -3, 3),
                         ("int", (4, 2, 3), -3, 3)], lib=True)


@pytest.mark.parametrize("shapes, match", [
    P([(5, 2), (5, 3), (4, 2, 3), (3,)], "bias size does not match weight size: got 3 but "
      "expected 4", id="bias-size"),
    P([(5, 3), (5, 3), (4, 2, 3)], "input1 size does not match weight size: got 3 but "
      "expected 2", id="input1-size"),
    P([(5, 2), (5, 2), (4, 2, 3)], "input2 size does not match weight size: got 2 but "
      "expected 3", id="input2-size"),
    P([(6, 5, 2), (5, 3), (4, 2, 3)], "input dimensions do not match: got 3 and 2",
      id="ndim"),
    P([(1, 2), (5, 3), (4, 2, 3)], "batch dimensions do not match at dim 0: got 1 and 5",
      id="no-broadcast"),
    P([(5, 2), (5, 3), (4, 2, 3, 1)], None, id="4d-weight"),
    P([(5, 2), (5, 3), (4, 2)], None, id="2d-weight"),
    P([(), (), (4, 2, 3)], None, id="0d-inputs"),
])
def test_bilinear_errors(shapes, match):
    check_raises(_bilinear, shapes, lib=True, match=match)


@pytest.mark.parametrize("fn, match", [
    P(lambda L, a, b, w: L.nn.functional.bilinear(a.double(), b, w), "input1: double, "
      "input2: float, weight: float", id="input-dtype"),
    P(lambda L, a, b, w: L.nn.functional.bilinear(a, b, w, L.zeros(4, dtype=L.float64)),
      "weight: float, bias: double", id="bias-dtype"),
])
def test_bilinear_dtype_errors(fn, match):
    check_raises(fn, [(5, 2), (5, 3), (4, 2, 3)], lib=True, dtype="float32", match=match)


@pytest.mark.parametrize("fn, match", [
    P(lambda L, x, w: L.nn.functional.linear(x, w[:, :2]), r"\(5x3 and 2x4\)", id="shape"),
    P(lambda L, x, w: L.nn.functional.linear(x.double(), w), "Double and Float", id="dtype"),
    P(lambda L, x, w: L.nn.functional.linear(x.long(), w), "Long and Float", id="long-input"),
    P(lambda L, x, w: L.nn.functional.linear(x[0, 0], w), "at least 1D, but they are 0D and "
      "2D", id="0d-input"),
])
def test_linear_errors(fn, match):
    check_raises(fn, [(5, 3), (4, 3)], lib=True, dtype="float32", match=match)


# ---- modules ---------------------------------------------------------------------------------
def _pair(cls, *args, **kw):
    g, t = getattr(gt.nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in g.state_dict().items()})
    return g, t


def _run(m, L, arrays):
    xs = [L.tensor(a, requires_grad=True) for a in arrays]
    y = m(*xs)
    y.backward(L.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(
        y.detach().numpy().dtype)))
    return [y] + [x.grad for x in xs] + [p.grad for p in m.parameters()]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(3,), (5, 3), (2, 5, 3), (0, 3)])
def test_linear_module(bias, shape):
    g, t = _pair("Linear", 3, 4, bias=bias)
    assert repr(g) == repr(t) and list(g.state_dict()) == list(t.state_dict())
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    assert_close(_run(g, gt, [x]), _run(t, torch, [x]))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shapes", [[(2,), (3,)], [(5, 2), (5, 3)], [(6, 5, 2), (6, 5, 3)]])
def test_bilinear_module(bias, shapes):
    g, t = _pair("Bilinear", 2, 3, 4, bias=bias)
    assert repr(g) == repr(t) and list(g.state_dict()) == list(t.state_dict())
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    assert_close(_run(g, gt, xs), _run(t, torch, xs))


def test_module_dtype_and_double():
    g = gt.nn.Linear(3, 4, dtype=gt.float64)
    assert g.weight.dtype == gt.float64 and g.bias.dtype == gt.float64
    t = torch.nn.Linear(3, 4, dtype=torch.float64)
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in g.state_dict().items()})
    x = np.ones((2, 3))
    assert_close(_run(g, gt, [x]), _run(t, torch, [x]))
    b = gt.nn.Bilinear(2, 3, 4).double()
    assert b.weight.dtype == gt.float64 and b(gt.ones(1, 2).double(), gt.ones(1, 3).double()
                                              ).dtype == gt.float64
    with pytest.raises(RuntimeError):
        gt.nn.Linear(3, 4)(gt.ones(2, 3, dtype=gt.float64))
    with pytest.raises(RuntimeError):
        gt.nn.Bilinear(2, 3, 4)(gt.ones(1, 2, dtype=gt.float64), gt.ones(1, 3))


def _check_uniform(a, bound):
    """Samples of U(-bound, bound): inside the bounds, reaching near them, mean 0 and std
    bound / sqrt(3) within 5 standard errors."""
    a = a.astype(np.float64).ravel()
    n = a.size
    assert np.abs(a).max() <= bound * (1 + 1e-6) and np.abs(a).max() > bound * (1 - 20 / n)
    std = bound / np.sqrt(3)
    assert abs(a.mean()) < 5 * std / np.sqrt(n)
    assert abs(a.std() - std) < 5 * std * np.sqrt(0.8 / n)   # var of s^2 is 0.8 sigma^4 / n


@pytest.mark.parametrize("in_f, out_f", [(1000, 300), (7, 5000)])
def test_linear_init(in_f, out_f):
    gt.manual_seed(0)
    m = gt.nn.Linear(in_f, out_f)
    _check_uniform(m.weight.detach().numpy(), 1 / np.sqrt(in_f))
    # torch draws from the same law: the bound is what its largest draw approaches
    t = torch.nn.Linear(in_f, out_f)
    assert abs(t.weight.abs().max().item() - m.weight.abs().max().item()) < 1e-3
    b = m.bias.detach().numpy()
    assert np.abs(b).max() <= 1 / np.sqrt(in_f) and m.bias.dtype == gt.float32


def test_bilinear_init():
    gt.manual_seed(0)
    m = gt.nn.Bilinear(100, 30, 40)
    _check_uniform(m.weight.detach().numpy(), 0.1)
    _check_uniform(np.concatenate([gt.nn.Bilinear(100, 1, 4000).bias.detach().numpy()]), 0.1)


def test_zero_element_init_warns():
    for nn in (gt.nn, torch.nn):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            m = nn.Linear(0, 3)
        assert tuple(m(gt.ones(2, 0) if nn is gt.nn else torch.ones(2, 0)).shape) == (2, 3)


def test_reset_parameters_redraws():
    m = gt.nn.Linear(4, 4)
    before = m.weight.detach().clone()
    m.reset_parameters()
    assert not np.allclose(before.numpy(), m.weight.detach().numpy())


@pytest.mark.parametrize("n, i1, i2, o", [(0, 0, 0, 0), (1, 1, 0, 1), (2, 0, 2, 1),
                                          (0, 2, 2, 1), (2, 1, 1, 0)])
def test_bilinear_with_empty_features(n, i1, i2, o):
    """torch raises for in1 or in2 features of 0 (was silently accepted; fuzzer finding)."""
    from fuzz_engine import outcome
    args = [np.ones((n, i1)), np.ones((n, i2)), np.ones((o, i1, i2)), np.ones(o)]
    got, detail = outcome(lambda lib, a, b, w, c: lib.nn.functional.bilinear(a, b, w, c), args)
    assert got in ("same_value", "same_error"), detail


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 3), (2, 2, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_grad_fn_name_and_repr_match_torch(shape, bias):
    # torch's node is F.linear's last aten op (addmm, mm, view, ...): printed in reprs
    g, t = gt.nn.Linear(3, 4, bias=bias), torch.nn.Linear(3, 4, bias=bias)
    g.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.linspace(-1, 1, int(np.prod(shape)), dtype=np.float32).reshape(shape)
    yg, yt = g(gt.tensor(x)), t(torch.tensor(x))
    assert yg.grad_fn.name() == yt.grad_fn.name()
    assert repr(yg) == repr(yt)


# ---- the inference path: nothing recorded, F.linear runs the product on the arrays -------------
@pytest.mark.parametrize("shape", [(1, 784, 256), (7, 33, 5), (0, 3, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_no_grad_same_bits_as_recorded_path_and_torch(shape, dtype):
    n, i, o = shape
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((n, i), (o, i), (o,)))
    with gt.no_grad():
        y = gt.nn.functional.linear(gt.tensor(x), gt.tensor(w), gt.tensor(b))
    recorded = gt.nn.functional.linear(gt.tensor(x), gt.tensor(w, requires_grad=True),
                                       gt.tensor(b))
    assert not y.requires_grad and y.grad_fn is None and y.dtype == recorded.dtype
    assert recorded.grad_fn.name() == "AddmmBackward0"
    assert np.array_equal(y.numpy(), recorded.detach().numpy())
    with torch.no_grad():
        t = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b))
    assert_close(y, t)


@pytest.mark.parametrize("fn, match", [
    P(lambda L, x, w, b: L.nn.functional.linear(x, w[:, :2], b), r"\(5x3 and 2x4\)",
      id="shape"),
    P(lambda L, x, w, b: L.nn.functional.linear(x.double(), w, b), "Double and Float",
      id="input-dtype"),
    P(lambda L, x, w, b: L.nn.functional.linear(x, w, b.double()), "self and mat2 must have "
      "the same dtype, but got Double and Float", id="bias-dtype"),
    P(lambda L, x, w, b: L.nn.functional.linear(x, w, L.cat([b, b[:1]])),
      r"expanded size of the tensor \(4\) must match the existing size \(5\)", id="bias-size"),
    P(lambda L, x, w, b: L.nn.functional.linear(x.bool(), w.bool(), b.bool()),
      "\"addmm_impl_cpu_\" not implemented for 'Bool'", id="bool"),
])
def test_linear_no_grad_errors_match_torch(fn, match):
    def no_grad(L, *args):
        with L.no_grad():
            return fn(L, *args)
    check_raises(no_grad, [(5, 3), (4, 3), (4,)], lib=True, dtype="float32", match=match)


@pytest.mark.parametrize("bias", [(1, 4), (), None])
def test_linear_no_grad_other_biases_match_torch(bias):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    b = None if bias is None else rng.standard_normal(bias)
    outs = []
    for L in (gt, torch):
        with L.no_grad():
            outs.append(L.nn.functional.linear(L.tensor(x), L.tensor(w),
                                               None if b is None else L.tensor(b)))
    assert_close(*outs)


@pytest.mark.parametrize("which", [0, 1, 2])
def test_linear_records_when_any_argument_requires_grad(which):
    """(only the bias requiring grad: backward used to read saved tensors it never kept)"""
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s) for s in ((2, 3), (4, 3), (4,))]
    grads = []
    for L in (gt, torch):
        args = [L.tensor(a) for a in arrays]
        args[which].requires_grad_()
        y = L.nn.functional.linear(*args)
        assert y.requires_grad and y.grad_fn.name() == "AddmmBackward0"
        (y * y).sum().backward()
        grads.append(args[which].grad)
        with L.no_grad():
            assert not L.nn.functional.linear(*args).requires_grad
    assert_close(*grads)


def test_linear_no_grad_call_is_seen_by_observers():
    from glasstorch.autograd import node
    seen = []
    node._OBSERVERS.append(lambda op, args, kwargs, result: seen.append(op.__name__))
    try:
        with gt.no_grad():
            gt.nn.functional.linear(gt.ones(2, 3), gt.ones(4, 3), gt.ones(4))
    finally:
        node._OBSERVERS.pop()
    assert seen == ["Linear"]


@pytest.mark.parametrize("layout", ["C", "weight-T", "weight-strided", "input-strided"])
@pytest.mark.parametrize("threads", [1, 2])
def test_linear_batch1_no_grad_same_bits_as_matmul(layout, threads):
    """batch 1 under no_grad takes numpy.dot (the same gemv as matmul's for C-contiguous
    float rows and weights), other layouts matmul: the recorded path's bits either way"""
    before = gt.get_num_threads()
    gt.set_num_threads(threads)
    rng = np.random.default_rng(3)
    try:
        for dtype in (np.float32, np.float64):
            for k, n in [(1, 1), (3, 7), (17, 33), (129, 64), (256, 10), (784, 256), (1000, 1024)]:
                w = gt.tensor(rng.standard_normal((n, 2 * k)).astype(dtype))
                x = gt.tensor(rng.standard_normal((1, 2 * k)).astype(dtype))
                w = w[:, ::2] if layout == "weight-strided" else w[:, :k].contiguous()
                x = x[:, ::2] if layout == "input-strided" else x[:, :k].contiguous()
                if layout == "weight-T":
                    w = w.T.contiguous().T
                b = gt.tensor(rng.standard_normal(n).astype(dtype))
                with gt.no_grad():
                    y = gt.nn.functional.linear(x, w, b)
                want = np.matmul(x._data, w._data.T)
                want += b._data
                assert np.array_equal(y.numpy(), want), (dtype, k, n)
    finally:
        gt.set_num_threads(before)


@pytest.mark.parametrize("shape, dtype", [((784, 256), None), ((3, 2), None),
                                          ((100, 30), gt.float64)])
def test_linear_weight_aligned_with_torchs_storage(shape, dtype):
    """the weight sits on a 64-byte boundary (batch-1 products read its rows faster) and is
    still its own storage, as torch's: offset 0, exactly its bytes, contiguous"""
    for _ in range(3):
        g = gt.nn.Linear(*shape, dtype=dtype)
        t = torch.nn.Linear(*shape, dtype=dtype and torch.float64)
        for gp, tp in ((g.weight, t.weight), (g.bias, t.bias)):
            assert type(gp) is gt.nn.Parameter and gp.requires_grad and gp.is_contiguous()
            assert str(gp.dtype) == str(tp.dtype) and tuple(gp.shape) == tuple(tp.shape)
            assert gp.storage_offset() == tp.storage_offset() == 0
            assert gp.untyped_storage().nbytes() == tp.untyped_storage().nbytes()
        if g.weight.numel() * g.weight.element_size() >= 256:
            assert g.weight._data.ctypes.data % 64 == 0
        bound = 1 / np.sqrt(shape[0])
        assert np.abs(g.weight.detach().numpy()).max() <= bound


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_linear_no_grad_other_dtypes_match_torch(dtype):
    """dtypes other than float32/64 take the general no-record path: torch's values"""
    rng = np.random.default_rng(4)
    arrays = [(rng.standard_normal(s) * 10).astype(dtype) for s in ((1, 6), (5, 6), (5,))]
    outs = []
    for L in (gt, torch):
        with L.no_grad():
            outs.append(L.nn.functional.linear(*[L.tensor(a) for a in arrays]))
    assert str(outs[0].dtype) == str(outs[1].dtype)
    assert_close(*outs)
