"""The fully connected layer's op, fused: y = x W^T + b in one node (one matmul forward,
two backward), because it is the hottest op of every MLP. Also bilinear."""
from types import SimpleNamespace as _SimpleNamespace

from .. import _dtype
from ..autograd import node as _node
from ..autograd.grad_mode import STATE
from ..autograd.node import Op
from ..backend import xp as _xp
from ..backend.threads import matmul as _gemm, matmul_mnk as _gemm_mnk  # small products
                                                                       # on one BLAS thread
from ..tensor import Tensor, _make
from ._inplace import _type_word

__all__ = ["bilinear"]

_F32, _F64 = _xp.dtype(_xp.float32), _xp.dtype(_xp.float64)


class Linear(Op, name="linear"):
    """y = x @ W^T + b;  gx = gy @ W,  gW = gy^T @ x (batch dims flattened),  gb = sum(gy)."""

    @staticmethod
    def forward(ctx, x, w, b):
        # keep only what backward reads: gx needs W, gW needs x. A weight whose input needs
        # no gradient (a first layer) is not saved, so it may change in place before backward
        need = ctx.needs_input_grad
        ctx.keep = (need[0], need[1])
        ctx.in_shape = x.shape
        kept = (1,) * need[0] + (0,) * need[1]
        if kept:
            ctx.save_inputs(*kept)
        if x.ndim > 2 and w.ndim == 2:
            # (*, in) as one (N, in) GEMM, as torch folds it: np.matmul on a 3-D array runs
            # one small GEMM per leading index, ~1.7x slower for sequence models (B, T, in),
            # and on a non-contiguous one (a permuted (T, B, in) view) no BLAS at all, ~30x
            # slower than the copy reshape makes
            y = _gemm(x.reshape(-1, x.shape[-1]), w.T).reshape(x.shape[:-1] + (-1,))
        else:
            y = _gemm(x, w.T)
        if b is not None:
            y += b
        return y

    def name(self):
        # torch's node is the last aten op of F.linear: addmm (2-D input with bias), mm
        # (without), a view of the flattened GEMM for other ranks (squeeze for 1-D, no bias)
        x_meta, _, b_meta = self._in_meta
        if len(x_meta[0]) == 2:
            return "AddmmBackward0" if b_meta is not None else "MmBackward0"
        if b_meta is not None:
            return "ViewBackward0"
        return "SqueezeBackward4" if len(x_meta[0]) == 1 else "UnsafeViewBackward0"

    @staticmethod
    def backward(ctx, gy):
        keep = ctx.keep   # nothing kept (only the bias needs a gradient): nothing to read
        saved = ctx.saved_tensors if keep[0] or keep[1] else ()
        w = saved[0] if keep[0] else None
        x = saved[keep[0]] if keep[1] else None
        need = ctx.needs_input_grad
        gw = gb = None
        shape = gy._data.shape
        out_f, in_f = shape[-1], ctx.in_shape[-1]
        m = _prod(shape[:-1])   # explicit: reshape(-1, 0) is ambiguous for zero features
        if not STATE.enabled:   # no create_graph: the same products on the arrays, without
            return _array_backward(gy._data, w, x, need, m, out_f, in_f, ctx.in_shape)  # ~7 ops
        gx = None
        if need[0]:  # one GEMM over the flattened batch dims (see forward)
            gx = (gy.reshape(m, out_f) @ w).reshape(ctx.in_shape) if gy.ndim > 2 \
                else gy @ w
        if need[1]:
            gw = gy.reshape(m, out_f).mT @ x.reshape(m, in_f)
        if need[2]:
            gb = gy.reshape(m, out_f).sum(0)
        return gx, gw, gb


