"""glasstorch.jit: turn a define-by-run model into a static graph, optimize it, replay it.

    traced = glasstorch.jit.trace(model, example_input)   # runs model once, records the ops
    print(traced.graph)      # one line per op, like torch.jit's graph
    print(traced.code)       # the same program as Python
    y = traced(x)            # replays the graph (fast: no autograd bookkeeping under no_grad)
    glasstorch.jit.save(traced, "model.pt"); glasstorch.jit.load("model.pt")

A trace records what ran for the example input: Python `if`s on tensor values are frozen (a
TracerWarning says so) and shapes are fixed. Passes in jit/passes/ rewrite the graph
(`optimize_for_inference`); `trace_train_step` records a training step. Read tracer.py,
ir.py and executor.py, in that order.
"""
from collections import OrderedDict

from ..autograd.grad_mode import STATE
from ..backend import ndarray as _ndarray
from ..tensor import Tensor, _make
from .executor import compile_graph, wrap_outputs
from .ir import Graph, Node, Value
from .tracer import TracerWarning, record

__all__ = ["trace", "TracedModule", "TracerWarning", "save", "load", "Graph", "Node", "Value",
           "freeze", "optimize_for_inference", "trace_train_step", "TrainStep"]


class TracedModule:
    """A recorded graph plus the tensors it reads (parameters and buffers by state_dict name),
    callable like the module it came from."""

    def __init__(self, graph, params, name="TracedModule"):
        self.graph = graph
        self._params = params             # OrderedDict name -> Tensor (shared with the model)
        self._name = name
        self._compiled = {}
        self._param_list = self._sig = self._fast = None
        if "_plain_class" in type(self).__dict__:
            self.__class__ = type(self)._plain_class

    # ---- calling ------------------------------------------------------------------------------
    def __call__(self, *inputs):
        fast = self._fast
        if fast is not None and len(inputs) == 1:
            # one input, no parameters (a frozen module): one generated function checks the
            # input (dtype by identity: NumPy's native dtypes are singletons), replays the graph
            # and wraps the result; anything else it hands back to _forward
            return fast(self, inputs[0])
        return self._forward(inputs)

    def forward(self, *inputs):
        return self.__call__(*inputs)

    def _forward(self, inputs):
        sig = self._sig
        if sig is None:
            sig = self._sig = [(v.shape, v.dtype) for v in self.graph.inputs]
            self._param_list = [self._params[name] for name in self.graph.params]
        if len(inputs) != len(sig):
            raise TypeError(f"{self._name}.forward() takes {len(sig)} input(s) (as traced), "
                            f"got {len(inputs)}")
        arrays = []
        for i, (x, (shape, dtype)) in enumerate(zip(inputs, sig)):
            d = getattr(x, "_data", None)
            if d is None or not isinstance(x, Tensor) or d.shape != shape or d.dtype != dtype:
                self._bad_input(i, x)
            arrays.append(d)
        params = self._param_list
        if STATE.enabled and (any(t._requires_grad for t in inputs)
                              or any(t._requires_grad for t in params)):
            return self._run("tensors")(*inputs, *params)
        run = self._compiled.get("arrays") or self._run("arrays")
        if not params and len(sig) == 1 and self._fast is None:
            self._set_fast(self._compiled.get("entry") or self._compiled.setdefault(
                "entry", compile_graph(self.graph, "arrays", entry=sig[0])))
        if params:
            arrays += [p._data for p in params]
        out = run(*arrays)
        return _make(out) if type(out) is _ndarray else wrap_outputs(out)

    def _set_fast(self, entry):
        """Make `entry` this module's call: a class of its own (named like this one) whose
        __call__ is the generated function, so `module(x)` runs one Python frame, not two
        (-0.1 us of the ~8 us batch-1 MLP call). invalidate() puts the plain class back."""
        self._fast = entry
        cls = type(self)
        self.__class__ = type(cls.__name__, (cls,), {"__call__": entry, "__slots__": (),
                                                      "_plain_class": cls,
                                                      "__module__": cls.__module__,
                                                      "__qualname__": cls.__qualname__})

    def _bad_input(self, i, x):
        v = self.graph.inputs[i]
        if not isinstance(x, Tensor):
            raise TypeError(f"{self._name}: input {i} must be a Tensor, got {type(x).__name__}")
        raise RuntimeError(
            f"{self._name}: input {i} ({v.name}) was traced with shape {list(v.shape)} and "
            f"dtype {v.dtype}, got shape {list(x.shape)} and dtype {x._data.dtype}; a trace "
            "fixes shapes (trace again with this shape, or export to ONNX with dynamic_axes)")

    def _run(self, mode):
        fn = self._compiled.get(mode)
        if fn is None:
            fn = self._compiled[mode] = compile_graph(self.graph, mode)
        return fn

    def invalidate(self):
        """Forget compiled code (after a pass changed self.graph)."""
        self._compiled = {}
        self._param_list = self._sig = self._fast = None
        if "_plain_class" in type(self).__dict__:
            self.__class__ = type(self)._plain_class

    # ---- what torch.jit's ScriptModule offers -------------------------------------------------
    @property
    def code(self):
        return self.graph.python()

    @property
    def inlined_graph(self):
        return self.graph

    def state_dict(self):
        return OrderedDict((k, t.detach()) for k, t in self._params.items())

    def named_parameters(self):
        return ((k, t) for k, t in self._params.items() if t._requires_grad)

    def parameters(self):
        return (t for _, t in self.named_parameters())

    def eval(self):
        return self

    def train(self, mode=True):
        return self

    def __repr__(self):
        return f"{self._name}(\n  traced graph: {len(self.graph.nodes)} ops, " \
               f"{len(self.graph.params)} parameters/buffers\n)"


