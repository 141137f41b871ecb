"""Tensor's Python operators: + - * / // % ** @ and their reflected (2 + t) and in-place (t += 2)
forms, unary - + abs ~, bitwise & | ^ << >>, and the comparisons == != < <= > >=, which return
bool tensors. They delegate to ops/arith.py, binary_math.py, compare.py, unary.py, piecewise.py,
linalg.py (@) and ops/_inplace.py (the in-place forms). x[i] is in indexing.py.
"""
from .. import _dtype
from ..backend import ndarray as _ndarray


# Bound by _import_ops(), which tensor.py calls at its end: these modules import Tensor, so they
# load once it exists (the one import cycle the design allows; tests/test_import_cycles.py).
Tensor = _arith = _binary_math = _compare = _creation = _inplace = _linalg = None
_piecewise = _unary = None


class Operators:
    """The operator overloads (tensor.py inherits them)."""
    __slots__ = ()     # Tensor declares every slot (and __dict__) itself

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

    # comparisons return bool tensors, so a Tensor is hashed by identity: Python would
    # set __hash__ = None in this class, which defines __eq__, without this one
    def __hash__(self):
        return id(self)

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


def _import_ops():
    global Tensor, _arith, _binary_math, _compare, _creation
    global _inplace, _linalg, _piecewise, _unary
    from ..tensor import Tensor
    from .. import creation as _creation
    from ..ops import (arith as _arith, binary_math as _binary_math, compare as _compare,
                       _inplace, linalg as _linalg, piecewise as _piecewise, unary as _unary)
