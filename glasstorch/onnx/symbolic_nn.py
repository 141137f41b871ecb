"""ONNX translations of the nn ops: convolution, pooling, padding, activations, normalization,
linear, embedding, recurrent layers, attention, dropout. See symbolic.py for the conventions.

Geometry tuples are glasstorch's: one (kernel, stride, dilation, padding-before) per spatial
dim. The LSTM and GRU layer ops take the layer's input and W_ih, as ONNX's LSTM and GRU do
(gates reordered from torch's (i, f, g, o) into ONNX's (i, o, f, c), (r, z, n) into (z, r,
h)); the RNN layer op receives its input projection already computed (xg = x W_ih^T + b_ih,
one Linear over all steps), so it hands ONNX xg with an identity W.
"""
import math

import numpy as np

from ..jit.ir import Value
from . import UnsupportedOperatorError, no_mapping_message
from ._symbolic_base import _reduce, inp, out_dtype, register, scalar

__all__ = []


def _pads(geometry, in_sizes, out_sizes, transposed=False):
    """ONNX pads [b1.., e1..] and whether ceil_mode is needed for out_sizes."""
    before = [g[3] for g in geometry]
    end, ceil = [], False
    for (k, s, d, p), L, o in zip(geometry, in_sizes, out_sizes):
        span = d * (k - 1) + 1
        floor_out = (L + 2 * p - span) // s + 1
        end.append(p)
        if floor_out != o:
            ceil = True
    return before + end, ceil


@register("convolution")
def _conv(b, n):
    x, w, bias, geometry, groups, transposed, out = n.args
    k = [g[0] for g in geometry]
    strides, dil = [g[1] for g in geometry], [g[2] for g in geometry]
    pads = [g[3] for g in geometry] * 2
    ins = [b.name(x), b.name(w)] + ([b.name(bias)] if isinstance(bias, Value) else [])
    if not transposed:
        return b.op("Conv", ins, kernel_shape=k, strides=strides, dilations=dil, pads=pads,
                    group=groups)
    L = x.shape[2:]
    opad = [o - ((li - 1) * s - 2 * g[3] + d * (kk - 1) + 1)
            for o, li, s, d, kk, g in zip(out, L, strides, dil, k, geometry)]
    return b.op("ConvTranspose", ins, kernel_shape=k, strides=strides, dilations=dil,
                pads=pads, group=groups, output_padding=opad)


@register("max_pool2d_with_indices")
def _max_pool(b, n):
    geometry, out = n.kwargs["window"]
    x = n.args[0]
    pads, ceil = _pads(geometry, x.shape[2:], out)
    return b.op("MaxPool", [b.name(x)], kernel_shape=[g[0] for g in geometry],
                strides=[g[1] for g in geometry], dilations=[g[2] for g in geometry],
                pads=pads, ceil_mode=int(ceil))


@register("avg_pool2d")
def _avg_pool(b, n):
    x, geometry, out, divisor = n.args
    if any(g[2] != 1 for g in geometry):
        raise UnsupportedOperatorError(no_mapping_message("avg_pool2d with dilation", b.opset))
    pads, ceil = _pads(geometry, x.shape[2:], out)
    window = int(np.prod([g[0] for g in geometry]))
    include = 1 if isinstance(divisor, int) else 0
    y = b.op("AveragePool", [b.name(x)], kernel_shape=[g[0] for g in geometry],
             strides=[g[1] for g in geometry], pads=pads, ceil_mode=int(ceil),
             count_include_pad=include)
    if isinstance(divisor, int) and divisor != window and any(pads):
        raise UnsupportedOperatorError(no_mapping_message("avg_pool2d(divisor_override) with "
                                                          "padding", b.opset))
    if isinstance(divisor, int) and divisor != window:  # divisor_override
        y = b.op("Mul", [y, scalar(b, window / divisor, out_dtype(n))])
    return y


