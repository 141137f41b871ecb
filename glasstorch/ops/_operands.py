"""Operands of the elementwise ops of two (or three) tensors (arith.py, binary_math.py,
compare.py): Python numbers, arrays and tensors, lifted and promoted.

Operands broadcast (NumPy's rules, which are PyTorch's); gradients come back in the
broadcast shape and the engine sums them to each input's shape (engine.sum_to), so the
backward formulas of those ops are written as if no broadcasting happened.

Type promotion is PyTorch's (`_dtype.result_type`), done once in `_promote` before the
kernel: `int_tensor * 1.5` is float32, `float16 + 1.0` stays float16. A Python number stays
a Python number when the tensor's dtype wins, because NumPy 2 treats Python scalars as
"weak" (NEP 50) exactly as torch treats wrapped numbers. Read arith.py next.
"""
from .. import _dtype
from ..autograd.grad_mode import STATE
from ..backend import xp as _xp, ndarray as _ndarray
from ..tensor import Tensor, _caller_op, _make
from ._inplace import _type_word, _write
from ._util import to_dtype

__all__ = ["result_type", "promote_types", "can_cast"]


result_type = _dtype.result_type
promote_types = _dtype.promote_types
can_cast = _dtype.can_cast

_INT_RANGE = {_xp.dtype(t): (int(_xp.iinfo(t).min), int(_xp.iinfo(t).max))
              for t in (_xp.uint8, _xp.int8, _xp.int16, _xp.int32, _xp.int64)}
_C_TYPE = {"int32": "int", "float32": "float", "float64": "double", "float16": "c10::Half"}


def check_scalar_fits(v, dt):
    """torch's check when a Python number becomes a scalar of dtype `dt` (threshold, fill
    values): floats must lie in the type's range; integers may also wrap into an unsigned type
    (-255..255 for uint8); inf/nan convert to float types only."""
    lo = hi = None
    if dt.kind in "iu":
        lo, hi = _INT_RANGE[dt]
        if dt.kind == "u" and isinstance(v, int):
            lo = -hi
        bad = v != v or not lo <= v <= hi
    elif dt.kind == "f":
        big = float(_xp.finfo(dt).max)
        bad = v == v and abs(v) != float("inf") and abs(v) > big
    else:
        bad = False
    if bad:
        name = _C_TYPE.get(dt.name, f"{dt.name}_t")
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")


# ---- operands: numbers, arrays, promotion -----------------------------------------------------
def _number(x):
    """A non-Tensor operand as torch's argument parser reads it: a NumPy scalar becomes a Python
    number (np.bool_ counts as a float there), anything else that is not a number raises."""
    if isinstance(x, _xp.generic):
        return int(x) if x.dtype.kind in "iu" else float(x)
    if type(x) in (int, float, bool):
        return x
    raise TypeError(f"unsupported operand type for a tensor op: '{type(x).__name__}'")


def _promote(a, b):
    """(a, b) cast to their PyTorch result dtype; `a` is a Tensor, `b` a Tensor or a number. A
    number stays a Python number whenever NumPy then computes in the right dtype (NEP 50)."""
    if isinstance(b, Tensor):
        if a._data.dtype == b._data.dtype:
            return a, b
        rt = _dtype.result_type(a, b)
        return to_dtype(a, rt), to_dtype(b, rt)
    tb = type(b)
    if tb is float:
        if a._data.dtype.kind == "f":
            return a, b
        return to_dtype(a, _dtype.get_default_dtype()), b
    if tb is int:
        dt = a._data.dtype
        if dt.kind == "f":
            return a, b
        if dt.kind == "b":
            return to_dtype(a, _dtype.int64), b
        return a, _wrap_int(b, dt)
    if tb is bool:
        return a, b
    if isinstance(b, _ndarray):
        # torch hands `tensor op array` to NumPy (Tensor.__array__), so NumPy's promotion
        # applies, and a tensor that requires grad refuses
        if a._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        rt = _dtype.from_numpy_dtype(_xp.result_type(a._data.dtype, b.dtype))
        return to_dtype(a, rt), to_dtype(_make(b), rt)
    return _promote(a, _number(b))


def _wrap_int(b, dt):
    # torch wraps an out-of-range int into the tensor's dtype (uint8 + 300 == uint8 + 44);
    # NumPy 2 would raise OverflowError instead
    lo, hi = _INT_RANGE[dt]
    return b if lo <= b <= hi else int(_xp.array(b).astype(dt))


def _lift(value, ref):
    """A number in the first operand slot (`2 - x`, `torch.add(2, x)`) as a 0-d tensor of the
    dtype torch computes `value op ref` in, so the kernels below see a tensor first."""
    if isinstance(value, Tensor):
        return value
    if not isinstance(ref, Tensor):
        raise TypeError(f"expected a Tensor operand, got {type(value).__name__} and "
                        f"{type(ref).__name__}")
    dt = ref._data.dtype
    if dt.kind == "f" and type(value) in (float, int, bool):  # fast path: `1 - y` in backwards
        return _make(_xp.array(value, dtype=dt))
    if isinstance(value, _ndarray):
        _dtype.from_numpy_dtype(value.dtype)
        return _make(value)
    value = _number(value)
    # via a default-dtype array, so ints wrap (torch) instead of raising (NumPy 2)
    return _make(_xp.array(value).astype(_dtype.result_type(ref, value).np))


def _need_tensor(fn, x, name="other", pos=2):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def _not_implemented(kernel, dt):
    # torch's wording for a kernel without a loop for this dtype
    return NotImplementedError(f'"{kernel}" not implemented for \'{_type_word(dt)}\'')


def _to_float(a, b):
    """Promoted operands of a float-valued op (div, atan2, ...): integers and bools compute in
    the default float dtype."""
    if a._data.dtype.kind != "f" and not isinstance(b, Tensor):
        # cast first: `u8 / -1` divides by -1.0, not by -1 wrapped to uint8 (255)
        a = to_dtype(a, _dtype.get_default_dtype())
    elif isinstance(b, Tensor) and a._data.dtype.kind != "f" and b._data.dtype.kind != "f":
        # two integer tensors: each converts from its own dtype, never through their integer
        # result type (`tensor(1000) / tensor([10], dtype=uint8)` is 100, not 232 / 10)
        ft = _dtype.get_default_dtype()
        return to_dtype(a, ft), to_dtype(b, ft)
    a, b = _promote(a, b)
    if a._data.dtype.kind != "f":
        ft = _dtype.get_default_dtype()
        a = to_dtype(a, ft)
        if isinstance(b, Tensor):
            b = to_dtype(b, ft)
    return a, b


def _into(y, out, fn):
    """torch's `out=`: write y into `out` (resized when its shape differs; cast to its dtype
    when torch's casting rule allows); returns `out`."""
    if out is None:
        return y
    if STATE.enabled and y._requires_grad:
        raise RuntimeError(f"{fn}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if out._data.shape != y._data.shape:
        out._data = _xp.empty(y._data.shape, dtype=out._data.dtype)
    return _write(out, y)


def _check_int_divisor(a, b):
    # torch: integer division by zero raises; NumPy would return 0 with a warning
    if a._data.dtype.kind in "iu" and a._data.size:   # an empty result divides nothing
        if (b._data == 0).any() if isinstance(b, Tensor) else b == 0:
            raise RuntimeError(f"ZeroDivisionError ({_caller_op()} of {a._data.dtype} "
                               f"tensors of shape {list(a._data.shape)}: an integer divisor "
                               "is 0)")
