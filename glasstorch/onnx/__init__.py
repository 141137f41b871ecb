"""glasstorch.onnx.export: a traced graph written as an ONNX model (torch.onnx.export's API).

    glasstorch.onnx.export(model.eval(), x, "model.onnx", input_names=["input"],
                           output_names=["logits"], dynamic_axes={"input": {0: "batch"},
                                                                  "logits": {0: "batch"}})

The model is traced (glasstorch.jit), constants are folded and dead code dropped; then every
node is translated by its op's entry in symbolic*.py (`SYMBOLICS[op]`), which
emits ONNX nodes through the Builder below. Parameters and buffers become initializers under
their state_dict names. An op without an entry raises UnsupportedOperatorError("op X has no
ONNX mapping (opset N)"). The model is checked with onnx.checker (full_check=True) before it is
written. onnx and onnxruntime are optional dependencies (`pip install glasstorch[onnx]`).
"""
import enum
import warnings

from .. import jit
from ..jit.passes.constant_fold import fold_constants
from ..jit.passes.dce import eliminate_dead_code
from ..jit.tracer import record
from ..tensor import Tensor

__all__ = ["export", "UnsupportedOperatorError", "TrainingMode", "DEFAULT_OPSET", "SYMBOLICS"]

DEFAULT_OPSET = 17      # ir_version 8: what most runtimes load
MIN_OPSET = 17
_IR_VERSION = {17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10, 23: 11, 24: 11, 25: 12}


class TrainingMode(enum.IntEnum):
    """export(training=...): EVAL exports the model in eval mode (the default), PRESERVE in its
    current mode, TRAINING in training mode (torch.onnx.TrainingMode, same names and values)."""
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class UnsupportedOperatorError(RuntimeError):
    """An op of the graph has no ONNX translation (torch.onnx.errors.UnsupportedOperatorError)."""


def _onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper, TensorProto
    except ImportError:
        raise ImportError("glasstorch.onnx needs the onnx package: pip install "
                          "'glasstorch[onnx]'") from None
    return onnx, helper, numpy_helper, TensorProto


class Builder:
    """Collects ONNX nodes and initializers while the symbolics translate a graph.

    b.name(value)           the ONNX name of a graph Value (inputs, params, node outputs)
    b.const(array)          an initializer holding `array`, returns its name
    b.op("Add", [a, c], n_out=1, **attrs) -> name (or list of names when n_out > 1)
    """

    def __init__(self, opset, dynamic_dims):
        self.onnx, self.helper, self.numpy_helper, self.TensorProto = _onnx()
        self.opset = opset
        self.nodes, self.initializers = [], []
        self.names = {}
        # the example sizes of the inputs' dynamic dims (where a batch may hide in a reshape)
        self.dynamic_sizes = {v.shape[d] for v, dims in dynamic_dims.items() for d in dims}
        self.lazy = {}                       # constant Value -> array, an initializer once used
        self._n = 0

    def fresh(self, hint="t"):
        self._n += 1
        return f"{hint}_{self._n}"

    def name(self, v):
        name = self.names.get(v)
        if name is None and v in self.lazy:
            name = self.names[v] = self.const(self.lazy.pop(v), "c")
        return name

    def const(self, array, hint="const"):
        import numpy as np
        name = self.fresh(hint)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, n_out=1, **attrs):
        outs = [self.fresh(op_type.lower()) for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs, **attrs))
        return outs[0] if n_out == 1 else outs

    def ints(self, values):
        import numpy as np
        return self.const(np.asarray(list(values), dtype=np.int64), "ints")


def _flat_tensors(args):
    if isinstance(args, Tensor):
        return (args,)
    if isinstance(args, (tuple, list)):
        if args and isinstance(args[-1], dict):  # torch: a trailing dict holds kwargs
            if args[-1]:
                raise NotImplementedError("onnx.export: keyword inputs are not supported")
            args = args[:-1]
        return tuple(args)
    raise TypeError(f"onnx.export: args must be a Tensor or a tuple of Tensors, got "
                    f"{type(args).__name__}")


