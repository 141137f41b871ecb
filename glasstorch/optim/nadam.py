"""NAdam: Adam with Nesterov momentum."""
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from .optimizer import (Optimizer, _check_betas, _check_options, _check_unsupported,
                        _decay_weights, _eval_closure, _grad, _increment_step, _scalar_tensor)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam (Dozat 2016, Algorithm 2) with the momentum schedule
    mu_t = b1 * (1 - 0.5 * 0.96^(t * momentum_decay)) and P_t = mu_1 * ... * mu_t:

        m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g^2;   d = sqrt(v / (1 - b2^t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P_t) * g / d - lr * mu_{t+1} / (1 - P_t mu_{t+1}) * m / d

    `decoupled_weight_decay=True` decays p directly (as AdamW) instead of adding to g.

    Example (two steps on |w|^2)::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.NAdam([w], lr=0.1)
        >>> for _ in range(2): opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.82, -1.8179]
    """

    _state_keys = ("step", "mu_product", "exp_avg", "exp_avg_sq")  # a started state holds these

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_options(lr=lr, eps=eps)
        _check_betas(betas)
        _check_options(weight_decay=weight_decay, momentum_decay=momentum_decay)
        _check_unsupported(differentiable)
        super().__init__(params, {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize, "foreach": foreach, "capturable": capturable,
            "differentiable": differentiable})

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            psi = float(group["momentum_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["mu_product"] = _scalar_tensor(1.0)
                    state["exp_avg"] = _make(_xp.zeros_like(p._data))
                    state["exp_avg_sq"] = _make(_xp.zeros_like(p._data))
                t = _increment_step(state)
                _decay_weights(p, group)
                g = _grad(p, group)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                # torch: the product lives in a float32 0-d tensor, so it is rounded each step
                prod = state["mu_product"]._data
                _xp.multiply(prod, mu, out=prod)
                prod = float(prod)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                m += (g - m) * (1 - beta1)
                v *= beta2
                v += (1 - beta2) * g * g
                denom = _xp.sqrt(v / (1 - beta2 ** t))
                denom += eps
                x = p._data
                x -= lr * (1 - mu) / (1 - prod) * g / denom
                x -= lr * mu_next / (1 - prod * mu_next) * m / denom
                p._version_counter[0] += 1
        return loss
