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


# ---- the 3-D forms (nd3): the N-d conv and pool ops with 3-D geometry and torch's 3-D checks
@spec("F.conv3d", "F.conv_transpose3d")
def _conv3d(data, op=None):
    n, c, L, o = (data.draw(st.integers(0, 3)) for _ in range(4))
    k = data.draw(st.integers(1, 3))
    x = tensor(data, (n, c) + (L + 1,) * 3, FLOATS)
    st_, pad, dil = (data.draw(st.integers(1, 2)) for _ in range(3))
    if op == "F.conv3d":
        w = tensor(data, (o, max(c, 1), k, k, k), FLOATS)
        return (lambda lib, x, w: lib.nn.functional.conv3d(x, w, None, st_, pad - 1, dil)), \
            [x, w], {}
    w = tensor(data, (max(c, 1), o, k, k, k), FLOATS)
    return (lambda lib, x, w: lib.nn.functional.conv_transpose3d(x, w, None, st_, pad - 1, 0,
                                                                 1, dil)), [x, w], {}


@spec("F.max_pool3d", "F.avg_pool3d", "F.lp_pool3d", "F.adaptive_avg_pool3d",
      "F.adaptive_max_pool3d")
def _pool3d(data, op=None):
    x = tensor(data, data.draw(shapes(4, 5, 0, 4)), FLOATS)
    F = op[2:]
    if F.startswith("adaptive"):
        out = tuple(data.draw(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=3,
                                       max_size=3)))
        return (lambda lib, x: getattr(lib.nn.functional, F)(x, out)), [x], {}
    k, s, p = (data.draw(st.integers(0, 3)) for _ in range(3))
    cm = data.draw(st.booleans())
    if F == "max_pool3d":
        return (lambda lib, x: lib.nn.functional.max_pool3d(x, k, s or None, p,
                                                            ceil_mode=cm)), [x], {}
    if F == "lp_pool3d":
        return (lambda lib, x: lib.nn.functional.lp_pool3d(x, 2.0, k, s or None, cm)), [x], {}
    inc = data.draw(st.booleans())
    return (lambda lib, x: lib.nn.functional.avg_pool3d(x, k, s or None, p, ceil_mode=cm,
                                                        count_include_pad=inc)), [x], {}


@spec("F.fractional_max_pool2d")
def _fractional_max_pool2d(data, op=None):
    n, c, h, w = (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)),
                  data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6)))
    k = data.draw(st.integers(1, 3))
    out = (data.draw(st.integers(0, h)), data.draw(st.integers(0, w)))
    x = tensor(data, (n, c, h, w), FLOATS)
    u = Arg(np.random.default_rng(data.draw(st.integers(0, 99))).random((n, c, 2)).astype(
        x.array.dtype), grad=False)
    return (lambda lib, x, u: lib.nn.functional.fractional_max_pool2d(
        x, k, out, return_indices=True, _random_samples=u)), [x, u], {}


@spec("F.fractional_max_pool3d")
def _fractional_max_pool3d(data, op=None):
    n, c = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
    spatial = tuple(data.draw(st.integers(1, 5)) for _ in range(3))
    k = data.draw(st.integers(1, 2))
    out = tuple(data.draw(st.integers(0, s)) for s in spatial)
    x = tensor(data, (n, c) + spatial, FLOATS)
    u = Arg(np.random.default_rng(data.draw(st.integers(0, 99))).random((n, c, 3)).astype(
        x.array.dtype), grad=False)
    return (lambda lib, x, u: lib.nn.functional.fractional_max_pool3d(
        x, k, out, return_indices=True, _random_samples=u)), [x, u], {}
