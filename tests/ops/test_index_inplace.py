"""In-place index ops write straight into self's buffer (ops/_inplace.py `direct=True`):
index_add_, index_copy_, index_put_ / x[i] = v, index_fill_, scatter_, scatter_add_,
masked_fill_, masked_scatter_. Against torch: values, version counters, views writing through to their
base, gradients when autograd records (self requiring grad, a view of it, or only the source),
a source aliasing self, and that no copy of the whole tensor is made (peak memory, not time:
benchmarks/bench_index.py times it)."""
import tracemalloc

import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

P = pytest.param


def _idx(L):
    return L.tensor([3, 0, 3, 5])   # a repeat: accumulating ops add both


# name: fn(L, x, s), one in-place op on x (6 x 4) with s (4 x 4) as its source
OPS = {
    "index_add_": lambda L, x, s: x.index_add_(0, _idx(L), s, alpha=0.5),
    "index_add_-dim1": lambda L, x, s: x.index_add_(1, L.tensor([2, 0, 2, 1]),
                                                    L.cat([s, s[:2]]), alpha=2),
    "index_copy_": lambda L, x, s: x.index_copy_(0, L.tensor([3, 0, 1, 5]), s),
    "index_copy_-dim1": lambda L, x, s: x.index_copy_(1, L.tensor([2, 0]),
                                                      L.cat([s, s[:2]])[:, :2]),
    "index_put_-accumulate": lambda L, x, s: x.index_put_((_idx(L),), s, accumulate=True),
    "index_put_": lambda L, x, s: x.index_put_((L.tensor([4, 1, 2, 0]),), s),
    "setitem-pairs": lambda L, x, s: x.__setitem__((L.tensor([1, 5]), L.tensor([0, 3])),
                                                   s[0, :2]),
    "setitem-rows": lambda L, x, s: x.__setitem__(L.tensor([5, 2]), s[1:3]),
    "index_fill_": lambda L, x, s: x.index_fill_(0, L.tensor([1, 4]), -2.0),
    "scatter_": lambda L, x, s: x.scatter_(0, L.tensor([[5, 0, 1, 2], [2, 3, 4, 5]]), s[:2]),
    "scatter_-value": lambda L, x, s: x.scatter_(1, L.tensor([[3], [0]]), 1.5),
    "scatter_add_": lambda L, x, s: x.scatter_add_(0, L.tensor([[5, 5, 1, 2], [5, 3, 4, 5]]),
                                                   s[:2]),
    "masked_fill_": lambda L, x, s: x.masked_fill_(L.tensor([True, False, False, True]), 0.25),
    "masked_scatter_": lambda L, x, s: x.masked_scatter_(L.tensor([False, True, True, False]),
                                                         s),
}
NAMES = list(OPS)


def _np(n, m, seed):
    return np.random.default_rng(seed).standard_normal((n, m))


@pytest.mark.parametrize("name", NAMES)
def test_values_and_version_no_grad(name):
    x, s = _np(6, 4, 0), _np(4, 4, 1)
    g, t = gt.tensor(x), torch.tensor(x)
    g_out = OPS[name](gt, g, gt.tensor(s))
    OPS[name](torch, t, torch.tensor(s))
    assert g._version == t._version == 1
    assert g_out is None or g_out is g
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)


# base shape, view of it (6 x 4): contiguous rows, a column slice, strided rows, transposed
VIEWS = {
    "rows": ((8, 4), lambda b: b[1:7]),
    "columns": ((6, 6), lambda b: b[:, 1:5]),
    "strided-rows": ((12, 4), lambda b: b.view(6, 2, 4)[:, 1]),
    "transposed": ((4, 6), lambda b: b.t()),
}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("name", NAMES)
def test_view_writes_through_to_base(name, view):
    shape, make = VIEWS[view]
    x, s = _np(*shape, 0), _np(4, 4, 1)
    g, t = gt.tensor(x), torch.tensor(x)
    gv, tv = make(g), make(t)
    OPS[name](gt, gv, gt.tensor(s))
    OPS[name](torch, tv, torch.tensor(s))
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)
    assert g._version == gv._version == t._version == tv._version == 1


@pytest.mark.parametrize("name", NAMES)
def test_gradients_self_requires_grad(name):
    def run(L, x, s):
        y = x * 1
        OPS[name](L, y, s)
        return y
    check_op(run, [(6, 4), (4, 4)], lib=True)


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("name", NAMES)
def test_gradients_through_a_view_of_self(name, view):
    shape, make = VIEWS[view]

    def run(L, x, s):
        b = x * 1
        OPS[name](L, make(b), s)
        return b
    check_op(run, [shape, (4, 4)], lib=True)


@pytest.mark.parametrize("name", NAMES)
def test_gradients_source_only(name):
    # self is a plain buffer (no grad); the source is a weight: the write is recorded
    def run(L, s):
        x = L.arange(24, dtype=L.float64).reshape(6, 4)
        OPS[name](L, x, s)
        return x
    check_op(run, [(4, 4)], lib=True)


@pytest.mark.parametrize("name", NAMES)
def test_saved_self_is_invalidated(name):
    # an op that saved self (exp saves its output) sees the version bump, as in torch
    for L in (gt, torch):
        x = L.ones(6, 4, dtype=L.float64, requires_grad=True)
        y = x.exp()
        OPS[name](L, y, L.ones(4, 4, dtype=L.float64))
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


