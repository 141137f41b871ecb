"""torch.autograd.Variable: the pre-0.4 wrapper, today just a Tensor.

`Variable(t, requires_grad=True)` returns a tensor sharing t's data (detached from t's graph)
with requires_grad set; `isinstance(x, Variable)` is true for every Tensor, as in torch.
"""


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from ..tensor import Tensor
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data=None, requires_grad=False, volatile=False):
        from ..creation import tensor
        from ..tensor import Tensor
        t = data.detach() if isinstance(data, Tensor) else tensor(data if data is not None
                                                                   else [])
        return t.requires_grad_(requires_grad) if requires_grad else t
