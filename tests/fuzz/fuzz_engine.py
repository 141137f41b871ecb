"""The differential fuzzer's engine: draw inputs with hypothesis, run one expression in
glasstorch and in torch, classify the outcome.

Outcomes (the tally printed after the run):
  same_value       both succeeded: equal shape, dtype, values (NaN == NaN) and gradients
  same_error       both raised, the same builtin exception type, a glasstorch-written message
  vague_error      the same, but the message names neither the op, nor an input's shape or
                   dtype (counted and listed, not failing: the rule is a clear message naming
                   the op, the shapes/dtypes and what was expected)
  silent_accept    torch raised, glasstorch returned a result
  spurious_error   glasstorch raised, torch returned a result
  wrong_value / wrong_dtype / wrong_shape / wrong_grad
  error_type       both raised, different exception types
  internal_error   glasstorch's error came from NumPy or Python internals (not from glasstorch
                   code), or reads like one
Gradients are compared when both succeed, every input is finite and the output is floating.
"""
import collections
import math
import re
import traceback

import numpy as np
import torch
from hypothesis import strategies as st

import glasstorch as gt
from glasstorch.autograd import node as _node

BAD = ("silent_accept", "spurious_error", "wrong_value", "wrong_dtype", "wrong_shape",
       "wrong_grad", "error_type", "internal_error")
TALLY = collections.Counter()
PER_OP = collections.defaultdict(collections.Counter)
FIRST = {}                      # (op, outcome) -> the first example's description
EXERCISED = set()               # registered op classes that ran during the fuzz

DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]
FLOATS = ["float32", "float64"]
_SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 1e30, -1e-30, 0.5]
_INTERNAL = re.compile(r"numpy|ufunc|operands could not be broadcast|object has no attribute|"
                       r"unsupported operand type|NoneType|gufunc|"
                       r"cannot reshape array|is out of bounds for axis|invalid literal|"
                       r"not subscriptable|not iterable|unhashable|can't multiply sequence|"
                       r"maximum recursion|division by zero|list index out of range|"
                       r"tuple index out of range|array of sample points is empty|"
                       r"zero-size array to reduction|ndarray|unexpected keyword argument")


# ---- drawing inputs ----------------------------------------------------------------------
def shapes(min_dims=0, max_dims=3, min_side=0, max_side=4):
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(
        tuple)


def values(data, shape, dtype, special=True, low=-3, high=3):
    """A NumPy array of `shape` and `dtype`; floats may hold NaN/inf/±0/huge values."""
    n = int(np.prod(shape, dtype=np.int64))
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(n).reshape(shape) < 0.5
    if dtype in FLOATS:
        a = rng.uniform(low, high, n)
        if special and n and data.draw(st.booleans(), label="specials"):
            k = rng.integers(1, n + 1)
            a[rng.choice(n, k, replace=False)] = rng.choice(_SPECIAL, k)
        return a.astype(dtype).reshape(shape)
    lo = 0 if dtype == "uint8" else int(low)
    return rng.integers(lo, max(high, lo + 1) + 1, n).astype(dtype).reshape(shape)


class Arg:
    """A tensor argument: array + layout ("C", "T" transposed view, "S" strided slice)."""

    def __init__(self, array, layout="C", grad=True):
        self.array, self.layout, self.grad = array, layout, grad

    def make(self, lib):
        a = self.array
        if self.layout == "T" and a.ndim >= 2:
            t = lib.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2)))
            leaf = t
            t = t.transpose(-1, -2)
        elif self.layout == "S" and a.ndim >= 1:
            wide = np.repeat(a, 2, axis=-1)
            leaf = lib.tensor(wide)
            t = leaf[..., ::2]
        else:
            leaf = t = lib.tensor(a)
        if self.grad and a.dtype.kind == "f":
            leaf.requires_grad_(True)
            if leaf is not t:   # rebuild the view from the (now grad-requiring) leaf
                t = leaf.transpose(-1, -2) if self.layout == "T" else leaf[..., ::2]
        return leaf, t

    def __repr__(self):
        return f"{self.array.dtype}{list(self.array.shape)}{self.layout}"


