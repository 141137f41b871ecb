"""Convolutions: conv1d/2d, conv_transpose1d/2d, unfold (im2col) and fold (col2im).

Three ops close under differentiation, so every backward is itself differentiable:

    Convolution    y = W * x + b (cross-correlation) or its transpose (transposed=True)
    ConvWeight     the weight gradient gW = gy (x) x: the outer product of gy with x's windows

conv:  gx = conv_transpose(gy, W),  gW = ConvWeight(gy, x),  gb = sum(gy)
conv_transpose:  gx = conv(gy, W),  gW = ConvWeight(x, gy)
ConvWeight(a, b):  ga = conv(b, gW),  gb = conv_transpose(a, gW)

Each is one GEMM on im2col columns (backend/cpu_kernels.py; batched over groups), built for
one chunk of the batch at a time (conv_kernels.py: the array kernels, with the 1x1, flipped-
kernel and two-thread special cases). The weight gradient rebuilds forward's columns
rather than keeping them: they are k1*k2 times the input (25x for a 5x5 kernel), and keeping
them made a LeNet training step hold ~2x torch's memory (benchmarks/bench_lenet.py). A geometry
is a tuple of (kernel, stride, dilation, padding_before) per spatial dim; output sizes are
passed explicitly, so asymmetric ('same') padding and output_padding need no special case.
"""
from .. import _dtype
from ..autograd.grad_mode import STATE
from ..autograd import node as _node
from ..autograd.node import Op
from ..backend import xp as _xp, cpu_kernels as _k
from . import conv_kernels as _ck, conv_kernels_nhwc as _nhwc, conv_kernels_t as _ckt
from . import conv_regions as _regions
from ..tensor import _make

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def _prod(xs):
    p = 1
    for v in xs:
        p *= v
    return p


def _add_bias(y, b):
    if b is not None:
        y += b.reshape((-1,) + (1,) * (y.ndim - 2))
    return y


class Convolution(Op, name="convolution"):
    """y = W * x + b;  gx = W^T * gy (the transposed conv),  gW = gy (x) x,  gb = sum(gy).
    transposed=True swaps the roles: y = W^T * x + b,  gx = W * gy,  gW = x (x) gy.
    cl: the channels-last kernels (conv_kernels_nhwc.py; None: decided by x's and w's
    strides), whose results are channels-last; groups > 1, empty inputs and few channels
    (conv_kernels_nhwc.takes) compute on the NCHW kernels and are laid out channels-last after."""

    @staticmethod
    def forward(ctx, x, w, b, geometry, groups, transposed, out, cl=None):
        need = ctx.needs_input_grad
        cl = _nhwc.use_channels_last(x, w) if cl is None else cl
        ctx.geometry, ctx.groups, ctx.transposed, ctx.cl = geometry, groups, transposed, cl
        ctx.bias_dims = tuple(range(1, x.ndim - 1))     # after the sum over the batch
        if need[0] or need[1]:
            ctx.save_inputs(0, 1)
        if cl and _nhwc.takes(x, w, w.shape[:2] if transposed else None, geometry, groups):
            kernel = _nhwc.conv_t_forward if transposed else _nhwc.conv_forward
            return _add_bias(kernel(x, w, geometry, out), b)
        if transposed:
            y = _ckt.conv_t_forward(x, w, geometry, groups, out)
        else:
            y = _ck.conv_forward(x, w, geometry, groups, out, b)
            b = None                                  # (added by conv_forward)
        return _add_bias(_nhwc.to_channels_last(y) if cl else y, b)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        geo, G, size, cl = ctx.geometry, ctx.groups, tuple(x.shape[2:]), ctx.cl
        gx = gw = gb = None
        # their pool regions as one (conv_regions.joined): not while recording a graph (an
        # op could read gx before the region ran), nor channels-last (copies after regions)
        join = need[1] and (need[0] or need[2]) and not cl and not STATE.enabled \
            and not _node._OBSERVERS
        with _regions.joined(join):
            if need[0]:
                gx = Convolution.apply(gy, w, None, geo, G, not ctx.transposed, size, cl)
            if need[1]:
                wcl = cl and _nhwc.channels_last_like(w._data)
                if ctx.transposed:
                    gw = ConvWeight.apply(x, gy, geo, G, cl, wcl)
                else:
                    gw = ConvWeight.apply(gy, x, geo, G, cl, wcl)
            summed = _regions.batch_sum(gy._data) if need[2] and join else None
        if summed is not None:          # gy.sum(0) of the line below, from the region
            gb = _make(summed.sum(ctx.bias_dims, dtype=summed.dtype) if ctx.bias_dims
                       else summed)
        elif need[2]:
            # the batch first (contiguous rows): LeNet's 128x6x28x28 0.13 -> 0.07 ms
            gb = gy.sum(0).sum(ctx.bias_dims) if ctx.bias_dims else gy.sum(0)
        return gx, gw, gb, None, None, None, None, None


