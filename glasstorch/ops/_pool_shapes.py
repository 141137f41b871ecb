"""Pooling geometry shared by pool.py (max pooling, unpooling) and pool_avg.py (average
pooling): torch's argument normalisation and checks, output sizes, the batch dim of unbatched
inputs, and adaptive windows (jit/derived.py reuses `_windows`).
"""
from ..backend import xp as _xp


def _prod(xs):
    p = 1
    for v in xs:
        p *= v
    return p


def _flat(a):
    """(N, C, *S) -> (N, C, prod(S)), also for empty arrays."""
    return a.reshape(a.shape[:2] + (_prod(a.shape[2:]),))


def _tuple(value, nd, name, what):
    if isinstance(value, int):
        return (value,) * nd
    value = tuple(value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        raise RuntimeError(f"{name}: {what}")
    return value


def _pool_args(kernel_size, stride, padding, dilation, nd, name):
    word = "a tuple of two ints" if nd == 2 else "a tuple of one int"
    k = _tuple(kernel_size, nd, name, f"kernel_size must either be a single int, or {word}")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, nd, name, f"stride must either be omitted, a single int, or {word}")
    p = _tuple(padding, nd, name, f"padding must either be a single int, or {word}")
    d = _tuple(dilation, nd, name, f"dilation must be either a single int, or {word}")
    return k, s, p, d


def _out_size(size, k, s, p, d, ceil_mode):
    """torch's pooling_output_shape (with its checks, in its order)."""
    if s == 0:
        raise RuntimeError("stride should not be zero (pooling: a stride of 0 along a dim of "
                           f"size {size}, kernel {k})")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > ((k - 1) * d + 1) // 2:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                           f"pad={p}, kernel_size={k} and dilation={d}")
    o = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1  # the last window must start inside the input or its left padding
    return o


def _batched(input, nd, name):
    """(input with a batch dim, whether it had one); torch's dim checks."""
    x = input._data
    if x.ndim not in (nd + 1, nd + 2):
        if nd == 2:
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input "
                               f"({name}: input shape {list(x.shape)})")
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(x.shape)}")
    if any(v == 0 for v in x.shape[-nd - 1:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional "
                           f"0 dim batch size for input, but got:{list(x.shape)}")
    batched = x.ndim == nd + 2
    return (input if batched else input.unsqueeze(0)), batched


def _geometry(x, k, s, p, d, ceil_mode, nd):
    size = x._data.shape[2:]
    out = tuple(_out_size(*a, ceil_mode) for a in zip(size, k, s, p, d))
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got {_hw(k, 'k')}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got {_hw(s, 'd')}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got "
                           f"{_hw(d, 'dilation')}")
    if any(o < 1 for o in out):
        C = x._data.shape[1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (C,) + size))}). Calculated "
                           f"output size: ({'x'.join(map(str, (C,) + out))}). Output size is "
                           "too small")
    return tuple(zip(k, s, d, p)), out


def _hw(values, prefix):
    names = ("H", "W") if len(values) == 2 else ("W",)
    return " ".join(f"{prefix}{n}: {v}" for n, v in zip(names, values))


def _adaptive_args(input, output_size, nd, name, all_dims=False):
    """(output size, input size) of the pooled dims. all_dims: every dim but the batch must
    be non-empty (max pooling), not only the pooled ones."""
    x = input._data
    if nd >= 2 and not isinstance(output_size, int) and x.ndim <= len(tuple(output_size)):
        # torch's _list_with_default, run before the op
        raise ValueError(f"Input dimension should be at least {len(tuple(output_size)) + 1} "
                         f"({name}: input shape {list(x.shape)})")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{list(x.shape)}")
    for i in range(1 if all_dims else x.ndim - nd, x.ndim):
        if x.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(x.shape)} with dimension "
                               f"{i} being empty")
    if isinstance(output_size, int):
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    size = x.shape[-nd:]
    return tuple(sz if o is None else o for o, sz in zip(output_size, size)), size


def _windows(L, o):
    """Adaptive windows: [floor(i*L/o), ceil((i+1)*L/o)) for i < o."""
    i = _xp.arange(o)
    return (i * L) // o, -((-(i + 1) * L) // o)
