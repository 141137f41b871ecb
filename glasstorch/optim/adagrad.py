"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from .optimizer import (Optimizer, _check_options, _check_unsupported, _eval_closure, _grad,
                        _increment_step, _scalar_tensor)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer 2011, diagonal form, Figure 1), with an lr decayed by
    step count. With g the gradient plus weight_decay * p:

        s = s + g^2;    p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    s starts at `initial_accumulator_value`; the state exists from construction (as torch).

    Example (two steps on |w|^2)::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.Adagrad([w], lr=0.1)
        >>> for _ in range(2): opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.8331, -1.8311]
    """

    _state_keys = ("step", "sum")  # a started state holds these

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_options(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                       initial_accumulator_value=initial_accumulator_value, eps=eps)
        _check_unsupported(differentiable)
        super().__init__(params, {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "fused": fused})
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        # torch: the accumulator's start value is the constructor's, even for a group that
        # sets its own initial_accumulator_value
        state = self.state[p]
        state["step"] = _scalar_tensor(0.0)
        state["sum"] = _make(_xp.full_like(p._data, self.defaults["initial_accumulator_value"]))
        return state

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p] or self._init_state(p)
                t = _increment_step(state)
                g = _grad(p, group)
                s = state["sum"]._data
                s += g * g
                denom = _xp.sqrt(s)
                denom += eps
                x = p._data
                x -= lr / (1 + (t - 1) * lr_decay) * g / denom
                p._version_counter[0] += 1
        return loss
