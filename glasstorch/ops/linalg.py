"""Matrix products: matmul (with NumPy/PyTorch batching rules), mm, bmm, mv, dot, outer,
addmm, baddbmm (einsum, tensordot and inner are in einsum.py). Gradients are products too:
for y = a @ b, ga = gy @ b^T and gb = a^T @ gy. Backward formulas are written in glasstorch
ops, so second derivatives work. The checks up front give PyTorch's errors (shapes, dtypes) before NumPy's.
"""
from .. import _dtype
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.node import Op
from ..backend import xp as _xp
from ..backend.threads import matmul as _gemm   # small products on one BLAS thread
from ._inplace import _type_word
from ..tensor import _caller_op
from ._operands import _into

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "addmm", "baddbmm"]

_c_type = _dtype.c_type_name   # torch's C++ type names, as its matmul/mm errors print them


class MatMul(Op, name="matmul"):
    """y = a @ b (batched, broadcast);  ga = gy @ b^T, gb = a^T @ gy (1-D operands are
    promoted to matrices and the added dim removed again)."""

    @staticmethod
    def forward(ctx, a, b):
        need = ctx.needs_input_grad
        if need[0] or need[1]:
            ctx.save_inputs(0, 1)
        return _gemm(a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:  # dot product
            return (gy * b if need[0] else None), (gy * a if need[1] else None)
        if a.ndim == 1:
            gy2 = gy.unsqueeze(-2)
            ga = (gy2 @ b.mT).squeeze(-2) if need[0] else None
            gb = a.unsqueeze(-1) @ gy2 if need[1] else None
            return ga, gb
        if b.ndim == 1:
            gy2 = gy.unsqueeze(-1)
            ga = gy2 @ b.unsqueeze(-2) if need[0] else None
            gb = (a.mT @ gy2).squeeze(-1) if need[1] else None
            return ga, gb
        if need[0]:
            ga = gy @ b.mT
        if need[1]:
            gb = a.mT @ gy
        return ga, gb


# The special cases of matmul are the same op under torch's names, so grad_fn prints
# MmBackward0 / MvBackward0 / DotBackward0 / BmmBackward0 as in PyTorch.
class Mm(MatMul, name="mm"):
    """y = a @ b for matrices (see MatMul)."""


class Mv(MatMul, name="mv"):
    """y = A @ v, matrix times vector (see MatMul)."""


class Dot(MatMul, name="dot"):
    """y = sum(a * b) for vectors;  ga = gy * b, gb = gy * a."""


class Bmm(MatMul, name="bmm"):
    """y[i] = a[i] @ b[i] for 3-D batches (see MatMul)."""


def _no_bool(a, op):
    if a._data.dtype.kind == "b":
        raise NotImplementedError(f"\"{op}\" not implemented for 'Bool'")


def _same_dtype_mm(a, b):
    da, db = a._data.dtype, b._data.dtype
    if da != db:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_c_type(da)} != "
                           f"{_c_type(db)}")
    _no_bool(a, "addmm_impl_cpu_")


def _shape_str(shape):
    return "x".join(map(str, shape))


def _broadcast_batch(sa, sb):
    """Broadcast two batch shapes with torch's error message."""
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    for i, (x, y) in enumerate(zip(sa, sb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i} (matmul: batch shapes "
                               f"{list(sa)} and {list(sb)})")


def matmul(input, other, *, out=None):
    """Matrix product with NumPy's rules: 1-D operands act as a row/column vector (the dim is
    removed from the result), dims before the last two are batch dims and broadcast.

    >>> import glasstorch
    >>> glasstorch.matmul(glasstorch.ones(5, 1, 2, 3), glasstorch.ones(4, 3, 6)).shape
    torch.Size([5, 4, 2, 6])
    """
    if out is not None:                  # torch's out=: the result written into out
        return _into(matmul(input, other), out, "matmul")
    a, b = input._data, other._data
    na, nb = a.ndim, b.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{na}D and {nb}D")
    if na == 1 and nb == 1:
        return dot(input, other)
    if na == 2 and nb == 1:
        return mv(input, other)
    if na == 2 and nb == 2:
        return mm(input, other)
    _same_dtype_mm(input, other)
    ka = a.shape[-1]
    kb = b.shape[-2] if nb > 1 else b.shape[0]
    if ka != kb:
        rows = a.shape[-2] if na > 1 else 1
        for s in a.shape[:-2]:
            rows *= s
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{ka} and "
                           f"{_shape_str(b.shape)}) (matmul: shapes {list(a.shape)} and "
                           f"{list(b.shape)})")
    _broadcast_batch(a.shape[:-2], b.shape[:-2])
    return MatMul.apply(input, other)


