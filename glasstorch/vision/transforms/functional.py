"""glasstorch.vision.transforms.functional: torchvision's v1 functional transforms.

Each function takes a PIL image or a tensor image (..., C, H, W) (also (H, W)), checks its
arguments as torchvision does, and dispatches: PIL images to _functional_pil.py (Pillow's own
resampling and enhancers, like torchvision), tensors to the array kernels of
_functional_tensor.py (the formulas of torch's interpolate/grid_sample that torchvision calls).
The colour transforms are in _functional_color.py and the image checks in _functional_base.py,
both re-exported here. The transform classes (transforms.py, geometry.py) draw random parameters
and call these.
Pillow is optional: it is imported only when a PIL image is passed or produced.
"""
import math
import numbers
import warnings
from enum import Enum

from ... import _dtype
from ...backend import xp as _xp
from ...creation import as_tensor
from ...tensor import Tensor, _make
from . import _functional_tensor as F_t
from ._functional_base import (_check_channels, _check_image, _is_pil_image, _pil,  # noqa: F401
                               get_dimensions, get_image_num_channels, get_image_size)
from ._functional_color import (adjust_brightness, adjust_contrast, adjust_hue,  # noqa: F401
                                adjust_saturation, rgb_to_grayscale, to_grayscale)

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
           "to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize",
           "resize", "pad", "crop", "center_crop", "resized_crop", "hflip", "vflip",
           "five_crop", "ten_crop", "rotate", "affine", "adjust_brightness", "adjust_contrast",
           "adjust_saturation", "adjust_hue", "rgb_to_grayscale", "to_grayscale", "erase"]


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_FILTER = {"nearest": 0, "nearest-exact": 0, "bilinear": 2, "bicubic": 3, "box": 4,
               "hamming": 5, "lanczos": 1}  # Pillow's Image.Resampling values
_FROM_PIL_INT = {0: "nearest", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming",
                 1: "lanczos"}


def _interpolation(mode):
    """InterpolationMode from the enum, its value ("bilinear") or a Pillow integer constant."""
    if isinstance(mode, int):
        warnings.warn("Argument 'interpolation' of type int is deprecated since 0.13 and will be "
                      "removed in 0.15. Please use InterpolationMode enum.")
        mode = _FROM_PIL_INT[mode]
    if isinstance(mode, str):
        mode = InterpolationMode(mode)
    if not isinstance(mode, InterpolationMode):
        raise TypeError("Argument interpolation should be of type InterpolationMode instead of "
                        f"{type(mode)}")
    return mode


# ---- conversion ----------------------------------------------------------------------------

