"""A run of batch-1 linear layers (each with an optional relu) as one compiled call: the
numba form of the MLP replay, with the NumPy replay's exact bits (`optimize_for_inference`
runs it when `backend.kernels.numba_for_exact()`: numba installed and not deselected).

At batch 1 a Linear + ReLU stack is GEMVs with tiny elementwise steps between them. The NumPy
replay (fusion.py, layout.py) spends ~3 us of its ~10 in those steps: each NumPy call costs
0.3-0.9 us whatever the size (docs/perf/static-graphs.md). Here one numba function does the whole
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
import sys

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
    """What a `jit::gemv_chain` node runs: in arrays mode the numba kernel, inlined by the
    executor (`emit`); in tensors mode the groups' own autograd calls in order."""

    def __init__(self, groups):
        self.groups = groups        # the jit::fused nodes replaced, in order
        self.keep = []              # arrays whose addresses the kernel reads
        self.kernel = None          # the numba dispatcher
        self.entry = None           # its compiled entry point (no type dispatch)
        self.source = None

    def make_call(self, node, mode):
        if mode == "arrays":        # (the executor inlines `emit` instead; this is its twin)
            env = {}
            lines = self.emit(node, ["x"], "y", env, "")
            src = "def call(x):\n" + "".join(f"    {ln}\n" for ln in lines) + "    return y"
            exec(compile(src, "<glasstorch.jit gemv chain call>", "exec"), env)
            return env["call"]
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

    def emit(self, node, names, out, env, tag):
        """Source lines running the chain on names[0] into `out`: the kernel's compiled entry
        point (numba's dispatcher costs ~0.1 us more) with the output array from a pool of
        two: an array nobody else references any more (its reference count says so: the pool,
        `_o` and getrefcount's argument) is written again; the caller never sees an array
        change under it, and a `y = model(x)` loop (the previous y still alive during the
        call) or a loop dropping its results allocates nothing. Allocating the result in
        numba and boxing it cost ~0.35 us per call."""
        if self.entry is None:
            self._compile()
        v = node.outputs[0]
        if len(v.shape) != 2:       # the kernel's y is a (1, n) array (chains start at (1, k))
            raise RuntimeError(f"jit gemv chain: output shape {v.shape}, expected (1, n)")
        pool = [np.empty(v.shape, v.dtype), np.empty(v.shape, v.dtype)]
        env.update({f"_chain{tag}": self.entry, f"_pool{tag}": pool, f"_ws{tag}": self.ws,
                    "_refcount": sys.getrefcount, "_empty": np.empty,
                    "_contiguous": np.ascontiguousarray,
                    f"_shape{tag}": tuple(v.shape), f"_dtype{tag}": np.dtype(v.dtype)})
        x, p = names[0], f"_pool{tag}"
        return [f"_o = {p}[0]",
                "if _refcount(_o) > 3:           # the caller still holds it",
                f"    _o = {p}[1]",
                "    if _refcount(_o) > 3:",
                f"        _o = _empty(_shape{tag}, _dtype{tag})",
                f"    {p}[0], {p}[1] = _o, {p}[0]",
                f"if _chain{tag}({x}, _o, _ws{tag}):        # 1: {x} is not C-contiguous",
                f"    _chain{tag}(_contiguous({x}), _o, _ws{tag})",
                f"{out} = _o",
                "del _o"]

    def _compile(self):
        """Generate, compile (explicit signature: no dispatch at call time) and keep the kernel
        kernel(x, y, ws): x the chain's input (its traced shape, any strides: returns 1 without
        touching anything unless C-contiguous), y the output, ws the hidden rows' scratch."""
        import numba
        from numba import types
        from .layout import aligned_empty, LINE
        env = {"_np": np}
        last = len(self.groups) - 1
        x = self.groups[0].args[0]
        dtype = np.dtype(x.dtype)
        # the input's C-contiguity from its strides (dimensions of size 1 may have any)
        conds, step = [], dtype.itemsize
        for d in range(len(x.shape) - 1, -1, -1):
            if x.shape[d] != 1:
                conds.append(f"x.strides[{d}] != {step}")
            step *= x.shape[d]
        lines = ["def kernel(x, y, ws):"]
        if conds:
            lines += [f"    if {' or '.join(conds)}:", "        return 1"]
        # each hidden row starts on a cache line of the scratch (a GEMV writing a row off a
        # line was measured slower, layout.py)
        per_line = LINE // dtype.itemsize
        offsets, size = [], 0
        for g in self.groups[:-1]:
            offsets.append(size)
            n = g.cls.nodes[0].args[1].data.shape[0]
            size += -(-n // per_line) * per_line
        self.ws = aligned_empty(max(size, 1), dtype)
        h = "x.ctypes.data"
        for i, g in enumerate(self.groups):
            group = g.cls
            lin = group.nodes[0]
            w, b = lin.args[1], lin.args[2]
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
            if i == last:
                lines.append("    o = y.reshape(-1)")
            else:
                lines.append(f"    o = ws[{offsets[i]}:{offsets[i] + n}]")
            lines.append(f"    _gemv{i}({call[0]}, {call[1]}, {call[2]}, {call[3]}, _one{i}, "
                         f"{a.ctypes.data}, {call[4]}, {h}, 1, _zero{i}, o.ctypes.data, 1)")
            relu = len(group.nodes) > 1
            if b is not None or relu:
                lines += [f"    for j in range({n}):", "        v = o[j]"]
                if b is not None:
                    env[f"_b{i}"] = np.ascontiguousarray(b.data)
                    lines.append(f"        v = v + _b{i}[j]")
                if relu:
                    lines.append(f"        o[j] = _zero{i} if v < _zero{i} else v")
                else:
                    lines.append("        o[j] = v")
            h = f"ws.ctypes.data + {offsets[i] * dtype.itemsize}" if i < last else None
        lines.append("    return 0")
        self.source = "\n".join(lines)
        exec(compile(self.source, "<glasstorch.jit gemv chain>", "exec"), env)
        nb = numba.from_dtype(dtype)
        sig = types.int64(types.Array(nb, len(x.shape), "A", readonly=True),
                          types.Array(nb, 2, "C"), types.Array(nb, 1, "C"))
        # not fastmath: every addition rounds as NumPy's does (same bits as the NumPy replay);
        # not nogil: ws is shared by every call, the GIL keeps calls from overlapping
        self.kernel = numba.njit(sig)(env["kernel"])
        self.entry = self.kernel.overloads[sig.args].entry_point


def _link(g):
    """Whether fused group node g can be a link of a chain: a batch-1 GEMV head (layout.py)
    with constant weight and bias, then nothing or one relu. Not a layer with one output or
    input feature: np.dot computes a dot product there, not the gemv (other bits)."""
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
        blas_gemv(dtype) is not None and w.kind == "const" and min(w.data.shape) > 1 and \
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
