"""CIFAR-10 and CIFAR-100 (Krizhevsky 2009) from the standard "python version" batches.

`CIFAR10(root, train=True, transform=None, target_transform=None, download=False)` reads
root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}; `download=True` fetches
cifar-10-python.tar.gz from the class attribute `mirrors` (md5-checked) and extracts it.

The batches are Python pickles, and unpickling can run code. So, before any file is unpickled,
all of them are checked against the md5 list in `train_list`/`test_list`/`meta` (the official
checksums; a file that does not match is reported as corrupted, never loaded), and the
unpickler only resolves the few globals a NumPy array needs (anything else raises
pickle.UnpicklingError). To use other batch files, override those lists in a subclass.

`data` is a uint8 array (N, 32, 32, 3) (HWC, as torchvision); `targets` a list of ints.
torch: torchvision returns PIL images; a sample here is (uint8 tensor (3, 32, 32), int), which
every glasstorch transform accepts (ToTensor gives float in [0, 1]).
"""
import os
import pickle

from ...backend import xp as _xp
from ...tensor import _make
from .utils import check_integrity, download_and_extract_archive
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]


class _BatchUnpickler(pickle.Unpickler):
    """Resolves only the globals a pickled NumPy array uses (the rest are plain containers):
    array reconstruction, dtypes, and `_codecs.encode` (Python 3 protocol-2 pickles of bytes)."""
    _allowed = {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")} | {
        (f"numpy.{core}.{mod}", name) for core in ("core", "_core")
        for mod, name in (("multiarray", "_reconstruct"), ("multiarray", "scalar"),
                          ("numeric", "_frombuffer"))}

    def find_class(self, module, name):
        if (module, name) not in self._allowed:
            raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed in a CIFAR "
                                         "batch file")
        if module.startswith("numpy.core."):  # old pickles; NumPy 2 moved it to numpy._core
            try:
                return super().find_class("numpy._core." + module[len("numpy.core."):], name)
            except (ImportError, AttributeError):
                pass
        return super().find_class(module, name)


def _load_batch(path):
    with open(path, "rb") as f:
        return _BatchUnpickler(f, encoding="latin1").load()  # written by Python 2's cPickle


class CIFAR10(VisionDataset):
    """60,000 32x32 colour images in 10 classes (50,000 train, 10,000 test)."""
    base_folder = "cifar-10-batches-py"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               f"download it (checked the md5 of the files in "
                               f"{os.path.join(self.root, self.base_folder)})")
        data, self.targets = [], []
        for name, _ in self.train_list if train else self.test_list:
            entry = _load_batch(os.path.join(self.root, self.base_folder, name))
            data.append(entry["data"])
            self.targets.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
        # rows are 3072 bytes: the R plane, then G, then B (each 32x32, row-major)
        self.data = _xp.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))
        self._load_meta()

    def _load_meta(self):
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not check_integrity(path, self.meta["md5"]):
            raise RuntimeError("Dataset metadata file not found or corrupted. You can use "
                               "download=True to download it")
        self.classes = _load_batch(path)[self.meta["key"]]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def _check_integrity(self):
        return all(check_integrity(os.path.join(self.root, self.base_folder, name), md5)
                   for name, md5 in self.train_list + self.test_list)

    def download(self):
        if self._check_integrity():
            return
        download_and_extract_archive([m + self.filename for m in self.mirrors], self.root,
                                     filename=self.filename, md5=self.tgz_md5)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img = _make(_xp.ascontiguousarray(self.data[index].transpose(2, 0, 1)))
        return self._apply(img, self.targets[index])

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """Like CIFAR10 with 100 fine classes (targets are the fine labels)."""
    base_folder = "cifar-100-python"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
