"""Recording a graph: run the model once and listen to every op call.

`Op.apply` tells its observers (autograd/node.py `_OBSERVERS`) about each top-level op call
with its arguments and result; the recorder maps each Tensor it has seen to a graph Value
(by identity) and appends one Node per call. Tensors it never saw are parameters or buffers
(known by identity from the module), aliases of a known array (`detach()`, `.data`), or
constants (made in Python inside forward). In-place ops write a result into an existing tensor:
ops/_inplace.py tells the recorder, which then maps the tensor to the result's Value.

Python reading a traced value (`if x.sum() > 0`, `x.item()`) makes a TracerWarning: the trace
keeps only the branch taken with the example input.
"""
import warnings


from .._registry import OPS
from ..autograd import node as _node
from ..autograd.grad_mode import no_grad
from ..backend import ndarray as _ndarray
from ..ops import _inplace
from ..tensor import READ_HOOKS, Tensor
from .derived import derived_positions
from .ir import Graph, Node, Value

__all__ = ["TracerWarning", "record"]


class TracerWarning(UserWarning):
    """A trace may not generalize: Python looked at a tensor's value while tracing."""


_NAME_OF = None


def _op_name(cls):
    global _NAME_OF
    if _NAME_OF is None or len(_NAME_OF) != len(OPS):
        _NAME_OF = {info.cls: name for name, info in OPS.items()}
    return _NAME_OF.get(cls)


class _Recorder:
    def __init__(self, graph, named_tensors):
        self.graph = graph
        self.values = {}        # id(tensor) -> (tensor, Value); the tensor kept alive
        self.by_array = {}      # id(array) -> Value, for aliases that share the array
        self.named = {id(t): (name, t) for name, t in named_tensors}
        self.named_arrays = {id(t._data): t for _, t in named_tensors}
        self.dynamic = set()    # Values that depend on a graph input

    def bind(self, t, v):
        self.values[id(t)] = (t, v)
        self.by_array[id(t._data)] = (t._data, v)

    def value_of(self, t):
        hit = self.values.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        g = self.graph
        hit = self.by_array.get(id(t._data))
        if hit is not None and hit[0] is t._data:
            v = hit[1]
        elif id(t) in self.named and self.named[id(t)][1] is t:
            name = self.named[id(t)][0]
            v = g.new_value(t._data.shape, t._data.dtype, "param", name=name)
            g.params[name] = v
        else:
            v = g.new_value(t._data.shape, t._data.dtype, "const", data=t._data.copy())
            if t._data.dtype.kind in "biu" and t._data.size > 1:
                warnings.warn("jit.trace: an integer or bool tensor made outside the registered "
                              "ops (a comparison, argmax, a cast to int/bool, or Python code) "
                              "is recorded as a constant; if it depends on the input, the "
                              "trace will not generalize", TracerWarning, stacklevel=5)
        self.bind(t, v)
        return v

    def on_op(self, cls, args, kwargs, result):
        g = self.graph
        name = _op_name(cls)
        if name is None:
            raise RuntimeError(f"jit.trace: {cls.__name__} is not a registered op (only ops in "
                               "glasstorch._registry.OPS can be traced)")
        skip = derived_positions(name, args)
        rec, raw = [], []
        for i, a in enumerate(args):
            if i in skip:
                rec.append(None)
            elif isinstance(a, Tensor):
                rec.append(self.value_of(a))
            elif isinstance(a, _ndarray):
                # a wrapper may pass a tensor's raw array (embedding's indices): same Value
                hit = self.by_array.get(id(a))
                owner = self.named_arrays.get(id(a))
                if hit is not None and hit[0] is a:
                    rec.append(hit[1])
                    raw.append(i)
                elif owner is not None and owner._data is a:   # a buffer's array (BN stats)
                    rec.append(self.value_of(owner))
                    raw.append(i)
                else:
                    rec.append(g.new_value(a.shape, a.dtype, "array", data=a.copy()))
            else:
                rec.append(a)
        if name == "batch_norm" and args[5]:
            warnings.warn("jit.trace: batch_norm in training mode; the replay normalizes with "
                          "batch statistics but does not update the running statistics (call "
                          "model.eval() before tracing for inference)", TracerWarning,
                          stacklevel=4)
        if name == "dropout":
            warnings.warn("jit.trace: dropout in training mode; the trace replays the one mask "
                          "it saw (call model.eval() before tracing)", TracerWarning,
                          stacklevel=4)
        results = result if isinstance(result, tuple) else (result,)
        outs = [g.new_value(r._data.shape, r._data.dtype) for r in results]
        node = Node(name, cls, rec, kwargs, outs, raw)
        g.nodes.append(node)
        if any(isinstance(a, Value) and (a in self.dynamic) for a in rec):
            self.dynamic.update(outs)
        for r, v in zip(results, outs):
            self.bind(r, v)

    def on_write(self, t, result):
        if t._base is not None:
            warnings.warn("jit.trace: an in-place write into a view is recorded as a new value; "
                          "other views of the same tensor keep the old one", TracerWarning,
                          stacklevel=4)
        self.bind(t, self.value_of(result))

    def on_read(self, t, how):
        # dynamic values warn; so do tensors the recorder never saw made: comparisons and
        # other non-differentiable functions run outside the registered ops, so their results
        # may well depend on the input (and would be frozen as constants)
        hit = self.values.get(id(t))
        known = hit is not None and hit[0] is t
        if known and hit[1] not in self.dynamic or id(t) in self.named:
            return
        what = {"bool": "Converting a tensor to a Python boolean",
                "item": "Converting a tensor to a Python number",
                "tolist": "Converting a tensor to a Python list"}[how]
        warnings.warn(f"{what} might cause the trace to be incorrect. We can't record the "
                      "data flow of Python values, so this value will be treated as a "
                      "constant in the future. This means that the trace might not "
                      "generalize to other inputs!", TracerWarning, stacklevel=3)


def _structure(out, rec):
    if isinstance(out, Tensor):
        return rec.value_of(out)
    if isinstance(out, (tuple, list)):
        return type(out)(_structure(o, rec) for o in out)
    raise TypeError(f"jit.trace: the traced function must return tensors or (nested) tuples "
                    f"or lists of tensors, got {type(out).__name__}")


def record(fn, inputs, named_tensors, input_names=None):
    """Run fn(*inputs) under no_grad while recording; returns (graph, eager outputs)."""
    g = Graph()
    rec = _Recorder(g, named_tensors)
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"jit.trace: example input {i} must be a Tensor, got "
                            f"{type(x).__name__}")
        name = input_names[i] if input_names else ("x" if len(inputs) == 1 else f"x{i}")
        v = g.new_value(x._data.shape, x._data.dtype, "input", name=name)
        g.inputs.append(v)
        rec.dynamic.add(v)
        rec.bind(x, v)
    _node._OBSERVERS.append(rec.on_op)
    _inplace.WRITE_OBSERVERS.append(rec.on_write)
    READ_HOOKS.append(rec.on_read)
    try:
        with no_grad():
            out = fn(*inputs)
    finally:
        _node._OBSERVERS.remove(rec.on_op)
        _inplace.WRITE_OBSERVERS.remove(rec.on_write)
        READ_HOOKS.remove(rec.on_read)
    g.outputs = _structure(out, rec)
    return g, out
