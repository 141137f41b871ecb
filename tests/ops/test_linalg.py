"""Matrix products and einsum against torch: values, gradients (and second derivatives),
dtypes, grad_fn names and errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import check_op, check_raises, gradcheck

MATMUL_SHAPES = [
    [(3,), (3,)],                 # dot
    [(2, 3), (3,)],               # mv
    [(3,), (3, 4)],               # vector @ matrix
    [(2, 3), (3, 4)],             # mm
    [(2, 2, 3), (3, 4)],          # batch @ matrix
    [(3, 4), (2, 4, 5)],          # matrix @ batch
    [(3,), (2, 3, 4)],            # vector @ batch
    [(2, 3, 4), (4,)],            # batch @ vector
    [(2, 1, 3, 4), (5, 4, 2)],    # broadcast batch dims
    [(2, 2, 3), (3, 2, 3, 4)],
    [(0, 3), (3, 2)],             # zero-size rows
    [(2, 0), (0, 2)],             # zero-size contraction: zeros
    [(2, 0, 3), (3, 4)],          # zero-size batch
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, shapes)
    check_op(lambda lib, a, b: lib.matmul(a, b), shapes, lib=True, layout="T")


@pytest.mark.parametrize("shapes", MATMUL_SHAPES[:10])
def test_matmul_second_derivative(shapes):
    check_op(lambda a, b: (a @ b).tanh(), shapes, double=True)


@pytest.mark.parametrize("shapes", [[(2, 3), (3, 4)], [(3,), (3,)], [(2, 2, 3), (3, 2)]])
def test_matmul_float32(shapes):
    check_op(lambda a, b: a @ b, shapes, dtype="float32")


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_matmul_integer(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    b = np.arange(12).reshape(3, 4).astype(dtype)
    check_op(lambda x, y: x @ y, [a, b], grad=False)
    check_op(lambda x, y: x @ y, [a[0], b], grad=False)


def test_rmatmul_with_array():
    a = np.arange(6.0).reshape(2, 3)
    x = gt.tensor(np.ones((3, 2)))
    np.testing.assert_allclose((a @ x).numpy(), a @ np.ones((3, 2)))


@pytest.mark.parametrize("fn, shapes", [
    (lambda lib, a, b: lib.mm(a, b), [(2, 3), (3, 4)]),
    (lambda lib, a, b: a.mm(b), [(1, 3), (3, 1)]),
    (lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (2, 3, 4)]),
    (lambda lib, a, b: a.bmm(b), [(3, 1, 2), (3, 2, 5)]),
    (lambda lib, a, b: lib.mv(a, b), [(2, 3), (3,)]),
    (lambda lib, a, b: a.mv(b), [(0, 3), (3,)]),
    (lambda lib, a, b: lib.dot(a, b), [(4,), (4,)]),
    (lambda lib, a, b: a.dot(b), [(0,), (0,)]),
    (lambda lib, a, b: lib.vdot(a, b), [(4,), (4,)]),
    (lambda lib, a, b: lib.outer(a, b), [(3,), (4,)]),
    (lambda lib, a, b: lib.ger(a, b), [(3,), (0,)]),
    (lambda lib, a, b: a.outer(b), [(1,), (2,)]),
    (lambda lib, a, b: lib.inner(a, b), [(2, 3), (4, 3)]),
    (lambda lib, a, b: lib.inner(a, b), [(3,), (3,)]),
    (lambda lib, a, b: lib.inner(a, b), [(), (2, 3)]),
    (lambda lib, a, b: a.inner(b), [(2, 3), (3,)]),
    (lambda lib, a, b: a.vdot(b), [(3,), (3,)]),
])
def test_products(fn, shapes):
    check_op(fn, shapes, lib=True, double=True)
    check_op(fn, shapes, lib=True, dtype="float32", layout="T")


@pytest.mark.parametrize("fn, shapes", [
    (lambda lib, x, a, b: lib.addmm(x, a, b), [(2, 4), (2, 3), (3, 4)]),
    (lambda lib, x, a, b: lib.addmm(x, a, b), [(4,), (2, 3), (3, 4)]),          # broadcast input
    (lambda lib, x, a, b: lib.addmm(x, a, b), [(2, 1), (2, 3), (3, 4)]),
    (lambda lib, x, a, b: lib.addmm(x, a, b), [(), (2, 3), (3, 4)]),
    (lambda lib, x, a, b: lib.addmm(x, a, b, beta=0.5, alpha=-2.0), [(4,), (2, 3), (3, 4)]),
    (lambda lib, x, a, b: x.addmm(a, b, beta=0, alpha=3), [(2, 4), (2, 3), (3, 4)]),
    (lambda lib, x, a, b: lib.addmm(x, a, b), [(2, 4), (2, 0), (0, 4)]),
    (lambda lib, x, a, b: lib.baddbmm(x, a, b), [(2, 2, 4), (2, 2, 3), (2, 3, 4)]),
    (lambda lib, x, a, b: lib.baddbmm(x, a, b), [(4,), (2, 2, 3), (2, 3, 4)]),
    (lambda lib, x, a, b: x.baddbmm(a, b, alpha=2), [(2, 2, 4), (2, 2, 3), (2, 3, 4)]),
    (lambda lib, x, a, b: lib.baddbmm(x, a, b, beta=2, alpha=0.5), [(2, 1, 4), (2, 2, 3),
                                                                    (2, 3, 4)]),
])
def test_addmm_baddbmm(fn, shapes):
    check_op(fn, shapes, lib=True, double=True)
    check_op(fn, shapes, lib=True, dtype="float32", layout="T")


def test_addmm_beta_zero_ignores_nan():
    x = gt.full((2,), float("nan"), requires_grad=True)
    a = gt.ones(2, 2, requires_grad=True)
    y = gt.addmm(x, a, a, beta=0)
    assert not np.isnan(y.detach().numpy()).any()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


@pytest.mark.parametrize("dtypes", [("int64", "float64"), ("float32", "float64"),
                                    ("bool", "bool"), ("float64", "int64")])
@pytest.mark.parametrize("sa, sb", [((0, 3, 3), (0, 3, 1)), ((2, 3, 0), (2, 0, 1)),
                                    ((2, 0, 2), (2, 2, 3)), ((1, 3, 2), (1, 2, 0))])
@pytest.mark.parametrize("beta", [None, 0, 1, 2.5])
def test_bmm_baddbmm_with_nothing_to_multiply(dtypes, sa, sb, beta):
    """torch skips the product and batch2's dtype checks when a size is 0: the result (zeros,
    or beta * input) takes batch2's dtype; beta that does not fit it raises (fuzzer finding)."""
    from fuzz_engine import outcome
    a = np.ones(sa, dtypes[0])
    b = np.ones(sb, dtypes[1])
    if beta is None:
        fn, args, kw = (lambda lib, a, b: lib.bmm(a, b)), [a, b], {}
    else:
        x = np.full((sa[1], 1), 3, dtypes[0])
        fn, args, kw = (lambda lib, x, a, b, beta: lib.baddbmm(x, a, b, beta=beta, alpha=2),
                        [x, a, b, beta], {})
    got, detail = outcome(fn, args, kw)
    assert got in ("same_value", "same_error"), detail


