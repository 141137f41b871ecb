"""Vision datasets: MNIST family layouts, CIFAR batches (checksums before unpickling, restricted
unpickler), ImageFolder/DatasetFolder, FakeData and compute_mean_std. No network here (see
test_download.py)."""
import hashlib
import os
import pickle
import shutil

import numpy as np
import pytest
from PIL import Image

import glasstorch as gt
from glasstorch.utils.data import DataLoader
from glasstorch.vision import transforms as T
from glasstorch.vision.datasets import (CIFAR10, CIFAR100, KMNIST, MNIST, DatasetFolder,
                                        FakeData, FashionMNIST, ImageFolder, VisionDataset,
                                        compute_mean_std)
from glasstorch.vision.datasets.folder import has_file_allowed_extension, make_dataset
from glasstorch.vision.datasets.mnist import BUNDLED_MNIST

MNIST_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


# ---- MNIST family ------------------------------------------------------------------------------

def test_bundled_mnist_and_transforms():
    ds = MNIST(train=False, transform=T.ToTensor(), target_transform=lambda y: y * 10)
    x, y = ds[3]
    assert tuple(x.shape) == (1, 28, 28) and x.dtype == gt.float32 and 0 <= x.min().item()
    assert y == int(ds.targets[3]) * 10
    assert MNIST(root="/nonexistent", subset="5k", train=False).data.shape == ds.data.shape
    assert ds.class_to_idx["3 - three"] == 3 and ds.raw_folder == BUNDLED_MNIST
    assert "Split: Test" in repr(ds) and "ToTensor()" in repr(ds)
    with pytest.raises(ValueError, match="subset"):
        MNIST(subset="10k")


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST, KMNIST])
def test_mnist_family_reads_root_classname_raw(tmp_path, cls):
    raw = tmp_path / cls.__name__ / "raw"
    raw.mkdir(parents=True)
    for name in MNIST_FILES:
        shutil.copy(os.path.join(BUNDLED_MNIST, name), raw / name)
    ds = cls(root=str(tmp_path), train=True)
    assert len(ds) == 4000 and ds.raw_folder == str(raw) and len(ds.classes) == 10
    np.testing.assert_array_equal(ds.data.numpy(), MNIST().data.numpy())
    img, label = ds[-1]
    assert tuple(img.shape) == (28, 28) and img.dtype == gt.uint8 and 0 <= label < 10


@pytest.mark.parametrize("cls", [FashionMNIST, KMNIST])
def test_mnist_family_errors(tmp_path, cls):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True"):
        cls(root=str(tmp_path))
    with pytest.raises(ValueError, match="no bundled subset"):
        cls()


