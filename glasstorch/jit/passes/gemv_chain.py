"""A run of batch-1 linear layers (each with an optional relu) as one compiled call: the
numba form of the MLP replay, with the NumPy replay's exact bits (`optimize_for_inference`
runs it when `backend.kernels.numba_for_exact()`: numba installed and not deselected).

At batch 1 a Linear + ReLU stack is GEMVs with tiny elementwise steps between them. The NumPy
replay (fusion.py, layout.py) spends ~3 us of its ~10 in those steps: each NumPy call costs
0.3-0.9 us whatever the size (benchmarks/README.md). Here one numba function does the whole
run: each GEMV calls NumPy's own BLAS (the OpenBLAS library its wheel ships, through ctypes)
with the arguments np.dot passes for the orientation layout.py chose, and the bias add and
relu are plain loops:

    def kernel(x):                    # x: the chain's input, any shape of size k0
        h1 = empty(n1); gemv(W1^T ...) # BLAS: what np.dot(x, W1^T) runs
        for j: v = h1[j] + b1[j]; h1[j] = 0 if v < 0 else v
        y = empty((1, n2)); gemv(W2 ...); y += b2
        return y                      # a fresh array each call

The results are the NumPy replay's bits (the same BLAS kernels with the same arguments, then
the same float32 additions and relu: x < 0 -> +0.0, NaN and -0.0 kept); tests compare them.
Weights are read through their addresses, which the chain keeps alive; biases are constants
of the compiled code. Without a BLAS library NumPy exposes by name the pass changes nothing.
"""
import ctypes
import glob
import os

import numpy as np

from ..ir import Node, Value

__all__ = ["chain_gemvs", "GemvChain", "blas_gemv"]

_ROW, _COL, _NOTRANS, _TRANS = 101, 102, 111, 112      # CBLAS enums
_NAMES = {"f": ("scipy_cblas_sgemv64_", "cblas_sgemv64_", "cblas_sgemv"),
          "d": ("scipy_cblas_dgemv64_", "cblas_dgemv64_", "cblas_dgemv")}
_found = {}


def blas_gemv(dtype):
    """The cblas ?gemv of the BLAS NumPy's wheel bundles (a ctypes function taking pointers
    as integers), or None when there is no such library or symbol."""
    char = "f" if np.dtype(dtype) == np.float32 else "d"
    if char not in _found:
        _found[char] = _load(char)
    return _found[char]


def _load(char):
    root = os.path.dirname(np.__file__)
    paths = glob.glob(os.path.join(root + ".libs", "*openblas*")) + \
        glob.glob(os.path.join(root, ".dylibs", "*openblas*"))
    for path in paths:
        try:
            lib = ctypes.CDLL(path)      # already loaded by NumPy: the same library instance
        except OSError:
            continue
        for name in _NAMES[char]:
            fn = getattr(lib, name, None)
            if fn is None:
                continue
            ilp64 = "64" in name
            i = ctypes.c_int64 if ilp64 else ctypes.c_int
            real = ctypes.c_float if char == "f" else ctypes.c_double
            ptr = ctypes.c_size_t
            fn.restype = None
            fn.argtypes = [ctypes.c_int, ctypes.c_int, i, i, real, ptr, i, ptr, i, real, ptr, i]
            return fn
    return None


