"""Indexing against torch: x[i] (basic views and advanced copies), x[i] = v with autograd,
gather/scatter, index_* ops, masked ops, where, nonzero, take; values, gradients (repeated
indices accumulate), views vs copies, and errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises, gradcheck

P = pytest.param
MASK4 = np.array([True, False, True, True])

# x has shape (3, 4, 5); each entry builds the index for one framework (L = torch or gt)
GETITEM = [
    P(lambda L: 1, id="int"),
    P(lambda L: -1, id="neg-int"),
    P(lambda L: slice(1, None), id="slice"),
    P(lambda L: (slice(None, None, 2), 1), id="step-slice-int"),
    P(lambda L: (slice(-3, -1), Ellipsis, None), id="neg-slice-ellipsis-none"),
    P(lambda L: (Ellipsis, 0), id="ellipsis-int"),
    P(lambda L: (None, 0, None, slice(1, 3)), id="none-int-none"),
    P(lambda L: (1, 2, 3), id="all-ints"),
    P(lambda L: (), id="empty-tuple"),
    P(lambda L: L.tensor(2), id="0d-int-tensor"),
    P(lambda L: True, id="true"),
    P(lambda L: False, id="false"),
    P(lambda L: (Ellipsis, True), id="ellipsis-true"),
    P(lambda L: L.tensor([0, 2, 0]), id="repeated-tensor"),
    P(lambda L: [0, -1, -1], id="list"),
    P(lambda L: np.array([[1, 0], [0, 0]]), id="ndarray-2d"),
    P(lambda L: L.tensor([0, 1], dtype=L.int32), id="int32-tensor"),
    P(lambda L: (L.tensor([0, 1]), L.tensor([[2], [1]])), id="broadcast-tensors"),
    P(lambda L: (slice(None), [0, 0, 3]), id="slice-list"),
    P(lambda L: ([0, 1], slice(None), [1, 4]), id="separated-to-front"),
    P(lambda L: (slice(None), 0, [1, 0]), id="int-then-list"),
    P(lambda L: ([2, 0], None, [1, 1]), id="none-separates"),
    P(lambda L: (L.tensor(1), [0, 1]), id="0d-tensor-and-list"),
    P(lambda L: (Ellipsis, L.tensor([True, False, True, True, False])), id="mask-last"),
    P(lambda L: L.tensor(np.eye(3, 4, dtype=bool)), id="mask-2d"),
    P(lambda L: (1, L.tensor(MASK4)), id="int-mask"),
    P(lambda L: ([[0, 1], [1, 2]],), id="nested-list"),
    P(lambda L: [0, slice(None), 1], id="list-as-tuple"),
]


@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")   # torch's legacy-rule warning
@pytest.mark.parametrize("index", GETITEM)
@pytest.mark.parametrize("layout", ["C", "T"])
def test_getitem(index, layout):
    check_op(lambda L, x: x[index(L)], [(3, 4, 5)], lib=True, layout=layout)


@pytest.mark.parametrize("index", GETITEM[::4])
def test_getitem_float32(index):
    check_op(lambda L, x: x[index(L)], [(3, 4, 5)], lib=True, dtype="float32")


@pytest.mark.parametrize("shape, index", [
    ((0, 4), lambda L: (slice(None), [1, 1])),
    ((3, 4), lambda L: L.tensor([], dtype=L.int64)),
    ((3, 0), lambda L: [0, 0]),
    ((3, 4), lambda L: L.zeros(3, 4, dtype=L.bool)),
    ((3, 4), lambda L: slice(5, None)),
    ((), lambda L: None),
    ((), lambda L: Ellipsis),
    ((), lambda L: True),
])
def test_getitem_zero_size_and_0d(shape, index):
    check_op(lambda L, x: x[index(L)], [shape], lib=True)


def test_getitem_second_derivative():
    check_op(lambda x: (x[[0, 0, 2], 1:] ** 2), [(3, 4)], double=True)
    check_op(lambda x: (x[1, ::2] ** 3), [(3, 4)], double=True)


def test_getitem_grad_fn_names():
    x = gt.zeros(3, 4, requires_grad=True)
    assert x[0].grad_fn.name() == "SelectBackward0"
    assert x[:, 1:].grad_fn.name() == "SliceBackward0"
    assert x[None].grad_fn.name() == "UnsqueezeBackward0"
    assert x[[0, 1]].grad_fn.name() == "IndexBackward0"


def test_basic_index_is_a_view():
    x = gt.zeros(3, 4)
    v = x[1:, ::2]
    v[0, 1] = 5.0
    assert x[1, 2].item() == 5.0
    assert x._version == v._version == 1
    v.fill_(2.0)
    assert x.sum().item() == 8.0 and v._base is x
    w = x[None, 1][..., 0]      # a view of a view: same base and storage
    w.zero_()
    assert x[1, 0].item() == 0.0 and w._base is x


def test_advanced_index_is_a_copy():
    x = gt.zeros(3, 4)
    for a in (x[[0, 1]], x[x == 0], x[True], x[gt.tensor([2]), 1:]):
        a.fill_(7.0)
        assert x.sum().item() == 0.0 and a._base is None


def _set(index, L, x, v):
    y = x * 1   # a non-leaf: setitem is recorded
    y[index(L)] = v
    return y


@pytest.mark.parametrize("index, vshape", [
    (lambda L: 0, (4,)),
    (lambda L: (slice(1, None), 2), (2,)),
    (lambda L: (Ellipsis, slice(None, None, 2)), (1, 2)),  # value broadcasts
    (lambda L: (1, 1), ()),
    (lambda L: [0, 0, 2], (4,)),                           # repeated rows, value grad sums
    (lambda L: (L.tensor([2, 0]), L.tensor([1, 3])), (2,)),
    (lambda L: L.tensor([True, False, True]), (1, 4)),
    (lambda L: (slice(None), L.tensor([3, 0])), (1, 1, 2)),  # leading 1s dropped
])
def test_setitem_autograd(index, vshape):
    check_op(lambda L, x, v: _set(index, L, x, v), [(3, 4), vshape], lib=True)


def test_setitem_number_and_mask_from_values():
    def fn(x):
        y = x * 2
        y[y > 1] = 0.5
        return y
    check_op(fn, [(3, 4)])
    check_op(lambda L, x: _set(lambda L: [1, 1], L, x, 2), [(3, 4)], lib=True,
             dtype="float32")


def test_setitem_through_view_of_non_leaf():
    def fn(x, v):
        y = x * 2
        z = y[1]           # writing into a view rewrites its base's history
        z[1:3] = v
        return y, z * 1
    check_op(fn, [(3, 4), (2,)])


def test_setitem_value_cast_to_dtype():
    for lib in (gt, torch):
        y = lib.zeros(3, dtype=lib.int64)
        y[0] = 2.7
        y[1] = lib.tensor(3.9)
        y[2:] = lib.tensor([4.9], dtype=lib.float64)
        assert y.tolist() == [2, 3, 4]


def test_setitem_leaf_under_no_grad_writes_directly():
    w = gt.zeros(3, 4, requires_grad=True)
    with gt.no_grad():
        w[1:] = 5.0
        w[0, [1, 3]] = gt.tensor([1.0, 2.0])
    assert w.requires_grad and w.grad_fn is None and w._version == 2
    assert w.sum().item() == 43.0
    (w * 2).sum().backward()
    assert (w.grad.numpy() == 2).all()


def test_setitem_bumps_version_and_is_seen_by_saved_tensors():
    x = gt.ones(3, requires_grad=True)
    y = x * 1
    z = y * y           # saves y
    y[0] = 2.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


@pytest.mark.parametrize("fn", [
    P(lambda L, x: x.index_put_((L.tensor([0, 0, 2]),), L.ones(4, dtype=L.float64),
                                accumulate=True), id="index_put_"),
    P(lambda L, x: x.masked_fill_(x > 0, 0.0), id="masked_fill_"),
    P(lambda L, x: x.scatter_(1, L.tensor([[0], [2], [1]]), 5.0), id="scatter_"),
    P(lambda L, x: x.scatter_add_(1, L.tensor([[0, 0]] * 3), L.ones(3, 2, dtype=L.float64)),
      id="scatter_add_"),
    P(lambda L, x: x.index_add_(0, L.tensor([1, 1]), L.ones(2, 4, dtype=L.float64), alpha=3),
      id="index_add_"),
])
def test_inplace_variants(fn):
    check_op(lambda L, x: fn(L, x * 1), [(3, 4)], lib=True)


# ---- gather / scatter / index_* -----------------------------------------------------------
REP = np.array([[0, 0, 3], [1, 1, 1], [2, 0, 2]])    # repeated indices: grads accumulate
PERM = np.array([[3, 0], [1, 2], [0, 3]])            # distinct per row: scatter is exact

OPS = [
    P(lambda L, x, i: x.gather(1, i), [(3, 4), REP], id="gather-repeated"),
    P(lambda L, x, i: L.gather(x, -2, i), [(3, 4), ("int", (2, 4), 0, 3)], id="gather-dim-neg"),
    P(lambda L, x, i: x.gather(1, i), [(3, 4), PERM[:2]], id="gather-smaller-index"),
    P(lambda L, x, i: x.gather(0, i), [(0, 4), ("int", (0, 4), 0, 1)], id="gather-zero-size"),
    P(lambda L, x, i: x.gather(2, i), [(2, 3, 4), ("int", (2, 3, 6), 0, 4)], id="gather-3d"),
    P(lambda L, x, i, s: x.scatter(1, i, s), [(3, 4), PERM, (3, 2)], id="scatter-src"),
    P(lambda L, x, i: x.scatter(1, i, 2.5), [(3, 4), PERM], id="scatter-number"),
    P(lambda L, x, i: L.scatter(x, 1, i, value=-1.0), [(3, 4), PERM], id="scatter-value"),
    P(lambda L, x, i, s: x.scatter_add(1, i, s), [(3, 4), REP, (3, 3)], id="scatter_add"),
    P(lambda L, x, i, s: L.scatter_add(x, 0, i, s), [(3, 4), ("int", (5, 4), 0, 3), (5, 4)],
      id="scatter_add-dim0"),
    P(lambda L, x: x.index_select(0, L.tensor([2, 0, 2])), [(3, 4)], id="index_select"),
    P(lambda L, x: L.index_select(x, -1, L.tensor(1)), [(3, 4)], id="index_select-0d"),
    P(lambda L, x: x.index_select(1, L.tensor([1, 1], dtype=L.int32)), [(2, 3, 4)],
      id="index_select-int32"),
    P(lambda L, x: x.index_select(0, L.tensor([], dtype=L.int64)), [(3, 4)],
      id="index_select-empty"),
    P(lambda L, x, s: x.index_add(0, L.tensor([0, 2, 0]), s, alpha=2), [(3, 4), (3, 4)],
      id="index_add-alpha"),
    P(lambda L, x, s: L.index_add(x, -1, L.tensor([3, 3]), s), [(2, 4), (2, 2)],
      id="index_add-dim-neg"),
    P(lambda L, x: x.index_fill(1, L.tensor([0, 0, 2]), 1.5), [(3, 4)], id="index_fill"),
    P(lambda L, x, v: L.index_fill(x, 0, L.tensor([1, 2, 1]), v), [(3, 4), ()],
      id="index_fill-tensor-value"),
    P(lambda L, x, v: x.index_put((L.tensor([0, 0, 2]), L.tensor([1, 1, 3])), v,
                                  accumulate=True), [(3, 4), (3,)], id="index_put-accumulate"),
    P(lambda L, x, v: L.index_put(x, (L.tensor([2, 0]),), v), [(3, 4), (4,)], id="index_put"),
    P(lambda L, x: L.take(x, L.tensor([[0, 11], [-1, 3], [3, 3]])), [(3, 4)], id="take"),
    P(lambda L, x, i: L.take_along_dim(x, i, 1), [(3, 4), ("int", (3, 2), -4, 4)],
      id="take_along_dim"),
    P(lambda L, x, i: L.take_along_dim(x, i, 0), [(2, 1, 4), ("int", (3, 3, 1), 0, 2)],
      id="take_along_dim-broadcast"),
]


@pytest.mark.parametrize("fn, shapes", OPS)
@pytest.mark.parametrize("layout", ["C", "T"])
def test_index_ops(fn, shapes, layout):
    check_op(fn, shapes, lib=True, layout=layout)


@pytest.mark.parametrize("fn, shapes", OPS[::3])
def test_index_ops_float32(fn, shapes):
    check_op(fn, shapes, lib=True, dtype="float32")


def test_index_ops_torch_limits():
    # torch's own backward fails on these (or needs a contiguous input), so compare forwards
    # and check glasstorch's gradients by finite differences
    check_op(lambda x, i: x.take_along_dim(i), [(3, 4), ("int", (5,), 0, 12)])
    check_op(lambda L, x: x.index_fill(0, L.tensor([1, -1]), 2.0), [(3, 4)], lib=True,
             grad=False)
    gradcheck(lambda x, s: x.scatter(1, gt.tensor(PERM[:, :1]), s), [np.ones((3, 4)),
                                                                      np.ones((3, 2))])
    gradcheck(lambda x, v: x.index_fill(0, gt.tensor([1, -1, 1]), v.sum()),
              [np.ones((3, 4)), np.ones(())])
    check_op(lambda x: x.take_along_dim(gt.tensor([[1], [0], [3]]), 1), [(3, 4)],
             torch_fn=lambda x: x.contiguous().take_along_dim(torch.tensor([[1], [0], [3]]), 1),
             layout="T")


@pytest.mark.parametrize("fn, shapes", [
    (lambda L, x, i: x.gather(1, i).exp(), [(3, 4), REP]),
    (lambda L, x, i, s: x.scatter_add(1, i, s * s), [(3, 4), REP, (3, 3)]),
    (lambda L, x: x.index_select(0, L.tensor([2, 0, 2])) ** 2, [(3, 4)]),
    (lambda L, x, s: x.index_add(0, L.tensor([0, 0]), s * s), [(3, 4), (2, 4)]),
])
def test_index_ops_second_derivative(fn, shapes):
    check_op(fn, shapes, lib=True, double=True)


@pytest.mark.filterwarnings("ignore:The reduce argument")   # torch: deprecated, still works
@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_reduce_forward_and_no_backward(reduce):
    check_op(lambda L, x, i, s: x.scatter(1, i, s, reduce=reduce), [(3, 4), REP, (3, 3)],
             lib=True, grad=False)
    check_raises(lambda L: L.zeros(3, requires_grad=True).scatter(
        0, L.tensor([0]), 2.0, reduce=reduce).sum().backward(), lib=True)


# ---- masks and where ------------------------------------------------------------------------
MASKED = [
    P(lambda L, x, m: x.masked_fill(m, -1.0), [(3, 4), ("bool", (3, 4))], id="masked_fill"),
    P(lambda L, x, m: x.masked_fill(m, 2), [(3, 4), ("bool", (2, 1, 4))],
      id="masked_fill-broadcast-out"),
    P(lambda L, x, m, v: L.masked_fill(x, m, v), [(3, 4), ("bool", (4,)), ()],
      id="masked_fill-tensor-value"),
    P(lambda L, x, m: x.masked_select(m), [(3, 4), ("bool", (3, 1))], id="masked_select"),
    P(lambda L, x, m: L.masked_select(x, m), [(4,), ("bool", (2, 4))],
      id="masked_select-broadcast-x"),
    P(lambda L, x, m, s: x.masked_scatter(m, s), [(3, 4), ("bool", (3, 4)), (15,)],
      id="masked_scatter"),
    P(lambda L, x, m, s: x.masked_scatter(m, s), [(4,), ("bool", (2, 4)), (3, 3)],
      id="masked_scatter-broadcast"),
    P(lambda L, c, x, y: L.where(c, x, y), [("bool", (3, 4)), (3, 4), (3, 4)], id="where"),
    P(lambda L, c, x, y: L.where(c, x, y), [("bool", (2, 1, 4)), (3, 1), (4,)],
      id="where-broadcast"),
    P(lambda L, c, x: L.where(c, x, 2.0), [("bool", (3, 4)), (3, 4)], id="where-scalar"),
    P(lambda L, c, x: L.where(c, 0, x), [("bool", (4,)), (3, 4)], id="where-int-scalar"),
    P(lambda L, c, x: x.where(c, -x), [("bool", (3, 4)), (3, 4)], id="where-method"),
    P(lambda L, c, x: L.where(c, x, x.float()), [("bool", (4,)), (4,)], id="where-promote"),
    P(lambda L, c, x: L.where(c, x, x), [("bool", (0, 4)), (0, 4)], id="where-zero-size"),
]


@pytest.mark.parametrize("fn, shapes", MASKED)
@pytest.mark.parametrize("layout", ["C", "T"])
def test_masked_and_where(fn, shapes, layout):
    check_op(fn, shapes, lib=True, layout=layout)


@pytest.mark.parametrize("fn, shapes", MASKED[::2])
def test_masked_and_where_float32(fn, shapes):
    check_op(fn, shapes, lib=True, dtype="float32")


@pytest.mark.filterwarnings("ignore:where received a uint8")
@pytest.mark.parametrize("fn, shapes", [
    (lambda L, c: L.where(c, 2, 3.0), [("bool", (3,))]),
    (lambda L, c: L.where(c, L.tensor(2), 3), [("bool", (3,))]),
    (lambda L, c: L.where(c, L.tensor([1, 2, 3], dtype=L.int32), 2.5), [("bool", (3,))]),
    (lambda L, c: L.where(c, True, False), [("bool", (3,))]),
    (lambda L, c, x: L.where(c.to(L.uint8), x, 1.0), [("bool", (3,)), (3,)]),
    (lambda L, c: L.zeros(3, dtype=L.int64).masked_fill(c, 1.7), [("bool", (3,))]),
    (lambda L, c: L.tensor([1, 2, 3]).masked_select(c), [("bool", (3,))]),
])
def test_where_and_masks_dtypes(fn, shapes):
    check_op(fn, shapes, lib=True, grad=False)


@pytest.mark.parametrize("shape", [(3, 4), (5,), (), (0, 3), (2, 0, 3)])
def test_nonzero(shape):
    for as_tuple in (False, True):
        check_op(lambda L, x: L.nonzero(x > 0, as_tuple=as_tuple), [shape], lib=True,
                 grad=False)
    check_op(lambda L, x: L.where(x > 0), [shape], lib=True, grad=False)
    check_op(lambda L, x: (x.round()).nonzero(), [shape], lib=True, grad=False)
    check_op(lambda L, x: L.argwhere(x > 0), [shape], lib=True, grad=False)


# ---- errors ----------------------------------------------------------------------------------
RAISES = [
    P(lambda L, x: x[5], id="int-out-of-bounds"),
    P(lambda L, x: x[1, -6], id="int-out-of-bounds-dim1"),
    P(lambda L, x: x[[0, 5]], id="list-out-of-bounds"),
    P(lambda L, x: x[:, L.tensor([0, -6])], id="tensor-out-of-bounds"),
    P(lambda L, x: x[0, 0, 0, 0], id="too-many-indices"),
    P(lambda L, x: x[L.tensor([0.0])], id="float-index-tensor"),
    P(lambda L, x: x[L.tensor([0], dtype=L.int16)], id="int16-index-tensor"),
    P(lambda L, x: x[1.5], id="float-index"),
    P(lambda L, x: x[::-1], id="negative-step"),
    P(lambda L, x: x[L.tensor([True, False])], id="mask-shape"),
    P(lambda L, x: x[1, :, L.tensor([True])], id="mask-shape-after-int"),
    P(lambda L, x: x[[0, 1], [0, 1, 2]], id="broadcast-mismatch"),
    P(lambda L, x: x.sum()[0], id="0d-int"),
    P(lambda L, x: x.sum()[:], id="0d-slice"),
    P(lambda L, x: x.sum()[[0]], id="0d-list"),
    P(lambda L, x: x.__setitem__(0, L.ones(4)), id="setitem-shape"),
    P(lambda L, x: x.__setitem__(0, L.ones(3, 5)), id="setitem-more-dims"),
    P(lambda L, x: x.__setitem__([0, 1], L.ones(3, 5)), id="setitem-adv-shape"),
    P(lambda L, x: x.__setitem__(0, [1.0, 2.0, 3.0, 4.0, 5.0]), id="setitem-list-value"),
    P(lambda L, x: x.__setitem__(L.tensor([0.0]), 1.0), id="setitem-float-index"),
    P(lambda L, x: x.requires_grad_().__setitem__(0, 1.0), id="setitem-leaf"),
    P(lambda L, x: x.requires_grad_().__setitem__([0], 1.0), id="setitem-leaf-adv"),
    P(lambda L, x: x.gather(1, L.tensor([[5]])), id="gather-out-of-bounds"),
    P(lambda L, x: x.gather(1, L.tensor([[-1]])), id="gather-negative"),
    P(lambda L, x: x.gather(1, L.tensor([[0.0]])), id="gather-float-index"),
    P(lambda L, x: x.gather(1, L.tensor([0])), id="gather-ndim"),
    P(lambda L, x: x.gather(1, L.zeros(4, 2, dtype=L.int64)), id="gather-size"),
    P(lambda L, x: x.scatter(1, L.tensor([[0]]), L.ones(1, 1, dtype=L.float32)),
      id="scatter-dtype"),
    P(lambda L, x: x.scatter(1, L.tensor([[0, 1]]), L.ones(1, 1, dtype=L.float64)),
      id="scatter-src-too-small"),
    P(lambda L, x: x.scatter(1, L.tensor([[0]]), 1.0, reduce="mean"), id="scatter-reduce"),
    P(lambda L, x: x.scatter_add(1, L.tensor([[7]]), L.ones(1, 1, dtype=L.float64)),
      id="scatter_add-out-of-bounds"),
    P(lambda L, x: x.index_select(0, L.tensor([0.0])), id="index_select-float"),
    P(lambda L, x: x.index_select(0, L.tensor([3])), id="index_select-out-of-range"),
    P(lambda L, x: x.index_select(0, L.tensor([[0]])), id="index_select-2d"),
    P(lambda L, x: x.index_add(0, L.tensor([0, 0]), L.ones(3, 5, dtype=L.float64)),
      id="index_add-count"),
    P(lambda L, x: x.index_add(0, L.tensor([0]), L.ones(1, 4, dtype=L.float64)),
      id="index_add-shape"),
    P(lambda L, x: x.index_add(0, L.tensor([0]), L.ones(1, 5)), id="index_add-dtype"),
    P(lambda L, x: x.index_add(0, L.tensor([9]), L.ones(1, 5, dtype=L.float64)),
      id="index_add-out-of-bounds"),
    P(lambda L, x: x.index_fill(0, L.tensor([0], dtype=L.int32), 1.0), id="index_fill-int32"),
    P(lambda L, x: x.index_fill(0, L.tensor([3]), 1.0), id="index_fill-out-of-bounds"),
    P(lambda L, x: x.index_fill(0, L.tensor([0]), L.ones(1)), id="index_fill-1d-value"),
    P(lambda L, x: x.index_put((L.tensor([0]),), L.ones(1)), id="index_put-dtype"),
    P(lambda L, x: x.masked_fill(L.ones(5, dtype=L.uint8), 1.0), id="masked_fill-uint8"),
    P(lambda L, x: x.masked_fill(x > 0, L.ones(1)), id="masked_fill-1d-value"),
    P(lambda L, x: x.masked_fill(L.ones(4, dtype=L.bool), 1.0), id="masked_fill-broadcast"),
    P(lambda L, x: x.masked_select(x), id="masked_select-float-mask"),
    P(lambda L, x: x.masked_scatter(x > -9, L.ones(3, dtype=L.float64)),
      id="masked_scatter-short-source"),
    P(lambda L, x: x.masked_scatter(x > 0, L.ones(15)), id="masked_scatter-dtype"),
    P(lambda L, x: L.where(x, x, x), id="where-float-cond"),
    P(lambda L, x: L.where(x > 0, x, L.ones(4)), id="where-broadcast"),
    P(lambda L, x: L.take(x, L.tensor([15])), id="take-out-of-range"),
    P(lambda L, x: L.take(x, L.tensor([1], dtype=L.int32)), id="take-int32"),
    P(lambda L, x: L.take_along_dim(x, L.tensor([[1]], dtype=L.int32), 1),
      id="take_along_dim-int32"),
    P(lambda L, x: L.take_along_dim(x, L.zeros(1, 1, 1, dtype=L.int64), 0),
      id="take_along_dim-ndim"),
]


@pytest.mark.parametrize("fn", RAISES)
def test_errors(fn):
    check_raises(fn, [(3, 5)], lib=True)


def test_error_messages():
    x = gt.zeros(3, 4)
    for index, msg in [(5, "index 5 is out of bounds for dimension 0 with size 3"),
                       ((0, 0, 0), "too many indices for tensor of dimension 2"),
                       (gt.tensor([0.0]), "tensors used as indices must be long, int, byte "
                                          "or bool tensors")]:
        with pytest.raises(IndexError, match=msg):
            x[index]


@pytest.mark.parametrize("rows, index", [
    (50, [7, 7, 49, -1]),       # few of many rows
    (4, [0, 3, 3, 1, 0, -4]),   # most rows, repeated
])
def test_embedding_like_gradient_accumulates(rows, index):
    check_op(lambda L, w: w[L.tensor(index)], [(rows, 3)], lib=True)
    check_op(lambda L, w: w[L.tensor(index)], [(rows, 3)], lib=True, dtype="float32")
    check_op(lambda L, w: w.index_select(0, L.tensor(index) % rows), [(rows, 3)], lib=True)



# index_add's rows come from `add_at` (backend/cpu_kernels.py): sorted rounds, a reduceat for rows hit more
# than 8 times, a bincount for dense scalar rows; (rows, width, index) per case
ADD_AT = [
    P(40, 16, lambda rng: rng.permutation(40)[:25], id="distinct"),
    P(40, 16, lambda rng: rng.integers(0, 40, 200), id="repeats"),
    P(40, 16, lambda rng: rng.integers(-40, 40, 200), id="negative"),
    P(40, 16, lambda rng: np.r_[np.zeros(300, int), rng.integers(0, 40, 100)], id="heavy-row"),
    P(40, 1, lambda rng: rng.integers(0, 40, 200), id="dense-scalar-rows"),
    P(4000, 1, lambda rng: rng.integers(0, 4000, 50), id="sparse-scalar-rows"),
]


@pytest.mark.parametrize("rows, width, make_index", ADD_AT)
@pytest.mark.parametrize("dim", [0, 1])
def test_index_add_repeated_rows_float32(rows, width, make_index, dim):
    rng = np.random.default_rng(3)
    index = make_index(rng) % rows
    x = rng.standard_normal((rows, width)).astype(np.float32)
    src = rng.standard_normal((len(index), width)).astype(np.float32)
    if dim == 1:   # rows along dim 1: `_add_at` writes through a non-contiguous view
        x, src = x.T.copy(), src.T.copy()
    got = gt.tensor(x).index_add(dim, gt.tensor(index), gt.tensor(src))
    want = torch.tensor(x).index_add(dim, torch.tensor(index), torch.tensor(src))
    assert got.dtype == gt.float32
    if width > 1 and np.bincount(index).max() <= 8:
        # each row sums its values one by one in order of occurrence, as torch does: bit-exact
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    else:   # another summation order (reduceat, or bincount in float64)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)


def test_index_add_int_repeats_are_exact():
    index = np.r_[np.zeros(20, int), np.arange(5), np.arange(5)]
    got = gt.zeros(5, 3, dtype=gt.int64).index_add(0, gt.tensor(index), gt.ones(30, 3).long())
    assert got[:, 0].tolist() == [22, 2, 2, 2, 2]

def test_augmented_assignment():
    def fn(x, v, w):
        y = x * 1
        y[0] += v                # basic: a view, written through, then assigned to itself
        y[[1, 1, 2]] += w        # advanced: a copy, added to, written back (last write wins)
        return y
    check_op(fn, [(3, 4), (4,), (4,)])
