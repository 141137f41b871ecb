"""Regression metrics: MeanSquaredError (or its root), MeanAbsoluteError, R2Score (per
output or averaged), and the one-call forms mean_squared_error, mean_absolute_error, r2_score.
Each keeps running sums per output column, so streaming equals computing once.
"""
import math
import warnings

from ...backend import xp as _xp
from ...tensor import _make
from ._base import Metric, UndefinedMetricWarning, _array, _once

__all__ = ["MeanSquaredError", "MeanAbsoluteError", "R2Score", "mean_squared_error",
           "mean_absolute_error", "r2_score"]


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


def mean_squared_error(preds, target, squared=True):
    """Mean squared error (root of it with squared=False)."""
    return _once(MeanSquaredError(squared), preds, target)


def mean_absolute_error(preds, target):
    """Mean absolute error."""
    return _once(MeanAbsoluteError(), preds, target)


def r2_score(preds, target, multioutput="uniform_average"):
    """Coefficient of determination (see R2Score)."""
    return _once(R2Score(multioutput), preds, target)
