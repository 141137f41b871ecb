"""Adamax: Adam with the infinity norm in place of the second moment."""
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from .optimizer import (Optimizer, _check_betas, _check_options, _check_unsupported,
                        _eval_closure, _grad, _increment_step, _scalar_tensor)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba 2015, Algorithm 2). With g the gradient plus weight_decay * p:

        m = b1 * m + (1 - b1) * g;      u = max(b2 * u, |g| + eps)
        p = p - lr / (1 - b1^t) * m / u

    Example (two steps on |w|^2)::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.Adamax([w], lr=0.1)
        >>> for _ in range(2): opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.8052, -1.8025]
    """

    _state_keys = ("step", "exp_avg", "exp_inf")  # a started state holds these

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_options(lr=lr, eps=eps)
        _check_betas(betas)
        _check_options(weight_decay=weight_decay)
        _check_unsupported(differentiable)
        super().__init__(params, {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
            "capturable": capturable})

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _make(_xp.zeros_like(p._data))
                    state["exp_inf"] = _make(_xp.zeros_like(p._data))
                t = _increment_step(state)
                g = _grad(p, group)
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                m += (g - m) * (1 - beta1)
                u *= beta2
                _xp.maximum(u, _xp.abs(g) + eps, out=u)
                x = p._data
                x -= lr / (1 - beta1 ** t) * m / u
                p._version_counter[0] += 1
        return loss
