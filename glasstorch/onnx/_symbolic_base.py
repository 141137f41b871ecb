"""What every ONNX translation uses: the table `SYMBOLICS` (op name -> translation), the
`register` decorator that fills it, and the argument helpers `inp`, `scalar`, `out_dtype`,
`_reduce`. symbolic.py (tensor ops), symbolic_shape.py (shapes, indexing) and symbolic_nn.py
(nn ops) register into it; onnx/__init__.py's exporter reads it via symbolic.py.
"""
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


def _reduce(b, op_type, x, axes, keepdim):
    if op_type == "ReduceSum" or b.opset >= 18:
        return b.op(op_type, [x, b.ints(axes)], keepdims=int(keepdim))
    return b.op(op_type, [x], axes=axes, keepdims=int(keepdim))
