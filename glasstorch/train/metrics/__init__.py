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

Laid out like scikit-learn's sklearn.metrics:
    _base.py           Metric (update / compute / reset), input reading, UndefinedMetricWarning
    classification.py  Accuracy, ConfusionMatrix, Precision, Recall, F1Score, LogLoss, Perplexity
    ranking.py         ROC, AUROC, PrecisionRecallCurve, AveragePrecision (scores, curves)
    regression.py      MeanSquaredError, MeanAbsoluteError, R2Score
each with its one-call functions (accuracy, roc_auc_score, r2_score, ...).
"""
from ._base import *  # noqa: F401,F403
from .classification import *  # noqa: F401,F403
from .ranking import *  # noqa: F401,F403
from .regression import *  # noqa: F401,F403

__all__ = ["Metric", "UndefinedMetricWarning", "Accuracy", "ConfusionMatrix", "Precision",
           "Recall", "F1Score", "ROC", "AUROC", "PrecisionRecallCurve", "AveragePrecision",
           "MeanSquaredError", "MeanAbsoluteError", "R2Score", "LogLoss", "Perplexity",
           "accuracy", "confusion_matrix", "precision", "recall", "f1_score", "roc_curve",
           "roc_auc_score", "precision_recall_curve", "average_precision_score",
           "mean_squared_error", "mean_absolute_error", "r2_score", "log_loss", "perplexity"]
