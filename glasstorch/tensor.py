"""Tensor: a backend array plus what autograd needs (requires_grad, grad, grad_fn, version).

Every method is a one-line delegation to a function in `ops/` (the op's forward and backward
live there, side by side). This file is the API's table of contents: `class Tensor` below holds
the data model and inherits its other methods from one class per group in tensor_methods/
(-> the modules each group delegates to):

  tensor.py (here)   data model (shape, dtype, requires_grad, .data, size/dim/numel), memory
                     layout (stride, contiguous, data_ptr), autograd (backward, register_hook,
                     retain_grad), printing, pickling, deepcopy, shared memory
                     -> ops/_strides.py, view.py, layout.py; autograd/engine.py, hooks.py;
                        _format.py
  tensor_methods/
    conversion.py    numpy, item, tolist, float(t)/int(t)/bool(t), to, float/long/..., cpu,
                     clone, detach, copy_, new_tensor/new_zeros/...
                     -> ops/convert.py, _inplace.py; creation.py
    operators.py     + - * / // % ** @ (reflected: 2 + t; in-place: t += 2), unary - + abs ~,
                     & | ^ << >>, == != < <= > >= (bool tensors; hashing is by identity)
                     -> ops/arith.py, binary_math.py, compare.py, unary.py, piecewise.py, linalg.py
    elementwise.py   add/sub/mul/div (alpha=, rounding_mode=), pow, eq/isclose as methods, logical
                     and bitwise ops, exp/log/sqrt, sin/tanh, sigmoid, relu, clamp, round, erf,
                     isnan; fills (zero_, fill_) and random fills (uniform_, normal_, bernoulli_)
                     -> ops/arith.py, binary_math.py, compare.py, unary.py, trig.py, piecewise.py;
                        random.py
    reductions.py    sum, mean, var/std, prod, max/min, amax, argmax, logsumexp, norm, all/any,
                     median, cumsum/cumprod, softmax/log_softmax; sort, argsort, topk, unique,
                     kthvalue -> ops/reduce.py, extrema.py, cumulative.py, softmax.py, sort.py
    linear_algebra.py  matmul, mm, bmm, mv, dot, outer, addmm, baddbmm, inner, vdot
                     -> ops/linalg.py, einsum.py
    shape.py         view, reshape, permute, transpose, t/T/mT, movedim, squeeze/unsqueeze,
                     flatten, expand, repeat/tile, split/chunk/unbind, narrow/select, diagonal,
                     flip/roll, tril/triu, unfold -> ops/view.py, slice.py, concat.py, join.py
    indexing.py      x[i], x[i] = v, gather/scatter, index_select/_add/_copy/_fill/_put,
                     masked_fill/_select/_scatter, where, nonzero, take -> ops/index.py,
                     index_dim.py, gather.py, mask.py (in-place forms: ops/_inplace.py)

`grep -n "def NAME" glasstorch/tensor.py glasstorch/tensor_methods/*.py` finds any method written
by hand. Made at import instead: in-place twins and NumPy-style aliases (`x.cos_()`, `x.arccos`:
_families.py), cauchy_, fill_diagonal_, as_strided & co (_tensor_extra.py), and the `axis=` /
`keepdims=` keywords of every dim-taking method (_aliases.py).

The graph links Node -> Node (autograd/node.py); a Tensor points to the node that made it
(`grad_fn`). Views share the array *and* the version counter `_version_counter` with their base,
so writing through a view bumps the base's version too (PyTorch's semantics; ops/_inplace.py).
"""
import builtins

from . import _dtype
from ._layout import strided as _strided
from ._device import CPU, check_device
from .backend import xp as _xp
from .autograd.grad_mode import STATE
from .tensor_methods import (conversion as _conversion, operators as _operators,
                             elementwise as _elementwise, reductions as _reductions,
                             linear_algebra as _linear_algebra, shape as _shape,
                             indexing as _indexing)
from .tensor_methods.conversion import READ_HOOKS  # noqa: F401  (jit/tracer.py appends to it)

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


# The base classes hold Tensor's other methods, one group each (the table at the top of this file)
class Tensor(_conversion.Conversion, _operators.Operators, _elementwise.Elementwise,
             _reductions.Reductions, _linear_algebra.LinearAlgebra, _shape.ShapeAndViews,
             _indexing.Indexing):
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

# Every module Tensor's methods delegate to, here and in tensor_methods/, in the order they have
# always loaded: op classes register in _registry.OPS as their module loads, and OPS's order
# names an op in errors (autograd/node.py's _op_name: the first name of a class) and traces.
from . import _format, creation as _creation  # noqa: E402,F401
from .autograd import engine as _engine, hooks as _hooks  # noqa: E402
from .ops import (unary as _unary, trig as _trig, piecewise as _piecewise,  # noqa: E402,F401
                  arith as _arith, binary_math as _binary_math, compare as _compare,
                  reduce as _reduce, extrema as _extrema, cumulative as _cumulative,
                  _strides, view as _view, slice as _slice, concat as _concat, join as _join,
                  index as _index, index_dim as _index_dim, gather as _gather, mask as _mask,
                  linalg as _linalg, einsum as _einsum, convert as _convert, _inplace,
                  softmax as _softmax, sort as _sort, layout as _layout)
from . import random as _random  # noqa: E402,F401

for _group in (_conversion, _operators, _elementwise, _reductions, _linear_algebra, _shape,
               _indexing):
    _group._import_ops()   # binds the ops modules above in each group's module
