"""Tensor.register_post_accumulate_grad_hook runs after .grad is updated, as in torch."""
import pytest
import torch

import glasstorch as gt


@pytest.mark.parametrize("lib", [torch, gt])
def test_post_accumulate_hook_sees_the_accumulated_grad(lib):
    w = lib.ones(3, requires_grad=True)
    seen = []
    h = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (w * 2).sum().backward()
    (w * w).sum().backward()
    h.remove()
    (w * 3).sum().backward()
    assert seen == [[2.0] * 3, [4.0] * 3]


@pytest.mark.parametrize("lib", [torch, gt])
def test_post_accumulate_hook_only_on_leaves(lib):
    w = lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
