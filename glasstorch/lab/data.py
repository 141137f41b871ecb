"""Data for the Lab, as NumPy arrays: only what ships (the MNIST subset, The Time Machine) and
scikit-learn's bundled `load_digits`. Lab.mnist/digits wrap these into framework tensors."""
import functools
import os

import numpy as np

_ROOT = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")


@functools.lru_cache(maxsize=4)
def _mnist_arrays():
    from ..vision.datasets._idx import read_idx
    d = os.path.join(_ROOT, "mnist5k")
    return (read_idx(os.path.join(d, "train-images-idx3-ubyte.gz")),
            read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")),
            read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")),
            read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")))


def mnist(n_train=4000, n_test=1000, flat=True, raw=False):
    """The first n_train/n_test images of the bundled subset: float32 in [0, 1] (uint8 0-255 if
    raw), shape (N, 784) or (N, 1, 28, 28); labels int64."""
    xtr, ytr, xte, yte = _mnist_arrays()
    xtr, xte = xtr[:n_train], xte[:n_test]
    if not raw:
        xtr, xte = xtr.astype(np.float32) / 255, xte.astype(np.float32) / 255
    shape = (-1, 784) if flat else (-1, 1, 28, 28)
    return (xtr.reshape(shape), ytr[:n_train].astype(np.int64),
            xte.reshape(shape), yte[:n_test].astype(np.int64))


@functools.lru_cache(maxsize=4)
def digits(split=0.7, seed=0):
    """scikit-learn's 8x8 digits (1,797 images), pixels scaled to [0, 1], shuffled once by
    `seed` and split train/test: float32 (N, 64), int64 labels."""
    from sklearn.datasets import load_digits
    d = load_digits()
    order = np.random.default_rng(seed).permutation(len(d.target))
    x = (d.data[order] / 16).astype(np.float32)
    y = d.target[order].astype(np.int64)
    n = int(split * len(y))
    return x[:n], y[:n], x[n:], y[n:]


@functools.lru_cache(maxsize=1)
def timemachine():
    """The novel's text, lower-cased letters and spaces only (as the d2l book prepares it)."""
    import re
    with open(os.path.join(_ROOT, "timemachine", "timemachine.txt"), encoding="utf-8") as f:
        text = f.read()
    return re.sub("[^a-z]+", " ", text.lower()).strip()
