"""Every registered op (glasstorch/_registry.py OPS) against torch for every dtype (pairs of
dtypes for ops of two tensors, the second also 0-d, and Python numbers where torch takes
them): the result dtype, or the exception type, and the values. The calls are the table in
tests/_dtype_op_specs.py; an op added to OPS without an entry there (or an EXEMPT reason)
fails test_every_registered_op_has_a_dtype_spec."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch._registry import OPS
from tests._dtype_op_specs import EXEMPT, SPECS

NAMES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = [True, 2, 2.5]
# values 1..3 (nonzero for division, small for powers, exact in every dtype), shape (2, 3)
_A = np.array([[1, 2, 3], [3, 1, 2]])
# a second operand of other values, so that a swapped or dropped operand shows
_B = np.array([[2, 1, 1], [1, 3, 2]])
_T = {(lib, n, which, zero): lib.tensor((_A, _B)[which][0, 0] if zero else (_A, _B)[which],
                                      dtype=getattr(lib, n))
      for lib in (torch, gt) for n in NAMES for which in (0, 1) for zero in (0, 1)}


def _tensor(lib, name, which, zero=False):
    return _T[lib, name, which, zero]


def _outcome(fn, *args):
    """(dtype name or exception type name, values as a float64 array or None)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fn(*args)
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__, None
    if isinstance(r, (tuple, list)):
        r = r[0]
    return str(r.dtype).split(".")[-1], r.detach().double().numpy()


# float64: the special functions (Bessel, polygamma) follow other approximations than
# torch's Cephes ones, to ~5e-10 relative; mixed float32/float64 losses round differently
_TOL = {"float16": 2e-3, "float32": 1e-5, "float64": 2e-9}


def _compare(label, fn, t_args, g_args, bad):
    want, wv = _outcome(fn, torch, *t_args)
    got, gv = _outcome(fn, gt, *g_args)
    if got != want:
        bad.append(f"{label}: {got}, torch {want}")
    elif wv is not None:
        tol = _TOL.get(want, 0.0)
        if gv.shape != wv.shape or not np.allclose(gv, wv, rtol=tol, atol=tol, equal_nan=True):
            bad.append(f"{label}: values differ ({want})")


def test_every_registered_op_has_a_dtype_spec():
    missing = sorted(set(OPS) - set(SPECS) - set(EXEMPT))
    assert not missing, f"registered ops with no dtype-promotion spec: {missing}"
    stale = sorted((set(SPECS) | set(EXEMPT)) - set(OPS))
    assert not stale, f"specs for ops that are not registered: {stale}"


# Known divergences, each an expected failure that must keep failing (strict): fixing one makes
# the test XPASS, which fails until its entry goes. Keys: op; values: what differs.
KNOWN = {}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(
    reason=KNOWN[n], strict=True)) if n in KNOWN else n for n in sorted(SPECS)])
def test_op_dtypes_and_values(name):
    kind, fn = SPECS[name]
    bad = []
    if kind == "u":
        for x in NAMES:
            _compare(f"{name}({x})", fn, [_tensor(torch, x, 0)], [_tensor(gt, x, 0)], bad)
    else:
        for x, y, zy in itertools.product(NAMES, NAMES, (0, 1)):
            if zy and name in _NEEDS_SHAPE:
                continue
            _compare(f"{name}({x}, {y}{'(0-d)' * zy})", fn,
                     [_tensor(torch, x, 0), _tensor(torch, y, 1, zy)],
                     [_tensor(gt, x, 0), _tensor(gt, y, 1, zy)], bad)
        if kind == "b":
            for x, s in itertools.product(NAMES, NUMBERS):
                _compare(f"{name}({x}, {s!r})", fn, [_tensor(torch, x, 0), s],
                         [_tensor(gt, x, 0), s], bad)
    assert not bad, f"{len(bad)} mismatches with torch, e.g.\n" + "\n".join(bad[:12])


# ops whose second tensor is indexed or reshaped by the spec: no 0-d form
_NEEDS_SHAPE = {"mm", "matmul", "dot", "mv", "bmm", "prelu", "masked_scatter", "index_put",
                "index_add", "index_copy", "scatter", "scatter_add", "scatter_reduce",
                "addmm", "baddbmm", "einsum", "linear", "bilinear", "convolution", "cat",
                "stack", "linalg_solve", "copy_", "linalg_ldl_solve", "linalg_solve_triangular",
                "lstm_layer", "gru_layer", "rnn_layer"}
