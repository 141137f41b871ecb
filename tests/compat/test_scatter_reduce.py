"""scatter_reduce / index_reduce (ops/scatter_reduce.py) vs torch: every reduction with and
without include_self, repeated indices, ties for amax/amin, zeros for prod, integer dtypes,
the in-place forms, gradients of input and src, and the errors."""
import numpy as np
import pytest

from tests.helpers import check_op, check_raises

REDUCES = ["sum", "prod", "mean", "amax", "amin"]
IDX = np.array([[0, 2, 0, 1], [1, 1, 3, 3], [2, 0, 2, 0]])


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    check_op(lambda m, x, s: m.scatter_reduce(x, 1, m.tensor(IDX), s, reduce,
                                              include_self=include_self), [(3, 5), (3, 4)],
             lib=True)
    check_op(lambda m, x, s: x.scatter_reduce(0, m.tensor(IDX[:2, :3]), s, reduce,
                                              include_self=include_self), [(4, 3), (2, 3)],
             lib=True)


@pytest.mark.parametrize("reduce", ["prod", "amax", "amin", "mean"])
def test_ties_and_zeros(reduce):
    x = np.array([[1.0, 0.0, 2.0], [3.0, 3.0, -1.0]])
    s = np.array([[1.0, 0.0, 2.0, 2.0], [3.0, 0.0, 3.0, -1.0]])
    idx = np.array([[0, 1, 2, 2], [0, 1, 0, 2]])
    for include_self in (True, False):
        check_op(lambda m, x, s: m.scatter_reduce(x, 1, m.tensor(idx), s, reduce,
                                                  include_self=include_self), [x, s], lib=True)


@pytest.mark.parametrize("reduce", REDUCES)
def test_integer_and_inplace(reduce):
    check_op(lambda m, x, s: m.scatter_reduce((x * 3).long(), 1, m.tensor(IDX), (s * 3).long(),
                                              reduce), [(3, 5), (3, 4)], lib=True)
    check_op(lambda m, x, s: (x * 1).scatter_reduce_(1, m.tensor(IDX), s, reduce,
                                                     include_self=False), [(3, 5), (3, 4)],
             lib=True)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    check_op(lambda m, x, s: m.index_reduce(x, 0, m.tensor([0, 2, 0]), s, reduce,
                                            include_self=include_self), [(3, 4), (3, 4)],
             lib=True)
    check_op(lambda m, x, s: x.index_reduce(1, m.tensor([1, 1]), s, reduce,
                                            include_self=include_self), [(2, 3), (2, 2)],
             lib=True)
    check_op(lambda m, x, s: (x * 1).index_reduce_(-1, m.tensor([2]), s, reduce),
             [(2, 3), (2, 1)], lib=True)


ERRORS = {
    "bad_reduce": lambda m, x: m.scatter_reduce(x, 0, m.tensor([0]), x, "median"),
    "index_dtype": lambda m, x: m.scatter_reduce(x, 0, m.tensor([0.0]), x, "sum"),
    "src_dtype": lambda m, x: m.scatter_reduce(x, 0, m.tensor([0]), x.float(), "sum"),
    "out_of_bounds": lambda m, x: m.scatter_reduce(x, 0, m.tensor([9]), x, "sum"),
    "index_reduce_sum": lambda m, x: m.index_reduce(x, 0, m.tensor([0]), x[:1], "sum"),
    "index_reduce_count": lambda m, x: m.index_reduce(x, 0, m.tensor([0, 1]), x[:1], "prod"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    check_raises(ERRORS[name], [(4,)], lib=True)


SEG = {
    "lengths": lambda m, x, r, init: m.segment_reduce(x, r, lengths=m.tensor([2, 0, 3]),
                                                      initial=init),
    "offsets_2d": lambda m, x, r, init: m.segment_reduce(x.reshape(5, 1).repeat(1, 2) * 1.5,
                                                         r, offsets=m.tensor([0, 1, 1, 5]),
                                                         initial=init),
}


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "prod"])
@pytest.mark.parametrize("initial", [None, 0.5])
@pytest.mark.parametrize("form", list(SEG))
def test_segment_reduce(reduce, initial, form):
    check_op(lambda m, x: SEG[form](m, x, reduce, initial), [(5,)], lib=True)


def test_segment_reduce_errors_and_thread_generator():
    import glasstorch as gt
    check_raises(lambda m, x: m.segment_reduce(x, "sum", lengths=m.tensor([2, 2])), [(5,)],
                 lib=True)
    check_raises(lambda m, x: m.segment_reduce(x, "sum"), [(5,)], lib=True)
    assert gt.thread_safe_generator() is None
