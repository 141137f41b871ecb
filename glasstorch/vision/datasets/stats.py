"""compute_mean_std: the per-channel mean and std of a dataset's images, for Normalize.

    mean, std = compute_mean_std(MNIST(transform=ToTensor()))   # ~ (0.1311,), (0.3083,)

Images are taken as they come out of the dataset (sample[0] when samples are tuples): float
tensors (C, H, W) or (H, W) as they are, anything else (uint8 tensors, PIL images, HWC arrays)
through ToTensor, so raw uint8 data is measured in [0, 1]. Sums of x and x^2 are accumulated
in float64 per batch; std is the population std over all pixels of all images.
"""
from ...backend import xp as _xp
from ...tensor import Tensor, _make
from ...utils.data import DataLoader

__all__ = ["compute_mean_std"]


def _image_array(sample):
    from ..transforms.functional import to_tensor
    img = sample[0] if isinstance(sample, (tuple, list)) else sample
    if not (isinstance(img, Tensor) and img.is_floating_point()):
        img = to_tensor(img)
    arr = img._data
    return arr[None] if arr.ndim == 2 else arr


def _collate(samples):
    """The batch's images as a list of (N, C, H, W) arrays: one stack if all shapes agree."""
    arrays = [_image_array(s) for s in samples]
    if len({a.shape for a in arrays}) == 1:
        return [_xp.stack(arrays)]
    return [a[None] for a in arrays]


def compute_mean_std(dataset, batch_size=256, num_workers=0):
    """(mean, std): float32 tensors of shape (C,) over every pixel of every image."""
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers,
                        collate_fn=_collate)
    total = total_sq = None
    count = 0
    for batch in loader:
        for arr in batch:
            x = arr.astype(_xp.float64).swapaxes(0, 1).reshape(arr.shape[1], -1)
            s, sq = x.sum(axis=1), (x * x).sum(axis=1)
            if total is None:
                total, total_sq = s, sq
            elif len(s) != len(total):
                raise ValueError(f"images have {len(total)} and {len(s)} channels")
            else:
                total, total_sq = total + s, total_sq + sq
            count += x.shape[1]
    if not count:
        raise ValueError("compute_mean_std: the dataset is empty")
    mean = total / count
    std = _xp.sqrt(_xp.maximum(total_sq / count - mean * mean, 0.0))
    return _make(mean.astype(_xp.float32)), _make(std.astype(_xp.float32))
