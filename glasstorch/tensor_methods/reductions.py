"""Tensor's reductions (sum, mean, var/std, prod, max/min, amax, argmax, logsumexp, norm, all/any,
median, ...), scans (cumsum, cumprod), softmax / log_softmax, and sorting (sort, argsort, topk,
unique, kthvalue). They delegate to ops/reduce.py, extrema.py, cumulative.py, softmax.py and
sort.py.
"""

# Bound by _import_ops(), which tensor.py calls at its end: these modules import Tensor, so they
# load once it exists (the one import cycle the design allows; tests/test_import_cycles.py).
_cumulative = _extrema = _reduce = _softmax = _sort = None


class Reductions:
    """Reductions, scans, softmax and sorting (tensor.py inherits them)."""
    __slots__ = ()     # Tensor declares every slot (and __dict__) itself

    # ---- reductions (ops/reduce.py, extrema.py, cumulative.py, softmax.py) -------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _reduce.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _reduce.mean(self, dim, keepdim, dtype=dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _reduce.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _reduce.std(self, dim, unbiased, keepdim, correction=correction)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _reduce.prod(self, dim, keepdim, dtype=dtype)

    def max(self, dim=None, keepdim=False, *, other=None):
        return _extrema.max(self, dim, keepdim, other=other)

    def min(self, dim=None, keepdim=False, *, other=None):
        return _extrema.min(self, dim, keepdim, other=other)

    def amax(self, dim=(), keepdim=False):
        return _extrema.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _extrema.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _extrema.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _extrema.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return _extrema.logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return _cumulative.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None):
        return _cumulative.cumprod(self, dim, dtype=dtype)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _reduce.norm(self, p, dim, keepdim, dtype=dtype)

    def all(self, dim=None, keepdim=False):
        return _reduce.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _reduce.any(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        return _reduce.count_nonzero(self, dim)

    def median(self, dim=None, keepdim=False):
        return _extrema.median(self, dim, keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        return _extrema.aminmax(self, dim=dim, keepdim=keepdim)

    def softmax(self, dim, dtype=None):
        return _softmax.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        return _softmax.log_softmax(self, dim, dtype=dtype)

    # ---- sorting (ops/sort.py) ---------------------------------------------------------------
    def sort(self, dim=-1, descending=False, stable=False):
        return _sort.sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return _sort.argsort(self, dim, descending, stable=stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _sort.topk(self, k, dim, largest, sorted)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _sort.unique(self, sorted, return_inverse, return_counts, dim)

    def msort(self):
        return _sort.msort(self)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return _sort.kthvalue(self, k, dim, keepdim)


def _import_ops():
    global _cumulative, _extrema, _reduce, _softmax, _sort
    from ..ops import (cumulative as _cumulative, extrema as _extrema, reduce as _reduce,
                       softmax as _softmax, sort as _sort)