class ConvWeight(Op, name="convolution_backward_weight"):
    """gW[a, b, j] = sum_{n, o} a[n, a, o] * b_pad[n, b, o*s + j*d] (per group);
    d/da = conv(b, ggW),  d/db = conv_transpose(a, ggW). cl: the channels-last kernels;
    wcl: the result laid out channels-last (as the weight it is the gradient of)."""

    @staticmethod
    def forward(ctx, a, b, geometry, groups, cl=False, wcl=False):
        ctx.geometry, ctx.groups, ctx.cl = geometry, groups, cl
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_inputs(0, 1)
        if cl and _nhwc.takes(a, b, None, geometry, groups):
            return _nhwc.weight_grad(a, b, geometry, wcl)
        gw = _ck.weight_grad(a, b, geometry, groups)
        return _nhwc.to_channels_last(gw) if wcl else gw

    @staticmethod
    def backward(ctx, ggw):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        geo, G, cl = ctx.geometry, ctx.groups, ctx.cl
        ga = Convolution.apply(b, ggw, None, geo, G, False, tuple(a.shape[2:]), cl) \
            if need[0] else None
        gb = Convolution.apply(a, ggw, None, geo, G, True, tuple(b.shape[2:]), cl) \
            if need[1] else None
        return ga, gb, None, None, None, None


class Im2Col(Op, name="im2col"):
    """y[n, (c, j), o] = x_pad[n, c, o*s + j*d];  gx = fold(gy) (col2im, overlaps summed)."""

    @staticmethod
    def forward(ctx, x, geometry, out):
        ctx.geometry, ctx.size = geometry, x.shape[2:]
        cols = _k.im2col(x, geometry, out)                  # (C, *k, *out, N)
        cols = cols.reshape(-1, _prod(out), x.shape[0]).transpose(2, 0, 1)
        return _xp.ascontiguousarray(cols)

    @staticmethod
    def backward(ctx, gy):
        return Col2Im.apply(gy, ctx.geometry, ctx.size), None, None


