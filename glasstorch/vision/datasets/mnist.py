"""MNIST handwritten digits (LeCun, Bottou, Bengio & Haffner 1998), 28x28 grayscale.

`MNIST(root, train=True, transform=None, target_transform=None)` reads the standard files
(`train-images-idx3-ubyte[.gz]` ...) from `root/MNIST/raw/` as torchvision does. With
`root=None` it uses the real 5,000-image subset shipped inside glasstorch (4,000 train /
1,000 test, 500 per class; CC BY-SA 3.0, see glasstorch/data/mnist5k/README.md), so
everything works offline.
"""
import os

from ...tensor import _make
from ...utils.data import Dataset
from ._idx import read_idx

__all__ = ["MNIST", "BUNDLED_MNIST"]

BUNDLED_MNIST = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mnist5k")


class MNIST(Dataset):
    """Samples are (image, label): image a uint8 tensor (28, 28) unless `transform` changes
    it (ToTensor gives float (1, 28, 28) in [0, 1]); label an int."""
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    _files = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False, subset=None):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        folder = os.path.normpath(BUNDLED_MNIST) if root is None or subset == "5k" else \
            os.path.join(os.path.expanduser(str(root)), type(self).__name__, "raw")
        images, labels = (self._find(folder, name) for name in self._files[bool(train)])
        self.data = _make(read_idx(images))
        self.targets = _make(read_idx(labels).astype("int64"))
        if len(self.data) != len(self.targets):
            raise RuntimeError(f"{folder}: {len(self.data)} images but "
                               f"{len(self.targets)} labels")

    def _find(self, folder, name):
        for candidate in (name, name + ".gz"):
            path = os.path.join(folder, candidate)
            if os.path.exists(path):
                return path
        raise RuntimeError(f"Dataset not found: no {name}[.gz] in {folder}. Use download=True "
                           "or root=None for the bundled 5,000-image subset.")

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