def _named_tensors(module):
    named = list(module.named_parameters()) if hasattr(module, "named_parameters") else []
    if hasattr(module, "named_buffers"):
        named += list(module.named_buffers())
    return named


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-5, strict=True, example_kwarg_inputs=None):
    """Run `func(*example_inputs)` once and record its ops into a graph (torch.jit.trace).

    func: an nn.Module or a function of tensors. example_inputs: a Tensor or a tuple of them.
    check_trace replays the graph on the example and compares it with the eager result.
    Returns a TracedModule (callable; `.graph`, `.code`).
    """
    if example_kwarg_inputs is not None:
        raise NotImplementedError("jit.trace: example_kwarg_inputs is not supported; pass the "
                                  "inputs positionally")
    if example_inputs is None:
        raise ValueError("jit.trace: example_inputs is required")
    inputs = (example_inputs,) if isinstance(example_inputs, Tensor) else tuple(example_inputs)
    named = _named_tensors(func)
    graph, eager = record(func, inputs, named)
    by_name = dict(named)
    params = OrderedDict((name, by_name[name]) for name in graph.params)
    traced = TracedModule(graph, params, type(func).__name__ if named else
                          getattr(func, "__name__", "function"))
    if check_trace:
        _check(traced, inputs, eager, check_tolerance)
        for extra in check_inputs or ():
            extra = (extra,) if isinstance(extra, Tensor) else tuple(extra)
            _check(traced, extra, func(*extra), check_tolerance)
    return traced


def _check(traced, inputs, expected, tol):
    from ..autograd.grad_mode import no_grad
    with no_grad():
        got = traced(*inputs)
    for a, b in zip(_leaves(got), _leaves(expected)):
        x, y = a._data, b._data
        if x.shape != y.shape or not ((abs(x - y) <= tol * (1 + abs(y))) | (x == y)).all():
            import warnings
            warnings.warn("jit.trace: the traced graph's output differs from the eager output "
                          "on the example input (the model may depend on Python state or "
                          "randomness)", TracerWarning, stacklevel=3)
            return


def _leaves(out):
    if isinstance(out, Tensor):
        yield out
    elif isinstance(out, (tuple, list)):
        for o in out:
            yield from _leaves(o)


from .serialize import save, load  # noqa: E402
from .passes import freeze, optimize_for_inference  # noqa: E402
from .train_step import trace_train_step, TrainStep  # noqa: E402
