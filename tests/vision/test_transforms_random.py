"""glasstorch.vision.transforms' random transforms, containers and seeding (torchvision v1).

The deterministic transforms are in test_transforms.py. References here are properties: the
sizes and offsets a random transform may draw, flip probabilities, and reproducibility under
manual_seed and across DataLoader workers.
"""
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import glasstorch as gt
from glasstorch.utils.data import DataLoader, Dataset
from glasstorch.vision import transforms as T
from glasstorch.vision.transforms import functional as F
from _images import G, f32, u8


def test_random_crop_sizes_padding_and_pad_if_needed():
    x = G(u8(3, 8, 10))
    for _ in range(20):
        assert tuple(T.RandomCrop((5, 7))(x).shape) == (3, 5, 7)
    out = T.RandomCrop(12, padding=2, fill=0)(x)
    assert tuple(out.shape) == (3, 12, 12)
    assert (out.numpy()[:, :2] == 0).all()  # rows 0-1 of any 12-row crop are top padding
    padded = T.RandomCrop((10, 14), pad_if_needed=True)(x)  # width padded by 4 on each side
    assert tuple(padded.shape) == (3, 10, 14)
    assert T.RandomCrop((5, 7))(Image.fromarray(u8(8, 10, 3))).size == (7, 5)


def test_random_crop_covers_every_offset():
    x = G(np.arange(16, dtype=np.int64).reshape(1, 4, 4))
    gt.manual_seed(0)
    corners = {int(T.RandomCrop(2)(x).numpy()[0, 0, 0]) for _ in range(200)}
    assert corners == {0, 1, 2, 4, 5, 6, 8, 9, 10}


def test_random_resized_crop_params_and_fallback():
    x = G(u8(3, 30, 40))
    gt.manual_seed(1)
    for _ in range(50):
        i, j, h, w = T.RandomResizedCrop.get_params(x, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 < h <= 30 and 0 < w <= 40 and i + h <= 30 and j + w <= 40
        assert 0.08 * 1200 * 0.8 <= h * w <= 1200
    assert tuple(T.RandomResizedCrop((7, 9))(x).shape) == (3, 7, 9)
    assert T.RandomResizedCrop(8)(Image.fromarray(u8(30, 40, 3))).size == (8, 8)
    # an impossible scale makes all 10 tries miss: the central crop of ratio within bounds
    assert T.RandomResizedCrop.get_params(G(u8(3, 10, 40)), (5.0, 5.0), (1.0, 2.0)) == \
        (0, 10, 10, 20)
    assert T.RandomResizedCrop.get_params(G(u8(3, 10, 12)), (5.0, 5.0), (0.5, 2.0)) == \
        (0, 0, 10, 12)
    with pytest.warns(UserWarning, match="min, max"):
        T.RandomResizedCrop(8, scale=(1.0, 0.5))


@pytest.mark.parametrize("cls,flip", [(T.RandomHorizontalFlip, F.hflip),
                                      (T.RandomVerticalFlip, F.vflip)])
def test_random_flip_probability(cls, flip):
    x = G(u8(1, 3, 3))
    assert np.array_equal(cls(p=1.0)(x).numpy(), flip(x).numpy())
    assert cls(p=0.0)(x) is x
    gt.manual_seed(0)
    flips = sum(not np.array_equal(cls()(x).numpy(), x.numpy()) for _ in range(400))
    assert 150 < flips < 250


def test_random_rotation_and_affine_params():
    gt.manual_seed(0)
    for _ in range(50):
        assert -10 <= T.RandomRotation.get_params([-10.0, 10.0]) <= 10
        angle, (tx, ty), scale, (sx, sy) = T.RandomAffine.get_params(
            [-5.0, 5.0], (0.1, 0.2), (0.9, 1.1), [-3.0, 3.0, 1.0, 2.0], [30, 20])
        assert -5 <= angle <= 5 and abs(tx) <= 3 and abs(ty) <= 4 and 0.9 <= scale <= 1.1
        assert -3 <= sx <= 3 and 1 <= sy <= 2 and isinstance(tx, int)
    x = G(u8(3, 9, 9))
    assert tuple(T.RandomRotation(30, expand=True)(x).shape)[0] == 3
    out = T.RandomAffine(20, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10, fill=5)(x)
    assert tuple(out.shape) == (3, 9, 9) and out.dtype == gt.uint8
    assert T.RandomRotation(15, fill=(1, 2, 3))(Image.fromarray(u8(9, 9, 3))).size == (9, 9)


def test_color_jitter_params_and_output():
    jitter = T.ColorJitter(brightness=0.5, contrast=(0.2, 0.4), saturation=0, hue=0.1)
    assert jitter.brightness == (0.5, 1.5) and jitter.saturation is None
    gt.manual_seed(0)
    for _ in range(30):
        order, b, c, s, h = jitter.get_params(jitter.brightness, jitter.contrast, None, jitter.hue)
        assert sorted(order.tolist()) == [0, 1, 2, 3] and s is None
        assert 0.5 <= b <= 1.5 and 0.2 <= c <= 0.4 and -0.1 <= h <= 0.1
    x = G(u8(3, 6, 6))
    out = jitter(x)
    assert out.dtype == gt.uint8 and tuple(out.shape) == (3, 6, 6)
    assert jitter(Image.fromarray(u8(6, 6, 3))).size == (6, 6)


def test_random_erasing():
    x = G(np.ones((3, 20, 20), np.float32))
    gt.manual_seed(0)
    out = T.RandomErasing(p=1.0, value=0)(x)
    zero = (out.numpy() == 0).all(axis=0)
    rows, cols = np.nonzero(zero)
    assert zero.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)   # one filled rectangle
    assert 0.02 * 400 * 0.6 <= zero.sum() <= 0.33 * 400 * 1.4 and x.numpy().min() == 1
    per_channel = T.RandomErasing(p=1.0, value=(2.0, 3.0, 4.0))(x).numpy()
    assert {2.0, 3.0, 4.0} <= set(np.unique(per_channel).tolist())
    noisy = T.RandomErasing(p=1.0, value="random", inplace=True)(x)
    assert noisy is x and (x.numpy() != 1).any()
    assert T.RandomErasing(p=0.0)(x) is x
    with pytest.raises(ValueError, match="number of input channels"):
        T.RandomErasing(p=1.0, value=(1, 2))(G(f32(3, 8, 8)))
    with pytest.raises(TypeError, match="Tensor Image"):
        T.RandomErasing(p=1.0)(Image.fromarray(u8(4, 4)))


