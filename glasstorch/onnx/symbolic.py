"""ONNX translations of the tensor ops (elementwise, reductions, linalg, softmax).

`SYMBOLICS[op](b, node) -> output name(s)`: `node.args` are exactly what the op's forward got
(Values for tensors, Python attributes otherwise); `b` is onnx/__init__.py's Builder. The table
and the argument helpers are in _symbolic_base.py; shapes and indexing in symbolic_shape.py; the
nn ops (conv, pooling, norms, RNNs, attention...) in symbolic_nn.py. Importing this module
registers all of them.
"""
import math

import numpy as np

from ..jit.ir import Value
from ._symbolic_base import SYMBOLICS, _reduce, inp, out_dtype, register, scalar
from . import symbolic_nn, symbolic_shape  # noqa: F401  (they register the nn and shape ops)

__all__ = ["SYMBOLICS"]


# ---- elementwise ----------------------------------------------------------------------------

_UNARY = {"neg": "Neg", "abs": "Abs", "sign": "Sign", "exp": "Exp", "log": "Log",
          "sqrt": "Sqrt", "reciprocal": "Reciprocal", "sin": "Sin", "cos": "Cos", "tan": "Tan",
          "asin": "Asin", "acos": "Acos", "atan": "Atan", "sinh": "Sinh", "cosh": "Cosh",
          "asinh": "Asinh", "acosh": "Acosh", "atanh": "Atanh", "tanh": "Tanh",
          "sigmoid": "Sigmoid", "relu": "Relu", "floor": "Floor", "ceil": "Ceil", "erf": "Erf"}


def _unary(onnx_op):
    return lambda b, n: b.op(onnx_op, [inp(b, n, 0)])


for _name, _op in _UNARY.items():
    SYMBOLICS[_name] = _unary(_op)


@register("rsqrt")
def _rsqrt(b, n):
    return b.op("Reciprocal", [b.op("Sqrt", [inp(b, n, 0)])])


@register("square")
def _square(b, n):
    x = inp(b, n, 0)
    return b.op("Mul", [x, x])


@register("exp2")
def _exp2(b, n):
    return b.op("Pow", [scalar(b, 2, out_dtype(n)), inp(b, n, 0)])


@register("expm1")
def _expm1(b, n):
    return b.op("Sub", [b.op("Exp", [inp(b, n, 0)]), scalar(b, 1, out_dtype(n))])


@register("log1p")
def _log1p(b, n):
    return b.op("Log", [b.op("Add", [inp(b, n, 0), scalar(b, 1, out_dtype(n))])])


@register("log2", "log10")
def _log_base(b, n):
    base = 2.0 if n.op == "log2" else 10.0
    return b.op("Div", [b.op("Log", [inp(b, n, 0)]), scalar(b, math.log(base), out_dtype(n))])


@register("erfc")
def _erfc(b, n):
    return b.op("Sub", [scalar(b, 1, out_dtype(n)), b.op("Erf", [inp(b, n, 0)])])


@register("trunc")
def _trunc(b, n):
    x = inp(b, n, 0)
    return b.op("Mul", [b.op("Sign", [x]), b.op("Floor", [b.op("Abs", [x])])])


@register("frac")
def _frac(b, n):
    x = inp(b, n, 0)
    return b.op("Sub", [x, _trunc(b, n)])


@register("round")
def _round(b, n):
    if n.args[1]:
        scale = scalar(b, 10.0 ** n.args[1], out_dtype(n))
        return b.op("Div", [b.op("Round", [b.op("Mul", [inp(b, n, 0), scale])]), scale])
    return b.op("Round", [inp(b, n, 0)])


@register("clamp")
def _clamp(b, n):
    lo = "" if n.args[1] is None else inp(b, n, 1)
    hi = "" if n.args[2] is None else inp(b, n, 2)
    if isinstance(n.args[1], Value) or isinstance(n.args[2], Value):  # tensor bounds broadcast
        y = inp(b, n, 0)
        y = b.op("Max", [y, lo]) if lo else y
        return b.op("Min", [y, hi]) if hi else y
    return b.op("Clip", [inp(b, n, 0), lo, hi])


_BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow",
           "maximum": "Max", "minimum": "Min"}


def _binary(onnx_op):
    def fn(b, n):
        dt = out_dtype(n)
        if onnx_op == "Pow":  # Pow's exponent may keep its own type
            return b.op("Pow", [inp(b, n, 0), inp(b, n, 1)])
        other = inp(b, n, 1, dt)
        alpha = n.kwargs.get("alpha", 1)   # add/sub: a +- alpha * b
        if alpha != 1:
            other = b.op("Mul", [other, scalar(b, alpha, dt)])
        return b.op(onnx_op, [inp(b, n, 0, dt), other])
    return fn


for _name, _op in _BINARY.items():
    SYMBOLICS[_name] = _binary(_op)


@register("remainder", "remainder.Scalar_Tensor", "fmod")
def _mod(b, n):
    dt = out_dtype(n)
    a, c = inp(b, n, 0, dt), inp(b, n, 1, dt)
    if n.op == "fmod":
        return b.op("Mod", [a, c], fmod=1)
    if dt.kind != "f":
        return b.op("Mod", [a, c], fmod=0)
    # floats: a - floor(a / c) * c (torch's remainder takes the divisor's sign)
    return b.op("Sub", [a, b.op("Mul", [b.op("Floor", [b.op("Div", [a, c])]), c])])


@register("floor_divide")
def _floor_divide(b, n):
    dt = out_dtype(n)
    q = b.op("Div", [inp(b, n, 0, dt), inp(b, n, 1, dt)])
    return b.op("Floor", [q]) if dt.kind == "f" else q


