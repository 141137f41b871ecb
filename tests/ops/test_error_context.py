"""Errors of the most common ops on bad input (out-of-range dim, shapes that don't broadcast,
out-of-range indices and targets): torch's exception type, torch's words first, then the op
and the shapes, which torch's message leaves out (tests/fuzz counts the messages that still
name neither: `vague_error` in its tally)."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises

CASES = [  # (id, fn(lib, x) with x of shape (3, 4), words glasstorch's message must hold)
    ("softmax-dim", lambda L, x: x.softmax(2), ["but got 2)", "softmax() on a 2-D tensor"]),
    ("sum-dim", lambda L, x: x.sum(-3), ["but got -3)", "sum() on a 2-D tensor"]),
    ("mean-dim", lambda L, x: x.mean(5), ["mean() on a 2-D tensor"]),
    ("cat-dim", lambda L, x: L.cat([x, x], 2), ["cat() on a 2-D tensor"]),
    ("squeeze-dim", lambda L, x: x.squeeze(4), ["squeeze() on a 2-D tensor"]),
    ("transpose-dim", lambda L, x: x.transpose(0, 3), ["transpose() on a 2-D tensor"]),
    ("var-dim", lambda L, x: x.var(3), ["var() on a 2-D tensor"]),
    ("size-dim", lambda L, x: x.size(2), ["size() on a 2-D tensor"]),
    ("diff-dim", lambda L, x: x.diff(dim=3), ["diff() on a 2-D tensor"]),
    ("add-broadcast", lambda L, x: x + L.ones(5), ["at non-singleton dimension 1",
                                                   "add: shapes [3, 4], [5]"]),
    ("mul-broadcast", lambda L, x: x * L.ones(2, 1, 4)[:, :, :3],
     ["mul: shapes [3, 4], [2, 1, 3]"]),
    ("lt-broadcast", lambda L, x: x < L.ones(5), ["less: shapes [3, 4], [5]"]),
    ("gather-index", lambda L, x: x.gather(0, L.tensor([[5]])),
     ["index 5 is out of bounds for dimension 0 with size 3", "gather: input of shape [3, 4]"]),
    ("scatter_add-index", lambda L, x: x.scatter_add(1, L.tensor([[-9]]), x),
     ["scatter_add: input of shape [3, 4]"]),
    ("index_select-index", lambda L, x: x.index_select(0, L.tensor([4])),
     ["index out of range in self", "index_select: index 4 is not in [0, 3)"]),
    ("index_select-dim1", lambda L, x: x.index_select(-1, L.tensor([0, -1])),
     ["INDICES element is out of DATA bounds, id=-1 axis_dim=4", "index_select"]),
    ("index_add-index", lambda L, x: x.index_add(0, L.tensor([0, 0, 9]), x[:3]),
     ["index 9 is out of bounds", "(index_add)"]),
    ("embedding-index", lambda L, x: L.nn.functional.embedding(L.tensor([3]), x),
     ["index out of range in self", "embedding: index 3 is not in [0, 3)", "[3, 4]"]),
    ("cross_entropy-target", lambda L, x: L.nn.functional.cross_entropy(x, L.tensor([0, 4, 1])),
     ["Target 4 is out of bounds.", "class indices in [0, 4)"]),
    ("nll_loss-target", lambda L, x: L.nn.functional.nll_loss(x, L.tensor([0, -1, 1])),
     ["Target -1 is out of bounds.", "nll_loss"]),
]


@pytest.mark.parametrize("fn, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_names_op_and_shapes(fn, words):
    g_err, t_err = check_raises(lambda L, x: fn(L, x), [(3, 4)], lib=True)
    message = str(g_err)
    assert message.startswith(str(t_err).split("\n")[0].rstrip(".")), (message, str(t_err))
    for w in words:
        assert w in message, (w, message)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_diff_orders_past_the_size(n):
    """diff of an order >= the size is empty, as torch (it raised from narrow)."""
    check_op(lambda x: x.diff(n=n, dim=1), [(2, 3)])


@pytest.mark.parametrize("fn", [lambda L: L.tensor(1.0).diff(), lambda L: L.ones(3).diff(n=-1),
                                lambda L: L.ones(3).diff(prepend=L.ones(2, 2))],
                         ids=["0-d", "negative-order", "prepend-rank"])
def test_diff_errors(fn):
    check_raises(fn, lib=True)


def test_messages_without_torch_words_stay_torchs():
    """Where torch already names the op, nothing is added (index_copy_ says it itself)."""
    x = np.zeros((3, 4))
    for mod in (gt, torch):
        with pytest.raises(IndexError, match=r"^index_copy_\(\): index 7 is out of bounds"):
            mod.tensor(x).index_copy(0, mod.tensor([7]), mod.ones(1, 4, dtype=mod.float64))


# negative sizes and counts: torch's RuntimeError (NumPy's ValueError, or no error, before)
@pytest.mark.parametrize("fn, words", [
    (lambda L: L.randperm(-1), "negative dimension -1"),
    (lambda L: L.eye(-1), "n must be greater or equal to 0, got -1"),
    (lambda L: L.eye(2, -1), "m must be greater or equal to 0, got -1"),
    (lambda L: L.linspace(0, 1, -1), "number of steps must be non-negative"),
    (lambda L: L.logspace(0, 1, -1), "number of steps must be non-negative"),
    (lambda L: L.arange(0, -5), "upper bound and lower bound inconsistent with step sign"),
    (lambda L: L.arange(0.0, 5.0, -0.5), "inconsistent with step sign"),
    (lambda L: L.arange(0, float("inf")), "unsupported range: 0 -> inf"),
    (lambda L: L.multinomial(L.ones(3), -1), "cannot sample n_sample <= 0 samples"),
    (lambda L: L.multinomial(L.ones(2, 3), 0), "cannot sample n_sample <= 0 samples"),
    (lambda L: L.empty_strided((2, -1), (1, 1)), "negative dimension -1: [2, -1]"),
], ids=["randperm", "eye-n", "eye-m", "linspace", "logspace", "arange-int", "arange-float",
        "arange-inf", "multinomial", "multinomial-0", "empty_strided"])
def test_negative_sizes_like_torch(fn, words):
    g_err, _ = check_raises(fn, lib=True)
    assert words in str(g_err), str(g_err)


@pytest.mark.parametrize("fn", [lambda L: L.arange(0, 0, -1), lambda L: L.arange(5.0, 0.0, -0.5),
                                lambda L: L.linspace(0, 1, 0), lambda L: L.eye(0),
                                lambda L: L.randperm(0)], ids=["arange-0", "arange-down",
                                                              "linspace-0", "eye-0", "randperm-0"])
def test_empty_sizes_still_work(fn):
    assert tuple(fn(gt).shape) == tuple(fn(torch).shape)


def test_dim_of_the_wrong_type():
    for mod in (gt, torch):
        with pytest.raises(TypeError, match=r"softmax\(\): argument 'dim' .*must be int, not str"):
            mod.ones(2, 3).softmax("a")


@pytest.mark.parametrize("fn, words", [
    (lambda L: L.ones(2, 3).view(-1, -1), "(shape [-1, -1] for 6 elements)"),
    (lambda L: L.ones(2, 3).unflatten(1, (-1, -1)), "unflatten of dim 1"),
    (lambda L: L.nn.functional.pad(L.ones(2, 3), (1,)), "pad: got 1 values [1]"),
    (lambda L: L.cat([L.ones(2, 3), L.ones(2, 4)]), "(cat: shapes [2, 3] and [2, 4])"),
    (lambda L: L.matmul(L.ones(2, 3, 4), L.ones(3, 4, 5)), "matmul: batch shapes [2] and [3]"),
    (lambda L: L.nn.functional.l1_loss(L.ones(3), L.ones(4)), "shapes [3], [4]"),
], ids=["view", "unflatten", "pad", "cat", "matmul", "l1_loss"])
def test_shape_errors_name_the_shapes(fn, words):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")              # (l1_loss warns about the sizes first)
        g_err, _ = check_raises(fn, lib=True)
    assert words in str(g_err), str(g_err)


# dtypes torch has no kernel for: its NotImplementedError (histc counted integers, trace and
# cross computed bools, bincount said RuntimeError for floats and bools)
@pytest.mark.parametrize("fn, dtype", [
    (lambda L, x: L.histc(x), "int64"), (lambda L, x: L.histc(x), "uint8"),
    (lambda L, x: L.histc(x), "bool"), (lambda L, x: L.trace(x), "bool"),
    (lambda L, x: L.cross(x[:, :3], x[:, :3], dim=1), "bool"),
    (lambda L, x: L.bincount(x[0]), "bool"), (lambda L, x: L.bincount(x[0]), "float32"),
    (lambda L, x: L.bincount(x), "float64")],
    ids=["histc-int64", "histc-uint8", "histc-bool", "trace-bool", "cross-bool",
         "bincount-bool", "bincount-float32", "bincount-2d-float64"])
def test_dtypes_without_a_kernel(fn, dtype):
    g_err, t_err = check_raises(lambda L, x: fn(L, x.to(getattr(L, dtype))), [(3, 4)], lib=True,
                                exc=NotImplementedError)
    assert str(g_err) == str(t_err).split("\n")[0]


@pytest.mark.parametrize("fn", [
    lambda L, x: x.view(6.0), lambda L, x: x.view(2.0, 6), lambda L, x: x.reshape((3, 4.0)),
    lambda L, x: x.expand(2.0, 3, 4), lambda L, x: x.permute(0.0, 1), lambda L, x: x.repeat(2.0, 1),
    lambda L, x: x.flip(0.0), lambda L, x: x.tile(2.0), lambda L, x: x.view("a"),
    lambda L, x: x @ 2, lambda L, x: 2 @ x, lambda L, x: x @ [[1.0]],
    lambda L, x: x.to(dtype="float32")],
    ids=["view-float", "view-floats", "reshape-float", "expand", "permute", "repeat", "flip",
         "tile", "view-str", "matmul-int", "rmatmul-int", "matmul-list", "to-str-dtype"])
def test_arguments_of_the_wrong_type_are_typeerrors(fn):
    """Sizes must be ints (int() took 2.0 silently), `@` a tensor; torch's TypeError."""
    check_raises(fn, [(3, 4)], lib=True, exc=TypeError)


