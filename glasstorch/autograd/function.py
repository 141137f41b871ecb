"""`autograd.Function`: user-defined ops with a hand-written backward, PyTorch's API.

    class Square(Function):
        @staticmethod
        def forward(ctx, x):            # Tensors in, Tensors out (run without recording)
            ctx.save_for_backward(x)
            return x * x
        @staticmethod
        def backward(ctx, gy):          # one gradient per forward input (None: no gradient)
            x, = ctx.saved_tensors
            return 2 * x * gy

    y = Square.apply(x)

Built-in ops (node.Op) have the same shape but run forward on raw arrays for speed.
"""
import traceback

from .grad_mode import STATE, GLOBAL
from .node import Node
from . import node as _node

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """Kept for API compatibility (`torch.autograd.function.FunctionCtx`)."""


class Function(Node):
    """Base class of custom differentiable functions; call them with `.apply(*args)`."""

    def mark_non_differentiable(self, *tensors):
        self._non_diff = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value):
        self._materialize = bool(value)

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    def name(self):
        return type(self).__name__ + "Backward"

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _node.Tensor
        ctx = object.__new__(cls)
        ctx._out = None
        ctx._saved = ()
        ctx._saved_versions = ()
        needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        record = STATE.enabled and any(needs)
        ctx.needs_input_grad = needs
        prev = STATE.enabled
        STATE.enabled = False
        try:
            outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            STATE.enabled = prev
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not record:
            return outputs
        non_diff = getattr(ctx, "_non_diff", ())
        _, ctx.next_functions, ctx._in_meta = _node.input_edges(args)
        ctx._n_out = len(outs)
        ctx._out_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None
                         for o in outs]
        if GLOBAL.anomaly:
            ctx._trace = traceback.format_stack()[:-1]
        results = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor) or id(o) in non_diff or o._data.dtype.kind != "f":
                results.append(o)
                continue
            if any(o is a for a in args) and id(o) not in getattr(ctx, "_dirty", ()):
                o = _node._make(o._data)  # returning an input: a new tensor (view) of it
            if o.grad_fn is None and o._requires_grad and id(o) not in getattr(ctx, "_dirty", ()):
                o = _node._make(o._data)
            o.grad_fn = ctx
            o._requires_grad = True
            o._out_nr = i
            results.append(o)
        return results[0] if single else tuple(results)

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("forward-mode AD is not supported by glasstorch")


def once_differentiable(fn):
    """Mark a backward as not differentiable twice (accepted for compatibility)."""
    return fn