def _adaptive(b, n, kind):
    x = n.args[0]
    L, out = x.shape[2:], n.outputs[0].shape[2:]
    if all(o == 1 for o in out):
        return b.op("Global" + kind + "Pool", [b.name(x)])
    if all(li % o == 0 for li, o in zip(L, out)):
        k = [li // o for li, o in zip(L, out)]
        return b.op(kind + "Pool", [b.name(x)], kernel_shape=k, strides=k)
    raise UnsupportedOperatorError(
        f"op {n.op} has no ONNX mapping (opset {b.opset}) for input size {list(L)} and output "
        f"size {list(out)}: ONNX pools need the input to be a multiple of the output")


@register("adaptive_avg_pool2d", "adaptive_avg_pool1d")
def _adaptive_avg(b, n):
    return _adaptive(b, n, "Average")


@register("adaptive_max_pool2d")
def _adaptive_max(b, n):
    return _adaptive(b, n, "Max")


@register("constant_pad_nd")
def _constant_pad(b, n):
    x, pads, value = n.args
    flat = [p[0] for p in pads] + [p[1] for p in pads]
    return b.op("Pad", [b.name(x), b.ints(flat), scalar(b, value, out_dtype(n))],
                mode="constant")


def _plan_pads(n):
    x = n.args[0]
    pads = [(0, 0)] * len(x.shape)
    for plan in n.args[1]:
        axis = len(x.shape) + plan.axis
        idx = np.asarray(plan.terms[0][0])
        out, L = len(idx), x.shape[axis]
        if n.op.startswith("reflection"):
            before = int(np.argmin(idx))
        elif n.op.startswith("replication"):
            before = int(np.argmax(idx > 0)) - 1 if L > 1 else out - L
        else:
            before = int(np.argmax(idx == 0))
        pads[axis] = (before, out - L - before)
    return [p[0] for p in pads] + [p[1] for p in pads]


@register("reflection_pad1d", "reflection_pad2d", "reflection_pad3d", "replication_pad1d",
          "replication_pad2d", "replication_pad3d")
def _plan_pad(b, n):
    mode = "reflect" if n.op.startswith("reflection") else "edge"
    return b.op("Pad", [b.name(n.args[0]), b.ints(_plan_pads(n))], mode=mode)


# ---- activations ----------------------------------------------------------------------------

@register("threshold")
def _threshold(b, n):
    x = inp(b, n, 0)
    return b.op("Where", [b.op("Greater", [x, inp(b, n, 1)]), x, inp(b, n, 2)])


@register("hardtanh")
def _hardtanh(b, n):
    return b.op("Clip", [inp(b, n, 0), inp(b, n, 1), inp(b, n, 2)])


@register("leaky_relu")
def _leaky(b, n):
    return b.op("LeakyRelu", [inp(b, n, 0)], alpha=float(n.args[1]))


@register("prelu")
def _prelu(b, n):
    x, w = n.args[0], n.args[1]
    wn = b.name(w)
    if len(w.shape) == 1 and len(x.shape) > 2 and w.shape[0] > 1:
        wn = b.op("Reshape", [wn, b.ints([w.shape[0]] + [1] * (len(x.shape) - 2))])
    return b.op("PRelu", [b.name(x), wn])


@register("hardsigmoid")
def _hardsigmoid(b, n):
    return b.op("HardSigmoid", [inp(b, n, 0)], alpha=1 / 6, beta=0.5)


@register("hardswish")
def _hardswish(b, n):
    return b.op("HardSwish", [inp(b, n, 0)])


@register("elu")
def _elu(b, n):
    x, alpha, scale, input_scale = inp(b, n, 0), *n.args[1:4]
    dt = out_dtype(n)
    if input_scale != 1:
        x = b.op("Mul", [x, scalar(b, input_scale, dt)])
    y = b.op("Elu", [x], alpha=float(alpha))
    return y if scale == 1 else b.op("Mul", [y, scalar(b, scale, dt)])


@register("gelu")
def _gelu(b, n):
    x, dt = inp(b, n, 0), out_dtype(n)
    if n.args[1] == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = b.op("Mul", [b.op("Mul", [x, x]), x])
        inner = b.op("Add", [x, b.op("Mul", [cube, scalar(b, 0.044715, dt)])])
        t = b.op("Tanh", [b.op("Mul", [inner, scalar(b, math.sqrt(2 / math.pi), dt)])])
    else:                    # 0.5 x (1 + erf(x / sqrt 2))
        t = b.op("Erf", [b.op("Div", [x, scalar(b, math.sqrt(2), dt)])])
    half = b.op("Mul", [x, scalar(b, 0.5, dt)])
    return b.op("Mul", [half, b.op("Add", [t, scalar(b, 1, dt)])])


@register("silu")
def _silu(b, n):
    x = inp(b, n, 0)
    return b.op("Mul", [x, b.op("Sigmoid", [x])])


@register("mish")
def _mish(b, n):
    x = inp(b, n, 0)
    return b.op("Mul", [x, b.op("Tanh", [b.op("Softplus", [x])])])


@register("softplus")
def _softplus(b, n):
    x, beta, threshold = inp(b, n, 0), n.args[1], n.args[2]
    dt = out_dtype(n)
    bx = b.op("Mul", [x, scalar(b, beta, dt)]) if beta != 1 else x
    soft = b.op("Softplus", [bx])
    if beta != 1:
        soft = b.op("Div", [soft, scalar(b, beta, dt)])
    return b.op("Where", [b.op("Greater", [bx, scalar(b, threshold, dt)]), x, soft])


@register("log_sigmoid")
def _log_sigmoid(b, n):
    return b.op("Neg", [b.op("Softplus", [b.op("Neg", [inp(b, n, 0)])])])


@register("hardshrink", "softshrink")
def _shrink(b, n):
    lambd = float(n.args[1])
    return b.op("Shrink", [inp(b, n, 0)], lambd=lambd,
                bias=lambd if n.op == "softshrink" else 0.0)


# ---- normalization, linear, embedding, dropout ----------------------------------------------

@register("batch_norm")
def _batch_norm(b, n):
    """Eval: ONNX BatchNormalization with the running statistics; training: the batch's."""
    x, w, bias, mean, var, training, eps = n.args[:7]
    C, dt = x.shape[1], out_dtype(n)
    scale = b.name(w) if isinstance(w, Value) else b.const(np.ones(C, dt))
    shift = b.name(bias) if isinstance(bias, Value) else b.const(np.zeros(C, dt))
    if not training:
        return b.op("BatchNormalization", [b.name(x), scale, shift, b.name(mean), b.name(var)],
                    epsilon=float(eps))
    dims = [0] + list(range(2, len(x.shape)))
    y = _standardize(b, b.name(x), dims, eps, dt)
    shape = b.ints([C] + [1] * (len(x.shape) - 2))
    y = b.op("Mul", [y, b.op("Reshape", [scale, shape])])
    return b.op("Add", [y, b.op("Reshape", [shift, shape])])


def _standardize(b, x, dims, eps, dt):
    d = b.op("Sub", [x, _reduce(b, "ReduceMean", x, list(dims), True)])
    var = _reduce(b, "ReduceMean", b.op("Mul", [d, d]), list(dims), True)
    return b.op("Div", [d, b.op("Sqrt", [b.op("Add", [var, scalar(b, eps, dt)])])])


@register("layer_norm", "group_norm")
def _normalize(b, n):
    """(x - mean) * invstd * w + b, the statistics over `dims` computed as the op does (or
    given, fixed, when batch_stats is off)."""
    x, w, bias, mean, invstd, dims, batch_stats, eps = n.args
    dt = out_dtype(n)
    xn = b.name(x)
    if batch_stats:
        if n.op == "layer_norm" and isinstance(w, Value) and isinstance(bias, Value):
            return b.op("LayerNormalization", [xn, b.name(w), b.name(bias)], axis=dims[0],
                        epsilon=float(eps))
        y = _standardize(b, xn, dims, eps, dt)
    else:
        y = b.op("Mul", [b.op("Sub", [xn, b.name(mean)]), b.name(invstd)])
    if isinstance(w, Value):
        y = b.op("Mul", [y, b.name(w)])
    if isinstance(bias, Value):
        y = b.op("Add", [y, b.name(bias)])
    return y


@register("linear")
def _linear(b, n):
    x, w, bias = n.args
    if len(x.shape) == 2:
        ins = [b.name(x), b.name(w)] + ([b.name(bias)] if isinstance(bias, Value) else [])
        return b.op("Gemm", ins, transB=1)
    y = b.op("MatMul", [b.name(x), b.op("Transpose", [b.name(w)], perm=[1, 0])])
    return b.op("Add", [y, b.name(bias)]) if isinstance(bias, Value) else y


@register("embedding")
def _embedding(b, n):
    return b.op("Gather", [b.name(n.args[0]), inp(b, n, 1, "int64")], axis=0)


@register("dropout")
def _dropout(b, n):
    y = b.op("Mul", [b.name(n.args[0]), b.name(n.args[1])])
    return b.op("Add", [y, b.name(n.args[2])]) if isinstance(n.args[2], Value) else y


# ---- recurrent layers -------------------------------------------------------------------------

_GATES = {"lstm_layer": ("LSTM", 4, [0, 3, 1, 2]), "gru_layer": ("GRU", 3, [1, 0, 2]),
          "rnn_layer": ("RNN", 1, [0])}


def _state(b, v):
    """An initial state (B, H) as ONNX's (1, B, H); "" (zeros) for a constant zero state."""
    if v.kind in ("const", "array") and not np.any(v.data):
        return ""
    return b.op("Unsqueeze", [b.name(v), b.ints([0])])


@register("lstm_layer", "gru_layer", "rnn_layer")
def _rnn(b, n):
    """ONNX's LSTM / GRU / RNN over one layer and direction. lstm_layer and gru_layer take the
    layer's input and W_ih (ONNX's W); rnn_layer takes the input projection xg, so W is an
    identity and b_ih is already in xg."""
    op_type, k, order = _GATES[n.op]
    if n.op == "lstm_layer":
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_sizes, reverse = n.args
        if w_hr is not None:
            raise UnsupportedOperatorError(no_mapping_message("lstm_layer with proj_size",
                                                              b.opset))
        states = [_state(b, h0), _state(b, c0)]
    elif n.op == "gru_layer":
        x, h0, w_ih, w_hh, b_ih, b_hh, batch_sizes, reverse = n.args
        states = [_state(b, h0)]
    else:
        x, h0, w_hh, b_hh, batch_sizes, reverse = n.args[:6]
        w_ih = b_ih = None
        states = [_state(b, h0)]
    if len(set(batch_sizes)) > 1:
        raise UnsupportedOperatorError(no_mapping_message(f"{n.op} on a packed sequence",
                                                          b.opset))
    H = w_hh.shape[0] // k
    dt = np.dtype(x.dtype)
    rows = np.concatenate([np.arange(g * H, (g + 1) * H) for g in order]).astype(np.int64)

    def gathered(v):            # a weight or bias with its gates in ONNX's order
        return b.op("Gather", [b.name(v), b.const(rows)], axis=0)
    if w_ih is not None:
        W = b.op("Unsqueeze", [gathered(w_ih), b.ints([0])])
    else:
        W = b.const(np.eye(k * H, dtype=dt)[rows][None], "gate_order")    # (1, kH, kH)
    R = b.op("Unsqueeze", [gathered(w_hh), b.ints([0])])
    wb = gathered(b_ih) if isinstance(b_ih, Value) else b.const(np.zeros(k * H, dt))
    rb = gathered(b_hh) if isinstance(b_hh, Value) else b.const(np.zeros(k * H, dt))
    B = b.op("Unsqueeze", [b.op("Concat", [wb, rb], axis=0), b.ints([0])])
    X = b.op("Reshape", [b.name(x), b.ints([len(batch_sizes), -1, x.shape[-1]])])
    attrs = {"hidden_size": H, "direction": "reverse" if reverse else "forward"}
    if n.op == "gru_layer":
        attrs["linear_before_reset"] = 1
    if n.op == "rnn_layer":
        attrs["activations"] = ["Relu" if n.args[6] else "Tanh"]
    ins = [X, W, R, B, ""] + states
    while ins and ins[-1] == "":
        ins.pop()
    outs = b.op(op_type, ins, n_out=3 if n.op == "lstm_layer" else 2, **attrs)
    y = b.op("Reshape", [b.op("Squeeze", [outs[0], b.ints([1])]), b.ints([-1, H])])
    return [y] + [b.op("Squeeze", [o, b.ints([0])]) for o in outs[1:]]


# ---- attention --------------------------------------------------------------------------------

@register("_attention")
def _attention(b, n):
    """softmax(q k^T * scale + mask) v (dropout off: export in eval mode)."""
    q, k, v, mask, scale = n.args[:5]
    dt = np.dtype(q.dtype)
    perm = list(range(len(k.shape)))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    s = b.op("MatMul", [b.name(q), b.op("Transpose", [b.name(k)], perm=perm)])
    s = b.op("Mul", [s, scalar(b, scale, dt)])
    if isinstance(mask, Value):
        s = b.op("Add", [s, inp(b, n, 3, dt)])
    p = b.op("Softmax", [s], axis=-1)
    y = b.op("MatMul", [p, b.name(v)])
    return [y, p] if len(n.outputs) > 1 else y
