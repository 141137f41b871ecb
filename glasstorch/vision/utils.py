"""torchvision.utils: make_grid (a batch of images tiled into one) and save_image (to a file).

Same layout and arithmetic as torchvision: images are placed row by row, `nrow` per row,
separated by `padding` pixels of `pad_value`; one-channel images are repeated to 3 channels;
`normalize=True` maps `value_range` (default: the min and max) to [0, 1]. save_image writes the
grid through Pillow after `mul(255).add_(0.5).clamp_(0, 255)` to uint8, exactly as torchvision.
"""
import math

from ..backend import xp as _xp
from ..tensor import Tensor, _make

__all__ = ["make_grid", "save_image"]


def _as_array(tensor):
    if isinstance(tensor, (list, tuple)):
        if not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError("make_grid: expected a tensor or a list of tensors, got "
                            f"{[type(t).__name__ for t in tensor]}")
        return _xp.stack([t.detach().numpy() for t in tensor])
    if not isinstance(tensor, Tensor):
        raise TypeError(f"make_grid: tensor or list of tensors expected, got {type(tensor)}")
    return tensor.detach().numpy()


def _normalize(a, value_range):
    low, high = value_range if value_range is not None else (a.min(), a.max())
    a = _xp.clip(a, low, high)
    return (a - low) / max(high - low, 1e-5)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """A (C, H', W') image tiling a batch (B, C, H, W) (or a list of (C, H, W)) in a grid."""
    a = _xp.array(_as_array(tensor))      # a copy: normalizing never touches the input
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 3:
        if a.shape[0] == 1:
            a = _xp.concatenate([a, a, a], 0)
        a = a[None]
    if a.ndim != 4:
        raise ValueError(f"make_grid: expected a 2-, 3- or 4-D tensor, got shape {a.shape}")
    if a.shape[1] == 1:
        a = _xp.concatenate([a, a, a], 1)
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                        "are numbers")
    if normalize:
        if scale_each:
            a = _xp.stack([_normalize(img, value_range) for img in a]).astype(a.dtype)
        else:
            a = _normalize(a, value_range).astype(a.dtype)
    if a.shape[0] == 1:
        return _make(a[0])
    nmaps = a.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(nmaps / xmaps))
    height, width = a.shape[2] + padding, a.shape[3] + padding
    grid = _xp.full((a.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value,
                    dtype=a.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:(y + 1) * height,
             x * width + padding:(x + 1) * width] = a[k]
    return _make(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Write make_grid(tensor, **kwargs) to `fp` (a path or file object) as an image file."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("save_image needs Pillow: pip install glasstorch[vision]") from None
    grid = make_grid(tensor, **kwargs).numpy()
    arr = _xp.clip(grid * 255 + 0.5, 0, 255).transpose(1, 2, 0).astype(_xp.uint8)
    Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr).save(fp, format=format)
