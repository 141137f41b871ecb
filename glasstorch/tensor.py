"""Tensor: a backend array plus what autograd needs (requires_grad, grad, grad_fn, version).

Every method is a one-line delegation to a function in `ops/` (the op's forward and backward
live there, side by side); this file holds only the data model: construction, properties,
views' bookkeeping, printing and the operator overloads. The graph links Node -> Node
(autograd/node.py); a Tensor points to the node that made it (`grad_fn`).

Views share the array *and* the version counter `_version_counter` with their base, so writing
through a view bumps the base's version too (PyTorch's semantics; see ops/_inplace.py).
"""
import builtins

from . import _dtype
from ._layout import check_options as _check_layout, strided as _strided
from ._device import CPU, check_device, device as _device
from .backend import xp as _xp, ndarray as _ndarray
from .autograd.grad_mode import STATE

_new = object.__new__


class Size(tuple):
    """torch.Size: a tuple of ints that prints as `torch.Size([2, 3])`."""
    __slots__ = ()

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r


class Tensor:
    """A multi-dimensional array with autograd. Create with `glasstorch.tensor(...)` & co."""
    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "_version_counter", "_base", "_accum",
                 "_out_nr", "_view_fn", "_grad_fn_version", "_hooks", "_retains_grad", "__dict__",
                 "__weakref__")
    __array_ufunc__ = None     # numpy scalars/arrays defer to our reflected operators
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, device=None):
        # torch.Tensor(2, 3) -> uninitialized float tensor; torch.Tensor([1, 2]) -> from data
        check_device(device)
        d = dtype or _dtype.get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], builtins.int):
            arr = _xp.array(args[0].numpy() if isinstance(args[0], Tensor) else args[0],
                            dtype=d.np)
        else:
            shape = tuple(args[0]) if len(args) == 1 and not isinstance(args[0], int) else \
                args or (0,)                       # torch.Tensor(): an empty 1-D tensor
            arr = _xp.zeros(shape, dtype=d.np)
        _init(self, arr)

    # ---- data model ------------------------------------------------------------------------
    @property
    def data(self):
        """The same storage without autograd history (no version sharing, as in PyTorch)."""
        return _make(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else _xp.asarray(value)

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        self._requires_grad = builtins.bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def _version(self):
        return self._version_counter[0]

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self):
        return False

    is_cpu = property(lambda self: True, doc="True: glasstorch tensors live on the CPU")
    layout = property(lambda self: _strided, doc="torch.strided: tensors are dense")
    # torch's other device and layout flags (e.g. dcgan tests `x.is_xpu`): all False here
    is_xpu = is_mps = is_meta = is_ipu = is_maia = is_mtia = is_xla = is_vulkan = is_mkldnn = \
        is_nested = is_quantized = is_sparse = is_sparse_csr = property(lambda self: False)

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return False

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    # ---- memory layout -----------------------------------------------------------------------
    def stride(self, dim=None):
        """Strides in elements (NumPy's are in bytes)."""
        st = _strides.strides_of(self)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self):
        return _view.storage_offset_of(self)

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def untyped_storage(self):
        return _view.storage_of(self)

    def is_contiguous(self, memory_format=None):
        return _layout.is_contiguous(self, memory_format)

    def contiguous(self, memory_format=None):
        return _view.contiguous(self, memory_format)

    def is_set_to(self, other):
        return self._data is other._data or (
            self.data_ptr() == other.data_ptr() and self.shape == other.shape
            and self.stride() == other.stride())

    # ---- conversion --------------------------------------------------------------------------
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

    # ---- autograd ----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (they add up until zeroed).
        See autograd/engine.py for the algorithm."""
        _engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """hook(grad) -> None or a replacement grad; runs when this tensor's grad is computed."""
        return _hooks.register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(self) -> None; runs after this leaf's `.grad` received a backward's gradient
        (DistributedDataParallel uses it to start reducing gradients during backward)."""
        return _hooks.register_post_accumulate_grad_hook(self, hook)

    def retain_grad(self):
        _hooks.retain_grad(self)

    @property
    def retains_grad(self):
        return self.grad_fn is not None and getattr(self, "_retains_grad", False)

    @property
    def output_nr(self):
        return self._out_nr

    # ---- printing ----------------------------------------------------------------------------
    def __repr__(self):      # (no __str__, as torch: print() shows a subclass's __repr__,
        return _format.tensor_repr(self)   # "Parameter containing:")

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __reduce_ex__(self, protocol):
        # pickling (DataLoader workers, deepcopy): data, dtype, requires_grad; no graph
        from .multiprocessing import shared
        if shared.is_shared_array(self._data):   # another process maps the same memory
            return (_rebuild_shared,
                    (shared.reduce_shared(self._data), self._requires_grad, self.grad))
        return (_rebuild, (self._data, self._requires_grad, self.grad))

    def share_memory_(self):
        """Move the data to shared memory (glasstorch/multiprocessing/shared.py), in place:
        processes forked later, or given this tensor through pickling, see the same bytes."""
        from .multiprocessing import shared
        self._data = shared.share_array(self._data)
        return self

    def is_shared(self):
        from .multiprocessing import shared
        return shared.is_shared_array(self._data)

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        t = type(self).__new__(type(self))
        _init(t, self._data.copy())
        t._requires_grad = self._requires_grad
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        if hasattr(self, "__dict__"):
            import copy
            for k, v in self.__dict__.items():
                t.__dict__[k] = copy.deepcopy(v, memo)
        memo[id(self)] = t
        return t

    # ---- arithmetic operators (ops/arith.py, binary_math.py, compare.py) --------------------
    def __add__(self, other):
        return _arith.add(self, other)

    def __radd__(self, other):
        return _arith.add(self, other)

    def __iadd__(self, other):
        return _inplace.inplace(self, _arith.add, other)

    def __sub__(self, other):
        return _arith.sub(self, other)

    def __rsub__(self, other):
        return _arith.rsub(self, other)

    def __isub__(self, other):
        return _inplace.inplace(self, _arith.sub, other)

    def __mul__(self, other):
        return _arith.mul(self, other)

    def __rmul__(self, other):
        return _arith.mul(self, other)

    def __imul__(self, other):
        return _inplace.inplace(self, _arith.mul, other)

    def __truediv__(self, other):
        return _arith.div(self, other)

    def __rtruediv__(self, other):
        return _arith.rdiv(self, other)

    def __itruediv__(self, other):
        return _inplace.inplace(self, _arith.div, other)

    def __floordiv__(self, other):
        return _arith.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _arith.rfloor_divide(self, other)

    def __ifloordiv__(self, other):
        return _inplace.inplace(self, _arith.floor_divide, other)

    def __mod__(self, other):
        return _arith.remainder(self, other)

    def __rmod__(self, other):
        return _arith.rremainder(self, other)

    def __imod__(self, other):
        return _inplace.inplace(self, _arith.remainder, other)

    def __pow__(self, other):
        return _binary_math.pow(self, other)

    def __rpow__(self, other):
        return _binary_math.rpow(self, other)

    def __ipow__(self, other):
        return _inplace.inplace(self, _binary_math.pow, other)

    def __matmul__(self, other):
        try:
            return _linalg.matmul(self, other)
        except AttributeError:          # (the error path: `other` is no tensor)
            if isinstance(other, Tensor):
                raise
            if isinstance(other, _ndarray):       # torch takes a NumPy array, promoting
                other = _creation.as_tensor(other)
                dt = _dtype.promote_types(self.dtype, other.dtype)
                return _linalg.matmul(self.to(dt), other.to(dt))
            return NotImplemented       # Python's TypeError: unsupported operand type(s) for @

    def __rmatmul__(self, other):
        if isinstance(other, _ndarray):
            return _linalg.matmul(_creation.as_tensor(other), self)
        return NotImplemented

    def __neg__(self):
        return _unary.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _unary.abs(self)

    def __invert__(self):
        return _piecewise._invert(self)

    def __and__(self, other):
        return _compare.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _compare.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _compare.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __iand__(self, other):
        return _inplace.inplace(self, _compare.bitwise_and, other)

    def __ior__(self, other):
        return _inplace.inplace(self, _compare.bitwise_or, other)

    def __ixor__(self, other):
        return _inplace.inplace(self, _compare.bitwise_xor, other)

    def __lshift__(self, other):
        return _compare.bitwise_left_shift(self, other)

    def __rshift__(self, other):
        return _compare.bitwise_right_shift(self, other)

    # comparisons return bool tensors (so Tensor is hashed by identity, see __hash__)
    def __eq__(self, other):
        return _compare.eq(self, other)

    def __ne__(self, other):
        return _compare.ne(self, other)

    def __lt__(self, other):
        return _compare.lt(self, other)

    def __le__(self, other):
        return _compare.le(self, other)

    def __gt__(self, other):
        return _compare.gt(self, other)

    def __ge__(self, other):
        return _compare.ge(self, other)

    # ---- indexing (ops/index.py, gather.py, mask.py) -----------------------------------------
    def __getitem__(self, index):
        return _index.getitem(self, index)

    def __setitem__(self, index, value):
        _index.setitem(self, index, value)


    # ---- elementwise math (ops/unary.py, trig.py, piecewise.py, binary_math.py) --------------
    def add(self, other, *, alpha=1):
        return _arith.add(self, other, alpha=alpha)

    def add_(self, other, *, alpha=1):
        return _inplace.inplace(self, _arith.add, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _arith.sub(self, other, alpha=alpha)

    def sub_(self, other, *, alpha=1):
        return _inplace.inplace(self, _arith.sub, other, alpha=alpha)

    subtract = sub

    def mul(self, other):
        return _arith.mul(self, other)

    def mul_(self, other):
        return _inplace.inplace(self, _arith.mul, other)

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        return _arith.div(self, other, rounding_mode=rounding_mode)

    def div_(self, other, *, rounding_mode=None):
        return _inplace.inplace(self, _arith.div, other, rounding_mode=rounding_mode)

    divide = true_divide = div

    def floor_divide(self, other):
        return _arith.floor_divide(self, other)

    def remainder(self, other):
        return _arith.remainder(self, other)

    def fmod(self, other):
        return _arith.fmod(self, other)

    def pow(self, exponent):
        return _binary_math.pow(self, exponent)

    def pow_(self, exponent):
        return _inplace.inplace(self, _binary_math.pow, exponent)

    def maximum(self, other):
        return _compare.maximum(self, other)

    def minimum(self, other):
        return _compare.minimum(self, other)

    def atan2(self, other):
        return _binary_math.atan2(self, other)

    def lerp(self, end, weight):
        return _binary_math.lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return _binary_math.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return _binary_math.addcdiv(self, tensor1, tensor2, value=value)

    def eq(self, other):
        return _compare.eq(self, other)

    def ne(self, other):
        return _compare.ne(self, other)

    def lt(self, other):
        return _compare.lt(self, other)

    def le(self, other):
        return _compare.le(self, other)

    def gt(self, other):
        return _compare.gt(self, other)

    def ge(self, other):
        return _compare.ge(self, other)

    def equal(self, other):
        return _compare.equal(self, other)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _compare.allclose(self, other, rtol=rtol, atol=atol, equal_nan=equal_nan)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _compare.isclose(self, other, rtol=rtol, atol=atol, equal_nan=equal_nan)

    def logical_and(self, other):
        return _compare.logical_and(self, other)

    def logical_or(self, other):
        return _compare.logical_or(self, other)

    def logical_xor(self, other):
        return _compare.logical_xor(self, other)

    def floor_divide_(self, other):
        return _inplace.inplace(self, _arith.floor_divide, other)

    def remainder_(self, other):
        return _inplace.inplace(self, _arith.remainder, other)

    def fmod_(self, other):
        return _inplace.inplace(self, _arith.fmod, other)

    def float_power(self, exponent):
        return _binary_math.float_power(self, exponent)

    def fmax(self, other):
        return _compare.fmax(self, other)

    def fmin(self, other):
        return _compare.fmin(self, other)

    def atan2_(self, other):
        return _inplace.inplace(self, _binary_math.atan2, other)

    arctan2 = atan2

    def hypot(self, other):
        return _binary_math.hypot(self, other)

    def xlogy(self, other):
        return _binary_math.xlogy(self, other)

    def copysign(self, other):
        return _binary_math.copysign(self, other)

    def lerp_(self, end, weight):
        return _inplace.inplace(self, _binary_math.lerp, end, weight)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return _inplace.inplace(self, _binary_math.addcmul, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return _inplace.inplace(self, _binary_math.addcdiv, tensor1, tensor2, value=value)

    def bitwise_and(self, other):
        return _compare.bitwise_and(self, other)

    def bitwise_or(self, other):
        return _compare.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return _compare.bitwise_xor(self, other)

    def bitwise_left_shift(self, other):
        return _compare.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        return _compare.bitwise_right_shift(self, other)

    def logical_not(self):
        return _piecewise.logical_not(self)

    def neg(self):
        return _unary.neg(self)

    negative = neg

    def neg_(self):
        return _inplace.inplace(self, _unary.neg)

    def abs(self):
        return _unary.abs(self)

    def abs_(self):
        return _inplace.inplace(self, _unary.abs)

    def exp(self):
        return _unary.exp(self)

    def exp_(self):
        return _inplace.inplace(self, _unary.exp, snapshot=False)  # Exp keeps its output

    def exp2(self):
        return _unary.exp2(self)

    def log(self):
        return _unary.log(self)

    def log_(self):
        return _inplace.inplace(self, _unary.log)

    def log2(self):
        return _unary.log2(self)

    def log10(self):
        return _unary.log10(self)

    def log1p(self):
        return _unary.log1p(self)

    def expm1(self):
        return _unary.expm1(self)

    def sqrt(self):
        return _unary.sqrt(self)

    def sqrt_(self):
        return _inplace.inplace(self, _unary.sqrt)

    def rsqrt(self):
        return _unary.rsqrt(self)

    def square(self):
        return _unary.square(self)

    def sin(self):
        return _trig.sin(self)

    def cos(self):
        return _trig.cos(self)

    def tan(self):
        return _trig.tan(self)

    def asin(self):
        return _trig.asin(self)

    def acos(self):
        return _trig.acos(self)

    def atan(self):
        return _trig.atan(self)

    def sinh(self):
        return _trig.sinh(self)

    def cosh(self):
        return _trig.cosh(self)

    def tanh(self):
        return _trig.tanh(self)

    def tanh_(self):
        return _inplace.inplace(self, _trig.tanh, snapshot=False)  # Tanh keeps its output

    def sigmoid(self):
        return _unary.sigmoid(self)

    def sigmoid_(self):
        return _inplace.inplace(self, _unary.sigmoid, snapshot=False)  # keeps its output

    def relu(self):
        return _piecewise.relu(self)

    def relu_(self):
        return _inplace.inplace(self, _piecewise.relu, snapshot=False)  # Relu keeps its output

    def clamp(self, min=None, max=None):
        return _piecewise.clamp(self, min, max)

    def clamp_(self, min=None, max=None):
        return _inplace.inplace(self, _piecewise.clamp, min, max)

    clip = clamp
    clip_ = clamp_

    def clamp_min(self, min):
        return _piecewise.clamp(self, min, None)

    def clamp_max(self, max):
        return _piecewise.clamp(self, None, max)

    def sign(self):
        return _unary.sign(self)

    def sgn(self):
        return _unary.sgn(self)

    def floor(self):
        return _piecewise.floor(self)

    def floor_(self):
        return _inplace.inplace(self, _piecewise.floor)

    def ceil(self):
        return _piecewise.ceil(self)

    def round(self, *, decimals=0):
        return _piecewise.round(self, decimals=decimals)

    def trunc(self):
        return _piecewise.trunc(self)

    def frac(self):
        return _piecewise.frac(self)

    def reciprocal(self):
        return _unary.reciprocal(self)

    def reciprocal_(self):
        return _inplace.inplace(self, _unary.reciprocal)

    def erf(self):
        return _unary.erf(self)

    def erfc(self):
        return _unary.erfc(self)

    def erfinv(self):
        return _unary.erfinv(self)

    def bitwise_not(self):
        return _piecewise.bitwise_not(self)

    def isnan(self):
        return _piecewise.isnan(self)

    def isinf(self):
        return _piecewise.isinf(self)

    def isfinite(self):
        return _piecewise.isfinite(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _piecewise.nan_to_num(self, nan, posinf, neginf)

    def zero_(self):
        return _inplace.fill_(self, 0)

    def fill_(self, value):
        return _inplace.fill_(self, value)

    def uniform_(self, *args, generator=None, **kwargs):
        # torch: uniform_(from=0, to=1, *, generator=None); `from` is a Python keyword, so
        # it comes by position or as **{"from": x} (_random_args.py parses it as torch does)
        return _random.uniform_(self, *args, generator=generator, **kwargs)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return _random.normal_(self, mean, std, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        return _random.bernoulli_(self, p, generator=generator)

    def exponential_(self, lambd=1.0, *, generator=None):
        return _random.exponential_(self, lambd, generator=generator)

    def random_(self, *args, generator=None, **kwargs):
        # torch: random_(), random_(to), random_(from, to) (`from` as for uniform_)
        return _random.random_(self, *args, generator=generator, **kwargs)

    def bernoulli(self, p=None, *, generator=None):
        return _random.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _random.multinomial(self, num_samples, replacement, generator=generator)

    # ---- reductions (ops/reduce.py, extrema.py, cumulative.py, softmax.py) -------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _reduce.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _reduce.mean(self, dim, keepdim, dtype=dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _reduce.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _reduce.std(self, dim, unbiased, keepdim, correction=correction)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _reduce.prod(self, dim, keepdim, dtype=dtype)

    def max(self, dim=None, keepdim=False, *, other=None):
        return _extrema.max(self, dim, keepdim, other=other)

    def min(self, dim=None, keepdim=False, *, other=None):
        return _extrema.min(self, dim, keepdim, other=other)

    def amax(self, dim=(), keepdim=False):
        return _extrema.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _extrema.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _extrema.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _extrema.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return _extrema.logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return _cumulative.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None):
        return _cumulative.cumprod(self, dim, dtype=dtype)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _reduce.norm(self, p, dim, keepdim, dtype=dtype)

    def all(self, dim=None, keepdim=False):
        return _reduce.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _reduce.any(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        return _reduce.count_nonzero(self, dim)

    def median(self, dim=None, keepdim=False):
        return _extrema.median(self, dim, keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        return _extrema.aminmax(self, dim=dim, keepdim=keepdim)

    def softmax(self, dim, dtype=None):
        return _softmax.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        return _softmax.log_softmax(self, dim, dtype=dtype)

    # ---- sorting (ops/sort.py) ---------------------------------------------------------------
    def sort(self, dim=-1, descending=False, stable=False):
        return _sort.sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return _sort.argsort(self, dim, descending, stable=stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _sort.topk(self, k, dim, largest, sorted)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _sort.unique(self, sorted, return_inverse, return_counts, dim)

    def msort(self):
        return _sort.msort(self)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return _sort.kthvalue(self, k, dim, keepdim)

    # ---- linear algebra (ops/linalg.py) ------------------------------------------------------
    def matmul(self, other):
        return _linalg.matmul(self, other)

    def mm(self, mat2):
        return _linalg.mm(self, mat2)

    def bmm(self, mat2):
        return _linalg.bmm(self, mat2)

    def mv(self, vec):
        return _linalg.mv(self, vec)

    def dot(self, tensor):
        return _linalg.dot(self, tensor)

    def outer(self, vec2):
        return _linalg.outer(self, vec2)

    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _linalg.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _linalg.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def inner(self, other):
        return _einsum.inner(self, other)

    def vdot(self, other):
        return _linalg.vdot(self, other)

    # ---- shape and views (ops/view.py, slice.py, join.py) ------------------------------------
    def view(self, *shape, size=None, dtype=None):
        if size is None and dtype is None:       # the common call: no keyword to pass on
            return _view.view(self, *shape)
        return _view.view(self, *shape, size=size, dtype=dtype)

    def view_as(self, other):
        return _view.view(self, other.shape)

    def reshape(self, *sizes, shape=None):
        if shape is None:
            return _view.reshape(self, *sizes)
        return _view.reshape(self, *sizes, shape=shape)

    def reshape_as(self, other):
        return _view.reshape(self, other.shape)

    def permute(self, *args, dims=None):
        if dims is None:
            return _view.permute(self, *args)
        return _view.permute(self, *args, dims=dims)

    def transpose(self, dim0, dim1):
        return _view.transpose(self, dim0, dim1)

    swapdims = transpose

    def swapaxes(self, axis0, axis1):
        return _view.transpose(self, axis0, axis1)

    def t(self):
        return _view.t(self)

    @property
    def T(self):
        return _view.permute(self, *range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self):
        return _view.transpose(self, -2, -1)

    def movedim(self, source, destination):
        return _view.movedim(self, source, destination)

    moveaxis = movedim

    def squeeze(self, dim=None):
        return _view.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _view.unsqueeze(self, dim)

    def unsqueeze_(self, dim):
        return _view.unsqueeze_(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return _view.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _view.unflatten(self, dim, sizes)

    def expand(self, *sizes, size=None, implicit=False):
        return _view.expand(self, *sizes, size=size)

    def expand_as(self, other):
        return _view.expand(self, other.shape)

    def broadcast_to(self, size):
        return _view.expand(self, size)

    def repeat(self, *sizes, repeats=None):
        return _join.repeat(self, *sizes, repeats=repeats)

    def tile(self, *args, dims=None):
        return _join.tile(self, *args, dims=dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return _join.repeat_interleave(self, repeats, dim, output_size=output_size)

    def split(self, split_size, dim=0):
        return _concat.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _concat.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return _concat.unbind(self, dim)

    def narrow(self, dim, start, length):
        return _slice.narrow(self, dim, start, length)

    def select(self, dim, index):
        return _slice.select(self, dim, index)

    def flip(self, *args, dims=None):
        if dims is None:
            return _join.flip(self, *args)
        return _join.flip(self, *args, dims=dims)

    def roll(self, shifts, dims=None):
        return _join.roll(self, shifts, dims)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _slice.diagonal(self, offset, dim1, dim2)

    def tril(self, diagonal=0):
        return _join.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _join.triu(self, diagonal)

    def unfold(self, dimension, size, step):
        return _slice.unfold(self, dimension, size, step)

    # ---- indexing (ops/index.py, gather.py, mask.py) -----------------------------------------
    def gather(self, dim, index, *, sparse_grad=False):
        return _gather.gather(self, dim, index, sparse_grad=sparse_grad)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return _gather.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return _inplace.inplace(self, _gather.scatter, dim, index, src, value=value,
                                reduce=reduce, direct=True)

    def scatter_add(self, dim, index, src):
        return _gather.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return _inplace.inplace(self, _gather.scatter_add, dim, index, src, direct=True)

    def index_select(self, dim, index):
        return _index_dim.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return _index_dim.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        # direct: writes into self's buffer, O(indexed rows) (ops/_inplace.py)
        _inplace.check_no_overlap(self, index, source)
        return _inplace.inplace(self, _index_dim.index_add, dim, index, source, alpha=alpha,
                                direct=True)

    def index_copy(self, dim, index, source):
        return _index_dim.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        _inplace.check_no_overlap(self, index, source)
        return _inplace.inplace(self, _index_dim.index_copy, dim, index, source, direct=True)

    def index_fill(self, dim, index, value):
        return _index_dim.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return _inplace.inplace(self, _index_dim.index_fill, dim, index, value, direct=True)

    def index_put(self, indices, values, accumulate=False):
        return _index.index_put(self, indices, values, accumulate)

    def index_put_(self, indices, values, accumulate=False):
        _inplace.check_no_overlap(self, values, *(indices if type(indices) in (tuple, list)
                                                  else ()))
        return _inplace.inplace(self, _index.index_put, indices, values, accumulate,
                                direct=True)

    def masked_fill(self, mask, value):
        return _mask.masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        return _inplace.inplace(self, _mask.masked_fill, mask, value, direct=True)

    def masked_select(self, mask):
        return _mask.masked_select(self, mask)

    def masked_scatter(self, mask, source):
        return _mask.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return _inplace.inplace(self, _mask.masked_scatter, mask, source, direct=True)

    def where(self, condition, other):
        return _mask.where(condition, self, other)

    def nonzero(self, *, as_tuple=False):
        return _mask.nonzero(self, as_tuple=as_tuple)

    def take_along_dim(self, indices, dim=None):
        return _gather.take_along_dim(self, indices, dim)

    def take(self, index):
        return _gather.take(self, index)


def _init(t, arr):
    t._data = arr
    t._requires_grad = False
    t.grad = None
    t.grad_fn = None
    t._version_counter = [0]
    t._base = None
    t._accum = None
    t._out_nr = 0


def _make(data, grad_fn=None):
    """The fast internal constructor: wrap a backend array (no copy, no argument parsing)."""
    t = _new(Tensor)
    t._data = data
    t.grad_fn = grad_fn
    t._requires_grad = grad_fn is not None
    t.grad = None
    t._version_counter = [0]
    t._base = None
    t._accum = None
    t._out_nr = 0
    return t


# Readers see Python reading a tensor's value (`bool(t)`, `t.item()`, `t.tolist()`): the jit
# tracer warns there, because a trace freezes whatever branch that value chose. Empty (one
# falsy check) unless a tracer listens.
READ_HOOKS = []


def _tell_readers(t, how):
    for fn in READ_HOOKS:
        fn(t, how)


def _rebuild(data, requires_grad, grad):
    t = _make(data)
    t._requires_grad = requires_grad
    t.grad = grad
    return t


def _rebuild_shared(handle, requires_grad, grad):
    fn, args = handle
    return _rebuild(fn(*args), requires_grad, grad)


def _wrap_dim(dim, ndim, op=None):
    """Normalize a possibly negative dim; IndexError in PyTorch's words when out of range,
    followed by the op (`op`, else the first public function that called) and the rank."""
    n = ndim if ndim > 0 else 1
    if dim.__class__ is not int:    # a NumPy int or 0-d tensor is a dim; a float or str is not
        try:
            dim = dim.__index__()
        except (AttributeError, TypeError):
            raise TypeError(f"{op or _caller_op()}(): argument 'dim' must be int, not "
                            f"{type(dim).__name__}") from None
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim}): {op or _caller_op()}() on a {ndim}-D tensor")
    return dim + n if dim < 0 else dim


_NOT_OPS = ("with_aliases", "method", "fn", "dims_tuple")   # wrappers and helpers


def _caller_op():
    """The op an error is raised for: the nearest calling function with a public name (error
    path only: `softmax` above `_prepare` above `_wrap_dim`)."""
    import sys
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_name
        if not name.startswith(("_", "<")) and name not in _NOT_OPS:
            return name
        frame = frame.f_back
    return "dim"


def _dtype_of(arr):
    return _dtype.from_numpy_dtype(arr.dtype)


from .autograd import node as _node  # noqa: E402  (autograd needs Tensor defined first)

_node._bind(Tensor, _make, _dtype_of)

from . import _format, creation as _creation  # noqa: E402
from .autograd import engine as _engine, hooks as _hooks  # noqa: E402
from .ops import (unary as _unary, trig as _trig, piecewise as _piecewise,  # noqa: E402
                  arith as _arith, binary_math as _binary_math, compare as _compare,
                  reduce as _reduce, extrema as _extrema, cumulative as _cumulative,
                  _strides, view as _view, slice as _slice, concat as _concat, join as _join,
                  index as _index, index_dim as _index_dim, gather as _gather, mask as _mask,
                  linalg as _linalg, einsum as _einsum, convert as _convert, _inplace,
                  softmax as _softmax, sort as _sort, layout as _layout)
from . import random as _random  # noqa: E402
