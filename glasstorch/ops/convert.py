"""Conversions: dtype casts (`to`, `float()`, ...), `clone`, `detach`.

A cast is differentiable between floating dtypes (the gradient is cast back); casting to an
integer or bool type cuts the graph, as in PyTorch.
"""
from .. import _dtype, _memory_format as _mf
from .._device import check_device, device as _device_cls
from ..autograd.node import Op
from ..tensor import Tensor, _make
from . import layout as _layout

__all__ = ["clone"]


class ToCopy(Op, name="to"):
    """y = x cast to `dtype`;  dy/dx = 1 (gy cast back to x's dtype by the engine)."""

    @staticmethod
    def forward(ctx, x, dtype, fmt=None):
        if fmt is None:
            return x.astype(dtype.np)
        y = _layout.empty_as(x.shape, dtype.np, fmt)     # cast and change layout at once
        y[...] = x
        return y

    @staticmethod
    def backward(ctx, gy):
        return gy, None, None


def _cast(x, dtype, copy=False, fmt=None):
    if x._data.dtype == dtype.np:
        return clone(x) if copy else x
    if not dtype.is_floating_point:
        return _make(ToCopy.forward(None, x._data, dtype, fmt))  # no gradient for integers
    return ToCopy.apply(x, dtype, fmt)


def to(x, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    """x.to(dtype) / x.to(device) / x.to(other) / x.to(device, dtype) / x.to(memory_format=
    torch.channels_last); returns x itself when nothing changes (PyTorch: no copy unless
    copy=True)."""
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, _device_cls)):
            device = a
        elif isinstance(a, bool):
            non_blocking = a
        else:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    if dtype is not None and not isinstance(dtype, _dtype.dtype):
        raise TypeError(f"to(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    check_device(device)
    if memory_format is not None and memory_format is not _mf.preserve_format:
        fmt = _layout.checked_target(x, memory_format, "to")
        # torch aliases when the strides already suggest that format (not is_contiguous)
        if copy or _layout.suggest_format(x._data) is not fmt or (
                dtype is not None and x._data.dtype != dtype.np):
            if dtype is None or x._data.dtype == dtype.np:
                return Clone.apply(x, fmt)
            return _cast(x, dtype, fmt=fmt)
        memory_format = None
    if memory_format is not None:
        _layout.check_format(memory_format, "to")
    if dtype is None:
        return clone(x) if copy else x
    return _cast(x, dtype, copy)


_TYPE_NAMES = {d.tensor_type: d for d in _dtype.ALL}  # "torch.FloatTensor" -> float32
_NAME_OF = {v.name: k for k, v in _TYPE_NAMES.items()}


def type_(x, dtype=None):
    """x.type() -> 'torch.FloatTensor'; x.type(glasstorch.float64) or x.type('torch.LongTensor')."""
    if dtype is None:
        return _NAME_OF[x.dtype.name]
    if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), _dtype.dtype):
        dtype = dtype.dtype                  # a legacy tensor type: torch.LongTensor
    if isinstance(dtype, str):
        if dtype not in _TYPE_NAMES:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = _TYPE_NAMES[dtype]
    return _cast(x, dtype)


class Clone(Op, name="clone"):
    """y = copy of x, in x's memory layout ("K"), row-major ("C": contiguous()) or a memory
    format (torch.channels_last, ...: ops/layout.py);  dy/dx = 1."""

    @staticmethod
    def forward(ctx, x, order="K"):
        if isinstance(order, str):
            return x.copy(order=order)
        return _layout.copy_as(x, order)

    @staticmethod
    def backward(ctx, gy):
        return gy, None


def clone(x, *, memory_format=None):
    # torch: preserve_format keeps the strides of a dense tensor (a transposed one stays so),
    # others take the format their strides suggest (channels-last or contiguous)
    if memory_format is None:
        memory_format = _mf.preserve_format
    return Clone.apply(x, _layout.checked_target(x, memory_format, "clone"))


def detach(x):
    """Same storage and version counter, no history, requires_grad=False."""
    t = _make(x._data)
    t._version_counter = x._version_counter
    return t


def detach_(x):
    if x._base is not None and x._base._requires_grad:
        raise RuntimeError("Can't detach views in-place. Use detach() instead.")
    x.grad_fn = None
    x._requires_grad = False
    return x
