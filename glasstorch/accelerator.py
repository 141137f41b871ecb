"""torch.accelerator on a machine without accelerators: glasstorch runs on the CPU only.

`is_available()` is False, `device_count()` 0 and `current_accelerator()` None, as real torch
answers on a CPU-only build; every function that needs a device raises torch's RuntimeError.
Code written `device = torch.accelerator.current_accelerator() if
torch.accelerator.is_available() else torch.device("cpu")` therefore picks the CPU.
"""
import contextlib

__all__ = ["current_accelerator", "current_device_idx", "current_device_index",
           "get_device_capability", "current_stream", "device_count", "device_index",
           "empty_cache", "empty_host_cache", "get_memory_info", "is_available",
           "max_memory_allocated", "max_memory_reserved", "memory_allocated", "memory_reserved",
           "memory_stats", "reset_accumulated_memory_stats", "reset_peak_memory_stats",
           "set_device_idx", "set_device_index", "set_stream", "synchronize"]

_NONE = "Cannot access accelerator device when none is available."


def device_count():
    return 0


def is_available():
    return False


def current_accelerator(check_available=False):
    return None


def _unavailable(*args, **kwargs):
    raise RuntimeError(_NONE)


current_device_idx = current_device_index = get_device_capability = current_stream = \
    empty_cache = empty_host_cache = get_memory_info = max_memory_allocated = \
    max_memory_reserved = memory_allocated = memory_reserved = memory_stats = \
    reset_accumulated_memory_stats = reset_peak_memory_stats = set_device_idx = \
    set_device_index = set_stream = synchronize = _unavailable


@contextlib.contextmanager
def device_index(device, /):
    """`with device_index(None):` does nothing; any index raises (no accelerator)."""
    if device is not None:
        raise RuntimeError(_NONE)
    yield
