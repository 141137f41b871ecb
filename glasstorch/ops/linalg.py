"""Matrix products: matmul (with NumPy/PyTorch batching rules), mm, bmm, mv, dot, outer,
addmm, einsum. Gradients are matmuls too: for y = a @ b, ga = gy @ b^T, gb = a^T @ gy.
"""
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor, _make

__all__ = ["matmul"]


class MatMul(Op, name="matmul"):
    """y = a @ b (batched, broadcast);  ga = gy @ b^T, gb = a^T @ gy (1-D operands are
    promoted to matrices and the added dim removed again)."""

    @staticmethod
    def forward(ctx, a, b):
        need = ctx.needs_input_grad
        if need[0] or need[1]:
            ctx.save_inputs(0, 1)
        return _xp.matmul(a, b)

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


def matmul(input, other):
    if input._data.ndim == 0 or other._data.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{input._data.ndim}D and {other._data.ndim}D")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{input.dtype.name.replace('float32', 'float')} != "
                           f"{other.dtype.name.replace('float32', 'float')}")
    ka = input._data.shape[-1]
    kb = other._data.shape[-2] if other._data.ndim > 1 else other._data.shape[0]
    if ka != kb:
        sa = "x".join(map(str, input._data.shape if input._data.ndim > 1 else (1, ka)))
        sb = "x".join(map(str, other._data.shape))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
    return MatMul.apply(input, other)
