"""The few ops the core was built with, through the shared helper (more in the family files)."""
import pytest

from helpers import check_op


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 1), (1, 4)], [(2, 3, 4), (4,)],
                                    [(0, 3), (3,)]])
def test_mul_broadcast(shapes):
    check_op(lambda x, y: x * y, shapes)


def test_chain_transposed():
    check_op(lambda x, w: (x @ w).tanh().exp(), [(3, 4), (4, 2)], layout="T")


def test_double_backward_tanh():
    check_op(lambda x: x.tanh() * x, [(5,)], double=True)
