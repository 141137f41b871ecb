"""The image checks every functional transform starts with (functional.py, _functional_color.py):
PIL image or tensor image, channel counts, and the image's dimensions. Pillow is imported only
when a PIL image is passed (`_pil()`).
"""
import sys

from ...tensor import Tensor

__all__ = ["get_dimensions", "get_image_size", "get_image_num_channels"]


def _is_pil_image(img):
    pil = sys.modules.get("PIL.Image")  # not imported yet: img cannot be a PIL image
    return pil is not None and isinstance(img, pil.Image)


def _pil():
    try:
        from . import _functional_pil
    except ImportError:
        raise ImportError("PIL images need Pillow: pip install 'glasstorch[vision]'") from None
    return _functional_pil


def _check_image(img):
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError("Tensor is not a torch image.")
        return True
    if _is_pil_image(img):
        return False
    raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def _check_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but "
                        f"found {c}")


def get_dimensions(img):
    """[channels, height, width]."""
    if _check_image(img):
        return [1 if img.ndim == 2 else img.shape[-3], img.shape[-2], img.shape[-1]]
    return [len(img.getbands()), img.height, img.width]


def get_image_size(img):
    """[width, height] (torchvision's order)."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]
