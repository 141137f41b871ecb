"""torch.* parameter names the census found missing, with torch's semantics: out_dtype (no CPU
kernel in torch), *_like(layout=, pin_memory=), torch.dropout & co (input, p, train),
layer_norm/group_norm cudnn flags, rrelu(generator=), concatenate(dim=), dot(tensor=),
isin(element=/test_element=), orgqr(input2=): values, gradients, dtypes, errors vs torch."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises


@pytest.mark.parametrize("fn, shapes", [
    (lambda m, a, b: m.mm(a, b, m.float32), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.mm(a, b, out_dtype=m.float64), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.spmm(a, b, out_dtype=m.float64), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.bmm(a, b, out_dtype=m.float32), [(2, 2, 3), (2, 3, 4)]),
    (lambda m, c, a, b: m.addmm(c, a, b, out_dtype=m.float32), [(2, 4), (2, 3), (3, 4)]),
    (lambda m, c, a, b: m.baddbmm(c, a, b, m.float32, beta=0.5),
     [(2, 2, 4), (2, 2, 3), (2, 3, 4)]),
    (lambda m, a, b: m.mm(a, b, out_dtype=m.float32), [(2, 3), (5, 4)]),   # before shapes
])
def test_out_dtype_has_no_cpu_kernel(fn, shapes):
    check_raises(fn, shapes, lib=True)


def test_mm_family_without_out_dtype():
    check_op(lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2), [(2, 4), (2, 3), (3, 4)],
             lib=True)
    check_op(lambda m, a, b: m.spmm(a, b), [(2, 3), (3, 4)], lib=True)


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like"])
def test_like_layout_and_pin_memory(name):
    def call(m, x, **kw):
        args = (x, 2.5) if name == "full_like" else (x,)
        return getattr(m, name)(*args, **kw)
    for m in (gt, torch):
        x = m.ones(2, 3, dtype=m.float64)
        y = call(m, x, layout=m.strided, pin_memory=False, dtype=m.float32)
        assert tuple(y.shape) == (2, 3) and y.dtype == m.float32 and y.layout == m.strided
        if name != "empty_like":
            assert y.tolist() == call(m, x, dtype=m.float32).tolist()
    check_raises(lambda m, x: call(m, x, pin_memory=True), [(2, 3)], lib=True)
    check_raises(lambda m, x: call(m, x, layout="strided"), [(2, 3)], lib=True)
    if name != "zeros_like":       # torch makes sparse zeros; glasstorch is dense-only
        check_raises(lambda m, x: call(m, x, layout=m.sparse_coo), [(2, 3)], lib=True)
    # a 1-D csr: torch's RuntimeError for zeros_like, NotImplementedError for the others
    check_raises(lambda m, x: call(m, x, layout=m.sparse_csr), [(2,)], lib=True)
    with pytest.raises((NotImplementedError, RuntimeError), match="dense"):
        call(gt, gt.ones(2), layout=gt.sparse_csr)


@pytest.mark.parametrize("name, feature", [("dropout", False), ("alpha_dropout", False),
                                           ("feature_alpha_dropout", True)])
def test_torch_dropout_forms(name, feature):
    shape = (4, 3, 5)
    check_op(lambda m, x: getattr(m, name)(x, 0.3, False), [shape], lib=True)   # identity
    check_op(lambda m, x: getattr(m, name)(x, p=0.0, train=True), [shape], lib=True)
    check_op(lambda m, x: getattr(m, name)(x, 1.0, train=True), [shape], lib=True)
    for bad in (lambda m, x: getattr(m, name)(x, 1.5, True),         # RuntimeError, not F's
                lambda m, x: getattr(m, name)(x, 0.5),                  # train is required
                lambda m, x: getattr(m, name)(x, 0.5, True, inplace=True)):
        check_raises(bad, [shape], lib=True)
    # training: the same structure as torch (the masks differ, the RNGs being different):
    # kept entries a x + b, dropped ones one constant c (dropout: a = 1/(1-p), b = c = 0),
    # about a fraction p dropped; feature forms drop whole (N, C) rows
    gt.manual_seed(0)
    x = gt.randn(40, 30, 5, dtype=gt.float64) + 3.0
    y = getattr(gt, name)(x, 0.4, True)
    ty = getattr(torch, name)(torch.tensor(x.numpy()), 0.4, True)
    assert y.dtype == gt.float64 and tuple(y.shape) == (40, 30, 5)
    fits = []
    for out in (y.numpy(), ty.numpy()):
        vals, counts = np.unique(np.round(out, 10), return_counts=True)
        c = vals[np.argmax(counts)]
        dropped = np.isclose(out, c, rtol=0, atol=1e-9)
        assert 0.3 < dropped.mean() < 0.5
        if feature:
            assert (dropped.all(-1) | ~dropped.any(-1)).all()
        a, b = np.polyfit(x.numpy()[~dropped], out[~dropped], 1)
        np.testing.assert_allclose(out[~dropped], a * x.numpy()[~dropped] + b, atol=1e-9)
        fits.append((a, b, c))
    np.testing.assert_allclose(fits[0], fits[1], atol=1e-9)
    if name == "dropout":
        np.testing.assert_allclose(fits[0], (1 / 0.6, 0.0, 0.0), atol=1e-9)


@pytest.mark.parametrize("flag", [True, False])
def test_norm_cudnn_flags(flag):
    check_op(lambda m, x, w, b: m.layer_norm(x, [5], w, b, 1e-5, cudnn_enable=flag),
             [(3, 4, 5), (5,), (5,)], lib=True)
    check_op(lambda m, x, w, b: m.group_norm(x, 2, w, b, 1e-5, cudnn_enabled=flag),
             [(3, 4, 5), (4,), (4,)], lib=True)
    check_raises(lambda m, x: m.layer_norm(x, [5], cudnn_enabled=flag), [(3, 4, 5)], lib=True)


def test_rrelu_generator():
    check_op(lambda m, x: m.rrelu(x, 0.1, 0.3, False), [(3, 4)], lib=True)     # eval: mean
    check_raises(lambda m, x: m.rrelu(x, inplace=True), [(3, 4)], lib=True)
    x = -gt.ones(1000, dtype=gt.float64)
    gt.manual_seed(5)
    before = gt.rand(3)
    gt.manual_seed(5)
    a = gt.rrelu(x, 0.1, 0.3, True, gt.Generator().manual_seed(7))
    assert gt.rand(3).tolist() == before.tolist()     # the default stream is not touched
    b = gt.rrelu(x, 0.1, 0.3, training=True, generator=gt.Generator().manual_seed(7))
    c = gt.rrelu(x, 0.1, 0.3, training=True, generator=gt.Generator().manual_seed(8))
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()
    slopes = -a.numpy()
    t = -torch.rrelu(-torch.ones(1000, dtype=torch.float64), 0.1, 0.3, True,
                     torch.Generator().manual_seed(7)).numpy()
    for s in (slopes, t):              # U(0.1, 0.3) slopes in both
        assert s.min() >= 0.1 and s.max() <= 0.3 and abs(s.mean() - 0.2) < 0.01


def test_concatenate_dot_orgqr_keywords():
    check_op(lambda m, a, b: m.concatenate([a, b], dim=1), [(2, 3), (2, 1)], lib=True)
    check_op(lambda m, a, b: m.concatenate((a, b), axis=0), [(2, 3), (1, 3)], lib=True)
    check_op(lambda m, a, b: m.concatenate([a, b], -1), [(2, 3), (2, 1)], lib=True)
    check_op(lambda m, a, b: m.dot(a, tensor=b), [(4,), (4,)], lib=True)
    check_op(lambda m, a, b: a.dot(tensor=b), [(4,), (4,)], lib=True)
    check_op(lambda m, a, b: m.vdot(a, other=b), [(4,), (4,)], lib=True)
    check_raises(lambda m, a, b: m.dot(a, other=b), [(4,), (4,)], lib=True)
    # torch has no derivative for geqrf: orgqr's gradient with any reflectors and tau
    check_op(lambda m, A: m.orgqr(*m.geqrf(A)), [(4, 3)], lib=True, grad=False)
    check_op(lambda m, A, tau: m.orgqr(A, input2=tau), [(4, 3), (3,)], lib=True)
    check_op(lambda m, A, tau: A.orgqr(input2=tau), [(4, 3), (2,)], lib=True)
    check_raises(lambda m, A: m.orgqr(A, tau=A[0]), [(4, 3)], lib=True)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.isin(x, test_element=2),
    lambda m, x: m.isin(elements=x, test_element=5, invert=True),
    lambda m, x: m.isin(element=3, test_elements=x),
    lambda m, x: m.isin(7, x),
    lambda m, x: m.isin(x, 4),
])
def test_isin_scalar_overloads(fn):
    arr = np.array([[1, 2, 3], [4, 5, 2]])
    got, want = fn(gt, gt.tensor(arr)), fn(torch, torch.tensor(arr))
    assert got.dtype == gt.bool and tuple(got.shape) == tuple(want.shape)
    assert got.tolist() == want.tolist()


def test_isin_errors():
    for fn in (lambda m: m.isin(2, 3), lambda m: m.isin(element=2, test_element=3)):
        for m in (gt, torch):
            with pytest.raises(TypeError):
                fn(m)


@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_torch_ctc_loss_int_reduction(reduction):
    T, N, C, S = 6, 2, 4, 3
    targets = np.array([[1, 2, 2], [3, 1, 0]])
    def fn(m, x):
        lp = x.log_softmax(-1)
        return m.ctc_loss(lp, m.tensor(targets), [6, 5], [3, 2], 0, reduction, False)
    check_op(fn, [(T, N, C)], lib=True)
    check_op(lambda m, x: m.ctc_loss(x.log_softmax(-1), m.tensor(targets), m.tensor([6, 6]),
                                     m.tensor([3, 2]), blank=0, reduction=reduction,
                                     zero_infinity=True), [(T, N, C)], lib=True)


def test_torch_ctc_loss_errors():
    check_raises(lambda m, x: m.ctc_loss(x.log_softmax(-1), m.tensor([[1, 2]]), [4], [2], 0,
                                         "mean"), [(4, 1, 3)], lib=True)


def _rnn_params(m, mode, H=3, I=2):
    G = {"lstm": 4, "gru": 3}.get(mode, 1) * H
    rng = np.random.default_rng(4)
    return [m.tensor(rng.standard_normal(s)) for s in ((G, I), (G, H), (G,), (G,))]


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_recurrent_packed_overload_by_keyword(mode):
    """torch.lstm & co.: the packed overload (data, batch_sizes, hx, ...) by keyword, and by
    position, against torch; the padded one unchanged."""
    rng = np.random.default_rng(5)
    data = rng.standard_normal((5, 2))            # batch_sizes [2, 2, 1]: 5 rows
    padded = rng.standard_normal((2, 3, 2))
    h0 = rng.standard_normal((1, 2, 3))
    outs = []
    for m in (gt, torch):
        hx = [m.tensor(h0), m.tensor(h0 * 0.5)] if mode == "lstm" else m.tensor(h0)
        fn = getattr(m, mode)
        d, bs, params = m.tensor(data, requires_grad=True), m.tensor([2, 2, 1]), \
            _rnn_params(m, mode)
        kw = fn(d, batch_sizes=bs, hx=hx, params=params, has_biases=True, num_layers=1,
                dropout=0.0, train=False, bidirectional=False)
        kw2 = fn(data=d, batch_sizes=bs, hx=hx, params=params, has_biases=True, num_layers=1,
                 dropout=0.0, train=False, bidirectional=False)
        pos = fn(d, bs, hx, params, True, 1, 0.0, False, False)
        pad = fn(m.tensor(padded), hx, params, True, 1, 0.0, False, False, True)
        kw[0].sum().backward()
        outs.append([o.detach().numpy() for o in (*kw, *kw2, *pos, *pad)] + [d.grad.numpy()])
    for g, t in zip(*outs):
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12)
    for m in (gt, torch):
        with pytest.raises(TypeError):
            getattr(m, mode)(m.ones(5, 2))


@pytest.mark.parametrize("args", [
    (0,), (1,), (2,), (0, False, None, False, 2), (1, False, None, True), (2, False, None, True),
    (2, False, None, False, 4), (1, False, None, False, -1), (0, False, "psw"),
    (0, False, None, True),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_embedding_bag(args, dtype):
    """torch.embedding_bag's four results; the output's gradient against torch."""
    idx, off = [1, 2, 4, 5, 4, 3, 2, 0], [0, 3, 3, 6]
    if len(args) > 3 and args[3]:
        # include_last_offset: the last offset ends the last bag (torch's CPU kernel counts
        # indices past a smaller last offset into the last bag; glasstorch stops there)
        off = [0, 3, 6, 8]
    w = np.random.default_rng(6).standard_normal((6, 3))
    w[2, 1] = w[0, 1]                                   # a tie in the max
    psw = np.arange(1.0, 9.0)
    outs = []
    for m in (gt, torch):
        W = m.tensor(w, dtype=getattr(m, dtype), requires_grad=True)
        rest = tuple(m.tensor(psw, dtype=W.dtype) if a == "psw" else a for a in args[1:])
        r = m.embedding_bag(W, m.tensor(idx), m.tensor(off), False, args[0], *rest)
        r[0].backward(m.ones_like(r[0]) * m.arange(3.0, dtype=W.dtype))
        outs.append([t.detach().numpy() for t in r] + [W.grad.numpy()])
    for g, t in zip(*outs):
        assert g.dtype == t.dtype and g.shape == t.shape
        np.testing.assert_allclose(g, t, rtol=1e-6)
    check_raises(lambda m, W: m.embedding_bag(W, m.tensor(idx), None), [(6, 3)], lib=True)
