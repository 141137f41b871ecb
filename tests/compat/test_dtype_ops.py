"""Dtype promotion of every registered op family against torch (issue 9, part 3): each sample
call runs on inputs of every dtype (bool, uint8, int8, int32, int64, float16, float32, float64)
-- and the fused ops (losses, norms, attention, linear, conv) on mixed dtypes -- in both
frameworks; the result dtype and value (or the exception type) must match. The binary ops'
full dtype x dtype x scalar matrix is tests/test_dtype_promotion.py.

KNOWN lists what still differs (an expected failure; a fixed entry fails until removed).
It is empty now: the int64/float64 weight= of the BCE losses was the last one."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt

DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]


def _data(name, shape=(2, 3), seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.2, 0.9, shape)
    if name == "bool":
        return a > 0.5
    if name in ("uint8", "int8", "int32", "int64"):
        return (a * 4).astype(name)
    return a.astype(name)


def _run(lib, fn, arrays, names):
    ts = [lib.tensor(a.copy(), dtype=getattr(lib, n)) for a, n in zip(arrays, names)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(lib, *ts)
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__, None
    out = out[0] if isinstance(out, (tuple, list)) else out
    return str(out.dtype).split(".")[-1], out.detach().double().numpy() if out.dtype != \
        getattr(lib, "bool") else out.numpy()


def _compare(fn, names, seed=0):
    arrays = [_data(n, seed=seed + i) for i, n in enumerate(names)]
    g, t = _run(gt, fn, arrays, names), _run(torch, fn, arrays, names)
    if g[0] != t[0]:
        return f"{names}: glasstorch {g[0]}, torch {t[0]}"
    if t[1] is not None:
        tol = 1e-2 if "float16" in names else 1e-5
        if not np.allclose(g[1], t[1], rtol=tol, atol=tol, equal_nan=True):
            return f"{names}: values differ"
    return None


UNARY = ["abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh", "erf",
         "erfc", "erfinv", "exp", "exp2", "expm1", "floor", "frac", "log", "log10", "log1p",
         "log2", "nan_to_num", "neg", "reciprocal", "relu", "round", "rsqrt", "sigmoid", "sign",
         "sin", "sinh", "sqrt", "square", "tan", "tanh", "trunc", "lgamma", "digamma"]
REDUCE = {"sum": lambda m, x: x.sum(), "sum_dim": lambda m, x: x.sum(1),
          "mean": lambda m, x: x.mean(), "prod": lambda m, x: x.prod(1),
          "amax": lambda m, x: x.amax(1), "amin": lambda m, x: x.amin(0),
          "max": lambda m, x: x.max(1).values, "min": lambda m, x: x.min(),
          "cumsum": lambda m, x: x.cumsum(1), "cumprod": lambda m, x: x.cumprod(0),
          "var": lambda m, x: x.var(), "std": lambda m, x: x.std(1),
          "logsumexp": lambda m, x: x.logsumexp(1), "median": lambda m, x: x.median(),
          "norm": lambda m, x: m.linalg.vector_norm(x), "softmax": lambda m, x: x.softmax(1),
          "log_softmax": lambda m, x: x.log_softmax(1), "sort": lambda m, x: x.sort(1)[0],
          "topk": lambda m, x: x.topk(2)[0], "clamp": lambda m, x: x.clamp(0.5),
          "clamp_int": lambda m, x: x.clamp(1, 2), "where": lambda m, x: m.where(x > 0.5, x, 0.5),
          "flip": lambda m, x: x.flip(0), "cat": lambda m, x: m.cat([x, x]),
          "matmul": lambda m, x: x @ x.T, "tril": lambda m, x: x.tril(),
          "pad": lambda m, x: m.nn.functional.pad(x, (1, 1)),
          "sum_dtype": lambda m, x: x.sum(dtype=m.float64)}
ACT = ["elu", "gelu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "leaky_relu",
       "logsigmoid", "mish", "silu", "softplus", "softshrink"]
# fused ops on mixed dtypes: (name, fn(m, *tensors), dtypes of the tensors)
FUSED = [
    ("mse_float32_float64", lambda m, a, b: m.nn.functional.mse_loss(a, b),
     ["float32", "float64"]),
    ("l1_float64_float32", lambda m, a, b: m.nn.functional.l1_loss(a, b), ["float64", "float32"]),
    ("bce_weight_int64", lambda m, a, b, w: m.nn.functional.binary_cross_entropy(a, b, weight=w),
     ["float32", "float32", "int64"]),
    ("bce_logits_weight_int64", lambda m, a, b, w:
     m.nn.functional.binary_cross_entropy_with_logits(a, b, weight=w),
     ["float32", "float32", "int64"]),
    ("bce_logits_pos_weight_f64", lambda m, a, b, w:
     m.nn.functional.binary_cross_entropy_with_logits(a, b, pos_weight=w),
     ["float32", "float32", "float64"]),
    ("bce_logits_target_f64", lambda m, a, b:
     m.nn.functional.binary_cross_entropy_with_logits(a, b), ["float32", "float64"]),
    ("smooth_l1_f32_f64", lambda m, a, b: m.nn.functional.smooth_l1_loss(a, b),
     ["float32", "float64"]),
    ("huber_f32_f64", lambda m, a, b: m.nn.functional.huber_loss(a, b), ["float32", "float64"]),
    ("kl_div_f32_f64", lambda m, a, b: m.nn.functional.kl_div(a, b, reduction="batchmean"),
     ["float32", "float64"]),
    ("cross_entropy_weight_f64", lambda m, a, w: m.nn.functional.cross_entropy(
        a, m.tensor([0, 2]), weight=w[0]), ["float32", "float64"]),
    ("layer_norm_weight_f64", lambda m, a, w: m.nn.functional.layer_norm(a, (3,), weight=w[0]),
     ["float32", "float64"]),
    ("linear_f32_f64", lambda m, a, w: m.nn.functional.linear(a, w), ["float32", "float64"]),
    ("cosine_similarity_f32_f64", lambda m, a, b: m.nn.functional.cosine_similarity(a, b),
     ["float32", "float64"]),
    ("sdpa_f32", lambda m, a, b: m.nn.functional.scaled_dot_product_attention(
        a[None], b[None], b[None]), ["float32", "float32"]),
    ("sdpa_f32_f64", lambda m, a, b: m.nn.functional.scaled_dot_product_attention(
        a[None], b[None], b[None]), ["float32", "float64"]),
    ("mse_int64_target", lambda m, a, b: m.nn.functional.mse_loss(a, b), ["float32", "int64"]),
]

KNOWN = {  # name -> what differs (measured); a fixed entry fails the test until removed here
}


def _known(name, bad):
    if bad:
        pytest.xfail(KNOWN[name])
    pytest.fail(f"{name} now matches torch: remove it from KNOWN")


@pytest.mark.parametrize("name", UNARY)
def test_unary_over_dtypes(name):
    bad = [m for d in DTYPES
           if (m := _compare(lambda lib, x: getattr(lib, name)(x), [d]))]
    if name in KNOWN:
        _known(name, bad)
    assert not bad, bad


@pytest.mark.parametrize("name", list(REDUCE))
def test_reductions_and_shape_ops_over_dtypes(name):
    bad = [m for d in DTYPES if (m := _compare(REDUCE[name], [d]))]
    if name in KNOWN:
        _known(name, bad)
    assert not bad, bad


@pytest.mark.parametrize("name", ACT)
def test_activations_over_dtypes(name):
    bad = [m for d in DTYPES
           if (m := _compare(lambda lib, x: getattr(lib.nn.functional, name)(x), [d]))]
    if name in KNOWN:
        _known(name, bad)
    assert not bad, bad


@pytest.mark.parametrize("name,fn,dtypes", FUSED, ids=[f[0] for f in FUSED])
def test_fused_ops_mixed_dtypes(name, fn, dtypes):
    bad = _compare(fn, dtypes)
    if name in KNOWN:
        _known(name, bad)
    assert not bad, bad
