"""Kernels for PIL images (Pillow is imported here only, when a PIL image shows up).

Resampling, rotation, affine warps and colour enhancement call Pillow, as torchvision's
_functional_pil.py does, so results match torchvision on PIL input; padding goes through the
array kernel of _functional_tensor.py (same NumPy modes torchvision uses).
"""
from PIL import Image, ImageEnhance

from ...backend import xp as _xp
from . import _functional_tensor as F_t

_MODE_DTYPES = {"I": _xp.int32, "I;16": _xp.int16, "F": _xp.float32}


def to_array(img):
    """HWC array of img as ToTensor reads it ('1' -> 0/255 uint8, I -> int32, F -> float32)."""
    arr = _xp.array(img, dtype=_MODE_DTYPES.get(img.mode, _xp.uint8), copy=True)
    if img.mode == "1":
        arr = arr * _xp.uint8(255)
    return arr.reshape(img.height, img.width, len(img.getbands()))


def from_array(arr, mode=None):
    """A PIL image from an HWC or HW array; `mode` reinterprets the bytes (e.g. 'YCbCr')."""
    img = Image.fromarray(arr)
    if mode is not None and img.mode != mode:
        img = Image.frombytes(mode, (arr.shape[1], arr.shape[0]), arr.tobytes())
    return img


def parse_fill(fill, img, name="fillcolor"):
    """torchvision's _parse_fill: the fill as Pillow wants it (int, or a tuple per band)."""
    bands = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and bands > 1:
        fill = tuple([fill] * bands)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * bands
        elif len(fill) != bands:
            raise ValueError("The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {bands})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(v) for v in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, left, top, right, bottom, fill, mode):
    arr = _xp.asarray(img)
    if mode == "constant":
        fill = parse_fill(fill, img, "fill")["fill"]
    hwc = arr.ndim == 3
    out = F_t.pad(arr.transpose(2, 0, 1) if hwc else arr, left, top, right, bottom, fill, mode)
    out = Image.fromarray(_xp.ascontiguousarray(out.transpose(1, 2, 0) if hwc else out))
    if img.mode == "P":  # the array held palette indices
        out.putpalette(img.getpalette())
    return out


def hflip(img):
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def resize(img, size, resample):
    return img.resize((size[1], size[0]), resample)


def rotate(img, angle, resample, expand, center, fill):
    return img.rotate(angle, resample, expand, center, **parse_fill(fill, img))


def affine(img, matrix, resample, fill):
    return img.transform(img.size, Image.Transform.AFFINE, matrix, resample,
                         **parse_fill(fill, img))


def adjust_brightness(img, factor):
    return ImageEnhance.Brightness(img).enhance(factor)


def adjust_contrast(img, factor):
    return ImageEnhance.Contrast(img).enhance(factor)


def adjust_saturation(img, factor):
    return ImageEnhance.Color(img).enhance(factor)


def adjust_hue(img, factor):
    """Shift Pillow's 8-bit hue channel by factor * 255 (wrapping around), as torchvision."""
    if img.mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = _xp.array(h, dtype=_xp.uint8)
    np_h += _xp.array(int(factor * 255)).astype(_xp.uint8)  # uint8 arithmetic wraps
    return Image.merge("HSV", (Image.fromarray(np_h, "L"), s, v)).convert(img.mode)


def to_grayscale(img, num_output_channels):
    """Pillow's L = R * 299/1000 + G * 587/1000 + B * 114/1000 (ITU-R 601-2 luma)."""
    gray = img.convert("L")
    if num_output_channels == 1:
        return gray
    return Image.fromarray(_xp.ascontiguousarray(_xp.stack([_xp.asarray(gray)] * 3, axis=-1)))
