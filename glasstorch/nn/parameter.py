"""Parameter: a Tensor that a Module registers as learnable when assigned as an attribute."""
from ..tensor import Tensor, _init
from ..backend import xp as _xp

__all__ = ["Parameter", "Buffer", "UninitializedParameter"]


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


UninitializedParameter = Parameter
