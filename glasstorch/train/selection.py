"""Model selection: hold-out splits, k-fold splitters, cross-validation and ensembles.

    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, stratify=y, seed=0)
    result = cross_validate(make_model, fit, score, (X, y), cv=StratifiedKFold(5))
    print(result)                    # score: 0.9120 ± 0.0140 (5 folds)
    ensemble = EnsembleModel(result.models, combine="softmax")   # with return_models=True

Splitters yield (train, test) int64 index arrays (sorted), which index Tensors, NumPy arrays
and Subset alike. Fold assignment follows scikit-learn and equals it without shuffling;
shuffling draws from glasstorch's Generator (random.py), so shuffled folds differ from
sklearn's for the same seed. tests/train/test_selection.py checks both against sklearn.
"""
import numbers
import time
import warnings
from dataclasses import dataclass
from math import ceil, floor

from .. import random as _random
from ..backend import xp as _xp
from ..nn.modules.container import ModuleList
from ..nn.modules.module import Module
from ..ops.join import stack
from ..tensor import Tensor
from ..utils.data.dataset import Dataset, Subset

__all__ = ["train_test_split", "KFold", "StratifiedKFold", "LeaveOneOut", "cross_validate",
           "CVResult", "EnsembleModel"]


def _rng(seed, generator):
    """A NumPy Generator: a fresh one from `seed` (same draws on every call, like sklearn's
    int random_state), else `generator`'s (default: the global one, see manual_seed)."""
    if seed is not None and generator is not None:
        raise ValueError("pass either seed or generator, not both")
    if seed is not None:
        return _random.Generator().manual_seed(seed).rng
    return (generator or _random.default_generator).rng


def _host(a):
    return a._data if isinstance(a, Tensor) else _xp.asarray(a)


def _take(a, idx):
    """Rows `idx` of a Tensor, array, list or map-style Dataset (as a Subset)."""
    if isinstance(a, Dataset):
        return Subset(a, idx.tolist())
    if isinstance(a, (Tensor, _xp.ndarray)):
        return a[idx]
    return [a[i] for i in idx]


def _check_size(value, name, n):
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"Invalid value for {name}: {value!r}")
    if not 0 < value < (n if isinstance(value, numbers.Integral) else 1):
        raise ValueError(f"{name}={value} should be either positive and smaller than the "
                         f"number of samples {n} or a float in the (0, 1) range")


def _split_sizes(n, test_size, train_size):
    """(n_train, n_test) as sklearn: a float test fraction rounds up, a train fraction down."""
    if test_size is None and train_size is None:
        test_size = 0.25
    _check_size(test_size, "test_size", n)
    _check_size(train_size, "train_size", n)

    def count(size, rounding):
        return None if size is None else (
            rounding(size * n) if isinstance(size, float) else int(size))
    n_test, n_train = count(test_size, ceil), count(train_size, floor)
    n_test = n - n_train if n_test is None else n_test
    n_train = n - n_test if n_train is None else n_train
    if n_train + n_test > n:
        raise ValueError(f"The sum of train_size and test_size = {n_train + n_test}, should "
                         f"be smaller than the number of samples {n}. Reduce test_size "
                         "and/or train_size.")
    if n_train == 0:
        raise ValueError(f"With n_samples={n}, test_size={test_size} and train_size="
                         f"{train_size}, the resulting train set will be empty.")
    return n_train, n_test


