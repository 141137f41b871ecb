"""Names that are one pattern applied to another op, generated at import from the tables below.

torch has ~70 in-place twins of elementwise methods (`x.cos_()`), the same as functions
(`torch.cos_(x)`), NumPy-style aliases (`torch.arccos`, `x.multiply`) and `_copy` variants of
view ops (`torch.permute_copy`: the view, materialized). Each is one line of behaviour, so
instead of ~100 hand-written methods they are made here from three tables; a grep for a name
finds it in a table below. STYLE prefers methods you can grep in tensor.py (and its
tensor_methods/): this file is that grep target, and each generated function's docstring
names what it runs.

  INPLACE   x.name_(*args)     = ops/_inplace.inplace(x, Tensor.name, *args): the out-of-place
                                 result written back into x (version bump, autograd history)
  ALIASES   alias              = the target op itself (same object: identical behaviour)
  COPIES    torch.name_copy(x) = torch.name(x).clone() (a new tensor, not a view)
  linalg.TORCH_LEVEL   torch.det / x.det(), inverse, logdet, svd(some=)... (see linalg.py)
"""
import functools

from .autograd.function import Function
from .ops import _inplace

__all__ = ["INPLACE", "ALIASES", "COPIES", "install"]

INPLACE = (  # elementwise / same-shape methods whose in-place twin torch has
    "abs", "absolute", "acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
    "arctan2", "arctanh", "asin", "asinh", "atan", "atan2", "atanh", "addmm", "baddbmm",
    "bitwise_and", "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift",
    "bitwise_xor", "ceil", "clamp", "clamp_max", "clamp_min", "clip", "copysign", "cos",
    "cosh", "cumprod", "cumsum", "deg2rad", "digamma", "div", "divide", "eq", "erf", "erfc",
    "erfinv", "exp", "exp2", "expm1", "fix", "float_power", "floor", "floor_divide", "fmod",
    "frac", "ge", "greater", "greater_equal", "gt", "hypot", "index_fill", "le", "lerp",
    "less", "less_equal", "lgamma", "log", "log10", "log1p", "log2", "logical_and",
    "logical_not", "logical_or", "logical_xor", "logit", "lt", "masked_fill",
    "masked_scatter", "mul", "multiply", "nan_to_num", "ne", "neg", "negative", "not_equal",
    "pow", "rad2deg", "reciprocal", "relu", "remainder", "round", "rsqrt", "sgn", "sigmoid",
    "sign", "sin", "sinc", "sinh", "sqrt", "square", "sub", "subtract", "tan", "tanh", "tril",
    "triu", "true_divide", "trunc", "xlogy", "addbmm", "addmv", "addr", "gcd", "lcm",
    "heaviside", "i0", "igamma", "igammac", "ldexp", "nextafter", "renorm",
    "put", "mvlgamma", "polygamma", "scatter_reduce", "index_reduce")

ALIASES = {  # alias: target (torch's own aliases)
    "absolute": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin",
    "arcsinh": "asinh", "arctan": "atan", "arctanh": "atanh", "arctan2": "atan2",
    "clip": "clamp", "concat": "cat", "concatenate": "cat", "divide": "div",
    "true_divide": "div", "multiply": "mul", "subtract": "sub", "negative": "neg",
    "fix": "trunc", "greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
    "not_equal": "ne", "swapaxes": "transpose", "swapdims": "transpose", "moveaxis": "movedim",
    "row_stack": "vstack", "ger": "outer",
}

COPIES = ("alias", "detach", "diagonal", "expand", "narrow", "permute", "select", "slice",
          "split", "split_with_sizes", "squeeze", "t", "transpose", "unbind", "unfold",
          "unsqueeze", "values", "view", "as_strided")


# torch defines no derivative for these in-place twins: backward through them raises
NO_INPLACE_DERIVATIVE = {"acosh": "acosh", "arccosh": "acosh", "asinh": "asinh",
                         "arcsinh": "asinh", "atanh": "atanh", "arctanh": "atanh"}


class _NoDerivative(Function):
    """Identity forward; backward raises torch's error for an op without a derivative."""

    @staticmethod
    def forward(ctx, x, what):
        ctx.what = what
        return x.clone()

    @staticmethod
    def backward(ctx, gy):
        raise NotImplementedError(f"the derivative for '{ctx.what}' is not implemented.")