def to_tensor(pic):
    """PIL image or HWC/HW ndarray -> CHW tensor; uint8 becomes float in [0, 1] (x / 255),
    other dtypes are kept. Tensors are taken as CHW/HW already (uint8 scaled the same way)."""
    if _is_pil_image(pic):
        arr = _pil().to_array(pic).transpose(2, 0, 1)
    elif isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.dtype != _dtype.uint8:  # already an image tensor: keep it (and its graph)
            return pic.unsqueeze(0) if pic.ndim == 2 else pic
        arr = pic._data[None] if pic.ndim == 2 else pic._data
    elif isinstance(pic, _xp.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = (pic[:, :, None] if pic.ndim == 2 else pic).transpose(2, 0, 1)
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if arr.dtype == _xp.uint8:
        ft = _dtype.get_default_dtype().np
        return _make(arr.astype(ft) / ft.type(255))
    return _make(_xp.ascontiguousarray(arr))


def pil_to_tensor(pic):
    """PIL image -> CHW tensor of its own dtype (uint8 stays 0..255)."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = _xp.array(pic, copy=True)
    arr = arr[:, :, None] if arr.ndim == 2 else arr
    return _make(_xp.ascontiguousarray(arr.transpose(2, 0, 1)))


def to_pil_image(pic, mode=None):
    """CHW tensor or HWC ndarray -> PIL image; float data is scaled by 255 and truncated."""
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic._data[None] if pic.ndim == 2 else pic._data
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, _xp.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if arr.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[-1]} channels.")
    if arr.dtype.kind == "f" and mode != "F":
        arr = (arr * 255).astype(_xp.uint8)
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
        expected = {"uint8": "L", "int16": "I;16", "int32": "I", "float32": "F"}.get(
            arr.dtype.name)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {arr.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[
            arr.shape[2]]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {arr.shape[2]}D inputs")
        if mode is None and arr.dtype == _xp.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {arr.dtype} is not supported")
    return _pil().from_array(_xp.ascontiguousarray(arr), mode)


def convert_image_dtype(image, dtype=_dtype.float32):
    """Change dtype and rescale values: floats live in [0, 1], integers in [0, dtype max]."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    return _make(F_t.convert_dtype(image._data, dtype.np))


def normalize(tensor, mean, std, inplace=False):
    """(tensor - mean[c]) / std[c] per channel c of a float (..., C, H, W) tensor."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"Input tensor should be a torch tensor. Got {type(tensor)}.")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}.")
    if not inplace:
        tensor = tensor.clone()
    mean = as_tensor(mean, dtype=tensor.dtype)
    std = as_tensor(std, dtype=tensor.dtype)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         "division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


# ---- geometry ------------------------------------------------------------------------------

def _resized_output_size(h, w, size, max_size):
    """torchvision's _compute_resized_output_size: [h, w] for `size` (an int or [int] = the
    smaller edge, keeping the aspect ratio, the longer one truncated; or [h, w])."""
    if len(size) == 2:
        return [size[0], size[1]]
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size[0], int(size[0] * long / short)
    if max_size is not None:
        if max_size <= size[0]:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return [new_long, new_short] if w <= h else [new_short, new_long]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to size [h, w], or the smaller edge to `size` (an int) keeping the aspect ratio.
    Tensors: nearest, nearest-exact, bilinear, bicubic (antialias when downscaling bilinear or
    bicubic, like PIL; antialias=False is torch's plain interpolate)."""
    interpolation = _interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the "
                             "smaller edge, i.e. size should be an int or a sequence of length 1")
    elif isinstance(size, int):
        size = [size]
    else:
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    _, h, w = get_dimensions(img)
    out = _resized_output_size(h, w, list(size), max_size)
    if [h, w] == out:
        return img
    if not isinstance(img, Tensor):
        return _pil().resize(img, out, _PIL_FILTER[interpolation.value])
    mode = interpolation.value
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    antialias = bool(antialias) and mode in ("bilinear", "bicubic")
    return _make(F_t.resize(img._data, out, mode, antialias))


