"""Fused optimizer updates for the compiled training step: SGD (momentum, dampening, Nesterov,
weight decay, maximize) and Adam / AdamW (amsgrad too) as in-place NumPy calls on the
parameters' arrays, with temporaries allocated once per parameter and reused every step.

The eager step (optim/sgd.py, optim/adam.py) writes `x -= lr * g`: `lr * g` is a new array
(800 KB for the MLP's first weight) each step. Here the same operations run in the same order
with `out=` buffers, so the parameters are bit-identical to the eager optimizer's:

    SGD      t = lr * g;  x -= t                 (b *= mu;  b += (1 - dampening) * g  before)
    Adam     m += (g - m) * (1 - b1);  v *= b2;  v += (1 - b2) * g * g
             d = sqrt(v) / sqrt(1 - b2^t) + eps;  x -= lr / (1 - b1^t) * m / d

With numba installed (backend.kernels.numba_for_exact) eager's SGD and Adam run each update
as one compiled loop (backend/numba_optim.py, NumPy's bits); the fused step then makes that
very call (4-5 NumPy passes over 800 KB arrays were slower than eager's one loop).
Hyperparameters are read from param_groups at every step (schedulers keep working), state
lives in optimizer.state as in eager mode (state_dict and checkpoints see it). Any other
optimizer class, or a subclass overriding step, is not fused: the training step calls its
own `step()`.
"""
from ..backend import xp as _xp
from ..optim.adam import Adam
from ..optim.adamw import AdamW
from ..optim.optimizer import _decay_weights, _fused as _numba_optim, _increment_step, \
    _scalar_tensor
from ..optim.sgd import SGD
from ..tensor import _make

__all__ = ["fused_update"]


def fused_update(optimizer):
    """A no-argument function doing `optimizer.step()` fused, or None when not supported."""
    if "step" in vars(optimizer):
        return None
    cls = type(optimizer)
    if cls is SGD:
        return _FusedSGD(optimizer)
    if cls in (Adam, AdamW):
        return _FusedAdam(optimizer)
    return None


class _Fused:
    def __init__(self, optimizer):
        self.opt = optimizer
        self.temps = {}             # parameter -> its temporaries, allocated on first use

    def _temps(self, p, n):
        t = self.temps.get(p)
        if t is None or t[0].shape != p._data.shape or t[0].dtype != p._data.dtype:
            t = self.temps[p] = [_xp.empty_like(p._data) for _ in range(n)]
        return t

    @staticmethod
    def _grad(p, group, tmp, coupled):
        """_grad of optim/optimizer.py into `tmp`: -g if maximizing, + weight_decay * p."""
        g = p.grad._data
        if group.get("maximize", False):
            g = _xp.negative(g, out=tmp[0])
        wd = float(group["weight_decay"])
        if wd != 0 and coupled:
            _xp.multiply(p._data, wd, out=tmp[1])
            g = _xp.add(g, tmp[1], out=tmp[0])
        return g


class _FusedSGD(_Fused):
    def __call__(self):
        opt = self.opt
        fused = _numba_optim()
        for group in opt.param_groups:
            lr, momentum = float(group["lr"]), float(group["momentum"])
            dampening = float(group["dampening"])
            maximize, decay = group.get("maximize", False), float(group["weight_decay"])
            numbers = None
            for p in group["params"]:
                if p.grad is None:
                    continue
                if fused is not None and not maximize and \
                        (momentum == 0 or "momentum_buffer" in opt.state[p]):
                    # eager's compiled loop (optim/sgd.py), the same call: the same bits
                    if numbers is None or numbers.dtype != p._data.dtype:
                        numbers = fused.sgd_numbers(p._data.dtype, lr, decay, momentum,
                                                    dampening)
                    buf = opt.state[p]["momentum_buffer"]._data if momentum != 0 else None
                    if fused.sgd(p._data, p.grad._data, buf, numbers, decay != 0,
                                 group["nesterov"]):
                        p._version_counter[0] += 1
                        continue
                tmp = self._temps(p, 2)
                g = self._grad(p, group, tmp, True)
                if momentum != 0:
                    state = opt.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:     # the first step starts the buffer at g, undamped
                        buf = state["momentum_buffer"] = _make(g.copy())
                    else:
                        b = buf._data
                        _xp.multiply(b, momentum, out=b)
                        if dampening == 0:      # (1 - 0) * g is g, bit for bit
                            _xp.add(b, g, out=b)
                        else:
                            _xp.add(b, _xp.multiply(g, 1 - dampening, out=tmp[1]), out=b)
                    if group["nesterov"]:
                        _xp.multiply(buf._data, momentum, out=tmp[1])
                        g = _xp.add(g, tmp[1], out=tmp[0])
                    else:
                        g = buf._data
                x = p._data
                _xp.subtract(x, _xp.multiply(g, lr, out=tmp[1]), out=x)
                p._version_counter[0] += 1


class _FusedAdam(_Fused):
    def __call__(self):
        opt = self.opt
        fused = _numba_optim()
        for group in opt.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            decoupled = group.get("decoupled_weight_decay", False)
            options = (lr, float(group["weight_decay"]), beta1, beta2, eps)
            flags = (group.get("maximize", False), decoupled)
            fused_group = None if group["amsgrad"] else fused
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = opt.state[p]
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
                    p._version_counter[0] += 1      # eager's compiled loop (optim/adam.py)
                    continue
                _decay_weights(p, group)
                tmp = self._temps(p, 3)
                g = self._grad(p, group, tmp, not decoupled)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                a, d = tmp[1], tmp[2]
                _xp.subtract(g, m, out=a)                   # m += (g - m) * (1 - b1)
                _xp.multiply(a, 1 - beta1, out=a)
                _xp.add(m, a, out=m)
                _xp.multiply(v, beta2, out=v)               # v *= b2
                _xp.multiply(g, 1 - beta2, out=a)           # v += (1 - b2) * g * g
                _xp.multiply(a, g, out=a)
                _xp.add(v, a, out=v)
                if group["amsgrad"]:
                    v = _xp.maximum(state["max_exp_avg_sq"]._data, v,
                                    out=state["max_exp_avg_sq"]._data)
                _xp.sqrt(v, out=d)                          # d = sqrt(v) / c2 + eps
                _xp.true_divide(d, (1 - beta2 ** t) ** 0.5, out=d)
                _xp.add(d, eps, out=d)
                _xp.multiply(m, lr / (1 - beta1 ** t), out=a)   # x -= lr / c1 * m / d
                _xp.true_divide(a, d, out=a)
                x = p._data
                _xp.subtract(x, a, out=x)
                p._version_counter[0] += 1
