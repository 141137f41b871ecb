"""RMSprop: gradients divided by a running root-mean-square, optionally centered."""
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from .optimizer import (Optimizer, _check_options, _check_unsupported, _eval_closure, _grad,
                        _increment_step, _scalar_tensor)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton 2012, Coursera lecture 6.5); `centered=True` subtracts the
    squared mean gradient as in Graves 2013, eq. 38-45. With g the gradient plus wd * p:

        v = alpha * v + (1 - alpha) * g^2;      a = alpha * a + (1 - alpha) * g   (centered)
        p = p - lr * g / (sqrt(v - a^2) + eps)  (with momentum: b = mu * b + g / (...); p -= lr * b)

    Example (two steps on |w|^2)::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.RMSprop([w], lr=0.01)
        >>> for _ in range(2): opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.8329, -1.8309]
    """

    _state_keys = ("step", "square_avg")  # a started state holds these
    _state_optional = ("momentum_buffer", "grad_avg")  # momentum, centered

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_options(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                       alpha=alpha)
        _check_unsupported(differentiable)
        super().__init__(params, {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable})

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
            momentum = float(group["momentum"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = _make(_xp.zeros_like(p._data))
                    if momentum > 0:
                        state["momentum_buffer"] = _make(_xp.zeros_like(p._data))
                    if group["centered"]:
                        state["grad_avg"] = _make(_xp.zeros_like(p._data))
                _increment_step(state)
                g = _grad(p, group)
                v = state["square_avg"]._data
                v *= alpha
                v += (1 - alpha) * g * g
                if group["centered"]:
                    a = state["grad_avg"]._data
                    a += (g - a) * (1 - alpha)
                    avg = _xp.sqrt(v - a * a)
                else:
                    avg = _xp.sqrt(v)
                avg += eps
                x = p._data
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += g / avg
                    x -= lr * buf
                else:
                    x -= lr * g / avg
                p._version_counter[0] += 1
        return loss
