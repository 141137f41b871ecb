"""Evaluation metrics: streaming classes (`update` per batch, `compute`, `reset`) and one-call
functions with scikit-learn's names and definitions (the oracle in tests/train/test_metrics.py).

    acc = Accuracy()
    for x, y in loader:
        acc.update(model(x), y)      # logits, probabilities or labels; Tensors or NumPy arrays
    acc.compute()                    # == accuracy(all_logits, all_targets)
    acc.reset()                      # before the next epoch

Each metric keeps sufficient statistics (counts, sums, a confusion matrix) or, for curves, the
scores themselves, so streaming equals computing on the concatenated batches. Inputs are read
as host arrays in float64 and never recorded by autograd. Scalars come back as Python floats,
arrays (confusion matrices, curves, per-class scores) as glasstorch Tensors.
Class scores sit on dim 1, as for cross_entropy: (N, C) or (N, C, d1, ...); Perplexity alone
takes language-model logits (..., V), class last. Read selection.py and plots.py next.
"""
import math
import warnings

from ..backend import xp as _xp
from ..tensor import Tensor, _make

__all__ = ["Metric", "UndefinedMetricWarning", "Accuracy", "ConfusionMatrix", "Precision",
           "Recall", "F1Score", "ROC", "AUROC", "PrecisionRecallCurve", "AveragePrecision",
           "MeanSquaredError", "MeanAbsoluteError", "R2Score", "LogLoss", "Perplexity",
           "accuracy", "confusion_matrix", "precision", "recall", "f1_score", "roc_curve",
           "roc_auc_score", "precision_recall_curve", "average_precision_score",
           "mean_squared_error", "mean_absolute_error", "r2_score", "log_loss", "perplexity"]

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


# ---- classification from labels -------------------------------------------------------------

class Accuracy(Metric):
    """Fraction of correct predictions.

    Args:
        top_k: with class scores, a prediction is correct when the target is among the k
            highest scores (ties go to the lower class index).
        threshold: probabilities of the target's shape count as class 1 when > threshold.

    >>> acc = Accuracy()
    >>> acc.update([[2.0, 1.0], [0.0, 3.0]], [0, 0]); acc.update([1, 1], [1, 0])
    >>> acc.compute()
    0.5
    """

    def __init__(self, top_k=1, threshold=0.5):
        if top_k < 1:
            raise ValueError(f"top_k must be a positive integer, got {top_k}")
        self.top_k, self.threshold = top_k, threshold
        super().__init__()

    def reset(self):
        self.correct = self.total = 0

    def update(self, preds, target):
        if self.top_k == 1:
            p, t = _labels(preds, target, self.threshold)
            hit = p == t
        else:
            scores, t = _array(preds), _as_labels(_array(target), "target")
            if not _is_scores(scores, t) or scores.shape[1] < self.top_k:
                raise ValueError(f"top_k={self.top_k} needs class scores (N, C, ...) with "
                                 f"C >= {self.top_k}, got shape {tuple(scores.shape)}")
            top = _xp.argsort(-_class_last(scores), axis=1, kind="stable")[:, :self.top_k]
            hit = (top == t.reshape(-1, 1)).any(axis=1)
        self.correct += int(hit.sum())
        self.total += hit.size

    def compute(self):
        self._require(self.total)
        return self.correct / self.total


class ConfusionMatrix(Metric):
    """Counts C[i, j] of samples of true class i predicted as j (rows true, columns predicted).

    Args:
        num_classes: C; binary probabilities need num_classes=2.
        normalize: None (counts), 'true' (rows sum to 1), 'pred' (columns), 'all' (total);
            rows/columns without samples give 0, as in sklearn.
        threshold: probabilities of the target's shape count as class 1 when > threshold.
    """

    def __init__(self, num_classes, normalize=None, threshold=0.5):
        if normalize not in (None, "true", "pred", "all"):
            raise ValueError(f"normalize must be one of None, 'true', 'pred', 'all', got "
                             f"{normalize!r}")
        self.num_classes, self.normalize, self.threshold = num_classes, normalize, threshold
        super().__init__()

    def reset(self):
        self.counts = _xp.zeros((self.num_classes, self.num_classes), dtype=_xp.int64)

    def update(self, preds, target):
        p, t = _labels(preds, target, self.threshold)
        C = self.num_classes
        _check_range(p, C, "predicted labels")
        _check_range(t, C, "target labels")
        self.counts += _xp.bincount(t * C + p, minlength=C * C).reshape(C, C)

    def compute(self):
        cm = self.counts
        if self.normalize is not None:
            axis = {"true": 1, "pred": 0, "all": None}[self.normalize]
            with _xp.errstate(all="ignore"):
                cm = _xp.nan_to_num(cm / cm.sum(axis=axis, keepdims=True))
        return _make(cm.copy())