@pytest.mark.parametrize("fn, name", [
    (lambda lib, m, v, b: lib.mm(m, m), "MmBackward0"),
    (lambda lib, m, v, b: m @ m, "MmBackward0"),
    (lambda lib, m, v, b: m @ v, "MvBackward0"),
    (lambda lib, m, v, b: v @ v, "DotBackward0"),
    (lambda lib, m, v, b: lib.bmm(b, b), "BmmBackward0"),
    (lambda lib, m, v, b: lib.addmm(v, m, m), "AddmmBackward0"),
    (lambda lib, m, v, b: lib.baddbmm(v, b, b), "BaddbmmBackward0"),
    (lambda lib, m, v, b: lib.outer(v, v), "MulBackward0"),
])
def test_grad_fn_names(fn, name):
    for lib in (gt, torch):
        m, v, b = (lib.ones(*s, requires_grad=True) for s in [(3, 3), (3,), (2, 3, 3)])
        assert fn(lib, m, v, b).grad_fn.name() == name


@pytest.mark.parametrize("fn, shapes", [
    (lambda lib, a, b: lib.matmul(a, b), [(), (3,)]),
    (lambda lib, a, b: lib.matmul(a, b), [(3,), (4,)]),
    (lambda lib, a, b: lib.matmul(a, b), [(2, 3), (4,)]),
    (lambda lib, a, b: lib.matmul(a, b), [(3,), (4, 5)]),
    (lambda lib, a, b: lib.matmul(a, b), [(2, 3), (2, 3)]),
    (lambda lib, a, b: lib.matmul(a, b), [(2, 2, 3), (2, 4)]),
    (lambda lib, a, b: lib.matmul(a, b), [(2, 2, 3), (2, 4, 5)]),
    (lambda lib, a, b: lib.matmul(a, b), [(3, 2, 3), (2, 3, 4)]),      # batch mismatch
    (lambda lib, a, b: lib.matmul(a, b.double()), [(2, 3), (3, 2)]),
    (lambda lib, a, b: lib.matmul(a, b.double()), [(2, 2, 3), (3, 2)]),
    (lambda lib, a, b: lib.matmul(a.long(), b), [(2, 3), (3, 2)]),
    (lambda lib, a, b: lib.matmul(a.double(), b), [(3,), (3,)]),
    (lambda lib, a, b: lib.matmul(a, b.double()), [(2, 3), (3,)]),
    (lambda lib, a, b: lib.matmul(a.bool(), b.bool()), [(2, 3), (3, 2)]),
    (lambda lib, a, b: lib.mm(a, b), [(2, 3), (3,)]),
    (lambda lib, a, b: lib.mm(a, b), [(2,), (3, 4)]),
    (lambda lib, a, b: lib.mm(a, b), [(2, 3), (4, 5)]),
    (lambda lib, a, b: lib.mm(a, b), [(1, 2, 3), (3, 4)]),
    (lambda lib, a, b: lib.mm(a, b.double()), [(2, 3), (3, 4)]),
    (lambda lib, a, b: lib.bmm(a, b), [(2, 3), (3, 4)]),
    (lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (2, 3)]),
    (lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (3, 3, 4)]),
    (lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (2, 4, 4)]),
    (lambda lib, a, b: lib.bmm(a, b.double()), [(2, 2, 3), (2, 3, 4)]),
    (lambda lib, a, b: lib.mv(a, b), [(2, 3), (4,)]),
    (lambda lib, a, b: lib.mv(a, b), [(2, 3), (3, 1)]),
    (lambda lib, a, b: lib.mv(a, b), [(3,), (3,)]),
    (lambda lib, a, b: lib.mv(a, b.double()), [(2, 3), (3,)]),
    (lambda lib, a, b: lib.dot(a, b), [(3,), (4,)]),
    (lambda lib, a, b: lib.dot(a, b), [(3, 1), (3,)]),
    (lambda lib, a, b: lib.dot(a, b.double()), [(3,), (3,)]),
    (lambda lib, a, b: lib.dot(a.bool(), b.bool()), [(3,), (3,)]),
    (lambda lib, a, b: lib.outer(a, b), [(3, 1), (4,)]),
    (lambda lib, a, b: lib.outer(a, b), [(3,), (4, 1)]),
])
def test_product_errors(fn, shapes):
    check_raises(fn, shapes, lib=True, dtype="float32")


