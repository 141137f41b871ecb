"""The backward engine against torch: accumulation, ordering, retain_graph, autograd.grad
(create_graph, allow_unused, grad_outputs), backward(inputs=...), graph structure, detach,
deep graphs and memory release."""
import gc
import weakref

import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import assert_close

LIBS = [gt, torch]


def _t(lib, data, rg=True):
    return lib.tensor(np.asarray(data, dtype=np.float64), requires_grad=rg)


# ---- accumulation and ordering ------------------------------------------------------------
@pytest.mark.parametrize("lib", LIBS)
def test_gradients_accumulate_across_backward_calls(lib):
    a = _t(lib, [1.0, 2.0])
    (a * a).sum().backward()
    (a * a).sum().backward()
    (a * 3).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [7.0, 11.0])
    a.grad = None
    (a * 3).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 3.0])


@pytest.mark.parametrize("fn, want", [
    (lambda a: (lambda b: b + b)(a + a), 4.0),                # b = a + a; c = b + b
    (lambda a: (a * 2) * (a * 3), 12.0 * 3.0),                 # diamond: d/da 6a^2 = 12a
    (lambda a: (lambda b: b * b + b)(a * a), 4 * 27 + 6.0),   # b used twice, b = a^2
    (lambda a: a + a + a + a, 4.0),
])
def test_node_runs_once_all_consumers_delivered(fn, want):
    for lib in LIBS:
        a = _t(lib, 3.0)
        fn(a).backward()
        assert a.grad.item() == pytest.approx(want)


def test_float32_gradients_stay_float32():
    a = gt.ones(3, requires_grad=True)
    (a * 2.5 + a.exp()).sum().backward()
    assert a.grad.dtype == gt.float32


def test_backward_with_gradient_argument():
    rng = np.random.default_rng(0)
    x, up = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    grads = []
    for lib in LIBS:
        a = _t(lib, x)
        (a * a).tanh().backward(lib.tensor(up))
        grads.append(a.grad)
    assert_close(*grads)


def test_autograd_backward_several_roots():
    grads = []
    for lib in LIBS:
        a = _t(lib, [1.0, 2.0])
        y1, y2 = a * a, (a * 3).sum()
        lib.autograd.backward([y1, y2], [lib.tensor([1.0, 10.0], dtype=lib.float64), None])
        grads.append(a.grad)
    assert_close(*grads)


# ---- retain_graph -------------------------------------------------------------------------
def test_second_backward_through_freed_graph_raises():
    for lib in LIBS:
        a = _t(lib, [1.0, 2.0])
        y = (a * a).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()


def test_retain_graph_allows_second_backward():
    for lib in LIBS:
        a = _t(lib, [1.0, 2.0])
        y = (a * a).sum()
        y.backward(retain_graph=True)
        y.backward(retain_graph=True)
        y.backward()                     # the last one frees
        np.testing.assert_allclose(a.grad.numpy(), [6.0, 12.0])
        with pytest.raises(RuntimeError, match="second time"):
            y.backward()


def test_second_backward_works_when_graph_saved_nothing():
    # torch: freeing only matters for saved tensors; add and sum save none
    for lib in LIBS:
        a = _t(lib, [1.0, 2.0])
        y = (a + a).sum()
        y.backward()
        y.backward()
        np.testing.assert_allclose(a.grad.numpy(), [4.0, 4.0])


def test_autograd_grad_frees_graph_unless_retained():
    for lib in LIBS:
        a = _t(lib, [1.0, 2.0])
        y = (a * a).sum()
        lib.autograd.grad(y, a, retain_graph=True)
        lib.autograd.grad(y, a)
        with pytest.raises(RuntimeError, match="second time"):
            lib.autograd.grad(y, a)


# ---- autograd.grad ------------------------------------------------------------------------
def test_grad_returns_tuple_and_leaves_dot_grad_alone():
    for lib in LIBS:
        a, b = _t(lib, [1.0, 2.0]), _t(lib, [3.0, 4.0])
        ga, gb = lib.autograd.grad((a * b).sum(), [a, b])
        np.testing.assert_allclose(ga.numpy(), [3.0, 4.0])
        np.testing.assert_allclose(gb.numpy(), [1.0, 2.0])
        assert a.grad is None and b.grad is None
        g = lib.autograd.grad((a * 2).sum(), a)
        assert isinstance(g, tuple) and len(g) == 1
        assert not g[0].requires_grad


