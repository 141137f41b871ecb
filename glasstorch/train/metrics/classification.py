"""Classification metrics from labels or scores: Accuracy (top-k), ConfusionMatrix,
Precision / Recall / F1Score (binary, micro, macro, weighted, per class), LogLoss, Perplexity,
and their one-call forms with scikit-learn's names (accuracy, f1_score, log_loss, ...).

Each keeps sufficient statistics (counts, a confusion matrix, sums of log-likelihoods), so
streaming over batches equals computing once on their concatenation.
"""
import math
import warnings

from ...backend import xp as _xp
from ...tensor import _make
from ._base import (Metric, UndefinedMetricWarning, _AVERAGES, _array, _as_labels, _check_range,
                    _class_last, _is_scores, _labels, _nanaverage, _once, _one_column)

__all__ = ["Accuracy", "ConfusionMatrix", "Precision", "Recall", "F1Score", "LogLoss", "Perplexity",
           "accuracy", "confusion_matrix", "precision", "recall", "f1_score", "log_loss",
           "perplexity"]


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


def log_loss(preds, target):
    """Mean negative log-likelihood of probabilities (see LogLoss)."""
    return _once(LogLoss(), preds, target)


def perplexity(preds, target, ignore_index=-100):
    """exp(mean token cross-entropy) of logits (..., V) against targets (...)."""
    return _once(Perplexity(ignore_index), preds, target)
