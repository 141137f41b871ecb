"""ASGD: SGD with Polyak-Ruppert averaging of the iterates (the average is state["ax"])."""
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from .optimizer import (Optimizer, _check_options, _check_unsupported, _eval_closure, _grad,
                        _increment_step, _scalar_tensor)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky 1992), torch's schedule. With g the gradient plus
    weight_decay * p, at step t:

        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)                      (the running average of the iterates)
        eta = lr / (1 + lambd * lr * t) ** alpha;    mu = 1 / max(1, t - t0)

    Example::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.ASGD([w], lr=0.1)
        >>> for _ in range(2): opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.64, -1.28]
    """

    _state_keys = ("step", "eta", "mu", "ax")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_options(lr=lr, weight_decay=weight_decay)
        _check_unsupported(differentiable)
        super().__init__(params, {
            "lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
            "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
            "capturable": capturable})

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, lambd = float(group["lr"]), float(group["lambd"])
            alpha, t0 = float(group["alpha"]), float(group["t0"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["eta"] = _scalar_tensor(lr)
                    state["mu"] = _scalar_tensor(1.0)
                    state["ax"] = _make(_xp.zeros_like(p._data))
                t = _increment_step(state)
                g = _grad(p, group)
                eta, mu = float(state["eta"]), float(state["mu"])
                x = p._data
                x *= 1 - lambd * eta
                x -= eta * g
                ax = state["ax"]._data
                if mu != 1:
                    ax += (x - ax) * mu
                else:
                    ax[...] = x
                state["eta"]._data[...] = lr / ((1 + lambd * lr * t) ** alpha)
                state["mu"]._data[...] = 1 / max(1, t - t0)
                p._version_counter[0] += 1
        return loss
