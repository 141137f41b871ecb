"""Graph passes: each rewrites a Graph in place and is a small module of its own.

    dce.py            dead-code elimination
    constant_fold.py  nodes whose inputs are all constants run once at compile time
    cse.py            common-subexpression elimination (same op, same inputs, same attributes)
    fold_bn.py        eval-mode batch norm folded into the conv/linear before it
    fusion.py         chains of elementwise ops run as one group with preallocated out= buffers
    layout.py         batch-1 linear layers keep W^T C-contiguous (the faster GEMV orientation)
    memory.py         static memory planning: intermediates get pooled buffers by liveness
    gemv_chain.py     with numba installed: batch-1 Linear/ReLU runs as one compiled call

`freeze` turns parameters into constants (so folding can see them); `optimize_for_inference`
runs the inference pipeline on a copy of a TracedModule.
"""
from .constant_fold import fold_constants
from .cse import eliminate_common_subexpressions
from .dce import eliminate_dead_code
from .fold_bn import fold_batch_norm
from .fusion import fuse_elementwise
from .layout import transpose_gemv_weights
from .gemv_chain import chain_gemvs
from .memory import plan_memory

__all__ = ["eliminate_dead_code", "fold_constants", "eliminate_common_subexpressions",
           "fold_batch_norm", "fuse_elementwise", "transpose_gemv_weights", "plan_memory",
           "chain_gemvs", "freeze",
           "optimize_for_inference", "DEFAULT"]


def freeze(traced):
    """A copy of `traced` whose parameters and buffers are constants of the graph (their
    current values): later changes to the model no longer reach it (torch.jit.freeze)."""
    from .. import TracedModule
    g = traced.graph.copy()
    params = g.params
    g.params = {}
    for name, v in params.items():
        v.kind, v.data = "const", traced._params[name]._data.copy()
        g.consts.append(v)
    return TracedModule(g, {}, traced._name)


def optimize_for_inference(traced, passes=None):
    """freeze, then run `passes` (default: all inference passes, plus chain_gemvs when numba
    may run kernels with NumPy's exact results: backend.kernels.numba_for_exact) in order."""
    from ...backend.kernels import numba_for_exact
    frozen = freeze(traced)
    if passes is None:
        passes = DEFAULT + ([chain_gemvs] if numba_for_exact() else [])
    for p in passes:
        p(frozen.graph)
    frozen.invalidate()
    return frozen


DEFAULT = [fold_constants, fold_batch_norm, eliminate_common_subexpressions, eliminate_dead_code,
           fuse_elementwise, transpose_gemv_weights, plan_memory]
