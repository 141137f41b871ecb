"""Creating tensors: `tensor`, `as_tensor`, `from_numpy`, `zeros/ones/full/empty/eye/arange/
linspace/logspace` and their `*_like` forms. (Random ones are in random.py.)

dtype inference follows PyTorch: Python floats give the default dtype (float32), ints int64,
bools bool; a NumPy array keeps its dtype (a float64 array gives a float64 tensor).
"""
import builtins

from . import _dtype
from ._device import check_device
from . import _layout
from .backend import xp as _xp, ndarray as _ndarray
from .tensor import Tensor, _make

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty",
           "eye", "arange", "linspace", "logspace", "zeros_like", "ones_like", "full_like",
           "empty_like", "scalar_tensor", "is_tensor", "numel", "is_floating_point"]


def _finish(arr, requires_grad):
    t = _make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer(data):
    """Python data -> backend array with PyTorch's dtype inference."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, _ndarray):
        _dtype.from_numpy_dtype(data.dtype)  # TypeError for unsupported dtypes (object, str)
        return data
    if isinstance(data, _xp.generic):
        return _xp.asarray(data)
    arr = _xp.array(data)
    if arr.dtype.kind == "f":
        arr = arr.astype(_dtype.get_default_dtype().np)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(_xp.int64)
    elif arr.dtype.kind == "O":
        # e.g. a list of 0-d tensors mixed with numbers
        arr = _xp.array([_item(v) for v in _xp.ravel(arr)]).reshape(arr.shape)
        return _infer(arr.tolist()) if arr.dtype.kind == "O" else _infer_kind(arr)
    elif arr.dtype.kind != "b":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return arr


def _infer_kind(arr):
    if arr.dtype.kind == "f":
        return arr.astype(_dtype.get_default_dtype().np)
    return arr


def _item(v):
    return v.item() if isinstance(v, Tensor) else v


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (nested lists, numbers, arrays or tensors)."""
    check_device(device)
    if dtype is not None and not isinstance(data, (Tensor, _ndarray)):
        try:  # straight to the asked dtype: 0.1 as float64 must not pass through float32
            return _finish(_xp.array(data, dtype=dtype.np), requires_grad)
        except (TypeError, ValueError):
            pass  # e.g. a list of tensors: infer first, then cast
    arr = _infer(data)
    arr = _xp.array(arr, dtype=dtype.np if dtype is not None else None, copy=True)
    return _finish(arr, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with `data` when it already is a suitable array/tensor."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype is dtype else data.to(dtype)
    arr = _infer(data)
    if dtype is not None and arr.dtype != dtype.np:
        arr = arr.astype(dtype.np)
    return _make(arr)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """Convert obj (tensor, NumPy array, scalar or nested sequence) to a tensor, sharing
    memory when it can and copy is not True."""
    t = as_tensor(obj, dtype=dtype, device=device)
    if copy:
        t = _make(t._data.copy())
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray` (writes through either show in both)."""
    if not isinstance(ndarray, _ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):   # torch's strides are never negative
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    return _make(ndarray)


def _size(size, keyword=None):
    """The shape from `f(2, 3)`, `f((2, 3))` or torch's keyword form `f(size=(2, 3))`."""
    if keyword is not None:
        if size:
            raise TypeError("got the size both positionally and as size=")
        size = (keyword,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (builtins.int, _xp.integer)):
            raise TypeError(f"size must be a sequence of ints, but got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(builtins.int(s))
    return tuple(out)


def _np_dtype(dtype):
    return (dtype or _dtype.get_default_dtype()).np


def zeros(*shape, size=None, dtype=None, device=None, requires_grad=False, out=None,
          layout=None, pin_memory=False):
    """A tensor of the given size (ints or one sequence) filled with 0; the default float
    dtype unless dtype is given."""
    check_device(device)
    _layout.check_options("zeros", layout, pin_memory, shape if size is None else size)
    if out is not None:
        return _to_out("zeros", out, dtype, lambda dt: zeros(*shape, size=size, dtype=dt))
    return _finish(_xp.zeros(_size(shape, size), dtype=_np_dtype(dtype)), requires_grad)


def ones(*shape, size=None, dtype=None, device=None, requires_grad=False, out=None,
         layout=None, pin_memory=False):
    """A tensor of the given size (ints or one sequence) filled with 1; the default float
    dtype unless dtype is given. torch.ones(2, 3) and torch.ones((2, 3)) are the same."""
    check_device(device)
    _layout.check_options("ones", layout, pin_memory, shape if size is None else size)
    if out is not None:
        return _to_out("ones", out, dtype, lambda dt: ones(*shape, size=size, dtype=dt))
    return _finish(_xp.ones(_size(shape, size), dtype=_np_dtype(dtype)), requires_grad)


def empty(*shape, size=None, dtype=None, device=None, requires_grad=False, memory_format=None,
          out=None, pin_memory=False, layout=None):
    """A tensor of the given size whose values are left uninitialized (arbitrary)."""
    check_device(device)
    _layout.check_options("empty", layout, pin_memory, shape if size is None else size)
    if out is not None:
        return _to_out("empty", out, dtype, lambda dt: empty(*shape, size=size, dtype=dt))
    return _finish(_xp.empty(_size(shape, size), dtype=_np_dtype(dtype)), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None,
         layout=None, pin_memory=False):
    """torch: the dtype is inferred from fill_value (bool, int64 or the default float)."""
    check_device(device)
    _layout.check_options("full", layout, pin_memory, size)
    if not isinstance(fill_value, Tensor):
        from .ops._util import check_number
        check_number(fill_value, "full", "fill_value", 2)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if out is not None:
        return _to_out("full", out, dtype, lambda dt: full(size, fill_value, dtype=dt))
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    return _finish(_xp.full(_size((size,) if isinstance(size, builtins.int) else (size,)),
                            fill_value, dtype=dtype.np), requires_grad)


def _to_out(fn, out, dtype, build):
    """torch's out= of a factory: the tensor build(dtype) makes in out's dtype (a dtype given
    must be out's) written into `out`, resized to its shape; returns out (these factories
    took out= and ignored it before)."""
    from .autograd.grad_mode import is_grad_enabled
    from .ops._operands import _into
    if dtype is not None and dtype != out.dtype:
        raise RuntimeError(f"dtype {dtype.cpp_name} does not match dtype of out parameter "
                           f"({out.dtype.cpp_name})")
    if out._requires_grad and is_grad_enabled():
        raise RuntimeError(f"aten::{fn}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    return _into(build(out.dtype), out, fn)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    """A 0-dim tensor holding s (the default float dtype unless dtype is given)."""
    check_device(device)
    _layout.check_options("scalar_tensor", layout, pin_memory)
    return full((), s, dtype=dtype or _dtype.get_default_dtype(), requires_grad=requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, layout=None,
        pin_memory=False):
    """The n x m (m defaults to n) matrix with ones on the diagonal, zeros elsewhere."""
    check_device(device)
    _layout.check_options("eye", layout, pin_memory)
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return _finish(_xp.eye(n, n if m is None else m, dtype=_np_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False,
           layout=None, pin_memory=False):
    """Values in [start, end) spaced by step; int64 when all of them are ints (torch)."""
    check_device(device)
    _layout.check_options("arange", layout, pin_memory)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        all_int = all(isinstance(v, (builtins.int, _xp.integer)) for v in vals)
        dtype = _dtype.int64 if all_int else _dtype.get_default_dtype()
    start, end, step = vals
    import math
    if not all(math.isfinite(v) for v in vals):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    # torch computes the length in double precision: ceil((end - start) / step)
    n = max(0, math.ceil((end - start) / step))
    if dtype in (_dtype.float32, _dtype.float64):
        arr = _arange_vectorized(start, step, n, dtype == _dtype.float32)
    elif dtype.is_floating_point:
        arr = start + _xp.arange(n, dtype=_xp.float64) * step
    else:
        arr = _xp.arange(start, end, step)
    return _finish(arr.astype(dtype.np), requires_grad)


def _arange_vectorized(start, step, n, float32):
    """torch's CPU kernel, to the bit: its vectorized loop takes two AVX2 vectors at a time
    (2 x 8 float32, 2 x 4 float64); a vector's first value start + step * i is computed in
    double with a fused multiply-add (one rounding; for float32 then rounded to float32) and
    lane j is that value + j * step, fused too; the last n % 16 (n % 8) values are
    start + step * i, fused, each. So arange(-2.5, 2.5, 0.1)[11] is -1.4000001, not the
    float32 nearest to -1.4, and arange(-8., 8., 0.1)[80] is 4.4e-16, not 0. (One chunk:
    torch splits more than 32768 values among its threads, each chunk from its start.)"""
    width = 8 if float32 else 4
    i = _xp.arange(n, dtype=_xp.float64)
    lane = i % width
    first = _fma(step, i - lane, start)
    if float32:
        first = first.astype(_xp.float32).astype(_xp.float64)
    arr = _xp.where(i < n - n % (2 * width), _fma(lane, step, first), _fma(step, i, start))
    return arr.astype(_xp.float32) if float32 else arr


def _fma(a, b, c):
    """a * b + c rounded once (as a fused multiply-add), for float64 arrays: the exact product
    as p + e (Dekker's split), the sum p + c as s + t (Knuth's two-sum), then s + (t + e)."""
    def split(x):
        hi = x * 134217729.0 - (x * 134217729.0 - x)        # 2**27 + 1
        return hi, x - hi
    p = a * b
    (ah, al), (bh, bl) = split(_xp.float64(a)), split(_xp.float64(b))
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    v = s - p
    t = (p - (s - v)) + (c - v)
    return s + (t + e)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    """steps values evenly spaced from start to end, both included."""
    check_device(device)
    _layout.check_options("linspace", layout, pin_memory)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or _dtype.get_default_dtype()
    arr = _xp.linspace(start, end, steps, dtype=_xp.float64)
    # torch fills the second half from the end (symmetric rounding); float64 math then cast
    if steps > 1:
        step = (end - start) / (steps - 1)
        half = steps // 2
        i = _xp.arange(steps)
        arr = _xp.where(i < half, start + step * i, end - step * (steps - 1 - i))
    return _finish(arr.astype(dtype.np), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    """steps values base ** x for x evenly spaced from start to end, both included."""
    check_device(device)
    _layout.check_options("logspace", layout, pin_memory)
    lin = linspace(start, end, steps, dtype=_dtype.float64)._data
    dtype = dtype or _dtype.get_default_dtype()
    return _finish((base ** lin).astype(dtype.np), requires_grad)


def _like(x, dtype):
    return x.dtype if dtype is None else dtype


def _laid_out(t, input, memory_format):
    """t (a fresh *_like result) in `memory_format`; torch's default preserve_format keeps
    the input's stride order (a channels-last input gives a channels-last result)."""
    from . import _memory_format as _mf
    from .ops import layout as _layout
    a = input._data
    fmt = _mf.preserve_format if memory_format is None else _layout.checked_target(
        input, memory_format, "empty_like")
    if fmt is _mf.contiguous_format or (fmt is _mf.preserve_format and (
            a.ndim < 2 or a.flags.c_contiguous)):
        return t
    out = (_xp.empty_like(a, dtype=t._data.dtype) if fmt is _mf.preserve_format
           else _layout.empty_as(a.shape, t._data.dtype, fmt))
    out[...] = t._data
    t._data = out
    return t


def _like_options(fn, device, layout, pin_memory, size=None):
    check_device(device)
    _layout.check_options(fn, layout, pin_memory, size)


def zeros_like(input, *, dtype=None, layout=None, device=None, pin_memory=False,
               requires_grad=False, memory_format=None):
    """zeros(input.shape), with input's dtype unless dtype is given."""
    _like_options("zeros_like", device, layout, pin_memory, input.shape)
    return _laid_out(zeros(input.shape, dtype=_like(input, dtype), requires_grad=requires_grad),
                     input, memory_format)


def ones_like(input, *, dtype=None, layout=None, device=None, pin_memory=False,
              requires_grad=False, memory_format=None):
    """ones(input.shape), with input's dtype unless dtype is given."""
    _like_options("ones_like", device, layout, pin_memory)
    return _laid_out(ones(input.shape, dtype=_like(input, dtype), requires_grad=requires_grad),
                     input, memory_format)


def empty_like(input, *, dtype=None, layout=None, device=None, pin_memory=False,
               requires_grad=False, memory_format=None):
    """empty(input.shape), with input's dtype unless dtype is given."""
    _like_options("empty_like", device, layout, pin_memory)
    return _laid_out(empty(input.shape, dtype=_like(input, dtype), requires_grad=requires_grad),
                     input, memory_format)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, pin_memory=False,
              requires_grad=False, memory_format=None):
    """full(input.shape, fill_value), with input's dtype unless dtype is given."""
    _like_options("full_like", device, layout, pin_memory)
    return _laid_out(full(input.shape, fill_value, dtype=_like(input, dtype),
                          requires_grad=requires_grad), input, memory_format)


def is_tensor(obj):
    """True if obj is a tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    """The number of elements of input."""
    return input.numel()


def is_floating_point(input):
    """True if input's dtype is a floating-point type."""
    return input.is_floating_point()
