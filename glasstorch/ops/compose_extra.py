"""torch functions that are compositions of existing ops (so their gradients come from those):
frexp / ldexp / nextafter / logit / fill, renorm and the norm forms torch keeps
(frobenius_norm, nuclear_norm, norm_except_dim), cross with torch's default dim, combinations,
vander, kaiser_window, the *_scatter family (a clone with one view overwritten: CopySlices
carries the gradient), put, and the counting functions histogram / histogramdd /
unique_consecutive / unravel_index (no gradient, as in torch).
"""
import builtins
import itertools
import math
import warnings

from .. import _dtype
from ..autograd.function import Function
from ..backend import xp as _xp
from ..tensor import Tensor, _make

__all__ = ["frexp", "ldexp", "nextafter", "logit", "fill", "renorm", "frobenius_norm",
           "nuclear_norm", "norm_except_dim", "cross", "combinations", "vander",
           "kaiser_window", "diagonal_scatter", "select_scatter", "slice_scatter", "put",
           "histogram", "histogramdd", "unique_consecutive", "unravel_index"]


def _t():
    import glasstorch
    return glasstorch


def _float(x):
    from .unary import _float_input
    return _float_input(x)


def _named(name, *fields):
    from ..linalg import _result     # torch.return_types-like named tuples
    return _result(name, *fields, torch_name=name)


def frexp(input, *, out=None):
    """(mantissa, exponent): input = mantissa * 2^exponent, |mantissa| in [0.5, 1)."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    _, e = _xp.frexp(input._data)
    exponent = _make(e.astype(_xp.int32))
    scale = _make(_xp.ldexp(_xp.ones((), input._data.dtype), -e).astype(input._data.dtype))
    return _named("frexp", "mantissa", "exponent")(input * scale, exponent)


class _Ldexp(Function):
    """y = x 2^e. Its x-gradient is gy * 2^e computed in e's dtype, as torch's formula: for an
    integer e < 0 that power is 0 (integer arithmetic), and so is the gradient."""

    @staticmethod
    def forward(ctx, x, e, dt):
        ctx.save_for_backward(x, e)
        return x.to(dt) * _t().pow(2.0, e).to(dt)

    @staticmethod
    def backward(ctx, gy):
        x, e = ctx.saved_tensors
        if e.dtype.is_floating_point:
            scale = _t().pow(2.0, e)
            ge = gy * x * scale * math.log(2.0) if ctx.needs_input_grad[1] else None
        else:
            scale = _t().where(e < 0, _t().zeros_like(e), _t().pow(2, e.clamp(min=0)))
            ge = None
        return gy * scale, ge, None


def _tensors(name, input, other):
    for arg, what, pos in ((input, "input", 1), (other, "other", 2)):
        if not isinstance(arg, Tensor):
            raise TypeError(f"{name}(): argument '{what}' (position {pos}) must be Tensor, "
                            f"not {type(arg).__name__}")


def ldexp(input, other, *, out=None):
    """input * 2^other in the promoted dtype (the default float for integers, as torch)."""
    _tensors("ldexp", input, other)
    dt = _dtype.result_type(input, other)
    if dt.is_floating_point and other.dtype == _dtype.bool:
        raise NotImplementedError("\"ldexp_cpu\" not implemented for 'Bool'")
    return _Ldexp.apply(input, other, dt if dt.is_floating_point else
                        _dtype.get_default_dtype())


def nextafter(input, other, *, out=None):
    """The next representable float after input toward other; d/dinput = 1, d/dother = 0."""
    from .mask import where
    _tensors("nextafter", input, other)
    dt = _dtype.result_type(input, other)
    input, other = input.to(dt), other.to(dt)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for "
                                  f"'{_dtype.type_word(input._data.dtype)}'")
    step = _make(_xp.nextafter(*_xp.broadcast_arrays(input._data, other._data)) -
                 _xp.broadcast_to(input._data, _xp.broadcast_shapes(input.shape, other.shape)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zero_other = where(_t().ones((), dtype=_dtype.bool), _t().zeros((), dtype=other.dtype),
                           other)
    return (input + zero_other) + step


def logit(input, eps=None, *, out=None):
    from .. import special
    return special.logit(input, eps)


def fill(input, value):
    """A new tensor of input's shape and dtype filled with value (a number or 0-d tensor)."""
    from .mask import where
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        value = value.to(input.dtype)
    else:
        value = _t().full((), value, dtype=input.dtype)
    # where, not a new tensor: the result depends on input (a zero gradient), as in torch
    return where(_t().ones(input.shape, dtype=_dtype.bool), value, input)


