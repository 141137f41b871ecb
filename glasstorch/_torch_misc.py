"""Top-level torch functions that are state, control flow or thin forms of other functions:
the autocast switches, torch.cond / vmap / fork / wait, torch.range, frombuffer / from_file,
set_default_tensor_type, get_device_module, and the aliases torch keeps for old code
(unsafe_split, split_with_sizes, alias_copy, slice_copy).

autocast: glasstorch runs every op in its inputs' dtype (torch.autocast / cuda.amp.autocast
run the body unchanged, see cuda.py), so the autocast functions only keep torch's state for
code that reads or saves it. torch's CPU autocast dtype is bfloat16, which glasstorch does not
have (NumPy lacks it, see docs/COMPATIBILITY.md): the CPU default here is float16.
"""
import builtins
import math

from . import _dtype
from .backend import xp as _xp
from .tensor import Tensor, _make

__all__ = ["result_type", "is_autocast_enabled", "set_autocast_enabled", "is_autocast_cpu_enabled",
           "set_autocast_cpu_enabled", "get_autocast_dtype", "set_autocast_dtype",
           "get_autocast_cpu_dtype", "set_autocast_cpu_dtype", "get_autocast_gpu_dtype",
           "set_autocast_gpu_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
           "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting",
           "cond", "vmap", "fork", "wait", "is_distributed", "set_flush_denormal",
           "set_default_tensor_type", "get_device_module", "frombuffer", "from_file", "range",
           "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes", "split_with_sizes",
           "split_with_sizes_copy", "alias_copy", "slice_copy", "thread_safe_generator"]

# ---- autocast state (torch keeps it per device type) -------------------------------------
_AUTOCAST = {"enabled": {"cpu": False, "cuda": False}, "cache": True, "nesting": 0,
             "dtype": {"cpu": _dtype.float16, "cuda": _dtype.float16}}


def _device_type(device_type):
    if not isinstance(device_type, str):
        raise TypeError(f"expected a device type string such as 'cpu' or 'cuda', got "
                        f"{type(device_type).__name__}")
    return device_type


def is_autocast_enabled(device_type=None):
    """Whether autocast is on (for `device_type`; without it: CUDA's, as torch)."""
    return _AUTOCAST["enabled"].get(_device_type(device_type or "cuda"), False)


def set_autocast_enabled(device_type, enabled=None):
    if enabled is None:               # torch's old form: set_autocast_enabled(enabled) for cuda
        device_type, enabled = "cuda", device_type
    _AUTOCAST["enabled"][_device_type(device_type)] = bool(enabled)


def is_autocast_cpu_enabled():
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled):
    set_autocast_enabled("cpu", enabled)


def get_autocast_dtype(device_type):
    return _AUTOCAST["dtype"].get(_device_type(device_type), _dtype.float16)


def set_autocast_dtype(device_type, dtype):
    if not isinstance(dtype, _dtype.dtype):
        raise TypeError(f"set_autocast_dtype(): argument 'dtype' must be torch.dtype, not "
                        f"{type(dtype).__name__}")
    _AUTOCAST["dtype"][_device_type(device_type)] = dtype


def get_autocast_cpu_dtype():
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype):
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype):
    set_autocast_dtype("cuda", dtype)


def is_autocast_cache_enabled():
    return _AUTOCAST["cache"]


def set_autocast_cache_enabled(enabled):
    _AUTOCAST["cache"] = bool(enabled)


def clear_autocast_cache():
    """Nothing is cached (no casts are made)."""


def autocast_increment_nesting():
    _AUTOCAST["nesting"] += 1
    return _AUTOCAST["nesting"]


def autocast_decrement_nesting():
    _AUTOCAST["nesting"] -= 1
    return _AUTOCAST["nesting"]


# ---- control flow ---------------------------------------------------------------------------
def cond(pred, true_fn, false_fn, operands=()):
    """torch.cond run eagerly: true_fn(*operands) if pred else false_fn(*operands)."""
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got "
                               f"a tensor of shape {tuple(pred.shape)}")
        pred = bool(pred.item())
    elif not isinstance(pred, (bool, int)):
        raise RuntimeError(f"Expected pred to be bool or tensor, but got {pred!r}.")
    if not isinstance(operands, (tuple, list)):
        raise RuntimeError(f"Expect operands to be a tuple of possibly nested dict/list/tuple "
                           f"that only consists of tensor leaves, but got {operands!r}.")
    return (true_fn if pred else false_fn)(*operands)


