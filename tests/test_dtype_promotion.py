"""PyTorch's type promotion, checked exhaustively against torch: `promote_types`, `result_type`,
and the result dtype (or the exception type) of the binary ops for every pair of dtypes, with
dimensioned and 0-d tensors, Python numbers and NumPy scalars as the other operand."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
# the operand kinds torch's dispatcher tells apart: dimensioned tensors, 0-d tensors
DIMS = [(False, False), (False, True), (True, False), (True, True)]
SCALARS = [True, False, 2, -1, 300, 2.5, np.float64(2.0), np.float32(0.5), np.float16(2),
           np.int64(2), np.int32(-3), np.uint8(7), np.bool_(True)]


def _tensor(lib, name, zero):
    # values 1..3: nonzero (integer division), small (integer powers), exact in every dtype
    a = np.arange(1, 4, dtype=np.int64)
    return lib.tensor(a[0] if zero else a, dtype=getattr(lib, name))


_T = {(lib, n, z): _tensor(lib, n, z) for lib in (torch, gt) for n in NAMES for z in (0, 1)}


def _outcome(fn, a, b):
    """The result dtype name, or the exception type name."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fn(a, b)
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__
    return str(r.dtype).split(".")[-1] if hasattr(r, "dtype") else repr(r)


def _mismatches(fn, scalars=SCALARS, dims=DIMS):
    bad = []
    for x, y in itertools.product(NAMES, NAMES):
        for zx, zy in dims:
            want = _outcome(fn, _T[torch, x, zx], _T[torch, y, zy])
            got = _outcome(fn, _T[gt, x, zx], _T[gt, y, zy])
            if got != want:
                bad.append(f"{x}{'(0-d)' * zx} op {y}{'(0-d)' * zy}: {got}, torch {want}")
    for x, s in itertools.product(NAMES, scalars):
        for zx in (0, 1):
            want = _outcome(fn, _T[torch, x, zx], s)
            got = _outcome(fn, _T[gt, x, zx], s)
            if got != want:
                bad.append(f"{x}{'(0-d)' * zx} op {type(s).__name__}({s}): {got}, torch {want}")
    return bad


def test_promote_types_all_pairs():
    for x, y in itertools.product(NAMES, NAMES):
        want = torch.promote_types(getattr(torch, x), getattr(torch, y))
        assert gt.promote_types(getattr(gt, x), getattr(gt, y)).name == str(want)[6:], (x, y)


@pytest.mark.parametrize("other", [True, 3, 2.5, np.int64(3), np.float64(2.0), np.bool_(True)])
def test_result_type_with_number(other):
    for x in NAMES:
        for zero in (0, 1):
            want = torch.result_type(_T[torch, x, zero], other)
            assert str(gt.result_type(_T[gt, x, zero], other)) == str(want), (x, zero, other)


def test_result_type_tensors_and_numbers():
    for x, y in itertools.product(NAMES, NAMES):
        for zx, zy in DIMS:
            want = torch.result_type(_T[torch, x, zx], _T[torch, y, zy])
            assert str(gt.result_type(_T[gt, x, zx], _T[gt, y, zy])) == str(want), (x, y, zx, zy)
    for a, b in itertools.product([True, 2, 2.5], [True, 2, 2.5]):
        assert str(gt.result_type(a, b)) == str(torch.result_type(a, b)), (a, b)


def test_can_cast_all_pairs():
    for x, y in itertools.product(NAMES, NAMES):
        want = torch.can_cast(getattr(torch, x), getattr(torch, y))
        assert gt.can_cast(getattr(gt, x), getattr(gt, y)) == want, (x, y)


