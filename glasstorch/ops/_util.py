"""Helpers shared by the op modules: dim normalization, casts, wrapping arrays, and what the
elementwise families (unary, exp_log, trig, piecewise, gamma) share: integer inputs computed in
the default float dtype, NumPy's errstate for domain errors, torch's "not implemented" error."""
from operator import index as _index

from .. import _dtype
from ..backend import xp as _xp
from ..tensor import _make, _wrap_dim

__all__ = []


def check_number(value, op, name, position=None):
    """torch's TypeError for a scalar argument that is no number (a str, a list, None)."""
    import numbers
    if not isinstance(value, (numbers.Number, _xp.generic)) and \
            type(value).__name__ != "Tensor" and not hasattr(value, "_data"):
        where = f" (position {position})" if position else ""
        raise TypeError(f"{op}(): argument '{name}'{where} must be Number, not "
                        f"{type(value).__name__}")
    return value


def dims_tuple(dim, ndim):
    """None -> all dims; int or sequence -> sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        return (_wrap_dim(dim, ndim),)
    try:
        out = tuple(sorted(_wrap_dim(_index(d), ndim) for d in
                           (dim if hasattr(dim, "__iter__") else (dim,))))
    except TypeError:           # a float dim (or a list of them): torch's TypeError, no int()
        from ..tensor import _caller_op
        raise TypeError(f"{_caller_op()}(): argument 'dim' must be int or tuple of ints, not "
                        f"{type(dim).__name__}") from None
    if len(set(out)) != len(out):
        twice = next(d for d in out if out.count(d) > 1)
        raise RuntimeError(f"dim {twice} appears multiple times in the list of dims")
    return out


def to_dtype(t, dt):
    """t cast to glasstorch dtype `dt` (differentiable for floats); t itself when equal."""
    if t._data.dtype == dt.np:
        return t
    from .convert import _cast
    return _cast(t, dt)


def new_tensor(arr):
    return _make(arr)

# ---- elementwise functions (unary.py, exp_log.py, trig.py, piecewise.py, gamma.py) -------------
# _DOMAIN: functions with poles or a restricted domain (log, sqrt, asin, 1/x, ...) return
# +-inf / NaN there silently in torch (log(0) = -inf is routine: masked entropies); they run
# under `_DOMAIN`, NumPy's errstate for divide/invalid. Overflow (exp(1000) = inf) is silent
# too: backend/__init__.py filters out NumPy's RuntimeWarnings raised from glasstorch's code.
_DOMAIN = dict(divide="ignore", invalid="ignore")


def _float_input(x):
    """Integer inputs of float functions (exp, sin, ...) compute in the default float dtype."""
    if x._data.dtype.kind in "iub":
        return to_dtype(x, _dtype.get_default_dtype())
    return x


def _not_implemented(kernel, x):
    # torch's wording for a kernel that has no loop for this dtype
    word = _dtype.type_word(x._data.dtype)
    return NotImplementedError(f'"{kernel}" not implemented for \'{word}\'')


def _zeros(gy):
    # the gradient of a piecewise-constant function (torch: zeros_like(grad), no graph)
    return _make(_xp.zeros_like(gy._data))