def renorm(input, p, dim, maxnorm, *, out=None):
    """Each slice along dim with p-norm above maxnorm rescaled to norm maxnorm."""
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported (got p = {p})")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    dim = dim % builtins.max(input.ndim, 1)
    others = [d for d in builtins.range(input.ndim) if d != dim]
    norm = _t().linalg.vector_norm(input, p, dim=others, keepdim=True) if others else \
        input.abs()
    factor = _t().where(norm > maxnorm, maxnorm / (norm + 1e-7), _t().ones_like(norm))
    return input * factor


def frobenius_norm(input, dim=(), keepdim=False, *, out=None):
    dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    return _t().linalg.vector_norm(input, 2, dim=dims or None, keepdim=keepdim)


def nuclear_norm(input, dim=None, keepdim=False, *, out=None):
    if isinstance(dim, bool):          # nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    return _t().linalg.matrix_norm(input, "nuc", dim=tuple(dim) if dim else (-2, -1),
                                   keepdim=keepdim)


def norm_except_dim(v, pow=2, dim=0):
    """The pow-norm over every dim but `dim` (kept with size 1 elsewhere); dim=-1: of all."""
    if dim == -1:
        return _t().linalg.vector_norm(v, pow)
    others = [d for d in builtins.range(v.ndim) if d != dim % v.ndim]
    return _t().linalg.vector_norm(v, pow, dim=others, keepdim=True)


def cross(input, other, dim=None, *, out=None):
    """torch.cross: without dim, the first dim of size 3 (torch warns: pass dim)."""
    if dim is None:
        import warnings
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross.\n"
                      "The default value of dim will change to agree with that of linalg.cross "
                      "in a future release.", UserWarning, stacklevel=2)
        shape = _t().broadcast_shapes(input.shape, other.shape)
        sizes = [i for i, s in enumerate(shape) if s == 3]
        if not sizes:
            raise RuntimeError(f"no dimension of size 3 in input (shape {tuple(shape)})")
        dim = sizes[0]
    y = _t().linalg.cross(input, other, dim=dim)
    if out is None:
        return y
    from ._operands import _into
    return _into(y, out, "cross")               # (out= was accepted and ignored before)


def combinations(input, r=2, with_replacement=False):
    """The r-length combinations of a 1-D tensor's elements, one per row."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _t().empty(0, dtype=input.dtype)
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = list(pick(builtins.range(input.shape[0]), r))
    if not rows:
        return _t().empty(0, r, dtype=input.dtype)
    idx = _t().tensor(rows, dtype=_dtype.int64)
    return input[idx.reshape(-1)].reshape(len(rows), r)


def vander(x, N=None, increasing=False):
    """Columns x^(N-1) ... x^0 (x^0 ... x^(N-1) when increasing)."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    base = x if x.dtype.is_floating_point or x.dtype == _dtype.int64 else x.to(_dtype.int64)
    if n == 0:
        return _t().empty(x.shape[0], 0, dtype=base.dtype)
    cols = [_t().ones_like(base)] + [base] * (n - 1)
    powers = _t().stack(cols, 1).cumprod(1)
    return powers if increasing else powers.flip(1)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, requires_grad=False, pin_memory=False):
    """I0(beta sqrt(1 - (2n/(N-1) - 1)^2)) / I0(beta) (N = window_length + 1 if periodic)."""
    from .composite import _window_options
    _window_options("kaiser_window", layout, device, pin_memory)
    from .special_bessel import i0
    dt = dtype or _dtype.get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f"kaiser_window expects floating point dtypes, got {dt}")
    if window_length < 0:
        raise RuntimeError(f"kaiser_window requires non-negative window_length, got "
                           f"window_length={window_length}")
    if window_length <= 1:
        return _t().ones(window_length, dtype=dt, requires_grad=requires_grad)
    n = window_length + 1 if periodic else window_length
    k = _t().arange(window_length, dtype=_dtype.float64)
    arg = beta * (1 - (2 * k / (n - 1) - 1) ** 2).clamp(min=0).sqrt()
    w = (i0(arg) / i0(_t().tensor(float(beta), dtype=_dtype.float64))).to(dt)
    return w.requires_grad_(requires_grad)