def _slice(x, dim, i):
    return x if dim is None or not isinstance(x, Tensor) else x.select(dim, i)


def _stack_tree(outs, dim):
    from .ops.concat import stack
    first = outs[0]
    if isinstance(first, Tensor):
        return stack(outs, dim)
    if isinstance(first, (tuple, list)):
        dims = dim if isinstance(dim, (tuple, list)) else [dim] * len(first)
        return type(first)(_stack_tree([o[k] for o in outs], dims[k])
                           for k in builtins.range(len(first)))
    raise ValueError(f"vmap: `func` must only return Tensors, got type {type(first)}.")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """torch.vmap by a loop: func on each slice along in_dims, results stacked on out_dims
    (the same values and gradients as torch's batching rules, at loop speed)."""
    def batched(*args):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else [in_dims] * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims is not compatible with the structure of inputs: "
                             f"{len(dims)} in_dims for {len(args)} inputs")
        sizes = {a.shape[d] for a, d in zip(args, dims) if isinstance(a, Tensor) and
                 d is not None}
        if not sizes:
            raise ValueError("vmap: at least one input must be a Tensor mapped over a dim")
        if len(sizes) > 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
        n = sizes.pop()
        outs = [func(*[_slice(a, d, i) for a, d in zip(args, dims)])
                for i in builtins.range(n)]
        return _stack_tree(outs, out_dims)
    return batched


class Future:
    """torch.jit.Future of an eager fork: the result is computed when forked."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value

    def done(self):
        return True

    def value(self):
        return self._value


def fork(func, *args, **kwargs):
    """Run func now (eager mode has no TorchScript interpreter to run it in parallel)."""
    return Future(func(*args, **kwargs))


def wait(future):
    return future.wait()


# ---- process / environment ------------------------------------------------------------------
def is_distributed(input):
    """Whether `input` is a distributed tensor: never (glasstorch tensors live in one
    process)."""
    return False


def set_flush_denormal(mode):
    """Flushing denormals needs the CPU's FTZ/DAZ flags, which NumPy does not set: returns
    False (not supported), as torch does on such CPUs; results keep their denormals."""
    return False


_TENSOR_TYPES = {"torch.FloatTensor": "float32", "torch.DoubleTensor": "float64",
                 "torch.HalfTensor": "float16"}


_WARNED_TENSOR_TYPE = []


def set_default_tensor_type(t):
    """Deprecated in torch: the default float dtype from a tensor type (name); warns once per
    process, as torch's TORCH_WARN_ONCE."""
    if not _WARNED_TENSOR_TYPE:
        import warnings
        _WARNED_TENSOR_TYPE.append(True)
        warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please "
                      "use torch.set_default_dtype() and torch.set_default_device() as "
                      "alternatives.", UserWarning, stacklevel=2)
    name = t if isinstance(t, str) else getattr(t, "__module__", "") + "." + \
        getattr(t, "__name__", "")
    name = {"glasstorch.tensor.Tensor": "torch.FloatTensor"}.get(name, name)
    if name not in _TENSOR_TYPES:
        raise TypeError(f"invalid type: '{name}' (glasstorch has the CPU float types "
                        f"{', '.join(_TENSOR_TYPES)})")
    _dtype.set_default_dtype(getattr(_dtype, _TENSOR_TYPES[name]))


def get_device_module(device=None):
    """The module of a device type: glasstorch.cuda for 'cuda', glasstorch.cpu otherwise."""
    import glasstorch
    kind = getattr(device, "type", device) or "cpu"
    if kind not in ("cpu", "cuda"):
        raise RuntimeError(f"Device '{kind}' does not have a corresponding module registered "
                           "as 'torch.{kind}'.")
    if kind == "cuda":
        return glasstorch.cuda
    from . import cpu
    return cpu


