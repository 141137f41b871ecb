"""Parameter: a Tensor that a Module registers as learnable when assigned as an attribute."""
from ..tensor import Tensor, _init
from ..backend import xp as _xp

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer"]


class Parameter(Tensor):
    """A leaf tensor with requires_grad=True (by default) that modules collect in
    `parameters()`. Shares memory with the data it wraps (as torch.nn.Parameter does)."""
    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _xp.empty(0, dtype=_xp.float32)
        arr = data._data if isinstance(data, Tensor) else _xp.asarray(data)
        p = object.__new__(cls)
        _init(p, arr)
        if isinstance(data, Tensor):
            p._version_counter = data._version_counter  # same storage, same version counter
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (Tensor.detach(self), self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(self._data.copy(), self._requires_grad)
        if self.grad is not None:
            p.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = p
        return p


class Buffer(Tensor):
    """torch.nn.Buffer: marks a tensor to be registered as a buffer on assignment."""
    __slots__ = ("persistent",)

    def __new__(cls, data=None, *, persistent=True):
        arr = data._data if isinstance(data, Tensor) else _xp.asarray(data)
        b = object.__new__(cls)
        _init(b, arr)
        b.persistent = persistent
        return b

    def __init__(self, data=None, *, persistent=True):
        pass


class _Uninitialized:
    """A placeholder whose shape is not known yet (lazy modules): `materialize(shape)` gives
    it storage and turns it into its final class, keeping its identity (an optimizer built
    before the first forward holds the same object)."""
    __slots__ = ()
    cls_to_become = None

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. "
                           "This error usually happens in `load_state_dict` when trying to "
                           "load an uninitialized parameter into an initialized one. Call "
                           "`forward` to initialize the parameters before accessing their "
                           "attributes.")

    def materialize(self, shape, device=None, dtype=None):
        dt = self._data.dtype if dtype is None else _np_dtype(dtype)
        self._data = _xp.empty(tuple(shape), dtype=dt)
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _np_dtype(dtype):
    return getattr(dtype, "np", dtype)


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter of a lazy module (nn.LazyLinear, ...) before its first forward."""
    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        p = Parameter.__new__(cls, _xp.empty(0, dtype=_np_dtype(dtype) or _xp.float32),
                              requires_grad)
        return p

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer of a lazy module (running statistics of nn.LazyBatchNorm1d) before its first
    forward."""
    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        b = object.__new__(cls)
        _init(b, _xp.empty(0, dtype=_np_dtype(dtype) or _xp.float32))
        return b

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass
