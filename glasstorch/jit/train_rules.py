"""Array rules for the compiled training step: an op's forward and backward written as NumPy
source on raw arrays with preallocated `out=` buffers, making the very NumPy calls (same
kernels, same order of operations) that the op's eager forward and backward make, so the
replay stays bit-identical to eager training.

    RULES[op](node, flags) -> a rule object or None (this call is not covered: the step falls
                              back to the op's own forward/backward, train_step.py)
    rule.forward(em)          source lines computing the node's output
    rule.backward(em)         source lines adding the inputs' gradients (em.contribute)

`em` (train_step._Emitter) names values (`em.v(value)`), gradients (`em.g(value)`), keeps
constants and buffers (`em.const`, `em.buffer`: allocated once, reused by every call).
Covered: linear (2-D input), relu, view/reshape, 2-d convolutions (train_conv.py: forward
keeps its im2col columns for the weight gradient) and max pooling over windows tiling the input
(train_pool.py). Everything else (other pooling, losses...) runs its eager forward and
backward on arrays.
"""
import numpy as np

from .ir import Value

__all__ = ["RULES"]


def _float(v):
    return isinstance(v, Value) and np.dtype(v.dtype).kind == "f"


class _Rule:
    def __init__(self, node, flags):
        self.node, self.flags = node, flags


class _Linear(_Rule):
    """y = x W^T + b.  Eager: y = matmul(x, W.T); y += b.  Backward: gx = matmul(gy, W),
    gW = matmul(gy.T, x), gb = gy.sum(axis=(0,), dtype=gy.dtype).

    OpenBLAS's GEMM with a transposed C-ordered W is slow (x @ W.T: 145 us for 16x784 @
    784x256, one thread) where W @ x.T runs 90 us; its transpose is the same numbers, summed in
    the same order, for the shapes measured. Whether it is bit-identical for this layer's shapes
    is checked at trace time on random arrays (the order of a BLAS sum depends on shapes and
    strides, not on values); if not, the eager formulation runs."""

    @classmethod
    def make(cls, node, flags):
        x, w, b = node.args[:3]
        if node.kwargs or len(x.shape) != 2 or len(w.shape) != 2 or not _float(x) or \
                np.dtype(w.dtype) != np.dtype(x.dtype) or \
                (b is not None and np.dtype(b.dtype) != np.dtype(x.dtype)):
            return None
        return cls(node, flags)

    def forward(self, em):
        x, w, b = self.node.args[:3]
        y = self.node.outputs[0]
        dt = np.dtype(y.dtype)
        out = em.v(y)
        lines = [f"{out} = {em.buffer(y.shape, dt)}"]
        if _swap_is_exact(x.shape, w.shape, dt):
            t = em.buffer(y.shape[::-1], dt)
            lines.append(f"_matmul({em.v(w)}, {em.v(x)}.T, out={t})")
            if b is not None:
                lines.append(f"_add({t}.T, {em.v(b)}, out={out})")
            else:
                lines.append(f"_copyto({out}, {t}.T)")
        else:
            lines.append(f"_matmul({em.v(x)}, {em.v(w)}.T, out={out})")
            if b is not None:
                lines.append(f"_add({out}, {em.v(b)}, out={out})")
        return lines

    def backward(self, em):
        x, w, b = self.node.args[:3]
        gy = em.g(self.node.outputs[0])
        lines = []
        if self.flags[0]:
            lines += em.contribute(x, f"_matmul({gy}, {em.v(w)})")
        if self.flags[1]:
            lines += em.contribute(w, f"_matmul({gy}.T, {em.v(x)})")
        if b is not None and self.flags[2]:
            lines += em.contribute(b, f"{gy}.sum(axis=(0,), dtype={em.const(np.dtype(b.dtype))})")
        return lines


_EXACT = {}


