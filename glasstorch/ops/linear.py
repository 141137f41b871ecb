"""The fully connected layer's op, fused: y = x W^T + b in one node (one matmul forward,
two backward), because it is the hottest op of every MLP. Also bilinear."""
from ..autograd.node import Op
from ..backend import xp as _xp
from ..tensor import Tensor

__all__ = []


class Linear(Op, name="linear"):
    """y = x @ W^T + b;  gx = gy @ W,  gW = gy^T @ x (batch dims flattened),  gb = sum(gy)."""

    @staticmethod
    def forward(ctx, x, w, b):
        need = ctx.needs_input_grad
        if need[0] or need[1]:
            ctx.save_inputs(0, 1)
        y = _xp.matmul(x, w.T)
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = gy @ w if need[0] else None
        gw = gb = None
        if need[1]:
            out_f, in_f = w.shape
            gw = gy.reshape(-1, out_f).mT @ x.reshape(-1, in_f)
        if need[2]:
            gb = gy.reshape(-1, gy.shape[-1]).sum(0)
        return gx, gw, gb


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias; input (*, in), weight (out, in), bias (out)."""
    if input._data.ndim == 0 or input._data.shape[-1] != weight._data.shape[-1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_mat_str(input)} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{input.dtype.name} and {weight.dtype.name}")
    return Linear.apply(input, weight, bias)


def _mat_str(x):
    rows = 1
    for s in x.shape[:-1]:
        rows *= s
    return f"{rows}x{x.shape[-1]}"