class Col2Im(Op, name="col2im"):
    """y = sum of the columns x[n, (c, j), o] at x_pad positions o*s + j*d;  gx = unfold(gy)."""

    @staticmethod
    def forward(ctx, x, geometry, size):
        kshape = tuple(g[0] for g in geometry)
        N, CK = x.shape[:2]
        ctx.geometry = geometry
        out = tuple(_blocks(sz, g) for sz, g in zip(size, geometry))
        ctx.out = out
        cols = x.transpose(1, 2, 0).reshape((CK // _prod(kshape),) + kshape + out + (N,))
        return _k.col2im(cols, geometry, size)

    @staticmethod
    def backward(ctx, gy):
        return Im2Col.apply(gy, ctx.geometry, ctx.out), None, None


def _blocks(size, g):
    """Number of window positions along one dim of length `size` (padding on both sides)."""
    k, s, d, p = g
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


# ---- argument handling, shared with pool.py ------------------------------------------------

def ntuple(value, n, name, fn=None):
    """An int or a sequence of n ints as an n-tuple; torch's error otherwise."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={list(value)}")
    return value


def _check_conv_input(input, weight, bias, nd, name, groups, transposed):
    x = input._data
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(x.shape)}")
    w = weight._data
    if w.ndim != nd + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of "
                           f"{w.ndim - 2} values to match the convolution dimensions, but got "
                           f"stride={[1] * nd}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    shape = list(x.shape) if x.ndim == nd + 2 else [1] + list(x.shape)
    # an empty batch or no input channels never reaches a kernel in torch (its "Empty"
    # backend, _empty_conv below): no kernel dtype checks then
    empty = shape[0] == 0 or shape[1] == 0
    if transposed and not empty and x.dtype.kind != "f" and x.dtype != _xp.int64:
        # torch's transposed kernels have float and int64 loops only, checked on the input first
        raise NotImplementedError(f'"slow_conv_transpose{max(nd, 2)}d_out_cpu" not implemented '
                                  f"for '{_dtype.type_word(x.dtype)}'")
    if x.dtype != w.dtype and not empty:
        raise RuntimeError(f"Input type ({_tname(x)}) and weight type ({_tname(w)}) should be "
                           "the same or input should be a MKLDNN tensor and weight is a dense "
                           "tensor")
    if bias is not None and bias._data.dtype != x.dtype and not (empty and transposed):
        raise RuntimeError(f"Input type ({x.dtype.name.replace('float32', 'float')}) and bias "
                           f"type ({bias._data.dtype.name.replace('float64', 'double')}) "
                           "should be the same")
    if w.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {list(w.shape)} instead")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size [{list(w.shape)}] "
                           "instead")
    in_ch = w.shape[0] if transposed else w.shape[1] * groups
    if shape[1] != in_ch:
        given = f"transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {given}, weight of size {list(w.shape)}, expected "
                           f"input{shape} to have {in_ch} channels, but got {shape[1]} "
                           "channels instead")
    out_ch = w.shape[1] * groups if transposed else w.shape[0]
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != out_ch):
        given = "transposed=1, " if transposed else ""
        raise RuntimeError(f"Given {given}weight of size {list(w.shape)}, expected bias to be "
                           f"1-dimensional with {out_ch} elements, but got bias of size "
                           f"{list(bias._data.shape)} instead")
    if 0 in w.shape[2:] and x.size:
        raise RuntimeError(f"{name}: kernel size should be greater than zero, but got "
                           f"{list(w.shape[2:])} (weight of size {list(w.shape)})")
    if x.dtype.kind == "b" and not empty:       # torch's CPU convolution has no bool loop
        kernel = "compute_columns3d" if nd == 3 else "slow_conv2d_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _empty_conv(x, weight, bias, out_channels, out):
    """torch's convolution of an empty batch or of zero input channels: no kernel runs, the
    output (N, out_channels, *out) is input * weight.flatten()[0] (no channels: input *
    weight, both empty), so its dtype promotes like that product, an empty weight raises
    select()'s IndexError, and weight and bias get zero gradients."""
    n, c = x.shape[:2]
    if c == 0:      # torch's output has 0 channels then, whatever the weight's count
        y, out_channels = x.reshape(-1) * weight.reshape(-1), 0
    else:
        y = x * weight.reshape(-1).select(0, 0)
    if bias is not None:
        y = y + bias.select(0, 0)
    shape = (n, out_channels) + tuple(out)
    if min(shape) < 0:
        raise RuntimeError(f"invalid shape dimension {min(shape)} of shape {list(shape)}: a "
                           "convolution's output size is negative")
    return y.reshape(shape)


def _only_empty_batch(x, nd):
    """torch runs a kernel on every input except an empty batch or zero channels."""
    if x._data.size == 0:
        shape = list(x._data.shape)
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got "
                           f"input shape: {shape[:2] + [1] + shape[2:] if nd == 1 else shape}")


def _tname(a):
    d = _dtype._FROM_NP.get(a.dtype)
    return d.tensor_type if d is not None else a.dtype.name


def _positive(values, what, input=None):
    """A dilation of 0 is only refused by torch's kernels: fine on an empty batch."""
    empty = input is not None and 0 in (input._data.shape[:2] if input.dim() > len(values)
                                        else (1,) + input._data.shape[:1])
    if any(v < 0 or v == 0 and not empty for v in values):
        raise RuntimeError(f"non-positive {what} is not supported")


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd, name):
    _check_conv_input(input, weight, bias, nd, name, groups, False)
    stride = ntuple(stride, nd, "stride")
    dilation = ntuple(dilation, nd, "dilation")
    _positive(stride, "stride")
    _positive(dilation, "dilation", input)
    kshape = weight._data.shape[2:]
    batched = input._data.ndim == nd + 2
    x = input if batched else input.unsqueeze(0)
    size = x._data.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            before = (0,) * nd
            out = tuple(_blocks(sz, (k, s, d, 0)) for sz, k, s, d in
                        zip(size, kshape, stride, dilation))
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            # torch: total padding d*(k-1), the odd one extra at the end
            before = tuple(d * (k - 1) // 2 for k, d in zip(kshape, dilation))
            out = tuple(size)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        before = ntuple(padding, nd, "padding")
        if any(p < 0 for p in before):
            raise RuntimeError("negative padding is not supported")
        padded = tuple(sz + 2 * p for sz, p in zip(size, before))
        eff = tuple(d * (k - 1) + 1 for k, d in zip(kshape, dilation))
        if any(e > p for e, p in zip(eff, padded)):
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater "
                "than actual input size")
        out = tuple(_blocks(sz, (k, s, d, p)) for sz, k, s, d, p in
                    zip(size, kshape, stride, dilation, before))
    geometry = tuple(zip(kshape, stride, dilation, before))
    if 0 in x._data.shape[:2]:
        y = _empty_conv(x, weight, bias, weight._data.shape[0], out)
    else:
        _only_empty_batch(x, nd)
        y = Convolution.apply(x, weight, bias, geometry, groups, False, out)
    return y if batched else y.squeeze(0)


