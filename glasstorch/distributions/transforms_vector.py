"""Transforms over vectors and matrices (re-exported by transforms.py): SoftmaxTransform and
StickBreakingTransform onto the simplex, LowerCholeskyTransform, PositiveDefiniteTransform,
CorrCholeskyTransform (vector -> Cholesky factor of a correlation matrix), and CatTransform /
StackTransform (different transforms on slices of one tensor).
"""
import math

from ..nn import functional as _F
from ..tensor import Size
from . import constraints
from .transforms_base import Transform, _sum_rightmost
from .transforms_elementwise import _clipped_sigmoid, _softplus

__all__ = ["CorrCholeskyTransform", "SoftmaxTransform", "StickBreakingTransform",
           "LowerCholeskyTransform", "PositiveDefiniteTransform", "CatTransform",
           "StackTransform"]


class _SameType(Transform):
    def __eq__(self, other):
        return isinstance(other, type(self))

    __hash__ = object.__hash__


def _need_dims(shape, n):
    if len(shape) < n:
        raise ValueError("Too few dimensions on input")


def _tril_indices(D, diag):
    """(rows, cols) of the entries on or below diagonal `diag` of a D x D matrix, row by
    row (torch.tril_indices' order)."""
    pairs = [(i, j) for i in range(D) for j in range(D) if j - i <= diag]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _vec_to_tril(vec, D, diag):
    """Entries of `vec` (last dim) placed row by row below diagonal `diag` of a D x D matrix
    (zeros elsewhere): an index gather, so gradients flow back to `vec`."""
    from ..creation import tensor
    rows, cols = _tril_indices(D, diag)
    where = [len(rows)] * (D * D)                  # points at an appended zero
    for k, (i, j) in enumerate(zip(rows, cols)):
        where[i * D + j] = k
    padded = _F.pad(vec, (0, 1))
    return padded[..., tensor(where)].reshape(*vec.shape[:-1], D, D)


def _tril_to_vec(mat, diag):
    from ..creation import tensor
    rows, cols = _tril_indices(mat.shape[-1], diag)
    return mat[..., tensor(rows), tensor(cols)]


