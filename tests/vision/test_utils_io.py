"""glasstorch.vision.utils (make_grid, save_image) and glasstorch.vision.io (read_image), and
torch's module paths under glasstorch.nn.modules."""
import importlib

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.vision.io import ImageReadMode, read_image
from glasstorch.vision.utils import make_grid, save_image


def test_make_grid_layout():
    x = gt.arange(5 * 1 * 2 * 3, dtype=gt.float32).reshape(5, 1, 2, 3) + 1
    g = make_grid(x, nrow=2, padding=1, pad_value=-1)
    # 2 per row, 3 rows; each cell (2+1) x (3+1) plus one padding row/column at the start
    assert g.shape == (3, 3 * 3 + 1, 2 * 4 + 1)
    a = g.numpy()
    assert (a[0] == a[1]).all() and (a[0] == a[2]).all()        # gray repeated to 3 channels
    assert (a[0, 1:3, 1:4] == x[0, 0].numpy()).all()
    assert (a[0, 1:3, 5:8] == x[1, 0].numpy()).all()
    assert (a[0, 7:9, 1:4] == x[4, 0].numpy()).all()
    assert (a[0, 7:9, 5:8] == -1).all() and (a[:, 0] == -1).all()  # the empty last cell
    single = make_grid(x[:1])
    assert single.shape == (3, 2, 3)


def test_make_grid_normalize_and_list_input():
    x = gt.tensor([[[[0.0, 2.0]]], [[[4.0, 8.0]]]])
    g = make_grid(x, normalize=True, padding=0)
    np.testing.assert_allclose(g.numpy()[0], [[0, 0.25, 0.5, 1]])
    g = make_grid(x, normalize=True, scale_each=True, padding=0)
    np.testing.assert_allclose(g.numpy()[0], [[0, 1, 0, 1]])
    g = make_grid([x[0], x[1]], normalize=True, value_range=(0.0, 4.0), padding=0)
    np.testing.assert_allclose(g.numpy()[0], [[0, 0.5, 1, 1]])
    assert x[1, 0, 0, 1].item() == 8.0                          # the input is untouched
    with pytest.raises(TypeError, match="value_range"):
        make_grid(x, normalize=True, value_range=[0, 1])


def test_save_image_then_read_image(tmp_path):
    pytest.importorskip("PIL")
    x = gt.rand(2, 3, 4, 5, generator=gt.Generator().manual_seed(0))
    path = tmp_path / "grid.png"
    save_image(x, path, nrow=2, padding=0)
    img = read_image(str(path))
    assert img.dtype == gt.uint8 and img.shape == (3, 4, 10)
    expected = np.clip(x.numpy() * 255 + 0.5, 0, 255).astype(np.uint8)
    assert (img.numpy()[:, :, :5] == expected[0]).all()
    assert (img.numpy()[:, :, 5:] == expected[1]).all()
    gray = read_image(str(path), ImageReadMode.GRAY)
    assert gray.shape == (1, 4, 10)


@pytest.mark.parametrize("name", ["activation", "batchnorm", "container", "conv", "distance",
                                  "dropout", "flatten", "fold", "instancenorm", "linear",
                                  "loss", "module", "normalization", "padding", "pixelshuffle",
                                  "pooling", "rnn", "sparse", "transformer", "upsampling"])
def test_nn_modules_paths_mirror_torch(name):
    ours = importlib.import_module(f"glasstorch.nn.modules.{name}")
    theirs = importlib.import_module(f"torch.nn.modules.{name}")
    for cls in getattr(theirs, "__all__", []):
        if hasattr(gt.nn, cls):      # what glasstorch has is found at torch's path
            assert getattr(ours, cls) is getattr(gt.nn, cls), f"{name}.{cls}"
