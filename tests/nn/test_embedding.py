"""Embedding and EmbeddingBag against torch: F.embedding / F.embedding_bag values and gradients
(padding_idx, scale_grad_by_freq, max_norm, per_sample_weights, offsets, empty bags), the
modules (init, repr, from_pretrained, state_dict), errors, and a large scatter-add."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import assert_close, check_op, check_raises

P = pytest.param
IDX = np.array([[1, 4, 4], [0, 9, 4]])
BAG_IDX = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])


def _emb(**kw):
    return lambda L, w, i: L.nn.functional.embedding(i, w, **kw)


# ---- F.embedding -----------------------------------------------------------------------------
@pytest.mark.parametrize("shapes, kw", [
    P([(10, 4), ("int", (6,), 0, 10)], {}, id="1d"),
    P([(10, 4), IDX], {}, id="2d-repeats"),
    P([(10, 4), ("int", (2, 3, 4), 0, 10)], {}, id="3d"),
    P([(10, 4), np.array(7)], {}, id="0d-index"),
    P([(10, 4), np.zeros((0, 3), np.int64)], {}, id="empty-index"),
    P([(10, 4), IDX.astype(np.int32)], {}, id="int32-index"),
    P([(10, 4), IDX], {"padding_idx": 4}, id="padding"),
    P([(10, 4), IDX], {"padding_idx": -1}, id="padding-negative"),
    P([(10, 4), IDX], {"scale_grad_by_freq": True}, id="scale-freq"),
    P([(10, 4), IDX], {"padding_idx": 0, "scale_grad_by_freq": True}, id="padding-scale"),
    P([(10, 0), IDX], {}, id="zero-dim-rows"),
])
@pytest.mark.parametrize("layout", ["C", "T"])
def test_embedding(shapes, kw, layout):
    check_op(_emb(**kw), shapes, lib=True, layout=layout)


def test_embedding_sparse_flag_gives_the_dense_gradient():
    check_op(_emb(sparse=True), [(10, 4), IDX], _emb(), lib=True)


def test_embedding_float32_and_int_weight():
    check_op(_emb(padding_idx=2), [(10, 3), IDX], lib=True, dtype="float32")
    w = np.arange(30).reshape(10, 3)
    check_op(_emb(), [w, IDX], lib=True, grad=False)


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 4}])
def test_embedding_double_backward(kw):
    """d(grad_weight)/d(grad_output) is a lookup again (torch drops scale_grad_by_freq there,
    which is why the scaled case is not compared)."""
    rng = np.random.default_rng(0)
    w, gy, v = rng.standard_normal((10, 3)), rng.standard_normal((2, 3, 3)), \
        rng.standard_normal((10, 3))
    results = []
    for L in (gt, torch):
        wt, gyt = L.tensor(w, requires_grad=True), L.tensor(gy, requires_grad=True)
        y = L.nn.functional.embedding(L.tensor(IDX), wt, **kw)
        gw, = L.autograd.grad(y, wt, gyt, create_graph=True)
        results.append(L.autograd.grad((gw * L.tensor(v)).sum(), gyt)[0])
    assert_close(*results)


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1.0), (2.0, 3.0),
                                                 (100.0, 2.0)])
def test_embedding_max_norm_renormalizes_in_place(max_norm, norm_type):
    w = np.random.default_rng(1).standard_normal((10, 4)) * 2
    out = []
    for L in (gt, torch):
        wt = L.tensor(w, requires_grad=True)
        v0 = wt._version
        y = L.nn.functional.embedding(L.tensor(IDX), wt, max_norm=max_norm, norm_type=norm_type)
        y.backward(L.tensor(np.ones((2, 3, 4))))
        out.append((y, wt.detach().clone(), wt.grad, wt._version - v0))
    (gy, gw, gg, gv), (ty, tw, tg, tv) = out
    assert_close(gy, ty)
    assert_close(gw, tw)       # the looked-up rows of the table itself were rescaled
    assert_close(gg, tg)
    assert gv == tv


@pytest.mark.parametrize("fn", [
    P(lambda L, w: L.nn.functional.embedding(L.tensor([1.0, 2.0]), w), id="float-index"),
    P(lambda L, w: L.nn.functional.embedding(L.tensor([1, 2], dtype=L.int16), w),
      id="int16-index"),
    P(lambda L, w: L.nn.functional.embedding(L.tensor([1, 10]), w), id="out-of-range"),
    P(lambda L, w: L.nn.functional.embedding(L.tensor([-1]), w), id="negative"),
    P(lambda L, w: L.nn.functional.embedding(L.tensor([1]), w[0]), id="1d-weight"),
    P(lambda L, w: L.nn.functional.embedding(L.tensor([1]), w, padding_idx=10),
      id="padding-too-big"),
    P(lambda L, w: L.nn.functional.embedding(L.tensor([1]), w, padding_idx=-11),
      id="padding-too-small"),
])
def test_embedding_errors(fn):
    check_raises(fn, [(10, 3)], lib=True)


def test_embedding_error_messages():
    w = gt.zeros(10, 3)
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types:"
                       " Long, Int; but got torch.FloatTensor"):
        gt.nn.functional.embedding(gt.tensor([1.0]), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        gt.nn.functional.embedding(gt.tensor([10]), w)


def test_embedding_large_scatter_matches_add_at():
    rng = np.random.default_rng(2)
    idx = rng.integers(0, 5000, 40000)
    gy = rng.standard_normal((40000, 16)).astype(np.float32)
    w = gt.zeros(5000, 16, requires_grad=True)
    gt.nn.functional.embedding(gt.tensor(idx), w).backward(gt.tensor(gy))
    want = np.zeros((5000, 16))
    np.add.at(want, idx, gy.astype(np.float64))
    assert w.grad.dtype == gt.float32
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-4, atol=1e-4)



@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 3}, {"scale_grad_by_freq": True},
                                {"max_norm": 1.0}])
def test_embedding_small_vocabulary_gradient_is_torchs_bit_for_bit(dtype, kw):
    # bench_lstm's shape: 30 rows each looked up ~37 times (add_at's zero-padded table path);
    # rows summed one by one in order of occurrence as torch's CPU kernel: the same bits
    rng = np.random.default_rng(5)
    idx = rng.integers(0, 30, (35, 32))
    w = rng.standard_normal((30, 128)).astype(dtype)
    gy = rng.standard_normal((35, 32, 128)).astype(dtype)
    grads = []
    for lib in (gt, torch):
        weight = lib.tensor(w.copy(), requires_grad=True)
        lib.nn.functional.embedding(lib.tensor(idx), weight, **kw).backward(lib.tensor(gy))
        grads.append(weight.grad.numpy())
    if kw.get("scale_grad_by_freq"):   # torch multiplies inside its add (alpha): last-bit ties
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(grads[0], grads[1])


# ---- nn.Embedding ----------------------------------------------------------------------------
def _pair(cls, *args, **kw):
    g, t = getattr(gt.nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in g.state_dict().items()})
    return g, t


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 3}, {"padding_idx": -2},
                                {"max_norm": 1.0, "norm_type": 3.0},
                                {"scale_grad_by_freq": True}])
def test_embedding_module_matches_torch(kw):
    g, t = _pair("Embedding", 10, 4, **kw)
    assert repr(g) == repr(t) and list(g.state_dict()) == list(t.state_dict())
    assert g.padding_idx == t.padding_idx
    gy = np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float32)
    outs = []
    for m, L in ((g, gt), (t, torch)):
        y = m(L.tensor(IDX))
        y.backward(L.tensor(gy))
        outs.append((y, m.weight.grad, m.weight.detach()))
    assert_close(outs[0], outs[1])


def test_embedding_init_and_padding_row():
    gt.manual_seed(0)
    g = gt.nn.Embedding(400, 250, padding_idx=7)
    w = g.weight.detach().numpy()
    assert g.weight.dtype == gt.float32 and not w[7].any()
    rest = np.delete(w, 7, axis=0).astype(np.float64)
    n = rest.size
    assert abs(rest.mean()) < 5 / np.sqrt(n)                      # N(0, 1), as torch
    assert abs(rest.std() - 1) < 5 / np.sqrt(2 * n)
    g(gt.tensor([7, 7, 1])).sum().backward()
    assert not g.weight.grad.numpy()[7].any() and g.weight.grad.numpy()[1].all()
    assert gt.nn.Embedding(3, 2, dtype=gt.float64).weight.dtype == gt.float64


@pytest.mark.parametrize("freeze", [True, False])
def test_embedding_from_pretrained(freeze):
    table = gt.arange(12.0).view(4, 3)
    e = gt.nn.Embedding.from_pretrained(table, freeze=freeze, padding_idx=1)
    t = torch.nn.Embedding.from_pretrained(torch.arange(12.0).view(4, 3), freeze=freeze,
                                           padding_idx=1)
    assert repr(e) == repr(t) and e.weight.requires_grad == t.weight.requires_grad == (not freeze)
    assert_close(e(gt.tensor([1, 3])), t(torch.tensor([1, 3])))   # padding row kept as given
    table[0, 0] = 100.0
    assert e.weight[0, 0].item() == 100.0                           # shares memory


@pytest.mark.parametrize("make", [
    P(lambda nn: nn.Embedding(5, 3, padding_idx=5), id="padding-too-big"),
    P(lambda nn: nn.Embedding(5, 3, padding_idx=-6), id="padding-too-small"),
    P(lambda nn: nn.Embedding(5, 3, _weight=(gt if nn is gt.nn else torch).zeros(4, 3)),
      id="weight-shape"),
    P(lambda nn: nn.Embedding.from_pretrained((gt if nn is gt.nn else torch).zeros(4)),
      id="pretrained-1d"),
    P(lambda nn: nn.EmbeddingBag(5, 3, padding_idx=5), id="bag-padding"),
])
def test_module_construction_errors(make):
    for nn in (gt.nn, torch.nn):
        with pytest.raises(AssertionError):
            make(nn)


# ---- F.embedding_bag -------------------------------------------------------------------------
def _bag(offsets=None, **kw):
    def fn(L, w, i, *psw):
        o = None if offsets is None else L.tensor(offsets)
        return L.nn.functional.embedding_bag(i, w, o, per_sample_weights=psw[0] if psw else None,
                                             **kw)
    return fn


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("inputs, offsets, kw", [
    P([(10, 4), BAG_IDX], [0, 3, 3, 7], {}, id="empty-bag"),
    P([(10, 4), BAG_IDX], [0, 3, 3, 7, 10], {"include_last_offset": True}, id="last-offset"),
    P([(10, 4), BAG_IDX], [0, 4, 10], {}, id="trailing-empty-bag"),
    P([(10, 4), BAG_IDX.reshape(2, 5)], None, {}, id="2d"),
    P([(10, 4), BAG_IDX.reshape(5, 2)], None, {"padding_idx": 1}, id="2d-padding"),
    P([(10, 4), BAG_IDX], [0, 2, 4], {"padding_idx": -1}, id="padding-negative"),
    P([(10, 4), np.array([1, 1, 0])], [0, 2], {"padding_idx": 1}, id="all-padding-bag"),
    P([(10, 4), BAG_IDX.astype(np.int32)], np.array([0, 5], np.int32), {}, id="int32"),
    P([(10, 4), np.zeros(0, np.int64)], [0, 0], {}, id="no-lookups"),
])
def test_embedding_bag(mode, inputs, offsets, kw):
    check_op(_bag(offsets, mode=mode, **kw), inputs, lib=True)


def test_embedding_bag_last_offset_before_the_end():
    # lookups after the last offset belong to no bag; torch agrees only in the forward of its
    # float32 sum kernel (its other kernels run the last bag, or its size for 'mean', to the
    # input's end, and its backward gives garbage to the rows looked up after it)
    check_op(_bag([0, 2, 5, 8], mode="sum", include_last_offset=True), [(10, 4), BAG_IDX],
             lib=True, dtype="float32", grad=False)
    w = gt.ones(10, 2, requires_grad=True)
    gt.nn.functional.embedding_bag(gt.tensor(BAG_IDX), w, gt.tensor([0, 2, 5, 8]), mode="sum",
                                   include_last_offset=True).backward(gt.ones(3, 2))
    assert w.grad[:, 0].tolist() == [0, 2, 1, 1, 1, 1, 1, 0, 0, 1]   # positions 8, 9 dropped


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq(mode):
    # torch's CPU kernel takes the count of the wrong index unless only the largest index
    # repeats (it reads indices[group] instead of indices[group start]); such inputs agree
    check_op(_bag([0, 2, 4], mode=mode, scale_grad_by_freq=True),
             [(10, 4), np.array([0, 5, 9, 9, 2, 9])], lib=True)


def test_embedding_bag_scale_grad_by_freq_is_exact():
    w = gt.ones(4, 2, requires_grad=True)
    gt.nn.functional.embedding_bag(gt.tensor([0, 1, 1, 2, 1]), w, gt.tensor([0, 2]), mode="sum",
                                   scale_grad_by_freq=True).backward(gt.ones(2, 2))
    np.testing.assert_allclose(w.grad.numpy()[:, 0], [1, 1, 1, 0])   # each row once in total


@pytest.mark.parametrize("inputs, offsets, kw", [
    P([(10, 4), BAG_IDX, (10,)], [0, 3, 3, 7], {}, id="1d"),
    P([(10, 4), BAG_IDX.reshape(2, 5), (2, 5)], None, {}, id="2d"),
    P([(10, 4), BAG_IDX, (10,)], [0, 4], {"padding_idx": 1}, id="padding"),
    P([(10, 4), BAG_IDX, (10,)], [0, 4, 10], {"include_last_offset": True}, id="last-offset"),
])
@pytest.mark.parametrize("layout", ["C", "T"])
def test_embedding_bag_per_sample_weights(inputs, offsets, kw, layout):
    check_op(_bag(offsets, mode="sum", **kw), inputs, lib=True, layout=layout)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_float32(mode):
    check_op(_bag([0, 3, 3, 7], mode=mode), [(10, 4), BAG_IDX], lib=True, dtype="float32")


@pytest.mark.parametrize("idx, offsets", [([0, 1, 2], [0]), ([0, 1, 2, 1], [0, 3])])
def test_embedding_bag_max_ties_go_to_first_row(idx, offsets):
    out = []
    for L in (gt, torch):
        w = L.tensor([[1.0, 5.0], [1.0, 2.0], [3.0, 5.0]], requires_grad=True)
        y = L.nn.functional.embedding_bag(L.tensor(idx), w, L.tensor(offsets), mode="max")
        y.backward(L.ones(y.shape))
        out.append((y, w.grad))
    assert_close(*out)


def test_embedding_bag_max_norm():
    w = np.random.default_rng(4).standard_normal((10, 4)) * 2
    out = []
    for L in (gt, torch):
        wt = L.tensor(w, requires_grad=True)
        y = L.nn.functional.embedding_bag(L.tensor(BAG_IDX), wt, L.tensor([0, 4]), max_norm=1.5)
        y.backward(L.ones(2, 4, dtype=L.float64))
        out.append((y, wt.detach().clone(), wt.grad))
    assert_close(*out)


@pytest.mark.parametrize("fn", [
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX), w, None), id="no-offsets"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX), w, L.tensor([[0]])),
      id="2d-offsets"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX).view(2, 5), w, L.tensor([0])),
      id="2d-input-offsets"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX).view(1, 2, 5), w),
      id="3d-input"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX).view(2, 5), w[0]),
      id="1d-weight"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX).view(2, 5), w, mode="prod"),
      id="bad-mode"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX).view(2, 5), w, mode="max",
                                                 scale_grad_by_freq=True), id="max-scale"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX).view(2, 5), w, mode="max",
                                                 sparse=True), id="max-sparse"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX).view(2, 5), w, mode="mean",
                                                 per_sample_weights=L.ones(2, 5,
                                                                           dtype=L.float64)),
      id="psw-mean"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX).view(2, 5), w, mode="sum",
                                                 per_sample_weights=L.ones(10, dtype=L.float64)),
      id="psw-shape"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX).view(2, 5), w, mode="sum",
                                                 per_sample_weights=L.ones(2, 5)),
      id="psw-dtype"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX), w, L.tensor([1, 4])),
      id="offsets0"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX), w, L.tensor([0, 11])),
      id="offsets-last"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX), w, L.tensor([0.0, 4.0])),
      id="float-offsets"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor(BAG_IDX), w.long(), L.tensor([0, 4])),
      id="long-weight"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor([0, 10]), w, L.tensor([0])),
      id="index-range"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor([0, -1]), w, L.tensor([0])),
      id="negative-index"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor([0, 1]), w, L.tensor([0]),
                                                 padding_idx=10), id="padding-range"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.tensor([0, 1]), w, L.tensor([], dtype=L.long),
                                                 include_last_offset=True), id="last-no-offsets"),
    P(lambda L, w: L.nn.functional.embedding_bag(L.zeros(2, 0, dtype=L.long), w),
      id="2d-zero-length"),
])
def test_embedding_bag_errors(fn):
    check_raises(fn, [(10, 4)], lib=True)


def test_embedding_bag_legacy_argument_order_warns():
    w = gt.arange(8.0).view(4, 2)
    with pytest.warns(UserWarning, match="Argument order"):
        y = gt.nn.functional.embedding_bag(w, gt.tensor([[0, 3]]))
    assert y.tolist() == [[3.0, 4.0]]


# ---- nn.EmbeddingBag -------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"mode": "sum", "padding_idx": 2},
                                {"mode": "max", "include_last_offset": True},
                                {"max_norm": 1.0, "norm_type": 1.0, "scale_grad_by_freq": True},
                                {"padding_idx": -1}])
def test_embedding_bag_module_matches_torch(kw):
    g, t = _pair("EmbeddingBag", 10, 4, **kw)
    assert repr(g) == repr(t) and list(g.state_dict()) == list(t.state_dict())
    offsets = [0, 3, 3, 9] if kw.get("include_last_offset") else [0, 3, 3]
    idx = np.array([0, 2, 9, 9, 1, 3, 4, 9, 9, 9])   # only the largest index repeats (see above)
    outs = []
    for m, L in ((g, gt), (t, torch)):
        y = m(L.tensor(idx), L.tensor(offsets))
        y.backward(L.ones(y.shape))
        outs.append((y, m.weight.grad, m.weight.detach()))
    assert_close(outs[0], outs[1])


def test_embedding_bag_from_pretrained():
    e = gt.nn.EmbeddingBag.from_pretrained(gt.arange(12.0).view(4, 3), mode="sum")
    t = torch.nn.EmbeddingBag.from_pretrained(torch.arange(12.0).view(4, 3), mode="sum")
    assert repr(e) == repr(t) and not e.weight.requires_grad
    assert_close(e(gt.tensor([[1, 3]])), t(torch.tensor([[1, 3]])))
    assert not gt.nn.EmbeddingBag(5, 3, padding_idx=0).weight.detach()[0].numpy().any()


@pytest.mark.parametrize("cls", ["Embedding", "EmbeddingBag"])
def test_max_norm_lookup_twice_then_backward(cls):
    # the second lookup rescales the table in place; the first one's backward must not mind
    g, t = _pair(cls, 10, 4, max_norm=0.5)
    outs = []
    for m, L in ((g, gt), (t, torch)):
        y = m(L.tensor([[1, 2, 3]])) * 2 + m(L.tensor([[3, 4, 5]]))
        y.sum().backward()
        outs.append((y, m.weight.grad, m.weight.detach()))
    assert_close(outs[0], outs[1])


@pytest.mark.parametrize("idx, wshape", [([0, 1], (0, 4)), ([0, 5], (3, 0)), ([-3], (3, 0)),
                                         ([1], (3, 0)), ([4], (3, 2)), ([], (0, 4))])
def test_embedding_of_empty_weights(idx, wshape):
    """torch's errors for indices into an empty weight (no rows, or rows of width 0) are
    RuntimeErrors, not the IndexError of an index out of range (fuzzer finding)."""
    from fuzz_engine import outcome
    i = np.array(idx, "int64")
    w = np.ones(wshape, "float32")
    got, detail = outcome(lambda lib, i, w: lib.nn.functional.embedding(i, w), [i, w])
    assert got in ("same_value", "same_error"), detail
