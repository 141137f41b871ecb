"""The shipped MNIST subset parses with the standard IDX loader; bad files give clear errors."""
import gzip
import hashlib
import os
import shutil

import numpy as np
import pytest

from glasstorch.vision.datasets import MNIST, read_idx
from glasstorch.vision.datasets.mnist import BUNDLED_MNIST

# sha256 of the decompressed-and-recompressed files as listed in data/mnist5k/README.md
SHA256 = {
    "train-images-idx3-ubyte.gz": "a96d7c78eb9ade0e926b65e8b9ba3c142e5e1336d5f9c10cb2dd218f0be15302",
    "train-labels-idx1-ubyte.gz": "588fd70c0d2dc4725ae7718f331fe88cff7986b2cfd16a7b350da1709badbf27",
    "t10k-images-idx3-ubyte.gz": "916878d099f99c55fe9304fe7c4d266f3494a6b7abce38e54c7b1abe46489019",
    "t10k-labels-idx1-ubyte.gz": "7a3e2b81e941703f15d8c19d40605d5d86ce4ee6cee3fec8880c2b7a877a144f",
}


@pytest.mark.parametrize("name", sorted(SHA256))
def test_shipped_files_are_the_documented_ones(name):
    with open(os.path.join(BUNDLED_MNIST, name), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == SHA256[name]


def test_bundled_splits():
    train, test = MNIST(train=True), MNIST(train=False)
    assert len(train) == 4000 and len(test) == 1000
    img, label = train[0]
    assert tuple(img.shape) == (28, 28) and str(img.dtype) == "torch.uint8"
    assert isinstance(label, int)
    assert np.bincount(train.targets.numpy()).tolist() == [400] * 10
    assert np.bincount(test.targets.numpy()).tolist() == [100] * 10
    assert abs(train.data.numpy().mean() / 255 - 0.1311) < 1e-3


def test_standard_layout_plain_and_gz(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in SHA256:
        src = os.path.join(BUNDLED_MNIST, name)
        if "labels" in name:  # one file uncompressed, as some mirrors ship them
            with gzip.open(src) as f, open(raw / name[:-3], "wb") as out:
                out.write(f.read())
        else:
            shutil.copy(src, raw / name)
    ds = MNIST(root=str(tmp_path), train=False)
    assert len(ds) == 1000
    np.testing.assert_array_equal(ds.targets.numpy(), MNIST(train=False).targets.numpy())


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found"):
        MNIST(root=str(tmp_path))
    bad = tmp_path / "x-idx1-ubyte"
    bad.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05abc")  # says 5 bytes, has 3
    with pytest.raises(ValueError, match="truncated or corrupt"):
        read_idx(str(bad))
    bad.write_bytes(b"PK\x03\x04junk")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(str(bad))
