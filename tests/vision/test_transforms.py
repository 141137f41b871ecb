"""glasstorch.vision.transforms against torchvision's v1 semantics.

torchvision cannot be installed next to torch 2.13 here, so the references are (a) small arrays
worked out by hand, (b) torchvision's tensor formulas written with the torch ops it calls
(interpolate, grid_sample, its _blend/_rgb2hsv code), and (c) properties (sizes, flips undo
themselves, normalize then unnormalize, seeded reproducibility).
"""

import numpy as np
import pytest
import torch
from PIL import Image

import glasstorch as gt
from glasstorch.vision import transforms as T
from glasstorch.vision.transforms import functional as F
from _images import G, f32, u8


# ---- torchvision's tensor formulas, written with torch ops -----------------------------------

def tv_resize(x, size, mode, antialias):
    t = torch.from_numpy(x)
    y = (t if t.is_floating_point() else t.float()).reshape(-1, 1, *x.shape[-2:])
    y = torch.nn.functional.interpolate(
        y, size=size, mode=mode, antialias=antialias,
        align_corners=False if mode in ("bilinear", "bicubic") else None)
    y = y.reshape(*x.shape[:-2], *size)
    if mode == "bicubic" and t.dtype == torch.uint8:
        y = y.clamp(0, 255)
    return (y if t.is_floating_point() else y.round().to(t.dtype)).numpy()


def tv_warp(x, matrix, out_size, mode, fill):
    """torchvision's _gen_affine_grid + _apply_grid_transform (with the mask channel)."""
    t = torch.from_numpy(x)
    y = (t if t.is_floating_point() else t.float())[None]
    (h, w), (oh, ow) = y.shape[-2:], out_size
    theta = torch.tensor(matrix, dtype=y.dtype).reshape(1, 2, 3)
    base = torch.empty(1, oh, ow, 3, dtype=y.dtype)
    base[..., 0].copy_(torch.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, steps=ow))
    base[..., 1].copy_(torch.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, steps=oh)[:, None])
    base[..., 2].fill_(1)
    grid = base.view(1, -1, 3).bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h]))
    y = torch.cat((y, torch.ones_like(y[:, :1])), 1)
    y = torch.nn.functional.grid_sample(y, grid.view(1, oh, ow, 2), mode=mode,
                                        padding_mode="zeros", align_corners=False)
    mask, y = y[:, -1:].expand_as(y[:, :-1]), y[:, :-1]
    f = torch.tensor(fill, dtype=y.dtype).view(1, -1, 1, 1).expand_as(y)
    if mode == "nearest":
        y = torch.where(mask < 0.5, f, y)
    else:
        y = y * mask + (1.0 - mask) * f
    y = y[0]
    return (y if t.is_floating_point() else y.round().to(t.dtype)).numpy()


def tv_blend(a, b, r):
    bound = 1.0 if a.is_floating_point() else 255.0
    return (r * a + (1.0 - r) * b).clamp(0, bound).to(a.dtype)


