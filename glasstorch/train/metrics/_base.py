"""What every metric shares: the `Metric` protocol (update / compute / reset), reading
predictions and targets as host arrays, labels from scores, and scikit-learn's
UndefinedMetricWarning. Read classification.py next.
"""
import math

from ...backend import xp as _xp
from ...tensor import Tensor

__all__ = ["Metric", "UndefinedMetricWarning"]

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


class UndefinedMetricWarning(UserWarning):
    """A score is ill-defined (a division by zero) and was replaced, as scikit-learn warns."""


def _array(x):
    """A host array view of a Tensor (detached), array or nested list."""
    return x._data if isinstance(x, Tensor) else _xp.asarray(x)


def _as_labels(a, name):
    if a.dtype.kind in "biu":
        return a.astype(_xp.int64)
    if a.dtype.kind == "f" and bool((a == _xp.floor(a)).all()):
        return a.astype(_xp.int64)     # 0./1. targets from a BCE pipeline are labels too
    raise ValueError(f"{name} must hold integer class labels, got dtype {a.dtype}")


def _class_last(scores):
    """(N, C, d1, ...) -> (N * d1 * ..., C): one row of class scores per prediction."""
    return _xp.moveaxis(scores, 1, -1).reshape(-1, scores.shape[1])


def _is_scores(p, t):
    """Whether p holds class scores for targets t: (N, C, d1, ...) against (N, d1, ...)."""
    return p.ndim == t.ndim + 1 and p.shape[1] > 1 and p.shape[:1] + p.shape[2:] == t.shape


def _one_column(p, t):
    """(N, 1, ...) outputs (a sigmoid head) as (N, ...) probabilities of class 1."""
    return p.squeeze(1) if p.ndim == t.ndim + 1 and p.shape[1] == 1 else p


def _labels(preds, target, threshold):
    """Flat (predicted, true) int64 labels from labels, probabilities or class scores."""
    t = _as_labels(_array(target), "target")
    p = _one_column(_array(preds), t)
    if _is_scores(p, t):
        p = _class_last(p).argmax(axis=1)   # ties go to the lowest class index, as torch.argmax
    elif p.shape != t.shape:
        raise ValueError(f"preds of shape {tuple(p.shape)} do not fit target of shape "
                         f"{tuple(t.shape)}: expected labels or probabilities of the same "
                         "shape, or class scores with an extra class dim at dim 1")
    elif p.dtype.kind == "f":
        p = p > threshold                   # probabilities; for logits pass threshold=0.0
    else:
        p = _as_labels(p, "preds")
    return p.astype(_xp.int64).ravel(), t.ravel()


def _check_range(labels, num_classes, what):
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{what} must lie in [0, {num_classes}), got labels from "
                         f"{labels.min()} to {labels.max()}")


def _nanaverage(a, weights=None):
    """Weighted mean ignoring NaNs; all-zero weights fall back to a plain mean (sklearn)."""
    keep = ~_xp.isnan(a)
    if not keep.any():
        return math.nan
    if weights is None or weights[keep].sum() == 0:
        return float(a[keep].mean())
    return float(_xp.average(a[keep], weights=weights[keep]))


class Metric:
    """Base class: `reset()` clears the state, `update(preds, target)` adds a batch,
    `compute()` returns the metric over everything since the last reset."""

    def __init__(self):
        self.reset()

    def reset(self):
        raise NotImplementedError

    def update(self, preds, target):
        raise NotImplementedError

    def compute(self):
        raise NotImplementedError

    def _require(self, n):
        if n == 0:
            raise RuntimeError(f"{type(self).__name__}.compute() needs at least one sample: "
                               "call update() first")


def _once(metric, preds, target):
    metric.update(preds, target)
    return metric.compute()
