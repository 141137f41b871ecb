"""Einstein summation: einsum (equation strings, the operand list and torch's sublist forms),
and tensordot and inner, which are einsums. An operand's gradient is another einsum, of gy and
the other operands (_einsum_grad handles repeated subscripts), written in glasstorch ops, so
second derivatives work. matmul and the other products are in linalg.py.
"""
from .. import _dtype
from ..autograd.node import Op
from ..backend import xp as _xp
from ._inplace import _type_word
from ._util import to_dtype
from .linalg import _no_bool

__all__ = ["einsum", "tensordot", "inner"]

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Einsum(Op, name="einsum"):
    """y = einsum(eq, *operands);  the gradient of operand k is the einsum of gy and the other
    operands back to operand k's subscripts (see _einsum_grad for repeated subscripts)."""

    @staticmethod
    def forward(ctx, eq, *ops):
        need = ctx.needs_input_grad
        if any(need):
            ctx.save_inputs(*range(1, len(ops) + 1))
            ctx.eq = eq
        # more than two operands: let NumPy pick the contraction order (can be much cheaper)
        y = _xp.einsum(eq, *ops, optimize=len(ops) > 2)
        # NumPy returns views for pure transposes/diagonals; the result must own its memory
        if len(ops) == 1 and _xp.may_share_memory(y, ops[0]):
            y = y.copy()
        return y

    @staticmethod
    def backward(ctx, gy):
        ops = ctx.saved_tensors
        ins, out = ctx.eq.split("->")
        subs = ins.split(",")
        grads = [None]
        for k in range(len(ops)):
            need = ctx.needs_input_grad[k + 1]
            grads.append(_einsum_grad(gy, out, ops, subs, k) if need else None)
        return tuple(grads)


def _einsum_grad(gy, out, ops, subs, k):
    """Gradient of operand k: einsum(gy, other operands -> subs[k]). A subscript repeated in
    operand k (a diagonal, 'ii') gets a fresh letter per extra occurrence plus an identity
    matrix tying the two; a subscript found only in operand k (summed there alone) is absent
    from every other term, so the result is broadcast along it afterwards."""
    from ..creation import eye
    used = set("".join(subs) + out)
    fresh = (c for c in _LETTERS if c not in used)
    terms, tensors = [out], [gy]
    for j, (s, t) in enumerate(zip(subs, ops)):
        if j != k:
            terms.append(s)
            tensors.append(t)
    target = []
    seen = {}
    shape = ops[k]._data.shape
    for c, n in zip(subs[k], shape):
        if c in seen:
            f = next(fresh)
            terms.append(c + f)
            tensors.append(eye(n, dtype=gy.dtype))
            target.append(f)
        else:
            seen[c] = n
            target.append(c)
    present = set("".join(terms))
    kept = "".join(c for c in target if c in present)
    g = einsum(",".join(terms) + "->" + kept, *tensors)
    # back to operand k's rank and size: where g is 1 (absent, or size 1 in every other
    # term) expand; where g is larger (operand k broadcast a size-1 dim) the engine sums
    sizes = iter(g._data.shape)
    gshape = [next(sizes) if c in present else 1 for c in target]
    full = [n if gs == 1 else gs for gs, n in zip(gshape, shape)]
    if len(kept) != len(target):
        g = g.reshape(gshape)
    if full != gshape:
        g = g.expand(full)
    return g


def _parse_term(term, k, eq_offset):
    """Subscripts of one term as a list of letters, with '...' kept as one item."""
    items, i = [], 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if term[i:i + 3] != "..." or "..." in items:
                raise RuntimeError(f"einsum(): found '.' for operand {k} that is not part of "
                                   "any ellipsis")
            items.append("...")
            i += 3
            continue
        if c not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index {eq_offset + i} in "
                               "the equation string, subscripts must be in [a-zA-Z]")
        items.append(c)
        i += 1
    return items


def _check_rank(items, ndim, k):
    n = len(items) - ("..." in items)
    if "..." not in items and n != ndim:
        raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) does not "
                           f"match the number of dimensions ({ndim}) for operand {k} and no "
                           "ellipsis was given")
    if n > ndim:
        raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) is more "
                           f"than the number of dimensions ({ndim}) for operand {k}")


