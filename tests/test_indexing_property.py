"""Property test of x[index] and x[index] = v: random shapes and random index tuples (ints in and
out of range, slices with steps, None, Ellipsis, Python bools, int lists, int tensors, 0-d
tensors, bool masks) give torch's result -- shape, values, view or copy, gradient -- or an
exception of the same type."""
import warnings

import numpy as np
import torch
from hypothesis import given, settings, strategies as st

import glasstorch as gt

KINDS = ["int", "int", "slice", "slice", "none", "ellipsis", "bool", "list", "tensor", "int0d",
         "mask"]


@st.composite
def shape_and_index(draw):
    """A shape and an index spec (kind, payload) per entry; sizes stay small, and entries may
    run past the last dim so that "too many indices" is exercised too."""
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=4)))
    spec, d = [], 0
    for _ in range(draw(st.integers(0, len(shape) + 1))):
        kind = draw(st.sampled_from(KINDS))
        if kind == "ellipsis" and ("ellipsis", None) in spec:
            kind = "none"   # torch's reading of two ellipses differs between get and set
        size = shape[d] if d < len(shape) else 2
        ints = st.integers(-size - 1, size)   # one past each end: out-of-bounds errors
        if kind in ("int", "int0d"):
            spec.append((kind, draw(ints)))
        elif kind == "slice":
            bound = st.none() | st.integers(-6, 6)
            spec.append((kind, (draw(bound), draw(bound), draw(st.none() | st.integers(1, 3)))))
        elif kind in ("list", "tensor"):
            spec.append((kind, draw(st.lists(ints, min_size=1, max_size=4))))
        elif kind == "mask":
            n = draw(st.sampled_from([size, size, size + 1]))   # sometimes the wrong length
            spec.append((kind, draw(st.lists(st.booleans(), min_size=n, max_size=n))))
        elif kind == "bool":
            spec.append((kind, draw(st.booleans())))
        else:
            spec.append((kind, None))
        d += kind not in ("none", "ellipsis", "bool")
    return shape, spec


def _build(L, spec):
    out = []
    for kind, p in spec:
        if kind == "slice":
            out.append(slice(*p))
        elif kind == "none":
            out.append(None)
        elif kind == "ellipsis":
            out.append(Ellipsis)
        elif kind == "tensor":
            out.append(L.tensor(p, dtype=L.int64))
        elif kind == "int0d":
            out.append(L.tensor(p))
        elif kind == "mask":
            out.append(L.tensor(p, dtype=L.bool))
        else:
            out.append(p)
    return tuple(out)


def _run(L, shape, spec):
    """(result, x, error type): x[index] on a float64 arange that requires grad."""
    x = L.arange(float(np.prod(shape)), dtype=L.float64).reshape(shape).requires_grad_()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return x[_build(L, spec)], x, None
    except Exception as e:  # noqa: BLE001 - compared with torch's below
        return None, x, type(e)


@settings(max_examples=250, deadline=None)
@given(shape_and_index())
def test_getitem_matches_torch(case):
    shape, spec = case
    g, gx, g_err = _run(gt, shape, spec)
    t, tx, t_err = _run(torch, shape, spec)
    assert g_err == t_err, f"glasstorch raised {g_err}, torch {t_err}"
    if t_err is not None:
        return
    assert tuple(g.shape) == tuple(t.shape)
    np.testing.assert_array_equal(g.detach().numpy(), t.detach().numpy())
    assert (g._base is not None) == (t._base is not None), "view vs copy differs"
    up = np.random.default_rng(0).standard_normal(tuple(t.shape))
    g.backward(gt.tensor(up))
    t.backward(torch.tensor(up))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


@settings(max_examples=150, deadline=None)
@given(shape_and_index(), st.sampled_from(["number", "tensor"]))
def test_setitem_matches_torch(case, value_kind):
    shape, spec = case
    results = []
    for L in (gt, torch):
        y = L.arange(float(np.prod(shape)), dtype=L.float64).reshape(shape)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                index = _build(L, spec)
                region = y[index]      # its values name the places written
                places = region.reshape(-1).tolist()
                # a tensor value like the region but broadcast along its last dim; repeated
                # places get a number (which of differing values wins is undefined)
                v = 7.0
                if value_kind == "tensor" and len(set(places)) == len(places):
                    v = -L.arange(1.0, 1.0 + region[..., :1].numel(), dtype=L.float64) \
                        .reshape(region[..., :1].shape)
                y[index] = v
            results.append(("ok", y.numpy()))
        except Exception as e:  # noqa: BLE001
            results.append(("err", type(e)))
    (gk, gv), (tk, tv) = results
    assert gk == tk, f"glasstorch: {gv}, torch: {tv}"
    if gk == "ok":
        np.testing.assert_array_equal(gv, tv)
