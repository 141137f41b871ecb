"""Process-wide settings of the `torch` namespace: numeric limits of dtypes (finfo, iinfo),
threads, print options, and the switches torch programs set at start-up (deterministic
algorithms, matmul precision, default device, warn-always, anomaly mode).

`finfo(torch.float32).eps`, `iinfo(torch.int64).max`: the limits come from NumPy's, which are
the same IEEE/two's-complement numbers torch reports. Threads are glasstorch's kernel pool and
the BLAS threads (backend/threads.py); print options live in _format.py.
"""
import warnings

from . import _dtype
from .backend import xp as _xp, get_num_threads, set_num_threads  # noqa: F401
from ._format import set_printoptions  # noqa: F401

__all__ = ["finfo", "iinfo", "set_num_threads", "get_num_threads", "get_num_interop_threads",
           "set_num_interop_threads", "set_printoptions", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "get_default_device", "set_default_device",
           "set_warn_always", "is_warn_always_enabled", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_anomaly_enabled", "init_num_threads",
           "typename", "is_storage"]


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


# ---- switches torch programs set at start-up ----------------------------------------------
# glasstorch's kernels are deterministic (NumPy, fixed reduction order), so the switches are
# recorded and reported back, as torch does, and change nothing else.
_SWITCHES = {"deterministic": False, "warn_only": False, "matmul_precision": "highest",
             "warn_always": False}
_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def use_deterministic_algorithms(mode, *, warn_only=False):
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' must be bool, not "
                        f"{type(mode).__name__}")
    _SWITCHES["deterministic"], _SWITCHES["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _SWITCHES["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _SWITCHES["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, "
                               f"`warn`, `error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    if not _SWITCHES["deterministic"]:
        return 0
    return 1 if _SWITCHES["warn_only"] else 2


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.")
        return
    _SWITCHES["matmul_precision"] = precision   # NumPy's BLAS computes float32 in full


def get_float32_matmul_precision():
    return _SWITCHES["matmul_precision"]


def get_default_device():
    from ._device import device
    return device("cpu")


def set_default_device(device):
    """Only the CPU exists here: None or a CPU device is accepted (the clear error otherwise)."""
    if device is None:
        return
    from ._device import device as _device
    if _device(device).type != "cpu":
        raise RuntimeError(f"glasstorch runs on the CPU only: cannot make {device!r} the "
                           f"default device")


def set_warn_always(b):
    _SWITCHES["warn_always"] = bool(b)


def is_warn_always_enabled():
    return _SWITCHES["warn_always"]


def is_anomaly_enabled():
    from .autograd.anomaly import is_anomaly_enabled as enabled
    return enabled()


def is_anomaly_check_nan_enabled():
    from .autograd.grad_mode import STATE, GLOBAL
    return bool(GLOBAL.anomaly and GLOBAL.anomaly_check_nan)


def set_anomaly_enabled(enabled, check_nan=True):
    from .autograd.anomaly import set_detect_anomaly
    set_detect_anomaly(enabled, check_nan)


def init_num_threads():
    """torch initializes its OpenMP pool per thread; glasstorch's pool needs nothing."""


def typename(obj):
    """torch.typename: 'torch.FloatTensor' for a tensor, the qualified class name otherwise."""
    from .tensor import Tensor
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(type(obj), "__module__", "") or ""
    name = type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


def is_storage(obj):
    """True for what `Tensor.untyped_storage()` returns (glasstorch's one storage type)."""
    from .ops._strides import _Storage
    return isinstance(obj, _Storage)