class _PrecisionRecallF1(Metric):
    """Shared state of Precision, Recall and F1Score: a confusion matrix."""

    def __init__(self, num_classes=None, average="binary", threshold=0.5,
                 zero_division="warn"):
        if average not in _AVERAGES:
            raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
        if average == "binary" and num_classes not in (None, 2):
            raise ValueError(f"average='binary' is for two classes, got num_classes="
                             f"{num_classes}; use 'macro', 'micro', 'weighted' or None")
        if not (zero_division == "warn" or zero_division in (0, 1)
                or (isinstance(zero_division, float) and math.isnan(zero_division))):
            raise ValueError("zero_division must be 'warn', 0, 1 or nan, got "
                             f"{zero_division!r}")
        self.num_classes = 2 if average == "binary" else num_classes
        self.average, self.threshold, self.zero_division = average, threshold, zero_division
        super().__init__()

    def reset(self):
        self._cm = None

    def update(self, preds, target):
        if self._cm is None:
            C = self.num_classes
            if C is None:
                p = _array(preds)
                if not _is_scores(p, _array(target)):
                    raise ValueError(f"average={self.average!r} with label predictions "
                                     "needs num_classes")
                C = self.num_classes = p.shape[1]
            self._cm = ConfusionMatrix(C, threshold=self.threshold)
        p, t = _labels(preds, target, self.threshold)
        if self.average == "binary" and ((p > 1) | (t > 1)).any():
            raise ValueError("average='binary' needs labels 0/1; for multiclass pass "
                             "average='macro', 'micro', 'weighted' or None")
        self._cm.update(p, t)

    def _divide(self, num, den, what):
        """num / den with sklearn's zero_division for the entries where den == 0."""
        zero = den == 0
        out = num / _xp.where(zero, 1, den).astype(_xp.float64)
        if zero.any():
            value = 0.0 if self.zero_division == "warn" else float(self.zero_division)
            out[zero] = value
            if self.zero_division == "warn":
                warnings.warn(f"{what} is ill-defined and being set to 0.0 for classes with "
                              "no samples. Use `zero_division` to control this behavior.",
                              UndefinedMetricWarning, stacklevel=3)
        return out

    def compute(self):
        if self._cm is None:
            self._require(0)
        cm = self._cm.counts
        tp, pred_sum, true_sum = _xp.diag(cm), cm.sum(axis=0), cm.sum(axis=1)
        if self.average == "binary":
            tp, pred_sum, true_sum = tp[1:], pred_sum[1:], true_sum[1:]
        elif self.average == "micro":
            tp, pred_sum, true_sum = (a.sum(keepdims=True) for a in (tp, pred_sum, true_sum))
        score = self._score(tp, pred_sum, true_sum)
        if self.average is None:
            return _make(score)
        return _nanaverage(score, true_sum if self.average == "weighted" else None)


class Precision(_PrecisionRecallF1):
    """tp / (tp + fp): of the samples predicted as a class, the fraction that belong to it.

    Args:
        num_classes: C (read from (N, C) scores when omitted); 2 for average='binary'.
        average: 'binary' (class 1 only), 'micro' (global counts), 'macro' (unweighted mean
            over classes), 'weighted' (weighted by class support) or None (per-class Tensor).
        threshold: probabilities of the target's shape count as class 1 when > threshold.
        zero_division: the value of 0/0 scores: 'warn' (0 with a warning), 0, 1 or nan
            (nan scores are left out of the average), as in sklearn.
    """

    def _score(self, tp, pred_sum, true_sum):
        return self._divide(tp, pred_sum, "Precision")


class Recall(_PrecisionRecallF1):
    """tp / (tp + fn): the fraction of each class's samples that were found. Arguments as
    Precision."""

    def _score(self, tp, pred_sum, true_sum):
        return self._divide(tp, true_sum, "Recall")


class F1Score(_PrecisionRecallF1):
    """Harmonic mean of precision and recall, 2 tp / (2 tp + fp + fn). Arguments as
    Precision."""

    def _score(self, tp, pred_sum, true_sum):
        return self._divide(2 * tp, pred_sum + true_sum, "F-score")


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