OPS = {  # every binary op family whose promotion differs somewhere
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "ge": lambda a, b: a >= b,
    "floor_divide": lambda a, b: a // b,
    "remainder": lambda a, b: a % b,
    "fmod": lambda a, b: a.fmod(b),
    "div_trunc": lambda a, b: a.div(b, rounding_mode="trunc"),
    "pow": lambda a, b: a ** b,
    "add_alpha": lambda a, b: a.add(b, alpha=2),
    "bitwise_and": lambda a, b: a & b,
    "left_shift": lambda a, b: a << b,
}
REFLECTED = {  # number op tensor (the tensor is `a`)
    "radd": lambda a, b: b + a,
    "rsub": lambda a, b: b - a,
    "rmul": lambda a, b: b * a,
    "rdiv": lambda a, b: b / a,
    "rpow": lambda a, b: b ** a,
    "rfloordiv": lambda a, b: b // a,
    "rmod": lambda a, b: b % a,
}
TENSOR_ONLY = {  # functions whose `other` must be a tensor
    "maximum": lambda a, b: a.maximum(b),
    "atan2": lambda a, b: a.atan2(b),
    "logical_xor": lambda a, b: a.logical_xor(b),
    "lerp": lambda a, b: (torch if isinstance(a, torch.Tensor) else gt).lerp(a, a, b),
    "addcmul": lambda a, b: (torch if isinstance(a, torch.Tensor) else gt).addcmul(a, b, b),
    "isclose": lambda a, b: (torch if isinstance(a, torch.Tensor) else gt).isclose(a, b),
    "igamma": lambda a, b: a.igamma(b),
    "ldexp": lambda a, b: a.ldexp(b),
    "nextafter": lambda a, b: a.nextafter(b),
    "igammac": lambda a, b: (torch if isinstance(a, torch.Tensor) else gt).igammac(a, b),
}
INPLACE = {
    "add_": lambda a, b: a.clone().add_(b),
    "sub_": lambda a, b: a.clone().sub_(b),
    "mul_": lambda a, b: a.clone().mul_(b),
    "div_": lambda a, b: a.clone().div_(b),
    "pow_": lambda a, b: a.clone().pow_(b),
    "ifloordiv": lambda a, b: a.clone().__ifloordiv__(b),
}


@pytest.mark.parametrize("name", list(OPS))
def test_op_promotion_matrix(name):
    bad = _mismatches(OPS[name])
    assert not bad, f"{len(bad)} mismatches, e.g.\n" + "\n".join(bad[:10])


@pytest.mark.parametrize("name", list(REFLECTED))
def test_reflected_op_promotion(name):
    bad = _mismatches(REFLECTED[name])
    assert not bad, f"{len(bad)} mismatches, e.g.\n" + "\n".join(bad[:10])


@pytest.mark.parametrize("name", list(TENSOR_ONLY))
def test_tensor_only_op_promotion(name):
    bad = _mismatches(TENSOR_ONLY[name], scalars=[2, 2.5])
    assert not bad, f"{len(bad)} mismatches, e.g.\n" + "\n".join(bad[:10])


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_op_casting(name):
    # in-place results must cast back to self's dtype (Float can't go into Long, etc.)
    # (a 0-d self with a dimensioned other is left out: the broadcast result can't be written
    # back; torch checks that shape first, glasstorch after the op, so their errors differ)
    bad = _mismatches(INPLACE[name], scalars=[True, 2, 2.5, np.float64(2.0)],
                      dims=[(False, False), (False, True), (True, True)])
    assert not bad, f"{len(bad)} mismatches, e.g.\n" + "\n".join(bad[:10])


@pytest.mark.parametrize("arr", [np.array([1, 2, 3], dtype=np.int8), np.array(2.0),
                                 np.array([0.5, 1.0, 2.0], dtype=np.float32)])
@pytest.mark.parametrize("name", ["add", "mul", "eq"])
def test_numpy_array_operand(name, arr):
    # torch hands `tensor op ndarray` to NumPy, so NumPy's promotion decides
    fn = OPS[name]
    for x in NAMES:
        want = _outcome(fn, _T[torch, x, 0], arr)
        assert _outcome(fn, _T[gt, x, 0], arr) == want, x


def test_default_dtype_changes_float_results():
    gt.set_default_dtype(gt.float64)
    try:
        assert (gt.tensor([1, 2]) * 1.5).dtype is gt.float64
        assert (gt.tensor([1, 2]) / 2).dtype is gt.float64
        assert (gt.tensor([1.0], dtype=gt.float32) * 1.5).dtype is gt.float32
    finally:
        gt.set_default_dtype(gt.float32)