@pytest.mark.parametrize("fn, shapes", [
    (lambda lib, x, a, b: lib.addmm(x, a, b), [(3,), (2, 3), (3, 4)]),
    (lambda lib, x, a, b: lib.addmm(x, a, b), [(5,), (2, 3), (3, 4)]),
    (lambda lib, x, a, b: lib.addmm(x, a, b), [(4,), (2,), (3, 4)]),
    (lambda lib, x, a, b: lib.addmm(x, a, b), [(4,), (2, 3), (4,)]),
    (lambda lib, x, a, b: lib.addmm(x, a, b), [(4,), (2, 3), (2, 4)]),
    (lambda lib, x, a, b: lib.addmm(x.double(), a, b), [(4,), (2, 3), (3, 4)]),
    (lambda lib, x, a, b: lib.addmm(x, a, b.double()), [(4,), (2, 3), (3, 4)]),
    (lambda lib, x, a, b: lib.baddbmm(x, a, b), [(4,), (2, 3), (2, 3, 4)]),
    (lambda lib, x, a, b: lib.baddbmm(x, a, b), [(4,), (2, 2, 3), (3, 3, 4)]),
    (lambda lib, x, a, b: lib.baddbmm(x, a, b), [(3, 2, 4), (2, 2, 3), (2, 3, 4)]),
    (lambda lib, x, a, b: lib.baddbmm(x.double(), a, b), [(4,), (2, 2, 3), (2, 3, 4)]),
])
def test_addmm_errors(fn, shapes):
    check_raises(fn, shapes, lib=True, dtype="float32")