class LogLoss(Metric):
    """Mean negative log-likelihood -mean(log p[target]) of probabilities: (N,) of class 1,
    or (N, C, ...) with rows summing to 1. As sklearn, probabilities are clipped to
    [eps, 1 - eps] with eps the resolution of their dtype, so log(0) stays finite."""

    def reset(self):
        self.total, self.count = 0.0, 0

    def update(self, preds, target):
        t = _as_labels(_array(target), "target")
        p = _one_column(_array(preds), t)
        if p.dtype.kind != "f":
            p = p.astype(_xp.float64)
        if _is_scores(p, t):
            p = _class_last(p)
        elif p.shape == t.shape:
            p = _xp.stack([1 - p.ravel(), p.ravel()], axis=1)
        else:
            raise ValueError(f"probabilities of shape {tuple(p.shape)} do not fit target of "
                             f"shape {tuple(t.shape)}: expected (N, C, ...) rows of class "
                             "probabilities or one probability of class 1 per sample")
        t = t.ravel()
        _check_range(t, p.shape[1], "target labels")
        eps = _xp.finfo(p.dtype).eps
        picked = _xp.clip(p[_xp.arange(t.size), t], eps, 1 - eps)
        self.total -= float(_xp.log(picked.astype(_xp.float64)).sum())
        self.count += t.size

    def compute(self):
        self._require(self.count)
        return self.total / self.count


class Perplexity(Metric):
    """exp(mean cross-entropy per token). update(logits, target) takes language-model logits
    (..., V) with the vocabulary last and targets (...), skipping tokens equal to
    ignore_index; update_loss(loss, num_tokens) adds an already-computed mean loss.

    >>> ppl = Perplexity()
    >>> ppl.update_loss(math.log(4.0), num_tokens=10)
    >>> round(ppl.compute(), 6)
    4.0
    """

    def __init__(self, ignore_index=-100):
        self.ignore_index = ignore_index
        super().__init__()

    def reset(self):
        self.total, self.count = 0.0, 0

    def update(self, preds, target):
        z, t = _array(preds), _as_labels(_array(target), "target")
        if z.shape[:-1] != t.shape:
            raise ValueError(f"logits of shape {tuple(z.shape)} do not fit target of shape "
                             f"{tuple(t.shape)}: expected (..., V) and (...)")
        z, t = z.reshape(-1, z.shape[-1]).astype(_xp.float64), t.ravel()
        keep = t != self.ignore_index
        z, t = z[keep], t[keep]
        _check_range(t, z.shape[1], "target tokens")
        z = z - z.max(axis=1, keepdims=True)       # log-sum-exp shift: exp can't overflow
        nll = _xp.log(_xp.exp(z).sum(axis=1)) - z[_xp.arange(t.size), t]
        self.total += float(nll.sum())
        self.count += t.size

    def update_loss(self, loss, num_tokens=1):
        """Add a mean cross-entropy `loss` (Tensor or float) computed over num_tokens."""
        self.total += float(_array(loss)) * num_tokens
        self.count += num_tokens

    def compute(self):
        self._require(self.count)
        return math.exp(self.total / self.count)


# ---- regression ------------------------------------------------------------------------------

def _pair(preds, target):
    p, t = _array(preds).astype(_xp.float64), _array(target).astype(_xp.float64)
    if p.shape != t.shape:
        if p.squeeze().shape != t.squeeze().shape:      # (N, 1) outputs vs (N,) targets
            raise ValueError(f"preds of shape {tuple(p.shape)} do not match target of shape "
                             f"{tuple(t.shape)}")
        p = p.reshape(t.shape)
    return p, t


class _ColumnMean(Metric):
    """Per-output-column sums of an error over the rows of (N,) or (N, D) targets."""

    def reset(self):
        self.total, self.count = 0.0, 0

    def update(self, preds, target):
        p, t = _pair(preds, target)
        if t.shape[0]:
            self.total = self.total + self._error(p - t).reshape(t.shape[0], -1).sum(axis=0)
            self.count += t.shape[0]

    def _columns(self):
        self._require(self.count)
        return self.total / self.count


class MeanSquaredError(_ColumnMean):
    """mean((preds - target)^2); squared=False gives the root mean squared error, taken per
    output column and then averaged (sklearn's root_mean_squared_error)."""

    def __init__(self, squared=True):
        self.squared = squared
        super().__init__()

    def _error(self, diff):
        return diff ** 2

    def compute(self):
        mse = self._columns()
        return float((mse if self.squared else _xp.sqrt(mse)).mean())


