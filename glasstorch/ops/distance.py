"""Norms and distances of nn.functional, all compositions of existing ops (their gradients
follow):

    normalize                     x / max(||x||_p, eps) along a dim
    cosine_similarity             <x1, x2> / (max(||x1||, eps) max(||x2||, eps)), torch 2.x's form
    pairwise_distance, cdist      p-norm distances of rows; cdist's p = 2 may use one matmul

Losses built on these live in loss_composed.py; nn/modules/distance.py holds the Module forms.
"""
from .. import _dtype
from ..backend import xp as _xp
from ..autograd.grad_mode import no_grad
from ._inplace import _type_word
from ._loss_args import _check_broadcast
from ..tensor import _wrap_dim
from ._util import to_dtype
from .view import broadcast_tensors

__all__ = ["cosine_similarity", "pairwise_distance", "cdist", "pdist"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along `dim` (eps keeps zero vectors at zero)."""
    y = input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return y if out is None else out.copy_(y)


def _clamped_norm(x, dim, eps):
    # torch 2.x: ||x|| clamped to >= eps in place under no_grad, so the gradient flows as if
    # unclamped; the clone keeps the norm's saved output intact for its own backward
    n = x.norm(2, dim, keepdim=True).clone()
    with no_grad():
        n.clamp_(min=eps)
    return n


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along `dim` (inputs broadcast).
    Dividing each input by its norm first keeps the result in [-1, 1]."""
    common = _dtype.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{_type_word(common.np)}")
    if not x1.dtype.is_floating_point:
        x1 = to_dtype(x1, common)
    if not x2.dtype.is_floating_point:
        x2 = to_dtype(x2, common)
    _check_broadcast(x1, x2)
    x1, x2 = broadcast_tensors(x1, x2)
    _wrap_dim(dim, x1._data.ndim, "cosine_similarity")     # (else the error names norm())
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim (eps keeps the norm differentiable at x1 = x2)."""
    _check_broadcast(x1, x2)
    dim = max(x1.ndim, x2.ndim) - 1
    return (x1 - x2 + eps).norm(p, dim, keepdim)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """(*, P, M), (*, R, M) -> (*, P, R) p-norm distances between all pairs of rows. For p = 2
    and more than 25 rows (or compute_mode='use_mm_for_euclid_dist'), torch's matmul form
    sqrt(|a|^2 + |b|^2 - 2 a.b) (clamped at 1e-30) replaces the (*, P, R, M) differences."""
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{x.ndim}D")
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_type_word(x._data.dtype)}")
    if x1.dtype == _dtype.float16:
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"expected scalar type {_type_word(x1._data.dtype)} but found "
                           f"{_type_word(x2._data.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError("X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    use_mm = p == 2 and (compute_mode == modes[1] or (
        compute_mode == modes[0] and (x1.shape[-2] > 25 or x2.shape[-2] > 25)))
    if use_mm:
        sq1 = x1.square().sum(-1, keepdim=True)
        sq2 = x2.square().sum(-1, keepdim=True)
        return ((x1 * -2) @ x2.mT + sq1 + sq2.mT).clamp_min(1e-30).sqrt()
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, -1)


def pdist(input, p=2):
    """The p-norm distances between all pairs of rows i < j of an (N, M) input, in row-major
    order of the pairs: the upper triangle of cdist(input, input), N (N - 1) / 2 values."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    rows, cols = _xp.triu_indices(n, 1)
    from ..tensor import _make
    i, j = _make(rows.astype(_xp.int64)), _make(cols.astype(_xp.int64))
    return (input.index_select(0, i) - input.index_select(0, j)).norm(p, 1)