# ---- einsum -------------------------------------------------------------------------------
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),                  # implicit output
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),                          # a subscript summed in one operand only
    ("ij,k->ik", [(2, 3), (4,)]),                 # j summed alone, k broadcast
    ("ii->i", [(3, 3)]),                          # diagonal
    ("ii", [(3, 3)]),                             # trace
    ("iij->ij", [(3, 3, 2)]),
    ("iii->i", [(2, 2, 2)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("ij,jj->i", [(2, 3), (3, 3)]),
    ("ijj,jk->ik", [(2, 3, 3), (3, 2)]),
    ("ji,ik,kj->", [(2, 3), (3, 4), (4, 2)]),     # three operands (cycle)
    ("abc,cd,de->abe", [(2, 1, 3), (3, 4), (4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (5, 3, 4)]),   # ellipsis broadcast
    ("...ij,...jk", [(2, 3), (4, 3, 2)]),
    ("i...->...", [(2, 3, 4)]),
    ("...->", [(2, 3)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("b...,b...->b", [(2, 3, 4), (2, 1, 4)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),              # size-1 subscript broadcasts
    ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("Ab,bC->CA", [(2, 3), (3, 4)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]),       # spaces
    ("->", [()]),
    ("i,i", [(0,), (0,)]),                        # zero-size
    ("ij,jk->ik", [(2, 0), (0, 3)]),
]


@pytest.mark.parametrize("eq, shapes", EINSUM_CASES)
def test_einsum(eq, shapes):
    check_op(lambda lib, *xs: lib.einsum(eq, *xs), shapes, lib=True, double=True)


@pytest.mark.parametrize("eq, shapes", [c for c in EINSUM_CASES if len(c[1][0]) >= 2])
def test_einsum_float32_noncontiguous(eq, shapes):
    check_op(lambda lib, *xs: lib.einsum(eq, *xs), shapes, lib=True, dtype="float32",
             layout="T")


@pytest.mark.parametrize("fn", [
    lambda lib, a, b: lib.einsum("ij,jk->ik", [a, b]),                    # operand list
    lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2], [0, 2]),          # sublists
    lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2]),
    lambda lib, a, b: lib.einsum(a, [Ellipsis, 1], b, [1, Ellipsis]),
    lambda lib, a, b: lib.tensordot(a, b, 1),
    lambda lib, a, b: lib.tensordot(a, b, dims=([1], [0])),
    lambda lib, a, b: lib.tensordot(a, b, dims=([0, 1], [1, 0])),
    lambda lib, a, b: lib.tensordot(a, b, 0),
])
def test_einsum_forms_and_tensordot(fn):
    check_op(fn, [(2, 3), (3, 2)], lib=True)


def test_tensordot_default_dims():
    check_op(lambda lib, a, b: lib.tensordot(a, b), [(2, 3, 4), (3, 4, 5)], lib=True)


@pytest.mark.parametrize("eq, dtypes", [
    ("ij,jk->ik", ("int64", "int64")),
    ("ij,jk->ik", ("float32", "float32")),
    ("ij,kl->il", ("float32", "float64")),        # no shared contraction: a mul, dtypes promote
    ("ij,ij->ij", ("int64", "float32")),
    ("ij,ij->ij", ("bool", "bool")),
    ("ij->", ("bool",)),                          # a sum of bools counts (int64)
    ("ij->j", ("int64",)),
])
def test_einsum_dtypes(eq, dtypes):
    arrays = [(np.arange(9).reshape(3, 3) % 2).astype(d) for d in dtypes]
    check_op(lambda lib, *xs: lib.einsum(eq, *xs), arrays, lib=True, grad=False)


def test_einsum_result_owns_memory():
    x = gt.ones(3, 3)
    y = gt.einsum("ij->ji", x)
    y.add_(1)
    assert x.numpy().sum() == 9.0


def test_einsum_gradcheck_composite():
    gradcheck(lambda a, b, c: gt.einsum("ii,ij,jk->k", a, b, c).tanh(),
              [np.random.default_rng(1).standard_normal(s) for s in [(3, 3), (3, 2), (2, 4)]])


@pytest.mark.parametrize("eq, shapes", [
    ("ij,jk", [(2, 3), (4, 5)]),
    ("ij,jk", [(2, 3)]),
    ("ij", [(2, 3), (3, 2)]),
    ("ijk", [(2, 3)]),
    ("...ijk", [(2, 3)]),
    ("ii", [(2, 3)]),
    ("ij->ii", [(2, 3)]),
    ("ij->k", [(2, 3)]),
    ("i.j", [(2, 3)]),
    ("i1", [(2, 3)]),
    ("ij,ij->ij", [(2, 3), (3, 3)]),
    ("", [(2, 3)]),
    ("......", [(2, 3)]),
])
def test_einsum_errors(eq, shapes):
    check_raises(lambda lib, *xs: lib.einsum(eq, *xs), shapes, lib=True)


def test_einsum_no_operands():
    check_raises(lambda lib: lib.einsum("i"), [], lib=True)


@pytest.mark.parametrize("eq, dtypes", [
    ("ij,jk->ik", ("float32", "float64")),        # a contraction across operands is a bmm
    ("ij,ij->i", ("int64", "float32")),
    ("ij,jk->ik", ("bool", "bool")),
])
def test_einsum_dtype_errors(eq, dtypes):
    arrays = [np.ones((3, 3), dtype=d) for d in dtypes]
    check_raises(lambda lib, a, b: lib.einsum(eq, a, b), arrays, lib=True)


@pytest.mark.parametrize("fn, shapes", [
    (lambda lib, a, b: lib.tensordot(a, b, -1), [(2, 3), (3, 2)]),
    (lambda lib, a, b: lib.tensordot(a, b, ([0], [0])), [(2, 3), (3, 2)]),
    (lambda lib, a, b: lib.tensordot(a, b, ([0, 1], [0])), [(2, 3), (2, 2)]),
    (lambda lib, a, b: lib.tensordot(a, b.float(), 1), [(2, 3), (3, 2)]),
])
def test_tensordot_errors(fn, shapes):
    check_raises(fn, shapes, lib=True)


def test_big_matmul_float32_stays_float32():
    a = gt.randn(64, 32, requires_grad=True)
    b = gt.randn(32, 16, requires_grad=True)
    y = a @ b
    assert y.dtype == gt.float32
    y.sum().backward()
    assert a.grad.dtype == gt.float32 and b.grad.dtype == gt.float32