def test_sizes_still_take_ints_of_any_kind():
    x = gt.ones(2, 3)
    assert x.view(gt.tensor(6)).shape == (6,) and x.view(np.int64(3), 2).shape == (3, 2)
    assert x.view(gt.Size([3, 2])).shape == (3, 2) and x.reshape([-1]).shape == (6,)
    assert (x @ np.ones((3, 2))).dtype == gt.float64      # torch promotes a NumPy operand


@pytest.mark.parametrize("fn", [
    lambda L, x: x.fill_("a"), lambda L, x: x.masked_fill(x > 0, "a"),
    lambda L, x: L.full((2,), "a"), lambda L, x: x.clamp("a"), lambda L, x: x.clamp(max=[1])],
    ids=["fill_", "masked_fill", "full", "clamp-min", "clamp-max"])
def test_values_that_are_no_number(fn):
    """A str or list where a number belongs: torch's TypeError (NumPy's ValueError before)."""
    g_err, _ = check_raises(fn, [(3, 4)], lib=True, exc=TypeError)
    assert "must be Number, not" in str(g_err)


@pytest.mark.parametrize("fn", [
    lambda L, x: x.sum(1.5), lambda L, x: x.sum((0, 1.0)), lambda L, x: x.mean(1.0),
    lambda L, x: x.amax([0.0]), lambda L, x: x.select(0, 1.0)],
    ids=["sum", "sum-tuple", "mean", "amax", "select"])