def _array_backward(gy, w, x, need, m, out_f, in_f, in_shape):
    """Linear.backward when no graph is recorded: the same NumPy calls the Tensor ops make
    (matmul, reshape, sum), on the arrays; a layer's backward is then one node's Python."""
    g2 = gy if gy.ndim == 2 else gy.reshape(m, out_f)   # (2-D: no call; each shows in a step)
    gx = gw = gb = None
    if need[0]:
        gx = _make(_gemm(g2, w._data).reshape(in_shape) if gy.ndim > 2
                   else _gemm(gy, w._data))
    if need[1]:
        xd = x._data
        gw = _make(_gemm(g2.T, xd if xd.ndim == 2 else xd.reshape(m, in_f)))
    if need[2]:
        gb = _make(_xp.add.reduce(g2, axis=0, dtype=g2.dtype))   # g2.sum(0), without its frame
    return gx, gw, gb


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias; input (*, in), weight (out, in), bias (out)."""
    if bias is not None and not _node._OBSERVERS and not (STATE.enabled and (
            input._requires_grad or weight._requires_grad or bias._requires_grad)):
        # nn.Linear's call with nothing to record (inference): when these tests pass, so do
        # all the checks below, and the result is Linear.forward's on the arrays (~2 us of a
        # batch-1 layer's ~6 less than the general path)
        x, w, b = input._data, weight._data, bias._data
        dt = x.dtype   # float32/64 only: identity tests are cheaper than dtype comparisons
        if (dt is _F32 or dt is _F64) and w.dtype is dt and b.dtype is dt:
            xs, ws = x.shape, w.shape
            if len(xs) == 2 and len(ws) == 2 and xs[1] == ws[1] and b.shape == ws[:1]:
                y = _gemm_mnk(x, w.T, xs[0] * xs[1] * ws[0], xs[0] == 1
                              and x.flags.c_contiguous and w.flags.c_contiguous)
                y += b
                return _make(y)
    if input._data.ndim == 0 or weight._data.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                           f"{input._data.ndim}D and {weight._data.ndim}D")
    if weight._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{weight._data.ndim}D")
    if bias is not None:
        _check_bias(input, weight, bias)
    if input._data.shape[-1] != weight._data.shape[-1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_mat_str(input)} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_type_word(input._data.dtype)} and "
                           f"{_type_word(weight._data.dtype)}")
    if input._data.dtype.kind == "b":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    if weight._data.ndim == 1:   # torch: a vector weight gives input @ weight (+ bias)
        y = input @ weight
        return y if bias is None else y + bias
    if not _node._OBSERVERS and not (STATE.enabled and (
            input._requires_grad or weight._requires_grad
            or bias is not None and bias._requires_grad)):
        # nothing to record (no_grad, inference): the op's forward without Op.apply's node
        # bookkeeping, ~1.5 us of a batch-1 layer's ~10; the jit tracer (an observer) still
        # sees Linear.apply
        return _make(Linear.forward(_NO_RECORD, input._data, weight._data,
                                    None if bias is None else bias._data))
    return Linear.apply(input, weight, bias)


# the ctx Linear.forward gets when nothing is recorded (it writes, never reads, its attributes)
_NO_RECORD = _SimpleNamespace(needs_input_grad=(False, False, False))


def _check_bias(input, weight, bias):
    """torch adds the bias by expanding it to the output's shape: the same errors."""
    b, w = bias._data, weight._data
    if b.ndim == 1 and w.ndim == 2 and b.shape[0] == w.shape[0] and b.dtype == w.dtype:
        return   # nn.Linear's bias: nothing to check further
    if w.ndim == 1:
        if input._data.ndim > 1:
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        out = ()
    else:
        out = input._data.shape[:-1] + (w.shape[0],)
    if b.dtype != w.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_type_word(b.dtype)} and {_type_word(w.dtype)}")
    if b.ndim > len(out):
        raise RuntimeError(f"expand(torch.{_type_word(b.dtype)}Tensor{{{list(b.shape)}}}, "
                           f"size={list(out)}): the number of sizes provided ({len(out)}) must "
                           "be greater or equal to the number of dimensions in the tensor "
                           f"({b.ndim})")
    for d in range(1, b.ndim + 1):
        if b.shape[-d] not in (1, out[-d]):
            raise RuntimeError(f"The expanded size of the tensor ({out[-d]}) must match the "
                               f"existing size ({b.shape[-d]}) at non-singleton dimension "
                               f"{len(out) - d}.  Target sizes: {list(out)}.  Tensor sizes: "
                               f"{list(b.shape)}")


def _mat_str(x):
    rows = 1
    for s in x.shape[:-1]:
        rows *= s
    return f"{rows}x{x.shape[-1]}"


