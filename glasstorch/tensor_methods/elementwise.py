"""Tensor's elementwise methods: arithmetic with alpha/rounding_mode (add, sub, mul, div), pow,
comparisons as methods (eq, isclose, ...), logical and bitwise ops, exp/log/sqrt, trig, sigmoid,
relu, clamp, rounding, erf, isnan & co; then fills (zero_, fill_) and random fills (uniform_,
normal_, bernoulli_, ...). Their in-place forms go through ops/_inplace.py; the rest delegate to
ops/arith.py, binary_math.py, compare.py, unary.py, trig.py, piecewise.py and random.py.
"""

# Bound by _import_ops(), which tensor.py calls at its end: these modules import Tensor, so they
# load once it exists (the one import cycle the design allows; tests/test_import_cycles.py).
_arith = _binary_math = _compare = _inplace = _piecewise = _random = _trig = _unary = None


class Elementwise:
    """Elementwise math, fills and random fills (tensor.py inherits them)."""
    __slots__ = ()     # Tensor declares every slot (and __dict__) itself

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


def _import_ops():
    global _arith, _binary_math, _compare, _inplace, _piecewise, _random, _trig, _unary
    from .. import random as _random
    from ..ops import (arith as _arith, binary_math as _binary_math, compare as _compare,
                       _inplace, piecewise as _piecewise, trig as _trig, unary as _unary)