def _swap_is_exact(x_shape, w_shape, dtype):
    """Is (W @ x.T).T bit-identical to x @ W.T for these shapes (and this BLAS)? Checked once
    per shape on random values from a private generator (the global RNG is not touched)."""
    key = (x_shape, w_shape, dtype.str)
    hit = _EXACT.get(key)
    if hit is None:
        rng = np.random.default_rng(0)
        ok = True
        for _ in range(2):
            x = rng.standard_normal(x_shape).astype(dtype)
            w = rng.standard_normal(w_shape).astype(dtype)
            ok = ok and np.array_equal(np.matmul(w, x.T).T, np.matmul(x, w.T))
        hit = _EXACT[key] = ok and x_shape[0] > 1
    return hit


class _Relu(_Rule):
    """y = maximum(0, x).  Eager backward (ops/piecewise.py _Masked): gy where not (y <= 0),
    else +0.0, as a bitwise and of gy's bits with an all-ones / all-zeros mask (a where()
    branches per element: ~25x slower). Here the int8 mask is (y <= 0) - 1 (0 or -1) in one
    call instead of eager's negate-of-not: the same mask, the same bits."""

    @classmethod
    def make(cls, node, flags):
        x = node.args[0]
        if node.kwargs or not _float(x) or np.dtype(x.dtype).itemsize not in _INTS:
            return None
        return cls(node, flags)

    def forward(self, em):
        x, y = self.node.args[0], self.node.outputs[0]
        dt = np.dtype(y.dtype)
        out = em.v(y)
        return [f"{out} = {em.buffer(y.shape, dt)}",
                f"_maximum({em.const(np.zeros((), dt))}, {em.v(x)}, out={out})"]

    def backward(self, em):
        x, y = self.node.args[0], self.node.outputs[0]
        dt = np.dtype(y.dtype)
        ints = _INTS[dt.itemsize]
        em.env.update(_less_equal=np.less_equal, _subtract=np.subtract,
                      _bitwise_and=np.bitwise_and)
        mask = em.buffer(y.shape, np.dtype(bool))
        m8, gx = em.const(em.env[mask].view(np.int8)), em.buffer(y.shape, dt)
        gx_bits = em.const(em.env[gx].view(ints))
        from ..backend.kernels import numba_for_exact
        if numba_for_exact():       # one compiled pass, the same bits (jit/numba_pool.py)
            from .numba_pool import relu_backward
            return [f"{em.const(relu_backward)}({em.v(y)}, {em.g(y)}.view({em.const(ints)}), "
                    f"{gx_bits})"] + em.contribute(x, gx)
        return [f"_less_equal({em.v(y)}, 0, out={mask})",
                f"_subtract({m8}, 1, out={m8})",
                f"_bitwise_and({em.g(y)}.view({em.const(ints)}), {m8}, out={gx_bits})"] + \
            em.contribute(x, gx)


_INTS = {2: np.int16, 4: np.int32, 8: np.int64}


class _Reshape(_Rule):
    """view/reshape: y = x reshaped;  gx = gy reshaped back (no arithmetic)."""

    @classmethod
    def make(cls, node, flags):
        if node.kwargs or not isinstance(node.args[0], Value):
            return None
        return cls(node, flags)

    def forward(self, em):
        x, y = self.node.args[0], self.node.outputs[0]
        return [f"{em.v(y)} = {em.v(x)}.reshape({em.const(tuple(y.shape))})"]

    def backward(self, em):
        x, y = self.node.args[0], self.node.outputs[0]
        return em.contribute(x, f"{em.g(y)}.reshape({em.const(tuple(x.shape))})")


