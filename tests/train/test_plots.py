"""glasstorch.train.plots: each plot writes a valid PNG (skipped without matplotlib), leaves
pyplot alone, and says which extra to install when matplotlib is missing."""
import builtins
import sys

import numpy as np
import pytest

import glasstorch as gt
import glasstorch.train.plots as gp
from glasstorch.train.metrics import ConfusionMatrix

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _check_png(path, expected):
    mpimg = pytest.importorskip("matplotlib.image")
    assert path == str(expected)
    assert expected.read_bytes()[:8] == PNG_MAGIC
    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
    assert image.std() > 0           # something was drawn


HISTORIES = {
    "keras_dict": {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7],
                   "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.7]},
    "train_prefix": {"train_loss": [1.0, 0.5], "valid_loss": [1.2, 0.9], "mae": [3.0, 2.0]},
    "trainer_history": [{"epoch": e, "train_loss": 1 / e, "val_loss": None, "lr": 0.1,
                         "time": 1.0, "metrics": {"train_acc": 0.5 + e / 10,
                                                  "val_acc": 0.4 + e / 10}}
                        for e in range(1, 5)],
}


@pytest.mark.parametrize("name", list(HISTORIES))
def test_plot_history(name, tmp_path):
    pytest.importorskip("matplotlib")
    path = gp.plot_history(HISTORIES[name], tmp_path / "history.png", title=name)
    _check_png(path, tmp_path / "history.png")


def test_history_series_split_train_and_validation():
    series = gp._series(HISTORIES["trainer_history"], None)
    assert list(series) == ["loss", "acc"]          # lr/time/epoch are not metrics
    assert list(series["loss"]) == ["train"]         # all-None val_loss is left out
    assert series["acc"]["validation"] == pytest.approx([0.5, 0.6, 0.7, 0.8])
    assert list(gp._series(HISTORIES["keras_dict"], ["accuracy"])) == ["accuracy"]


@pytest.mark.parametrize("normalize", [None, "true"])
def test_plot_confusion_matrix(normalize, tmp_path):
    pytest.importorskip("matplotlib")
    cm = ConfusionMatrix(3, normalize=normalize)
    cm.update(gt.tensor([0, 1, 2, 2, 1]), gt.tensor([0, 2, 2, 1, 1]))
    path = gp.plot_confusion_matrix(cm, tmp_path / "cm.png", class_names=["a", "b", "c"])
    _check_png(path, tmp_path / "cm.png")
    path = gp.plot_confusion_matrix(np.eye(2, dtype=np.int64), str(tmp_path / "eye.png"))
    _check_png(path, tmp_path / "eye.png")


@pytest.mark.parametrize("lrs,log_scale", [([0.1 * 0.9 ** i for i in range(50)], True),
                                           ([[0.1, 0.01]] * 5 + [[0.05, 0.005]] * 5, False)])
def test_plot_lr_schedule(lrs, log_scale, tmp_path):
    pytest.importorskip("matplotlib")
    path = gp.plot_lr_schedule(lrs, tmp_path / "lr.png", log_scale=log_scale)
    _check_png(path, tmp_path / "lr.png")


def test_plots_leave_pyplot_alone(tmp_path):
    pytest.importorskip("matplotlib")
    gp.plot_lr_schedule([0.1, 0.2], tmp_path / "lr.png")
    assert "matplotlib.pyplot" not in sys.modules or not sys.modules["matplotlib.pyplot"] \
        .get_fignums()


@pytest.mark.parametrize("call,err", [
    (lambda p: gp.plot_history({"epoch": [1, 2]}, p), "no metric"),
    (lambda p: gp.plot_confusion_matrix(np.zeros((2, 3)), p), "square"),
    (lambda p: gp.plot_confusion_matrix(np.zeros((2, 2)), p, class_names=["a"]), "1 names"),
    (lambda p: gp.plot_lr_schedule([], p), "non-empty"),
])
def test_plot_errors(call, err, tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match=err):
        call(tmp_path / "x.png")


def test_missing_matplotlib_names_the_plot_extra(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"glasstorch\[plot\]"):
        gp.plot_lr_schedule([0.1], tmp_path / "lr.png")