# ---- a clone with a view overwritten --------------------------------------------------------
def _scatter_into(input, view_of, src):
    out = input.clone()
    target = view_of(out)
    if tuple(target.shape) != tuple(src.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {list(src.shape)}, slice size = {list(target.shape)}")
    target.copy_(src)
    return out


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    return _scatter_into(input, lambda t: t.diagonal(offset, dim1, dim2), src)


def select_scatter(input, src, dim, index):
    return _scatter_into(input, lambda t: t.select(dim, index), src)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    def view(t):
        index = [slice(None)] * t.ndim
        index[dim] = slice(start, end, step)
        return t[tuple(index)]
    return _scatter_into(input, view, src)


def put(input, index, source, accumulate=False):
    """input with its flat elements at `index` set to (or increased by) source's."""
    flat = input.reshape(-1).clone()
    if index.numel() != source.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {index.numel()}")
    flat = flat.index_put((index.reshape(-1),), source.reshape(-1), accumulate)
    return flat.reshape(input.shape)


# ---- counting (no gradient) -----------------------------------------------------------------
def histogram(input, bins, *, range=None, weight=None, density=False, out=None):
    """(hist, bin_edges) of input's values: `bins` equal bins over range (or input's min..max),
    or the given edges (a 1-D tensor)."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"torch.histogram: input tensor and bins tensors should have the "
                           f"same dtype, but got input {input.dtype}")
    edges_in = bins._data if isinstance(bins, Tensor) else bins
    w = None if weight is None else weight._data.reshape(-1)
    x = input._data.reshape(-1)
    hist, edges = _xp.histogram(x, edges_in, range=range, weights=w, density=density)
    dt = input._data.dtype
    return _named("histogram", "hist", "bin_edges")(_make(hist.astype(dt)),
                                                    _make(edges.astype(dt)))


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges) over the last dim's coordinates."""
    x = input._data.reshape(-1, input.shape[-1])
    b = [e._data for e in bins] if isinstance(bins, (list, tuple)) and bins and \
        isinstance(bins[0], Tensor) else bins
    rng = None if range is None else list(zip(range[::2], range[1::2]))
    w = None if weight is None else weight._data.reshape(-1)
    hist, edges = _xp.histogramdd(x, b, range=rng, weights=w, density=density)
    dt = input._data.dtype
    return _named("histogramdd", "hist", "bin_edges")(
        _make(hist.astype(dt)), tuple(_make(e.astype(dt)) for e in edges))


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Each run of equal consecutive elements (slices along dim) reduced to one."""
    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        new = _xp.ones(flat.shape[0], dtype=bool)
        new[1:] = flat[1:] != flat[:-1]
        values = _make(flat[new])
    else:
        moved = _xp.moveaxis(a, dim, 0)
        new = _xp.ones(moved.shape[0], dtype=bool)
        if moved.shape[0] > 1:
            new[1:] = (moved[1:] != moved[:-1]).reshape(moved.shape[0] - 1, -1).any(1)
        values = _make(_xp.ascontiguousarray(_xp.moveaxis(moved[new], 0, dim)))
    out = [values]
    group = _xp.cumsum(new) - 1
    if return_inverse:
        out.append(_make(group.reshape(a.shape if dim is None else (a.shape[dim],))
                         .astype(_xp.int64)))
    if return_counts:
        out.append(_make(_xp.bincount(group, minlength=int(new.sum())).astype(_xp.int64)
                         if group.size else _xp.zeros(0, _xp.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unravel_index(indices, shape):
    """The coordinates of flat indices in `shape`, one int64 tensor per dim."""
    if isinstance(indices, Tensor) and (indices.dtype.is_floating_point or
                                        indices.dtype == _dtype.bool):
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got "
                         f"{tuple(shape)}")
    idx = indices._data if isinstance(indices, Tensor) else _xp.asarray(indices)
    # as torch: coordinate i = (index // stride_i) % size_i (indices out of range wrap)
    out = []
    for i, size in enumerate(shape):
        stride = math.prod(shape[i + 1:])
        out.append(_make((idx.astype(_xp.int64) // stride) % size if size else
                         _xp.zeros(idx.shape, _xp.int64)))
    return tuple(out)
