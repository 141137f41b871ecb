"""glasstorch.train.selection against scikit-learn's splitters, plus a small end-to-end
cross-validation of a logistic regression (nn.Linear + optim.SGD) and EnsembleModel."""
import doctest
import warnings

import numpy as np
import pytest
import sklearn.model_selection as skms
from sklearn.linear_model import LogisticRegression

import glasstorch as gt
import glasstorch.nn.functional as F
import glasstorch.train.selection as gs
from glasstorch.utils.data import Subset, TensorDataset


def _folds(splits):
    return [(train.tolist(), test.tolist()) for train, test in splits]


def _assert_partition(splits, n):
    """Each fold's train/test are disjoint and cover 0..n-1; the tests cover each index once."""
    tests = []
    for train, test in splits:
        assert sorted(train.tolist() + test.tolist()) == list(range(n))
        assert train.dtype == np.int64 and test.dtype == np.int64
        tests += test.tolist()
    assert sorted(tests) == list(range(n))


# ---- splitters --------------------------------------------------------------------------------

@pytest.mark.parametrize("n,k", [(10, 2), (10, 3), (11, 5), (7, 7), (23, 4)])
def test_kfold_equals_sklearn(n, k):
    X = np.zeros((n, 2))
    assert _folds(gs.KFold(k).split(X)) == _folds(skms.KFold(k).split(X))
    assert gs.KFold(k).get_n_splits() == k


@pytest.mark.parametrize("n,k", [(10, 3), (23, 4)])
def test_shuffled_kfold(n, k):
    X = np.zeros(n)
    folds = list(gs.KFold(k, shuffle=True, seed=0).split(X))
    _assert_partition(folds, n)
    # same fold sizes as sklearn, different membership than without shuffling
    assert [len(t) for _, t in folds] == [len(t) for _, t in skms.KFold(k).split(X)]
    assert _folds(folds) != _folds(gs.KFold(k).split(X))
    # an int seed gives the same folds on every call; a generator keeps drawing
    assert _folds(gs.KFold(k, shuffle=True, seed=0).split(X)) == _folds(folds)
    cv = gs.KFold(k, shuffle=True, generator=gt.Generator().manual_seed(0))
    assert _folds(cv.split(X)) != _folds(cv.split(X))


Y_CASES = {
    "binary": [0, 1] * 10,
    "imbalanced": [0] * 12 + [1] * 5 + [2] * 3,
    "first_seen_order": [2, 2, 0, 1, 1, 2, 0, 0, 2, 1, 1, 0, 2, 2, 1],
    "strings": list("bbaacabcbaccabbacb"),
    "sorted_blocks": [0] * 7 + [1] * 7 + [2] * 7,
    "rare_class": [0] * 10 + [1] * 2,
}


@pytest.mark.parametrize("name", list(Y_CASES))
@pytest.mark.parametrize("k", [2, 3, 5])
def test_stratified_kfold_equals_sklearn(name, k):
    y = np.array(Y_CASES[name])
    X = np.zeros(len(y))
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        folds = _folds(gs.StratifiedKFold(k).split(X, y))
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = _folds(skms.StratifiedKFold(k).split(X, y))
    assert folds == expected
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


@pytest.mark.parametrize("name", ["binary", "imbalanced", "first_seen_order"])
def test_shuffled_stratified_kfold_keeps_sklearns_class_counts(name):
    y = np.array(Y_CASES[name])
    X = np.zeros(len(y))
    folds = list(gs.StratifiedKFold(3, shuffle=True, seed=1).split(X, gt.tensor(y)))
    _assert_partition(folds, len(y))
    counts = [np.bincount(y[t], minlength=3).tolist() for _, t in folds]
    expected = [np.bincount(y[t], minlength=3).tolist()
                for _, t in skms.StratifiedKFold(3).split(X, y)]
    assert counts == expected
    assert _folds(folds) != _folds(gs.StratifiedKFold(3).split(X, y))


@pytest.mark.parametrize("n", [2, 5])
def test_leave_one_out_equals_sklearn(n):
    X = np.zeros((n, 3))
    assert _folds(gs.LeaveOneOut().split(X)) == _folds(skms.LeaveOneOut().split(X))
    assert gs.LeaveOneOut().get_n_splits(X) == n


