"""Strided factories and copies, the randomized low-rank SVD / PCA, and binomial sampling.

  empty_strided(size, stride)      uninitialized memory laid out with exactly these strides
  empty_permuted(size, layout)     memory in `layout`'s dim order, seen in logical order
  as_strided(size, stride, offset) a view of input's storage (its root array) with these
                                   sizes, element strides and storage offset (default: input's);
                                   its gradient flows through the storage: the input's elements
                                   scattered to their storage positions (averaged where several
                                   share one, as torch), the view's positions gathered back
  as_strided_copy / _scatter       the elements as_strided(size, stride, offset) addresses in
                                   input's contiguous storage: gathered (a copy), or overwritten
                                   by src. Both index the flat storage, so the gradient is the
                                   index op's (scatter-add / masked).
  svd_lowrank, pca_lowrank         Halko, Martinsson & Tropp's randomized range finder
                                   (q + oversampled Gaussian probes, niter power iterations,
                                   QR re-orthonormalization) then the SVD of the small matrix:
                                   compositions of matmul / qr / svd, differentiable.
  binomial(count, prob)            Binomial(count, prob) samples (NumPy's generator).
"""
from .. import _dtype
from ..backend import xp as _xp
from ..tensor import Tensor, _make

__all__ = ["empty_strided", "empty_permuted", "as_strided", "as_strided_copy",
           "as_strided_scatter", "svd_lowrank", "pca_lowrank", "binomial"]


def _t():
    import glasstorch
    return glasstorch


def _np_dtype(dtype):
    return (dtype or _dtype.get_default_dtype()).np


def _options(fn, layout, device, pin_memory):
    from .._device import check_device
    from .._layout import check_options
    check_device(device)
    check_options(fn, layout, pin_memory)