def test_float_dims_and_indices(fn):
    g_err, _ = check_raises(fn, [(3, 4)], lib=True, exc=TypeError)
    assert "must be int" in str(g_err), str(g_err)


def test_numpy_ints_are_dims():
    x = np.arange(12.0).reshape(3, 4)
    for fn in (lambda L, t: t.sum(np.int64(1)), lambda L, t: t.amax([np.int64(0)]),
               lambda L, t: t.select(0, np.int64(2)), lambda L, t: t.squeeze(np.int64(0))):
        np.testing.assert_array_equal(fn(gt, gt.tensor(x)).numpy(), fn(torch, torch.tensor(x)))


@pytest.mark.parametrize("fn", [lambda L, x: x.split(1.0), lambda L, x: x.split([1.0, 2]),
                                lambda L, x: x.roll(1.0)], ids=["split", "split-sizes", "roll"])
def test_float_split_sizes_and_shifts(fn):
    check_raises(fn, [(3, 4)], lib=True, exc=TypeError)


def test_roll_takes_numpy_and_tensor_ints():
    x = np.arange(12.0).reshape(3, 4)
    for fn in (lambda L, t: t.roll(np.int64(1)), lambda L, t: t.roll(L.tensor(2))):
        np.testing.assert_array_equal(fn(gt, gt.tensor(x)).numpy(), fn(torch, torch.tensor(x)))