def tv_gray(t):
    r, g, b = t.unbind(-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(t.dtype).unsqueeze(-3)


def tv_adjust_hue(t, hue):
    """torchvision's adjust_hue: convert_image_dtype, _rgb2hsv, shift, _hsv2rgb, back."""
    img = t.float() / 255 if t.dtype == torch.uint8 else t
    r, g, b = img.unbind(-3)
    maxc, minc = img.max(-3).values, img.min(-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    crd = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    h = ((maxc == r) * (bc - gc) + ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
         + ((maxc != g) & (maxc != r)) * (4.0 + gc - rc))
    h = (torch.fmod(h / 6.0 + 1.0, 1.0) + hue) % 1.0
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(torch.int32) % 6
    v = maxc
    p = (v * (1.0 - s)).clamp(0, 1)
    q = (v * (1.0 - s * f)).clamp(0, 1)
    tt = (v * (1.0 - s * (1.0 - f))).clamp(0, 1)
    mask = (i.unsqueeze(-3) == torch.arange(6).view(-1, 1, 1)).to(img.dtype)
    a4 = torch.stack((torch.stack((v, q, p, p, tt, v), -3), torch.stack((tt, v, v, q, p, p), -3),
                      torch.stack((p, p, tt, v, v, q), -3)), -4)
    out = torch.einsum("...ijk, ...xijk -> ...xjk", mask, a4)
    return (out * 255.999).to(torch.uint8) if t.dtype == torch.uint8 else out


# ---- conversions -----------------------------------------------------------------------------

def test_to_tensor_hand_values():
    a = np.array([[[0, 51, 255], [102, 204, 1]]], dtype=np.uint8)  # H=1, W=2, C=3
    t = T.ToTensor()(a)
    assert tuple(t.shape) == (3, 1, 2) and t.dtype == gt.float32
    np.testing.assert_allclose(t.numpy()[:, 0, :], [[0, 0.4], [0.2, 0.8], [1, 1 / 255]],
                               rtol=1e-6)
    assert tuple(T.ToTensor()(G(u8(4, 5))).shape) == (1, 4, 5)          # 2-D uint8 tensor
    assert tuple(T.ToTensor()(u8(4, 5)).shape) == (1, 4, 5)             # 2-D ndarray
    x = f32(4, 5, 2)
    np.testing.assert_array_equal(T.ToTensor()(x).numpy(), x.transpose(2, 0, 1))  # kept as is


@pytest.mark.parametrize("mode,shape", [("L", (5, 4)), ("RGB", (5, 4, 3)), ("RGBA", (5, 4, 4))])
def test_pil_round_trips(mode, shape):
    a = u8(*shape)
    img = Image.fromarray(a)
    assert img.mode == mode
    chw = a.reshape(5, 4, -1).transpose(2, 0, 1)
    np.testing.assert_array_equal(T.PILToTensor()(img).numpy(), chw)
    np.testing.assert_allclose(T.ToTensor()(img).numpy(), chw / 255, rtol=1e-6)
    back = T.ToPILImage()(G(chw))
    assert back.mode == mode and np.array_equal(np.asarray(back), a)


def test_to_pil_image_float_truncates_and_modes():
    img = T.ToPILImage()(G(np.array([[[0.5, 1.0]]], dtype=np.float32)))
    assert img.mode == "L" and np.asarray(img).tolist() == [[127, 255]]  # 127.5 -> 127
    assert T.ToPILImage(mode="F")(G(np.array([[[0.5]]], np.float32))).mode == "F"
    assert F.to_pil_image(u8(3, 4, 3), mode="HSV").mode == "HSV"
    with pytest.raises(ValueError, match="Only modes"):
        F.to_pil_image(u8(3, 4, 3), mode="RGBA")
    with pytest.raises(ValueError, match="> 4 channels"):
        F.to_pil_image(G(u8(5, 2, 2)))
    with pytest.raises(TypeError, match="pic should be Tensor or ndarray"):
        F.to_pil_image([1, 2])


@pytest.mark.parametrize("src,dst,expected", [
    ("uint8", "float32", [0.0, 128 / 255, 1.0]),
    ("float32", "uint8", None),     # x * 255.999, truncated
    ("uint8", "int32", [0, 128 * 2 ** 23, 255 * 2 ** 23]),
    ("int32", "uint8", [0, 0, 0]),
])
def test_convert_image_dtype(src, dst, expected):
    x = np.array([0, 128, 255]).astype(src) if src != "float32" else \
        np.array([0.0, 0.5, 1.0], np.float32)
    out = F.convert_image_dtype(G(x), getattr(gt, dst)).numpy()
    assert out.dtype == np.dtype(dst)
    want = [0, 127, 255] if expected is None else expected
    np.testing.assert_allclose(out, want, rtol=1e-6)


# ---- normalize ---------------------------------------------------------------------------

def test_normalize_hand_values_and_inverse():
    x = G(np.array([[[1.0, 2.0]], [[3.0, 5.0]]], np.float32))  # (2, 1, 2)
    y = T.Normalize((1.0, 3.0), (0.5, 2.0))(x)
    np.testing.assert_allclose(y.numpy(), [[[0.0, 2.0]], [[0.0, 1.0]]])
    assert x.numpy()[0, 0, 1] == 2.0  # not in place
    img = G(f32(2, 3, 4, 5))  # batched
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    z = F.normalize(img, mean, std)
    back = F.normalize(z, [-m / s for m, s in zip(mean, std)], [1 / s for s in std])
    np.testing.assert_allclose(back.numpy(), img.numpy(), atol=1e-6)
    same = F.normalize(img, mean, std, inplace=True)
    assert same is img and np.allclose(img.numpy(), z.numpy())


@pytest.mark.parametrize("x,mean,std,err,match", [
    (u8(3, 2, 2), [0.0], [1.0], TypeError, "float tensor"),
    (f32(2, 2), [0.0], [1.0], ValueError, "tensor image of size"),
    (f32(1, 2, 2), [0.0], [0.0], ValueError, "std evaluated to zero"),
])
def test_normalize_errors(x, mean, std, err, match):
    with pytest.raises(err, match=match):
        F.normalize(G(x), mean, std)


def test_normalize_keeps_autograd():
    x = G(f32(3, 2, 2)).requires_grad_()
    F.normalize(x, [0.5] * 3, [2.0] * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 2, 2), 0.5))