def _approximate_mode(class_counts, n_draws, rng):
    """Per-class counts summing to n_draws, proportional to class_counts: floors, then one
    more for the largest remainders (ties broken at random), as sklearn."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = _xp.floor(continuous)
    need = int(n_draws - floored.sum())
    remainder = continuous - floored
    for value in _xp.unique(remainder)[::-1]:
        if need == 0:
            break
        inds = _xp.flatnonzero(remainder == value)
        inds = rng.choice(inds, size=min(len(inds), need), replace=False)
        floored[inds] += 1
        need -= len(inds)
    return floored.astype(_xp.int64)


def _stratified_indices(y, n_train, n_test, rng):
    classes, y_idx, counts = _xp.unique(y, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        raise ValueError("The least populated classes in y have only 1 member, which is too "
                         "few. The minimum number of groups for any class cannot be less "
                         f"than 2. Classes with too few members are: "
                         f"{classes[counts < 2].tolist()}")
    for size, name in ((n_train, "train_size"), (n_test, "test_size")):
        if size < len(classes):
            raise ValueError(f"The {name} = {size} should be greater or equal to the number "
                             f"of classes = {len(classes)}")
    by_class = _xp.split(_xp.argsort(y_idx, kind="stable"), _xp.cumsum(counts)[:-1])
    n_i = _approximate_mode(counts, n_train, rng)
    t_i = _approximate_mode(counts - n_i, n_test, rng)
    train, test = [], []
    for members, a, b in zip(by_class, n_i, t_i):
        members = members[rng.permutation(len(members))]
        train.append(members[:a])
        test.append(members[a:a + b])
    return rng.permutation(_xp.concatenate(train)), rng.permutation(_xp.concatenate(test))


def train_test_split(*arrays, test_size=None, train_size=None, shuffle=True, stratify=None,
                     seed=None, generator=None):
    """Split arrays (Tensors, NumPy arrays, lists or a Dataset) into a hold-out pair each.

    Args:
        test_size, train_size: a fraction in (0, 1) or a count (default test_size=0.25).
        shuffle: draw the split at random; False takes the first samples for training.
        stratify: class labels (N,): both parts keep the class proportions.
        seed, generator: an int seed (the same split every call) or a glasstorch Generator.
    Returns:
        [a_train, a_test, b_train, b_test, ...], each Dataset as a Subset.

    >>> x_tr, x_te = train_test_split(list(range(10)), test_size=0.3, shuffle=False)
    >>> x_tr, x_te
    ([0, 1, 2, 3, 4, 5, 6], [7, 8, 9])
    """
    if not arrays:
        raise ValueError("At least one array required as input")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("Found input variables with inconsistent numbers of samples: "
                         f"{[len(a) for a in arrays]}")
    n_train, n_test = _split_sizes(n, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ValueError("Stratified train/test split is not implemented for "
                             "shuffle=False")
        train, test = _xp.arange(n_train), _xp.arange(n_train, n_train + n_test)
    elif stratify is not None:
        train, test = _stratified_indices(_host(stratify), n_train, n_test,
                                          _rng(seed, generator))
    else:
        perm = _rng(seed, generator).permutation(n)
        train, test = perm[n_test:n_test + n_train], perm[:n_test]
    return [part for a in arrays for part in (_take(a, train), _take(a, test))]


class _Splitter:
    """Base of the k-fold splitters: subclasses give each sample a fold (`_folds`)."""

    def __init__(self, n_splits, shuffle, seed, generator):
        if not isinstance(n_splits, numbers.Integral) or n_splits < 2:
            raise ValueError("k-fold cross-validation requires at least one train/test split "
                             f"by setting n_splits=2 or more, got n_splits={n_splits}.")
        if not shuffle and (seed is not None or generator is not None):
            raise ValueError("Setting a seed or generator has no effect since shuffle is "
                             "False. You should leave them unset or set shuffle=True.")
        self.n_splits, self.shuffle, self.seed, self.generator = (
            int(n_splits), shuffle, seed, generator)

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Yield (train, test) int64 index arrays, one pair per fold."""
        n = len(X)
        if self.n_splits > n:
            raise ValueError(f"Cannot have number of splits n_splits={self.n_splits} greater "
                             f"than the number of samples: n_samples={n}.")
        folds = self._folds(n, y)
        for k in range(self.get_n_splits(X)):
            yield _xp.flatnonzero(folds != k), _xp.flatnonzero(folds == k)

    def __repr__(self):
        return (f"{type(self).__name__}(n_splits={self.n_splits}, shuffle={self.shuffle}, "
                f"seed={self.seed})")