def _no_cpu_out_dtype(fn, out_dtype):
    """torch's out_dtype= overloads (aten::mm.dtype, bmm.dtype, addmm.dtype, baddbmm.dtype)
    have CUDA/XPU kernels only: on the CPU torch raises NotImplementedError for any dtype,
    and so does glasstorch (out_dtype=None is the overload without it)."""
    if out_dtype is not None:
        raise NotImplementedError(f"Could not run 'aten::{fn}.dtype' with arguments from the "
                                  f"'CPU' backend: torch 2.13 computes {fn}(..., out_dtype=) "
                                  "on CUDA/XPU only")


def mm(input, mat2, out_dtype=None, *, out=None):
    """input @ mat2 for 2-D tensors only (no broadcasting): (n, k) @ (k, m) -> (n, m)."""
    if out is not None:                  # torch's out=: the result written into out
        return _into(mm(input, mat2, out_dtype), out, "mm")
    _no_cpu_out_dtype("mm", out_dtype)
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _same_dtype_mm(input, mat2)
    sa, sb = input._data.shape, mat2._data.shape
    if sa[1] != sb[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa)} and "
                           f"{_shape_str(sb)})")
    return Mm.apply(input, mat2)


def bmm(input, mat2, out_dtype=None, *, out=None):
    """Batched matrix product of 3-D tensors: (b, n, k) @ (b, k, m) -> (b, n, m)."""
    if out is not None:                  # torch's out=: the result written into out
        return _into(bmm(input, mat2, out_dtype), out, "bmm")
    _no_cpu_out_dtype("bmm", out_dtype)
    _check_batches(input, mat2, "batch1", "batch2")
    if 0 in input._data.shape or 0 in mat2._data.shape:
        # nothing to multiply: torch skips its dtype checks, the zeros take mat2's dtype
        _grad_needs_float("bmm", mat2._data.dtype, input, mat2)
        return Bmm.apply(input.to(mat2.dtype), mat2)
    _no_bool(input, "bmm")                 # torch: the kernel's dtype first, then mat2's
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"expected scalar type {_type_word(input._data.dtype)} but found "
                           f"{_type_word(mat2._data.dtype)}")
    return Bmm.apply(input, mat2)


def _check_batches(b1, b2, n1, n2):
    if b1._data.ndim != 3:
        raise RuntimeError(f"{n1} must be a 3D tensor")
    if b2._data.ndim != 3:
        raise RuntimeError(f"{n2} must be a 3D tensor")
    s1, s2 = b1._data.shape, b2._data.shape
    if s2[:2] != (s1[0], s1[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{s1[0]}, {s1[2]}] but got: [{s2[0]}, {s2[1]}]. ({_caller_op()}: "
                           f"{n1} shape {list(s1)}, {n2} shape {list(s2)})")


def mv(input, vec, *, out=None):
    """Matrix-vector product: (n, m) @ (m,) -> (n,)."""
    if out is not None:                  # torch's out=: the result written into out
        return _into(mv(input, vec), out, "mv")
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, "
                           f"{vec._data.ndim}")
    sa, n = input._data.shape, vec._data.shape[0]
    if sa[1] != n:
        raise RuntimeError(f"size mismatch, got input ({sa[0]}), mat ({_shape_str(sa)}), "
                           f"vec ({n})")
    da, dv = input._data.dtype, vec._data.dtype
    if da != dv:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_type_word(dv)}, {_type_word(da)}, and {_type_word(dv)}")
    _no_bool(input, "addmv_impl_cpu")
    return Mv.apply(input, vec)


def dot(input, tensor, *, out=None):
    """Inner product of two 1-D tensors of the same size and dtype (no broadcasting)."""
    if out is not None:                  # torch's out=: the result written into out
        return _into(dot(input, tensor), out, "dot")
    na, nb = input._data.ndim, tensor._data.ndim
    if na != 1 or nb != 1:
        raise RuntimeError(f"1D tensors expected, but got {na}D and {nb}D tensors")
    la, lb = input._data.shape[0], tensor._data.shape[0]
    if la != lb:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{la}] and src [{lb}] "
                           f"to have the same number of elements, but got {la} and {lb} "
                           "elements respectively")
    da, db = input._data.dtype, tensor._data.dtype
    if da != db:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_type_word(da)} and {_type_word(db)}")
    _no_bool(input, "dot")
    return Dot.apply(input, tensor)


def vdot(input, other):
    """dot with the first vector conjugated: the identity on real tensors."""
    return dot(input, other)


def outer(input, vec2, *, out=None):
    """Outer product of 1-D tensors: y[i, j] = input[i] * vec2[j] (dtypes promote, as a mul)."""
    if out is not None:                  # torch's out=: the result written into out
        return _into(outer(input, vec2), out, "outer")
    for t, name in ((input, "self"), (vec2, "vec2")):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got "
                               f"{t._data.ndim}-D")
    return input.reshape(-1, 1) * vec2


ger = outer


