"""Property tests (hypothesis) for views against torch, on random shapes and memory layouts
(permuted, narrowed, expanded tensors): whether view/reshape succeed, and the result's values,
strides, storage offset and contiguity; broadcasting of random shape pairs; in-place writes
through random chains of views changing the base exactly as in torch."""
import math

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

import glasstorch as gt

SETTINGS = settings(deadline=None, max_examples=60, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def layouts(draw):
    """(shape, permutation, narrow) of a tensor built as arange(...).reshape(shape), permuted,
    then narrowed along one dim (so strides may have gaps)."""
    shape = tuple(draw(st.lists(st.integers(1, 4), max_size=4)))
    if draw(st.integers(0, 9)) == 0 and shape:  # now and then a zero-size dim
        shape = shape[:-1] + (0,)
    perm = tuple(draw(st.permutations(range(len(shape)))))
    cut = None
    if shape and draw(st.booleans()):
        d = draw(st.integers(0, len(shape) - 1))
        size = shape[perm[d]]
        start = draw(st.integers(0, size))
        cut = (d, start, draw(st.integers(0, size - start)))
    return shape, perm, cut


def build(lib, spec):
    shape, perm, cut = spec
    root = lib.arange(float(math.prod(shape)), dtype=lib.float64).reshape(shape)
    x = root.permute(perm)
    if cut is not None:
        x = x.narrow(*cut)
    return root, x


@st.composite
def target_shapes(draw, numel):
    """A shape with `numel` elements (or, now and then, a wrong one), one dim maybe -1."""
    if numel == 0:
        shape = draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
        if 0 not in shape:
            shape[draw(st.integers(0, len(shape) - 1))] = 0
    else:
        factors, n, p = [], numel, 2
        while n > 1:
            while n % p == 0:
                factors.append(p)
                n //= p
            p += 1
        k = draw(st.integers(max(len(factors) and 1, 0), len(factors) + 2))
        shape = [1] * k
        for f in factors:
            shape[draw(st.integers(0, k - 1))] *= f
        if draw(st.integers(0, 7)) == 0:
            shape.append(draw(st.integers(2, 3)))  # wrong number of elements
    if shape and draw(st.booleans()):
        shape[draw(st.integers(0, len(shape) - 1))] = -1
    return tuple(shape)


def _outcome(fn):
    try:
        return fn(), None
    except RuntimeError as e:
        return None, e


def assert_same_tensor(g, t):
    assert tuple(g.shape) == tuple(t.shape)
    assert g.stride() == t.stride(), (g.stride(), t.stride())
    assert g.storage_offset() == t.storage_offset()
    assert g.is_contiguous() == t.is_contiguous()
    assert (g._base is None) == (t._base is None)
    np.testing.assert_array_equal(g.numpy(), t.numpy())


def _compare(g_fn, t_fn):
    (g, ge), (t, te) = _outcome(g_fn), _outcome(t_fn)
    assert (ge is None) == (te is None), f"glasstorch: {ge!r}, torch: {te!r}"
    if ge is None:
        assert_same_tensor(g, t)


@SETTINGS
@given(st.data())
def test_view_and_reshape_match_torch(data):
    spec = data.draw(layouts())
    (_, gx), (_, tx) = build(gt, spec), build(torch, spec)
    assert_same_tensor(gx, tx)
    shape = data.draw(target_shapes(tx.numel()))
    _compare(lambda: gx.view(shape), lambda: tx.view(shape))
    _compare(lambda: gx.reshape(shape), lambda: tx.reshape(shape))


@SETTINGS
@given(st.data())
def test_layout_queries_match_torch(data):
    spec = data.draw(layouts())
    (_, gx), (_, tx) = build(gt, spec), build(torch, spec)
    n = tx.dim()
    d = data.draw(st.integers(-n - 1, n))
    _compare(lambda: gx.unsqueeze(d), lambda: tx.unsqueeze(d))
    _compare(lambda: gx.flatten(), lambda: tx.flatten())
    _compare(lambda: gx.squeeze(), lambda: tx.squeeze())
    _compare(lambda: gx.contiguous(), lambda: tx.contiguous())
    if n >= 2:
        _compare(lambda: gx.diagonal(d), lambda: tx.diagonal(d))
    if n:
        size = data.draw(st.integers(0, tx.shape[0]))
        step = data.draw(st.integers(1, 3))
        _compare(lambda: gx.unfold(0, size, step), lambda: tx.unfold(0, size, step))
        sizes = tuple(data.draw(st.sampled_from([-1, 1, 2, 3])) for _ in range(n)) + (2,)
        _compare(lambda: gx.expand(*sizes[::-1]), lambda: tx.expand(*sizes[::-1]))


shapes_for_broadcast = st.lists(st.integers(0, 3), max_size=4).map(tuple)


@SETTINGS
@given(shapes_for_broadcast, shapes_for_broadcast)
def test_broadcasting_matches_torch(a, b):
    def run(lib):
        x, y = lib.ones(a), lib.ones(b)
        return (tuple(lib.broadcast_shapes(a, b)), tuple((x + y).shape),
                tuple(t.shape for t in lib.broadcast_tensors(x, y)))
    g, ge = _outcome(lambda: run(gt))
    t, te = _outcome(lambda: run(torch))
    assert (ge is None) == (te is None), f"glasstorch: {ge!r}, torch: {te!r}"
    assert g == t


@st.composite
def view_chains(draw, shape, expand=True):
    """A few random view ops valid for `shape`: (name, args) pairs."""
    ops = []
    for _ in range(draw(st.integers(1, 3))):
        n = len(shape)
        choices = ["unsqueeze", "view_flat"] + (["transpose", "narrow", "select"] if n else []) \
            + (["diagonal"] if n >= 2 else []) + (["expand_1"] if n and expand else [])
        name = draw(st.sampled_from(choices))
        if name == "unsqueeze":
            d = draw(st.integers(-n - 1, n))
            args = (d,)
            d = d + n + 1 if d < 0 else d
            shape = shape[:d] + (1,) + shape[d:]
        elif name == "view_flat":
            args = ()
            shape = (math.prod(shape),)
        elif name == "transpose":
            a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            args = (a, b)
            s = list(shape)
            s[a], s[b] = s[b], s[a]
            shape = tuple(s)
        elif name == "narrow":
            d = draw(st.integers(0, n - 1))
            start = draw(st.integers(0, shape[d]))
            length = draw(st.integers(0, shape[d] - start))
            args = (d, start, length)
            shape = shape[:d] + (length,) + shape[d + 1:]
        elif name == "select":
            d = draw(st.integers(0, n - 1))
            if shape[d] == 0:
                continue
            args = (d, draw(st.integers(-shape[d], shape[d] - 1)))
            shape = shape[:d] + shape[d + 1:]
        elif name == "expand_1":  # a new leading dim: of size 1 (writable) or 2 (read-only)
            k = draw(st.integers(1, 2))
            args = (k,)
            shape = (k,) + shape
        else:
            args = ()
            shape = shape[2:] + (min(shape[0], shape[1]),)
        ops.append((name, args))
    return ops


def apply_chain(x, ops):
    for name, args in ops:
        if name == "view_flat":
            x = x.view(-1)  # may raise on non-contiguous layouts, as in torch
        elif name == "expand_1":
            x = x.expand(args[0], *x.shape)
        else:
            x = getattr(x, name)(*args)
    return x


WRITES = {
    "add_": lambda v, lib: v.add_(1),
    "mul_": lambda v, lib: v.mul_(-2),
    "fill_": lambda v, lib: v.fill_(7),
    "setitem": lambda v, lib: v.__setitem__(Ellipsis, -3.0),
    "copy_": lambda v, lib: v.copy_(lib.arange(float(v.numel()), dtype=lib.float64)
                                    .reshape(v.shape) * 10),
}


@SETTINGS
@given(st.data())
def test_inplace_writes_through_views_match_torch(data):
    spec = data.draw(layouts())
    ops = data.draw(view_chains(build(torch, spec)[1].shape))
    write = data.draw(st.sampled_from(sorted(WRITES)))
    results = []
    for lib in (gt, torch):
        root, x = build(lib, spec)
        v, err = _outcome(lambda: apply_chain(x, ops))
        if err is None:
            _, err = _outcome(lambda: WRITES[write](v, lib))
        results.append((root, x, v, err))
    (groot, gx, gv, ge), (troot, tx, tv, te) = results
    assert (ge is None) == (te is None), f"glasstorch: {ge!r}, torch: {te!r}"
    np.testing.assert_array_equal(groot.numpy(), troot.numpy())
    assert groot._version == troot._version
    if gv is not None:
        assert_same_tensor(gv, tv)


@SETTINGS
@given(st.data())
def test_autograd_through_inplace_on_views_matches_torch(data):
    spec = data.draw(layouts())
    ops = data.draw(view_chains(build(torch, spec)[1].shape, expand=False))
    grads = []
    for lib in (gt, torch):
        root, x = build(lib, spec)
        leaf = x.detach().clone().requires_grad_()
        y = leaf * 1
        v, err = _outcome(lambda: apply_chain(y, ops))
        if err is None:
            v.mul_(3)
            (y * y).sum().backward()
            grads.append(leaf.grad.numpy())
        else:
            grads.append(err)
    if isinstance(grads[1], Exception):
        assert isinstance(grads[0], RuntimeError)
    else:
        np.testing.assert_allclose(grads[0], grads[1])

