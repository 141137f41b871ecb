"""Differential fuzzer: every registered op (OPS) and the public nn.functional surface, run
on random inputs (shapes incl. empty and 0-d, dtypes, broadcasting, non-contiguous layouts,
out-of-range dims and indices, NaN/inf) in glasstorch and in torch; engine.py classifies each
case. Seeded (a fixed hypothesis seed per op): the same cases every run. `--fuzz-long` runs 20x more.

The tally by outcome is printed at the end of the run. A case outcome in engine.BAD fails the
test unless the op is listed in KNOWN with the reason (each is a divergence still to fix)."""
import zlib

import pytest
from hypothesis import HealthCheck, given, seed, settings, strategies as st

import fuzz_engine as engine
import fuzz_specs_nn  # noqa: F401 - registers the nn drawers
import fuzz_specs_late  # noqa: F401 - and those of later ops
from glasstorch._registry import OPS
from fuzz_specs import SPECS, VIA

# op -> outcomes still produced; each group says why. To be emptied.
_OPEN_OPS = {  # elementwise, indexing, reductions, attention
}
_EMPTY = {  # zero-size inputs or kernels: torch's checks in another order or missing here
}
_EMPTY.update({
    # torch 2.13 returns uninitialized memory for an empty batch (mean and, for
    # multi_margin, sum): six calls on zeros(0, 3) gave six values from -1.7e29 to 8.2e21
    # and 1e-38; glasstorch gives nan (mean) and 0 (sum) like cross_entropy. Not to fix here
    "F.multi_margin_loss": "wrong_value", "F.multilabel_margin_loss": "wrong_value",
})
_INT_INPUTS = {  # integer/bool inputs: torch raises NotImplementedError, or in another order
}
_LINALG = {  # the torch.linalg decompositions (new; their author's list)
}
_NONFINITE = {  # inf/NaN propagate differently (torch's fused kernels multiply 0 * inf)
    "upsample_linear1d": "wrong_value",  # the same in trilinear (5-D), drawn since fuzzB
}
# found only by --fuzz-long (400 examples per op), still open: LAPACK's handling of NaN/inf
# and singular inputs, float32 underflow in a gradient formula
_LONG = {
    # open: a 1x1 -inf image upsampled to 5x5 (align_corners=False): torch -inf at [2, 2..4]
    # and [3..4, 2], nan here (a lambda of exactly 0 vs a tiny one at src = 0.2 * 2.5 - 0.5)
    "upsample_bilinear2d": "wrong_value",
    # torch bug, not followed: with a uint8 `input`, its backward for `other` negates input
    # in uint8 (-3 -> 253): atan2(tensor([3], dtype=uint8), b) gives b.grad 253 / (9 + b^2)
    # (evidence: the ratio to glasstorch's -3 / (9 + b^2) is exactly -253/3 in every case).
    "atan2": "wrong_grad",
    # MKL's gesdd gives up ("ill-conditioned or has too many repeated singular values", info > 0)
    # on a finite float64 matrix mixing 1e30 and O(1) entries; NumPy's OpenBLAS converges
    # and open: the backward of svd at a zero (or 1e30, float32) singular value of a 1x1
    # A, through S and U diag(S) Vh (-0.73 here vs torch -0.19 for A = [[-0.]])
    "linalg_svd": ("silent_accept", "wrong_grad"),
    # open: float32 A holding 1e30 and 1e-30 (A^-1 ~ 1e30): torch's backward solves with the
    # LU, this one forms -Y^T g Y^T; products near 1e38 round/overflow differently (1e21 vs 0.3)
    "linalg_inv": "wrong_grad",
    # open (nd3): float32 inputs holding ±inf/NaN: one output inf in torch, nan here (torch's
    # slow_conv3d adds the window's products in another order; 0 * inf or inf - inf differ)
    "F.conv3d": "wrong_value", "F.conv_transpose3d": "wrong_value",
}
_OTHER = {
    # float32 1e30 * 1e30 overflows to inf, next to an -inf term: oneDNN's fused multiply-add
    # adds the exact product to -inf (-inf), a separate multiply gives inf + -inf (nan)
    "F.conv_transpose1d": "wrong_value",
    # --fuzz-long only (fuzzB's subset, 400 examples): linear/bilinear/trilinear interpolation
    # with ±inf/NaN neighbours (0 * inf taps; the _NONFINITE upsample entry's cause), and a
    # float32 triplet distance of 1e30 (torch's norm 1e30, the square here overflows: inf)
    **{op: "wrong_value" for op in (
        "_upsample_nearest_exact1d", "interpolate", "upsample_bilinear2d", "upsample_nearest1d",
        "upsample_nearest2d", "upsample_nearest3d", "F.triplet_margin_loss")},
}
KNOWN = {}
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN/inf inputs on purpose
for _group in (_OPEN_OPS, _EMPTY, _INT_INPUTS, _LINALG, _NONFINITE, _LONG, _OTHER):
    for _op, _outcomes in _group.items():
        KNOWN.setdefault(_op, set()).update(
            (_outcomes,) if isinstance(_outcomes, str) else _outcomes)


def test_every_registered_op_is_fuzzed():
    missing = sorted(n for n in OPS if n not in SPECS and n not in VIA)
    assert not missing, f"registered ops the fuzzer never draws: {missing}"


def test_every_public_functional_is_fuzzed():
    """Each public nn.functional function is drawn (under its own or its op's name) or listed
    in F_NOT_DRAWN with the reason."""
    import inspect

    import glasstorch.nn.functional as F
    public = {n for n in dir(F) if not n.startswith("_") and inspect.isfunction(getattr(F, n))}
    drawn = {n[2:] if n.startswith("F.") else n for n in SPECS}
    drawn |= {"conv1d", "conv2d", "pad", "logsigmoid", "one_hot", "max_pool2d", "softmax",
              "log_softmax", "normalize", "interpolate", "dropout", "embedding_bag",
              "l1_loss", "kl_div", "soft_margin_loss", "poisson_nll_loss", "sigmoid", "tanh"}
    missing = sorted(public - drawn - set(fuzz_specs_nn.F_NOT_DRAWN))
    assert not missing, f"nn.functional functions the fuzzer never draws: {missing}"


@pytest.mark.parametrize("op", sorted(SPECS))
def test_differential(op, fuzz_examples):
    bad = []

    @seed(zlib.crc32(op.encode()))
    @settings(max_examples=fuzz_examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(st.data())
    def run(data):
        fn, args, kwargs = SPECS[op](data, op)
        outcome = engine.compare(op, fn, args, kwargs)
        if outcome in engine.BAD and outcome not in KNOWN.get(op, ()):
            bad.append(outcome)
    run()
    problems = {o: engine.FIRST[(op, o)] for o in set(bad)}
    assert not problems, "\n".join(f"{o}: {d}" for o, d in problems.items())
