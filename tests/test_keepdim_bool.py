"""keepdim must be a Python bool, as torch's argument parser says: keepdim=3, 1, None, 1.0 or a
NumPy bool are a TypeError naming the function and the type (glasstorch used to take any
truthy value). Every reduction of the torch namespace, the Tensor methods, linalg's norms,
special.logsumexp and F.pairwise_distance, by keyword and by position, against torch."""
import numpy as np
import pytest
import torch

import glasstorch as gt

BAD = [3, 1, 0, None, 1.0, "a", np.bool_(True)]

# name -> call(lib, x, keepdim): keepdim by keyword
CALLS = {
    "sum": lambda m, x, k: m.sum(x, 0, keepdim=k),
    "mean": lambda m, x, k: m.mean(x, 0, keepdim=k),
    "nansum": lambda m, x, k: m.nansum(x, 0, keepdim=k),
    "nanmean": lambda m, x, k: m.nanmean(x, 0, keepdim=k),
    "prod": lambda m, x, k: m.prod(x, 0, keepdim=k),
    "var": lambda m, x, k: m.var(x, 0, keepdim=k),
    "std": lambda m, x, k: m.std(x, 0, keepdim=k),
    "var_mean": lambda m, x, k: m.var_mean(x, 0, keepdim=k),
    "std_mean": lambda m, x, k: m.std_mean(x, 0, keepdim=k),
    "max": lambda m, x, k: m.max(x, 0, keepdim=k),
    "min": lambda m, x, k: m.min(x, 0, keepdim=k),
    "amax": lambda m, x, k: m.amax(x, 0, keepdim=k),
    "amin": lambda m, x, k: m.amin(x, 0, keepdim=k),
    "aminmax": lambda m, x, k: m.aminmax(x, dim=0, keepdim=k),
    "argmax": lambda m, x, k: m.argmax(x, 0, keepdim=k),
    "argmin": lambda m, x, k: m.argmin(x, 0, keepdim=k),
    "logsumexp": lambda m, x, k: m.logsumexp(x, 0, keepdim=k),
    "median": lambda m, x, k: m.median(x, 0, keepdim=k),
    "nanmedian": lambda m, x, k: m.nanmedian(x, 0, keepdim=k),
    "mode": lambda m, x, k: m.mode(x, 0, keepdim=k),
    "kthvalue": lambda m, x, k: m.kthvalue(x, 1, 0, keepdim=k),
    "quantile": lambda m, x, k: m.quantile(x, 0.5, 0, keepdim=k),
    "nanquantile": lambda m, x, k: m.nanquantile(x, 0.5, 0, keepdim=k),
    "all": lambda m, x, k: m.all(x, 0, keepdim=k),
    "any": lambda m, x, k: m.any(x, 0, keepdim=k),
    "norm": lambda m, x, k: m.norm(x, dim=0, keepdim=k),
    "frobenius_norm": lambda m, x, k: m.frobenius_norm(x, (0, 1), keepdim=k),
    "nuclear_norm": lambda m, x, k: m.nuclear_norm(x, keepdim=k),
    "sum_all": lambda m, x, k: m.sum(x, keepdim=k),
    "Tensor.sum": lambda m, x, k: x.sum(0, keepdim=k),
    "Tensor.max": lambda m, x, k: x.max(0, keepdim=k),
    "Tensor.mean_kw": lambda m, x, k: x.mean(dim=0, keepdim=k),
    "Tensor.argmax": lambda m, x, k: x.argmax(0, keepdim=k),
    "Tensor.logsumexp": lambda m, x, k: x.logsumexp(0, keepdim=k),
    "linalg.vector_norm": lambda m, x, k: m.linalg.vector_norm(x, 2, 0, keepdim=k),
    "linalg.matrix_norm": lambda m, x, k: m.linalg.matrix_norm(x, keepdim=k),
    "linalg.norm": lambda m, x, k: m.linalg.norm(x, keepdim=k),
    "special.logsumexp": lambda m, x, k: m.special.logsumexp(x, 0, keepdim=k),
    "pairwise_distance": lambda m, x, k: m.nn.functional.pairwise_distance(x, x, keepdim=k),
}

# keepdim by position: (call, torch's position in its message or None when torch's message
# is its "invalid combination of arguments" list)
POSITIONAL = {
    "Tensor.sum": (lambda m, x, k: x.sum(0, k), 2),
    "Tensor.max": (lambda m, x, k: x.max(0, k), 2),
    "Tensor.kthvalue": (lambda m, x, k: x.kthvalue(1, 0, k), 3),
    "sum": (lambda m, x, k: m.sum(x, 0, k), 3),
    "amax": (lambda m, x, k: m.amax(x, 0, k), 3),
    "argmin": (lambda m, x, k: m.argmin(x, 0, k), 3),
}


def _error(fn, lib, k):
    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 0.5, 6.0]])
    with pytest.raises(Exception) as info:
        fn(lib, x, k)
    return info


@pytest.mark.parametrize("name", CALLS)
def test_keyword_keepdim_must_be_bool(name):
    fn = CALLS[name]
    for k in BAD:
        want, got = _error(fn, torch, k), _error(fn, gt, k)
        assert got.type is want.type is TypeError, (name, k)
        msg = str(got.value)
        tname = "numpy.bool" if isinstance(k, np.bool_) else type(k).__name__
        assert "'keepdim'" in msg and f"must be bool, not {tname}" in msg, msg
        # the function torch names (its native name: linalg_vector_norm)
        assert msg.split("(")[0] in str(want.value).split("(")[0], (msg, str(want.value))
    x = gt.tensor([[1.0, 2.0, 3.0], [4.0, 0.5, 6.0]])
    fn(gt, x, True), fn(gt, x, False)          # bools still work


@pytest.mark.parametrize("name", POSITIONAL)
def test_positional_keepdim_must_be_bool(name):
    fn, position = POSITIONAL[name]
    for k in (3, None):
        want, got = _error(fn, torch, k), _error(fn, gt, k)
        assert got.type is want.type is TypeError
        assert f"argument 'keepdim' (position {position}) must be bool" in str(got.value)
        assert f"(position {position})" in str(want.value)


def test_aliases_still_work_and_are_checked():
    x = gt.ones(2, 3)
    assert x.sum(axis=0, keepdims=True).shape == (1, 3)
    with pytest.raises(TypeError, match="argument 'keepdim' must be bool, not int"):
        x.sum(axis=0, keepdims=1)
