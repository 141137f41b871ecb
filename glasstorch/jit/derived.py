"""Op arguments that are computed *before* the op from its tensor inputs.

A few ops receive arrays their Python wrapper computed from the input: max pooling gets its
result and argmax (`y, index`) from a kernel run outside, layer/group/batch norm in training
mode get the batch statistics (`mean, invstd`). (batch_norm computes its statistics inside.) A trace that froze those arrays would replay
the statistics of the example input. For these ops the registry entry names the derived
arguments (`OPS[name].attrs["derived"]`), and this table recomputes them from the new inputs
with the very kernels the wrapper uses, so a replay is bit-identical to eager.

    DERIVED[op](node, args, need_index) -> args with the derived positions filled in
"""
from ..backend import cpu_kernels as _k, xp as _xp
from ..ops import norm as _norm, _pool_shapes

__all__ = ["DERIVED", "derived_positions"]


def _arr(a):
    return getattr(a, "_data", a)


def _norm_stats(node, args, need_index):
    # (x, w, b, mean, invstd, dims, batch_stats, eps): batch statistics recomputed from x
    if not args[6]:
        return args
    mean, var = _norm._stats(_arr(args[0]), args[5])
    args = list(args)
    args[3], args[4] = mean, _norm._invstd(var, args[7])
    return args


def _max_pool(node, args, need_index):
    geometry, out = node.kwargs["window"]
    y, index = _k.window_max(_arr(args[0]), geometry, out, need_index)
    return [args[0], y, index] + list(args[3:])


def _adaptive_max_pool(node, args, need_index):
    x = _arr(args[0])
    out = node.outputs[0].shape[2:]
    offsets = []
    for L, o in zip(x.shape[2:], out):
        start, end = _pool_shapes._windows(L, o)
        kmax = int((end - start).max()) if o else 0
        offsets.append([_xp.minimum(start + j, end - 1) for j in range(kmax)])
    y, index = _k.gather_max(x, offsets)
    return [args[0], y, index] + list(args[3:])


def _batch_norm(node, args, need_index):
    # (x, w, b, mean, var, training, eps, stats): the op appends the batch statistics to
    # `stats` (its wrapper then updates the running buffers): a fresh list per call
    args = list(args)
    args[7] = []
    return args


DERIVED = {
    "batch_norm": _batch_norm,
    "layer_norm": _norm_stats,
    "group_norm": _norm_stats,
    "max_pool2d_with_indices": _max_pool,
    "adaptive_max_pool2d": _adaptive_max_pool,
}

_POSITIONS = {"layer_norm": (3, 4), "group_norm": (3, 4),
              "max_pool2d_with_indices": (1, 2), "adaptive_max_pool2d": (1, 2)}


def derived_positions(op, args):
    """The argument positions of this call that DERIVED recomputes (not recorded)."""
    if op in ("layer_norm", "group_norm") and not args[6]:
        return ()
    return _POSITIONS.get(op, ())
