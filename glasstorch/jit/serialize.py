"""jit.save / jit.load: a traced graph and its tensors in a glasstorch checkpoint.

The file is an ordinary `glasstorch.save` archive (JSON + raw tensor bytes, no pickle) of

    {"format": "glasstorch-jit", "version": 1, "inputs": [...], "params": {name: Tensor},
     "consts": [...], "nodes": [{"op": name, "args": [...], "kwargs": {...}, "outputs": [...]}],
     "outputs": <structure>}

so loading has `glasstorch.load`'s safety: with weights_only=True (the default) nothing is
unpickled, and an op name must be in the registry (OPS) to be rebuilt. Attributes are encoded
as plain values; slices, Ellipsis, NumPy dtypes, arrays and AxisPlans get tagged dicts.
"""
from collections import OrderedDict

from .. import serialization as _ser
from .._registry import OPS
from ..backend import cpu_kernels as _k, ndarray as _ndarray, xp as _xp
from ..tensor import Tensor, _make
from .ir import Graph, Node, Value

__all__ = ["save", "load"]

FORMAT, VERSION = "glasstorch-jit", 1
_TAG = "__jit__"


def _enc(a, names, op):
    if isinstance(a, Value):
        return {_TAG: "value", "name": a.name}
    if a is None or isinstance(a, (bool, int, float, str)):
        return a
    if isinstance(a, tuple):
        return tuple(_enc(x, names, op) for x in a)
    if isinstance(a, list):
        return [_enc(x, names, op) for x in a]
    if isinstance(a, slice):
        return {_TAG: "slice", "v": [_enc(a.start, names, op), _enc(a.stop, names, op),
                                      _enc(a.step, names, op)]}
    if a is Ellipsis:
        return {_TAG: "ellipsis"}
    if isinstance(a, _xp.dtype) or (isinstance(a, type) and issubclass(a, _xp.generic)):
        return {_TAG: "npdtype", "v": _xp.dtype(a).str}
    if isinstance(a, _xp.generic):
        return a.item()
    if isinstance(a, _ndarray):
        return {_TAG: "array", "v": _make(a)}
    if isinstance(a, _k.AxisPlan):
        return {_TAG: "axisplan", "axis": a.axis, "size": a.size,
                "terms": [[_enc(i, names, op), _enc(w, names, op)] for i, w in a.terms]}
    if isinstance(a, dict):
        return {_TAG: "dict", "items": [[k, _enc(v, names, op)] for k, v in a.items()]}
    if type(a).__module__.startswith("glasstorch") and type(a).__name__ == "dtype":
        return a  # glasstorch.save stores dtypes itself
    raise TypeError(f"jit.save: op {op!r} has an attribute of type {type(a).__name__} that "
                    "cannot be saved")


def _dec(a, values):
    if isinstance(a, tuple):
        return tuple(_dec(x, values) for x in a)
    if isinstance(a, list):
        return [_dec(x, values) for x in a]
    if isinstance(a, dict) and _TAG in a:
        tag = a[_TAG]
        if tag == "value":
            return values[a["name"]]
        if tag == "slice":
            return slice(*[_dec(x, values) for x in a["v"]])
        if tag == "ellipsis":
            return Ellipsis
        if tag == "npdtype":
            return _xp.dtype(a["v"])
        if tag == "array":
            return a["v"]._data
        if tag == "axisplan":
            return _k.AxisPlan(a["axis"], a["size"],
                               [(_dec(i, values), _dec(w, values)) for i, w in a["terms"]])
        if tag == "dict":
            return {k: _dec(v, values) for k, v in a["items"]}
        raise RuntimeError(f"jit.load: unknown attribute tag {tag!r}")
    return a


def _meta(v):
    return [v.name, list(v.shape), _xp.dtype(v.dtype).str]


def save(m, f):
    """Save a TracedModule (its graph, parameters and constants) to a path or file."""
    g = m.graph
    for n in g.nodes:
        if n.op not in OPS:
            raise RuntimeError(f"jit.save: node {n.op!r} comes from an optimization pass and "
                               "cannot be saved; save the traced module before "
                               "optimize_for_inference and optimize after loading")
    obj = {"format": FORMAT, "version": VERSION, "name": m._name,
           "inputs": [_meta(v) for v in g.inputs],
           "params": OrderedDict((k, m._params[k].detach()) for k in g.params),
           "consts": [_meta(c) + [c.kind, _make(c.data)] for c in g.consts],
           "nodes": [{"op": n.op, "args": [_enc(a, None, n.op) for a in n.args],
                      "kwargs": {k: _enc(v, None, n.op) for k, v in n.kwargs.items()},
                      "outputs": [_meta(v) for v in n.outputs], "raw": sorted(n.raw)}
                     for n in g.nodes],
           "outputs": _enc(g.outputs, None, "output")}
    _ser.save(obj, f)


def load(f, map_location=None):
    """Load what jit.save wrote; never unpickles (glasstorch.load with weights_only=True)."""
    from . import TracedModule
    obj = _ser.load(f, map_location=map_location, weights_only=True)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise RuntimeError(f"jit.load: {f!r} is not a glasstorch.jit archive (save one with "
                           "glasstorch.jit.save)")
    if obj.get("version") != VERSION:
        raise RuntimeError(f"jit.load: {f!r} has version {obj.get('version')}, this glasstorch "
                           f"reads version {VERSION}")
    g = Graph()
    values = {}

    def new(meta, kind, data=None):
        name, shape, dtype = meta[:3]
        v = Value(name, shape, _xp.dtype(dtype), kind, data)
        values[name] = v
        return v

    g.inputs = [new(m, "input") for m in obj["inputs"]]
    params = OrderedDict()
    for name, t in obj["params"].items():
        if not isinstance(t, Tensor):
            raise RuntimeError(f"jit.load: parameter {name!r} is not a tensor")
        g.params[name] = new([name, t.shape, t._data.dtype.str], "param")
        params[name] = t
    for c in obj["consts"]:
        v = new(c, c[3], c[4]._data)
        g.consts.append(v)
    for n in obj["nodes"]:
        info = OPS.get(n["op"])
        if info is None:
            raise RuntimeError(f"jit.load: op {n['op']!r} is not a registered glasstorch op")
        args = [_dec(a, values) for a in n["args"]]
        kwargs = {k: _dec(v, values) for k, v in n["kwargs"].items()}
        g.nodes.append(Node(n["op"], info.cls, args, kwargs,
                            [new(m, "node") for m in n["outputs"]], n.get("raw", ())))
    g.outputs = _dec(obj["outputs"], values)
    return TracedModule(g, params, obj.get("name", "TracedModule"))