def test_mnist_corrupt_file_is_a_clear_error(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in MNIST_FILES:
        shutil.copy(os.path.join(BUNDLED_MNIST, name), raw / name)
    data = (raw / MNIST_FILES[2]).read_bytes()
    (raw / MNIST_FILES[2]).write_bytes(data[: len(data) // 2])  # truncated download
    with pytest.raises(ValueError, match="cannot read IDX file"):
        MNIST(root=str(tmp_path), train=False)


# ---- CIFAR ---------------------------------------------------------------------------------

def write_cifar(folder, names, n=4, fine=False, seed=0):
    """Tiny batches in the real layout: rows of 3072 bytes (R plane, G plane, B plane)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    key = "fine_labels" if fine else "labels"
    for k, name in enumerate(names):
        entry = {"batch_label": f"batch {k}", key: [int(v) for v in rng.integers(0, 10, n)],
                 "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 "filenames": [f"img{k}_{i}.png" for i in range(n)]}
        with open(folder / name, "wb") as f:
            pickle.dump(entry, f, protocol=2)
    return folder


def tiny_cifar_class(base, root, cls=CIFAR10):
    """A subclass whose checksum lists are those of the tiny files under root."""
    folder = root / cls.base_folder
    meta_name = cls.meta["filename"]
    return type(cls.__name__, (cls,), {
        "train_list": [[n, md5(folder / n)] for n, _ in cls.train_list],
        "test_list": [[n, md5(folder / n)] for n, _ in cls.test_list],
        "meta": dict(cls.meta, md5=md5(folder / meta_name))})


@pytest.fixture
def cifar_root(tmp_path):
    folder = write_cifar(tmp_path / CIFAR10.base_folder,
                         [n for n, _ in CIFAR10.train_list + CIFAR10.test_list])
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog",
                                     "frog", "horse", "ship", "truck"],
                     "num_cases_per_batch": 4}, f, protocol=2)
    return tmp_path


def test_cifar10_layout(cifar_root):
    cls = tiny_cifar_class(CIFAR10, cifar_root)
    train, test = cls(str(cifar_root)), cls(str(cifar_root), train=False)
    assert len(train) == 20 and len(test) == 4 and train.data.shape == (20, 32, 32, 3)
    with open(cifar_root / CIFAR10.base_folder / "data_batch_2", "rb") as f:
        raw = pickle.load(f, encoding="latin1")
    row = raw["data"][1]
    # image 1 of batch 2 is sample 5; pixel (r=3, c=7) of channel G is byte 1024 + 3 * 32 + 7
    assert train.data[5, 3, 7, 1] == row[1024 + 3 * 32 + 7] and train.targets[5] == raw["labels"][1]
    img, label = train[5]
    assert tuple(img.shape) == (3, 32, 32) and img.dtype == gt.uint8 and label == train.targets[5]
    np.testing.assert_array_equal(img.numpy(), train.data[5].transpose(2, 0, 1))
    assert train.classes[9] == "truck" and train.class_to_idx["cat"] == 3
    x, _ = cls(str(cifar_root), transform=T.Compose([T.RandomCrop(32, padding=4),
                                                     T.RandomHorizontalFlip(), T.ToTensor()]))[0]
    assert tuple(x.shape) == (3, 32, 32) and x.dtype == gt.float32


def test_cifar100_fine_labels(tmp_path):
    folder = write_cifar(tmp_path / CIFAR100.base_folder, ["train", "test"], n=3, fine=True)
    with open(folder / "meta", "wb") as f:
        pickle.dump({"fine_label_names": [f"c{i}" for i in range(100)]}, f, protocol=2)
    ds = tiny_cifar_class(CIFAR100, tmp_path, CIFAR100)(str(tmp_path))
    assert len(ds) == 3 and len(ds.classes) == 100 and all(0 <= t < 10 for t in ds.targets)


def test_cifar_checks_checksums_before_unpickling(cifar_root, tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        CIFAR10(str(cifar_root))  # the real checksums: these tiny files do not match
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        CIFAR10(str(tmp_path / "empty"))


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_cifar_unpickler_refuses_other_globals(cifar_root):
    with open(cifar_root / CIFAR10.base_folder / "test_batch", "wb") as f:
        pickle.dump({"data": _Evil(), "labels": []}, f, protocol=2)
    cls = tiny_cifar_class(CIFAR10, cifar_root)  # even with a matching checksum list
    with pytest.raises(pickle.UnpicklingError, match="is not allowed"):
        cls(str(cifar_root), train=False)


# ---- ImageFolder / DatasetFolder -----------------------------------------------------------

@pytest.fixture
def image_tree(tmp_path):
    rng = np.random.default_rng(0)
    for cls, names in {"dog": ["b.png", "a.jpg", "sub/c.PNG"], "cat": ["z.png"],
                       "bird": ["x.bmp", "notes.txt"]}.items():
        for name in names:
            path = tmp_path / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(".txt"):
                path.write_text("not an image")
            else:
                mode = "L" if cls == "cat" else "RGB"
                shape = (5, 6) if mode == "L" else (5, 6, 3)
                fmt = {"jpg": "JPEG", "png": "PNG", "bmp": "BMP"}[name.rsplit(".", 1)[1].lower()]
                Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(path, fmt)
    return tmp_path


def test_image_folder(image_tree):
    ds = ImageFolder(str(image_tree))
    assert ds.classes == ["bird", "cat", "dog"] and ds.class_to_idx == {"bird": 0, "cat": 1,
                                                                        "dog": 2}
    rel = [(os.path.relpath(p, image_tree), t) for p, t in ds.samples]
    assert rel == [("bird/x.bmp", 0), ("cat/z.png", 1), ("dog/a.jpg", 2), ("dog/b.png", 2),
                   ("dog/sub/c.PNG", 2)]
    assert ds.targets == [0, 1, 2, 2, 2] and ds.imgs is ds.samples and len(ds) == 5
    img, target = ds[1]
    assert img.mode == "RGB" and img.size == (6, 5) and target == 1  # L converted to RGB
    x, _ = ImageFolder(str(image_tree), transform=T.ToTensor())[3]
    assert tuple(x.shape) == (3, 5, 6)
    only_png = ImageFolder(str(image_tree), is_valid_file=lambda p: p.endswith(".png"),
                           allow_empty=True)
    assert len(only_png) == 2
    sizes = ImageFolder(str(image_tree), loader=lambda p: os.path.getsize(p))
    assert all(isinstance(s, int) for s, _ in sizes)


def test_dataset_folder_custom_loader_and_errors(image_tree, tmp_path):
    ds = DatasetFolder(str(image_tree), loader=lambda p: open(p).read(), extensions=".txt",
                       allow_empty=True)
    assert [s for s, _ in ds] == ["not an image"] and ds[0][1] == 0
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes cat, dog"):
        DatasetFolder(str(image_tree), loader=open, extensions=".txt")
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        make_dataset(str(image_tree), extensions=".png", is_valid_file=lambda p: True)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(str(tmp_path / "dog" / "sub"))
    assert has_file_allowed_extension("A.JPEG", (".jpeg",))


def test_image_folder_corrupt_image(image_tree):
    (image_tree / "cat" / "z.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    ds = ImageFolder(str(image_tree))
    with pytest.raises(OSError, match="z.png: cannot read image"):
        ds[1]


# ---- FakeData ------------------------------------------------------------------------------

def test_fake_data_is_deterministic_per_index():
    ds = FakeData(size=5, image_size=(3, 4, 6), num_classes=3)
    gt.manual_seed(0)
    before = gt.rand(3)
    a, la = ds[2]
    gt.manual_seed(0)
    assert np.array_equal(gt.rand(3).numpy(), before.numpy())  # global RNG untouched
    b, lb = ds[2]
    assert tuple(a.shape) == (3, 4, 6) and a.dtype == gt.uint8 and 0 <= la < 3
    assert np.array_equal(a.numpy(), b.numpy()) and la == lb
    assert not np.array_equal(a.numpy(), ds[3][0].numpy())
    assert np.array_equal(ds[-3][0].numpy(), a.numpy())
    shifted = FakeData(size=5, image_size=(3, 4, 6), num_classes=3, random_offset=1)
    assert np.array_equal(shifted[1][0].numpy(), a.numpy())
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[5]
    batches = list(DataLoader(FakeData(6, (1, 2, 2), transform=T.ToTensor()), batch_size=3,
                              num_workers=2))
    assert tuple(batches[0][0].shape) == (3, 1, 2, 2)
    np.testing.assert_allclose(batches[1][0][2].numpy(), FakeData(6, (1, 2, 2))[5][0].numpy()
                               / 255, rtol=1e-6)


# ---- compute_mean_std ----------------------------------------------------------------------

def test_compute_mean_std_bundled_mnist():
    mean, std = compute_mean_std(MNIST(train=True, transform=T.ToTensor()), batch_size=1000)
    assert tuple(mean.shape) == (1,) and mean.dtype == gt.float32
    assert abs(mean.item() - 0.1311) < 5e-4 and abs(std.item() - 0.3083) < 5e-4
    raw_mean, raw_std = compute_mean_std(MNIST(train=True))  # uint8 images measured in [0, 1]
    assert abs(raw_mean.item() - mean.item()) < 1e-6 and abs(raw_std.item() - std.item()) < 1e-6


def test_compute_mean_std_hand_values_and_mixed_sizes():
    ds = FakeData(size=7, image_size=(3, 5, 4))
    stack = np.stack([ds[i][0].numpy() for i in range(7)]).astype(np.float64) / 255
    mean, std = compute_mean_std(ds, batch_size=3)
    np.testing.assert_allclose(mean.numpy(), stack.mean(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(std.numpy(), stack.std(axis=(0, 2, 3)), rtol=1e-5)
    mixed = [gt.tensor([[[0.0, 1.0]]]), gt.tensor([[[1.0], [1.0]]])]  # pixels 0, 1, 1, 1
    mean, std = compute_mean_std(mixed, batch_size=2)
    np.testing.assert_allclose([mean.item(), std.item()], [0.75, np.sqrt(0.1875)], rtol=1e-6)


def test_vision_dataset_transforms_xor_transform():
    with pytest.raises(ValueError, match="Only transforms or transform"):
        VisionDataset("x", transforms=lambda a, b: (a, b), transform=lambda a: a)
