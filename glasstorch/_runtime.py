"""Process-wide settings of the `torch` namespace: numeric limits of dtypes (finfo, iinfo),
threads and print options.

`finfo(torch.float32).eps`, `iinfo(torch.int64).max`: the limits come from NumPy's, which are
the same IEEE/two's-complement numbers torch reports. Threads are glasstorch's kernel pool and
the BLAS threads (backend/threads.py); print options live in _format.py.
"""
from . import _dtype
from .backend import xp as _xp, get_num_threads, set_num_threads  # noqa: F401
from ._format import set_printoptions  # noqa: F401

__all__ = ["finfo", "iinfo", "set_num_threads", "get_num_threads", "get_num_interop_threads",
           "set_num_interop_threads", "set_printoptions"]


def _as_dtype(type, want, who):
    dt = _dtype.get_default_dtype() if type is None else type
    if not isinstance(dt, _dtype.dtype):
        raise TypeError(f"{who}(): argument 'type' must be torch.dtype, not "
                        f"{builtins_type(dt).__name__}")
    if (dt.is_floating_point) != want:
        kind = "floating point" if want else "integer"
        raise TypeError(f"torch.{dt.name} is not a {kind} type (use "
                        f"torch.{'iinfo' if want else 'finfo'})")
    return dt


builtins_type = type


class finfo:
    """Machine limits of a floating dtype: bits, eps, max, min, tiny (= smallest_normal),
    resolution, dtype (its name, as torch: "float32")."""

    def __init__(self, type=None):
        dt = _as_dtype(type, True, "finfo")
        info = _xp.finfo(dt.np)
        self.bits, self.dtype = info.bits, dt.name
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: bits, min, max, dtype."""

    def __init__(self, type):
        dt = _as_dtype(type, False, "iinfo")
        if dt.name == "bool":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        info = _xp.iinfo(dt.np)
        self.bits, self.min, self.max = info.bits, int(info.min), int(info.max)
        self.dtype = dt.name

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


_interop = [1]


def get_num_interop_threads():
    """Threads for running independent ops in parallel: glasstorch runs ops one at a time."""
    return _interop[0]


def set_num_interop_threads(num):
    if not isinstance(num, int) or num < 1:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {num!r}")
    _interop[0] = num
