"""Tensor.random_ / uniform_ against torch (glasstorch/_random_args.py, random.py): torch's
signatures (`from` by position or as **{"from": x}; `from_=` refused), its error types and
messages, and the ranges drawn from for every dtype. Draws differ (PCG64 vs mt19937), so the
values are compared by range, not one by one."""
import warnings

import pytest
import torch

import glasstorch as gt

DTYPES = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]

CALLS = [
    "random_()", "random_(5)", "random_(-3, 3)", "random_(0, None)", "random_(to=7)",
    "random_(**{'from': 2, 'to': 5})", "random_(2, to=5)", "random_(3, 3)", "random_(5, 0)",
    "random_(0, 2**40)", "random_(-200, 0)", "random_(-200000, 0)", "random_(2**25, None)",
    "uniform_()", "uniform_(-2, 2)", "uniform_(2, 2)", "uniform_(3, 2)", "uniform_(to=4)",
    "uniform_(**{'from': -1, 'to': 0})", "uniform_(**{'from': 2})",
    "uniform_(float('nan'), 1)", "uniform_(0, float('inf'))", "uniform_(0, 1e39)",
    "uniform_(-3e38, 3e38)", "uniform_(True, 2)",
]

# refused by torch's argument parser, on any dtype: (call, exact message start)
BAD_SIGNATURES = [
    ("uniform_(from_=0, to=5)", "uniform_() got an unexpected keyword argument 'from_'"),
    ("uniform_(a=0, b=1)", "uniform_() got an unexpected keyword argument 'a'"),
    ("uniform_(0, 1, 2)", "uniform_() takes from 0 to 2 positional arguments but 3 were given"),
    ("uniform_('a')", "uniform_(): argument 'from' (position 1) must be float, not str"),
    ("uniform_(0, to='b')", "uniform_(): argument 'to' must be float, not str"),
    ("uniform_(0, None)", "uniform_(): argument 'to' (position 2) must be float, not NoneType"),
    ("uniform_(0, **{'from': 1})", "uniform_() got multiple values for argument 'from'"),
    ("uniform_(generator=1)", "uniform_(): argument 'generator' must be torch.Generator, not int"),
    ("random_(from_=0, to=5)", "random_() received an invalid combination of arguments - got ("),
    ("random_(from_=2)", "random_() received an invalid combination of arguments - got ("
     "from_=int, ), but expected one of:\n * (*, torch.Generator generator = None)\n"),
    # (what follows, why each overload did not match: tests/test_random_args_why.py)
    ("random_(**{'from': 2})", "random_() received an invalid combination of arguments - got "
     "(from=int, ), but"),
    ("random_(2.5)", "random_() received an invalid combination of arguments - got (float), "),
    ("random_(True)", "random_() received an invalid combination of arguments - got (bool), "),
    ("random_(None)", "random_() received an invalid combination of arguments - got (NoneType)"),
    ("random_(0, 3.0)", "random_() received an invalid combination of arguments - got (int, "
     "float), but"),
    ("random_(1, 2, 3)", "random_() takes 2 positional arguments but 3 were given"),
]


def _run(mod, dtype, call, n=4000):
    t = mod.zeros(n, dtype=getattr(mod, dtype))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = eval("t." + call)           # noqa: S307 - a fixed table of calls
        except Exception as e:                # noqa: BLE001 - compared below
            return e, [str(w.message) for w in caught]
    assert out is t
    return (str(out.dtype), out.double().min().item(), out.double().max().item()), \
        [str(w.message).split(" (Triggered")[0] for w in caught]


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_and_uniform_like_torch(dtype):
    """Every call: the same exception type and message, or the same dtype and range (and the
    same precision warnings)."""
    gt.manual_seed(0)
    torch.manual_seed(0)
    for call in CALLS:
        g, g_warn = _run(gt, dtype, call)
        t, t_warn = _run(torch, dtype, call)
        if isinstance(t, Exception):
            assert type(g) is type(t) and str(g) == str(t).split("\n")[0], (call, g, t)
            continue
        assert not isinstance(g, Exception), (call, g)
        assert g[0] == t[0] and g_warn == t_warn, (call, g, t, g_warn, t_warn)
        lo, hi = _range(dtype, call)
        assert lo <= g[1] <= g[2] <= hi and lo <= t[1] <= t[2] <= hi, (call, g, t, lo, hi)


