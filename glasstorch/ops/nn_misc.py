"""Assorted nn.functional ops, all compositions of existing ops (their gradients follow):

    one_hot                       class indices -> int64 indicator vectors
    normalize                     x / max(||x||_p, eps) along a dim
    cosine_similarity             <x1, x2> / (max(||x1||, eps) max(||x2||, eps)), torch 2.x's form
    pairwise_distance, cdist      p-norm distances of rows; cdist's p = 2 may use one matmul
    scaled_dot_product_attention  softmax(q k^T * scale + mask) v (Vaswani et al. 2017, eq. 1)

Losses built on these live in loss.py; nn/modules/distance.py holds the Module forms.
"""
import math

from .. import _dtype
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from ._inplace import _type_word
from ._util import to_dtype
from .dropout import dropout
from .index import where
from .linalg import _CPP_NAME
from .shape import broadcast_tensors
from .softmax import softmax

__all__ = ["cosine_similarity", "pairwise_distance", "cdist"]


def one_hot(tensor, num_classes=-1):
    """(*) int64 class indices -> (*, num_classes) int64 with a 1 at each index;
    num_classes=-1 means max(tensor) + 1.

    >>> import glasstorch as torch
    >>> torch.nn.functional.one_hot(torch.tensor([0, 2]))
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    x = tensor._data
    if x.dtype != _xp.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(x.max()) + 1
    if x.size:
        if x.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if x.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return _make((x[..., None] == _xp.arange(num_classes)).astype(_xp.int64))


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
    x1, x2 = broadcast_tensors(x1, x2)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim (eps keeps the norm differentiable at x1 = x2)."""
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


def _heads_repeated(x, groups):
    # (*, H, S, E) -> (*, H * groups, S, E), each head repeated `groups` times in place
    # (torch's repeat_interleave along dim -3)
    shape = x.shape
    x = x.unsqueeze(-3).expand(*shape[:-2], groups, *shape[-2:])
    return x.reshape(*shape[:-3], shape[-3] * groups, *shape[-2:])


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, scale = 1/sqrt(E) by default.

    query (*, L, E), key (*, S, E), value (*, S, Ev) -> (*, L, Ev). attn_mask: bool (True =
    takes part) or float (added), broadcast to (*, L, S); is_causal masks keys after each
    query; rows with every key masked give 0 (torch's safe softmax), not NaN. enable_gqa
    lets H query heads (dim -3) share H / G key/value heads.
    """
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {query.ndim} key.dim: {key.ndim} and "
                           f"value.dim: {value.ndim} instead.")
    dt = query._data.dtype
    if key._data.dtype != dt or value._data.dtype != dt:
        names = [_CPP_NAME.get(t._data.dtype.name, t._data.dtype.name)
                 for t in (query, key, value)]
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {names[0]} key.dtype: {names[1]} and value.dtype: "
                           f"{names[2]} instead.")
    if attn_mask is not None and attn_mask._data.dtype not in (_xp.bool_, dt):
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query "
                           "dtype, but got attn_mask.dtype: "
                           f"{_CPP_NAME.get(attn_mask._data.dtype.name, 'long int')} and  "
                           f"query.dtype: {_CPP_NAME.get(dt.name, dt.name)} instead.")
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        attn_mask = _make(_xp.tril(_xp.ones((query.shape[-2], key.shape[-2]), dtype=bool)))
    if enable_gqa and query.ndim >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError("Number of heads in key and value must divide the number of "
                               "heads in query")
        key, value = _heads_repeated(key, hq // hk), _heads_repeated(value, hq // hv)
    # torch's math kernel: scale q and k by sqrt(scale) each before the product, which keeps
    # q k^T in range for large E (a negative scale goes to q alone)
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    root = math.sqrt(abs(scale))
    attn = (query * (-root if scale < 0 else root)) @ (key.mT * root)
    if attn_mask is not None:
        if attn_mask._data.dtype == _xp.bool_:
            attn_mask = _make(_xp.where(attn_mask._data, 0, -math.inf).astype(dt))
        attn = attn + attn_mask
    attn = _safe_softmax(attn)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn @ value


def _safe_softmax(x):
    """softmax over the last dim, but 0 (not 0/0 = NaN) for rows that are all -inf (torch).
    Those rows are zeroed before the softmax too, so their gradient is 0, not NaN."""
    dead = (x._data == -math.inf).all(-1, keepdims=True)
    if not dead.any():
        return softmax(x, -1)
    dead = _make(dead)
    return where(dead, 0.0, softmax(where(dead, 0.0, x), -1))
