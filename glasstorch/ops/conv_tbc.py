"""conv_tbc: a 1-D convolution over (time, batch, channels) sequences (fairseq's layout), and
the small nn.functional names that sit beside the convolutions.

conv_tbc(x, W, b, pad)[t, n, o] = b[o] + sum_{j, c} x_pad[t + j, n, c] * W[j, c, o]
is conv1d on the permuted views (N, C, T) and (O, C, k): its gradients come from conv1d's ops.
"""
from .conv import conv1d

__all__ = []


def conv_tbc(input, weight, bias, pad=0):
    """1-D convolution of input (T, B, C_in) with weight (k, C_in, C_out) and bias (C_out,),
    `pad` zeros before and after the time axis (negative: crops). Returns
    (T + 2*pad - k + 1, B, C_out)."""
    if bias is None:
        raise TypeError("conv_tbc(): argument 'bias' (position 3) must be Tensor, not NoneType")
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if bias.shape[0] != weight.shape[2]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    T, k = input.shape[0], weight.shape[0]
    steps = T + 2 * pad - k + 1
    if steps < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {steps}: "
                           f"[{steps}, {input.shape[1]}, {weight.shape[2]}]")
    if steps == 0:                     # no output step: an empty (0, B, C_out) result
        return input[:0, :, :1] * weight[0, 0] + bias
    if pad < 0:                        # negative padding crops the sequence
        input, pad = input[-pad:T + pad], 0
    y = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return y.permute(2, 0, 1).contiguous()