def _negative_size_check(size):
    bad = [n for n in size if n < 0]
    if bad:
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad[0]}: "
                           f"{list(size)}")


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    _options("empty_strided", layout, device, pin_memory)
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    _negative_size_check(size)
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    np_dt = _xp.dtype(_np_dtype(dtype))
    extent = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    buf = _xp.empty(max(extent, 1), dtype=np_dt)
    arr = _xp.lib.stride_tricks.as_strided(buf, size, [s * np_dt.itemsize for s in stride])
    t = _make(arr)
    return t.requires_grad_(requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    _options("empty_permuted", layout, device, pin_memory)
    size, order = tuple(size), tuple(physical_layout)
    if sorted(order) != list(range(len(size))):
        raise RuntimeError(f"Dimension out of range or repeated in physical_layout "
                           f"{list(order)} for size {list(size)}")
    buf = _xp.empty([size[d] for d in order], dtype=_np_dtype(dtype))
    inverse = [order.index(d) for d in range(len(size))]
    return _make(buf.transpose(inverse)).requires_grad_(requires_grad)


def _strided_index(numel, size, stride, storage_offset):
    offset = storage_offset or 0
    idx = _xp.full(tuple(size), offset, dtype=_xp.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[d] = n
        idx = idx + (_xp.arange(n) * s).reshape(shape)
    if idx.size and (idx.min() < 0 or idx.max() >= numel):
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize requiring a storage size of "
                           f"{int(idx.max()) + 1} are out of bounds for storage of size "
                           f"{numel}")
    return _make(idx)


def _storage(input):
    if not input._data.flags.c_contiguous:
        raise RuntimeError("as_strided_copy / as_strided_scatter: glasstorch addresses the "
                           "storage of a contiguous input only (call .contiguous() first)")
    return input.reshape(-1)


def _positions(size, stride, offset):
    """Storage positions (in elements) of every element of a (size, stride, offset) view."""
    pos = _xp.full(tuple(size), offset, dtype=_xp.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[d] = n
        pos = pos + (_xp.arange(n, dtype=_xp.int64) * s).reshape(shape)
    return pos


def as_strided(input, size, stride, storage_offset=None):
    """A view of input's storage with `size`, element `stride` and `storage_offset` (elements
    from the start of the storage; default input's own offset), as torch.as_strided."""
    from ._strides import _as_view, _root, _strided
    from .view import storage_offset_of
    size, stride = tuple(int(n) for n in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    offset = storage_offset_of(input) if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    root = _root(input._data)
    need = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if need > root.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {root.itemsize} requiring a storage "
                           f"size of {need * root.itemsize} are out of bounds for storage of "
                           f"size {root.size * root.itemsize}")
    # the graph: input's elements at their storage positions (a mean where an expanded input
    # puts several on one), then the view's positions read back
    t = _t()
    src = _positions(input.shape, input.stride(), storage_offset_of(input)).reshape(-1)
    dst = _positions(size, stride, offset).reshape(-1)
    n = max(root.size, 1)
    count = _xp.bincount(src, minlength=n)[:n]
    flat = t.zeros(n, dtype=input.dtype).index_add(0, _make(src), input.reshape(-1))
    if count.max(initial=0) > 1:
        flat = flat / _make(_xp.maximum(count, 1).astype(input._data.dtype))
    out = flat[_make(dst)].reshape(size)
    out._data = _strided(root, size, stride, offset)      # the values: the memory itself
    return _as_view(input, out, lambda v: as_strided(v, size, stride, offset))


def as_strided_copy(input, size, stride, storage_offset=None, *, out=None):
    flat = _storage(input)
    return flat[_strided_index(flat.shape[0], size, stride, storage_offset)]


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    flat = _storage(input)
    idx = _strided_index(flat.shape[0], size, stride, storage_offset)
    if tuple(src.shape) != tuple(idx.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {list(src.shape)}, slice size = {list(idx.shape)}")
    out = flat.clone()
    out = out.index_put((idx.reshape(-1),), src.reshape(-1).to(input.dtype))
    return out.reshape(input.shape)


def _range_finder(A, q, niter, M=None):
    """An orthonormal basis Q (m, q) of A's range (A - M when M is given)."""
    t = _t()
    n = A.shape[-1]
    R = t.randn(*A.shape[:-2], n, q, dtype=A.dtype)
    X = A @ R if M is None else A @ R - M @ R
    Q = t.linalg.qr(X).Q
    At = A.transpose(-2, -1)
    for _ in range(niter):
        Y = At @ Q if M is None else At @ Q - M.transpose(-2, -1) @ Q
        Q = t.linalg.qr(Y).Q
        Y = A @ Q if M is None else A @ Q - M @ Q
        Q = t.linalg.qr(Y).Q
    return Q


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U, S, V) with A ~ U diag(S) V^T of rank q (exact when rank(A) <= q)."""
    t = _t()
    q = 6 if q is None else q
    m, n = A.shape[-2:]
    if M is not None:
        M = M.expand(*A.shape) if M.shape != A.shape else M
    if m < n:        # work on the tall transpose
        At = A.transpose(-2, -1)
        Mt = None if M is None else M.transpose(-2, -1)
        U, S, V = svd_lowrank(At, q, niter, Mt)
        return V, S, U
    Q = _range_finder(A, q, niter, M)
    B = Q.transpose(-2, -1) @ A if M is None else Q.transpose(-2, -1) @ (A - M)
    U, S, Vh = t.linalg.svd(B, full_matrices=False)
    return Q @ U, S, Vh.transpose(-2, -1)


def pca_lowrank(A, q=None, center=True, niter=2):
    """svd_lowrank of A with its column means removed (center): principal directions in V."""
    m, n = A.shape[-2:]
    q = min(6, m, n) if q is None else q
    if not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")
    if niter < 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter)
    C = A.mean(-2, keepdim=True)
    return svd_lowrank(A - C, q, niter)


def binomial(count, prob, generator=None):
    """Binomial(count, prob) samples, in prob's dtype."""
    from ..random import _rng
    if not isinstance(count, Tensor) or not isinstance(prob, Tensor):
        raise TypeError("binomial(): argument 'count' and 'prob' must be Tensor")
    if not prob.dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for prob, got: "
                         f"{_dtype.type_word(prob._data.dtype)}")
    p = prob._data
    n = _xp.broadcast_to(count._data, _xp.broadcast_shapes(count.shape, prob.shape))
    draws = _rng(generator).binomial(n.astype(_xp.int64), _xp.broadcast_to(p, n.shape))
    return _make(_xp.asarray(draws, dtype=p.dtype))

