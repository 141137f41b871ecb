"""torchvision.io image reading: `read_image(path, mode)` -> uint8 tensor (C, H, W).

Decoding goes through Pillow (PNG, JPEG, GIF, BMP, TIFF...); `mode` converts as torchvision's
ImageReadMode does: UNCHANGED keeps the file's channels, GRAY 1, GRAY_ALPHA 2, RGB 3, RGB_ALPHA 4.
"""
import enum

from ..backend import xp as _xp
from ..tensor import _make

__all__ = ["ImageReadMode", "read_image", "decode_image", "read_file"]


class ImageReadMode(enum.Enum):
    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
             ImageReadMode.RGB_ALPHA: "RGBA"}


def _decode(source, mode):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("reading images needs Pillow: pip install glasstorch[vision]") from None
    if isinstance(mode, str):
        mode = ImageReadMode[mode.upper()]
    with Image.open(source) as img:
        if mode != ImageReadMode.UNCHANGED:
            img = img.convert(_PIL_MODE[mode])
        elif img.mode not in ("L", "LA", "RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        a = _xp.asarray(img, dtype=_xp.uint8)
    a = a[:, :, None] if a.ndim == 2 else a
    return _make(_xp.ascontiguousarray(a.transpose(2, 0, 1)))


def read_file(path):
    """The file's bytes as a 1-D uint8 tensor."""
    with open(path, "rb") as f:
        return _make(_xp.frombuffer(f.read(), dtype=_xp.uint8).copy())


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode an encoded image (a 1-D uint8 tensor of file bytes, or a path) to (C, H, W)."""
    import io
    if isinstance(input, str) or hasattr(input, "__fspath__"):
        return _decode(input, mode)
    return _decode(io.BytesIO(input.numpy().tobytes()), mode)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Read a PNG/JPEG/... file into a uint8 tensor (C, H, W) with values 0..255."""
    return _decode(path, mode)
