"""What every reduction shares (reduce.py, moments.py, extrema.py, cumulative.py): torch's
`dim` argument as a tuple of axes, putting reduced dims back for backward, element counts, and
the dtype and empty-input checks of reductions.

`dim=None` (or an empty tuple) reduces every dim; `keepdim` keeps reduced dims as size 1.
Backward puts the reduced dims back (`_unreduce`) and broadcasts the incoming gradient over them.
"""
from operator import index as _index

from .. import _dtype
from ..tensor import _caller_op, _wrap_dim
from ._inplace import _type_word
from ._util import to_dtype

_INF = float("inf")

def _dims(dim, ndim):
    """torch's `dim` -> sorted tuple of axes to reduce. None or () means every dim; a 0-d
    tensor accepts dim 0 / -1 but has no axis to reduce."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        d = _wrap_dim(dim, ndim)
        return (d,) if ndim else ()
    if not hasattr(dim, "__iter__"):    # a NumPy int is one dim; a float is torch's TypeError
        dim = (dim,)
    if not dim:
        return tuple(range(ndim))
    seen = []
    for d in dim:
        try:
            d = _wrap_dim(_index(d), ndim)
        except TypeError:
            raise TypeError(f"{_caller_op()}(): argument 'dim' must be int or tuple of ints, "
                            f"not {type(d).__name__}") from None
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.append(d)
    return tuple(sorted(seen)) if ndim else ()


def _kept_shape(shape, dims):
    """The shape of a keepdim=True result: reduced dims become 1."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _unreduce(t, shape, dims, keepdim):
    """A reduced tensor reshaped so it broadcasts against the input (reduced dims as 1)."""
    if keepdim or not dims:
        return t
    return t.reshape(_kept_shape(shape, dims))


def _expand_back(gy, shape, dims, keepdim):
    """Grad of a reduction: put the reduced dims back (size 1) and broadcast to `shape`."""
    return _unreduce(gy, shape, dims, keepdim).expand(shape)


def _count(shape, dims):
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _infers_float(x, name):
    """mean & co. on a non-float input without a dtype: torch cannot infer a float result."""
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either "
                           "a floating point or complex dtype. Got: "
                           f"{_type_word(x._data.dtype)}")


def _to_float(x):
    """logsumexp & co. on integer/bool inputs compute in the default float dtype (torch)."""
    if x._data.dtype.kind != "f":
        return to_dtype(x, _dtype.get_default_dtype())
    return x


def _check_nonempty(x, dims, dim_given, name, dim_msg=True):
    """Reductions without an identity (max, amax, argmax, median) on empty inputs: torch's
    errors. `dim_msg` adds torch's hint for functions that also take no dim."""
    if x._data.size:
        return
    if not dim_given:
        if dim_msg:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                         "input.numel() == 0.")
    for d in dims:
        if x._data.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
