"""Printing tensors the way PyTorch does: `tensor([1.0000, 2.5000], requires_grad=True)`.

Floats get 4 decimals (or `1.` when every value is whole, or scientific notation when the
range is wide), and the suffix names what is not the default: dtype, grad_fn, requires_grad.
"""
from . import _dtype
from .backend import xp as _xp

_IMPLICIT = ("float32", "int64", "bool")  # dtypes torch does not print (float: the default)

_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)}
OPTIONS = dict(_PROFILES["default"], sci_mode=None)   # what torch.set_printoptions changes


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None, obey_mode=None):
    """torch.set_printoptions: a `profile` ("default", "short", "full") first, then the
    given options; sci_mode True/False forces/forbids scientific notation, None decides."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r} "
                             f"(expected one of {sorted(_PROFILES)})")
        OPTIONS.update(_PROFILES[profile])
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            OPTIONS[key] = value
    OPTIONS["sci_mode"] = sci_mode


def _float_formatter(arr):
    p, sci = OPTIONS["precision"], OPTIONS["sci_mode"]
    finite = arr[_xp.isfinite(arr)] if arr.size else arr
    if sci:
        return lambda v: _special(v) or f"{v:.{p}e}"
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.{p}f}"
    amax = _xp.abs(finite).max()
    amin = _xp.abs(finite[finite != 0]).min() if (finite != 0).any() else 0.0
    if _xp.all(finite == _xp.round(finite)) and amax < 1e8:
        return lambda v: _special(v) or f"{v:.0f}."
    if sci is None and (amax > 1e8 or (amin != 0 and (amin < 1e-4 or amax / amin > 1000))):
        return lambda v: _special(v) or f"{v:.{p}e}"
    return lambda v: _special(v) or f"{v:.{p}f}"


def _special(v):
    if _xp.isnan(v):
        return "nan"
    if _xp.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def tensor_repr(t):
    data = t._data
    dt = _dtype.from_numpy_dtype(data.dtype)
    opts = {"separator": ", ", "prefix": "tensor(", "threshold": OPTIONS["threshold"],
            "edgeitems": OPTIONS["edgeitems"], "max_line_width": OPTIONS["linewidth"]}
    if opts["threshold"] == float("inf"):
        opts["threshold"] = _xp.iinfo(_xp.int64).max
    if dt.is_floating_point:
        fmt = _float_formatter(data.astype(_xp.float64))
        # torch right-aligns every element to the widest one (of those shown)
        e = OPTIONS["edgeitems"]
        shown = data.reshape(-1)[:2000] if data.size <= opts["threshold"] else \
            _xp.concatenate([data.reshape(-1)[:e], data.reshape(-1)[-e:]])
        # torch: the width comes from the nonzero finite values only (inf/nan/0 don't widen)
        width = max((len(fmt(float(v))) for v in shown if v != 0 and _xp.isfinite(v)),
                    default=1)
        opts["formatter"] = {"float_kind": lambda v: fmt(float(v)).rjust(width)}
    if data.dtype == _xp.bool_ and data.size:
        # torch pads to the widest value present: [True, True] but [ True, False]
        width = 5 if not data.all() else 4
        opts["formatter"] = {"bool": lambda v: str(bool(v)).rjust(width)}
    body = _xp.array2string(data, **opts).replace(", ...,", ",  ...,")  # torch's spacing
    suffix = []
    if data.size == 0 and data.ndim != 1:
        suffix.append(f"size={tuple(data.shape)}")
    if dt.name not in _IMPLICIT or (dt.is_floating_point and dt is not _dtype.get_default_dtype()) \
            or (data.size == 0 and dt is not _dtype.get_default_dtype()):
        # (an empty tensor has no elements to show its type: torch names any non-default one)
        suffix.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"