class GemvChain:
    """What a `jit::gemv_chain` node calls: the numba kernel (arrays mode), or the groups'
    own autograd calls in order (tensors mode)."""

    def __init__(self, groups):
        self.groups = groups        # the jit::fused nodes replaced, in order
        self.keep = []              # arrays whose addresses the kernel reads
        self.kernel = None
        self.source = None

    def make_call(self, node, mode):
        if mode == "arrays":
            if self.kernel is None:
                self.kernel = self._compile()
            return self.kernel
        from ...tensor import _make
        steps = []
        for g in self.groups:
            fn = g.cls.make_call(g, "tensors")
            # the chain's running value first; the constants (weight, bias) as Tensors
            steps.append((fn, [None if a is g.args[0] else _make(a.data) for a in g.args]))

        def call(x):
            for fn, args in steps:
                x = fn(*[x if a is None else a for a in args])
            return x
        return call

    def _compile(self):
        import numba
        env = {"_np": np, "_gemv": None}
        last = len(self.groups) - 1
        lines = ["def kernel(x):", "    x = _np.ascontiguousarray(x)", "    h = x"]
        for i, g in enumerate(self.groups):
            group = g.cls
            lin = group.nodes[0]
            w, b = lin.args[1], lin.args[2]
            dtype = np.dtype(g.outputs[0].dtype)
            n, k = w.data.shape
            env[f"_gemv{i}"] = blas_gemv(dtype)
            env[f"_one{i}"], env[f"_zero{i}"] = dtype.type(1), dtype.type(0)
            if group.gemv[0] == "wt":      # np.dot(x, W^T): W^T C-contiguous is col-major n x k
                a = group.gemv[1]
                call = (_COL, _NOTRANS, n, k, n)
            else:                          # np.dot(W, x): W C-contiguous is col-major k x n
                a = np.ascontiguousarray(w.data)
                call = (_COL, _TRANS, k, n, k)
            self.keep.append(a)
            out = "y" if i == last else f"h{i}"
            shape = "(1, %d)" % n if i == last else str(n)
            lines += [f"    {out} = _np.empty({shape}, _np.{dtype.name})",
                      f"    _gemv{i}({call[0]}, {call[1]}, {call[2]}, {call[3]}, _one{i}, "
                      f"{a.ctypes.data}, {call[4]}, h.ctypes.data, 1, _zero{i}, "
                      f"{out}.ctypes.data, 1)"]
            flat = f"{out}.reshape(-1)" if i == last else out
            relu = len(group.nodes) > 1
            if b is not None or relu:
                lines += [f"    o = {flat}", f"    for j in range({n}):", "        v = o[j]"]
                if b is not None:
                    env[f"_b{i}"] = np.ascontiguousarray(b.data)
                    lines.append(f"        v = v + _b{i}[j]")
                if relu:
                    lines.append(f"        o[j] = _zero{i} if v < _zero{i} else v")
                else:
                    lines.append("        o[j] = v")
            lines.append(f"    h = {out}")
        lines.append("    return y")
        self.source = "\n".join(lines)
        exec(compile(self.source, "<glasstorch.jit gemv chain>", "exec"), env)
        # not fastmath: every addition rounds as NumPy's does (same bits as the NumPy replay)
        return numba.njit(nogil=True)(env["kernel"])


def _link(g):
    """Whether fused group node g can be a link of a chain: a batch-1 GEMV head (layout.py)
    with constant weight and bias, then nothing or one relu."""
    if g.op != "jit::fused":
        return False
    group = g.cls
    lin = group.nodes[0]
    if lin.op != "linear" or group.gemv is None or any(n.op != "relu" for n in group.nodes[1:]) \
            or len(group.nodes) > 2:
        return False
    dtype = np.dtype(g.outputs[0].dtype)
    x, w, b = lin.args[:3]
    source = group.pre.args[0] if group.pre is not None else x
    return g.args[0] is source and dtype in (np.float32, np.float64) and \
        blas_gemv(dtype) is not None and w.kind == "const" and \
        (b is None or (isinstance(b, Value) and b.kind == "const"))


def chain_gemvs(graph):
    """Replace each run of consecutive GEMV groups (each reading the previous one's output,
    used nowhere else) by one `jit::gemv_chain` node; returns the number of chains."""
    uses = graph.uses()
    outs = set(graph.output_values())
    runs, run = [], []
    for n in graph.nodes:
        if _link(n) and run and n.args[0] is run[-1].outputs[0] and \
                uses.get(run[-1].outputs[0]) == 1 and run[-1].outputs[0] not in outs:
            run.append(n)
            continue
        if len(run) > 1:
            runs.append(run)
        run = [n] if _link(n) else []
    if len(run) > 1:
        runs.append(run)
    for run in runs:
        i = graph.nodes.index(run[0])
        node = Node("jit::gemv_chain", GemvChain(run), [run[0].args[0]],
                    {"ops": " | ".join(g.kwargs.get("ops", "") for g in run)}, [])
        out = run[-1].outputs[0]
        node.outputs = [out]
        out.node, out.index = node, 0
        graph.nodes[i:i + len(run)] = [node]
    return len(runs)
