"""Metrics of scores against binary (or one-vs-rest) targets: ROC and AUROC,
PrecisionRecallCurve and AveragePrecision, and the one-call forms roc_curve, roc_auc_score,
precision_recall_curve, average_precision_score (scikit-learn's definitions, ties included).

Curves need every score, so these metrics keep the scores themselves and sort them once in
`compute`.
"""
import math
import warnings

from ...backend import xp as _xp
from ...tensor import _make
from ._base import Metric, UndefinedMetricWarning, _array, _as_labels, _check_range, _once

__all__ = ["ROC", "AUROC", "PrecisionRecallCurve", "AveragePrecision", "roc_curve", "roc_auc_score",
           "precision_recall_curve", "average_precision_score"]


# ---- classification from scores: curves and areas under them -------------------------------

class _ScoreCurve(Metric):
    """Keeps every (score, label) pair: curves need all distinct thresholds to be exact."""

    multiclass = False

    def reset(self):
        self._scores, self._target = [], []

    def update(self, preds, target):
        s = _array(preds).astype(_xp.float64)      # a copy: later in-place edits can't leak in
        t = _as_labels(_array(target), "target").ravel()
        if self.multiclass and s.ndim == 2 and s.shape[1] > 1 and s.shape[0] == t.size:
            _check_range(t, s.shape[1], "target labels")
        elif s.size == t.size:
            s = s.ravel()
            _check_range(t, 2, "binary target labels")
        else:
            raise ValueError(f"scores of shape {tuple(s.shape)} do not fit target of shape "
                             f"{tuple(_array(target).shape)}: expected one score per sample"
                             + (" or (N, C) class scores" if self.multiclass else ""))
        if self._scores and s.shape[1:] != self._scores[0].shape[1:]:
            raise ValueError(f"scores of shape {tuple(s.shape)} do not match earlier batches")
        self._scores.append(s)
        self._target.append(t)

    def _data(self):
        if not self._scores:
            self._require(0)
        return _xp.concatenate(self._scores), _xp.concatenate(self._target)

    def _binary_or_ovr(self, binary_metric, average):
        """binary_metric on 1-D scores; one-vs-rest per class on (N, C) scores, averaged."""
        s, t = self._data()
        if s.ndim == 1:
            return binary_metric(t, s)
        onehot = (t[:, None] == _xp.arange(s.shape[1])).astype(_xp.int64)
        if average == "micro":
            return binary_metric(onehot.ravel(), s.ravel())
        score = _xp.array([binary_metric(onehot[:, c], s[:, c]) for c in range(s.shape[1])])
        if average is None:
            return _make(score)
        weights = onehot.sum(axis=0) if average == "weighted" else None
        if weights is not None:
            score[weights == 0] = 0.0          # sklearn: absent classes can't add NaN
        return float(_xp.average(score, weights=weights))


def _threshold_counts(y, s):
    """(fps, tps, thresholds): false/true positives when predicting 1 for score >= each
    distinct threshold, highest threshold first (sklearn's confusion_matrix_at_thresholds)."""
    order = _xp.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    # one threshold per run of tied scores: the counts at the run's last sample
    idx = _xp.concatenate([_xp.flatnonzero(_xp.diff(s)), [y.size - 1]])
    tps = _xp.cumsum(y, dtype=_xp.float64)[idx]
    return 1 + idx - tps, tps, s[idx]


def _roc(y, s, drop_intermediate=True):
    fps, tps, thresholds = _threshold_counts(y, s)
    if drop_intermediate and fps.size > 2:
        # points on a straight segment between their neighbours do not change the curve
        keep = _xp.concatenate([[True], (_xp.diff(fps, 2) != 0) | (_xp.diff(tps, 2) != 0),
                                [True]])
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    fps, tps = _xp.concatenate([[0.0], fps]), _xp.concatenate([[0.0], tps])
    thresholds = _xp.concatenate([[_xp.inf], thresholds])

    def rate(counts, kind):
        if counts[-1] > 0:
            return counts / counts[-1]
        warnings.warn(f"No {kind} samples in target: the rate is undefined (nan)",
                      UndefinedMetricWarning, stacklevel=4)
        return _xp.full(counts.shape, _xp.nan)
    return rate(fps, "negative"), rate(tps, "positive"), thresholds


