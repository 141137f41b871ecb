"""Adadelta: step sizes from the ratio of running RMS of updates and of gradients."""
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from .optimizer import (Optimizer, _check_options, _check_unsupported, _eval_closure, _grad,
                        _increment_step, _scalar_tensor)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012, Algorithm 1), scaled by `lr`. With g the gradient plus wd * p:

        v = rho * v + (1 - rho) * g^2;      d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d^2;      p = p - lr * d

    Example (two steps on |w|^2)::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.Adadelta([w], lr=1.0)
        >>> for _ in range(2): opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.9936, -1.9936]
    """

    _state_keys = ("step", "square_avg", "acc_delta")  # a started state holds these

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_options(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_options(eps=eps, weight_decay=weight_decay)
        _check_unsupported(differentiable)
        super().__init__(params, {
            "lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
            "maximize": maximize, "capturable": capturable, "foreach": foreach,
            "differentiable": differentiable})

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = _make(_xp.zeros_like(p._data))
                    state["acc_delta"] = _make(_xp.zeros_like(p._data))
                _increment_step(state)
                g = _grad(p, group)
                v, u = state["square_avg"]._data, state["acc_delta"]._data
                v *= rho
                v += (1 - rho) * g * g
                delta = _xp.sqrt(u + eps)
                delta /= _xp.sqrt(v + eps)
                delta *= g
                u *= rho
                u += (1 - rho) * delta * delta
                x = p._data
                x -= lr * delta
                p._version_counter[0] += 1
        return loss
