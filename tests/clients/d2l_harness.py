"""Shared set-up for the d2l-en chapter tests (test_d2l_*.py): the data the chapters would
download, put where the unedited d2l library looks for it, and the output comparison.

The chapters run in `<tmp>/<framework>/work`; d2l's `DataModule.root` is `../data`, so:
- `data/FashionMNIST/raw/*.gz`: a stand-in for Fashion-MNIST in its IDX format, made of the
  first `n_train`/`n_val` images of the MNIST subset bundled with glasstorch (real 28x28
  grayscale images in ten classes; torchvision's loader finds the files and does not download).
  Fewer images than the real 60,000/10,000: the data-source edit that keeps CI fast.
- `data/timemachine.txt`: The Time Machine bundled with glasstorch, byte for byte the file
  d2l downloads (its SHA-1, 090b5e7e..., is the one d2l checks), so nothing is edited.
"""
import gzip
import os
import re
import shutil
import struct

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "glasstorch", "data")
FLOAT = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, np.uint8).tobytes())


def fashion_mnist_stand_in(data_root, n_train=512, n_val=256):
    raw = os.path.join(data_root, "FashionMNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    for split, n in (("train", n_train), ("t10k", n_val)):
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{split}-{kind}-ubyte.gz"
            _write_idx(os.path.join(raw, name), _read_idx(os.path.join(DATA, "mnist5k", name))[:n])


def setup_data(fw_root, n_train=512, n_val=256):
    """`fw_root/data` filled as above; returns the working directory `fw_root/work`."""
    data = os.path.join(fw_root, "data")
    fashion_mnist_stand_in(data, n_train, n_val)
    shutil.copy(os.path.join(DATA, "timemachine", "timemachine.txt"), data)
    work = os.path.join(fw_root, "work")
    os.makedirs(work, exist_ok=True)
    return work


def run_chapter(chapter, tmp_path, n_train=512, n_val=256, timeout=900):
    """Run d2l/<chapter>.py on glasstorch and on torch (shared random stream); both outputs."""
    from test_clients import run          # tests/clients is on sys.path (no __init__.py)
    out = {}
    for fw in ("glasstorch", "torch"):
        work = setup_data(str(tmp_path / fw), n_train, n_val)
        out[fw] = run(fw, f"d2l/{chapter}.py", cwd=work, timeout=timeout)
    return out["glasstorch"], out["torch"]


def normalized(text):
    """Output lines with framework names unified and memory addresses dropped; numbers apart."""
    lines, numbers = [], []
    for line in text.splitlines():
        if line.startswith("id(") or "memory at 0x" in line or " at 0x" in line:
            continue
        line = line.replace("glasstorch.tensor.Tensor", "torch.Tensor").replace(
            "glasstorch", "torch")
        numbers += [float(x) for x in FLOAT.findall(line)]
        lines.append(FLOAT.sub("#", line))
    return lines, numbers


def assert_same_output(g, t, rel=1e-6, abs=1e-6):
    (lg, ng), (lt, nt) = normalized(g), normalized(t)
    assert lg == lt, "\n".join(a + "  |  " + b for a, b in zip(lg, lt) if a != b)
    assert ng == pytest.approx(nt, rel=rel, abs=abs)
