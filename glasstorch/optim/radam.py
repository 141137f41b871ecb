"""RAdam: Adam with the variance of the adaptive learning rate rectified."""
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from .optimizer import (Optimizer, _check_betas, _check_options, _check_unsupported,
                        _decay_weights, _eval_closure, _grad, _increment_step, _scalar_tensor)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam (Liu et al. 2020, Algorithm 2). With m, v as in Adam, rho_inf = 2 / (1 - b2) - 1
    and rho_t = rho_inf - 2 t b2^t / (1 - b2^t):

        r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        p = p - lr * m / (1 - b1^t) * (r * sqrt(1 - b2^t) / (sqrt(v) + eps)  if rho_t > 5  else  1)

    `decoupled_weight_decay=True` decays p directly (as AdamW) instead of adding to g.

    Example (two steps on |w|^2)::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.RAdam([w], lr=0.1)
        >>> for _ in range(2): opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.6211, -1.2421]
    """

    _state_keys = ("step", "exp_avg", "exp_avg_sq")  # a started state holds these

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_options(lr=lr, eps=eps)
        _check_betas(betas)
        _check_options(weight_decay=weight_decay)
        _check_unsupported(differentiable)
        super().__init__(params, {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "maximize": maximize, "foreach": foreach, "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable})

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            rho_inf = 2 / (1 - beta2) - 1
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _make(_xp.zeros_like(p._data))
                    state["exp_avg_sq"] = _make(_xp.zeros_like(p._data))
                t = _increment_step(state)
                _decay_weights(p, group)
                g = _grad(p, group)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                m += (g - m) * (1 - beta1)
                v *= beta2
                v += (1 - beta2) * g * g
                bias2 = 1 - beta2 ** t
                rho_t = rho_inf - 2 * t * beta2 ** t / bias2
                update = m * (lr / (1 - beta1 ** t))
                if rho_t > 5.0:  # the variance is tractable: rectify the adaptive step
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    denom = _xp.sqrt(v)
                    denom += eps
                    update *= rect * bias2 ** 0.5
                    update /= denom
                x = p._data
                x -= update
                p._version_counter[0] += 1
        return loss
