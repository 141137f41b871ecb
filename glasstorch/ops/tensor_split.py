"""torch.tensor_split and its fixed-dim forms hsplit / vsplit / dsplit: views of the input
(narrow), so gradients come from narrow. Composite.py re-exports them.

torch binds each as overloads told apart by the second argument's type, and each overload
has its own keyword: `sections` (an int: that many nearly equal parts), `indices` (a list of
int: cut before each index, with slice semantics, so negative indices wrap and a decreasing
index gives an empty part) and, for tensor_split only, `tensor_indices_or_sections` (an int64
tensor, 0-d for sections or 1-d for indices). Given positionally, the type decides.
"""
import builtins

from .. import _dtype
from ..tensor import Tensor, _wrap_dim

__all__ = ["tensor_split", "hsplit", "vsplit", "dsplit"]


def _choose(fn, positional, sections, indices, tensor_ios, tensors_ok):
    """The one split argument given, by position or by one of torch's keywords."""
    given = [v for v in (positional, sections, indices, tensor_ios) if v is not None]
    if len(given) != 1:
        raise TypeError(f"{fn}() takes exactly one of sections (int), indices (list of int)"
                        + (" or tensor_indices_or_sections (Tensor)" if tensors_ok else "")
                        + f", got {len(given)}")
    arg = given[0]
    if sections is not None and (isinstance(sections, bool) or not isinstance(sections, int)):
        raise TypeError(f"{fn}(): argument 'sections' must be int, not "
                        f"{type(sections).__name__}")
    if indices is not None and not isinstance(indices, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'indices' must be a tuple of ints, not "
                        f"{type(indices).__name__}")
    if tensor_ios is not None and not isinstance(tensor_ios, Tensor):
        raise TypeError(f"{fn}(): argument 'tensor_indices_or_sections' must be Tensor, not "
                        f"{type(tensor_ios).__name__}")
    if isinstance(arg, Tensor) and not tensors_ok:
        raise TypeError(f"{fn}(): the split argument must be an int (sections) or a list of "
                        f"int (indices), not Tensor")
    return arg


def _from_tensor(t):
    if t.dtype != _dtype.int64:
        raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of "
                           f"long, but got {t.dtype.cpp_name}")
    if t.ndim > 1:
        raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                           "zero-dimensional or one-dimensional tensor, but got a tensor with "
                           f"{t.ndim} dims")
    return int(t.item()) if t.ndim == 0 else [int(i) for i in t.tolist()]


def tensor_split(input, indices_or_sections=None, /, dim=0, *, sections=None, indices=None,
                 tensor_indices_or_sections=None):
    """Parts of `input` along `dim`: `sections` parts (the first size % sections one longer),
    or the slices between consecutive `indices` (slice semantics)."""
    arg = _choose("tensor_split", indices_or_sections, sections, indices,
                  tensor_indices_or_sections, True)
    if isinstance(arg, Tensor):
        arg = _from_tensor(arg)
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    dim = _wrap_dim(dim, input.ndim)
    size = input.shape[dim]
    if isinstance(arg, int):
        if arg <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {arg}")
        q, r = divmod(size, arg)
        cuts = [0]
        for i in range(arg):
            cuts.append(cuts[-1] + q + (1 if i < r else 0))
    else:
        cuts = [0] + [int(i) for i in arg] + [size]

    def clamp(i):                      # a slice bound: negative wraps, then clamp to [0, size]
        return builtins.min(builtins.max(i + size if i < 0 else i, 0), size)
    return tuple(input.narrow(dim, clamp(a), builtins.max(clamp(b) - clamp(a), 0))
                 for a, b in zip(cuts[:-1], cuts[1:]))


def _fixed_dim_split(fn, input, dim, min_ndim, arg):
    if input.ndim < min_ndim:
        raise RuntimeError(f"torch.{fn} requires a tensor with at least {min_ndim} dimension, "
                           f"but got a tensor with {input.ndim} dimensions!")
    if isinstance(arg, int) and (arg == 0 or input.shape[dim] % arg != 0):
        raise RuntimeError(f"torch.{fn} attempted to split along dimension {dim}, but the size "
                           f"of the dimension {input.shape[dim]} is not divisible by the "
                           f"split_size {arg}!")
    return tensor_split(input, arg, dim)


def hsplit(input, indices_or_sections=None, /, *, sections=None, indices=None):
    """Columns: dim 1 (dim 0 of a 1-d tensor)."""
    arg = _choose("hsplit", indices_or_sections, sections, indices, None, False)
    return _fixed_dim_split("hsplit", input, 1 if input.ndim > 1 else 0, 1, arg)


def vsplit(input, indices_or_sections=None, /, *, sections=None, indices=None):
    """Rows: dim 0 of a tensor of at least 2 dims."""
    arg = _choose("vsplit", indices_or_sections, sections, indices, None, False)
    return _fixed_dim_split("vsplit", input, 0, 2, arg)


def dsplit(input, indices_or_sections=None, /, *, sections=None, indices=None):
    """Depth: dim 2 of a tensor of at least 3 dims."""
    arg = _choose("dsplit", indices_or_sections, sections, indices, None, False)
    return _fixed_dim_split("dsplit", input, 2, 3, arg)