# ---- resize --------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,size", [((3, 10, 13), (4, 7)), ((3, 10, 13), (23, 31)),
                                        ((1, 7, 7), (3, 12)), ((2, 3, 16, 16), (5, 5)),
                                        ((9, 9), (9, 4))])
@pytest.mark.parametrize("mode,antialias", [("nearest", False), ("nearest-exact", False),
                                            ("bilinear", False), ("bilinear", True),
                                            ("bicubic", False), ("bicubic", True)])
def test_resize_tensor_matches_interpolate(shape, size, mode, antialias):
    x = f32(*shape)
    got = F.resize(G(x), list(size), T.InterpolationMode(mode), antialias=antialias)
    np.testing.assert_allclose(got.numpy(), tv_resize(x, size, mode, antialias), atol=2e-6)
    xu = u8(*shape)
    got = F.resize(G(xu), list(size), T.InterpolationMode(mode), antialias=antialias).numpy()
    assert got.dtype == np.uint8  # below: +-1 only from float rounding at .5 ties
    assert np.abs(got.astype(int) - tv_resize(xu, size, mode, antialias)).max() <= 1


@pytest.mark.parametrize("hw,size,max_size,out", [
    ((10, 20), 5, None, (5, 10)), ((20, 10), 5, None, (10, 5)), ((10, 15), 4, None, (4, 6)),
    ((10, 40), 5, 12, (3, 12)), ((10, 20), [6, 7], None, (6, 7)), ((10, 20), [5], None, (5, 10)),
])
def test_resize_output_size(hw, size, max_size, out):
    t = T.Resize(size, max_size=max_size)(G(f32(3, *hw)))
    assert tuple(t.shape) == (3, *out)
    p = T.Resize(size, max_size=max_size)(Image.fromarray(u8(*hw, 3)))
    assert p.size == (out[1], out[0])


def test_resize_same_size_is_identity_and_pil_close_to_tensor():
    x = G(f32(3, 8, 8))
    assert F.resize(x, [8, 8]) is x
    a = u8(24, 32, 3)
    pil = np.asarray(T.Resize((10, 14))(Image.fromarray(a))).transpose(2, 0, 1).astype(int)
    ten = T.Resize((10, 14))(G(a.transpose(2, 0, 1).copy())).numpy().astype(int)
    assert np.abs(pil - ten).max() <= 2  # Pillow's fixed-point weights vs float


@pytest.mark.parametrize("kwargs,err", [({"size": [1, 2, 3]}, ValueError),
                                        ({"size": 2.5}, TypeError),
                                        ({"size": [4, 4], "max_size": 9}, ValueError),
                                        ({"size": 4, "max_size": 4}, ValueError),
                                        ({"size": 4, "interpolation": "lanczos"}, ValueError)])
def test_resize_errors(kwargs, err):
    with pytest.raises(err):
        F.resize(G(f32(3, 6, 8)), **kwargs)


# ---- pad / crop ----------------------------------------------------------------------------

ROW = np.array([[1, 2, 3, 4]], dtype=np.uint8)


