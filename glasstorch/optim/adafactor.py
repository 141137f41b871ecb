"""Adafactor: Adam-like steps whose second moment of a matrix is kept as a row and a column
factor, O(n + m) memory instead of O(n m)."""
import math

from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from .optimizer import Optimizer, _check_unsupported, _eval_closure, _increment_step, _scalar_tensor

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern 2018, Algorithm 4 with torch's choices). At step t, with
    g the gradient (negated if maximize):

        beta2_t = 1 - t^beta2_decay;   rho_t = min(lr, 1 / sqrt(t))
        alpha   = max(eps2, RMS(p)) * rho_t                     (a relative step size)
        p       = p (1 - lr weight_decay)                        (decoupled decay)
        matrix: R = lerp(R, mean_cols(g^2), 1 - beta2_t),  C = lerp(C, mean_rows(g^2), ...)
                V = R C / mean(R)                                 (rank-1 estimate of E[g^2])
        vector: V = lerp(V, g^2, 1 - beta2_t)
        u = g / sqrt(max(V, eps1^2));   p = p - alpha / max(1, RMS(u) / d) * u

    Tensors of 2+ dims factor their last two dims (leading dims are batches); eps1 defaults
    to the dtype's machine epsilon.
    """

    _state_keys = ("step",)
    _state_optional = ("row_var", "col_var", "variance")   # factors (matrices) or a vector
    _elementwise_state = False                              # the factors have their own shapes

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if not 0.0 <= float(lr):
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        _check_unsupported(False)
        super().__init__(params, {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                                  "weight_decay": weight_decay, "foreach": foreach,
                                  "maximize": maximize})

    def _init_state(self, p):
        state = self.state[p]
        state["step"] = _scalar_tensor(0.0)
        g = p.grad._data
        if g.ndim > 1:
            state["row_var"] = _make(_xp.zeros(g.shape[:-1] + (1,), g.dtype))
            state["col_var"] = _make(_xp.zeros(g.shape[:-2] + (1, g.shape[-1]), g.dtype))
        else:
            state["variance"] = _make(_xp.zeros_like(g))
        return state

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, wd, d = float(group["lr"]), float(group["weight_decay"]), float(group["d"])
            eps1, eps2 = group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p] or self._init_state(p)
                t = _increment_step(state)
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                x = p._data
                e1 = float(_xp.finfo(x.dtype).eps) if eps1 is None else eps1
                one_minus_beta2 = t ** group["beta2_decay"]
                rho = min(lr, 1 / math.sqrt(t))
                alpha = max(eps2, float(_xp.linalg.norm(x.ravel())) / math.sqrt(x.size)) * rho
                if wd != 0:
                    x *= 1 - lr * wd
                if g.ndim > 1:
                    r, c = state["row_var"]._data, state["col_var"]._data
                    r += (_square_mean(g, -1) - r) * one_minus_beta2
                    c += (_square_mean(g, -2) - c) * one_minus_beta2
                    v = (r @ c) / _xp.maximum(r.mean(axis=-2, keepdims=True), e1)
                else:
                    v = state["variance"]._data
                    v += (g * g - v) * one_minus_beta2
                    v = v.copy()
                u = g / _xp.sqrt(_xp.maximum(v, e1 * e1))
                denom = max(1.0, float(_xp.linalg.norm(u.ravel())) / (math.sqrt(u.size) * d))
                x -= (alpha / denom) * u
                p._version_counter[0] += 1
        return loss


def _square_mean(g, axis):
    """mean(g^2) along axis, kept: torch computes it as norm(g)^2 / n."""
    n = _xp.linalg.norm(g, axis=axis, keepdims=True)
    return n * n / g.shape[axis]
