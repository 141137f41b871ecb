"""ONNX translations of the shape and indexing ops: view/reshape, permute, squeeze/unsqueeze,
expand, narrow/select/split/unbind, flip, tril/triu, repeat, cat/stack, x[index], index_select,
gather. Shapes that a dynamic axis may change are written relative to the input (Reshape's 0
copies a dim, -1 infers one) instead of frozen: see `_reshape`. Conventions: symbolic.py.
"""
import numpy as np

from ..jit.ir import Value
from ._symbolic_base import inp, register

__all__ = []


# ---- shapes ---------------------------------------------------------------------------------

def _reshape(b, x_value, x, shape):
    """Reshape to `shape` written so a dynamic dim survives: a dim equal to the input's at
    the same position copies it (0); one other dim is inferred (-1): preferably the one equal
    to, else divisible by, a dynamic dim's example size (the batch that moved there)."""
    in_shape = tuple(x_value.shape)
    target = list(shape)
    out = [0 if i < len(in_shape) and s == in_shape[i] and s != 0 else s
           for i, s in enumerate(target)]
    free = [i for i, s in enumerate(out) if s != 0]
    if free and -1 not in out and 0 not in target:
        sizes = b.dynamic_sizes
        pick = [i for i in free if target[i] in sizes] or \
            [i for i in free if any(target[i] % s == 0 for s in sizes if s > 1)] or free
        out[pick[0]] = -1
    return b.op("Reshape", [x, b.ints(out)])


@register("view", "reshape")
def _view(b, n):
    return _reshape(b, n.args[0], b.name(n.args[0]), n.outputs[0].shape)


@register("permute", "transpose", "t")
def _permute(b, n):
    return b.op("Transpose", [b.name(n.args[0])], perm=list(n.args[1]))


@register("squeeze")
def _squeeze(b, n):
    dims = n.args[1]
    dims = [dims] if isinstance(dims, int) else list(dims)
    dims = [d for d in dims if n.args[0].shape[d] == 1]
    if not dims:
        return b.op("Identity", [b.name(n.args[0])])
    return b.op("Squeeze", [b.name(n.args[0]), b.ints(dims)])


@register("unsqueeze")
def _unsqueeze(b, n):
    return b.op("Unsqueeze", [b.name(n.args[0]), b.ints([n.args[1]])])


@register("expand")
def _expand(b, n):
    x, shape = n.args[0], list(n.args[1])
    # a dim the input already has is kept as 1 (Expand broadcasts), so a dynamic one survives
    pad = len(shape) - len(x.shape)
    spec = [1 if i >= pad and x.shape[i - pad] == s else s for i, s in enumerate(shape)]
    return b.op("Expand", [b.name(x), b.ints(spec)])


@register("narrow")
def _narrow(b, n):
    d, start, length = n.args[1]
    return b.op("Slice", [b.name(n.args[0]), b.ints([start]), b.ints([start + length]),
                          b.ints([d])])


@register("select")
def _select(b, n):
    d, index = n.args[1]
    return b.op("Gather", [b.name(n.args[0]), b.const(np.asarray(index, np.int64))], axis=d)


@register("split", "split_with_sizes")
def _split(b, n):
    d, sizes = n.args[1], [v.shape[n.args[1]] for v in n.outputs]
    return b.op("Split", [b.name(n.args[0]), b.ints(sizes)], n_out=len(sizes), axis=d)


@register("unbind")
def _unbind(b, n):
    d = n.args[1]
    k = len(n.outputs)
    parts = b.op("Split", [b.name(n.args[0]), b.ints([1] * k)], n_out=k, axis=d)
    parts = [parts] if k == 1 else parts
    return [b.op("Squeeze", [p, b.ints([d])]) for p in parts]


@register("flip")
def _flip(b, n):
    dims = list(n.args[1])
    big = np.iinfo(np.int64).max
    return b.op("Slice", [b.name(n.args[0]), b.ints([-1] * len(dims)),
                          b.ints([-big] * len(dims)), b.ints(dims), b.ints([-1] * len(dims))])


@register("tril", "triu")
def _tri(b, n):
    return b.op("Trilu", [b.name(n.args[0]), b.const(np.asarray(n.args[1], np.int64))],
                upper=int(n.op == "triu"))


@register("repeat")
def _repeat(b, n):
    x, reps = n.args[0], list(n.args[1])
    name = b.name(x)
    if len(reps) > len(x.shape):
        name = b.op("Reshape", [name, b.ints([1] * (len(reps) - len(x.shape)) + list(x.shape))])
    return b.op("Tile", [name, b.ints(reps)])


@register("cat")
def _cat(b, n):
    xs = [inp(b, n, i) for i, a in enumerate(n.args) if isinstance(a, Value)]
    return b.op("Concat", xs, axis=n.kwargs["dim"])


@register("stack")
def _stack(b, n):
    d = n.kwargs["dim"]
    xs = [b.op("Unsqueeze", [inp(b, n, i), b.ints([d])])
          for i, a in enumerate(n.args) if isinstance(a, Value)]
    return b.op("Concat", xs, axis=d)


@register("getitem")
def _getitem(b, n):
    """x[basic] with ints, slices, None and Ellipsis: one Slice, then Squeeze the int dims and
    Unsqueeze the Nones. Slices over a whole dim are left out (a dynamic dim stays free)."""
    x = n.args[0]
    key = n.args[1] if isinstance(n.args[1], tuple) else (n.args[1],)
    if any(k is Ellipsis for k in key):
        i = key.index(Ellipsis)
        used = sum(1 for k in key if k is not None and k is not Ellipsis)
        key = key[:i] + (slice(None),) * (len(x.shape) - used) + key[i + 1:]
    starts, ends, axes, steps, squeeze, unsq = [], [], [], [], [], []
    dim, out_pos = 0, 0
    for k in key:
        if k is None:
            unsq.append(out_pos)
            out_pos += 1
            continue
        size = x.shape[dim]
        if isinstance(k, slice):
            start, stop, step = k.indices(size)
            if (start, stop, step) != (0, size, 1):
                if step < 0 and stop < 0:
                    stop = -np.iinfo(np.int64).max
                starts.append(start), ends.append(stop), axes.append(dim), steps.append(step)
            out_pos += 1
        else:
            i = k + size if k < 0 else k
            starts.append(i), ends.append(i + 1), axes.append(dim), steps.append(1)
            squeeze.append(dim)
        dim += 1
    y = b.name(x)
    if axes:
        y = b.op("Slice", [y, b.ints(starts), b.ints(ends), b.ints(axes), b.ints(steps)])
    if squeeze:
        y = b.op("Squeeze", [y, b.ints(squeeze)])
    if unsq:
        y = b.op("Unsqueeze", [y, b.ints(unsq)])
    return y if y != b.name(x) else b.op("Identity", [y])


@register("index_select")
def _index_select(b, n):
    return b.op("Gather", [b.name(n.args[0]), inp(b, n, 2, "int64")], axis=n.args[1])


@register("gather")
def _gather(b, n):
    return b.op("GatherElements", [b.name(n.args[0]), inp(b, n, 2, "int64")], axis=n.args[1])