@pytest.mark.parametrize("mode,expected", [
    ("constant", [9, 9, 1, 2, 3, 4, 9, 9]), ("edge", [1, 1, 1, 2, 3, 4, 4, 4]),
    ("reflect", [3, 2, 1, 2, 3, 4, 3, 2]), ("symmetric", [2, 1, 1, 2, 3, 4, 4, 3]),
])
def test_pad_modes_hand_values(mode, expected):
    out = F.pad(G(ROW), [2, 0], fill=9, padding_mode=mode).numpy()
    assert out.tolist() == [expected]
    pil = F.pad(Image.fromarray(ROW), [2, 0], fill=9, padding_mode=mode)
    assert np.asarray(pil).tolist() == [expected]


@pytest.mark.parametrize("padding,shape", [(1, (3, 4, 6)), ([1, 2], (3, 6, 6)),
                                           ([1, 0, 2, 3], (3, 5, 7)), ([-1, 0, 1, 0], (3, 2, 4))])
def test_pad_amounts(padding, shape):
    assert tuple(T.Pad(padding)(G(u8(3, 2, 4))).shape) == shape


def test_pad_per_channel_fill_and_errors():
    out = F.pad(G(np.zeros((3, 1, 1), np.uint8)), 1, fill=(10, 20, 30)).numpy()
    assert out[:, 0, 0].tolist() == [10, 20, 30] and out[:, 1, 1].tolist() == [0, 0, 0]
    pil = F.pad(Image.fromarray(np.zeros((1, 1, 3), np.uint8)), 1, fill=(10, 20, 30))
    assert np.asarray(pil)[0, 0].tolist() == [10, 20, 30]
    with pytest.raises(ValueError, match="1, 2, or 4 element"):
        T.Pad([1, 2, 3])
    with pytest.raises(ValueError, match="Padding mode"):
        F.pad(G(ROW), 1, padding_mode="wrap")
    with pytest.raises(TypeError, match="padding"):
        F.pad(G(ROW), "1")


def test_crop_inside_is_a_view_and_outside_is_zero_padded():
    x = G(np.arange(1, 17, dtype=np.uint8).reshape(1, 4, 4))
    c = F.crop(x, 1, 2, 2, 2)
    assert c.numpy().tolist() == [[[7, 8], [11, 12]]] and c._base is not None
    out = F.crop(x, -1, 3, 2, 2).numpy()
    assert out.tolist() == [[[0, 0], [4, 0]]]
    pil = F.crop(Image.fromarray(x.numpy()[0]), -1, 3, 2, 2)
    assert np.asarray(pil).tolist() == [[0, 0], [4, 0]]


@pytest.mark.parametrize("hw,size,top_left", [((4, 4), 2, (1, 1)), ((5, 5), 2, (2, 2)),
                                              ((6, 6), 1, (2, 2)), ((7, 5), (3, 1), (2, 2))])
def test_center_crop_offsets(hw, size, top_left):
    """Offsets are int(round((H - h) / 2)), Python's round (2.5 -> 2)."""
    x = np.arange(hw[0] * hw[1], dtype=np.int64).reshape(hw)
    sh, sw = (size, size) if isinstance(size, int) else size
    want = x[top_left[0]:top_left[0] + sh, top_left[1]:top_left[1] + sw]
    np.testing.assert_array_equal(T.CenterCrop(size)(G(x)).numpy(), want)


def test_center_crop_pads_small_images():
    out = T.CenterCrop((4, 5))(G(np.ones((1, 2, 2), np.uint8))).numpy()[0]
    assert out.tolist() == [[0, 0, 0, 0, 0], [0, 1, 1, 0, 0], [0, 1, 1, 0, 0], [0, 0, 0, 0, 0]]


def test_five_and_ten_crop():
    x = G(np.arange(20, dtype=np.int64).reshape(1, 4, 5))
    tl, tr, bl, br, c = T.FiveCrop(2)(x)
    assert tl.numpy()[0].tolist() == [[0, 1], [5, 6]] and tr.numpy()[0].tolist() == [[3, 4],
                                                                                     [8, 9]]
    assert bl.numpy()[0].tolist() == [[10, 11], [15, 16]] and br.numpy()[0, 1, 1] == 19
    assert c.numpy()[0].tolist() == [[7, 8], [12, 13]]  # left = round(1.5) = 2
    ten = T.TenCrop(2)(x)
    assert len(ten) == 10 and np.array_equal(ten[5].numpy(), F.hflip(tr).numpy())
    assert np.array_equal(T.TenCrop(2, vertical_flip=True)(x)[5].numpy(), F.vflip(bl).numpy())
    with pytest.raises(ValueError, match="bigger than input size"):
        F.five_crop(x, 5)


