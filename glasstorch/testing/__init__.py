"""torch.testing: assert_close (what tests compare tensors with), make_tensor.

assert_close(actual, expected) checks, recursively through sequences and mappings: same type,
shape, dtype (check_dtype), then |actual - expected| <= atol + rtol * |expected| with torch's
default tolerances per dtype (float16 1e-3/1e-5, float32 1.3e-6/1e-5, float64 1e-7/1e-7,
integers and bool exact). A failure raises AssertionError saying how many elements differ and
the greatest absolute and relative difference, as torch's message does.
"""
import math

from .. import _dtype
from ..backend import xp as _xp
from ..tensor import Tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

_DEFAULT_TOL = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _tolerances(dt, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but "
                         f"got no {'rtol' if rtol is None else 'atol'}.")
    if rtol is not None:
        return rtol, atol
    return _DEFAULT_TOL.get(dt.name, (0.0, 0.0))


def _compare_tensors(a, e, rtol, atol, equal_nan, check_dtype, msg, where):
    if tuple(a.shape) != tuple(e.shape):
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: "
                                    f"{a.shape} != {e.shape}.{where}")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                                    f"{a.dtype} != {e.dtype}.{where}")
    dt = _dtype.promote_types(a.dtype, e.dtype)
    rtol, atol = _tolerances(dt, rtol, atol)
    x = a.detach().numpy().astype(_xp.float64)
    y = e.detach().numpy().astype(_xp.float64)
    ok = _xp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if ok.all():
        return
    bad = int((~ok).sum())
    with _xp.errstate(invalid="ignore", divide="ignore"):
        diff = _xp.abs(x - y)
        rel = diff / _xp.abs(y)
    kind = "Tensor-likes" if x.dtype.kind == "f" and dt.is_floating_point else "Tensor-likes"
    raise AssertionError(msg or (
        f"{kind} are not close!\n\nMismatched elements: {bad} / {x.size} "
        f"({100.0 * bad / max(x.size, 1):.1f}%)\n"
        f"Greatest absolute difference: {_xp.nanmax(_xp.where(ok, 0, diff))} (up to {atol} "
        f"allowed)\nGreatest relative difference: "
        f"{_xp.nanmax(_xp.where(ok, 0, rel))} (up to {rtol} allowed){where}"))


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None, _where=""):
    if isinstance(expected, (list, tuple)) and not isinstance(expected, str):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            raise AssertionError(msg or f"The length of the sequences mismatch: "
                                        f"{len(actual) if hasattr(actual, '__len__') else '?'} "
                                        f"!= {len(expected)}{_where}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg, _where=f"{_where} item [{i}]")
        return
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            raise AssertionError(msg or f"The keys of the mappings do not match{_where}")
        for k in expected:
            assert_close(actual[k], expected[k], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg, _where=f"{_where} item [{k!r}]")
        return
    if isinstance(expected, Tensor) or isinstance(actual, Tensor):
        if not (isinstance(expected, Tensor) and isinstance(actual, Tensor)):
            raise TypeError(f"No comparison pair was able to handle inputs of type "
                            f"{type(actual)} and {type(expected)}.")
        _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype, msg,
                         f"\n{_where.strip()}" if _where else "")
        return
    if isinstance(expected, (bool, int, float)) and isinstance(actual, (bool, int, float)):
        if check_dtype and type(actual) is not type(expected):
            raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                                        f"{type(actual)} != {type(expected)}.")
        from ..creation import tensor
        dt = _dtype.float64 if isinstance(expected, float) else _dtype.int64
        _compare_tensors(tensor(actual, dtype=dt), tensor(expected, dtype=dt), rtol, atol,
                         equal_nan, False, msg, _where)
        return
    if actual != expected:
        raise AssertionError(msg or f"{actual!r} != {expected!r}{_where}")


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated in torch (use assert_close); compares values only, casting both."""
    from ..creation import as_tensor
    a = actual if isinstance(actual, Tensor) else as_tensor(actual)
    e = expected if isinstance(expected, Tensor) else as_tensor(expected)
    if rtol is None and atol is None:
        rtol, atol = _tolerances(_dtype.promote_types(a.dtype, e.dtype), None, None)
    assert_close(a, e.to(a.dtype), rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_dtype=False, msg=msg or None)


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A random tensor: floats uniform on [low, high) (default [-9, 9)), integers on
    [low, high) (default [-9, 10); uint8 from 0), bool uniform."""
    from .. import random as _random
    from ..creation import _size
    size = _size(shape)
    if dtype is _dtype.bool:
        t = _random.randint(0, 2, size).to(_dtype.bool)
    elif dtype.is_floating_point:
        lo = -9.0 if low is None else low
        hi = 9.0 if high is None else high
        t = (_random.rand(*size, dtype=_dtype.float64) * (hi - lo) + lo).to(dtype)
        if exclude_zero:
            t = t.masked_fill(t == 0, _xp.finfo(dtype.np).tiny)
    else:
        lo = (0 if dtype is _dtype.uint8 else -9) if low is None else math.ceil(low)
        hi = 10 if high is None else math.ceil(high)
        t = _random.randint(lo, hi, size, dtype=dtype)
        if exclude_zero:
            t = t.masked_fill(t == 0, 1)
    if requires_grad:
        t.requires_grad_(True)
    return t