class _CrossEntropy(_Rule):
    """cross_entropy(x (N, C), class indices, no weight, no smoothing, mean): ops/loss.py's
    forward and backward with the Tensor layer taken out, the same NumPy calls in order:
    s = x - max;  loss = sum((log sum exp s - s_t) * w_t) / sum(w_t);  p = softmax (kept);
    gx = (p * q_sum - q) * gy with q = w_t / denom at the targets."""

    @classmethod
    def make(cls, node, flags):
        x, t, weight, ignore, smoothing, reduction = node.args
        if node.kwargs or weight is not None or smoothing != 0 or reduction != "mean" or \
                not _float(x) or len(x.shape) != 2 or not isinstance(t, Value) or \
                np.dtype(t.dtype).kind not in "iu" or flags[1:] != (False,) * 5:
            return None
        return cls(node, flags)

    def __init__(self, node, flags):
        super().__init__(node, flags)
        from ..backend.kernels import numba_for_exact
        self.compiled = None       # numba's loops for the exact steps (jit/numba_pool.py)
        x = node.args[0]
        if numba_for_exact() and np.dtype(x.dtype) in (np.float32, np.float64):
            from . import numba_pool
            self.compiled = numba_pool
            n, dt = x.shape[0], np.dtype(x.dtype)
            self.bufs = (np.empty(n, dt), np.empty(n, dt), np.empty(n, np.intp),
                         np.empty(n, dt))

    def forward(self, em):
        x, t = self.node.args[:2]
        y = self.node.outputs[0]
        self.saved = f"_ce_{em.v(y)}"
        return [f"{em.v(y)}, {self.saved} = {em.const(self.run_forward)}({em.v(x)}, {em.v(t)})"]

    def backward(self, em):
        x, y = self.node.args[0], self.node.outputs[0]
        return em.contribute(x, f"{em.const(self.run_backward)}({em.g(y)}, {self.saved})")

    def run_forward(self, x, target):
        nb = self.compiled
        if nb is not None:
            s_t, wt, at, loss = self.bufs
            s = np.empty_like(x)
            count = nb.cross_entropy_head(x, target, self.node.args[3], s, s_t, wt, at)
            if count <= -2:
                raise IndexError(f"Target {target[-2 - count]} is out of bounds.")
            if count >= 0:                  # -1: a nan in x, the NumPy steps below
                e = np.exp(s, out=s)
                sum_e = e.sum(axis=1, keepdims=True)
                nb.cross_entropy_tail(e, sum_e, np.log(sum_e)[:, 0], s_t, wt, loss)
                denom, total = x.dtype.type(count), loss.sum()
                if count == 0:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        return np.asarray(total / denom), (e, at, wt, denom)
                return np.asarray(total / denom), (e, at, wt, denom)
        n, c = x.shape
        s = x - x.max(axis=1, keepdims=True, initial=-float("inf"))
        valid = target != self.node.args[3]
        t = np.where(valid, target, 0)
        if t.size and (t.min() < 0 or t.max() >= c):
            raise IndexError(f"Target {t[(t < 0) | (t >= c)][0]} is out of bounds.")
        at = np.arange(n) * c + t
        wt = valid.astype(x.dtype)
        s_t = s.reshape(-1)[at]
        e = np.exp(s, out=s)
        sum_e = e.sum(axis=1, keepdims=True)
        loss = (np.log(sum_e)[:, 0] - s_t) * wt
        denom = wt.sum()
        p = np.divide(e, sum_e, out=e)
        total = loss.sum()
        if denom == 0:
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.asarray(total / denom), (p, at, wt, denom)
        return np.asarray(total / denom), (p, at, wt, denom)

    def run_backward(self, gy, saved):
        p, at, wt, denom = saved
        if self.compiled is not None and gy.dtype == p.dtype:
            gx = np.empty_like(p)
            scale = p.dtype.type(1.0 / float(denom) if denom else 1.0)   # as wt * float does
            self.compiled.cross_entropy_grad(p, at, wt, scale, p.dtype.type(gy), gx)
            return gx
        picked = wt * (1.0 / float(denom) if denom else 1.0)
        q = np.zeros(p.shape, p.dtype)
        q.reshape(-1)[at] = picked
        return (p * picked[:, None] - q) * gy


from .train_conv import ConvRule  # noqa: E402
from .train_pool import MaxPoolRule  # noqa: E402

RULES = {"linear": _Linear.make, "relu": _Relu.make, "view": _Reshape.make,
         "reshape": _Reshape.make, "convolution": ConvRule.make,
         "max_pool2d_with_indices": MaxPoolRule.make, "cross_entropy": _CrossEntropy.make}
