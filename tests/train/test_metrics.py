"""glasstorch.train.metrics against scikit-learn (torch for perplexity).

Every streaming metric is fed uneven batches (including an empty one, alternating glasstorch
Tensors and NumPy arrays) and compared with sklearn on the concatenated data; the one-call
function is checked on the whole data too. Edge cases: a class never predicted, a class never
true, all samples one class, tied scores, exact 0/1 probabilities, constant targets.
"""
import doctest
import math
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
import torch
from sklearn.preprocessing import label_binarize

import glasstorch as gt
import glasstorch.train.metrics as gm

SIZES = (7, 1, 0, 12)      # batch sizes; the rest of the data goes in a last batch


def _stream(metric, *arrays):
    """Feed `arrays` to metric.update in batches of SIZES, even batches as glasstorch Tensors."""
    n, start = len(arrays[0]), 0
    for b, size in enumerate(SIZES + (n,)):
        stop = min(start + size, n) if b < len(SIZES) else n
        chunk = [a[start:stop] for a in arrays]
        metric.update(*(gt.tensor(c) if b % 2 == 0 else c for c in chunk))
        start = stop
    return metric.compute()


def _np(x):
    return x.numpy() if isinstance(x, gt.Tensor) else np.asarray(x)


def _close(ours, expected, **kw):
    np.testing.assert_allclose(_np(ours), np.asarray(expected, dtype=np.float64),
                               rtol=kw.get("rtol", 1e-10), atol=kw.get("atol", 1e-12))