def _ltrb(padding):
    """[left, top, right, bottom] from an int, [all], [left/right, top/bottom] or 4 values."""
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    if len(padding) == 1:
        return [int(padding[0])] * 4
    if len(padding) == 2:
        return [int(padding[0]), int(padding[1])] * 2
    return [int(p) for p in padding]


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad every border (negative padding crops). padding_mode: constant (with `fill`, a number
    or one value per channel), edge, reflect (no edge repeat) or symmetric (edge repeated)."""
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _ltrb(padding)
    if _check_image(img):
        return _make(F_t.pad(img._data, left, top, right, bottom, 0 if fill is None else fill,
                             padding_mode))
    return _pil().pad(img, left, top, right, bottom, fill, padding_mode)


def crop(img, top, left, height, width):
    """img[..., top:top + height, left:left + width]; parts outside the image are zeros."""
    top, left, height, width = int(top), int(left), int(height), int(width)
    if not _check_image(img):
        return img.crop((left, top, left + width, top + height))
    h, w = img.shape[-2:]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], ltrb, fill=0)
    return img[..., top:bottom, left:right]


def _pair(size, what="size"):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"Please provide only two dimensions (h, w) for {what}.")
    return int(size[0]), int(size[1])


def center_crop(img, output_size):
    """The central output_size (h, w) crop, zero-padded first if the image is smaller."""
    crop_h, crop_w = _pair(output_size)
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        ltrb = [(crop_w - w) // 2 if crop_w > w else 0, (crop_h - h) // 2 if crop_h > h else 0,
                (crop_w - w + 1) // 2 if crop_w > w else 0,
                (crop_h - h + 1) // 2 if crop_h > h else 0]
        img = pad(img, ltrb, fill=0)
        _, h, w = get_dimensions(img)
        if crop_w == w and crop_h == h:
            return img
    return crop(img, int(round((h - crop_h) / 2.0)), int(round((w - crop_w) / 2.0)), crop_h,
                crop_w)


def resized_crop(img, top, left, height, width, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    return resize(crop(img, top, left, height, width), size, interpolation,
                  antialias=antialias)


def hflip(img):
    """Mirror left-right."""
    return img.flip(-1) if _check_image(img) else _pil().hflip(img)


def vflip(img):
    """Mirror top-bottom."""
    return img.flip(-2) if _check_image(img) else _pil().vflip(img)


def five_crop(img, size):
    """(top-left, top-right, bottom-left, bottom-right, center) crops of `size`."""
    crop_h, crop_w = _pair(size)
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        raise ValueError(f"Requested crop size {(crop_h, crop_w)} is bigger than input size "
                         f"{(h, w)}")
    return (crop(img, 0, 0, crop_h, crop_w), crop(img, 0, w - crop_w, crop_h, crop_w),
            crop(img, h - crop_h, 0, crop_h, crop_w),
            crop(img, h - crop_h, w - crop_w, crop_h, crop_w),
            center_crop(img, [crop_h, crop_w]))


def ten_crop(img, size, vertical_flip=False):
    """five_crop of the image, then five_crop of its horizontal (or vertical) flip."""
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)


def _inverse_affine_matrix(center, angle, translate, scale, shear):
    """torchvision's _get_inverse_affine_matrix: the 2x3 map from output to input pixels of
    M = T * C * R * S * Sh * C^-1 (rotation by `angle` degrees, shear in degrees)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # R * Sh without scale; its determinant is 1, so the inverse is the adjugate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [v / scale for v in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def _grid_fill(img, fill):
    """Validated fill for a tensor warp: None or a list of floats (1 or C values)."""
    if fill is None:
        return None
    fill = [float(fill)] if isinstance(fill, numbers.Number) else [float(f) for f in fill]
    c = get_dimensions(img)[0]
    if len(fill) > 1 and len(fill) != c:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number "
                         f"of channels of the image ({len(fill)} != {c})")
    return fill


def _warp(img, matrix, interpolation, fill, out_size=None):
    mode = interpolation.value
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    out_size = out_size or tuple(img.shape[-2:])
    return _make(F_t.affine_grid_sample(img._data, matrix, out_size, mode,
                                        _grid_fill(img, fill)))


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate counter-clockwise by `angle` degrees about `center` (default: the image centre);
    expand=True grows the output to hold the whole rotated image."""
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    interpolation = _interpolation(interpolation)
    if not _check_image(img):
        return _pil().rotate(img, angle, _PIL_FILTER[interpolation.value], expand, center,
                             fill)
    _, h, w = get_dimensions(img)
    center_f = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (w, h))]
    # the tensor grid has y pointing down: a counter-clockwise turn is -angle in it
    matrix = _inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    ow, oh = F_t.affine_output_size(matrix, w, h) if expand else (w, h)
    return _warp(img, matrix, interpolation, fill, (oh, ow))


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Rotate by `angle` degrees, scale, shear (degrees, x or (x, y)), then translate (pixels),
    about `center` (default: the image centre); the image keeps its size."""
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    interpolation = _interpolation(interpolation)
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    _, h, w = get_dimensions(img)
    if not _check_image(img):
        # torch: PIL's centre is (w/2, h/2) without a half-pixel offset, so that a 90 degree
        # turn matches the tensor result and torch.rot90
        center = [w * 0.5, h * 0.5] if center is None else center
        matrix = _inverse_affine_matrix(center, angle, translate, scale, shear)
        return _pil().affine(img, matrix, _PIL_FILTER[interpolation.value], fill)
    center_f = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (w, h))]
    matrix = _inverse_affine_matrix(center_f, angle, [float(t) for t in translate], scale,
                                    shear)
    return _warp(img, matrix, interpolation, fill)


def erase(img, i, j, h, w, v, inplace=False):
    """img[..., i:i + h, j:j + w] = v (a tensor broadcasting to (C, h, w))."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img
