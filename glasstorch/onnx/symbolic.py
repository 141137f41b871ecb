"""ONNX translations of the tensor ops (elementwise, reductions, shapes, indexing, linalg).

`SYMBOLICS[op](b, node) -> output name(s)`: `node.args` are exactly what the op's forward got
(Values for tensors, Python attributes otherwise); `b` is onnx/__init__.py's Builder. The nn
ops (conv, pooling, norms, RNNs, attention...) are in symbolic_nn.py. Shapes that a dynamic
axis may change are written relative to the input (Reshape's 0 copies a dim, -1 infers one)
instead of frozen: see `_reshape`.
"""
import math

import numpy as np

from ..jit.ir import Value

__all__ = ["SYMBOLICS"]

SYMBOLICS = {}


def register(*names):
    def deco(fn):
        for name in names:
            SYMBOLICS[name] = fn
        return fn
    return deco


def inp(b, n, i, dtype=None):
    """Argument i as an ONNX name: a Value (cast to dtype if given) or a scalar constant."""
    a = n.args[i]
    dtype = np.dtype(dtype if dtype is not None else n.outputs[0].dtype)
    if isinstance(a, Value):
        name = b.name(a)
        if np.dtype(a.dtype) != dtype:
            name = b.op("Cast", [name], to=b.helper.np_dtype_to_tensor_dtype(dtype))
        return name
    return b.const(np.asarray(a, dtype=dtype), "scalar")


def scalar(b, value, dtype):
    return b.const(np.asarray(value, dtype=np.dtype(dtype)), "scalar")


def out_dtype(n, k=0):
    return np.dtype(n.outputs[k].dtype)


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
        return b.op(onnx_op, [inp(b, n, 0, dt), inp(b, n, 1, dt)])
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


def _reduce(b, op_type, x, axes, keepdim):
    if op_type == "ReduceSum" or b.opset >= 18:
        return b.op(op_type, [x, b.ints(axes)], keepdims=int(keepdim))
    return b.op(op_type, [x], axes=axes, keepdims=int(keepdim))


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


# ---- shapes ---------------------------------------------------------------------------------

def _reshape(b, x_value, x, shape):
    """Reshape to `shape` written so a dynamic dim survives: a dim equal to the input's at
    the same position copies it (0); one other dim is inferred (-1): preferably the one equal
    to, else divisible by, a dynamic dim's example size (the batch that moved there)."""
    in_shape = tuple(x_value.shape)
    target = list(shape)
    out = [0 if i < len(in_shape) and s == in_shape[i] and s != 0 else s
           for i, s in enumerate(target)]
    free = [i for i, s in enumerate(out) if s != 0]
    if free and -1 not in out and 0 not in target:
        sizes = b.dynamic_sizes
        pick = [i for i in free if target[i] in sizes] or \
            [i for i in free if any(target[i] % s == 0 for s in sizes if s > 1)] or free
        out[pick[0]] = -1
    return b.op("Reshape", [x, b.ints(out)])


@register("view", "reshape")
def _view(b, n):
    return _reshape(b, n.args[0], b.name(n.args[0]), n.outputs[0].shape)


@register("permute", "transpose", "t")
def _permute(b, n):
    return b.op("Transpose", [b.name(n.args[0])], perm=list(n.args[1]))


@register("squeeze")
def _squeeze(b, n):
    dims = n.args[1]
    dims = [dims] if isinstance(dims, int) else list(dims)
    dims = [d for d in dims if n.args[0].shape[d] == 1]
    if not dims:
        return b.op("Identity", [b.name(n.args[0])])
    return b.op("Squeeze", [b.name(n.args[0]), b.ints(dims)])


@register("unsqueeze")
def _unsqueeze(b, n):
    return b.op("Unsqueeze", [b.name(n.args[0]), b.ints([n.args[1]])])


@register("expand")
def _expand(b, n):
    x, shape = n.args[0], list(n.args[1])
    # a dim the input already has is kept as 1 (Expand broadcasts), so a dynamic one survives
    pad = len(shape) - len(x.shape)
    spec = [1 if i >= pad and x.shape[i - pad] == s else s for i, s in enumerate(shape)]
    return b.op("Expand", [b.name(x), b.ints(spec)])


@register("narrow")
def _narrow(b, n):
    d, start, length = n.args[1]
    return b.op("Slice", [b.name(n.args[0]), b.ints([start]), b.ints([start + length]),
                          b.ints([d])])