# ---- flips, rotation, affine -------------------------------------------------------------

def test_flips_hand_values_and_invert():
    x = G(np.array([[[1, 2], [3, 4]]], np.uint8))
    assert F.hflip(x).numpy().tolist() == [[[2, 1], [4, 3]]]
    assert F.vflip(x).numpy().tolist() == [[[3, 4], [1, 2]]]
    for f in (F.hflip, F.vflip):
        assert np.array_equal(f(f(x)).numpy(), x.numpy())
        a = u8(3, 5, 3)
        assert np.array_equal(np.asarray(f(Image.fromarray(a))),
                              f(G(a.transpose(2, 0, 1).copy())).numpy().transpose(1, 2, 0))


def test_rotate_90_is_rot90_for_tensors_and_pil():
    a = u8(3, 6, 6)
    out = F.rotate(G(a), 90).numpy()
    np.testing.assert_array_equal(out, np.rot90(a, 1, axes=(1, 2)))
    pil = F.rotate(Image.fromarray(a.transpose(1, 2, 0).copy()), 90)
    np.testing.assert_array_equal(np.asarray(pil), np.rot90(a, 1, axes=(1, 2)).transpose(1, 2, 0))
    assert tuple(F.rotate(G(u8(3, 5, 7)), 90, expand=True).shape) == (3, 7, 5)
    assert tuple(F.rotate(G(u8(3, 7, 10)), -30, expand=True).shape) == (3, 13, 14)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_affine_matches_grid_sample(seed, mode):
    r = np.random.default_rng(seed)
    h, w = r.integers(3, 12, 2)
    angle, scale = float(r.uniform(-180, 180)), float(r.uniform(0.5, 1.5))
    translate = [int(r.integers(-3, 4)), int(r.integers(-3, 4))]
    shear = [float(r.uniform(-30, 30)), float(r.uniform(-30, 30))]
    x = r.random((3, h, w), dtype=np.float32)
    fill = [0.25, 0.5, 1.0]
    got = F.affine(G(x), angle, translate, scale, shear, T.InterpolationMode(mode), fill=fill)
    m = F._inverse_affine_matrix([0.0, 0.0], angle, [float(t) for t in translate], scale, shear)
    np.testing.assert_allclose(got.numpy(), tv_warp(x, m, (h, w), mode, fill), atol=1e-5)
    xu = (x * 255).astype(np.uint8)
    got = F.rotate(G(xu), angle, T.InterpolationMode(mode), fill=7).numpy().astype(int)
    m = F._inverse_affine_matrix([0.0, 0.0], -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    assert np.abs(got - tv_warp(xu, m, (h, w), mode, [7.0] * 3)).max() <= 1


def test_affine_translate_hand_values_and_errors():
    x = G(np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3))
    out = F.affine(x, 0.0, [1, 0], 1.0, 0.0).numpy()[0]
    assert out.tolist() == [[0, 1, 2], [0, 4, 5], [0, 7, 8]]
    pil = F.affine(Image.fromarray(x.numpy()[0].astype(np.uint8)), 0.0, [1, 0], 1.0, 0.0)
    assert np.asarray(pil).tolist() == [[0, 1, 2], [0, 4, 5], [0, 7, 8]]
    with pytest.raises(ValueError, match="translate should be a sequence of length 2"):
        F.affine(x, 0.0, [1], 1.0, 0.0)
    with pytest.raises(ValueError, match="scale should be positive"):
        F.affine(x, 0.0, [0, 0], 0.0, 0.0)
    with pytest.raises(ValueError, match="unsupported with Tensor"):
        F.rotate(x, 10.0, T.InterpolationMode.BICUBIC)
    with pytest.raises(ValueError, match="cannot broadcast"):
        F.rotate(G(f32(3, 4, 4)), 10.0, fill=[1.0, 2.0])


# ---- colour ----------------------------------------------------------------------------------

