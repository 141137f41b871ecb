"""FakeData: random images and labels, the same for the same index on every call and process.

Sample i is drawn from its own generator seeded with i + random_offset (torchvision's scheme,
without touching the global RNG), so it needs no files and a DataLoader with workers sees
the same data as the main process.
torch: torchvision makes a PIL image from randn; here a sample is (uint8 tensor image_size, int),
uniform over 0..255, which every glasstorch transform accepts.
"""
from ... import _dtype
from ...random import Generator, randint
from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """size samples of shape image_size (C, H, W) with labels in [0, num_classes)."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size, self.num_classes = size, num_classes
        self.image_size, self.random_offset = tuple(image_size), random_offset

    def __getitem__(self, index):
        if not -self.size <= index < self.size:
            raise IndexError(f"{type(self).__name__} index out of range")
        g = Generator().manual_seed(index % self.size + self.random_offset)
        img = randint(0, 256, self.image_size, generator=g, dtype=_dtype.uint8)
        target = int(randint(0, self.num_classes, (1,), generator=g).item())
        return self._apply(img, target)

    def __len__(self):
        return self.size
