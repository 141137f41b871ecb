"""Memory formats: how the elements of a 4-D (5-D) tensor are laid out in memory.

    contiguous_format   row-major over (N, C, H, W): the default
    channels_last       the shape stays (N, C, H, W) but memory is (N, H, W, C): the C values
                        of one pixel are adjacent (strides (HWC, 1, WC, C)); torch's NHWC
    channels_last_3d    the same for (N, C, D, H, W)
    preserve_format     (clone, to, *_like) keep the input's format

A channels-last tensor is an ordinary NumPy array with permuted strides (a transposed view of
NHWC storage), so every op accepts it; the convolution, pooling and BatchNorm kernels run on
that layout directly and return it (ops/layout.py, ops/conv_kernels_nhwc.py).
"""

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d",
           "preserve_format"]


class memory_format:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return self.name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
