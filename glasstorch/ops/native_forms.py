"""torch's `native_*` forms of normalization and dropout (which also return the statistics or
the mask), batch_norm_update_stats, feature_dropout, torch.convolution / conv_tbc, torch.spmm
and torch.gradient: compositions of the nn.functional ops, so their gradients come from there.

    native_layer_norm(x, shape, w, b, eps)   -> (y, mean, rstd)  statistics keep dims (size 1)
    native_group_norm(x, w, b, N, C, HxW, group, eps) -> (y, mean, rstd), each (N, group)
    native_batch_norm(x, w, b, rm, rv, training, momentum, eps) -> (y, save_mean, save_invstd)
                                             (empty statistics in eval, as torch)
    native_dropout(x, p, train)              -> (y, keep mask)
"""
import builtins

from .. import _dtype

__all__ = ["native_layer_norm", "native_group_norm", "native_batch_norm",
           "batch_norm_update_stats", "native_dropout", "native_channel_shuffle",
           "feature_dropout", "convolution", "conv_tbc", "spmm", "gradient"]


def _t():
    import glasstorch
    return glasstorch


def _F():
    from ..nn import functional
    return functional


def _rstd(var, eps):
    return (var + eps).rsqrt()


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    dims = list(builtins.range(input.ndim - len(normalized_shape), input.ndim))
    y = _F().layer_norm(input, tuple(normalized_shape), weight, bias, eps)
    x = input.detach()
    mean = x.mean(dims, keepdim=True)
    var = x.var(dims, unbiased=False, keepdim=True)
    return y, mean, _rstd(var, eps)


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    y = _F().group_norm(input, group, weight, bias, eps)
    x = input.reshape(N, group, -1)       # (torch's group statistics carry a gradient)
    return y, x.mean(-1), _rstd(x.var(-1, unbiased=False), eps)


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
                      eps):
    dims = [0] + list(builtins.range(2, input.ndim))
    x = input.detach()
    if training:
        mean, var = x.mean(dims), x.var(dims, unbiased=False)
    y = _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                        eps)
    if not training:
        empty = _t().empty(0, dtype=input.dtype)
        return y, empty, empty.clone()
    return y, mean, _rstd(var, eps)


def batch_norm_update_stats(input, running_mean, running_var, momentum):
    """(mean, unbiased var) per channel; running_mean/var move toward them by momentum."""
    dims = [0] + list(builtins.range(2, input.ndim))
    x = input.detach()
    mean, var = x.mean(dims), x.var(dims, unbiased=False)
    n = input.numel() // builtins.max(input.shape[1], 1)
    with _t().no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean * momentum)
        if running_var is not None:
            running_var.mul_(1 - momentum).add_(var * (momentum * n / builtins.max(n - 1, 1)))
    return mean, var


def native_dropout(input, p, train):
    """(output, mask): with train=False (or None) the input (copied) and an all-True mask."""
    if not train or p == 0:
        keep = _t().ones(input.shape, dtype=_dtype.bool)
    elif p == 1:
        keep = _t().zeros(input.shape, dtype=_dtype.bool)
    else:
        keep = _t().rand(input.shape) >= p
    scale = 1.0 if not train or p == 0 else (0.0 if p == 1 else 1 / (1 - p))
    return input * (keep.to(input.dtype) * scale), keep


class _NoDerivative:
    """Wraps a result so that a backward through it raises torch's error (built lazily:
    autograd.function imports the tensor module)."""
    cls = None

    @classmethod
    def apply(cls, y, what):
        if cls.cls is None:
            from ..autograd.function import Function

            class NoDerivative(Function):
                @staticmethod
                def forward(ctx, x, name):
                    ctx.name = name
                    return x.clone()

                @staticmethod
                def backward(ctx, gy):
                    raise RuntimeError(f"derivative for aten::{ctx.name} is not implemented")
            cls.cls = NoDerivative
        return cls.cls.apply(y, what)


def native_channel_shuffle(input, groups):
    """channel_shuffle without a derivative (torch defines none for this form)."""
    return _NoDerivative.apply(_F().channel_shuffle(input, groups), "native_channel_shuffle")


