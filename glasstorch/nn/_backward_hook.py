"""Full backward hooks on a Module: identity autograd Functions on the module's inputs and
outputs catch grad_output (on the way in to the module's backward) and grad_input (on the
way out), then call hook(module, grad_input, grad_output)."""
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ..tensor import Tensor

__all__ = []


class _Identity(Function):
    """y_i = x_i for every tensor; backward hands the gradients to a callback."""

    @staticmethod
    def forward(ctx, callback, *xs):
        ctx.callback = callback
        return tuple(xs)

    @staticmethod
    def backward(ctx, *grads):
        new = ctx.callback(grads)
        return (None,) + tuple(new if new is not None else grads)


class BackwardHook:
    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.input_positions = []
        self.n_args = 0

    def _wrap(self, values, callback):
        pos = [i for i, v in enumerate(values)
               if isinstance(v, Tensor) and v.requires_grad]
        if not pos or not STATE.enabled:
            return values, []
        outs = _Identity.apply(callback, *[values[i] for i in pos])
        outs = outs if isinstance(outs, tuple) else (outs,)
        values = list(values)
        for i, o in zip(pos, outs):
            values[i] = o
        return values, pos

    def setup_input(self, args):
        self.n_args = len(args)
        new, self.input_positions = self._wrap(args, self._on_grad_input)
        return tuple(new)

    def setup_output(self, result):
        single = isinstance(result, Tensor)
        values = [result] if single else list(result) if isinstance(result, (tuple, list)) \
            else None
        if values is None:
            return result
        new, pos = self._wrap(values, self._on_grad_output)
        if not pos:
            return result
        return new[0] if single else type(result)(new)

    def _on_grad_output(self, grads):
        for hook in self.pre_hooks:
            r = hook(self.module, grads)
            if r is not None:
                grads = tuple(r)
        self.grad_outputs = grads
        if not self.input_positions:  # no input needs a gradient: call the hooks now
            for hook in self.hooks:
                hook(self.module, (None,) * max(self.n_args, 1), grads)
        return grads

    def _on_grad_input(self, grads):
        full = [None] * self.n_args
        for i, g in zip(self.input_positions, grads):
            full[i] = g
        full = tuple(full)
        for hook in self.hooks:
            r = hook(self.module, full, self.grad_outputs)
            if r is not None:
                full = tuple(r)
        return tuple(full[i] for i in self.input_positions)
