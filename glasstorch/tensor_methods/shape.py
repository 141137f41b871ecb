"""Tensor's shape methods: views (view, reshape, permute, transpose, t, T, mT, movedim, squeeze,
unsqueeze, flatten, unflatten, expand, narrow, select, diagonal, unfold), copies that rearrange
(repeat, tile, repeat_interleave, flip, roll, tril/triu) and splits (split, chunk, unbind).
They delegate to ops/view.py, slice.py, concat.py and join.py.
"""

# Bound by _import_ops(), which tensor.py calls at its end: these modules import Tensor, so they
# load once it exists (the one import cycle the design allows; tests/test_import_cycles.py).
_concat = _join = _slice = _view = None


class ShapeAndViews:
    """Shape changes, views, repeats and splits (tensor.py inherits them)."""
    __slots__ = ()     # Tensor declares every slot (and __dict__) itself

    def view(self, *shape, size=None, dtype=None):
        if size is None and dtype is None:       # the common call: no keyword to pass on
            return _view.view(self, *shape)
        return _view.view(self, *shape, size=size, dtype=dtype)

    def view_as(self, other):
        return _view.view(self, other.shape)

    def reshape(self, *sizes, shape=None):
        if shape is None:
            return _view.reshape(self, *sizes)
        return _view.reshape(self, *sizes, shape=shape)

    def reshape_as(self, other):
        return _view.reshape(self, other.shape)

    def permute(self, *args, dims=None):
        if dims is None:
            return _view.permute(self, *args)
        return _view.permute(self, *args, dims=dims)

    def transpose(self, dim0, dim1):
        return _view.transpose(self, dim0, dim1)

    swapdims = transpose

    def swapaxes(self, axis0, axis1):
        return _view.transpose(self, axis0, axis1)

    def t(self):
        return _view.t(self)

    @property
    def T(self):
        return _view.permute(self, *range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self):
        return _view.transpose(self, -2, -1)

    def movedim(self, source, destination):
        return _view.movedim(self, source, destination)

    moveaxis = movedim

    def squeeze(self, dim=None):
        return _view.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _view.unsqueeze(self, dim)

    def unsqueeze_(self, dim):
        return _view.unsqueeze_(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return _view.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _view.unflatten(self, dim, sizes)

    def expand(self, *sizes, size=None, implicit=False):
        return _view.expand(self, *sizes, size=size)

    def expand_as(self, other):
        return _view.expand(self, other.shape)

    def broadcast_to(self, size):
        return _view.expand(self, size)

    def repeat(self, *sizes, repeats=None):
        return _join.repeat(self, *sizes, repeats=repeats)

    def tile(self, *args, dims=None):
        return _join.tile(self, *args, dims=dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return _join.repeat_interleave(self, repeats, dim, output_size=output_size)

    def split(self, split_size, dim=0):
        return _concat.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _concat.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return _concat.unbind(self, dim)

    def narrow(self, dim, start, length):
        return _slice.narrow(self, dim, start, length)

    def select(self, dim, index):
        return _slice.select(self, dim, index)

    def flip(self, *args, dims=None):
        if dims is None:
            return _join.flip(self, *args)
        return _join.flip(self, *args, dims=dims)

    def roll(self, shifts, dims=None):
        return _join.roll(self, shifts, dims)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _slice.diagonal(self, offset, dim1, dim2)

    def tril(self, diagonal=0):
        return _join.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _join.triu(self, diagonal)

    def unfold(self, dimension, size, step):
        return _slice.unfold(self, dimension, size, step)


def _import_ops():
    global _concat, _join, _slice, _view
    from ..ops import concat as _concat, join as _join, slice as _slice, view as _view