def test_grad_allow_unused_and_materialize():
    for lib in LIBS:
        a, b = _t(lib, [1.0, 2.0]), _t(lib, [3.0])
        y = (a * a).sum()
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            lib.autograd.grad(y, [a, b], retain_graph=True)
        ga, gb = lib.autograd.grad(y, [a, b], allow_unused=True, retain_graph=True)
        assert gb is None
        ga, gb = lib.autograd.grad(y, [a, b], materialize_grads=True)
        np.testing.assert_array_equal(gb.numpy(), [0.0])


def test_grad_outputs_weights_each_output():
    res = []
    for lib in LIBS:
        a = _t(lib, [1.0, 2.0])
        y1, y2 = a * a, a * 3
        res.append(lib.autograd.grad([y1, y2], a, [lib.tensor([1.0, 10.0], dtype=lib.float64),
                                                   lib.tensor([2.0, 0.5], dtype=lib.float64)]))
    assert_close(*res)


def test_grad_of_nonleaf_input():
    res = []
    for lib in LIBS:
        a = _t(lib, [1.0, 2.0])
        m = a * 2
        res.append(lib.autograd.grad((m * m).sum(), m))
    assert_close(*res)


def _mlp(lib, W1, b1, W2, x):
    h = (x @ W1.T + b1).tanh()
    out = h @ W2.T
    return (out * out).sum()


def test_hessian_vector_product_of_small_mlp():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in [(4, 3), (4,), (2, 4)]]
    x = rng.standard_normal((5, 3))
    vs = [rng.standard_normal(a.shape) for a in arrays]
    res = []
    for lib in LIBS:
        params = [_t(lib, a) for a in arrays]
        grads = lib.autograd.grad(_mlp(lib, *params, lib.tensor(x)), params, create_graph=True)
        assert all(g.requires_grad and g.grad_fn is not None for g in grads)
        gv = sum((g * lib.tensor(v)).sum() for g, v in zip(grads, vs))
        res.append((grads, lib.autograd.grad(gv, params)))
    assert_close(res[0][0], res[1][0], what="gradient")
    assert_close(res[0][1], res[1][1], what="Hessian-vector product")


def test_gradient_penalty():
    rng = np.random.default_rng(1)
    W, x = rng.standard_normal((3, 3)), rng.standard_normal((4, 3))
    res = []
    for lib in LIBS:
        w, xi = _t(lib, W), _t(lib, x)
        out = (xi @ w).tanh().sum()
        gx, = lib.autograd.grad(out, xi, create_graph=True)
        norm2 = (gx * gx).sum(1)
        penalty = ((norm2 - 1) * (norm2 - 1)).sum()
        penalty.backward()
        res.append((w.grad, xi.grad))
    assert_close(*res)


def test_third_derivative():
    for lib in LIBS:
        x = _t(lib, 2.0)
        y = x * x * x
        g1, = lib.autograd.grad(y, x, create_graph=True)
        g2, = lib.autograd.grad(g1, x, create_graph=True)
        g3, = lib.autograd.grad(g2, x)
        assert (g1.item(), g2.item(), g3.item()) == (12.0, 12.0, 6.0)


# ---- backward(inputs=...) -----------------------------------------------------------------
def test_backward_inputs_restricts_accumulation():
    for lib in LIBS:
        a, b = _t(lib, [1.0, 2.0]), _t(lib, [3.0, 4.0])
        (a * b).sum().backward(inputs=[a])
        assert b.grad is None
        np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])
        (a * b).sum().backward(inputs=b)
        np.testing.assert_allclose(b.grad.numpy(), [1.0, 2.0])
        np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])


def test_backward_inputs_nonleaf():
    for lib in LIBS:
        a = _t(lib, [1.0, 2.0])
        m = a * 2
        (m * m).sum().backward(inputs=[m])
        np.testing.assert_allclose(m.grad.numpy(), [4.0, 8.0])
        assert a.grad is None


# ---- graph structure ----------------------------------------------------------------------
def test_requires_grad_is_leaf_grad_fn_and_next_functions():
    for lib in LIBS:
        a, c = _t(lib, [1.0, 2.0]), _t(lib, [1.0, 2.0], rg=False)
        y = a * c
        assert (a.is_leaf, c.is_leaf, y.is_leaf) == (True, True, False)
        assert (a.requires_grad, c.requires_grad, y.requires_grad) == (True, False, True)
        assert a.grad_fn is None and c.grad_fn is None
        assert y.grad_fn.name() == "MulBackward0"
        assert repr(y.grad_fn).startswith("<MulBackward0 object at 0x")
        (acc, nr), (none, _) = y.grad_fn.next_functions
        assert acc.name().endswith("AccumulateGrad") and nr == 0 and none is None
        assert acc.variable is a
        assert (a * 3).grad_fn.next_functions[0][0] is acc   # one cached sink per leaf
        z = (y + a).exp().sum()
        assert [n.name() for n in (z.grad_fn, z.grad_fn.next_functions[0][0])] == \
            ["SumBackward0", "ExpBackward0"]
        assert not (c * 2).requires_grad


