"""Folding an eval-mode batch norm into the convolution (or linear layer) before it.

    y = ((x * W + b) - mean) * invstd * gamma + beta
      = x * (W * s) + ((b - mean) * s + beta),     s = gamma * invstd (per output channel)

so a frozen graph can drop the batch_norm node: the conv gets the scaled weight and the new
bias (new constants). Applies when the conv/linear output feeds only that batch norm, and the
weights and statistics are constants (run `freeze` first). Results equal eager's up to float32
rounding (a different order of the same operations), not bit for bit.
"""
from ...backend import xp as _xp
from ..ir import Value

__all__ = ["fold_batch_norm"]

_CONST = ("const", "array")


def _const(v):
    return isinstance(v, Value) and v.kind in _CONST


def fold_batch_norm(graph):
    """Fold in place; returns the number of batch norms folded."""
    uses = graph.uses()
    producer = {v: n for n in graph.nodes for v in n.outputs}
    dead, folded = set(), 0
    for bn in graph.nodes:
        if bn.op != "batch_norm" or bn.args[5]:       # (x, w, b, mean, var, training, eps, _)
            continue
        x, gamma, beta, mean, var, _, eps = bn.args[:7]
        prev = producer.get(x)
        if prev is None or uses.get(x) != 1 or prev.op not in ("convolution", "linear"):
            continue
        if prev.op == "convolution" and prev.args[5]:  # transposed: channels on dim 1 of W
            continue
        w, b = prev.args[1], prev.args[2]
        if not (_const(w) and _const(mean) and _const(var) and (b is None or _const(b))
                and (gamma is None or _const(gamma)) and (beta is None or _const(beta))):
            continue
        if prev.op == "linear" and len(x.shape) != 2:  # BatchNorm1d over (N, C) only
            continue
        dt = w.data.dtype
        s = 1 / _xp.sqrt(var.data.astype(dt) + eps)
        if gamma is not None:
            s = s * gamma.data
        C = s.shape[0]
        new_w = (w.data * s.reshape((C,) + (1,) * (w.data.ndim - 1))).astype(dt)
        bias = b.data if b is not None else _xp.zeros(C, dt)
        new_b = ((bias - mean.data.astype(dt)) * s).astype(dt)
        if beta is not None:
            new_b = new_b + beta.data
        prev.args[1] = graph.new_value(new_w.shape, dt, "const", data=new_w)
        prev.args[2] = graph.new_value(new_b.shape, dt, "const", data=new_b)
        graph.replace_uses(bn.outputs[0], x)
        dead.add(bn)
        folded += 1
    graph.nodes[:] = [n for n in graph.nodes if n not in dead]
    graph.prune_consts()
    return folded
