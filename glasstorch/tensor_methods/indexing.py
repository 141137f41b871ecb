"""Tensor's indexing methods: x[i] and x[i] = v (PyTorch's rules: basic, advanced and bool
indices), gather/scatter, index_select/index_add/index_copy/index_fill/index_put, masked_fill/
masked_select/masked_scatter, where, nonzero, take. They delegate to ops/index.py,
index_dim.py, gather.py and mask.py; the in-place forms (direct writes, no copy of the whole
tensor) go through ops/_inplace.py.
"""

# Bound by _import_ops(), which tensor.py calls at its end: these modules import Tensor, so they
# load once it exists (the one import cycle the design allows; tests/test_import_cycles.py).
_gather = _index = _index_dim = _inplace = _mask = None


class Indexing:
    """x[i], x[i] = v, gather/scatter and the index_/masked_ families (tensor.py inherits them)."""
    __slots__ = ()     # Tensor declares every slot (and __dict__) itself

    def __getitem__(self, index):
        return _index.getitem(self, index)

    def __setitem__(self, index, value):
        _index.setitem(self, index, value)

    def gather(self, dim, index, *, sparse_grad=False):
        return _gather.gather(self, dim, index, sparse_grad=sparse_grad)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return _gather.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return _inplace.inplace(self, _gather.scatter, dim, index, src, value=value,
                                reduce=reduce, direct=True)

    def scatter_add(self, dim, index, src):
        return _gather.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return _inplace.inplace(self, _gather.scatter_add, dim, index, src, direct=True)

    def index_select(self, dim, index):
        return _index_dim.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return _index_dim.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        # direct: writes into self's buffer, O(indexed rows) (ops/_inplace.py)
        _inplace.check_no_overlap(self, index, source)
        return _inplace.inplace(self, _index_dim.index_add, dim, index, source, alpha=alpha,
                                direct=True)

    def index_copy(self, dim, index, source):
        return _index_dim.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        _inplace.check_no_overlap(self, index, source)
        return _inplace.inplace(self, _index_dim.index_copy, dim, index, source, direct=True)

    def index_fill(self, dim, index, value):
        return _index_dim.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return _inplace.inplace(self, _index_dim.index_fill, dim, index, value, direct=True)

    def index_put(self, indices, values, accumulate=False):
        return _index.index_put(self, indices, values, accumulate)

    def index_put_(self, indices, values, accumulate=False):
        _inplace.check_no_overlap(self, values, *(indices if type(indices) in (tuple, list)
                                                  else ()))
        return _inplace.inplace(self, _index.index_put, indices, values, accumulate,
                                direct=True)

    def masked_fill(self, mask, value):
        return _mask.masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        return _inplace.inplace(self, _mask.masked_fill, mask, value, direct=True)

    def masked_select(self, mask):
        return _mask.masked_select(self, mask)

    def masked_scatter(self, mask, source):
        return _mask.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return _inplace.inplace(self, _mask.masked_scatter, mask, source, direct=True)

    def where(self, condition, other):
        return _mask.where(condition, self, other)

    def nonzero(self, *, as_tuple=False):
        return _mask.nonzero(self, as_tuple=as_tuple)

    def take_along_dim(self, indices, dim=None):
        return _gather.take_along_dim(self, indices, dim)

    def take(self, index):
        return _gather.take(self, index)


def _import_ops():
    global _gather, _index, _index_dim, _inplace, _mask
    from ..ops import (gather as _gather, index as _index, index_dim as _index_dim, _inplace,
                       mask as _mask)
