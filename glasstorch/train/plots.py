"""Training plots saved as PNG files: loss/metric curves per epoch, a confusion matrix and a
learning-rate schedule. Each function returns the path it wrote.

    plot_history({"loss": [...], "val_loss": [...], "accuracy": [...]}, "history.png")

matplotlib is optional (`pip install 'glasstorch[plot]'`) and imported only when a plot is
drawn. Figures render through the Agg canvas directly, never pyplot, so no window opens and
the caller's matplotlib backend and open figures are untouched.
"""
import math
import os

from ..backend import xp as _xp
from ..tensor import Tensor

__all__ = ["plot_history", "plot_confusion_matrix", "plot_lr_schedule"]

_VALIDATION = ("val_", "valid_", "validation_")
_NOT_METRICS = ("epoch", "metrics", "lr", "time", "throughput")   # Trainer History bookkeeping


def _figure(width, height):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError("glasstorch.train plots need matplotlib: pip install "
                          "'glasstorch[plot]' (or pip install matplotlib)") from e
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path, dpi):
    path = os.fspath(path)
    fig.savefig(path, dpi=dpi, format="png")
    return path


def _host(x):
    return x._data if isinstance(x, Tensor) else _xp.asarray(x)


def _series(history, metrics):
    """{metric: {"train": values, "validation": values}} from per-epoch records: a dict of
    lists (Keras names: 'loss', 'val_loss', 'train_acc'), a list of per-epoch dicts (a
    Trainer History; its nested 'metrics' dict is read too), or an object with `.history`."""
    history = getattr(history, "history", history)
    if isinstance(history, (list, tuple)):
        merged = {}
        for epoch in history:
            for name, value in {**epoch, **epoch.get("metrics", {})}.items():
                merged.setdefault(name, []).append(value)
        history = merged
    series = {}
    for name, values in history.items():
        split, metric = "train", name
        if name.startswith("train_"):
            metric = name[len("train_"):]
        for prefix in _VALIDATION:
            if name.startswith(prefix):
                split, metric = "validation", name[len(prefix):]
        if metric in _NOT_METRICS or (metrics is not None and metric not in metrics):
            continue
        if all(v is None for v in values):
            continue                    # e.g. val_loss of a run without validation
        series.setdefault(metric, {})[split] = [math.nan if v is None else float(v)
                                                for v in values]
    return series


def plot_history(history, path, metrics=None, title=None, dpi=100):
    """One subplot per metric (loss first), train and validation values per epoch.

    Args:
        history: {'loss': [...], 'val_loss': [...], 'accuracy': [...], ...}, a list of
            per-epoch dicts such as Trainer.fit's History, or an object with a `.history`
            dict. 'val_'/'valid_'/'validation_' mark validation values; 'train_' is optional.
        path: the PNG file to write.
        metrics: the metric names to draw (without prefixes), default all.
    Returns:
        str: path.
    """
    series = _series(history, metrics)
    if not series:
        raise ValueError("plot_history found no metric values to plot in history")
    names = sorted(series, key=lambda name: name != "loss")     # loss first, then as given
    fig = _figure(4.5 * len(names), 3.5)
    from matplotlib.ticker import MaxNLocator      # importable: _figure found matplotlib
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        for split, values in series[name].items():
            epochs = range(1, len(values) + 1)
            ax.plot(epochs, values, marker="o", markersize=3, label=split)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path, dpi)


def plot_confusion_matrix(cm, path, class_names=None, title="Confusion matrix", dpi=100):
    """A heat map with the value in each cell (rows true class, columns predicted).

    Args:
        cm: (C, C) counts or normalized rates: a Tensor, array, or ConfusionMatrix metric.
        path: the PNG file to write.
        class_names: C tick labels (default 0..C-1).
    Returns:
        str: path.
    """
    if hasattr(cm, "compute"):
        cm = cm.compute()
    cm = _host(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"a confusion matrix is square (C, C), got shape {tuple(cm.shape)}")
    C = cm.shape[0]
    names = [str(c) for c in (class_names if class_names is not None else range(C))]
    if len(names) != C:
        raise ValueError(f"class_names has {len(names)} names for {C} classes")
    size = 2.5 + 0.5 * C
    fig = _figure(size + 1, size)
    ax = fig.subplots()
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax)
    ax.set(xticks=range(C), yticks=range(C), xticklabels=names, yticklabels=names,
           xlabel="predicted", ylabel="true", title=title)
    integral = cm.dtype.kind in "iub"
    middle = (cm.max() + cm.min()) / 2
    for i in range(C):
        for j in range(C):
            text = f"{cm[i, j]:d}" if integral else f"{cm[i, j]:.2f}"
            # white on dark cells, black on light ones
            ax.text(j, i, text, ha="center", va="center",
                    color="white" if cm[i, j] > middle else "black")
    return _save(fig, path, dpi)


def plot_lr_schedule(lrs, path, log_scale=False, title="Learning rate", dpi=100):
    """Learning rate per step: a list of floats, or per-step lists (one value per param
    group, e.g. collected from `scheduler.get_last_lr()` after each step).

    Returns:
        str: path.
    """
    lrs = _xp.asarray([_host(lr) for lr in lrs], dtype=_xp.float64)
    if lrs.ndim == 1:
        lrs = lrs[:, None]
    if lrs.ndim != 2 or lrs.shape[0] == 0:
        raise ValueError("lrs must be a non-empty list of floats or of per-group lists")
    fig = _figure(6, 3.5)
    ax = fig.subplots()
    for g in range(lrs.shape[1]):
        ax.plot(range(len(lrs)), lrs[:, g], label=f"group {g}")
    if lrs.shape[1] > 1:
        ax.legend()
    if log_scale:
        ax.set_yscale("log")
    ax.set(xlabel="step", ylabel="lr", title=title)
    ax.grid(alpha=0.3)
    return _save(fig, path, dpi)
