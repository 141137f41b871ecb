"""Drawers of the ops registered after the fuzzer's first two spec files filled up (same
helpers; imported by test_differential.py)."""
import numpy as np
from hypothesis import strategies as st

from fuzz_engine import FLOATS, Arg, shapes, tensor
from fuzz_specs import spec
from fuzz_specs_nn import _index


# ---- ops added later (fuzzB drew them on arrival) -------------------------------------------
@spec("cross_map_lrn2d")
def _cross_map_lrn(data, op=None):
    x = tensor(data, data.draw(shapes(3, 5, 0, 4)), FLOATS)
    size = data.draw(st.integers(1, 4))
    return (lambda lib, x: lib.nn.CrossMapLRN2d(size)(x)), [x], {}


@spec("F.linear_cross_entropy")
def _linear_ce(data, op=None):
    n, d, c = (data.draw(st.integers(0, 4)) for _ in range(3))
    x, w = tensor(data, (n, d), FLOATS), tensor(data, (c, d), FLOATS)
    y = _index(data, c, (n,), oob=data.draw(st.integers(0, 4)) == 0)
    red = data.draw(st.sampled_from(["mean", "sum", "none"]))
    return (lambda lib, x, w, y: lib.nn.functional.linear_cross_entropy(x, w, y, reduction=red)), \
        [x, w, y], {}


@spec("ctc_loss")
def _ctc(data, op=None):
    T, N, C, S = (data.draw(st.integers(1, 4)) for _ in range(4))
    x = tensor(data, (T, N, C), FLOATS, special=data.draw(st.booleans()))
    y = Arg(np.random.default_rng(data.draw(st.integers(0, 99))).integers(
        1 if C > 1 else 0, C, (N, S)).astype("int64"), grad=False)
    il = Arg(np.array([data.draw(st.integers(0, T)) for _ in range(N)], "int64"), grad=False)
    tl = Arg(np.array([data.draw(st.integers(0, S)) for _ in range(N)], "int64"), grad=False)
    red = data.draw(st.sampled_from(["mean", "sum", "none"]))
    zi = data.draw(st.booleans())
    return (lambda lib, x, y, il, tl: lib.nn.functional.ctc_loss(
        x.log_softmax(-1), y, il, tl, reduction=red, zero_infinity=zi)), [x, y, il, tl], {}