def test_containers():
    x = G(np.arange(4, dtype=np.float32).reshape(1, 2, 2))
    comp = T.Compose([T.Lambda(lambda t: t + 1), T.Lambda(lambda t: t * 2)])
    assert comp(x).numpy().ravel().tolist() == [2, 4, 6, 8]
    assert repr(comp) == "Compose(\n    Lambda()\n    Lambda()\n)"
    assert T.RandomApply([T.Lambda(lambda t: t + 1)], p=0.0)(x) is x
    assert T.RandomApply([T.Lambda(lambda t: t + 1)], p=1.0)(x).numpy()[0, 0, 0] == 1
    gt.manual_seed(0)
    choice = T.RandomChoice([T.Lambda(lambda t: "a"), T.Lambda(lambda t: "b")], p=[0.1, 0.9])
    picks = [choice(x) for _ in range(300)]
    assert 10 < picks.count("a") < 60
    order = T.RandomOrder([T.Lambda(lambda t: t + 1), T.Lambda(lambda t: t * 2)])
    assert {float(order(x).numpy()[0, 0, 0]) for _ in range(40)} == {1.0, 2.0}
    gray = T.RandomGrayscale(p=1.0)(G(u8(3, 4, 4)))
    assert tuple(gray.shape) == (3, 4, 4) and np.array_equal(gray.numpy()[0], gray.numpy()[2])
    assert "RandomHorizontalFlip(p=0.3)" == repr(T.RandomHorizontalFlip(0.3))


PIPELINE = [T.RandomResizedCrop(12), T.RandomHorizontalFlip(), T.ColorJitter(0.4, 0.4, 0.4, 0.1),
            T.RandomRotation(20), T.ToTensor(), T.RandomErasing(p=1.0)]


@pytest.mark.parametrize("as_pil", [False, True])
def test_manual_seed_reproduces_a_pipeline(as_pil):
    img = Image.fromarray(u8(20, 24, 3)) if as_pil else G(u8(3, 20, 24))
    pipeline = T.Compose(PIPELINE)
    gt.manual_seed(123)
    a = pipeline(img).numpy()
    gt.manual_seed(123)
    b = pipeline(img).numpy()
    c = pipeline(img).numpy()
    assert a.shape == (3, 12, 12) and np.array_equal(a, b) and not np.array_equal(a, c)


class _Constant(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return T.RandomCrop(4)(G(np.arange(64, dtype=np.float32).reshape(1, 8, 8)))


def test_dataloader_workers_draw_distinct_reproducible_augmentations():
    def run():
        gt.manual_seed(7)
        loader = DataLoader(_Constant(), batch_size=4, num_workers=2)
        return [b.numpy() for b in loader]
    first, second = run(), run()
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not np.array_equal(first[0], first[1])  # worker 0 and worker 1 batches differ


def test_transforms_do_not_import_pillow():
    code = ("import sys, glasstorch.vision as v, glasstorch as gt;"
            "x = v.transforms.Compose([v.transforms.RandomCrop(20, padding=4),"
            " v.transforms.ToTensor()])(v.datasets.MNIST()[0][0]);"
            "assert tuple(x.shape) == (1, 20, 20) and 'PIL' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
