"""Tensor.random_ with arguments no overload takes: torch's TypeError and first line ("got
(int, float), but expected one of:" and its three overloads), and under each overload why it
did not match (torch says why for some calls, under one overload; glasstorch says it for
every overload: too many positional arguments, wrong keywords, a missing or doubled argument,
or the wrong types marked between !s as torch marks them)."""
import pytest
import torch

import glasstorch as gt

OVERLOADS = [" * (*, torch.Generator generator = None)",
             " * (int from, int to, *, torch.Generator generator = None)",
             " * (int to, *, torch.Generator generator = None)"]

# call -> the reason under each overload (in order)
CASES = {
    "random_(0, 2.5)": ["no positional arguments (2 given)",
                        "invalid types: (int, !float!)", "1 positional argument (2 given)"],
    "random_(None, 3)": ["no positional arguments (2 given)", "invalid types: (!NoneType!, int)",
                         "1 positional argument (2 given)"],
    "random_(to=3, from_=1)": ["keywords were incorrect: to, from_",
                               "keywords were incorrect: from_",
                               "keywords were incorrect: from_"],
    "random_(2.5)": ["no positional arguments (1 given)", "argument 'to' is missing",
                     "invalid types: (!float!)"],
    "random_(to=2.5)": ["keywords were incorrect: to", "argument 'from' is missing",
                        "invalid types: (to=!float!)"],
    "random_(1, to=2.5)": ["no positional arguments (1 given)", "invalid types: (int, to=!float!)",
                           "argument 'to' was given by position and by keyword"],
    "random_(**{'from': 2})": ["keywords were incorrect: from", "argument 'to' is missing",
                               "keywords were incorrect: from"],
    "random_(True)": ["no positional arguments (1 given)", "argument 'to' is missing",
                      "invalid types: (!bool!)"],
    "random_(lib.tensor(1.5))": ["no positional arguments (1 given)", "argument 'to' is missing",
                                 "invalid types: (!Tensor!)"],
}


def _raise(lib, call):
    x = lib.zeros(3)
    with pytest.raises(TypeError) as info:
        eval("x." + call, {"x": x, "lib": lib})
    return str(info.value)


@pytest.mark.parametrize("call", CASES)
def test_random_mismatch_says_why_per_overload(call):
    want, got = _raise(torch, call), _raise(gt, call)
    assert got.splitlines()[0] == want.splitlines()[0]          # torch's first line
    lines = got.splitlines()
    at = [lines.index(o) for o in OVERLOADS]
    assert at == sorted(at) and len(at) == 3
    for i, reason in enumerate(CASES[call]):
        why = lines[at[i] + 1]
        assert why.startswith("      didn't match because ") and reason in why, (call, why)


def test_matching_calls_still_work():
    x = gt.zeros(50)
    assert 0 <= x.random_(3, 7).min().item() and x.max().item() < 7
    assert x.random_(5).max().item() < 5
    assert x.random_(gt.tensor(2), to=4).min().item() >= 2
