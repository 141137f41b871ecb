"""The convolution's array rule for the compiled training step (train_rules.py): forward keeps
its im2col columns for the weight gradient.

Eager (ops/conv.py, ops/conv_kernels.py) builds the columns of x twice per step: once in the
forward GEMM (y = W @ cols, chunk by chunk of the batch) and again in the weight gradient
(gW = sum over chunks of cols @ gy^T), on purpose: keeping them would hold k1*k2 times the
input (25x for a 5x5 kernel) from forward to backward. A compiled step trades that memory
(LeNet, batch 16: 1.25 MB + 0.96 MB) for one im2col per conv less, when the batch's columns
are one chunk (conv_kernels._CHUNK_BYTES, 2 MB): larger batches have eager's chunks rebuilt
while in cache, which beat reading kept columns back from memory (LeNet at batch 128 ran
0.97x eager keeping them, measured). Everything else is the
eager kernels' own code path, called with the same arrays in the same order: the chunks of
the batch, the GEMMs, the per-thread partial sums (conv_kernels._per_chunk / _sum_per_chunk),
the input gradient (conv_kernels_t.conv_t_forward) and the bias gradient (gy.sum), so the
results are bit-identical to eager.

Convolutions eager runs on row columns (conv_kernels_rows.takes: few input channels, >= 5-row
kernels, LeNet's two) and outputs of >= 256 pixels (conv_kernels._forward_per_sample: columns
in a per-thread scratch buffer) keep no columns: eager's own calls, same bits.
Covered: 2-d, one group, not transposed, not 1x1, NCHW (not channels-last) input and weight.
The layout is checked at every call; a channels-last array there raises (the step was traced
for NCHW, whose kernels differ): trace again, or train that model eagerly.
"""
import numpy as np

from ..backend import cpu_kernels as _k, memory as _mem, xp as _xp
from ..ops import conv_kernels as _ck, conv_kernels_nhwc as _nhwc, conv_kernels_rows as _rows
from ..ops import conv_kernels_t as _ckt
from .ir import Value

__all__ = ["ConvRule"]


def _prod(xs):
    p = 1
    for v in xs:
        p *= v
    return p


class ConvRule:
    @classmethod
    def make(cls, node, flags):
        a = node.args
        if len(a) != 7 or node.kwargs or not all(isinstance(v, Value) for v in a[:2]):
            return None
        x, w, b, geometry, groups, transposed, out = a
        if groups != 1 or transposed or len(x.shape) != 4 or np.dtype(x.dtype).kind != "f" \
                or _ck._pointwise(geometry, groups) or 0 in x.shape or 0 in w.shape:
            return None
        # the layout the eager op would choose, for C-contiguous arrays of these shapes
        if _nhwc.use_channels_last(np.empty(x.shape, x.dtype), np.empty(w.shape, w.dtype)):
            return None
        return cls(node, flags)

    def __init__(self, node, flags):
        self.node, self.flags = node, flags
        x, w, b, geometry, groups, transposed, out = node.args
        self.geometry, self.out = geometry, tuple(out)
        C, self.O = x.shape[1], w.shape[0]
        self.K, self.P = C * _prod(w.shape[2:]), _prod(out)
        self.sample_bytes = self.K * self.P * np.dtype(x.dtype).itemsize
        self.kshape = tuple(w.shape[2:])

    # ---- generated code ------------------------------------------------------------------
    def forward(self, em):
        x, w, b = self.node.args[:3]
        y = self.node.outputs[0]
        bias = em.v(b) if isinstance(b, Value) else "None"
        self.cols = f"_cols_{em.v(y)}"
        return [f"{em.v(y)}, {self.cols} = {em.const(self.run_forward)}({em.v(x)}, "
                f"{em.v(w)}, {bias})"]

    def backward(self, em):
        x, w, b = self.node.args[:3]
        gy = em.g(self.node.outputs[0])
        lines = []
        if self.flags[0]:       # Convolution.backward: the transposed conv of gy
            lines += em.contribute(x, f"{em.const(self.input_grad)}({gy}, {em.v(w)})")
        if self.flags[1]:
            lines += em.contribute(w, f"{em.const(self.weight_grad)}({gy}, {self.cols}, "
                                      f"{em.v(x)})")
        if isinstance(b, Value) and self.flags[2]:
            # eager's order (ops/conv.py Convolution.backward): the batch first, then the rest
            dt = em.const(np.dtype(b.dtype))
            lines += em.contribute(b, f"{gy}.sum(axis=(0,), dtype={dt})"
                                      f".sum(axis=(1, 2), dtype={dt})")
        return lines

    # ---- what runs (conv_kernels.conv_forward / weight_grad, one group, columns kept) ------
    def run_forward(self, x, w, b):
        if _nhwc.use_channels_last(x, w):
            raise RuntimeError("jit.trace_train_step: a convolution's input or weight is "
                               "channels-last now but was traced NCHW; trace again")
        if _rows.takes(x, w, self.geometry, 1) or \
                (_ck._PER_SAMPLE and self.P >= _ck._PER_SAMPLE_MIN_P):
            # eager's row-columns path (conv_kernels_rows.py: no im2col columns at all) or
            # per-sample path (columns in a per-thread scratch buffer, y written in place):
            # run it as is; the weight gradient rebuilds the columns as eager does
            y = _ck.conv_forward(x, w, self.geometry, 1, self.out)
            if b is not None:
                y += b.reshape(-1, 1, 1)
            return y, None
        N = x.shape[0]
        wm = w.reshape(1, self.O, self.K)
        y = _mem.empty((N, self.O) + self.out, x.dtype)
        cols = {} if N * self.sample_bytes <= _ck._CHUNK_BYTES else None

        def chunk(n):
            c = _k.im2col(x[n], self.geometry, self.out).reshape(1, self.K, self.P *
                                                                 (n.stop - n.start))
            if cols is not None:
                cols[n.start] = c
            yn = wm[0] @ c[0]
            _k.transpose2d(yn.reshape(self.O * self.P, n.stop - n.start),
                           y[n].reshape(n.stop - n.start, -1))
        _ck._per_chunk(N, self.sample_bytes, chunk)
        if b is not None:                       # ops/conv.py _add_bias
            y += b.reshape(-1, 1, 1)
        return y, cols

    def weight_grad(self, gy, cols, x):
        if cols is None:        # several chunks: eager's weight gradient, columns rebuilt
            return _ck.weight_grad(gy, x, self.geometry, 1)
        A = gy.shape[1]

        def chunk(n):
            am = _k.batch_last(gy[n]).reshape(1, A, -1)
            cm = cols[n.start].reshape(1, self.K, am.shape[2])
            return (cm[0] @ am[0].T)[None]
        gw = _ck._sum_per_chunk(gy.shape[0], self.sample_bytes, chunk,
                                _xp.zeros((1, self.K, A), gy.dtype))
        return gw.swapaxes(-1, -2).reshape((A, self.K // _prod(self.kshape)) + self.kshape)

    def input_grad(self, gy, w):
        x = self.node.args[0]
        return _ckt.conv_t_forward(gy, w, self.geometry, 1, tuple(x.shape[2:]))
