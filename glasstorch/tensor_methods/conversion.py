"""Tensor's conversion methods: to NumPy and to Python numbers (numpy, item, tolist, float(t),
bool(t)), dtype casts (to, type, float, long, ...), copies (clone, detach, copy_) and new_*
tensors of the same dtype. They delegate to ops/convert.py, ops/_inplace.py and creation.py.
"""
import builtins

from .. import _dtype
from .._device import check_device, device as _device
from .._layout import check_options as _check_layout

# Readers see Python reading a tensor's value (`bool(t)`, `t.item()`, `t.tolist()`): the jit
# tracer warns there, because a trace freezes whatever branch that value chose. Empty (one
# falsy check) unless a tracer listens. (jit/tracer.py appends to it, as tensor.READ_HOOKS.)
READ_HOOKS = []


def _tell_readers(t, how):
    for fn in READ_HOOKS:
        fn(t, how)


# Bound by _import_ops(), which tensor.py calls at its end: these modules import Tensor, so they
# load once it exists (the one import cycle the design allows; tests/test_import_cycles.py).
_convert = _creation = _inplace = None


class Conversion:
    """numpy/item/tolist, casts, clone/detach/copy_, new_* (tensor.py inherits it)."""
    __slots__ = ()     # Tensor declares every slot (and __dict__) itself

    def numpy(self, *, force=False):
        """The backend array itself (shares memory). Raises for tensors that require grad."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data.copy() if force else self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self):
        if READ_HOOKS:
            _tell_readers(self, "item")
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        if READ_HOOKS:
            _tell_readers(self, "tolist")
        return self._data.tolist()

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __bool__(self):
        if READ_HOOKS:
            _tell_readers(self, "bool")
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return builtins.bool(self._data.reshape(()).item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return builtins.int(self.item())

    def __complex__(self):
        return complex(self.item())

    def to(self, *args, **kwargs):
        return _convert.to(self, *args, **kwargs)

    def type(self, dtype=None, non_blocking=False):
        return _convert.type_(self, dtype)

    def type_as(self, other):
        return _convert.to(self, other.dtype)

    def float(self):
        return _convert.to(self, _dtype.float32)

    def double(self):
        return _convert.to(self, _dtype.float64)

    def half(self):
        return _convert.to(self, _dtype.float16)

    def long(self):
        return _convert.to(self, _dtype.int64)

    def int(self):
        return _convert.to(self, _dtype.int32)

    def short(self):
        return _convert.to(self, _dtype.int16)

    def char(self):
        return _convert.to(self, _dtype.int8)

    def byte(self):
        return _convert.to(self, _dtype.uint8)

    def bool(self):
        return _convert.to(self, _dtype.bool)

    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking=False):
        if device is not None and not isinstance(device, int) and _device(device).type != "cuda":
            raise RuntimeError("Invalid device, must be cuda device")
        check_device("cuda" if device is None or isinstance(device, int) else device)  # no GPU yet

    def clone(self, *, memory_format=None):
        return _convert.clone(self, memory_format=memory_format)

    def detach(self):
        return _convert.detach(self)

    def detach_(self):
        return _convert.detach_(self)

    def copy_(self, src, non_blocking=False):
        return _inplace.copy_(self, src)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return _creation.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
        _check_layout("new_zeros", layout, pin_memory, size)
        return _creation.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad,
                               device=device)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        _check_layout("new_ones", layout, pin_memory, size)
        return _creation.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad,
                              device=device)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False,
                 layout=None, pin_memory=False):
        _check_layout("new_full", layout, pin_memory, size)
        return _creation.full(size, fill_value, dtype=dtype or self.dtype,
                              requires_grad=requires_grad, device=device)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
        _check_layout("new_empty", layout, pin_memory, size)
        return _creation.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad,
                               device=device)


def _import_ops():
    global _convert, _creation, _inplace
    from .. import creation as _creation
    from ..ops import convert as _convert, _inplace