class Addmm(Op, name="addmm"):
    """y = beta * input + alpha * (a @ b);  g_input = beta * gy, ga = alpha * gy @ b^T,
    gb = alpha * a^T @ gy. With beta == 0 the input is ignored (nan/inf in it do not
    propagate, as in torch)."""

    @staticmethod
    def forward(ctx, input, a, b, beta, alpha):
        need = ctx.needs_input_grad
        if need[1] or need[2]:
            ctx.save_inputs(1, 2)
        ctx.beta, ctx.alpha = beta, alpha
        y = _gemm(a, b)
        if alpha != 1:
            y *= alpha
        if beta == 1:
            y += input
        elif beta != 0:
            y += beta * input
        return y

    @staticmethod
    def backward(ctx, gy):
        need = ctx.needs_input_grad
        beta, alpha = ctx.beta, ctx.alpha
        gi = ga = gb = None
        if need[0]:
            gi = gy if beta == 1 else gy * beta
        if need[1] or need[2]:
            a, b = ctx.saved_tensors
            gya = gy if alpha == 1 else gy * alpha
            ga = gya @ b.mT if need[1] else None
            gb = a.mT @ gya if need[2] else None
        return gi, ga, gb, None, None


class Baddbmm(Addmm, name="baddbmm"):
    """y = beta * input + alpha * (a @ b) over 3-D batches (see Addmm)."""


def _check_broadcast_to(input, shape):
    s = input._data.shape
    if len(s) > len(shape) or any(x != 1 and x != y for x, y in zip(s[::-1], shape[::-1])):
        raise RuntimeError(f"The expanded size of the tensor ({shape[-1]}) must match the "
                           f"existing size ({s[-1]}) at non-singleton dimension "
                           f"{len(shape) - 1}.  Target sizes: {list(shape)}.  Tensor sizes: "
                           f"{list(s)}")


def addmm(input, mat1, mat2, out_dtype=None, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2); input broadcasts to (n, m). nn.Linear's op."""
    _no_cpu_out_dtype("addmm", out_dtype)
    for t, name in ((mat1, "mat1"), (mat2, "mat2")):
        if t._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t._data.ndim}-D tensor")
    s1, s2 = mat1._data.shape, mat2._data.shape
    if s1[1] != s2[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(s1)} and "
                           f"{_shape_str(s2)})")
    dts = {input._data.dtype, mat1._data.dtype, mat2._data.dtype}
    if len(dts) > 1:
        d0 = input._data.dtype
        other = mat1._data.dtype if mat1._data.dtype != d0 else mat2._data.dtype
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_type_word(d0)} and {_type_word(other)}")
    _no_bool(mat1, "addmm_impl_cpu_")
    _check_broadcast_to(input, (s1[0], s2[1]))
    return Addmm.apply(input, mat1, mat2, beta, alpha)


def baddbmm(input, batch1, batch2, out_dtype=None, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2); input broadcasts to (b, n, m)."""
    _no_cpu_out_dtype("baddbmm", out_dtype)
    _check_batches(batch1, batch2, "batch1", "batch2")
    d = [t._data.dtype for t in (input, batch1, batch2)]
    if d[0] != d[1]:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_c_type(d[0])}, "
                           f"batch1: {_c_type(d[1])}, batch2: {_c_type(d[2])}")
    s1, s2 = batch1._data.shape, batch2._data.shape
    shape = (s1[0], s1[1], s2[2])
    _check_broadcast_to(input, shape)
    if 0 in s1 or 0 in s2:
        return _baddbmm_no_products(input, batch1, batch2, shape, beta)
    _no_bool(batch1, "baddbmm")            # torch: the kernel's dtype first, then batch2's
    if d[1] != d[2]:
        raise RuntimeError(f"expected scalar type {_type_word(d[1])} but found "
                           f"{_type_word(d[2])}")
    return Baddbmm.apply(input, batch1, batch2, beta, alpha)


def _baddbmm_no_products(input, batch1, batch2, shape, beta):
    """torch's baddbmm when a size is 0: no product is computed (nor batch2's dtype checked);
    the result has batch2's dtype and is beta * input (0 * input is zeros, alpha is unused)."""
    dt = batch2._data.dtype
    if beta != 0 and 0 not in shape:   # torch scales in place: beta's type must fit dt
        kind = "Float" if isinstance(beta, float) else "Long"
        if dt.kind == "b" or (dt.kind in "iu" and kind == "Float"):
            raise RuntimeError(f"result type {kind} can't be cast to the desired output type "
                               f"{_type_word(dt)}")
    _grad_needs_float("baddbmm", dt, input, batch1, batch2)
    out = batch2.dtype
    return Baddbmm.apply(input.to(out), batch1.to(out), batch2, 0 if 0 in shape else beta, 1)


def _grad_needs_float(op, dt, *inputs):
    if dt.kind != "f" and is_grad_enabled() and any(t.requires_grad for t in inputs):
        raise RuntimeError(f"{op}: Autograd not support dtype: {_type_word(dt)} (the result "
                           f"takes the {_type_word(dt)} operand's dtype, an input requires grad)")
