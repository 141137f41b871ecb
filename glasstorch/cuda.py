"""torch.cuda on a machine without CUDA: glasstorch runs on the CPU only.

Answers are those of a CPU-only build of PyTorch, so device-picking code runs unchanged:

    device = "cuda" if torch.cuda.is_available() else "cpu"    # -> "cpu"
    torch.cuda.manual_seed_all(0)                               # a no-op, as in torch

`is_available()` is False, `device_count()` 0, the seeding functions and the memory counters
answer without a device (no-op / 0 / empty), and everything that needs a device (current_device,
synchronize, get_device_name, streams, events, graphs...) raises torch's AssertionError
"Torch not compiled with CUDA enabled", worded for glasstorch. `torch.device("cuda")` still
parses; using it raises the clear error of glasstorch/_device.py.
"""
import collections
import contextlib
import types

__all__ = [  # torch.cuda.__all__ of torch 2.13, all present (see docs/COMPATIBILITY.md)
    "BFloat16Storage", "BFloat16Tensor", "BoolStorage", "BoolTensor", "ByteStorage",
    "ByteTensor", "CharStorage", "CharTensor", "ComplexDoubleStorage", "ComplexFloatStorage",
    "DoubleStorage", "DoubleTensor", "FloatStorage", "FloatTensor", "HalfStorage", "HalfTensor",
    "IntStorage", "IntTensor", "LongStorage", "LongTensor", "ShortStorage", "ShortTensor",
    "CUDAGraph", "CudaError", "DeferredCudaCallError", "Event", "ExternalStream", "Stream",
    "StreamContext", "GreenContext", "amp", "caching_allocator_alloc",
    "caching_allocator_delete", "caching_allocator_disabled", "caching_allocator_enable",
    "can_device_access_peer", "check_error", "cudaStatus", "cudart", "current_blas_handle",
    "current_solver_handle", "current_device", "current_stream", "default_generators",
    "default_stream", "device", "device_count", "device_memory_used", "device_of",
    "empty_cache", "get_allocator_backend", "CUDAPluggableAllocator", "change_current_allocator",
    "get_arch_list", "get_device_capability", "get_device_name", "get_device_properties",
    "get_gencode_flags", "get_per_process_memory_fraction", "get_rng_state",
    "get_rng_state_all", "get_stream_from_external", "get_sync_debug_mode", "graph",
    "graph_pool_handle", "graphs", "has_half", "has_magma", "host_memory_stats",
    "host_memory_stats_as_nested_dict", "init", "initial_seed", "ipc_collect", "is_available",
    "is_bf16_supported", "is_current_stream_capturing", "is_initialized", "is_tf32_supported",
    "jiterator", "list_gpu_processes", "make_graphed_callables", "manual_seed",
    "manual_seed_all", "max_memory_allocated", "max_memory_cached", "max_memory_reserved",
    "mem_get_info", "memory", "memory_allocated", "memory_cached", "memory_reserved",
    "memory_snapshot", "memory_stats", "memory_stats_as_nested_dict", "memory_summary",
    "memory_usage", "MemPool", "use_mem_pool", "temperature", "power_draw", "clock_rate",
    "nccl", "nvtx", "profiler", "random", "reset_accumulated_host_memory_stats",
    "reset_accumulated_memory_stats", "reset_max_memory_allocated", "reset_max_memory_cached",
    "reset_peak_host_memory_stats", "reset_peak_memory_stats", "seed", "seed_all",
    "set_device", "set_per_process_memory_fraction", "set_rng_state", "set_rng_state_all",
    "set_stream", "set_sync_debug_mode", "sparse", "stream", "streams", "synchronize",
    "tunable", "utilization"]

_NO_CUDA = ("Torch not compiled with CUDA enabled (glasstorch runs on the CPU only: "
            "use device='cpu', or pick it with torch.cuda.is_available())")


def _unavailable(*args, **kwargs):
    """Needs a CUDA device: raises as a CPU-only torch does."""
    raise AssertionError(_NO_CUDA)


# ---- answers that need no device ----------------------------------------------------------
def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def is_bf16_supported(including_emulation=True):
    return False


def is_tf32_supported():
    return False


def get_arch_list():
    return []


def get_gencode_flags():
    return ""


def get_rng_state_all():
    return []


def set_rng_state_all(new_states):
    """No devices, no states to set."""


