"""tensor_split / hsplit / vsplit / dsplit as torch binds them: the `sections`, `indices` and
`tensor_indices_or_sections` overloads by position or keyword, slice semantics of indices,
and torch's errors; values and gradients against torch."""
import pytest

from tests.helpers import check_op, check_raises

SPLITS = [
    lambda m, x: m.tensor_split(x, 3),
    lambda m, x: m.tensor_split(x, 4, 1),
    lambda m, x: m.tensor_split(x, sections=3, dim=-1),
    lambda m, x: m.tensor_split(x, [1, 3]),
    lambda m, x: m.tensor_split(x, indices=[3, 1]),                # decreasing: an empty part
    lambda m, x: m.tensor_split(x, indices=(-1,), dim=1),          # negative: wraps
    lambda m, x: m.tensor_split(x, [0, 9]),                        # clamped to the size
    lambda m, x: m.tensor_split(x, m.tensor(3)),
    lambda m, x: m.tensor_split(x, tensor_indices_or_sections=m.tensor([1, 4]), dim=1),
    lambda m, x: x.tensor_split(indices=[2], dim=1),
    lambda m, x: x.tensor_split(7),
    lambda m, x: m.hsplit(x, 3),
    lambda m, x: m.hsplit(x, indices=[1, 4]),
    lambda m, x: x.hsplit(sections=2),
    lambda m, x: m.hsplit(x[0], 2),                                # 1-d: dim 0
    lambda m, x: m.vsplit(x, sections=2),
    lambda m, x: x.vsplit([1]),
    lambda m, x: m.dsplit(x.reshape(2, 2, 6), 3),
    lambda m, x: x.reshape(2, 2, 6).dsplit(indices=[1, 5]),
]


@pytest.mark.parametrize("fn", SPLITS)
def test_split_overloads(fn):
    check_op(fn, [(4, 6)], lib=True)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.tensor_split(x, 0),
    lambda m, x: m.tensor_split(x, -2),
    lambda m, x: m.tensor_split(x, sections=[1]),
    lambda m, x: m.tensor_split(x, indices=1),
    lambda m, x: m.tensor_split(x, tensor_indices_or_sections=2),
    lambda m, x: m.tensor_split(x, m.tensor([1.0, 2.0])),
    lambda m, x: m.tensor_split(x, m.tensor([[1]])),
    lambda m, x: m.tensor_split(x, 2, 2),
    lambda m, x: m.tensor_split(x.sum(), 2),
    lambda m, x: m.hsplit(x, 4),
    lambda m, x: m.hsplit(x, 0),
    lambda m, x: m.hsplit(x.sum(), 1),
    lambda m, x: m.hsplit(x, m.tensor([1])),
    lambda m, x: m.vsplit(x[0], 2),
    lambda m, x: m.vsplit(x, 3),
    lambda m, x: m.dsplit(x, 2),
    lambda m, x: x.hsplit(sections=[2]),
])
def test_split_errors(fn):
    check_raises(fn, [(4, 6)], lib=True)
