"""Fuzzer drawers for ctc_loss, linear_cross_entropy and cross_map_lrn2d (ops/ctc.py,
ops/linear_ce.py, ops/cross_map_lrn.py): random shapes incl. empty batches, lengths, blanks,
reductions; log_probs are any floats (the loss does not require normalized rows)."""
import numpy as np
from hypothesis import strategies as st

from fuzz_engine import FLOATS, Arg, tensor
from fuzz_specs import spec


def _ints(data, lo, hi, shape):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    return rng.integers(lo, hi + 1, shape).astype("int64")


@spec("ctc_loss", "F.ctc_loss")
def _ctc(data, op=None):
    t, n, c = (data.draw(st.integers(0, 6)), data.draw(st.integers(0, 3)),
               data.draw(st.integers(1, 4)))
    s = data.draw(st.integers(0, 4))
    blank = data.draw(st.integers(0, c - 1))
    red = data.draw(st.sampled_from(["mean", "sum", "none"]))
    zero_inf = data.draw(st.booleans())
    x = tensor(data, (t, n, c), FLOATS, special=data.draw(st.booleans()))
    il, tl = _ints(data, 0, t, (n,)), _ints(data, 0, s, (n,))
    targets = _ints(data, 0, c - 1, (n, s))
    targets[targets == blank] = (blank + 1) % c if c > 1 else blank
    concat = data.draw(st.booleans())
    tg = np.concatenate([targets[i, :tl[i]] for i in range(n)] + [np.zeros(0, "int64")]) \
        if concat else targets

    def f(lib, x, tg, il, tl):
        return lib.nn.functional.ctc_loss(x, tg, il, tl, blank=blank, reduction=red,
                                          zero_infinity=zero_inf)
    return f, [x, Arg(tg, grad=False), Arg(il, grad=False), Arg(tl, grad=False)], {}


@spec("F.linear_cross_entropy")
def _linear_ce(data, op=None):
    n, f_in, c = (data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3)),
                  data.draw(st.integers(1, 4)))
    red = data.draw(st.sampled_from(["mean", "sum", "none"]))
    x, w = tensor(data, (n, f_in), FLOATS), tensor(data, (c, f_in), FLOATS)
    y = Arg(_ints(data, 0, c - 1, (n,)), grad=False)
    return (lambda lib, x, w, y: lib.nn.functional.linear_cross_entropy(
        x, w, y, reduction=red)), [x, w, y], {}


@spec("cross_map_lrn2d")
def _cross_map_lrn(data, op=None):
    size = data.draw(st.integers(2, 5))
    shape = tuple(data.draw(st.integers(0, 3)) for _ in range(4))
    x = tensor(data, shape, FLOATS, special=data.draw(st.booleans()))
    return (lambda lib, x: lib.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.0)(x)), [x], {}
