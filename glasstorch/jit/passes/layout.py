"""Weight layout for matrix-vector products: a frozen linear layer at batch 1 runs as np.dot
on 1-D rows, in the orientation chosen here, at trace time.

At batch 1 a linear layer is a GEMV that reads the whole weight once per call: 800 KB for the
MLP's 784x256 float32 layer, so its speed is the bandwidth of that read. OpenBLAS's two GEMV
kernels are not equally fast (1 thread, docs/perf/static-graphs.md):

    784 -> 256   x @ W.T (eager) 10.5 us   dot(W, x) 10.0 us   dot(x, Wt) 7.9 us
    256 -> 10    x @ W.T (eager)  0.9 us   dot(W, x)  0.56 us  dot(x, Wt) 0.83 us

(Wt = W^T stored C-contiguous). A wide layer (>= 64 outputs) keeps its own Wt and uses
dot(x, Wt): that kernel sums in another order than eager's, so results may differ in the last
bits (~1e-7 relative): like fold_bn this pass is not exact. A narrow one uses dot(W, x), which
is eager's kernel (bit-identical) with less call overhead. Larger batches are GEMMs: untouched.
A view feeding the layer and nothing else (an MLP's flatten) is folded in: the GEMV reads its
source as one row (`x.reshape(-1)`), one call less per replay.

Wt starts on a cache-line (64-byte) boundary: NumPy only aligns to 16 bytes, and the same
784x256 GEMV measured 7.8 us on a 64-byte aligned Wt and 10.5 us on one 16 bytes off (one
process, alternating; it was the bimodal "7.8-10.5 us" of docs/perf/static-graphs.md). The
GEMV's output row matters too (16 or 48 bytes off a line: +0.35 us): memory.py's buffers are
aligned.
"""
import numpy as np

from ..ir import Value

__all__ = ["transpose_gemv_weights", "aligned_empty", "aligned_copy"]

WIDE = 64      # output features from which the transposed weight's kernel wins (measured)
LINE = 64      # cache-line bytes: where a GEMV's weight starts


def aligned_empty(shape, dtype, align=LINE):
    """An uninitialized C-contiguous array whose data starts on an `align`-byte boundary."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + align, np.uint8)
    start = -raw.ctypes.data % align
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def aligned_copy(a, align=LINE):
    """A C-contiguous copy of `a` whose data starts on an `align`-byte boundary."""
    out = aligned_empty(a.shape, a.dtype, align)
    out[...] = a
    return out


def transpose_gemv_weights(graph):
    """Mark fused linear heads with a constant 2-D weight and one input row as GEMVs (a wide
    layer gets its own C-contiguous W^T); returns the number of layers changed."""
    count = 0
    uses = graph.uses()
    for n in list(graph.nodes):
        if n.op != "jit::fused" or n.cls.nodes[0].op != "linear":
            continue
        x, w = n.cls.nodes[0].args[:2]
        if w.kind != "const" or w.data.ndim != 2 or len(x.shape) != 2 or x.shape[0] != 1:
            continue
        wide = w.data.shape[0] >= WIDE
        n.cls.gemv = ("wt", aligned_copy(w.data.T)) if wide else ("w", None)
        count += 1
        view = x.node
        if view is not None and view.op == "view" and uses.get(x) == 1 and \
                isinstance(view.args[0], Value) and sum(a is x for a in n.args) == 1:
            src = view.args[0]
            n.cls.pre = view            # (tensors mode still runs it first)
            n.args = [src if a is x else a for a in n.args]
            if sum(a is src for a in n.args) > 1:    # src already an argument: keep one
                i = n.args.index(src)
                n.args = n.args[:i + 1] + [a for a in n.args[i + 1:] if a is not src]
            graph.nodes.remove(view)
    return count
