"""torch functions that are compositions of registered ops (no Op class of their own: their
gradients come from the ops they are made of). Grouped: NaN-aware reductions, diagonals and
block matrices, log-space sums, windows, splits, counting and searching, calculus.
"""
import builtins
import math

from .. import _dtype, _layout
from ..tensor import Tensor
from .tensor_split import dsplit, hsplit, tensor_split, vsplit  # noqa: F401  (splits)

__all__ = ["nansum", "nanmean", "bincount", "diag", "diag_embed", "diagflat", "block_diag",
           "cartesian_prod", "kron", "logaddexp", "logaddexp2", "heaviside", "isin", "isneginf",
           "isposinf", "isreal", "deg2rad", "rad2deg", "diff", "logcumsumexp", "trapezoid",
           "trapz", "cumulative_trapezoid", "rot90", "tensor_split", "hsplit", "vsplit",
           "dsplit", "cov", "corrcoef", "dist", "addmv", "addr", "addbmm", "is_nonzero",
           "is_same_size", "is_signed", "hann_window", "hamming_window", "bartlett_window",
           "blackman_window", "searchsorted", "bucketize", "histc", "gcd", "lcm"]


def _g():
    import glasstorch
    return glasstorch


# ---- NaN-aware reductions -----------------------------------------------------------------
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """sum treating NaN as 0."""
    x = input.masked_fill(input.isnan(), 0) if input.dtype.is_floating_point else input
    return x.sum(dim, keepdim, dtype=dtype) if dim is not None else x.sum(dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """mean over the non-NaN elements."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {input.dtype}")
    keep = (~input.isnan()).to(input.dtype)
    return nansum(input, dim, keepdim, dtype=dtype) / keep.sum(*(() if dim is None else (dim,)),
                                                               keepdim=keepdim)


def bincount(input, weights=None, minlength=0):
    """Counts of each value of a 1-D non-negative integer tensor (weighted: sums of weights)."""
    if input.dtype.is_floating_point or input.dtype is _dtype.bool:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for "
                                  f"'{input.dtype.cpp_name}'")
    if input.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if input.numel() and int(input.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    n = builtins.max(minlength, int(input.max()) + 1 if input.numel() else 0)
    idx = input.long()
    if weights is None:
        return _g().zeros(n, dtype=_dtype.int64).index_add(0, idx, _g().ones_like(idx))
    w = weights if weights.dtype.is_floating_point else weights.double()
    w = w.double() if w.dtype is not _dtype.float32 else w
    return _g().zeros(n, dtype=w.dtype).index_add(0, idx, w)


# ---- diagonals and block matrices ---------------------------------------------------------
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Last dim of input on the `offset` diagonal of new (dim1, dim2) matrices."""
    k, o = input.shape[-1], abs(offset)
    m = input.unsqueeze(-1) * _g().eye(k, dtype=input.dtype)          # (..., k, k)
    m = _g().nn.functional.pad(m, (o, 0, 0, o) if offset >= 0 else (0, o, o, 0))
    nd = m.ndim
    return m.movedim((nd - 2, nd - 1), (dim1 % nd, dim2 % nd))


def diag(input, diagonal=0, *, out=None):
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return input.diagonal(diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def diagflat(input, offset=0):
    return diag_embed(input.reshape(-1), offset)


def block_diag(*tensors):
    mats = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    mats = [t.reshape(1, 1) if t.ndim == 0 else t for t in mats]
    dt = mats[0].dtype
    for m in mats[1:]:
        dt = _dtype.promote_types(dt, m.dtype)
    cols = builtins.sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        rows.append(_g().nn.functional.pad(m.to(dt), (left, cols - left - m.shape[1])))
        left += m.shape[1]
    return _g().cat(rows, 0)


def cartesian_prod(*tensors):
    if len(tensors) == 1:
        return tensors[0]
    grids = _g().meshgrid(*tensors, indexing="ij")
    return _g().stack([g.reshape(-1) for g in grids], 1)


def kron(input, other, *, out=None):
    nd = builtins.max(input.ndim, other.ndim)
    a = input.reshape(*(1,) * (nd - input.ndim), *input.shape)
    b = other.reshape(*(1,) * (nd - other.ndim), *other.shape)
    inter_a, inter_b = [], []
    for s in a.shape:
        inter_a += [s, 1]
    for s in b.shape:
        inter_b += [1, s]
    prod = a.reshape(*inter_a) * b.reshape(*inter_b)
    return prod.reshape(*[x * y for x, y in zip(a.shape, b.shape)])


# ---- log space, elementwise --------------------------------------------------------------
def logaddexp(input, other, *, out=None):
    m = _g().maximum(input, other).detach()
    m = m.masked_fill(m.isinf(), 0)
    return m + ((input - m).exp() + (other - m).exp()).log()


def logaddexp2(input, other, *, out=None):
    return logaddexp(input * math.log(2), other * math.log(2)) / math.log(2)


def logcumsumexp(input, dim, *, out=None):
    m = input.detach().amax(dim, keepdim=True)
    m = m.masked_fill(m.isinf(), 0)
    return (input - m).exp().cumsum(dim).log() + m


def heaviside(input, values, *, out=None):
    return _g().where(input == 0, values.to(input.dtype) if isinstance(values, Tensor) else
                      values, (input > 0).to(input.dtype))


def isin(elements=None, test_elements=None, *, assume_unique=False, invert=False,
         element=None, test_element=None):
    """Whether each element is in test_elements; torch's scalar overloads name the scalar side
    `element` / `test_element` (one side at least a tensor)."""
    if (elements is None) == (element is None) or \
            (test_elements is None) == (test_element is None):
        raise TypeError("isin() takes elements (or element) and test_elements (or "
                        "test_element), one of each")
    e = elements if element is None else element
    t = test_elements if test_element is None else test_element
    if not isinstance(e, Tensor) and not isinstance(t, Tensor):
        raise TypeError("isin() received an invalid combination of arguments: at least one of "
                        "elements and test_elements must be a Tensor")
    e = e if isinstance(e, Tensor) else _g().tensor(e)
    t = t if isinstance(t, Tensor) else _g().tensor(t)
    if t.numel():
        hit = (e.unsqueeze(-1) == t.reshape(-1)).any(-1)
    else:
        hit = _g().zeros(*e.shape, dtype=_dtype.bool)
    return ~hit if invert else hit


def isneginf(input, *, out=None):
    return input.isinf() & (input < 0)


def isposinf(input, *, out=None):
    return input.isinf() & (input > 0)


def isreal(input):
    return _g().ones(*input.shape, dtype=_dtype.bool)


def deg2rad(input, *, out=None):
    return input * (math.pi / 180) if input.dtype.is_floating_point else \
        input.to(_dtype.get_default_dtype()) * (math.pi / 180)


def rad2deg(input, *, out=None):
    return input * (180 / math.pi) if input.dtype.is_floating_point else \
        input.to(_dtype.get_default_dtype()) * (180 / math.pi)


# ---- calculus ------------------------------------------------------------------------------
def diff(input, n=1, dim=-1, prepend=None, append=None):
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    from ..tensor import _wrap_dim
    dim = _wrap_dim(dim, input.ndim, "diff")
    for other in (prepend, append):
        if other is not None and other.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               f"input (input is {input.ndim}-D, got {other.ndim}-D)")
    x = input
    if prepend is not None or append is not None:
        parts = ([prepend] if prepend is not None else []) + [x] + \
            ([append] if append is not None else [])
        x = _g().cat(parts, dim)
    for _ in range(n):
        size = x.shape[dim]
        if size == 0:               # torch: differences of an empty dim stay empty
            break
        hi, lo = x.narrow(dim, 1, size - 1), x.narrow(dim, 0, size - 1)
        x = (hi != lo) if x.dtype is _dtype.bool else hi - lo
    return x


def trapezoid(y, x=None, *, dx=None, dim=-1):
    n = y.shape[dim]
    mid = (y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)) / 2
    if x is not None:
        return (mid * diff(x, dim=dim if x.ndim == y.ndim else -1)).sum(dim)
    return mid.sum(dim) * (1.0 if dx is None else dx)


