"""VisionDataset: the base of every vision dataset (torchvision's), holding root and transforms.

Subclasses set `self.data`-like state in `__init__` and implement `__getitem__`/`__len__`;
`_apply` runs transform / target_transform on one (image, target) pair; `__repr__` prints the
size, root, split (via `extra_repr`) and transforms, as torchvision does.
"""
import os

from ...utils.data import Dataset

__all__ = ["VisionDataset"]


class VisionDataset(Dataset):
    """root (str or path-like, None for built-in data), transform (image -> image),
    target_transform (target -> target), or `transforms` ((image, target) -> pair)."""
    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, (str, os.PathLike)):
            root = os.path.expanduser(os.fspath(root))
        self.root = root
        if transforms is not None and (transform is not None or target_transform is not None):
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform, self.target_transform = transform, target_transform
        self.transforms = transforms

    def _apply(self, img, target):
        if self.transforms is not None:
            return self.transforms(img, target)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        raise NotImplementedError

    def extra_repr(self):
        return ""

    def __repr__(self):
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        for label, t in (("Transforms: ", self.transforms), ("Transform: ", self.transform),
                         ("Target transform: ", self.target_transform)):
            if t is not None:
                body += (label + repr(t)).splitlines()
        pad = " " * self._repr_indent
        return "\n".join([f"Dataset {type(self).__name__}"] + [pad + line for line in body])