def manual_seed(seed):
    """No-op without CUDA (torch queues the seed for a device that never comes)."""
    int(seed)


def manual_seed_all(seed):
    int(seed)


def seed():
    """No-op without CUDA."""


def seed_all():
    """No-op without CUDA."""


def empty_cache():
    """Nothing cached."""


def memory_allocated(device=None):
    return 0


memory_reserved = max_memory_allocated = max_memory_reserved = memory_allocated
memory_cached = max_memory_cached = memory_allocated


def memory_stats(device=None):
    return collections.OrderedDict()


def host_memory_stats():
    return collections.OrderedDict()


def memory_stats_as_nested_dict(device=None):
    return {}


def host_memory_stats_as_nested_dict():
    return {}


def list_gpu_processes(device=None):
    return "no CUDA devices (glasstorch runs on the CPU only)"


def caching_allocator_enable(value=True):
    """No allocator to configure."""


@contextlib.contextmanager
def caching_allocator_disabled():
    yield


# ---- everything that needs a device -------------------------------------------------------
init = current_device = synchronize = cudart = current_blas_handle = current_solver_handle = \
    current_stream = default_stream = get_device_capability = get_device_name = \
    get_device_properties = get_per_process_memory_fraction = get_rng_state = \
    get_sync_debug_mode = initial_seed = ipc_collect = mem_get_info = memory_snapshot = \
    memory_summary = reset_peak_memory_stats = reset_accumulated_memory_stats = \
    reset_max_memory_allocated = reset_max_memory_cached = reset_peak_host_memory_stats = \
    reset_accumulated_host_memory_stats = graph_pool_handle = is_current_stream_capturing = \
    set_device = set_rng_state = set_stream = set_sync_debug_mode = \
    set_per_process_memory_fraction = stream = can_device_access_peer = \
    caching_allocator_alloc = caching_allocator_delete = change_current_allocator = \
    get_allocator_backend = get_stream_from_external = make_graphed_callables = \
    use_mem_pool = device_memory_used = memory_usage = utilization = temperature = \
    power_draw = clock_rate = check_error = _unavailable


class _NeedsCuda:
    """A CUDA object (tensor type, stream, event, graph...): constructing it raises."""

    def __init__(self, *args, **kwargs):
        _unavailable()


def _cuda_class(name):
    return type(name, (_NeedsCuda,), {"__module__": __name__})


for _name in ("BFloat16", "Bool", "Byte", "Char", "ComplexDouble", "ComplexFloat", "Double",
              "Float", "Half", "Int", "Long", "Short"):
    globals()[_name + "Storage"] = _cuda_class(_name + "Storage")
    if not _name.startswith("Complex"):
        globals()[_name + "Tensor"] = _cuda_class(_name + "Tensor")
for _name in ("CUDAGraph", "Event", "ExternalStream", "Stream", "StreamContext", "GreenContext",
              "CUDAPluggableAllocator", "MemPool", "graph", "device", "device_of"):
    globals()[_name] = _cuda_class(_name)
del _name


class CudaError(RuntimeError):
    pass


class DeferredCudaCallError(Exception):
    pass


class cudaStatus:
    SUCCESS = 0
    ERROR_NOT_READY = 34


default_generators = ()
has_half = True
has_magma = False

# submodules of torch.cuda; amp's autocast runs the body unchanged (no CUDA, nothing to cast)
amp = types.ModuleType(__name__ + ".amp", "torch.cuda.amp without CUDA")


class _Autocast(contextlib.nullcontext):
    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        super().__init__()


class _GradScaler:
    """torch.cuda.amp.GradScaler without CUDA: disabled, so scale() and step() pass through
    (torch warns and disables itself the same way)."""

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._enabled = False

    def scale(self, outputs):
        return outputs

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def unscale_(self, optimizer):
        pass

    def update(self, new_scale=None):
        pass

    def is_enabled(self):
        return False

    def get_scale(self):
        return 1.0

    def state_dict(self):
        return {}

    def load_state_dict(self, state_dict):
        pass


amp.autocast, amp.GradScaler = _Autocast, _GradScaler
for _sub in ("graphs", "jiterator", "memory", "nccl", "nvtx", "profiler", "random", "sparse",
             "streams", "tunable"):
    globals()[_sub] = types.ModuleType(f"{__name__}.{_sub}", f"torch.cuda.{_sub}: needs CUDA")
del _sub
