"""Rprop: resilient backpropagation, a per-weight step size driven by gradient signs."""
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from .optimizer import (Optimizer, _check_options, _check_unsupported, _eval_closure,
                        _increment_step, _scalar_tensor)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop (Riedmiller & Braun 1993). Each weight keeps a step size s (starting at lr):

        same sign as last step:   s = min(s * eta_plus, step_max)
        sign flipped:             s = max(s * eta_minus, step_min), and this step's g = 0
        p = p - sign(g) * s

    Example::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.Rprop([w], lr=0.1)
        >>> for _ in range(2): opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.78, -1.78]
    """

    _state_keys = ("step", "prev", "step_size")

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_options(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_unsupported(differentiable)
        super().__init__(params, {
            "lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "capturable": capturable})

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        for group in self.param_groups:
            eta_minus, eta_plus = (float(e) for e in group["etas"])
            s_min, s_max = (float(s) for s in group["step_sizes"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["prev"] = _make(_xp.zeros_like(p._data))
                    state["step_size"] = _make(_xp.full_like(g, float(group["lr"])))
                _increment_step(state)
                prev, size = state["prev"]._data, state["step_size"]._data
                sign = _xp.sign(g * prev)
                factor = _xp.where(sign > 0, eta_plus, _xp.where(sign < 0, eta_minus, 1.0))
                size *= factor.astype(size.dtype)
                _xp.clip(size, s_min, s_max, out=size)
                g = _xp.where(sign < 0, 0, g).astype(g.dtype)
                x = p._data
                x -= _xp.sign(g) * size
                prev[...] = g
                p._version_counter[0] += 1
        return loss