def _roc_auc(y, s):
    if y.min() == y.max():
        warnings.warn("Only one class is present in target: ROC AUC is not defined (nan)",
                      UndefinedMetricWarning, stacklevel=3)
        return math.nan
    fpr, tpr, _ = _roc(y, s)
    return float(_xp.trapezoid(tpr, fpr))


def _pr(y, s):
    fps, tps, thresholds = _threshold_counts(y, s)
    precision = tps / (tps + fps)              # tps + fps >= 1: every threshold admits a sample
    if tps[-1] == 0:
        warnings.warn("No positive class found in target, recall is set to one for all "
                      "thresholds.", UndefinedMetricWarning, stacklevel=3)
        recall = _xp.ones_like(tps)
    else:
        recall = tps / tps[-1]
    # sklearn's order: recall decreasing, ending at (recall 0, precision 1)
    return (_xp.concatenate([precision[::-1], [1.0]]), _xp.concatenate([recall[::-1], [0.0]]),
            thresholds[::-1].copy())


def _average_precision(y, s):
    """sum_n (R_n - R_{n-1}) P_n: precision at each threshold weighted by the recall gained
    (no interpolation; sklearn's definition)."""
    precision, recall, _ = _pr(y, s)
    return max(0.0, float(-_xp.sum(_xp.diff(recall) * precision[:-1])))


class ROC(_ScoreCurve):
    """Binary ROC curve: compute() returns Tensors (fpr, tpr, thresholds), thresholds
    decreasing from inf; collinear points are dropped (drop_intermediate, as sklearn).
    preds are scores or probabilities of class 1, target labels 0/1."""

    def __init__(self, drop_intermediate=True):
        self.drop_intermediate = drop_intermediate
        super().__init__()

    def compute(self):
        s, t = self._data()
        return tuple(_make(a) for a in _roc(t, s, self.drop_intermediate))


class AUROC(_ScoreCurve):
    """Area under the ROC curve. Binary: preds (N,) scores of class 1. Multiclass: (N, C)
    probabilities, one-vs-rest AUC per class averaged by `average` ('macro', 'weighted' by
    support, 'micro' over all (sample, class) pairs, or None for a per-class Tensor).
    A class that is always or never the target has no AUC: nan with a warning."""

    multiclass = True

    def __init__(self, average="macro"):
        if average not in ("macro", "weighted", "micro", None):
            raise ValueError(f"average must be 'macro', 'weighted', 'micro' or None, got "
                             f"{average!r}")
        self.average = average
        super().__init__()

    def compute(self):
        return self._binary_or_ovr(_roc_auc, self.average)


class PrecisionRecallCurve(_ScoreCurve):
    """Binary precision-recall curve: compute() returns Tensors (precision, recall,
    thresholds) as sklearn orders them (thresholds increasing, a final point (1, 0))."""

    def compute(self):
        s, t = self._data()
        return tuple(_make(a) for a in _pr(t, s))


class AveragePrecision(AUROC):
    """Area under the precision-recall curve as average precision, sum_n (R_n - R_{n-1}) P_n.
    Binary (N,) scores, or (N, C) scores averaged one-vs-rest like AUROC."""

    def compute(self):
        return self._binary_or_ovr(_average_precision, self.average)


def roc_curve(preds, target, drop_intermediate=True):
    """(fpr, tpr, thresholds) Tensors of a binary ROC curve (see ROC)."""
    return _once(ROC(drop_intermediate), preds, target)


def roc_auc_score(preds, target, average="macro"):
    """Area under the ROC curve, binary or one-vs-rest multiclass (see AUROC).

    >>> roc_auc_score([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75
    """
    return _once(AUROC(average), preds, target)


def precision_recall_curve(preds, target):
    """(precision, recall, thresholds) Tensors of a binary PR curve."""
    return _once(PrecisionRecallCurve(), preds, target)


def average_precision_score(preds, target, average="macro"):
    """Average precision (area under the PR curve; see AveragePrecision)."""
    return _once(AveragePrecision(average), preds, target)
