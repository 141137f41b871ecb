"""SGD: stochastic gradient descent with optional (Nesterov) momentum and weight decay."""
from ..autograd.grad_mode import no_grad
from ..backend import threads as _threads, xp as _xp
from ..tensor import _make
from .optimizer import (Optimizer, _check_options, _check_unsupported, _eval_closure, _fused,
                        _grad)

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (Robbins & Monro 1951) with heavy-ball momentum (Polyak 1964)
    and Nesterov momentum as written by Sutskever et al. 2013, eq. 3-4:

        g = grad + weight_decay * p;   b = momentum * b + (1 - dampening) * g   (b = g at step 1)
        p = p - lr * (g + momentum * b  if nesterov else  b)

    Args: lr (default 1e-3), momentum, dampening, weight_decay (L2 added to the gradient),
    nesterov, maximize (ascend the objective). foreach/fused are accepted and ignored: with
    numba installed each parameter's update after the first step is one compiled loop
    (backend/numba_optim.py) with the NumPy formulas' exact bits, else the NumPy formulas.

    Example (two steps on |w|^2)::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2): opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.46, -0.92]
    """

    _state_optional = ("momentum_buffer",)  # the only state SGD keeps

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check_options(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_unsupported(differentiable)
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov,
                                  "maximize": maximize, "foreach": foreach,
                                  "differentiable": differentiable, "fused": fused})

    @no_grad()
    def step(self, closure=None):
        loss = _eval_closure(closure)
        fused = _fused()
        # at 2 threads large parameters' updates go half to backend/numba_halves.py's helper:
        # the halves its products wrote (their gradients' rows; docs/perf/mlp.md, mlp5)
        halves = _threads.halves(running=True) if fused is not None and \
            _threads.get_num_threads() == 2 else None
        for group in self.param_groups:
            lr, momentum = float(group["lr"]), float(group["momentum"])
            dampening = float(group["dampening"])
            maximize, decay = group.get("maximize", False), float(group["weight_decay"])
            plain = not maximize and decay == 0   # the gradient as it is
            numbers = None   # numba_optim.sgd_numbers for the parameters' dtype
            batch = []       # (p, buffer) for numba_halves.sgd, all of numbers' dtype
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p] if momentum != 0 else None
                buf = None if state is None else state.get("momentum_buffer")
                if fused is not None and not maximize and (state is None or buf is not None):
                    if numbers is None or numbers.dtype != p._data.dtype:
                        _halved(halves, batch, numbers, decay, group["nesterov"])
                        numbers = fused.sgd_numbers(p._data.dtype, lr, decay, momentum,
                                                    dampening)
                    if halves is not None and buf is not None and fused.suits(
                            p._data, p.grad._data, buf._data):
                        batch.append((p, buf))
                        continue
                    if fused.sgd(p._data, p.grad._data, None if buf is None else buf._data,
                                 numbers, decay != 0, group["nesterov"]):
                        p._version_counter[0] += 1
                        continue
                g = p.grad._data if plain else _grad(p, group)
                if momentum != 0:
                    if buf is None:  # the first step starts the buffer at g, undamped
                        buf = state["momentum_buffer"] = _make(g.copy())
                    elif dampening == 0 and not group["nesterov"]:
                        _heavy_ball(p._data, g, buf._data, momentum, lr)
                        p._version_counter[0] += 1
                        continue
                    else:
                        b = buf._data
                        b *= momentum
                        if dampening == 0:   # (1 - 0) * g is g: one pass less
                            b += g
                        else:
                            b += (1 - dampening) * g
                    g = g + momentum * buf._data if group["nesterov"] else buf._data
                x = p._data
                x -= lr * g
                p._version_counter[0] += 1
            _halved(halves, batch, numbers, decay, group["nesterov"])
        return loss


def _halved(halves, batch, numbers, decay, nesterov):
    """The updates collected in batch (numba_optim.sgd's, with a buffer), halves of the large
    ones on numba_halves' helper; empties batch."""
    if not batch:
        return
    halves.sgd(halves.helper(), [(p._data, p.grad._data, buf._data) for p, buf in batch],
               numbers, halves.sgd_options(decay != 0, nesterov))
    for p, _ in batch:
        p._version_counter[0] += 1
    batch.clear()


# elements per chunk of the heavy-ball update: a chunk of b, g, p and the scratch (4 x 128 KiB
# in float32) stays in the L2 cache across the four passes; whole arrays (the MLP's first weight
# is 784 KiB each) went to memory and back between passes. MLP step's update 321 -> 286 us.
_CHUNK = 32768


def _heavy_ball(x, g, b, momentum, lr):
    """b = momentum * b + g;  x -= lr * b  (dampening 0), in place: the same operations on
    every element as on the whole arrays, so the same bits, chunk by chunk."""
    if x.size <= _CHUNK or not (x.flags.c_contiguous and g.flags.c_contiguous
                                and b.flags.c_contiguous) or not x.dtype == g.dtype == b.dtype:
        b *= momentum
        b += g
        x -= lr * b
        return
    x, g, b = x.reshape(-1), g.reshape(-1), b.reshape(-1)
    scratch = _xp.empty(_CHUNK, x.dtype)
    for i in range(0, x.size, _CHUNK):
        bs, xs = b[i:i + _CHUNK], x[i:i + _CHUNK]
        t = scratch[:bs.size]
        _xp.multiply(bs, momentum, out=bs)
        _xp.add(bs, g[i:i + _CHUNK], out=bs)
        _xp.multiply(bs, lr, out=t)
        _xp.subtract(xs, t, out=xs)