@register("select")
def _select(b, n):
    d, index = n.args[1]
    return b.op("Gather", [b.name(n.args[0]), b.const(np.asarray(index, np.int64))], axis=d)


@register("split", "split_with_sizes")
def _split(b, n):
    d, sizes = n.args[1], [v.shape[n.args[1]] for v in n.outputs]
    return b.op("Split", [b.name(n.args[0]), b.ints(sizes)], n_out=len(sizes), axis=d)


@register("unbind")
def _unbind(b, n):
    d = n.args[1]
    k = len(n.outputs)
    parts = b.op("Split", [b.name(n.args[0]), b.ints([1] * k)], n_out=k, axis=d)
    parts = [parts] if k == 1 else parts
    return [b.op("Squeeze", [p, b.ints([d])]) for p in parts]


@register("flip")
def _flip(b, n):
    dims = list(n.args[1])
    big = np.iinfo(np.int64).max
    return b.op("Slice", [b.name(n.args[0]), b.ints([-1] * len(dims)),
                          b.ints([-big] * len(dims)), b.ints(dims), b.ints([-1] * len(dims))])


@register("tril", "triu")
def _tri(b, n):
    return b.op("Trilu", [b.name(n.args[0]), b.const(np.asarray(n.args[1], np.int64))],
                upper=int(n.op == "triu"))


@register("repeat")
def _repeat(b, n):
    x, reps = n.args[0], list(n.args[1])
    name = b.name(x)
    if len(reps) > len(x.shape):
        name = b.op("Reshape", [name, b.ints([1] * (len(reps) - len(x.shape)) + list(x.shape))])
    return b.op("Tile", [name, b.ints(reps)])


@register("cat")
def _cat(b, n):
    xs = [inp(b, n, i) for i, a in enumerate(n.args) if isinstance(a, Value)]
    return b.op("Concat", xs, axis=n.kwargs["dim"])


@register("stack")
def _stack(b, n):
    d = n.kwargs["dim"]
    xs = [b.op("Unsqueeze", [inp(b, n, i), b.ints([d])])
          for i, a in enumerate(n.args) if isinstance(a, Value)]
    return b.op("Concat", xs, axis=d)


@register("getitem")
def _getitem(b, n):
    """x[basic] with ints, slices, None and Ellipsis: one Slice, then Squeeze the int dims and
    Unsqueeze the Nones. Slices over a whole dim are left out (a dynamic dim stays free)."""
    x = n.args[0]
    key = n.args[1] if isinstance(n.args[1], tuple) else (n.args[1],)
    if any(k is Ellipsis for k in key):
        i = key.index(Ellipsis)
        used = sum(1 for k in key if k is not None and k is not Ellipsis)
        key = key[:i] + (slice(None),) * (len(x.shape) - used) + key[i + 1:]
    starts, ends, axes, steps, squeeze, unsq = [], [], [], [], [], []
    dim, out_pos = 0, 0
    for k in key:
        if k is None:
            unsq.append(out_pos)
            out_pos += 1
            continue
        size = x.shape[dim]
        if isinstance(k, slice):
            start, stop, step = k.indices(size)
            if (start, stop, step) != (0, size, 1):
                if step < 0 and stop < 0:
                    stop = -np.iinfo(np.int64).max
                starts.append(start), ends.append(stop), axes.append(dim), steps.append(step)
            out_pos += 1
        else:
            i = k + size if k < 0 else k
            starts.append(i), ends.append(i + 1), axes.append(dim), steps.append(1)
            squeeze.append(dim)
        dim += 1
    y = b.name(x)
    if axes:
        y = b.op("Slice", [y, b.ints(starts), b.ints(ends), b.ints(axes), b.ints(steps)])
    if squeeze:
        y = b.op("Squeeze", [y, b.ints(squeeze)])
    if unsq:
        y = b.op("Unsqueeze", [y, b.ints(unsq)])
    return y if y != b.name(x) else b.op("Identity", [y])


@register("index_select")
def _index_select(b, n):
    return b.op("Gather", [b.name(n.args[0]), inp(b, n, 2, "int64")], axis=n.args[1])


@register("gather")
def _gather(b, n):
    return b.op("GatherElements", [b.name(n.args[0]), inp(b, n, 2, "int64")], axis=n.args[1])


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


from . import symbolic_nn  # noqa: E402,F401  (registers the nn ops)