@pytest.mark.parametrize("call,err", [
    (lambda: gs.KFold(1), "n_splits=2 or more"),
    (lambda: list(gs.KFold(4).split(np.zeros(3))), "greater than the number of samples"),
    (lambda: gs.KFold(3, seed=0), "shuffle is False"),
    (lambda: list(gs.KFold(3, shuffle=True, seed=0, generator=gt.Generator()).split(
        np.zeros(6))), "not both"),
    (lambda: list(gs.StratifiedKFold(3).split(np.zeros(4), [0, 0, 1, 1])),
     "cannot be greater than the number of members"),
    (lambda: list(gs.StratifiedKFold(2).split(np.zeros(4), np.zeros((4, 2)))), "labels"),
    (lambda: list(gs.LeaveOneOut().split(np.zeros(1))), "n_samples=1"),
])
def test_splitter_errors(call, err):
    with pytest.raises(ValueError, match=err):
        call()


# ---- train_test_split -------------------------------------------------------------------------

SIZES = [dict(), dict(test_size=0.3), dict(test_size=3), dict(train_size=0.6),
         dict(train_size=4), dict(test_size=0.2, train_size=0.5), dict(test_size=0.33)]


@pytest.mark.parametrize("sizes", SIZES)
def test_train_test_split_without_shuffle_equals_sklearn(sizes):
    X, y = np.arange(22).reshape(11, 2), np.arange(11)
    ours = gs.train_test_split(X, y, shuffle=False, **sizes)
    expected = skms.train_test_split(X, y, shuffle=False, **sizes)
    for a, b in zip(ours, expected):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("sizes", SIZES)
def test_shuffled_train_test_split(sizes):
    X = gt.arange(11.0)
    tr, te = gs.train_test_split(X, seed=3, **sizes)
    sk_tr, sk_te = skms.train_test_split(np.arange(11.0), random_state=0, **sizes)
    assert (len(tr), len(te)) == (len(sk_tr), len(sk_te))
    assert isinstance(tr, gt.Tensor)
    assert not set(tr.tolist()) & set(te.tolist())
    again = gs.train_test_split(X, seed=3, **sizes)
    assert tr.tolist() == again[0].tolist() and te.tolist() == again[1].tolist()


@pytest.mark.parametrize("y,test_size", [([0] * 30 + [1] * 10, 0.25), ([0] * 20 + [1] * 12 +
                                          [2] * 8, 0.5), ([1, 0] * 15, 10)])
def test_stratified_train_test_split_matches_sklearn_class_counts(y, test_size):
    y = np.array(y)
    X = np.arange(len(y))
    X_tr, X_te, y_tr, y_te = gs.train_test_split(X, gt.tensor(y), test_size=test_size,
                                                 stratify=y, seed=0)
    _, _, sk_tr, sk_te = skms.train_test_split(X, y, test_size=test_size, stratify=y,
                                               random_state=0)
    assert np.bincount(y_te.numpy()).tolist() == np.bincount(sk_te).tolist()
    assert np.bincount(y_tr.numpy()).tolist() == np.bincount(sk_tr).tolist()
    np.testing.assert_array_equal(y[X_te], y_te.numpy())      # rows stay aligned
    assert sorted(X_tr.tolist() + X_te.tolist()) == X.tolist()


def test_train_test_split_of_lists_and_datasets():
    data = TensorDataset(gt.arange(10.0), gt.arange(10))
    d_tr, d_te, l_tr, l_te = gs.train_test_split(data, list("abcdefghij"), test_size=0.2,
                                                 generator=gt.Generator().manual_seed(0))
    assert isinstance(d_tr, Subset) and (len(d_tr), len(d_te)) == (8, 2)
    assert [int(d_te[i][1]) for i in range(2)] == ["abcdefghij".index(c) for c in l_te]


@pytest.mark.parametrize("kwargs,err", [
    (dict(test_size=0), "test_size=0 should be"),
    (dict(test_size=1.0), r"test_size=1.0 should be"),
    (dict(test_size=10), "test_size=10 should be"),
    (dict(train_size=1.5), "train_size=1.5"),
    (dict(test_size="half"), "Invalid value for test_size"),
    (dict(test_size=6, train_size=5), "sum of train_size and test_size"),
    (dict(shuffle=False, stratify=[0, 1] * 5), "shuffle=False"),
    (dict(stratify=[0] * 9 + [1]), "only 1 member"),
    (dict(stratify=[0, 1, 2, 3, 4] * 2, test_size=0.2), "greater or equal to the number of"),
    (dict(seed=0, generator=gt.Generator()), "not both"),
])
def test_train_test_split_errors(kwargs, err):
    with pytest.raises(ValueError, match=err):
        gs.train_test_split(np.arange(10), **kwargs)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        gs.train_test_split(np.arange(10), np.arange(9))


# ---- cross-validation of a logistic regression ------------------------------------------------

