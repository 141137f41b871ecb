"""Colour transforms of torchvision's functional API: adjust_brightness/contrast/saturation/hue,
rgb_to_grayscale. Tensors go to the kernels of _functional_tensor.py (blend, grayscale, the HSV
round trip), PIL images to _functional_pil.py. functional.py re-exports all of these.
"""
from ...backend import xp as _xp
from ...tensor import _make
from . import _functional_tensor as F_t
from ._functional_base import _check_channels, _check_image, _pil, get_dimensions

__all__ = ["adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "rgb_to_grayscale", "to_grayscale"]


def _is_color_tensor(img):
    """True for a tensor with 1 or 3 channels (TypeError for others), False for PIL."""
    if _check_image(img):
        _check_channels(img, [1, 3])
        return True
    return False


def adjust_brightness(img, brightness_factor):
    """Blend with black: factor 0 gives black, 1 the original, 2 twice as bright (clamped)."""
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    if _is_color_tensor(img):
        return _make(F_t.blend(img._data, _xp.zeros_like(img._data), brightness_factor))
    return _pil().adjust_brightness(img, brightness_factor)


def adjust_contrast(img, contrast_factor):
    """Blend with the mean gray level of the image: 0 gives a flat gray image."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    if _is_color_tensor(img):
        return _make(F_t.adjust_contrast(img._data, contrast_factor))
    return _pil().adjust_contrast(img, contrast_factor)


def adjust_saturation(img, saturation_factor):
    """Blend with the grayscale image: 0 gives gray, 1 the original (1-channel: unchanged)."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    if _is_color_tensor(img):
        if get_dimensions(img)[0] == 1:  # torch: matches PIL, which leaves L images alone
            return img
        gray = F_t.rgb_to_grayscale(img._data)
        return _make(F_t.blend(img._data, gray, saturation_factor))
    return _pil().adjust_saturation(img, saturation_factor)


def adjust_hue(img, hue_factor):
    """Rotate the hue by hue_factor (in [-0.5, 0.5]) of a full turn, in HSV."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _is_color_tensor(img):
        if get_dimensions(img)[0] == 1:
            return img
        return _make(F_t.adjust_hue(img._data, hue_factor))
    return _pil().adjust_hue(img, hue_factor)


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma in 1 (or 3 equal) channels. Tensors: 0.2989 R + 0.587 G + 0.114 B (torchvision's
    coefficients); PIL: Pillow's convert("L"), 0.299 / 0.587 / 0.114 in fixed point."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if not _check_image(img):
        return _pil().to_grayscale(img, num_output_channels)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    _check_channels(img, [1, 3])
    return _make(F_t.rgb_to_grayscale(img._data, num_output_channels))


to_grayscale = rgb_to_grayscale