@pytest.mark.parametrize("fn", [
    P(lambda L, x: x.index_add_(0, L.tensor([1, 2, 1]), x[:3]), id="index_add_"),
    P(lambda L, x: x.t().index_add_(1, L.tensor([1, 2, 1]), x[3:].t()), id="index_add_-t"),
    P(lambda L, x: x.index_put_((L.tensor([2, 3, 4]),), x[1:4], accumulate=True),
      id="index_put_-accumulate"),
    P(lambda L, x: x.__setitem__(L.tensor([2, 3, 4]), x[1:4]), id="setitem"),
    P(lambda L, x: x.index_copy_(0, L.tensor([5, 4]), x[:2]), id="index_copy_"),
])
def test_source_in_self_memory_is_refused(fn):
    # torch checks dense layouts for overlap before writing
    for L in (gt, torch):
        x = L.arange(24, dtype=L.float64).reshape(6, 4)
        with pytest.raises(RuntimeError, match="some elements of the input tensor and the "
                                               "written-to tensor refer to a single memory"):
            fn(L, x)
        assert x._version == 0 and x.flatten().tolist() == list(range(24))


@pytest.mark.parametrize("fn", [
    P(lambda L, x: x[:, :2].index_add_(0, L.tensor([1, 2, 1]), x[:3, 2:]), id="index_add_"),
    P(lambda L, x: x[:, :2].index_put_((L.tensor([0, 5]),), x[1:3, 2:], accumulate=True),
      id="index_put_"),
    P(lambda L, x: x[:, 1:3].scatter_add_(0, L.tensor([[1, 2], [2, 3]]), x[:2, ::3]),
      id="scatter_add_"),
])
def test_source_sharing_self_bounds_reads_before_writing(fn):
    # non-dense views whose memory interleaves with self's: torch runs them; glasstorch reads
    # the source before writing (inplace's copying path)
    x = _np(6, 4, 0)
    g, t = gt.tensor(x), torch.tensor(x)
    fn(gt, g)
    fn(torch, t)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)


def test_expanded_self_is_refused():
    for L in (gt, torch):
        x = L.zeros(1, 4).expand(3, 4)
        with pytest.raises(RuntimeError, match="more than one element of the written-to"):
            x.index_add_(0, L.tensor([0]), L.ones(1, 4))


@pytest.mark.parametrize("grad", [P(False, id="no-grad"), P(True, id="source-requires-grad")])
@pytest.mark.parametrize("name", [n for n in NAMES if not n.startswith("masked")
                                  and not n.endswith("-dim1")])
def test_no_copy_of_the_whole_tensor(name, grad):
    """A few rows of a 1.3 MB tensor updated allocate far less than one copy of it (left out:
    masked ops, whose mask is as large as the tensor, and a dim-1 add touching every row)."""
    s = gt.ones(4, 4, dtype=gt.float64, requires_grad=grad)
    OPS[name](gt, gt.zeros(6, 4, dtype=gt.float64), s)   # warm up the code path
    x = gt.zeros(40_000, 4, dtype=gt.float64)
    tracemalloc.start()
    try:
        OPS[name](gt, x, s)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert x._version == 1
    assert peak < x.numel() * 8 // 20, peak


# ---- index_copy (out of place) against torch: values, gradients, errors -------------------
@pytest.mark.parametrize("fn,shapes", [
    P(lambda L, x, s: x.index_copy(0, L.tensor([3, 0]), s), [(5, 3), (2, 3)], id="dim0"),
    P(lambda L, x, s: L.index_copy(x, -1, L.tensor([2, 0]), s), [(4, 3), (4, 2)],
      id="dim-neg"),
    P(lambda L, x, s: x.index_copy(1, L.tensor([1]), s), [(2, 3, 4), (2, 1, 4)], id="3d"),
    P(lambda L, x, s: x.index_copy(0, L.tensor(2), s), [(4, 3), (1, 3)], id="0d-index"),
    P(lambda L, x, s: x.index_copy(0, L.tensor([1]), s), [(4,), ()], id="0d-source"),
    P(lambda L, x, s: x.index_copy(0, L.tensor([0]), s), [(), (1,)], id="0d-self"),
    P(lambda L, x, s: x.index_copy(0, L.tensor([], dtype=L.int64), s), [(4, 3), (0, 3)],
      id="empty"),
])
def test_index_copy(fn, shapes):
    check_op(fn, shapes, lib=True)


@pytest.mark.parametrize("fn", [
    P(lambda L, x, s: x.index_copy(0, L.tensor([0, 1], dtype=L.int32), s), id="int32-index"),
    P(lambda L, x, s: x.index_copy(0, L.tensor([[0, 1]]), s), id="2d-index"),
    P(lambda L, x, s: x.index_copy(0, L.tensor([0, 1]), s.double()), id="dtype"),
    P(lambda L, x, s: x.index_copy(0, L.tensor([0, 1, 2]), s), id="count"),
    P(lambda L, x, s: x.index_copy(0, L.tensor([0, 1]), s[:, :2]), id="slice-shape"),
    P(lambda L, x, s: x.index_copy(0, L.tensor([0, 1]), s[:, :, None]), id="ndim"),
    P(lambda L, x, s: x.index_copy(0, L.tensor([0, 7]), s), id="out-of-bounds"),
    P(lambda L, x, s: x.index_copy(0, L.tensor([0, -1]), s), id="negative"),
    P(lambda L, x, s: x.index_copy(2, L.tensor([0, 1]), s), id="dim"),
    P(lambda L, x, s: x.index_copy(0, L.tensor([0, 1]), 2.0), id="number-source"),
    P(lambda L, x, s: x[0].index_copy(0, L.tensor([0, 1]), s[0, 0]), id="scalar-source-2"),
])
def test_index_copy_errors(fn):
    g_err, t_err = check_raises(fn, [(5, 3), (2, 3)], lib=True, dtype="float32")
    assert str(g_err).startswith(str(t_err).split("\n")[0])   # (then the op, if torch omits it)