def _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation,
                       nd, name):
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    _check_conv_input(input, weight, bias, nd, name, groups, True)
    stride = ntuple(stride, nd, "stride")
    dilation = ntuple(dilation, nd, "dilation")
    padding = ntuple(padding, nd, "padding")
    output_padding = ntuple(output_padding, nd, "output_padding")
    _positive(stride, "stride")
    _positive(dilation, "dilation", input)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        words = ("height", "width") if nd == 2 else ("",)
        parts = [f"{kind}{'_' + w if w else ''}: {v}" for kind, vals in
                 (("output_padding", output_padding), ("stride", stride),
                  ("dilation", dilation)) for w, v in zip(words, vals)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, "
                           f"but got {' '.join(parts)}")
    kshape = weight._data.shape[2:]
    batched = input._data.ndim == nd + 2
    x = input if batched else input.unsqueeze(0)
    size = x._data.shape[2:]
    out = tuple((sz - 1) * s - 2 * p + d * (k - 1) + 1 + op for sz, s, p, d, k, op in
                zip(size, stride, padding, dilation, kshape, output_padding))
    geometry = tuple(zip(kshape, stride, dilation, padding))
    if 0 in x._data.shape[:2]:
        y = _empty_conv(x, weight, bias, weight._data.shape[1] * groups, out)
        return y if batched else y.squeeze(0)
    _only_empty_batch(x, nd)
    if weight._data.size == 0:
        raise RuntimeError(f"{name}: non-empty weight expected, but got weight of size "
                           f"{list(weight._data.shape)}")
    # an output size of 0 passes torch's float32 (oneDNN) kernel, not its others
    if any(o < 0 or o == 0 and x._data.dtype != _xp.float32 for o in out):
        raise RuntimeError(f"Given input size per channel: {tuple(size)}. Calculated output "
                           f"size per channel: {out}. Output size is too small")
    y = Convolution.apply(x, weight, bias, geometry, groups, True, out)
    return y if batched else y.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation: input (N, C_in, L) or (C_in, L), weight (C_out, C_in/groups, k),
    bias (C_out,); padding an int, a 1-tuple, 'valid' or 'same'. Returns (N, C_out, L_out)."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation: input (N, C_in, H, W) or (C_in, H, W), weight
    (C_out, C_in/groups, kH, kW), bias (C_out,). Returns (N, C_out, H_out, W_out).

    >>> import glasstorch as torch
    >>> torch.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2)).tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of conv1d (a "deconvolution"): weight (C_in, C_out/groups, k);
    L_out = (L - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 1, "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of conv2d: weight (C_in, C_out/groups, kH, kW); per spatial dim
    out = (in - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 2, "conv_transpose2d")
