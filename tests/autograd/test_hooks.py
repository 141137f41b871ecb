"""Tensor hooks, retain_grad and node hooks against torch."""
import weakref

import numpy as np
import pytest
import torch

import glasstorch as gt

LIBS = [gt, torch]


def _leaf(lib):
    return lib.tensor([1.0, 2.0], requires_grad=True)


@pytest.mark.parametrize("lib", LIBS)
def test_leaf_hook_modifies_grad_and_handle_removes_it(lib):
    a = _leaf(lib)
    handle = a.register_hook(lambda g: g * 10)
    (a * a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [20.0, 40.0])
    handle.remove()
    handle.remove()  # removing twice is harmless
    a.grad = None
    (a * a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("lib", LIBS)
def test_leaf_hook_sees_total_gradient_once(lib):
    a = _leaf(lib)
    seen = []
    a.register_hook(lambda g: seen.append(g.tolist()))
    (a * 2 + a * 3).sum().backward()
    assert seen == [[5.0, 5.0]]


@pytest.mark.parametrize("lib", LIBS)
def test_nonleaf_hook_changes_upstream_grads(lib):
    a = _leaf(lib)
    b = a * 3
    seen = []
    b.register_hook(lambda g: seen.append(g.tolist()) or g * 2)
    (b * b + b).sum().backward()
    assert seen == [[7.0, 13.0]]                       # 2b + 1, both uses summed
    np.testing.assert_allclose(a.grad.numpy(), [42.0, 78.0])
    assert not b.retains_grad


@pytest.mark.parametrize("lib", LIBS)
def test_hooks_run_in_order_none_keeps_grad(lib):
    a = _leaf(lib)
    calls = []
    a.register_hook(lambda g: calls.append("first"))
    a.register_hook(lambda g: calls.append("second") or g + 1)
    a.register_hook(lambda g: calls.append(g.tolist()))
    (a * 1).sum().backward()
    assert calls == ["first", "second", [2.0, 2.0]]
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 2.0])


@pytest.mark.parametrize("lib", LIBS)
def test_handle_as_context_manager(lib):
    a = _leaf(lib)
    with a.register_hook(lambda g: g * 0):
        pass
    (a * 1).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 1.0])


@pytest.mark.parametrize("lib", LIBS)
def test_hook_on_tensor_without_grad_raises(lib):
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        lib.ones(2).register_hook(lambda g: g)


@pytest.mark.parametrize("lib", LIBS)
def test_retain_grad(lib):
    a = _leaf(lib)
    b = a * 2
    b.retain_grad()
    c = b * b
    c.retain_grad()
    assert b.retains_grad and not a.retains_grad
    c.sum().backward(retain_graph=True)
    np.testing.assert_allclose(b.grad.numpy(), [4.0, 8.0])
    np.testing.assert_allclose(c.grad.numpy(), [1.0, 1.0])
    c.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [8.0, 16.0])  # accumulates like a leaf's
    a.retain_grad()                                           # a leaf: no-op
    assert not a.retains_grad


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("hook_first", [True, False])
def test_retain_grad_sees_grad_after_all_hooks(lib, hook_first):
    a = _leaf(lib)
    b = a * 2
    if hook_first:
        b.register_hook(lambda g: g * 100)
        b.retain_grad()
    else:
        b.retain_grad()
        b.register_hook(lambda g: g * 100)
    b.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [100.0, 100.0])
    np.testing.assert_allclose(a.grad.numpy(), [200.0, 200.0])


@pytest.mark.parametrize("lib", LIBS)
def test_retain_grad_does_not_keep_tensor_alive(lib):
    a = _leaf(lib)
    b = a * 2
    b.retain_grad()
    c = b.sum()
    ref = weakref.ref(b)
    del b
    assert ref() is None
    c.backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 2.0])


@pytest.mark.parametrize("lib", LIBS)
def test_node_hooks(lib):
    a = _leaf(lib)
    b = a * 2
    seen = []
    b.grad_fn.register_prehook(lambda gouts: seen.append(("pre", len(gouts))))
    b.grad_fn.register_hook(lambda gins, gouts: seen.append(("post", len(gins), len(gouts))))
    b.sum().backward()
    assert seen == [("pre", 1), ("post", 2, 1)]


@pytest.mark.parametrize("lib", LIBS)
def test_node_post_hook_replaces_grad_inputs(lib):
    a = _leaf(lib)
    b = a * 2
    b.grad_fn.register_hook(lambda gins, gouts: (gins[0] * 0 + 7, gins[1]))
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [7.0, 7.0])


@pytest.mark.parametrize("lib", LIBS)
def test_hook_with_autograd_grad(lib):
    a = _leaf(lib)
    b = a * 2
    b.register_hook(lambda g: g * 3)
    g, = lib.autograd.grad(b.sum(), a)
    np.testing.assert_allclose(g.numpy(), [6.0, 6.0])


@pytest.mark.parametrize("lib", LIBS)
def test_leaf_hook_applies_to_autograd_grad_result(lib):
    a = _leaf(lib)
    a.register_hook(lambda g: g * 10)
    g, = lib.autograd.grad((a * a).sum(), a)
    np.testing.assert_allclose(g.numpy(), [20.0, 40.0])
    assert a.grad is None


@pytest.mark.parametrize("lib", LIBS)
def test_backward_inputs_nonleaf_with_hook_and_retain_grad(lib):
    a = _leaf(lib)
    b = a * 1
    b.register_hook(lambda g: g * 10)
    b.retain_grad()
    (b * b).sum().backward(inputs=[b])
    np.testing.assert_allclose(b.grad.numpy(), [20.0, 40.0])  # stored once, after the hook
