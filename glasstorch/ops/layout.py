"""Memory formats of tensors (glasstorch/_memory_format.py): which layout an array has, the
copy into another layout, and the format an op's result takes (torch's rules).

The channels-last test is torch's, on strides in elements: walking the dims C, W, H, N each
stride must be the product of the sizes walked before, dims of size 1 skipped. A tensor that
is both (C = 1, or 1x1 spatial) counts as contiguous and as channels-last.
"""
from .. import _memory_format as _mf
from ..backend import xp as _xp
from ._strides import _elem_strides

__all__ = []

# memory order of the dims, outermost first
_ORDER = {4: (0, 2, 3, 1), 5: (0, 2, 3, 4, 1)}
_FORMAT_RANK = {_mf.channels_last: 4, _mf.channels_last_3d: 5}


def check_format(fmt, fn):
    if not isinstance(fmt, _mf.memory_format):
        raise TypeError(f"{fn}(): argument 'memory_format' must be torch.memory_format, not "
                        f"{type(fmt).__name__}")
    return fmt


def checked_target(input, fmt, fn):
    """The format `fmt` after torch's checks for `fn` (contiguous / to / clone)."""
    check_format(fmt, fn)
    rank = _FORMAT_RANK.get(fmt)
    if rank is not None and input._data.ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")
    return fmt


def _dense_in_order(shape, strides, order):
    expected = 1
    for d in reversed(order):
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def array_is(a, fmt):
    """Whether the array `a` is contiguous in memory format `fmt` (torch's is_contiguous)."""
    rank = _FORMAT_RANK.get(fmt)
    if rank is None:
        return a.flags.c_contiguous
    if a.ndim != rank:
        return False
    return _dense_in_order(a.shape, _elem_strides(a), _ORDER[rank])


def is_contiguous(input, memory_format=None):
    if memory_format is None:
        return input._data.flags.c_contiguous
    return array_is(input._data, check_format(memory_format, "is_contiguous"))


def channels_last_like(a):
    """Whether `a` (4-D or 5-D) has strides ordered like channels-last (torch's
    is_channels_last_strides_2d/3d, behind suggest_memory_format): C innermost, then W, H
    (D), N; ambiguous cases (C of stride 0, N111) count as contiguous."""
    order = _ORDER.get(a.ndim)
    if order is None or a.size == 0:
        return False
    st = _elem_strides(a)
    if st[1] == 0:
        return False
    low = 0
    for d in reversed(order):             # C, W, H, (D,) N
        if st[d] < low or (d == 0 and low == st[1]):
            return False
        low = st[d] * (a.shape[d] if a.shape[d] > 1 else 1)
    return True


def suggest_format(a):
    """torch's suggest_memory_format: channels_last(_3d) when the strides look so."""
    if channels_last_like(a):
        return _mf.channels_last if a.ndim == 4 else _mf.channels_last_3d
    return _mf.contiguous_format


def empty_as(shape, dtype, fmt):
    """An uninitialized array of `shape` laid out in format `fmt` (not preserve_format)."""
    order = _ORDER.get(len(shape)) if fmt in _FORMAT_RANK else None
    if order is None:
        return _xp.empty(shape, dtype)
    a = _xp.empty(tuple(shape[d] for d in order), dtype)
    if a.size == 0:   # NumPy zeroes an empty array's strides: give it torch's
        st, step = [0] * len(order), a.itemsize
        for d in reversed(order):
            st[d] = step
            step *= max(shape[d], 1)
        return _xp.lib.stride_tricks.as_strided(_xp.empty(1, dtype), tuple(shape), tuple(st))
    return a.transpose(tuple(int(i) for i in _xp.argsort(order)))


def copy_as(a, fmt):
    """A copy of `a` in memory format `fmt`; preserve_format keeps a dense array's strides
    and gives others dense ones in the same order (torch's infer_dense_strides = NumPy's
    order K)."""
    if fmt is _mf.preserve_format:
        return a.copy(order="K")
    if fmt is _mf.contiguous_format:
        return _xp.array(a, order="C", copy=True)
    out = empty_as(a.shape, a.dtype, fmt)
    out[...] = a
    return out
