"""MNIST-style digit datasets in IDX files: MNIST, FashionMNIST, KMNIST (torchvision layout).

`MNIST(root, train=True, transform=None, target_transform=None, download=False)` reads
`root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` (FashionMNIST and KMNIST:
`root/<ClassName>/raw/`, same names). `download=True` fetches the four .gz files from the
class attribute `mirrors` (tried in order), verifying each against the md5 in `resources`;
they are read gzipped, no extraction step. With `root=None` (or `subset="5k"`) MNIST uses the
real 5,000-image subset shipped inside glasstorch (4,000 train / 1,000 test, 500 per class;
CC BY-SA 3.0, see glasstorch/data/mnist5k/README.md), so everything works offline.

torch: torchvision returns a PIL image; here a sample is (uint8 tensor (28, 28), int), which every
glasstorch transform accepts and ToTensor turns into float (1, 28, 28) in [0, 1], so Pillow
is not needed.
"""
import os

from ...tensor import _make
from ._idx import read_idx
from .utils import download_url
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "BUNDLED_MNIST"]

BUNDLED_MNIST = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "data",
                                              "mnist5k"))


class MNIST(VisionDataset):
    """LeCun, Bottou, Bengio & Haffner (1998): handwritten digits, 28x28 grayscale, 10 classes.
    `data` is a uint8 tensor (N, 28, 28), `targets` int64 (N,)."""
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False, subset=None):
        if subset not in (None, "5k"):
            raise ValueError(f"subset should be None or '5k', got {subset!r}")
        self._bundled = root is None or subset == "5k"
        if self._bundled and type(self) is not MNIST:
            raise ValueError(f"{type(self).__name__} has no bundled subset: give a root")
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download and not self._bundled:
            self.download()
        split = "train" if train else "t10k"
        images = self._find(f"{split}-images-idx3-ubyte")
        labels = self._find(f"{split}-labels-idx1-ubyte")
        self.data = _make(read_idx(images))
        self.targets = _make(read_idx(labels).astype("int64"))
        if len(self.data) != len(self.targets):
            raise RuntimeError(f"{self.raw_folder}: {len(self.data)} images but "
                               f"{len(self.targets)} labels")

    @property
    def raw_folder(self):
        if self._bundled:
            return BUNDLED_MNIST
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _existing(self, name):
        """root/raw/name or name.gz, whichever exists (None if neither)."""
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.exists(path):
                return path
        return None

    def _find(self, name):
        path = self._existing(name)
        if path is None:
            raise RuntimeError(f"Dataset not found. You can use download=True to download it "
                               f"(no {name}[.gz] in {self.raw_folder}"
                               + ("; root=None uses the bundled 5,000-image MNIST subset)"
                                  if type(self) is MNIST else ")"))
        return path

    def download(self):
        """Fetch the missing files of both splits into raw_folder (md5-checked)."""
        for filename, md5 in self.resources:
            if self._existing(filename[:-3] if filename.endswith(".gz") else filename):
                continue
            download_url([m + filename for m in self.mirrors], self.raw_folder, filename,
                         md5=md5)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return self._apply(self.data[index], int(self.targets[index]))

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Xiao, Rasul & Vollgraf (2017): Zalando article images, MNIST's format and sizes."""
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Clanuwat et al. (2018): Kuzushiji-MNIST, cursive Japanese (hiragana), MNIST's format."""
    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
                 ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
                 ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
                 ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134")]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