def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    n = y.shape[dim]
    mid = (y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)) / 2
    if x is not None:
        return (mid * diff(x, dim=dim if x.ndim == y.ndim else -1)).cumsum(dim)
    return mid.cumsum(dim) * (1.0 if dx is None else dx)


# ---- shapes --------------------------------------------------------------------------------
def rot90(input, k=1, dims=(0, 1)):
    d0, d1 = dims
    k %= 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip(d0).flip(d1)
    if k == 3:
        return input.transpose(d0, d1).flip(d1)
    return input.clone()


# ---- statistics and products -----------------------------------------------------------------
def cov(input, *, correction=1, fweights=None, aweights=None):
    x = input if input.ndim == 2 else input.reshape(1, -1)
    xc = x - x.mean(1, keepdim=True)
    c = xc @ xc.T / (x.shape[1] - correction)
    return c if input.ndim == 2 else c.reshape(())


def corrcoef(input):
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d.unsqueeze(0) / d.unsqueeze(1)).clamp(-1, 1)


def dist(input, other, p=2):
    return _g().linalg.vector_norm(input - other, p)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    return beta * input + alpha * (mat @ vec)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    return beta * input + alpha * _g().outer(vec1, vec2)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    return beta * input + alpha * (batch1 @ batch2).sum(0)


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous"
                           if input.numel() else "Boolean value of Tensor with no values is "
                           "ambiguous")
    return bool(input.item() != 0)