class Bilinear(Op, name="bilinear"):
    """y_k = x1^T W_k x2 + b_k (batch dims flattened to M);  gx1 = sum_k gy_k W_k x2,
    gx2 = sum_k gy_k W_k^T x1,  gW_k = sum_m gy_mk x1_m x2_m^T,  gb = sum_m gy_m."""

    @staticmethod
    def forward(ctx, x1, x2, w, b):
        if any(ctx.needs_input_grad[:3]):
            ctx.save_inputs(0, 1, 2)
        k, i, j = w.shape
        m = _prod(x1.shape[:-1])
        # (M, I) @ (I, K*J) -> (M, K, J), then contract J with x2: one BLAS call does the work
        t = (x1.reshape(m, i) @ w.transpose(1, 0, 2).reshape(i, k * j)).reshape(m, k, j)
        y = _xp.matmul(t, x2.reshape(m, j, 1)).reshape(x1.shape[:-1] + (k,))
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, gy):
        x1, x2, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        k, i, j = w.shape
        m = _prod(gy.shape[:-1])
        g = gy.reshape(m, k, 1)
        gx1 = gx2 = gw = gb = None
        if need[0]:   # outer products gy x2^T (M, K*J), then one matmul with W as (K*J, I)
            u = (g * x2.reshape(m, 1, j)).reshape(m, k * j)
            gx1 = (u @ w.permute(0, 2, 1).reshape(k * j, i)).reshape(x1.shape)
        if need[1]:
            v = (g * x1.reshape(m, 1, i)).reshape(m, k * i)
            gx2 = (v @ w.reshape(k * i, j)).reshape(x2.shape)
        if need[2]:
            outer = (x1.reshape(m, i, 1) * x2.reshape(m, 1, j)).reshape(m, i * j)
            gw = (gy.reshape(m, k).mT @ outer).reshape(k, i, j)
        if need[3]:
            gb = gy.reshape(m, k).sum(0)
        return gx1, gx2, gw, gb


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def bilinear(input1, input2, weight, bias=None):
    """y[..., k] = input1[..., :] @ weight[k] @ input2[..., :] + bias[k];  input1 (*, in1),
    input2 (*, in2) with the same batch dims, weight (out, in1, in2), bias (out,)."""
    x1, x2, w = input1._data, input2._data, weight._data
    dts = [("input1", x1), ("input2", x2), ("weight", w)]
    if bias is not None:
        dts.append(("bias", bias._data))
    if len({a.dtype for _, a in dts}) > 1:
        raise RuntimeError("All tensors must have the same dtype, got " + ", ".join(
            f"{n}: {_dtype.c_type_name(a.dtype)}" for n, a in dts))
    if x1.ndim == 0 or x2.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    if x1.ndim != x2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {x1.ndim} and "
                           f"{x2.ndim}")
    for d in range(x1.ndim - 1):
        if x1.shape[d] != x2.shape[d]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: "
                               f"got {x1.shape[d]} and {x2.shape[d]}")
    if w.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-w.ndim}, "
                         f"{w.ndim - 1}], but got 2)")
    if x1.shape[-1] != w.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{x1.shape[-1]} but expected {w.shape[1]}")
    if x2.shape[-1] != w.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{x2.shape[-1]} but expected {w.shape[2]}")
    if w.ndim != 3:
        raise RuntimeError("number of dimensions must match")
    if bias is not None and (bias._data.ndim != 1 or bias.shape[0] != w.shape[0]):
        got = bias.shape[0] if bias._data.ndim else "a scalar"
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {got} but "
                           f"expected {w.shape[0]}")
    if 0 in w.shape[1:]:   # torch's composite reshapes to (-1, in2): ambiguous when empty
        raise RuntimeError(f"bilinear(): cannot reshape tensor of 0 elements into shape [-1, "
                           f"{w.shape[2]}] (in1_features={w.shape[1]}, "
                           f"in2_features={w.shape[2]}: both must be positive)")
    if w.dtype.kind == "b":              # torch's composite runs bmm, which has no bool loop
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    return Bilinear.apply(input1, input2, weight, bias)