def _inplace_method(name):
    out_of_place = None

    def method(self, *args, **kwargs):
        if name in NO_INPLACE_DERIVATIVE:
            what = f"inplace version of {NO_INPLACE_DERIVATIVE[name]}"
            return _inplace.inplace(
                self, lambda x: _NoDerivative.apply(out_of_place(x, *args, **kwargs), what))
        return _inplace.inplace(self, out_of_place, *args, **kwargs)
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place `{name}`: x.{name}_(...) writes x.{name}(...) into x."

    def bind(fn):
        nonlocal out_of_place
        out_of_place = fn
        return method
    return bind


def _function_of(method, name):
    def fn(input, *args, **kwargs):
        return method(input, *args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}(input, ...) = input.{name}(...)"
    return fn


def _copy_of(view, name):
    def fn(*args, **kwargs):
        out = view(*args, **kwargs)
        if isinstance(out, (tuple, list)):
            return type(out)(o.clone() for o in out)
        return out.clone()
    fn.__name__ = fn.__qualname__ = name + "_copy"
    fn.__doc__ = f"torch.{name}_copy: torch.{name}(...) as a new tensor (not a view)."
    return fn


# torch functions that are also Tensor methods: x.name(*args) = torch.name(x, *args)
METHODS = ("lgamma", "digamma", "mvlgamma", "sinc", "nansum", "nanmean", "bincount", "diag",
           "diag_embed", "diagflat", "kron", "logaddexp", "logaddexp2", "heaviside", "isin",
           "isneginf", "isposinf", "isreal", "deg2rad", "rad2deg", "diff", "logcumsumexp",
           "rot90", "tensor_split", "hsplit", "vsplit", "dsplit", "cov", "corrcoef", "dist",
           "addmv", "addr", "addbmm", "is_nonzero", "is_same_size", "is_signed", "histc",
           "gcd", "lcm", "acosh", "asinh", "atanh", "argwhere", "fliplr", "flipud",
           "hardshrink", "narrow_copy", "positive", "prelu", "ravel", "signbit", "quantile",
           "nanquantile", "nanmedian", "mode", "cummax", "cummin", "i0", "igamma",
           "igammac", "frexp", "ldexp", "nextafter", "logit", "renorm", "cross",
           "diagonal_scatter", "select_scatter", "slice_scatter", "put",
           "histogram", "unique_consecutive", "unsafe_chunk", "unsafe_split",
           "unsafe_split_with_sizes", "split_with_sizes", "is_distributed", "scatter_reduce",
           "index_reduce", "as_strided_scatter")


def _method_of(fn, name):
    @functools.wraps(fn)   # keeps fn's signature visible (so _aliases adds axis= to dim=)
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"x.{name}(...) = torch.{name}(x, ...)"
    return method


def install(namespace, tensor_cls):
    """Add what the tables name and glasstorch does not define yet (never overrides)."""
    for name in COPIES:
        view = namespace.get(name) or getattr(tensor_cls, name, None)
        if view is not None and name + "_copy" not in namespace:
            namespace[name + "_copy"] = _copy_of(view, name)
    for name in METHODS:
        if name in namespace and not hasattr(tensor_cls, name):
            setattr(tensor_cls, name, _method_of(namespace[name], name))
    if "polygamma" in namespace and not hasattr(tensor_cls, "polygamma"):
        poly = namespace["polygamma"]
        tensor_cls.polygamma = lambda self, n: poly(n, self)
    for alias, target in ALIASES.items():
        if target is None:
            continue
        if not hasattr(tensor_cls, alias) and hasattr(tensor_cls, target):
            setattr(tensor_cls, alias, getattr(tensor_cls, target))
        if alias not in namespace and target in namespace:
            namespace[alias] = namespace[target]
    for name in INPLACE:
        if not hasattr(tensor_cls, name):
            continue
        if not hasattr(tensor_cls, name + "_"):
            setattr(tensor_cls, name + "_", _inplace_method(name)(getattr(tensor_cls, name)))
        if name + "_" not in namespace:
            namespace[name + "_"] = _function_of(getattr(tensor_cls, name + "_"), name + "_")
    from . import linalg
    for name, fn in linalg.TORCH_LEVEL.items():   # torch.det, x.inverse(), ... (linalg.py)
        namespace.setdefault(name, fn)
        if not hasattr(tensor_cls, name):
            setattr(tensor_cls, name, fn)