def is_same_size(input, other):
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    return input.dtype.is_signed


# ---- windows -------------------------------------------------------------------------------
def _window(n, periodic, fn, dtype):
    dtype = dtype or _dtype.get_default_dtype()
    if n == 0:
        return _g().zeros(0, dtype=dtype)
    if n == 1:
        return _g().ones(1, dtype=dtype)
    m = n if periodic else n - 1
    k = _g().arange(n, dtype=_dtype.float64)
    return fn(k, m).to(dtype)


def _window_options(fn, layout, device, pin_memory):
    from .._device import check_device
    check_device(device)
    _layout.check_options(fn, layout, pin_memory)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                requires_grad=False, pin_memory=False):
    _window_options("hann_window", layout, device, pin_memory)
    return _window(window_length, periodic, lambda k, m: 0.5 - 0.5 * (2 * math.pi * k / m).cos(),
                   dtype).requires_grad_(requires_grad)


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, requires_grad=False, pin_memory=False):
    _window_options("hamming_window", layout, device, pin_memory)
    return _window(window_length, periodic, lambda k, m: alpha - beta * (2 * math.pi * k / m)
                   .cos(), dtype).requires_grad_(requires_grad)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False, pin_memory=False):
    _window_options("bartlett_window", layout, device, pin_memory)
    return _window(window_length, periodic, lambda k, m: 1 - (2 * k / m - 1).abs(),
                   dtype).requires_grad_(requires_grad)


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False, pin_memory=False):
    _window_options("blackman_window", layout, device, pin_memory)
    return _window(window_length, periodic, lambda k, m: 0.42 - 0.5 * (2 * math.pi * k / m).cos()
                   + 0.08 * (4 * math.pi * k / m).cos(), dtype).requires_grad_(requires_grad)


# ---- searching and counting ------------------------------------------------------------------
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Index where each value would be inserted to keep the last dim sorted."""
    right = right or side == "right"
    v = input if isinstance(input, Tensor) else _g().tensor(input)
    seq = sorted_sequence
    if seq.ndim == 1:
        cmp = (seq <= v.unsqueeze(-1)) if right else (seq < v.unsqueeze(-1))
    else:
        cmp = (seq.unsqueeze(-2) <= v.unsqueeze(-1)) if right else \
            (seq.unsqueeze(-2) < v.unsqueeze(-1))
    idx = cmp.long().sum(-1)
    return idx.int() if out_int32 else idx


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input, bins=100, min=0, max=0):
    if not input.dtype.is_floating_point:    # torch's kernels: float only
        kernel = "linspace_cpu" if input.dtype is _dtype.bool else "histogram_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.cpp_name}'")
    x = input.detach().reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and x.numel():
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    keep = (x >= lo) & (x <= hi)
    idx = ((x - lo) / (hi - lo) * bins).floor().long().clamp(0, bins - 1)
    counts = _g().zeros(bins, dtype=input.dtype).index_add(0, idx[keep],
                                                           _g().ones(int(keep.sum()),
                                                                     dtype=input.dtype))
    return counts


def gcd(input, other, *, out=None):
    from ..backend import xp
    return _g().as_tensor(xp.gcd(input.numpy(), other.numpy()))


def lcm(input, other, *, out=None):
    from ..backend import xp
    return _g().as_tensor(xp.lcm(input.numpy(), other.numpy()))