@register("div.Tensor_mode")
def _div_mode(b, n):
    dt = out_dtype(n)
    a, c = inp(b, n, 0, "float64" if dt.kind != "f" else dt), \
        inp(b, n, 1, "float64" if dt.kind != "f" else dt)
    q = b.op("Div", [a, c])
    mode = n.args[2]
    if mode == "floor":
        q = b.op("Floor", [q])
    elif mode == "trunc":
        q = b.op("Mul", [b.op("Sign", [q]), b.op("Floor", [b.op("Abs", [q])])])
    if dt.kind != "f":
        q = b.op("Cast", [q], to=b.helper.np_dtype_to_tensor_dtype(dt))
    return q


@register("hypot")
def _hypot(b, n):
    a, c = inp(b, n, 0), inp(b, n, 1)
    return b.op("Sqrt", [b.op("Add", [b.op("Mul", [a, a]), b.op("Mul", [c, c])])])


@register("lerp")
def _lerp(b, n):
    a, c, w = inp(b, n, 0), inp(b, n, 1), inp(b, n, 2)
    return b.op("Add", [a, b.op("Mul", [w, b.op("Sub", [c, a])])])


@register("addcmul", "addcdiv")
def _addc(b, n):
    t = b.op("Mul" if n.op == "addcmul" else "Div", [inp(b, n, 1), inp(b, n, 2)])
    return b.op("Add", [inp(b, n, 0), b.op("Mul", [t, inp(b, n, 3)])])


@register("where")
def _where(b, n):
    return b.op("Where", [inp(b, n, 0, "bool"), inp(b, n, 1), inp(b, n, 2)])


@register("masked_fill")
def _masked_fill(b, n):
    return b.op("Where", [inp(b, n, 1, "bool"), inp(b, n, 2), inp(b, n, 0)])


@register("to")
def _to(b, n):
    return b.op("Cast", [b.name(n.args[0])],
                to=b.helper.np_dtype_to_tensor_dtype(out_dtype(n)))


@register("clone")
def _clone(b, n):
    return b.op("Identity", [b.name(n.args[0])])


# ---- reductions -----------------------------------------------------------------------------

def _axes(n, i):
    dims = n.args[i]
    if dims is None:
        return list(range(len(n.args[0].shape)))
    return [dims] if isinstance(dims, int) else list(dims)


@register("sum", "mean", "amax", "amin", "logsumexp")
def _reduction(b, n):
    op_type = {"sum": "ReduceSum", "mean": "ReduceMean", "amax": "ReduceMax",
               "amin": "ReduceMin", "logsumexp": "ReduceLogSumExp"}[n.op]
    x = inp(b, n, 0)
    return _reduce(b, op_type, x, _axes(n, 1), n.args[2])


@register("prod")
def _prod(b, n):
    return _reduce(b, "ReduceProd", inp(b, n, 0), _axes(n, 1), n.args[2])


@register("var", "std")
def _var(b, n):
    x, axes, correction, keepdim = inp(b, n, 0), _axes(n, 1), n.args[2], n.args[3]
    dt = out_dtype(n)
    count = int(np.prod([n.args[0].shape[a] for a in axes]))
    d = b.op("Sub", [x, _reduce(b, "ReduceMean", x, axes, True)])
    s = _reduce(b, "ReduceSum", b.op("Mul", [d, d]), axes, keepdim)
    v = b.op("Div", [s, scalar(b, max(count - correction, 0), dt)])
    return b.op("Sqrt", [v]) if n.op == "std" else v


@register("cumsum")
def _cumsum(b, n):
    return b.op("CumSum", [inp(b, n, 0), b.const(np.asarray(n.args[1], np.int64))],
                reverse=int(bool(n.args[2])))


@register("linalg_vector_norm")
def _norm(b, n):
    x, p, axes, keepdim = inp(b, n, 0), n.args[1], _axes(n, 2), n.args[3]
    if p == 2:
        return b.op("Sqrt", [_reduce(b, "ReduceSumSquare", x, axes, keepdim)])
    if p == 1:
        return _reduce(b, "ReduceL1", x, axes, keepdim)
    if p == math.inf:
        return _reduce(b, "ReduceMax", b.op("Abs", [x]), axes, keepdim)
    pw = scalar(b, p, out_dtype(n))
    s = _reduce(b, "ReduceSum", b.op("Pow", [b.op("Abs", [x]), pw]), axes, keepdim)
    return b.op("Pow", [s, scalar(b, 1.0 / p, out_dtype(n))])


# ---- linear algebra, softmax ----------------------------------------------------------------

@register("matmul", "mm", "bmm", "mv")
def _matmul(b, n):
    return b.op("MatMul", [inp(b, n, 0), inp(b, n, 1)])


@register("dot")
def _dot(b, n):
    return b.op("ReduceSum", [b.op("Mul", [inp(b, n, 0), inp(b, n, 1)]), b.ints([0])],
                keepdims=0)


@register("addmm", "baddbmm")
def _addmm(b, n):
    dt = out_dtype(n)
    prod = b.op("Mul", [b.op("MatMul", [inp(b, n, 1), inp(b, n, 2)]), scalar(b, n.args[4], dt)])
    return b.op("Add", [b.op("Mul", [inp(b, n, 0), scalar(b, n.args[3], dt)]), prod])


@register("einsum")
def _einsum(b, n):
    return b.op("Einsum", [inp(b, n, i) for i in range(1, len(n.args))],
                equation=n.args[0].replace(" ", ""))


@register("softmax", "log_softmax")
def _softmax(b, n):
    return b.op("Softmax" if n.op == "softmax" else "LogSoftmax", [inp(b, n, 0)],
                axis=n.args[1])
