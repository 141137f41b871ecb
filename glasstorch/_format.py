"""Printing tensors the way PyTorch does: `tensor([1.0000, 2.5000], requires_grad=True)`.

Floats get 4 decimals (or `1.` when every value is whole, or scientific notation when the
range is wide), and the suffix names what is not the default: dtype, grad_fn, requires_grad.
"""
from . import _dtype
from .backend import xp as _xp

_IMPLICIT = ("float32", "int64", "bool")  # dtypes torch does not print (float: the default)


def _float_formatter(arr):
    finite = arr[_xp.isfinite(arr)] if arr.size else arr
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}"
    amax = _xp.abs(finite).max()
    amin = _xp.abs(finite[finite != 0]).min() if (finite != 0).any() else 0.0
    if _xp.all(finite == _xp.round(finite)) and amax < 1e8:
        return lambda v: _special(v) or f"{v:.0f}."
    if amax > 1e8 or (amin != 0 and (amin < 1e-4 or amax / amin > 1000)):
        return lambda v: _special(v) or f"{v:.4e}"
    return lambda v: _special(v) or f"{v:.4f}"


def _special(v):
    if _xp.isnan(v):
        return "nan"
    if _xp.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def tensor_repr(t):
    data = t._data
    dt = _dtype.from_numpy_dtype(data.dtype)
    opts = {"separator": ", ", "prefix": "tensor(", "threshold": 1000, "edgeitems": 3,
            "max_line_width": 80}
    if dt.is_floating_point:
        fmt = _float_formatter(data.astype(_xp.float64))
        # torch right-aligns every element to the widest one (of those shown)
        shown = data.reshape(-1)[:2000] if data.size <= 1000 else _xp.concatenate(
            [data.reshape(-1)[:3], data.reshape(-1)[-3:]])
        # torch: the width comes from the nonzero finite values only (inf/nan/0 don't widen)
        width = max((len(fmt(float(v))) for v in shown if v != 0 and _xp.isfinite(v)),
                    default=1)
        opts["formatter"] = {"float_kind": lambda v: fmt(float(v)).rjust(width)}
    body = _xp.array2string(data, **opts)
    suffix = []
    if data.size == 0 and data.ndim != 1:
        suffix.append(f"size={tuple(data.shape)}")
    if dt.name not in _IMPLICIT or (dt.is_floating_point and dt is not _dtype.get_default_dtype()) \
            or (data.size == 0 and dt is not _dtype.get_default_dtype()):
        # (an empty tensor has no elements to show its type: torch names any non-default one)
        suffix.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffix.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"
