"""Tensor's methods by group, one class per module; `glasstorch.tensor.Tensor` inherits them all
(tensor.py's docstring is the table: which method lives where, and which ops/ modules it calls).

    conversion.py      numpy, item, tolist, to/float/long, clone, detach, copy_, new_*
    operators.py       + - * / // % ** @ (and reflected, in-place), ~ & | ^, == < ...
    elementwise.py     add/mul/div as methods, exp/log/sin/sigmoid/relu/clamp..., fills
    reductions.py      sum/mean/var/max/argmax/norm, cumsum, softmax; sort/topk/unique
    linear_algebra.py  matmul, mm, bmm, mv, dot, outer, addmm, baddbmm, inner, vdot
    shape.py           view/reshape/permute/squeeze/expand, repeat, split/chunk, flip, tril
    indexing.py        x[i], x[i] = v, gather/scatter, index_*, masked_*, where, nonzero, take

Each class has `__slots__ = ()` (Tensor declares its slots and `__dict__` itself) and no state:
its methods are Tensor's, written here to keep each file short. The ops modules they delegate
to import Tensor, so each module imports them in `_import_ops()`, which tensor.py calls once
`Tensor` exists. `vars(Tensor)` holds only what tensor.py writes (and what _families.py,
_tensor_extra.py and _aliases.py add at import): walk `Tensor.__mro__` for every method, as
_aliases.install does.
"""
