"""Muon: momentum whose update is orthogonalized, for the 2-D weight matrices of hidden layers
(Jordan et al. 2024; torch.optim.Muon). At each step, with g the gradient:

    buf = lerp(buf, g, 1 - momentum);   u = lerp(g, buf, momentum) if nesterov else buf
    u   = NS(u)                          (about U V^T of u's SVD, by Newton-Schulz iterations)
    p   = p (1 - lr weight_decay) - lr_adjusted u,   lr_adjusted = lr sqrt(max(1, A / B))

NS normalizes X = u / ||u|| (wide: rows <= columns, else it works on the transpose), then
`ns_steps` times: G = X X^T;  X = a X + (b G + c G G) X. torch runs NS in bfloat16; glasstorch
has no bfloat16 dtype, so `_bf16` rounds float32 results to bfloat16's 8-bit mantissa after
each step torch rounds (products accumulate in float32, as CPU bfloat16 GEMMs do): the update
then agrees with torch's to bfloat16 precision, not bit for bit.
"""
import math

from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from .optimizer import Optimizer, _eval_closure

__all__ = ["Muon"]


def _bf16(x):
    """float32 -> the nearest bfloat16 value (round half to even), kept as float32."""
    x = _xp.array(x, dtype=_xp.float32)          # a C-contiguous copy (0-d stays 0-d)
    u = x.view(_xp.uint32)
    r = ((u + _xp.uint32(0x7FFF) + ((u >> 16) & _xp.uint32(1))) & _xp.uint32(0xFFFF0000))
    out = r.view(_xp.float32)
    return _xp.where(_xp.isnan(x), x, out)


def _zeropower_via_newtonschulz(g, ns_coefficients, ns_steps, eps):
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if g.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    x = _bf16(g)
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = _xp.ascontiguousarray(x.T)
    norm = _bf16(_xp.sqrt(_xp.sum(x.astype(_xp.float64) ** 2)).astype(_xp.float32))
    x = _bf16(x / max(float(norm), eps))
    for _ in range(ns_steps):
        gram = _bf16(x @ x.T)
        update = _bf16(b * gram + c * (gram @ gram))
        x = _bf16(a * x + update @ x)
    return x.T if tall else x


def _adjust_lr(lr, adjust_lr_fn, shape):
    A, B = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, A / B))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(A, B))
    return lr


class Muon(Optimizer):
    """torch.optim.Muon (see the module docstring); 2-D parameters only."""

    _state_keys = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-07, ns_steps=5,
                 adjust_lr_fn=None):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay, "momentum": momentum,
                                  "nesterov": nesterov, "ns_coefficients": ns_coefficients,
                                  "eps": eps, "ns_steps": ns_steps, "adjust_lr_fn": adjust_lr_fn})
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, wd, mom = float(group["lr"]), group["weight_decay"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                if g.ndim != 2:
                    raise ValueError("Param gradient must be a 2D matrix")
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = _make(_xp.zeros_like(g))
                buf = state["momentum_buffer"]._data
                buf += (g - buf) * (1 - mom)                      # lerp_(g, 1 - momentum)
                u = g + (buf - g) * mom if group["nesterov"] else buf
                u = _zeropower_via_newtonschulz(u, group["ns_coefficients"],
                                                group["ns_steps"], group["eps"])
                x = p._data
                x *= 1 - lr * wd
                x -= (_adjust_lr(lr, group["adjust_lr_fn"], x.shape) * u).astype(x.dtype)
        return loss