class KFold(_Splitter):
    """k consecutive folds (after shuffling, if asked); each is the test set once. The first
    n % k folds get one extra sample, as sklearn.

    >>> [test.tolist() for _, test in KFold(3).split(list(range(7)))]
    [[0, 1, 2], [3, 4], [5, 6]]
    """

    def __init__(self, n_splits=5, *, shuffle=False, seed=None, generator=None):
        super().__init__(n_splits, shuffle, seed, generator)

    def _folds(self, n, y):
        sizes = _xp.full(self.n_splits, n // self.n_splits)
        sizes[:n % self.n_splits] += 1
        folds = _xp.empty(n, dtype=_xp.int64)
        order = _rng(self.seed, self.generator).permutation(n) if self.shuffle else slice(None)
        folds[order] = _xp.repeat(_xp.arange(self.n_splits), sizes)
        return folds


class StratifiedKFold(_Splitter):
    """k folds that keep the class proportions of y. As sklearn: classes are dealt round
    robin over the folds in order of first appearance, and each class's samples fill its
    folds in data order (shuffle=True shuffles each class's fold assignment)."""

    def __init__(self, n_splits=5, *, shuffle=False, seed=None, generator=None):
        super().__init__(n_splits, shuffle, seed, generator)

    def split(self, X, y, groups=None):
        """Yield (train, test) int64 index arrays; y holds the class labels (N,)."""
        return super().split(X, y)

    def _folds(self, n, y):
        y = _host(y)
        if y.ndim != 1 or len(y) != n:
            raise ValueError(f"StratifiedKFold needs class labels of shape ({n},), got "
                             f"{tuple(y.shape)}")
        _, first, inverse = _xp.unique(y, return_index=True, return_inverse=True)
        # number classes by first appearance, so allocation is independent of label values
        encoded = _xp.argsort(_xp.argsort(first))[inverse.ravel()]
        counts = _xp.bincount(encoded)
        if (self.n_splits > counts).all():
            raise ValueError(f"n_splits={self.n_splits} cannot be greater than the number of "
                             "members in each class.")
        if self.n_splits > counts.min():
            warnings.warn(f"The least populated class in y has only {counts.min()} members, "
                          f"which is less than n_splits={self.n_splits}.", UserWarning,
                          stacklevel=3)
        # fold k takes every k-th sample of the class-sorted labels: the per-fold class counts
        ordered = _xp.sort(encoded)
        allocation = [_xp.bincount(ordered[k::self.n_splits], minlength=len(counts))
                      for k in range(self.n_splits)]
        rng = _rng(self.seed, self.generator) if self.shuffle else None
        folds = _xp.empty(n, dtype=_xp.int64)
        for c in range(len(counts)):
            per_fold = _xp.repeat(_xp.arange(self.n_splits), [a[c] for a in allocation])
            if rng is not None:
                rng.shuffle(per_fold)
            folds[encoded == c] = per_fold
        return folds


class LeaveOneOut(_Splitter):
    """n folds of one test sample each (k-fold with k = n)."""

    def __init__(self):
        self.shuffle, self.seed, self.generator = False, None, None

    def get_n_splits(self, X=None, y=None, groups=None):
        if X is None:
            raise ValueError("The 'X' parameter should not be None.")
        return len(X)

    def split(self, X, y=None, groups=None):
        if len(X) <= 1:
            raise ValueError(f"Cannot perform LeaveOneOut with n_samples={len(X)}.")
        self.n_splits = len(X)
        return super().split(X, y)

    def _folds(self, n, y):
        return _xp.arange(n)

    def __repr__(self):
        return "LeaveOneOut()"


@dataclass
class CVResult:
    """Per-fold results of cross_validate: scores[name] lists one float per fold."""
    scores: dict
    fit_time: list
    score_time: list
    models: list = None

    @property
    def mean(self):
        return {k: float(_xp.mean(v)) for k, v in self.scores.items()}

    @property
    def std(self):
        """Standard deviation over folds (ddof=0, NumPy's default)."""
        return {k: float(_xp.std(v)) for k, v in self.scores.items()}

    def __str__(self):
        mean, std = self.mean, self.std
        return "\n".join(f"{k}: {mean[k]:.4f} ± {std[k]:.4f} ({len(v)} folds)"
                         for k, v in self.scores.items())


def _targets(dataset):
    if hasattr(dataset, "targets"):
        return dataset.targets
    return _xp.asarray([_host(dataset[i][1]).item() for i in range(len(dataset))])


def cross_validate(model_factory, fit_fn, score_fn, data, cv=5, return_models=False):
    """Fit a fresh model on each training fold and score it on the held-out fold.

    Args:
        model_factory: () -> a new, untrained model (new random init per fold).
        fit_fn: (model, train_data) -> anything; trains the model in place.
        score_fn: (model, test_data) -> a float or a dict of named floats.
        data: a tuple of arrays/Tensors sharing dim 0, e.g. (X, y), or a map-style Dataset;
            each fold gets the same kind (a tuple of row subsets, or a Subset).
        cv: k for KFold(k), a splitter (KFold, StratifiedKFold, LeaveOneOut, or sklearn's),
            or an iterable of (train, test) index pairs. Stratified splitters read y from
            data[1], or from dataset.targets / each sample's second item.
        return_models: keep the fitted models in result.models (e.g. for EnsembleModel).
    Returns:
        CVResult: scores per fold, mean and std (str() prints "score: mean ± std").
    """
    is_dataset = isinstance(data, Dataset)
    if is_dataset:
        n = len(data)
        # reading every sample's label may load the whole dataset: only when needed
        needs_y = hasattr(data, "targets") or isinstance(cv, StratifiedKFold)
        y = _targets(data) if needs_y else None
    else:
        data = tuple(data)
        n, y = len(data[0]), (data[1] if len(data) > 1 else None)

    def subset(idx):
        return _take(data, idx) if is_dataset else tuple(_take(a, idx) for a in data)
    if isinstance(cv, numbers.Integral):
        cv = KFold(cv)
    folds = cv.split(_xp.arange(n), y) if hasattr(cv, "split") else cv
    scores, fit_time, score_time, models = {}, [], [], []
    for train, test in folds:
        train, test = _xp.asarray(train), _xp.asarray(test)
        model = model_factory()
        start = time.perf_counter()
        fit_fn(model, subset(train))
        fit_time.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = score_fn(model, subset(test))
        score_time.append(time.perf_counter() - start)
        for name, value in (result if isinstance(result, dict) else {"score": result}).items():
            scores.setdefault(name, []).append(float(value))
        if return_models:
            models.append(model)
    return CVResult(scores, fit_time, score_time, models if return_models else None)


class EnsembleModel(Module):
    """Averages the outputs of several models (e.g. the same architecture trained from
    different random inits). combine: 'mean' averages raw outputs (regression, or logits);
    'softmax' / 'sigmoid' average class probabilities, the usual choice for classifiers
    (the output is then a probability, not a logit).

    >>> import glasstorch as torch
    >>> nets = [torch.nn.Linear(3, 2) for _ in range(4)]
    >>> probs = EnsembleModel(nets, combine="softmax")(torch.ones(5, 3))
    >>> bool(probs.sum(1).allclose(torch.ones(5)))   # averaged probabilities
    True
    """

    def __init__(self, models, combine="mean", dim=1):
        super().__init__()
        if combine not in ("mean", "softmax", "sigmoid"):
            raise ValueError(f"combine must be 'mean', 'softmax' or 'sigmoid', got "
                             f"{combine!r}")
        models = list(models)
        if not models:
            raise ValueError("EnsembleModel needs at least one model")
        self.models = ModuleList(models)
        self.combine, self.dim = combine, dim

    def forward(self, *args, **kwargs):
        outs = [m(*args, **kwargs) for m in self.models]
        if self.combine == "softmax":
            outs = [y.softmax(self.dim) for y in outs]
        elif self.combine == "sigmoid":
            outs = [y.sigmoid() for y in outs]
        return stack(outs).mean(0)

    def extra_repr(self):
        return f"combine={self.combine!r}, dim={self.dim}"