class MeanAbsoluteError(_ColumnMean):
    """mean(|preds - target|) over all elements."""

    def _error(self, diff):
        return _xp.abs(diff)

    def compute(self):
        return float(self._columns().mean())


class R2Score(Metric):
    """Coefficient of determination 1 - SS_res / SS_tot per output column (target (N,) or
    (N, D)), combined by multioutput: 'uniform_average', 'variance_weighted' or 'raw_values'.
    As sklearn: a perfect fit scores 1 and a constant target otherwise 0 (never -inf).
    SS_tot streams with Chan et al.'s pairwise update of (count, mean, M2), which avoids the
    cancellation of sum(y^2) - n mean^2."""

    def __init__(self, multioutput="uniform_average"):
        if multioutput not in ("uniform_average", "variance_weighted", "raw_values"):
            raise ValueError("multioutput must be 'uniform_average', 'variance_weighted' or "
                             f"'raw_values', got {multioutput!r}")
        self.multioutput = multioutput
        super().__init__()

    def reset(self):
        self.n, self.mean, self.m2, self.ss_res = 0, 0.0, 0.0, 0.0

    def update(self, preds, target):
        p, t = _pair(preds, target)
        nb = t.shape[0]
        if nb == 0:
            return
        p, t = p.reshape(nb, -1), t.reshape(nb, -1)
        mean_b = t.mean(axis=0)
        m2_b = ((t - mean_b) ** 2).sum(axis=0)
        n = self.n + nb
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (nb / n)
        self.m2 = self.m2 + m2_b + delta ** 2 * (self.n * nb / n)
        self.ss_res = self.ss_res + ((t - p) ** 2).sum(axis=0)
        self.n = n

    def compute(self):
        if self.n < 2:
            warnings.warn("R^2 score is not well-defined with less than two samples.",
                          UndefinedMetricWarning, stacklevel=2)
            return math.nan
        num, den = self.ss_res, self.m2
        score = _xp.ones_like(num)
        valid = (den != 0) & (num != 0)
        score[valid] = 1 - num[valid] / den[valid]
        score[(num != 0) & (den == 0)] = 0.0
        if self.multioutput == "raw_values":
            return _make(score)
        weighted = self.multioutput == "variance_weighted" and (den != 0).any()
        return float(_xp.average(score, weights=den if weighted else None))


# ---- one-call forms ----------------------------------------------------------------------------

def accuracy(preds, target, top_k=1, threshold=0.5):
    """Accuracy of one batch (see Accuracy)."""
    return _once(Accuracy(top_k, threshold), preds, target)


def confusion_matrix(preds, target, num_classes, normalize=None, threshold=0.5):
    """Confusion matrix Tensor, rows true classes, columns predicted (see ConfusionMatrix)."""
    return _once(ConfusionMatrix(num_classes, normalize, threshold), preds, target)


def precision(preds, target, num_classes=None, average="binary", threshold=0.5,
              zero_division="warn"):
    """Precision, as sklearn.metrics.precision_score (see Precision)."""
    return _once(Precision(num_classes, average, threshold, zero_division), preds, target)


def recall(preds, target, num_classes=None, average="binary", threshold=0.5,
           zero_division="warn"):
    """Recall, as sklearn.metrics.recall_score (see Recall)."""
    return _once(Recall(num_classes, average, threshold, zero_division), preds, target)


def f1_score(preds, target, num_classes=None, average="binary", threshold=0.5,
             zero_division="warn"):
    """F1 score, as sklearn.metrics.f1_score (see F1Score).

    >>> f1_score([1, 1, 0, 0], [1, 0, 0, 1])
    0.5
    """
    return _once(F1Score(num_classes, average, threshold, zero_division), preds, target)


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


def mean_squared_error(preds, target, squared=True):
    """Mean squared error (root of it with squared=False)."""
    return _once(MeanSquaredError(squared), preds, target)


def mean_absolute_error(preds, target):
    """Mean absolute error."""
    return _once(MeanAbsoluteError(), preds, target)


def r2_score(preds, target, multioutput="uniform_average"):
    """Coefficient of determination (see R2Score)."""
    return _once(R2Score(multioutput), preds, target)


def log_loss(preds, target):
    """Mean negative log-likelihood of probabilities (see LogLoss)."""
    return _once(LogLoss(), preds, target)


def perplexity(preds, target, ignore_index=-100):
    """exp(mean token cross-entropy) of logits (..., V) against targets (...)."""
    return _once(Perplexity(ignore_index), preds, target)