def _normalize(equation, operands):
    """The equation with every '...' spelled out in letters and an explicit output, checked
    like torch (subscript sizes must match or be 1, which broadcasts)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(operands) < len(terms):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(operands) > len(terms):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    parsed, offset = [], 0
    for k, (term, x) in enumerate(zip(terms, operands)):
        items = _parse_term(term, k, offset)
        _check_rank(items, x._data.ndim, k)
        parsed.append(items)
        offset += len(term) + 1
    n_ell = max((x._data.ndim - len(p) + 1 for p, x in zip(parsed, operands) if "..." in p),
                default=0)
    used = set(eq)
    ell = "".join([c for c in _LETTERS if c not in used][:n_ell])
    subs, sizes = [], {}
    for k, (p, x) in enumerate(zip(parsed, operands)):
        m = x._data.ndim - len(p) + 1  # dims this operand's ellipsis covers
        s = "".join(ell[n_ell - m:] if c == "..." else c for c in p)
        mine = {}
        for c, n in zip(s, x._data.shape):
            if c in mine and mine[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but "
                                   f"the sizes don't match, {n} != {mine[c]}")
            mine[c] = n
            prev = sizes.get(c, 1)
            if prev == 1:
                sizes[c] = n
            elif n != 1 and n != prev:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} "
                                   f"which does not broadcast with previously seen size {prev}")
        subs.append(s)
    if arrow:
        out = []
        for c in _parse_term(rhs, len(terms), len(lhs) + 2):
            if c == "...":
                out.append(ell)
                continue
            if c in out:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
            out.append(c)
        out = "".join(out)
    else:
        counts = "".join(p for p in lhs if p in _LETTERS)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1))
    return ",".join(subs) + "->" + out


def einsum(equation, *operands):
    """Einstein summation, e.g. einsum('bij,bjk->bik', a, b). Also accepts the operands as one
    list (`einsum(eq, [a, b])`) and torch's sublist form (`einsum(a, [0, 1], b, [1, 2])`).
    Subscripts of size 1 broadcast; '...' covers the remaining dims; without '->' the output
    is the subscripts used once, sorted.

    >>> import glasstorch
    >>> glasstorch.einsum("ii", glasstorch.eye(3))      # trace
    tensor(3.)
    """
    if not isinstance(equation, str):
        equation, operands = _from_sublists((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one "
                         "operand, or at least one operand and its subscripts list")
    eq = _normalize(equation, operands)
    return Einsum.apply(eq, *_einsum_dtypes(eq, operands))


def _einsum_dtypes(eq, operands):
    """torch: a subscript summed across operands is a bmm, which needs one dtype (and no
    bool); otherwise the products are multiplications, whose dtypes promote, and a sum of
    bools counts (int64)."""
    ins, out = eq.split("->")
    subs = ins.split(",")
    shared = [c for c in set(ins) - set(out) - {","} if sum(c in s for s in subs) > 1]
    dts = [x._data.dtype for x in operands]
    if shared:
        _no_bool(operands[0], "bmm")      # bmm's kernel dtype first, as torch
        for d in dts[1:]:
            if d != dts[0]:
                raise RuntimeError(f"expected scalar type {_type_word(dts[0])} but found "
                                   f"{_type_word(d)}")
        return operands
    dt = _dtype.result_type(*operands) if len(operands) > 1 else operands[0].dtype
    if dt == _dtype.bool and set(ins) - set(out) - {","}:
        dt = _dtype.int64
    return [to_dtype(x, dt) for x in operands]


def _from_sublists(args):
    """torch's einsum(op0, sublist0, op1, sublist1, ..., [out_sublist]) -> (equation, ops)."""
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)
    ops, terms = args[0:len(args) - len(args) % 2:2], args[1::2]
    out = args[-1] if len(args) % 2 else None
    eq = ",".join(letters(s) for s in terms[:len(ops)])
    if out is not None:
        eq += "->" + letters(out)
    return eq, tuple(ops)


def tensordot(a, b, dims=2):
    """Sum over the last `dims` dims of a and the first `dims` of b, or over the dim lists
    `dims=([a dims], [b dims])`; computed as an einsum."""
    na, nb = a._data.ndim, b._data.ndim
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
        da, db = [d % na for d in da], [d % nb for d in db]
    sa, sb = list(_LETTERS[:na]), list(_LETTERS[na:na + nb])
    for i, j in zip(da, db):
        if a._data.shape[i] != b._data.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a._data.shape[i]} in dim {i} and second has size "
                               f"{b._data.shape[j]} in dim {j}")
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in da] + [c for j, c in enumerate(sb)
                                                          if j not in db]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


def inner(input, other):
    """Sum over the last dim of both: y[..., ...] = sum_k input[..., k] * other[..., k]."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))
