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


class _Formatter:
    """torch's _Formatter: one width for every element (the widest formatted value of `arr`,
    nonzero finite ones for floats), whole-number floats as `3.`, scientific notation when the
    nonzero magnitudes span over 1000x, exceed 1e8 or go under 1e-4 (or as sci_mode says)."""

    def __init__(self, arr):
        self.floating = arr.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        p = OPTIONS["precision"]
        flat = arr.reshape(-1)
        if not self.floating:
            self.width = max((len(self._str(v)) for v in flat.tolist()), default=1)
            return
        vals = flat[_xp.isfinite(flat) & (flat != 0)].astype(_xp.float64)
        if vals.size == 0:
            return
        amin, amax = _xp.abs(vals).min(), _xp.abs(vals).max()
        self.int_mode = bool(_xp.all(vals == _xp.ceil(vals)))
        self.sci_mode = bool(amax / amin > 1000.0 or amax > 1.0e8 or amin < 1.0e-4) \
            if OPTIONS["sci_mode"] is None else OPTIONS["sci_mode"]
        if self.sci_mode:
            strs = [f"{v:.{p}e}" for v in vals.tolist()]
        elif self.int_mode:
            strs = [f"{v:.0f}." for v in vals.tolist()]
        else:
            strs = [f"{v:.{p}f}" for v in vals.tolist()]
        self.width = max(len(x) for x in strs)

    @staticmethod
    def _str(v):
        return str(bool(v)) if isinstance(v, bool) else str(v)

    def format(self, v):
        if not self.floating:
            s = self._str(v)
        elif self.sci_mode:
            s = f"{v:.{OPTIONS['precision']}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if _xp.isinf(v) or _xp.isnan(v) else ".")
        else:
            s = f"{v:.{OPTIONS['precision']}f}"
        return s.rjust(self.width)


def _summarized(arr, e):
    """The edge rows torch formats when the tensor is summarized (edgeitems per dimension)."""
    for axis in range(arr.ndim):
        if arr.shape[axis] > 2 * e:
            idx = list(range(e)) + list(range(arr.shape[axis] - e, arr.shape[axis]))
            arr = _xp.take(arr, idx, axis=axis)
    return arr


def _layout(arr, indent, summarize, fmt):
    """torch's _tensor_str_with_formatter: rows of floor((linewidth - indent) / (width + 2))
    elements, nested brackets one column further in, blank lines between 3-D+ slices."""
    e = OPTIONS["edgeitems"]
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        per_line = max(1, (OPTIONS["linewidth"] - indent) // (fmt.width + 2))
        vals = arr.tolist()
        if summarize and not e:
            data = ["..."]
        elif summarize and len(vals) > 2 * e:
            data = [fmt.format(v) for v in vals[:e]] + [" ..."] + \
                [fmt.format(v) for v in vals[-e:]]
        else:
            data = [fmt.format(v) for v in vals]
        lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    n = arr.shape[0]
    if summarize and n > 2 * e:
        rows = [_layout(arr[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."] + \
            [_layout(arr[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
    else:
        rows = [_layout(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _add_suffixes(text, suffixes, indent):
    """torch's _add_suffixes: `, suffix` while the last line stays within linewidth (torch's
    own count, one more than the line's length), else on a new line under the first bracket."""
    last = len(text) - text.rfind("\n") + 1
    parts = [text]
    for s in suffixes:
        if last + len(s) + 2 > OPTIONS["linewidth"]:
            parts.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            parts.append(", " + s)
            last += len(s) + 2
    return "".join(parts) + ")"


def tensor_repr(t):
    data = t._data
    dt = _dtype.from_numpy_dtype(data.dtype)
    prefix = "tensor("
    suffix = []
    if data.size == 0:
        body = "[]"
        if data.ndim != 1:
            suffix.append(f"size={tuple(data.shape)}")
    else:
        summarize = data.size > OPTIONS["threshold"]
        fmt = _Formatter(_summarized(data, OPTIONS["edgeitems"]) if summarize else data)
        body = _layout(data, len(prefix), summarize, fmt)
    if dt.name not in _IMPLICIT or (dt.is_floating_point and dt is not _dtype.get_default_dtype()) \
            or (data.size == 0 and dt is not _dtype.get_default_dtype()):
        # (an empty tensor has no elements to show its type: torch names any non-default one)
        suffix.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffix.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffix, len(prefix))
