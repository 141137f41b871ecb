"""F.embedding_bag's edge cases against torch, as a product: empty bags (first, middle, all),
offsets whose last element is len(input) (include_last_offset), a single bag, no lookups,
per_sample_weights, padding_idx (positive and negative, in empty and full bags), every mode,
float32 and float64: the same output, weight gradient and per_sample_weights gradient, or the
same exception type. Left out are the offsets torch has no defined answer for (the last of
include_last_offset before the input's end: its float32 and float64 kernels disagree, and its
backward disagrees with its forward; lookups with no offsets at all: its backward crashes);
glasstorch's choice there is tested in tests/nn/test_embedding.py."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt

INPUTS = {"five": [1, 2, 4, 5, 2], "none": [], "padded": [2, 2, 0, 2, 3]}
OFFSETS = {"two": [0, 2], "empty-first": [0, 0, 3], "empty-middle": [0, 2, 2, 4],
           "last-is-len": [0, 2, 5], "empty-last": [0, 5, 5], "single": [0], "zeros": [0, 0],
           "not-from-0": [1, 3], "only-len": [5], "no-offsets": [], "one-bag-to-len": [0, 5],
           "past-the-end": [0, 6]}


def _cases():
    for (i_name, idx), (o_name, off), ilo, psw, pad in itertools.product(
            INPUTS.items(), OFFSETS.items(), [False, True], [False, True], [None, 2, -4]):
        if ilo and off and off[-1] < len(idx) or idx and not off:
            continue                          # torch has no defined answer (module docstring)
        yield f"{i_name}/{o_name}/last={ilo}/psw={psw}/pad={pad}", idx, off, ilo, psw, pad


CASES = list(_cases())


def _run(mod, w, psw_values, idx, off, mode, ilo, psw, pad):
    weight = mod.tensor(w, requires_grad=True)
    p = mod.tensor(psw_values[:len(idx)], requires_grad=True) if psw else None
    y = mod.nn.functional.embedding_bag(
        mod.tensor(idx, dtype=mod.int64), weight, mod.tensor(off, dtype=mod.int64), mode=mode,
        include_last_offset=ilo, per_sample_weights=p, padding_idx=pad)
    y.backward(mod.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(w.dtype)))
    return [y.detach().numpy(), weight.grad.numpy(),
            p.grad.numpy() if p is not None and p.grad is not None else None]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_edges_like_torch(mode, dtype):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 3)).astype(dtype)
    psw_values = rng.standard_normal(8).astype(dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    compared = raised = 0
    for name, idx, off, ilo, psw, pad in CASES:
        results = []
        for mod in (gt, torch):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    results.append(_run(mod, w, psw_values, idx, off, mode, ilo, psw, pad))
                except Exception as e:       # noqa: BLE001 - compared below
                    results.append(e)
        g, t = results
        if isinstance(t, Exception) or isinstance(g, Exception):
            assert type(g) is type(t), (name, g, t)
            raised += 1
            continue
        for what, a, b in zip(("output", "weight grad", "per_sample_weights grad"), g, t):
            assert (a is None) == (b is None), (name, what)
            if a is not None:
                assert a.shape == b.shape and a.dtype == b.dtype, (name, what, a, b)
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=f"{name} {what}")
        compared += 1
    assert compared > 40 and raised > 10            # both kinds of case really ran