def _range(dtype, call):
    """The closed range each call draws from (torch's documented semantics)."""
    import numpy as np
    if dtype == "bool":
        return 0, 1
    if call.startswith("uniform_"):
        lo, hi = {"uniform_()": (0, 1), "uniform_(to=4)": (0, 4), "uniform_(2, 2)": (2, 2),
                  "uniform_(True, 2)": (1, 2), "uniform_(**{'from': -1, 'to': 0})": (-1, 0),
                  "uniform_(-2, 2)": (-2, 2), "uniform_(0, 1e39)": (0, 1e39),
                  "uniform_(-3e38, 3e38)": (-3e38, 3e38)}[call]
        return lo, hi if lo == hi else float(np.nextafter(np.dtype(dtype).type(hi), -np.inf))
    if dtype.startswith("float"):
        top = 2 ** (np.finfo(dtype).nmant + 1)
    else:
        top = int(np.iinfo(dtype).max)
    return {"random_()": (0, top), "random_(0, None)": (0, top), "random_(5)": (0, 4),
            "random_(-3, 3)": (-3, 2), "random_(to=7)": (0, 6), "random_(2, to=5)": (2, 4),
            "random_(**{'from': 2, 'to': 5})": (2, 4), "random_(0, 2**40)": (0, 2**40 - 1),
            "random_(-200, 0)": (-200, -1), "random_(-200000, 0)": (-200000, -1),
            "random_(2**25, None)": (2**25, top)}[call]


@pytest.mark.parametrize("call, message", BAD_SIGNATURES, ids=[c for c, _ in BAD_SIGNATURES])
def test_signature_errors_are_torchs(call, message):
    for mod in (gt, torch):
        t = mod.zeros(3)
        with pytest.raises(TypeError) as info:
            eval("t." + call)                 # noqa: S307 - a fixed table of calls
        assert str(info.value).startswith(message), (mod.__name__, str(info.value))


def test_empty_and_leaf_tensors():
    """Bounds are checked on empty tensors too; a leaf that requires grad is refused."""
    for mod in (gt, torch):
        with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
            mod.zeros(0).random_(3, 2)
        with pytest.raises(NotImplementedError, match="check_uniform_bounds"):
            mod.zeros(0, dtype=mod.int64).uniform_()
        for call in ("uniform_()", "random_()"):
            with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
                eval("mod.zeros(3, requires_grad=True)." + call)   # noqa: S307


def test_generator_and_tensor_bounds():
    """A Generator makes the fill reproducible; one-element tensors are taken as bounds."""
    g1, g2 = gt.Generator().manual_seed(3), gt.Generator().manual_seed(3)
    a = gt.zeros(50).uniform_(-1, 1, generator=g1)
    b = gt.zeros(50).uniform_(**{"from": -1, "to": 1}, generator=g2)
    assert gt.equal(a, b)
    x = gt.zeros(100).random_(gt.tensor(2), 4)
    assert x.min().item() >= 2 and x.max().item() <= 3
    y = gt.zeros(100).uniform_(gt.tensor(0.5), 1)
    assert y.min().item() >= 0.5



@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("call", ["random_(2**24 + 1, 2**24 + 4)", "random_(2**11 + 1, 2**11 + 3)",
                                  "random_(2**53 + 1, 2**53 + 4)", "random_(2**24 + 1, None)",
                                  "random_(-2**24 - 5, -2**24 + 1)"])
def test_float_bounds_rounded_as_torch(dtype, call):
    """update_from/update_to: integer bounds a float dtype cannot hold move to ones it holds,
    or raise torch's 'casted to dtype' error; then both draw the same few values."""
    results = []
    for mod in (gt, torch):
        t = mod.zeros(400, dtype=getattr(mod, dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                eval("t." + call)             # noqa: S307 - a fixed table of calls
                results.append(t)
            except Exception as e:            # noqa: BLE001 - compared below
                results.append(e)
    g, t = results
    if isinstance(t, Exception):
        assert type(g) is type(t) and str(g) == str(t), (g, t)
    elif call.endswith("None)"):              # [from, 2^53]: too many values to compare
        assert g.min().item() >= 2**24 + 1 and t.min().item() >= 2**24 + 1
    else:
        assert set(g.tolist()) == set(t.tolist()), (set(g.tolist()), set(t.tolist()))