def _data(case, C, n=60, seed=0):
    """(scores (n, C), labels (n,), predicted labels (n,)) for a named edge case."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(n, C))
    y = rng.integers(0, C, n)
    if case == "never_predicted":        # class C-1 never wins the argmax
        scores[:, C - 1] -= 100
    elif case == "never_true":           # class 0 never appears in the target
        y = rng.integers(1, C, n)
    elif case == "one_class":            # every target is class 1, every prediction too
        y[:] = 1
        scores[:, 1] += 100
    elif case == "ties":                 # few distinct scores: argmax and thresholds tie
        scores = np.round(scores)
    return scores, y, scores.argmax(1)


def _probs(scores):
    e = np.exp(scores - scores.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


# ---- accuracy and confusion matrix ------------------------------------------------------------

@pytest.mark.parametrize("C", [2, 3, 7])
@pytest.mark.parametrize("case", ["random", "never_predicted", "one_class", "ties"])
def test_accuracy_from_scores_and_labels(C, case):
    scores, y, pred = _data(case, C)
    expected = skm.accuracy_score(y, pred)
    assert _stream(gm.Accuracy(), scores, y) == pytest.approx(expected)
    assert _stream(gm.Accuracy(), pred, y) == pytest.approx(expected)
    assert gm.accuracy(scores, y) == pytest.approx(expected)


def test_accuracy_ties_go_to_the_lowest_class_like_torch_argmax():
    scores, y, _ = _data("ties", 4)
    expected = (torch.tensor(scores).argmax(1) == torch.tensor(y)).double().mean().item()
    assert gm.accuracy(scores, y) == pytest.approx(expected)
    # top-2 of [1, 1, 1, 0] is classes 0 and 1 (lower index first among ties)
    assert gm.accuracy([[1.0, 1.0, 1.0, 0.0]] * 2, [1, 2], top_k=2) == 0.5


@pytest.mark.parametrize("C,k", [(3, 2), (5, 2), (7, 3), (7, 6)])
def test_top_k_accuracy(C, k):
    scores, y, _ = _data("random", C)
    expected = skm.top_k_accuracy_score(y, scores, k=k, labels=range(C))
    assert _stream(gm.Accuracy(top_k=k), scores, y) == pytest.approx(expected)


@pytest.mark.parametrize("threshold,transform", [(0.5, "prob"), (0.0, "logit"), (0.3, "prob")])
def test_binary_accuracy_thresholds(threshold, transform):
    rng = np.random.default_rng(1)
    logits, y = rng.normal(size=50), rng.integers(0, 2, 50)
    p = 1 / (1 + np.exp(-logits)) if transform == "prob" else logits
    expected = skm.accuracy_score(y, (p > threshold).astype(int))
    assert _stream(gm.Accuracy(threshold=threshold), p, y) == pytest.approx(expected)
    # float 0./1. targets (as used with BCE losses) are labels too
    assert gm.accuracy(p, y.astype(np.float32), threshold=threshold) == pytest.approx(expected)


def test_one_column_outputs_are_probabilities_of_class_1():
    rng = np.random.default_rng(10)
    p, y = rng.random((30, 1)), rng.integers(0, 2, 30)          # a sigmoid head, (N, 1)
    labels = (p[:, 0] > 0.5).astype(int)
    assert gm.accuracy(p, y) == pytest.approx(skm.accuracy_score(y, labels))
    assert gm.f1_score(p, y) == pytest.approx(skm.f1_score(y, labels))
    _close(gm.log_loss(p, y), skm.log_loss(y, p[:, 0]))
    _close(gm.roc_auc_score(p, y), skm.roc_auc_score(y, p[:, 0]))


def test_accuracy_class_dim_1_for_sequences():
    rng = np.random.default_rng(2)
    scores, y = rng.normal(size=(4, 5, 6)), rng.integers(0, 5, (4, 6))   # (N, C, L), (N, L)
    expected = skm.accuracy_score(y.ravel(), scores.argmax(1).ravel())
    assert gm.accuracy(scores, y) == pytest.approx(expected)


@pytest.mark.parametrize("C", [2, 3, 5])
@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
@pytest.mark.parametrize("case", ["random", "never_predicted", "never_true", "one_class"])
def test_confusion_matrix(C, normalize, case):
    scores, y, pred = _data(case, C)
    expected = skm.confusion_matrix(y, pred, labels=range(C), normalize=normalize)
    ours = _stream(gm.ConfusionMatrix(C, normalize=normalize), scores, y)
    assert ours.dtype == (gt.int64 if normalize is None else gt.float64)
    _close(ours, expected)
    _close(gm.confusion_matrix(pred, y, C, normalize=normalize), expected)


def test_binary_confusion_matrix_from_probabilities():
    rng = np.random.default_rng(3)
    p, y = rng.random(40), rng.integers(0, 2, 40)
    expected = skm.confusion_matrix(y, (p > 0.5).astype(int), labels=[0, 1])
    _close(_stream(gm.ConfusionMatrix(2), p, y), expected)


# ---- precision, recall, F1 ----------------------------------------------------------------------

PRF = [(gm.Precision, gm.precision), (gm.Recall, gm.recall), (gm.F1Score, gm.f1_score)]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("C", [3, 6])
@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None])
@pytest.mark.parametrize("case", ["random", "never_predicted", "never_true", "one_class"])
@pytest.mark.parametrize("zero_division", ["warn", 1, np.nan])
def test_multiclass_precision_recall_f1(C, average, case, zero_division):
    scores, y, pred = _data(case, C)
    expected = skm.precision_recall_fscore_support(y, pred, labels=range(C), average=average,
                                                   zero_division=zero_division)[:3]
    for (cls, fn), exp in zip(PRF, expected):
        metric = cls(num_classes=C, average=average, zero_division=zero_division)
        _close(_stream(metric, scores, y), exp)
        _close(fn(pred, y, num_classes=C, average=average, zero_division=zero_division), exp)
        # num_classes can come from the scores' class dim
        _close(fn(scores, y, average=average, zero_division=zero_division), exp)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("case", ["random", "all_negative", "none_predicted", "all_positive"])
@pytest.mark.parametrize("zero_division", ["warn", 1, np.nan])
def test_binary_precision_recall_f1(case, zero_division):
    rng = np.random.default_rng(4)
    p, y = rng.random(30), rng.integers(0, 2, 30)
    if case == "all_negative":
        y[:] = 0
    elif case == "none_predicted":
        p *= 0.4
    elif case == "all_positive":
        y[:], p = 1, p + 1
    expected = skm.precision_recall_fscore_support(y, (p > 0.5).astype(int), average="binary",
                                                   zero_division=zero_division)[:3]
    for (cls, fn), exp in zip(PRF, expected):
        _close(_stream(cls(zero_division=zero_division), p, y), exp)
        _close(fn(p, y, zero_division=zero_division), exp)


def test_zero_division_warns_like_sklearn():
    with pytest.warns(gm.UndefinedMetricWarning, match="ill-defined"):
        assert gm.precision([0, 0], [0, 1]) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gm.precision([0, 0], [0, 1], zero_division=1) == 1.0


@pytest.mark.parametrize("call,err", [
    (lambda: gm.precision([0, 2], [0, 1]), "binary"),
    (lambda: gm.precision([0, 2], [0, 1], average="macro"), "num_classes"),
    (lambda: gm.Precision(num_classes=3), "binary"),
    (lambda: gm.Precision(average="samples"), "average"),
    (lambda: gm.Precision(zero_division=2), "zero_division"),
    (lambda: gm.confusion_matrix([0, 3], [0, 1], 3), r"\[0, 3\)"),
    (lambda: gm.confusion_matrix([0, 1], [0, -1], 3), r"\[0, 3\)"),
    (lambda: gm.confusion_matrix([0, 1], [0, 1], 2, normalize="rows"), "normalize"),
    (lambda: gm.accuracy(np.zeros((4, 3)), np.zeros(5, int)), "shape"),
    (lambda: gm.accuracy(np.zeros((4, 3)), np.zeros(4, int), top_k=4), "top_k"),
    (lambda: gm.accuracy([0, 1], [0.5, 1.0]), "integer class labels"),
    (lambda: gm.Accuracy(top_k=0), "top_k"),
])
def test_classification_errors(call, err):
    with pytest.raises(ValueError, match=err):
        call()


@pytest.mark.parametrize("metric", [gm.Accuracy(), gm.Precision(), gm.ROC(), gm.LogLoss(),
                                    gm.MeanSquaredError(), gm.Perplexity()])
def test_compute_before_update_raises(metric):
    with pytest.raises(RuntimeError, match="update"):
        metric.compute()


def test_reset_starts_over():
    acc = gm.Accuracy()
    acc.update([0, 0], [1, 1])
    acc.reset()
    acc.update([1, 1], [1, 1])
    assert acc.compute() == 1.0


# ---- curves and areas -------------------------------------------------------------------------

def _binary_scores(case, n=80, seed=5):
    rng = np.random.default_rng(seed)
    s, y = rng.normal(size=n), rng.integers(0, 2, n)
    if case == "ties":
        s = np.round(s)
    elif case == "separable":
        s = s + 10 * y
    elif case == "constant":
        s[:] = 0.5
    return s, y


@pytest.mark.parametrize("case", ["random", "ties", "separable", "constant"])
@pytest.mark.parametrize("drop", [True, False])
def test_roc_curve(case, drop):
    s, y = _binary_scores(case)
    ours = _stream(gm.ROC(drop_intermediate=drop), s, y)
    for a, b in zip(ours, skm.roc_curve(y, s, drop_intermediate=drop)):
        _close(a, b)
    assert gm.roc_auc_score(s, y) == pytest.approx(skm.roc_auc_score(y, s))
    assert _stream(gm.AUROC(), s, y) == pytest.approx(skm.roc_auc_score(y, s))


@pytest.mark.parametrize("case", ["random", "ties", "separable", "constant"])
def test_precision_recall_curve_and_average_precision(case):
    s, y = _binary_scores(case)
    ours = _stream(gm.PrecisionRecallCurve(), s, y)
    for a, b in zip(ours, skm.precision_recall_curve(y, s)):
        _close(a, b)
    expected = skm.average_precision_score(y, s)
    assert _stream(gm.AveragePrecision(), s, y) == pytest.approx(expected)
    assert gm.average_precision_score(s, y) == pytest.approx(expected)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("fn,sk", [(gm.roc_auc_score, skm.roc_auc_score),
                                   (gm.average_precision_score, skm.average_precision_score)])
def test_single_class_binary_target(fn, sk):
    s, _ = _binary_scores("random")
    for label in (0, 1):
        y = np.full(len(s), label)
        _close(fn(s, y), sk(y, s))


def test_roc_auc_of_one_class_warns():
    with pytest.warns(gm.UndefinedMetricWarning, match="one class"):
        assert math.isnan(gm.roc_auc_score([0.1, 0.9], [1, 1]))


@pytest.mark.parametrize("C", [3, 5])
@pytest.mark.parametrize("average", ["macro", "weighted", "micro", None])
@pytest.mark.parametrize("case", ["random", "ties"])
def test_multiclass_roc_auc_and_average_precision(C, average, case):
    scores, y, _ = _data(case, C, n=90)
    probs = _probs(scores)
    expected = skm.roc_auc_score(y, probs, multi_class="ovr", average=average)
    _close(_stream(gm.AUROC(average=average), probs, y), expected)
    expected = skm.average_precision_score(y, probs, average=average)
    _close(_stream(gm.AveragePrecision(average=average), probs, y), expected)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("average", ["macro", "weighted", None])
def test_multiclass_scores_with_a_class_never_true(average):
    scores, y, _ = _data("never_true", 4)
    probs, onehot = _probs(scores), label_binarize(y, classes=range(4))
    _close(gm.roc_auc_score(probs, y, average=average),
           skm.roc_auc_score(onehot, probs, average=average))
    _close(gm.average_precision_score(probs, y, average=average),
           skm.average_precision_score(onehot, probs, average=average))


@pytest.mark.parametrize("call,err", [
    (lambda: gm.roc_curve(np.zeros((4, 3)), [0, 1, 2, 0]), "one score per sample"),
    (lambda: gm.roc_curve([0.1, 0.2], [0, 2]), r"\[0, 2\)"),
    (lambda: gm.roc_auc_score(np.zeros((4, 3)), [0, 1, 3, 0]), r"\[0, 3\)"),
    (lambda: gm.AUROC(average="samples"), "average"),
])
def test_curve_errors(call, err):
    with pytest.raises(ValueError, match=err):
        call()


def test_curve_scores_are_copied():
    s, y = _binary_scores("random")
    t = gt.tensor(s)
    metric = gm.AUROC()
    metric.update(t, y)
    t.zero_()           # an in-place edit after update must not change the stored scores
    assert metric.compute() == pytest.approx(skm.roc_auc_score(y, s))


# ---- log loss and perplexity ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", ["random", "exact_0_1", "one_class"])
def test_binary_log_loss(dtype, case):
    rng = np.random.default_rng(6)
    p, y = rng.random(40).astype(dtype), rng.integers(0, 2, 40)
    if case == "exact_0_1":       # hits the eps clipping on both ends
        p[:10] = np.where(y[:10] == 1, 0.0, 1.0)
        p[10:20] = y[10:20]
    elif case == "one_class":
        y[:] = 1
    expected = skm.log_loss(y, p, labels=[0, 1])
    _close(_stream(gm.LogLoss(), p, y), expected, rtol=1e-6)
    _close(gm.log_loss(p, y), expected, rtol=1e-6)


@pytest.mark.parametrize("C", [3, 6])
@pytest.mark.parametrize("case", ["random", "never_true"])
def test_multiclass_log_loss(C, case):
    scores, y, _ = _data(case, C)
    probs = _probs(3 * scores)
    probs[0] = np.eye(C)[(y[0] + 1) % C]           # a confident mistake: log(eps)
    expected = skm.log_loss(y, probs, labels=range(C))
    _close(_stream(gm.LogLoss(), probs, y), expected)


def _torch_perplexity(logits, target, ignore_index):
    V = logits.shape[-1]
    loss = torch.nn.functional.cross_entropy(torch.tensor(logits).reshape(-1, V),
                                             torch.tensor(target).reshape(-1),
                                             ignore_index=ignore_index)
    return math.exp(loss.item())


@pytest.mark.parametrize("shape,ignore_index", [((30, 11), -100), ((25, 4, 7), -100),
                                                ((25, 4, 7), 0), ((30, 3), 2)])
def test_perplexity_matches_torch_cross_entropy(shape, ignore_index):
    rng = np.random.default_rng(7)
    logits = 5 * rng.normal(size=shape)
    target = rng.integers(0, shape[-1], shape[:-1])
    target.ravel()[::5] = ignore_index
    expected = _torch_perplexity(logits, target, ignore_index)
    _close(_stream(gm.Perplexity(ignore_index), logits, target), expected)
    _close(gm.perplexity(logits, target, ignore_index), expected)


def test_perplexity_from_running_mean_losses():
    rng = np.random.default_rng(8)
    logits, target = rng.normal(size=(40, 9)), rng.integers(0, 9, 40)
    ppl = gm.Perplexity()
    for lo, hi in [(0, 5), (5, 40)]:
        loss = torch.nn.functional.cross_entropy(torch.tensor(logits[lo:hi]),
                                                 torch.tensor(target[lo:hi]))
        ppl.update_loss(loss.item(), num_tokens=hi - lo)
    expected = _torch_perplexity(logits, target, -100)
    _close(ppl.compute(), expected)
    ppl.reset()
    ppl.update_loss(gt.tensor(math.log(expected)), num_tokens=3)     # a float32 Tensor loss
    _close(ppl.compute(), expected, rtol=1e-6)


def test_log_loss_and_perplexity_errors():
    with pytest.raises(ValueError, match="do not fit"):
        gm.log_loss(np.full((3, 2), 0.5), [0, 1])
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        gm.log_loss(np.full((2, 2), 0.5), [0, 2])
    with pytest.raises(ValueError, match=r"\(\.\.\., V\)"):
        gm.perplexity(np.zeros((2, 3, 4)), np.zeros((3, 2), int))


# ---- regression -------------------------------------------------------------------------------

def _regression(case, shape, seed=9):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=shape) * 3 + 1
    pred = y + rng.normal(size=shape)
    if case == "perfect":
        pred = y.copy()
    elif case == "constant":            # a constant target column: R2 is 1 or 0, never -inf
        y[..., 0] = 2.0
    elif case == "constant_perfect":
        y[..., 0] = 2.0
        pred[..., 0] = 2.0
    return pred, y


REGRESSION_CASES = [(case, shape) for case in ["random", "perfect", "constant",
                                               "constant_perfect"]
                    for shape in [(50,), (50, 1), (50, 3)]]


@pytest.mark.parametrize("case,shape", REGRESSION_CASES)
def test_mse_mae(case, shape):
    pred, y = _regression(case, shape)
    _close(_stream(gm.MeanSquaredError(), pred, y), skm.mean_squared_error(y, pred))
    _close(_stream(gm.MeanSquaredError(squared=False), pred, y),
           skm.root_mean_squared_error(y, pred))
    _close(_stream(gm.MeanAbsoluteError(), pred, y), skm.mean_absolute_error(y, pred))
    _close(gm.mean_squared_error(pred, y), skm.mean_squared_error(y, pred))
    _close(gm.mean_absolute_error(pred, y), skm.mean_absolute_error(y, pred))


@pytest.mark.parametrize("case,shape", REGRESSION_CASES)
@pytest.mark.parametrize("multioutput", ["uniform_average", "variance_weighted", "raw_values"])
def test_r2_score(case, shape, multioutput):
    pred, y = _regression(case, shape)
    expected = skm.r2_score(y, pred, multioutput=multioutput)
    _close(_stream(gm.R2Score(multioutput), pred, y), expected)
    _close(gm.r2_score(pred, y, multioutput), expected)


def test_r2_streaming_is_stable_with_a_large_offset():
    # sum(y^2) - n mean^2 would lose every digit here; Chan's update keeps them
    pred, y = _regression("random", (200,))
    pred, y = pred + 1e8, y + 1e8
    _close(_stream(gm.R2Score(), pred, y), skm.r2_score(y, pred), rtol=1e-7)


def test_regression_shapes_and_small_samples():
    _close(gm.mean_squared_error(np.ones((4, 1)), np.zeros(4)), 1.0)    # (N, 1) vs (N,)
    with pytest.raises(ValueError, match="do not match"):
        gm.mean_squared_error(np.ones((4, 2)), np.zeros(4))
    with pytest.warns(gm.UndefinedMetricWarning, match="two samples"):
        assert math.isnan(gm.r2_score([1.0], [2.0]))
    with pytest.raises(ValueError, match="multioutput"):
        gm.R2Score("mean")


def test_scalars_are_floats_and_arrays_tensors():
    assert type(gm.accuracy([0, 1], [0, 1])) is float
    assert type(gm.r2_score([1.0, 2.0], [1.0, 3.0])) is float
    assert isinstance(gm.recall([0, 1], [0, 1], num_classes=2, average=None), gt.Tensor)
    assert all(isinstance(t, gt.Tensor) for t in gm.roc_curve([0.2, 0.7], [0, 1]))


def test_metrics_accept_tensors_that_require_grad():
    logits = gt.randn(6, 3, requires_grad=True)
    y = gt.tensor([0, 1, 2, 0, 1, 2])
    expected = skm.accuracy_score(y.numpy(), logits.detach().numpy().argmax(1))
    assert gm.accuracy(logits, y) == pytest.approx(expected)


def test_docstring_examples():
    attempted = 0
    for module in (gm, gm._base, gm.classification, gm.ranking, gm.regression):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted > 0
