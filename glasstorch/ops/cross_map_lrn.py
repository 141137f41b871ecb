"""cross_map_lrn2d: the legacy (Lua Torch) local response normalization across channels behind
nn.CrossMapLRN2d, with torch's exact windows. For input x (N, C, H, W):

    scale_c = k + alpha / size * sum_{j in W(c)} x_j^2,     y_c = x_c * scale_c^-beta

Torch builds scale with a running sum: channel 0 sums channels [0, pre_pad) with
pre_pad = (size - 1) // 2 + 1, then each channel adds the next one and drops channel c - pre_pad
only when c > pre_pad, so channel 0 stays in every window from c = pre_pad on. The backward is
torch's, the gradient of the textbook window [c - ipp, c + size - 1 - ipp],
ipp = int(size - (size - 1) / 2):

    gx_c = gy_c scale_c^-beta - 2 alpha beta / size * x_c * sum_{j in B(c)} gy_j y_j / scale_j

Both windows are cumulative sums along the channels here, so nothing loops over channels.
"""
from ..autograd.node import Op
from ..tensor import _make

__all__ = []


def _prefix(xp, a, pad_front=0, pad_back=0):
    """Cumulative sums along axis 1 with a leading 0: P[m] = sum of a[:, :m] (after padding)."""
    shape = list(a.shape)
    shape[1] += pad_front + pad_back + 1
    p = xp.zeros(shape, dtype=a.dtype)
    xp.cumsum(a, axis=1, out=p[:, 1 + pad_front:shape[1] - pad_back])
    if pad_back:
        p[:, shape[1] - pad_back:] = p[:, shape[1] - pad_back - 1:shape[1] - pad_back]
    return p


class CrossMapLrn2d(Op, name="cross_map_lrn2d"):

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        xp = ctx.xp
        channels = x.shape[1]
        pre_pad = int((size - 1) / 2 + 1)
        p = _prefix(xp, x * x)
        c = xp.arange(channels)
        window = p[:, xp.minimum(c + pre_pad, channels)]
        drop = c > pre_pad  # torch's running sum drops channels 1 .. c - pre_pad only
        window[:, drop] -= p[:, c[drop] - pre_pad + 1] - p[:, 1:2]
        scale = window * (alpha / size) + k
        y = x * scale ** -beta
        if ctx.needs_input_grad[0]:
            ctx.save(x=x, y=y, scale=scale)
            ctx.size, ctx.alpha, ctx.beta = size, alpha, beta
        return y

    @staticmethod
    def backward(ctx, gy):
        xp, x, y, scale, size = ctx.xp, ctx.x, ctx.y, ctx.scale, ctx.size
        g = gy._data
        ipp = int(size - (size - 1) / 2)
        ratio = g * y / scale
        # padded[p] = ratio[p - ipp] on a (C + size - 1)-long channel axis, zeros elsewhere
        channels = x.shape[1]
        padded = xp.zeros((x.shape[0], channels + size - 1) + x.shape[2:], dtype=x.dtype)
        padded[:, ipp:ipp + channels] = ratio  # ipp <= size - 1: ratio fits
        q = _prefix(xp, padded)
        c = xp.arange(channels)
        accum = q[:, c + size] - q[:, c]
        gx = g * scale ** -ctx.beta - (2 * ctx.alpha * ctx.beta / size) * x * accum
        return _make(gx), None, None, None, None


def cross_map_lrn2d(input, size, alpha=1e-4, beta=0.75, k=1):
    """nn.CrossMapLRN2d's computation on a 4-D input (see the module docstring)."""
    if input.dim() != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead "
                         f"(cross_map_lrn2d: input shape {list(input.shape)}).")
    if input.shape[1] == 0:     # torch's legacy code selects channel 0 first
        raise IndexError(f"select(): index 0 out of range for tensor of size "
                         f"{list(input.shape)} at dimension 1 (CrossMapLRN2d: no channels)")
    return CrossMapLrn2d.apply(input, size, alpha, beta, k)