# ---- factories ------------------------------------------------------------------------------
def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor over `buffer`'s bytes (shared, as torch: writes go to the buffer)."""
    np_dtype = dtype.np
    item = _xp.dtype(np_dtype).itemsize
    size = len(memoryview(buffer).cast("B"))
    if offset < 0 or offset >= size and size:
        raise ValueError(f"offset must be non-negative and no greater than buffer length "
                         f"({size}) , but got offset {offset}")
    if count == 0 or size == 0:
        raise ValueError(f"both buffer length ({size}) and count ({count}) must not be 0")
    if count < 0 and (size - offset) % item:
        raise ValueError(f"buffer length ({size - offset} after offset) must be a multiple of "
                         f"element size ({item})")
    array = _xp.frombuffer(buffer, dtype=np_dtype, count=count, offset=offset)
    t = _make(array)
    t.requires_grad_(requires_grad)
    return t


def from_file(filename, shared=None, size=0, *, dtype=None, requires_grad=False, **kwargs):
    """`size` elements of `dtype` read from the file's start (shared=True maps the file)."""
    dt = dtype if dtype is not None else _dtype.get_default_dtype()
    if shared:
        array = _xp.memmap(filename, dtype=dt.np, mode="r+", shape=(size,))
    else:
        array = _xp.fromfile(filename, dtype=dt.np, count=size)
        if array.size < size:
            raise RuntimeError(f"from_file: file size {array.size * dt.np().itemsize} bytes "
                               f"is less than the expected {size * dt.np().itemsize} bytes")
    t = _make(_xp.asarray(array))
    t.requires_grad_(requires_grad)
    return t


def range(start=0, end=None, step=1, *, dtype=None, requires_grad=False, **kwargs):
    """Deprecated torch.range: [start, end] *inclusive*, the default float dtype."""
    import warnings
    from ._layout import check_options
    from .creation import tensor
    check_options("range", kwargs.get("layout"))
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    n = int(math.floor((end - start) / step)) + 1
    dt = dtype if dtype is not None else _dtype.get_default_dtype()
    values = _xp.arange(n, dtype=_xp.float64) * step + start
    return tensor(values.astype(dt.np), requires_grad=requires_grad)


# ---- aliases old code still calls -----------------------------------------------------------
def unsafe_chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


def unsafe_split(input, split_size, dim=0):
    return input.split(split_size, dim)


def split_with_sizes(input, split_sizes, dim=0):
    if not isinstance(split_sizes, (list, tuple)):
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' must be tuple of ints, "
                        f"not {type(split_sizes).__name__}")
    total = input.shape[dim] if input.ndim else 0
    if builtins.sum(split_sizes) != total:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {total} "
                           f"(input tensor's size at dimension {dim}), but got "
                           f"split_sizes={list(split_sizes)}")
    return input.split(list(split_sizes), dim)


unsafe_split_with_sizes = split_with_sizes


def split_with_sizes_copy(input, split_sizes, dim=0, *, out=None):
    return [t.clone() for t in split_with_sizes(input, split_sizes, dim)]


def alias_copy(input, *, out=None):
    return input.clone()


def slice_copy(input, dim=0, start=None, end=None, step=1, *, out=None):
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    index = [slice(None)] * input.ndim
    index[dim] = slice(start, end, step)
    return input[tuple(index)].clone()


def thread_safe_generator():
    """The generator of the current DataLoader worker when it is a thread worker, else None
    (the global generator), as torch.random.thread_safe_generator."""
    from .utils.data import get_worker_info
    info = get_worker_info()
    if info is not None and getattr(info, "worker_method", None) == "thread":
        rng = getattr(info, "rng", None)
        return getattr(rng, "torch_generator", None)
    return None


def result_type(tensor=None, other=None, *, scalar=None, scalar1=None, scalar2=None):
    """torch.result_type of two operands (tensors or numbers), with torch's keyword names:
    (tensor, other), (scalar, tensor) or (scalar1, scalar2); _dtype.result_type does the work."""
    from ._dtype import result_type as _result_type
    operands = [x for x in (tensor, other, scalar, scalar1, scalar2) if x is not None]
    if len(operands) != 2:
        raise TypeError("result_type() received an invalid combination of arguments: expected "
                        "(Tensor tensor, Tensor other), (Tensor tensor, Number other), (Number "
                        "scalar, Tensor tensor) or (Number scalar1, Number scalar2)")
    return _result_type(*operands)
