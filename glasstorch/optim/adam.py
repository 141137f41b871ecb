"""Adam: adaptive moment estimation (and AMSGrad), the base of AdamW (adamw.py)."""
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import Tensor, _make
from .optimizer import (Optimizer, _check_betas, _check_options, _check_unsupported,
                        _decay_weights, _eval_closure, _fused, _grad, _increment_step,
                        _scalar_tensor)

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, Algorithm 1), with AMSGrad's running max of v (Reddi et al.
    2018) when `amsgrad=True`. With g the gradient (plus weight_decay * p unless decoupled):

        m = b1 * m + (1 - b1) * g;          v = b2 * v + (1 - b2) * g^2
        p = p - lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)

    `decoupled_weight_decay=True` turns it into AdamW (p shrinks by lr * weight_decay before
    the update instead). foreach/fused/capturable are accepted and ignored: with numba
    installed each parameter's update (no amsgrad, no maximize) is one compiled loop
    (backend/numba_optim.py) with the NumPy formulas' exact bits, else the NumPy formulas.

    Example (two steps on |w|^2)::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.Adam([w], lr=0.1)
        >>> for _ in range(2): opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.8004, -1.8002]
    """

    _state_keys = ("step", "exp_avg", "exp_avg_sq")  # a started state holds these
    _state_optional = ("max_exp_avg_sq",)   # with amsgrad=True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_options(lr=lr, eps=eps)
        _check_betas(betas)
        _check_options(weight_decay=weight_decay)
        if not (all(isinstance(b, float) for b in betas)
                or all(isinstance(b, Tensor) for b in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        _check_unsupported(differentiable)
        super().__init__(params, {
            "lr": lr, "betas": tuple(betas), "eps": eps,
            "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
            "foreach": foreach, "capturable": capturable, "differentiable": differentiable,
            "fused": fused, "decoupled_weight_decay": decoupled_weight_decay})

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        fused = _fused()
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            # numba_optim.adam's arguments but for the arrays and the step count
            options = (lr, float(group["weight_decay"]), beta1, beta2, eps)
            flags = (group.get("maximize", False), group.get("decoupled_weight_decay", False))
            fused_group = None if group["amsgrad"] else fused
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _make(_xp.zeros_like(p._data))
                    state["exp_avg_sq"] = _make(_xp.zeros_like(p._data))
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = _make(_xp.zeros_like(p._data))
                t = _increment_step(state)
                if fused_group is not None and fused_group.adam(
                        p._data, p.grad._data, state["exp_avg"]._data,
                        state["exp_avg_sq"]._data, *options, t, *flags):
                    p._version_counter[0] += 1
                    continue
                _decay_weights(p, group)
                g = _grad(p, group)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                m += (g - m) * (1 - beta1)
                v *= beta2
                v += (1 - beta2) * g * g
                if group["amsgrad"]:
                    v = _xp.maximum(state["max_exp_avg_sq"]._data, v,
                                    out=state["max_exp_avg_sq"]._data)
                denom = _xp.sqrt(v)
                denom /= (1 - beta2 ** t) ** 0.5
                denom += eps
                x = p._data
                x -= lr / (1 - beta1 ** t) * m / denom
                p._version_counter[0] += 1
        return loss