def test_color_hand_values():
    px = G(np.array([10, 20, 30], np.uint8).reshape(3, 1, 1))
    assert F.rgb_to_grayscale(px).numpy().ravel().tolist() == [18]  # 18.149 truncated
    assert F.rgb_to_grayscale(px, 3).numpy().ravel().tolist() == [18, 18, 18]
    x = G(np.array([[[100, 200]]], np.uint8))
    assert F.adjust_brightness(x, 1.5).numpy().ravel().tolist() == [150, 255]
    assert F.adjust_contrast(x, 0.0).numpy().ravel().tolist() == [150, 150]  # the mean
    red = G(np.array([1.0, 0.0, 0.0], np.float32).reshape(3, 1, 1))
    np.testing.assert_allclose(F.adjust_hue(red, 1 / 3).numpy().ravel(), [0, 1, 0], atol=1e-6)
    np.testing.assert_allclose(F.adjust_saturation(red, 0.0).numpy().ravel(), [0.2989] * 3,
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("name,factor", [("brightness", 0.6), ("brightness", 1.7),
                                         ("contrast", 0.3), ("contrast", 1.8),
                                         ("saturation", 0.2), ("saturation", 2.5),
                                         ("hue", -0.45), ("hue", 0.2)])
def test_color_matches_torchvision_formulas(dtype, name, factor):
    x = u8(2, 3, 5, 6) if dtype == "uint8" else f32(2, 3, 5, 6)
    t = torch.from_numpy(x)
    got = getattr(F, f"adjust_{name}")(G(x), factor).numpy()
    if name == "brightness":
        ref = tv_blend(t, torch.zeros_like(t), factor)
    elif name == "contrast":
        ref = tv_blend(t, tv_gray(t).to(torch.float32).mean((-3, -2, -1), keepdim=True), factor)
    elif name == "saturation":
        ref = tv_blend(t, tv_gray(t), factor)
    else:
        ref = tv_adjust_hue(t, factor)
    assert got.dtype == x.dtype
    np.testing.assert_allclose(got.astype(float), ref.numpy().astype(float),
                               atol=1 if dtype == "uint8" else 1e-5)


def test_color_pil_paths():
    a = u8(4, 5, 3)
    img = Image.fromarray(a)
    assert np.array_equal(np.asarray(F.adjust_brightness(img, 1.0)), a)
    gray = np.asarray(T.Grayscale()(img)).astype(int)
    want = a @ np.array([0.299, 0.587, 0.114])  # Pillow's ITU-R 601-2 luma
    assert np.abs(gray - want).max() <= 1
    assert T.Grayscale(3)(img).mode == "RGB"
    assert np.abs(np.asarray(F.adjust_hue(img, 0.0)).astype(int) - a).max() <= 8  # via 8-bit HSV
    assert F.adjust_saturation(img, 0.0).mode == "RGB"


@pytest.mark.parametrize("call,err,match", [
    (lambda: F.adjust_hue(G(f32(3, 2, 2)), 0.6), ValueError, r"not in \[-0.5, 0.5\]"),
    (lambda: F.adjust_brightness(G(f32(3, 2, 2)), -1), ValueError, "non-negative"),
    (lambda: F.adjust_contrast(G(f32(2, 2, 2)), 1.2), TypeError, "permitted channel"),
    (lambda: F.rgb_to_grayscale(G(f32(3, 2, 2)), 2), ValueError, "either 1 or 3"),
    (lambda: T.ColorJitter(brightness=-1), ValueError, "non negative"),
    (lambda: T.ColorJitter(hue=0.7), ValueError, "should be between"),
    (lambda: T.ColorJitter(contrast=[1, 2, 3]), TypeError, "length 2"),
    (lambda: T.Lambda(3), TypeError, "callable"),
    (lambda: T.RandomErasing(value="x"), ValueError, "'random'"),
    (lambda: T.RandomErasing(scale=(0.1, 2)), ValueError, "between 0 and 1"),
    (lambda: T.RandomRotation(-5), ValueError, "must be positive"),
    (lambda: T.RandomAffine(0, translate=(0.1, 2)), ValueError, "between 0 and 1"),
    (lambda: T.RandomAffine(0, shear=(1, 2, 3)), ValueError, "length 2 or 4"),
    (lambda: T.RandomCrop(10)(G(f32(3, 4, 4))), ValueError, "larger than input image size"),
    (lambda: F.hflip(np.zeros((2, 2))), TypeError, "PIL Image or Tensor"),
])
def test_argument_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()