def test_detach_shares_memory_and_version():
    for lib in LIBS:
        a = _t(lib, [1.0, 2.0])
        y = a * 2
        d = y.detach()
        assert (d.requires_grad, d.is_leaf, d.grad_fn) == (False, True, None)
        d.add_(1)
        np.testing.assert_allclose(y.detach().numpy(), [3.0, 5.0])
        assert y._version == 1
        y.detach_()
        assert (y.requires_grad, y.is_leaf, y.grad_fn) == (False, True, None)


def test_requires_grad_():
    for lib in LIBS:
        a = lib.ones(2)
        assert a.requires_grad_() is a and a.requires_grad
        assert (a * 2).requires_grad
        a.requires_grad_(False)
        assert not (a * 2).requires_grad
        a.requires_grad = True
        assert a.requires_grad


# ---- deep graphs and memory ---------------------------------------------------------------
def test_deep_chain_no_recursion_error():
    x = gt.tensor([1.0], dtype=gt.float64, requires_grad=True)
    y = x
    for i in range(10_000):
        y = y * 1.0001 if i % 2 else y + 0.5
    y.sum().backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 5000)


def test_deep_chain_frees_saved_intermediates_and_nodes():
    gc.disable()  # everything must be freed by reference counting alone (no cycles)
    try:
        x = gt.tensor([0.5], requires_grad=True)
        y = x
        for i in range(10_000):
            y = (y * y) * 0.5 + 0.25 if i % 2 else y.tanh()
            if i == 5000:  # a tanh output, which the next y * y saves
                saved = weakref.ref(y)
                node = weakref.ref(y.grad_fn)
        assert saved() is not None
        y.backward()
        assert saved() is None                    # freed by backward (retain_graph=False)
        assert node() is not None                 # the graph's nodes live while y does
        del y
        assert node() is None
    finally:
        gc.enable()


def test_retain_graph_keeps_saved_intermediates():
    x = gt.tensor([0.5], requires_grad=True)
    m = x * 2
    ref = weakref.ref(m)
    y = m * m
    del m
    y.backward(retain_graph=True)
    assert ref() is not None
    y.backward()
    assert ref() is None


@pytest.mark.parametrize("roots", [
    lambda a: [a * 2, a * 2],
    lambda a: (lambda y: [y, y])((a * a).sum()),                 # the same root twice
    lambda a: list(a.reshape(2, 2).split(1)),                     # outputs of one node
])
def test_several_roots_sharing_nodes(roots):
    res = []
    for lib in LIBS:
        a = _t(lib, [1.0, 2.0, 3.0, 4.0])
        outs = roots(a)
        ups = [lib.ones(tuple(o.shape), dtype=lib.float64) * (i + 1) for i, o in enumerate(outs)]
        lib.autograd.backward(outs, ups)
        res.append(a.grad)
    assert_close(*res)


# ---- random graphs ------------------------------------------------------------------------
_OPS = [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a - b.tanh(),
    lambda a, b: a / (1 + b * b),
    lambda a, b: (a * 0.5).exp() + b,
    lambda a, b: (a @ b.mT) @ b / 4,             # (3, 3) @ (3, 3) products, same shape back
    lambda a, b: a.sum(0, keepdim=True) * b,      # broadcast back over dim 0
    lambda a, b: a.mT * b.permute(1, 0),          # transposed views
    lambda a, b: a.reshape(9).flip(0).reshape(3, 3) + b,
]


@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_with_shared_nodes_match_torch(seed):
    """Random DAGs where intermediates feed several later ops (the ordering the engine must
    get right), compared with torch: first and second derivatives of every leaf."""
    rng = np.random.default_rng(seed)
    leaves = [rng.uniform(-1, 1, (3, 3)) for _ in range(3)]
    plan = [(rng.integers(len(_OPS)), rng.integers(3 + k), rng.integers(3 + k))
            for k in range(8)]
    up = rng.standard_normal((3, 3))
    res = []
    for lib in LIBS:
        xs = [_t(lib, a) for a in leaves]
        vals = list(xs)
        for op, i, j in plan:
            vals.append(_OPS[op](vals[i], vals[j]))
        out = sum(vals[3:], vals[0])
        grads = lib.autograd.grad(out, xs, lib.tensor(up), create_graph=True,
                                  allow_unused=True)
        used = [g for g in grads if g is not None]
        second = lib.autograd.grad(sum((g * g).sum() for g in used), xs, allow_unused=True)
        res.append((out, grads, second))
    assert_close(*res)