class CorrCholeskyTransform(_SameType):
    """Unconstrained vector of length D(D-1)/2 -> Cholesky factor of a D x D correlation
    matrix: tanh into (-1, 1), placed below the diagonal row by row, then each row is made
    unit-length by a signed stick-breaking (y_ij = r_ij sqrt(1 - sum_{k<j} y_ik^2))."""
    domain, codomain = constraints.real_vector, constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        from .._runtime import finfo
        from ..creation import eye
        eps = finfo(x.dtype).eps
        r = _vec_to_tril(x.tanh().clamp(min=-1 + eps, max=1 - eps),
                         self._dim(x.shape[-1]), -1)
        remaining = (1 - r ** 2).sqrt().cumprod(-1)
        r = r + eye(r.shape[-1], dtype=r.dtype)
        return r * _F.pad(remaining[..., :-1], (1, 0), value=1)

    def _inverse(self, y):
        left = _F.pad((1 - (y * y).cumsum(-1))[..., :-1], (1, 0), value=1)
        t = _tril_to_vec(y, -1) / _tril_to_vec(left, -1).sqrt()
        return (t.log1p() - (-t).log1p()) / 2

    def log_abs_det_jacobian(self, x, y, intermediates=None):
        left = 1 - (y * y).cumsum(-1)
        stick_breaking = 0.5 * _tril_to_vec(left, -2).log().sum(-1)
        tanh = -2 * (x + _softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick_breaking + tanh

    @staticmethod
    def _dim(n):
        D = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if D * (D - 1) // 2 != n:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return D

    def forward_shape(self, shape):
        _need_dims(shape, 1)
        D = self._dim(shape[-1])
        return Size(tuple(shape[:-1]) + (D, D))

    def inverse_shape(self, shape):
        _need_dims(shape, 2)
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        D = shape[-1]
        return Size(tuple(shape[:-2]) + (D * (D - 1) // 2,))


class SoftmaxTransform(_SameType):
    """y = softmax(x) along the last dim: onto the simplex, not injective (x + c maps to the
    same y); the inverse returns log y."""
    domain, codomain = constraints.real_vector, constraints.simplex

    def _call(self, x):
        p = (x - x.max(-1, True)[0]).exp()
        return p / p.sum(-1, True)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        _need_dims(shape, 1)
        return shape

    inverse_shape = forward_shape


class StickBreakingTransform(_SameType):
    """R^K -> simplex in R^{K+1}: z_k = sigmoid(x_k - log(K + 1 - k)) is the fraction of the
    remaining stick given to y_k (offsets make x = 0 the uniform point). Bijective."""
    domain, codomain = constraints.real_vector, constraints.simplex
    bijective = True

    @staticmethod
    def _offset(x, K):
        return (K - x.new_ones(K).cumsum(-1) + 1).log()

    def _call(self, x):
        z = _clipped_sigmoid(x - self._offset(x, x.shape[-1]))
        rest = (1 - z).cumprod(-1)
        return _F.pad(z, (0, 1), value=1) * _F.pad(rest, (1, 0), value=1)

    def _inverse(self, y):
        from .._runtime import finfo
        y_crop = y[..., :-1]
        offset = (y.shape[-1] - y.new_ones(y_crop.shape[-1]).cumsum(-1)).log()
        rest = (1 - y_crop.cumsum(-1)).clamp(min=finfo(y.dtype).tiny)
        return y_crop.log() - rest.log() + offset

    def log_abs_det_jacobian(self, x, y):
        x = x - self._offset(x, x.shape[-1])
        return (-x + _F.logsigmoid(x) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        _need_dims(shape, 1)
        return Size(tuple(shape[:-1]) + (shape[-1] + 1,))

    def inverse_shape(self, shape):
        _need_dims(shape, 1)
        return Size(tuple(shape[:-1]) + (shape[-1] - 1,))


class LowerCholeskyTransform(_SameType):
    """Square matrix -> lower triangle with exp'd diagonal (a Cholesky factor)."""
    domain, codomain = constraints.independent(constraints.real, 2), constraints.lower_cholesky

    def _call(self, x):
        return x.tril(-1) + x.diagonal(0, -2, -1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(0, -2, -1).log().diag_embed()


class PositiveDefiniteTransform(_SameType):
    """Square matrix -> L L^T with L = LowerCholeskyTransform()(x)."""
    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x):
        L = LowerCholeskyTransform()(x)
        return L @ L.transpose(-2, -1)

    def _inverse(self, y):
        from .. import linalg
        return LowerCholeskyTransform().inv(linalg.cholesky(y))


def _check_dim(t, dim, size, want, what):
    if not -t.ndim <= dim < t.ndim:
        raise ValueError(f"dim {dim} out of range for {what} with {t.ndim} dimensions")
    if t.shape[dim] != want:
        raise ValueError(f"{what}.size({dim}) = {t.shape[dim]} must equal {size} {want}")


class CatTransform(Transform):
    """tseq[i] on the i-th slice (of lengths[i]) along `dim`, like torch.cat."""

    def __init__(self, tseq, dim=0, lengths=None, cache_size=0):
        if not all(isinstance(t, Transform) for t in tseq):
            raise TypeError("CatTransform: every element of tseq must be a Transform")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise ValueError(f"CatTransform: {len(self.lengths)} lengths for "
                             f"{len(self.transforms)} transforms")
        self.dim = dim

    event_dim = property(lambda self: max(t.event_dim for t in self.transforms))
    length = property(lambda self: sum(self.lengths))
    bijective = property(lambda self: all(t.bijective for t in self.transforms))
    domain = constraints.dependent_property(lambda self: constraints.cat(
        [t.domain for t in self.transforms], self.dim, self.lengths))
    codomain = constraints.dependent_property(lambda self: constraints.cat(
        [t.codomain for t in self.transforms], self.dim, self.lengths))

    def with_cache(self, cache_size=1):
        return self if self._cache_size == cache_size else \
            CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    def _slices(self, t, what):
        _check_dim(t, self.dim, "length", self.length, what)
        starts = [sum(self.lengths[:i]) for i in range(len(self.lengths))]
        return [t.narrow(self.dim, s, n) for s, n in zip(starts, self.lengths)]

    def _call(self, x):
        from ..ops.concat import cat
        return cat([t(s) for t, s in zip(self.transforms, self._slices(x, "x"))], self.dim)

    def _inverse(self, y):
        from ..ops.concat import cat
        return cat([t.inv(s) for t, s in zip(self.transforms, self._slices(y, "y"))],
                   self.dim)

    def log_abs_det_jacobian(self, x, y):
        from ..ops.concat import cat
        parts = []
        for t, a, b in zip(self.transforms, self._slices(x, "x"), self._slices(y, "y")):
            parts.append(_sum_rightmost(t.log_abs_det_jacobian(a, b),
                                        self.event_dim - t.event_dim))
        dim = (self.dim - x.ndim if self.dim >= 0 else self.dim) + self.event_dim
        return cat(parts, dim) if dim < 0 else sum(parts)


class StackTransform(Transform):
    """tseq[i] on x.select(dim, i), like torch.stack."""

    def __init__(self, tseq, dim=0, cache_size=0):
        if not all(isinstance(t, Transform) for t in tseq):
            raise TypeError("StackTransform: every element of tseq must be a Transform")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms, self.dim = list(tseq), dim

    bijective = property(lambda self: all(t.bijective for t in self.transforms))
    domain = constraints.dependent_property(lambda self: constraints.stack(
        [t.domain for t in self.transforms], self.dim))
    codomain = constraints.dependent_property(lambda self: constraints.stack(
        [t.codomain for t in self.transforms], self.dim))

    def with_cache(self, cache_size=1):
        return self if self._cache_size == cache_size else \
            StackTransform(self.transforms, self.dim, cache_size)

    def _slices(self, t, what):
        _check_dim(t, self.dim, "len(transforms)", len(self.transforms), what)
        return [t.select(self.dim, i) for i in range(t.shape[self.dim])]

    def _call(self, x):
        from ..ops.concat import stack
        return stack([t(s) for t, s in zip(self.transforms, self._slices(x, "x"))], self.dim)

    def _inverse(self, y):
        from ..ops.concat import stack
        return stack([t.inv(s) for t, s in zip(self.transforms, self._slices(y, "y"))],
                     self.dim)

    def log_abs_det_jacobian(self, x, y):
        from ..ops.concat import stack
        return stack([t.log_abs_det_jacobian(a, b) for t, a, b in
                      zip(self.transforms, self._slices(x, "x"), self._slices(y, "y"))],
                     self.dim)
