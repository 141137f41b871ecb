"""A leaf's first gradient is the op's own buffer when nothing else refers to it (torch's
AccumulateGrad steals it, engine.py `steal`), and a copy otherwise: whatever the engine does,
.grad never shares memory with a tensor the user or another leaf can see. Each case runs on
torch and glasstorch alike."""
import numpy as np
import pytest
import torch

import glasstorch as gt


def _mlp_grads(lib):
    lib.manual_seed(0)
    x = lib.tensor(np.linspace(-1, 1, 20, dtype=np.float32).reshape(5, 4))
    w1 = lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    b1 = lib.tensor(np.float32([0.1, -0.2, 0.3]), requires_grad=True)
    w2 = lib.tensor(np.float32([[0.5, -1.0, 2.0]]), requires_grad=True)
    for _ in range(2):   # the second backward adds into the (stolen) buffers of the first
        y = lib.nn.functional.linear(lib.relu(lib.nn.functional.linear(x, w1, b1)), w2)
        y.square().sum().backward()
    return [t.grad.numpy().copy() for t in (w1, b1, w2)]


def test_stolen_gradients_accumulate_like_torch():
    for g, t in zip(_mlp_grads(gt), _mlp_grads(torch)):
        np.testing.assert_allclose(g, t, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("lib", [torch, gt])
def test_one_gradient_for_two_leaves_is_not_shared(lib):
    a = lib.zeros(3, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    (a + b).sum().backward()        # add's backward hands the same gradient to both
    a.grad.add_(1)
    assert b.grad.tolist() == [1.0] * 3
    assert a.grad.tolist() == [2.0] * 3


@pytest.mark.parametrize("lib", [torch, gt])
def test_gradient_kept_by_a_hook_is_not_the_grad_buffer(lib):
    w = lib.ones(3, requires_grad=True)
    kept = []
    w.register_hook(lambda g: kept.append(g))
    (w * 2).sum().backward()
    (w * 2).sum().backward()        # accumulates into w.grad in place
    assert w.grad.tolist() == [4.0] * 3
    assert kept[0].tolist() == [2.0] * 3


@pytest.mark.parametrize("lib", [torch, gt])
def test_gradient_passed_to_backward_is_not_the_grad_buffer(lib):
    w = lib.ones(3, requires_grad=True)
    given = lib.full((3,), 5.0)
    w.backward(given)
    w.backward(given)
    assert w.grad.tolist() == [10.0] * 3
    assert given.tolist() == [5.0] * 3


@pytest.mark.parametrize("lib", [torch, gt])
def test_retained_graph_second_backward_keeps_first_gradient(lib):
    w = lib.ones(2, requires_grad=True)
    y = (w * 3).sum()
    y.backward(retain_graph=True)
    first = w.grad
    snapshot = first.tolist()
    w.grad = None
    y.backward()
    assert first.tolist() == snapshot == [3.0, 3.0]
    assert w.grad.tolist() == [3.0, 3.0]


class _LeafGrad:
    """A custom Function whose backward returns a fresh leaf that requires grad."""

    @staticmethod
    def make(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, gy):
                return lib.ones(3, requires_grad=True)
        return F


@pytest.mark.parametrize("lib", [torch, gt])
def test_stolen_gradient_tensor_is_a_plain_one(lib):
    # the engine hands its own gradient Tensor over as .grad (no copy, no new wrapper), but
    # never one that requires grad (torch detaches it)
    w = lib.ones(3, requires_grad=True)
    _LeafGrad.make(lib).apply(w).sum().backward()
    assert not w.grad.requires_grad and w.grad.grad_fn is None and w.grad.is_leaf
    assert w.grad.tolist() == [1.0] * 3
    w2 = lib.ones(3, requires_grad=True)
    (w2 * 3).sum().backward()
    assert not w2.grad.requires_grad and w2.grad._version == 0
    w2.grad.mul_(2)                  # the handed-over tensor is ours to change
    assert w2.grad.tolist() == [6.0] * 3 and w2.grad._version == 1


@pytest.mark.parametrize("lib", [torch, gt])
def test_hook_registered_after_a_backward_runs(lib):
    # the first backward gives the leaf its AccumulateGrad (and its hook slot); a hook added
    # after that still sees and replaces the next gradient
    w = lib.ones(3, requires_grad=True)
    (w * 2).sum().backward()
    seen = []
    w.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    w.grad = None
    (w * 2).sum().backward()
    assert seen == [[2.0] * 3] and w.grad.tolist() == [20.0] * 3