def feature_dropout(input, p, train):
    """Drop whole channels (dim 1) of (N, C, *) with probability p; scale the rest."""
    if not train or p == 0:
        return input * 1
    if input.ndim < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input")
    if p == 1:
        return input * 0
    mask = (_t().rand(input.shape[:2] + (1,) * (input.ndim - 2)) >= p).to(input.dtype)
    return input * mask * (1 / (1 - p))


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """torch.convolution: conv{1,2}d or conv_transpose{1,2}d by the weight's rank."""
    F = _F()
    k = weight.ndim - 2
    if k not in (1, 2):
        raise NotImplementedError(f"convolution: {k}-d convolution is not implemented in "
                                  "glasstorch (1-d and 2-d are)")
    if transposed:
        fn = F.conv_transpose1d if k == 1 else F.conv_transpose2d
        return fn(input, weight, bias, tuple(stride), tuple(padding), tuple(output_padding),
                  groups, tuple(dilation))
    fn = F.conv1d if k == 1 else F.conv2d
    return fn(input, weight, bias, tuple(stride), tuple(padding), tuple(dilation), groups)


def conv_tbc(input, weight, bias, pad=0):
    """Time-batch-channel 1-d convolution: input (T, B, Cin), weight (K, Cin, Cout)."""
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    y = _F().conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return y.permute(2, 0, 1)


def spmm(input, mat2, out_dtype=None):
    """torch.spmm on dense operands: the matrix product (out_dtype as torch.mm's)."""
    return _t().mm(input, mat2, out_dtype)


def _diff_1d(x, dim, h, edge_order):
    """d x / d coordinate along dim; h: a number (uniform) or a 1-D coordinate tensor."""
    n = x.shape[dim]
    if n < edge_order + 1:
        raise RuntimeError("torch.gradient expected each dimension size to be at least "
                           f"edge_order+1")

    def sl(a, b):
        return x.narrow(dim, a, b - a)
    if not hasattr(h, "shape"):                 # uniform spacing
        inner = (sl(2, n) - sl(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (sl(1, 2) - sl(0, 1)) / h
            last = (sl(n - 1, n) - sl(n - 2, n - 1)) / h
        else:
            first = (-1.5 * sl(0, 1) + 2 * sl(1, 2) - 0.5 * sl(2, 3)) / h
            last = (0.5 * sl(n - 3, n - 2) - 2 * sl(n - 2, n - 1) + 1.5 * sl(n - 1, n)) / h
        return _t().cat([first, inner, last], dim)
    shape = [1] * x.ndim
    shape[dim] = -1
    d = (h[1:] - h[:-1]).to(x.dtype)
    hl, hr = d[:-1].reshape(shape), d[1:].reshape(shape)
    inner = (hl * hl * sl(2, n) + (hr * hr - hl * hl) * sl(1, n - 1) - hr * hr * sl(0, n - 2)) \
        / (hl * hr * (hl + hr))
    if edge_order == 1:
        first = (sl(1, 2) - sl(0, 1)) / d[0]
        last = (sl(n - 1, n) - sl(n - 2, n - 1)) / d[-1]
    else:
        a, b = d[0], d[1]
        first = (-(2 * a + b) / (a * (a + b)) * sl(0, 1) + (a + b) / (a * b) * sl(1, 2) -
                 a / (b * (a + b)) * sl(2, 3))
        a, b = d[-2], d[-1]
        last = (b / (a * (a + b)) * sl(n - 3, n - 2) - (a + b) / (a * b) * sl(n - 2, n - 1) +
                (a + 2 * b) / (b * (a + b)) * sl(n - 1, n))
    return _t().cat([first, inner, last], dim)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Central differences inside, one-sided (first or second order) at the edges; spacing is
    a number, one number per dim, or one coordinate tensor per dim (as numpy.gradient)."""
    if edge_order not in (1, 2):
        raise RuntimeError(f"torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = list(builtins.range(input.ndim)) if dim is None else \
        ([dim] if isinstance(dim, int) else list(dim))
    dims = [d % input.ndim for d in dims]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar "
                               f"or a list of length equal to 'self.dim() = {input.ndim}', "
                               f"since dim argument was not given, but got a list of length "
                               f"{len(spacing)}")
        hs = list(spacing)
    else:
        hs = [spacing] * len(dims)
    x = input if input.dtype.is_floating_point else input.to(_dtype.get_default_dtype())
    return tuple(_diff_1d(x, d, h, edge_order) for d, h in zip(dims, hs))