def export(model, args, f, export_params=True, verbose=False, training=None, input_names=None,
           output_names=None, operator_export_type=None, opset_version=None,
           do_constant_folding=True, dynamic_axes=None, keep_initializers_as_inputs=None,
           custom_opsets=None, export_modules_as_functions=False, autograd_inlining=True,
           dynamo=False):
    """Export `model(*args)` to ONNX at `f` (a path or a binary file object).

    input_names / output_names name the graph's inputs and (flattened) outputs;
    dynamic_axes maps those names to {axis: "name"} (or a list of axes) left symbolic, e.g. a
    batch dimension. opset_version defaults to 17 (ir_version 8). Returns None, as torch.
    """
    from .symbolic import SYMBOLICS
    onnx, helper, numpy_helper, TensorProto = _onnx()
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    newest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(f"onnx.export: opset_version must be between {MIN_OPSET} and {newest} "
                         f"(the installed onnx), got {opset}")
    if not export_params:
        raise NotImplementedError("onnx.export: export_params=False is not supported")
    inputs = _flat_tensors(args)
    named = jit._named_tensors(model)
    # torch: training=TrainingMode.EVAL (the default) exports the model in eval mode
    was_training = getattr(model, "training", None)
    mode = getattr(training, "name", str(training))      # TrainingMode, torch's, or a name
    keep_mode = training is not None and mode.upper().endswith(("TRAINING", "PRESERVE"))
    if was_training and not keep_mode:
        model.eval()
    try:
        graph, _ = record(model, inputs, named, input_names)
    finally:
        if was_training and not keep_mode:
            model.train()
    if do_constant_folding:
        fold_constants(graph)
    eliminate_dead_code(graph)
    outs = graph.output_values()
    input_names = list(input_names or [v.name for v in graph.inputs])
    output_names = list(output_names or [f"output_{i}" if len(outs) > 1 else "output"
                                         for i in range(len(outs))])
    if len(input_names) != len(graph.inputs):
        raise ValueError(f"onnx.export: {len(input_names)} input_names for "
                         f"{len(graph.inputs)} inputs")
    if len(output_names) < len(outs):
        output_names += [f"output_{i}" for i in range(len(output_names), len(outs))]
    dyn = _dynamic_axes(dynamic_axes or {}, input_names, output_names[:len(outs)])
    b = Builder(opset, {v: dyn.get(n, {}) for v, n in zip(graph.inputs, input_names)})
    onnx_inputs = []
    for v, name in zip(graph.inputs, input_names):
        b.names[v] = name
        onnx_inputs.append(_value_info(helper, v, name, dyn.get(name, {})))
    params = dict(named)
    for name, v in graph.params.items():
        b.names[v] = name
        b.initializers.append(numpy_helper.from_array(params[name]._data, name))
    for c in graph.consts:
        b.lazy[c] = c.data
    for n in graph.nodes:
        fn = SYMBOLICS.get(n.op)
        if fn is None:
            raise UnsupportedOperatorError(no_mapping_message(n.op, opset))
        res = fn(b, n)
        res = [res] if isinstance(res, str) else list(res)
        for v, r in zip(n.outputs, res):
            b.names[v] = r
    onnx_outputs = []
    for v, name in zip(outs, output_names):
        b.nodes.append(helper.make_node("Identity", [b.name(v)], [name]))
        # an output left out of dynamic_axes while inputs have dynamic dims: dims of the
        # dynamic example sizes are left unnamed (unknown) rather than frozen
        spec = dyn.get(name) or {i: None for i, s in enumerate(v.shape) if s in b.dynamic_sizes}
        onnx_outputs.append(_value_info(helper, v, name, spec))
    g = helper.make_graph(b.nodes, type(model).__name__, onnx_inputs, onnx_outputs,
                          b.initializers)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="glasstorch")
    m.ir_version = _IR_VERSION.get(opset, onnx.IR_VERSION)
    onnx.checker.check_model(m, full_check=True)
    if verbose:
        print(helper.printable_graph(m.graph))
    if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__"):
        onnx.save(m, f)
    else:
        f.write(m.SerializeToString())


def no_mapping_message(op, opset):
    return f"op {op} has no ONNX mapping (opset {opset})"


def _dynamic_axes(dynamic_axes, input_names, output_names):
    known = set(input_names) | set(output_names)
    out = {}
    for name, axes in dynamic_axes.items():
        if name not in known:
            warnings.warn(f"onnx.export: dynamic_axes names {name!r}, which is neither an input "
                          "nor an output name; ignored")
            continue
        if isinstance(axes, dict):
            out[name] = {int(k): str(v) for k, v in axes.items()}
        else:
            out[name] = {int(k): f"{name}_dynamic_axes_{i + 1}" for i, k in enumerate(axes)}
    return out


def _value_info(helper, v, name, dyn):
    import numpy as np
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(v.dtype))
    shape = [dyn.get(i, s) for i, s in enumerate(v.shape)]
    return helper.make_tensor_value_info(name, elem, shape)