def tensor(data, shape=None, dtypes=DTYPES, special=True, layout=True, grad=True, **kw):
    if shape is None:
        shape = data.draw(shapes())
    dtype = data.draw(st.sampled_from(dtypes))
    lay = data.draw(st.sampled_from(["C", "T", "S"])) if layout else "C"
    return Arg(values(data, shape, dtype, special, **kw), lay, grad)


# ---- running and comparing ---------------------------------------------------------------
def _builtin_type(e):
    for c in type(e).__mro__:
        if c.__module__ == "builtins":
            return c
    return Exception


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [y for x in out for y in _flat(x)]
    return [out]


def _call(lib, fn, args, kwargs):
    leaves, made = [], []
    for a in args:
        if isinstance(a, Arg):
            leaf, t = a.make(lib)
            leaves.append(leaf)
            made.append(t)
        elif isinstance(a, list) and a and all(isinstance(x, Arg) for x in a):
            pairs = [x.make(lib) for x in a]
            leaves += [p[0] for p in pairs]
            made.append([p[1] for p in pairs])
        else:
            made.append(a)
    try:
        return leaves, fn(lib, *made, **kwargs), None
    except Exception as e:  # noqa: BLE001 - classified below
        return leaves, None, e


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(g, t, dtype):
    rtol, atol = {"float64": (1e-6, 1e-8), "float32": (2e-4, 1e-5),
                  "float16": (1e-2, 1e-2)}.get(dtype, (0, 0))
    if g.shape != t.shape:
        return False
    if g.dtype.kind in "fc":
        return np.allclose(g, t, rtol=rtol, atol=atol, equal_nan=True) or \
            np.array_equal(np.isnan(g), np.isnan(t)) and np.allclose(
                np.nan_to_num(g), np.nan_to_num(t), rtol=rtol * 10, atol=atol * 10)
    return np.array_equal(g, t)


def _internal(e):
    frames = traceback.extract_tb(e.__traceback__)
    last = frames[-1].filename if frames else ""
    mine = "glasstorch" in last.replace("\\", "/").split("/")
    return not mine or bool(_INTERNAL.search(str(e)))


def compare(op, fn, args, kwargs=None, grad=True):
    """Run `fn(lib, *args)` in both libraries; record and return the outcome."""
    kwargs = kwargs or {}
    seen = []
    obs = lambda cls, a, k, r: seen.append(cls)  # noqa: E731
    _node._OBSERVERS.append(obs)
    try:
        g_leaves, g_out, g_err = _call(gt, fn, args, kwargs)
    finally:
        _node._OBSERVERS.remove(obs)
    EXERCISED.update(seen)
    outcome, detail = _against_torch(fn, args, kwargs, grad, g_leaves, g_out, g_err)
    if outcome == "same_error" and _vague(op, detail, args):
        outcome = "vague_error"
    TALLY[outcome] += 1
    PER_OP[op][outcome] += 1
    if outcome in BAD + ("vague_error",) and (op, outcome) not in FIRST:
        FIRST[(op, outcome)] = f"args={args} kwargs={kwargs}: {detail}"[:400]
    return outcome


_DTYPE_WORDS = re.compile(r"float|double|half|long|int|byte|char|short|bool|dtype|"
                          r"scalar type", re.I)


def _vague(op, message, args):
    """A glasstorch message that names neither the op, nor a shape or dtype of the inputs."""
    name = op.removeprefix("F.").split(".")[0].strip("_")
    if name.lower() in message.lower() or name.replace("_", ".") in message or \
            _DTYPE_WORDS.search(message):
        return False
    sizes = [x.array.shape for a in args for x in (a if isinstance(a, list) else [a])
             if isinstance(x, Arg)]
    return not any(str(list(s)) in message or str(tuple(s)) in message or
                   (len(s) > 1 and "x".join(map(str, s)) in message) for s in sizes)


def _against_torch(fn, args, kwargs, grad, g_leaves, g_out, g_err):
    t_leaves, t_out, t_err = _call(torch, fn, args, kwargs)
    return _classify(g_leaves, g_out, g_err, t_leaves, t_out, t_err, args, grad)


