"""Max pooling's array rule for the compiled training step (train_rules.py): windows that tile
the input exactly (kernel = stride, no padding or dilation, sizes divisible: LeNet's 2x2).

Eager (ops/pool.py, backend/cpu_kernels.window_max) copies x to a (H, W, N*C) canvas, finds
each window's maximum and the flat index of the first maximum in the plane, and backward
scatters gy to those indices over a zeroed plane. With exact tiling every input position is in
exactly one window, so the rule works on strided views of x itself, no canvas, no flat
index: `arg` keeps which kernel offset won, computed by eager's very loop (offsets in row-major
order; `v > best` strict, so the first of equal maxima wins; a nan is the maximum and a later
nan takes over; `best = maximum(best, v)`), so the values and the winners are eager's.
With numba installed (backend.kernels.numba_for_exact) 2x2 windows run as one compiled loop
with these very comparisons (numba_pool.py: the same bits, 3-5x faster).
Backward writes every input position once: gy's bits where its offset won, +0.0 elsewhere
(a bitwise and with an all-ones / all-zeros mask, as relu's gradient), the bits of eager's
scatter over zeros.
"""
import numpy as np

from ..backend import cpu_kernels as _k
from .ir import Value

__all__ = ["MaxPoolRule"]

_INTS = {2: np.int16, 4: np.int32, 8: np.int64}


class MaxPoolRule:
    @classmethod
    def make(cls, node, flags):
        a = node.args
        if len(a) != 4 or set(node.kwargs) != {"window"} or not isinstance(a[0], Value) or a[3]:
            return None
        x = a[0]
        geometry, out = node.kwargs["window"]
        if len(x.shape) != 4 or np.dtype(x.dtype).kind != "f" or \
                np.dtype(x.dtype).itemsize not in _INTS or len(geometry) != 2:
            return None
        for (k, s, d, p), o, n in zip(geometry, out, x.shape[2:]):
            if k != s or d != 1 or p != 0 or o * k != n:
                return None
        return cls(node, flags, tuple(g[0] for g in geometry))

    def __init__(self, node, flags, kernel):
        self.node, self.flags, self.kernel = node, flags, kernel
        x, y = node.args[0], node.outputs[0]
        N, C, Ho, Wo = y.shape
        kh, kw = kernel
        self.split = (N, C, Ho, kh, Wo, kw)
        self.offsets = [(i, j) for i in range(kh) for j in range(kw)]
        dt = np.dtype(x.dtype)
        self.better = np.empty(y.shape, bool)
        self.step = np.empty(y.shape, np.intp)
        self.ints = _INTS[dt.itemsize]
        self.mask = np.empty(y.shape, np.int8)
        self.compiled = None           # numba's loop for 2x2 windows (numba_pool.py)
        from ..backend.kernels import numba_for_exact
        if kernel == (2, 2) and dt in (np.float32, np.float64) and numba_for_exact():
            from .numba_pool import max_pool_2x2, max_pool_2x2_backward
            self.compiled, self.compiled_backward = max_pool_2x2, max_pool_2x2_backward

    def forward(self, em):
        x, y = self.node.args[0], self.node.outputs[0]
        self.arg = f"_arg_{em.v(y)}"
        return [f"{em.v(y)}, {self.arg} = {em.const(self.run_forward)}({em.v(x)}, "
                f"{em.buffer(y.shape, np.dtype(y.dtype))})"]

    def backward(self, em):
        x, y = self.node.args[0], self.node.outputs[0]
        gx = em.buffer(x.shape, np.dtype(x.dtype))
        return em.contribute(x, f"{em.const(self.run_backward)}({em.g(y)}, {self.arg}, {gx})")

    def _views(self, a):
        r = a.reshape(self.split)
        return [r[:, :, :, i, :, j] for i, j in self.offsets]

    def run_forward(self, x, best):
        if _k.channels_last(x):
            raise RuntimeError("jit.trace_train_step: a max pool's input is channels-last now "
                               "but was traced NCHW; trace again")
        if self.compiled is not None:
            arg = np.empty(best.shape, np.intp)
            self.compiled(x, best, arg)
            return best, arg
        views = self._views(x)
        np.copyto(best, views[0])
        arg = np.zeros(best.shape, np.intp)
        nan = bool(np.isnan(x).any())
        better, step = self.better, self.step
        for j, v in enumerate(views[1:], 1):
            np.greater(v, best, out=better)
            if nan:
                better |= np.isnan(v)
            np.multiply(better, j, out=step)
            np.maximum(arg, step, out=arg)
            np.maximum(best, v, out=best)
        return best, arg

    def run_backward(self, gy, arg, gx):
        bits = gy.view(self.ints)
        if self.compiled is not None:
            self.compiled_backward(bits, arg, gx.view(self.ints))
            return gx
        mask, won = self.mask, self.better
        for j, view in enumerate(self._views(gx.view(self.ints))):
            np.equal(arg, j, out=won)
            np.negative(won.view(np.int8), out=mask)
            np.bitwise_and(bits, mask, out=view)
        return gx