def _blobs(n=90, C=3, d=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, C, n)
    X = rng.normal(size=(n, d)) + 2.0 * np.eye(C, d)[y]
    return X.astype(np.float32), y


def _logreg(d=4, C=3):
    return gt.nn.Linear(d, C)


def _fit(model, data, epochs=150):
    X, y = gt.tensor(data[0]), gt.tensor(data[1])
    opt = gt.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(epochs):
        opt.zero_grad()
        F.cross_entropy(model(X), y).backward()
        opt.step()


def _accuracy(model, data):
    with gt.no_grad():
        return float((model(gt.tensor(data[0])).argmax(1).numpy() == data[1]).mean())


def test_cross_validated_logistic_regression_matches_sklearn():
    gt.manual_seed(0)
    X, y = _blobs()
    cv = gs.StratifiedKFold(5)
    result = gs.cross_validate(lambda: _logreg(), _fit, _accuracy, (X, y), cv=cv,
                               return_models=True)
    scores = result.scores["score"]
    expected = skms.cross_val_score(LogisticRegression(), X, y, cv=skms.StratifiedKFold(5))
    assert len(scores) == 5 and len(result.models) == 5 and len(result.fit_time) == 5
    assert result.mean["score"] > 0.8
    assert abs(result.mean["score"] - expected.mean()) < 0.06
    assert result.mean["score"] == pytest.approx(np.mean(scores))
    assert result.std["score"] == pytest.approx(np.std(scores))
    assert str(result).startswith(f"score: {np.mean(scores):.4f} ± ")
    # the five fold models, averaged, classify the data at least as well as a typical one
    ensemble = gs.EnsembleModel(result.models, combine="softmax")
    assert _accuracy(ensemble, (X, y)) >= min(scores)


def test_cross_validate_inputs_and_score_dicts():
    gt.manual_seed(1)
    X, y = _blobs(n=40)
    seen = []

    def score(model, data):
        seen.append(len(data[1]))
        return {"acc": _accuracy(model, data), "n": len(data[1])}
    # an iterable of (train, test) pairs; dict scores keep their names
    pairs = [(np.arange(10, 40), np.arange(10)), (np.arange(30), np.arange(30, 40))]
    result = gs.cross_validate(_logreg, lambda m, d: _fit(m, d, 20), score, (X, y), cv=pairs)
    assert seen == [10, 10] and result.scores["n"] == [10.0, 10.0] and result.models is None
    # an int cv is KFold(k); a Dataset gives each fold a Subset (stratified: its targets)
    data = TensorDataset(gt.tensor(X), gt.tensor(y))
    folds = []
    gs.cross_validate(_logreg, lambda m, d: folds.append(d.indices), lambda m, d: 0.0, data,
                      cv=4)
    assert folds == [t.tolist() for t, _ in skms.KFold(4).split(X)]
    folds.clear()
    gs.cross_validate(_logreg, lambda m, d: folds.append(d.indices), lambda m, d: 0.0, data,
                      cv=gs.StratifiedKFold(4))
    assert folds == [t.tolist() for t, _ in skms.StratifiedKFold(4).split(X, y)]


# ---- ensembles --------------------------------------------------------------------------------

@pytest.mark.parametrize("combine", ["mean", "softmax", "sigmoid"])
def test_ensemble_averages_outputs(combine):
    gt.manual_seed(2)
    nets = [gt.nn.Linear(3, 4) for _ in range(3)]
    x = gt.randn(5, 3)
    outs = [net(x).detach().numpy().astype(np.float64) for net in nets]
    if combine == "softmax":
        outs = [np.exp(o) / np.exp(o).sum(1, keepdims=True) for o in outs]
    elif combine == "sigmoid":
        outs = [1 / (1 + np.exp(-o)) for o in outs]
    ensemble = gs.EnsembleModel(nets, combine=combine)
    y = ensemble(x)
    np.testing.assert_allclose(y.detach().numpy(), np.mean(outs, 0), rtol=1e-5, atol=1e-6)
    y.sum().backward()          # every member is trained through the ensemble
    assert all(net.weight.grad is not None for net in nets)
    assert len(list(ensemble.parameters())) == 6
    assert "combine=" in repr(ensemble)


def test_ensemble_errors():
    with pytest.raises(ValueError, match="combine"):
        gs.EnsembleModel([gt.nn.Linear(2, 2)], combine="vote")
    with pytest.raises(ValueError, match="at least one"):
        gs.EnsembleModel([])


def test_docstring_examples():
    result = doctest.testmod(gs, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