def outcome(fn, args, kwargs=None, grad=True):
    """(outcome, detail) of `fn(lib, *args)` in both libraries, not counted in the tally:
    the regression tests of fixed fuzzer findings use it (args: Arg or plain values)."""
    args = [a if isinstance(a, Arg) or not hasattr(a, "dtype") else Arg(a) for a in args]
    g_leaves, g_out, g_err = _call(gt, fn, args, kwargs or {})
    return _against_torch(fn, args, kwargs or {}, grad, g_leaves, g_out, g_err)


def _classify(g_leaves, g_out, g_err, t_leaves, t_out, t_err, args, grad):
    if g_err is not None and t_err is not None:
        if _internal(g_err):
            return "internal_error", f"{type(g_err).__name__}: {g_err}"
        if _builtin_type(g_err) is not _builtin_type(t_err):
            return "error_type", f"{type(g_err).__name__} vs torch {type(t_err).__name__}: " \
                f"{g_err} | {t_err}"
        return "same_error", f"{type(g_err).__name__}: {g_err}"
    if t_err is not None:
        return "silent_accept", f"torch: {type(t_err).__name__}: {t_err}"
    if g_err is not None:
        kind = "internal_error" if _internal(g_err) else "spurious_error"
        return kind, f"{type(g_err).__name__}: {g_err}"
    gs, ts = _flat(g_out), _flat(t_out)
    if len(gs) != len(ts):
        return "wrong_shape", f"{len(gs)} outputs vs {len(ts)}"
    for g, t in zip(gs, ts):
        if isinstance(t, torch.Tensor):
            if not hasattr(g, "_data"):
                return "wrong_dtype", f"{type(g).__name__} instead of a tensor"
            if str(g.dtype).split(".")[-1] != str(t.dtype).split(".")[-1]:
                return "wrong_dtype", f"{g.dtype} vs {t.dtype}"
            if tuple(g.shape) != tuple(t.shape):
                return "wrong_shape", f"{tuple(g.shape)} vs {tuple(t.shape)}"
            if not _close(_np(g), _np(t), str(t.dtype).split(".")[-1]):
                return "wrong_value", f"{_np(g).ravel()[:6]} vs {_np(t).ravel()[:6]}"
        elif not (g == t or (isinstance(t, float) and math.isnan(t) and math.isnan(g))):
            return "wrong_value", f"{g!r} vs {t!r}"
    if grad and _all_finite(args):
        return _grads(gs, ts, g_leaves, t_leaves)
    return "same_value", ""


def _all_finite(args):
    for a in args:
        for x in (a if isinstance(a, list) else [a]):
            if isinstance(x, Arg) and x.array.dtype.kind == "f" and \
                    not np.isfinite(x.array).all():
                return False
    return True


def _grads(gs, ts, g_leaves, t_leaves):
    pairs = [(g, t) for g, t in zip(gs, ts) if isinstance(t, torch.Tensor) and t.requires_grad
             and t.dtype.is_floating_point]
    if not pairs or not any(leaf.requires_grad for leaf in t_leaves):
        return "same_value", ""
    rng = np.random.default_rng(0)
    ws = [rng.uniform(-1, 1, tuple(t.shape)) for _, t in pairs]
    t_loss = sum((t * torch.tensor(w, dtype=t.dtype)).sum() for (_, t), w in zip(pairs, ws))
    try:
        t_loss.backward()
    except RuntimeError:
        return "same_value", ""
    try:
        g_loss = sum((g * gt.tensor(w, dtype=g.dtype)).sum() for (g, _), w in zip(pairs, ws))
        g_loss.backward()
    except Exception as e:  # noqa: BLE001
        return "wrong_grad", f"backward raised {type(e).__name__}: {e}"
    for gl, tl in zip(g_leaves, t_leaves):
        if tl.grad is None:
            continue
        if gl.grad is None:
            return "wrong_grad", "no gradient"
        tg = tl.grad.numpy()
        if not _close(gl.grad.numpy(), tg, str(tl.dtype).split(".")[-1]) and \
                not _close(gl.grad.numpy(), tg, "float16"):
            return "wrong_grad", f"{gl.grad.numpy().ravel()[:6]} vs {tg.ravel()[:6]}"
    return "same_value", ""
