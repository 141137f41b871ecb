"""nn.utils against torch: clip_grad_norm_ (every norm type, clipping or not, grads missing,
non-finite norms), clip_grad_value_, get_total_norm / clip_grads_with_norm_, and
parameters_to_vector / vector_to_parameters."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt
from tests.helpers import assert_close

P = pytest.param
SHAPES = [(3, 4), (5,), (2, 1, 3)]


def _params(L, shapes=SHAPES, dtype="float32", scale=1.0, missing=(), fill=None):
    """Parameters with the same seeded .grad in both frameworks (none for indices in missing)."""
    rng = np.random.default_rng(0)
    ps = []
    for i, s in enumerate(shapes):
        p = L.nn.Parameter(L.tensor(rng.standard_normal(s).astype(dtype)))
        g = rng.standard_normal(s).astype(dtype) * scale
        if fill is not None and i == 0:
            g.reshape(-1)[0] = fill
        if i not in missing:
            p.grad = L.tensor(g)
        ps.append(p)
    return ps


def _grads(ps):
    return [p.grad for p in ps]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, 0.5, math.inf, "inf", 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_norm(norm_type, max_norm, dtype):
    out = []
    for L in (gt, torch):
        ps = _params(L, dtype=dtype)
        total = L.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
        out.append([total] + _grads(ps))
    assert_close(*out)


@pytest.mark.parametrize("make", [
    P(lambda L: _params(L, missing=(1,)), id="grad-missing"),
    P(lambda L: _params(L)[0], id="single-tensor"),
    P(lambda L: (p for p in _params(L)), id="generator"),
    P(lambda L: _params(L, missing=(0, 1, 2)), id="no-grads"),
    P(lambda L: _params(L, shapes=[(0, 3), (4,)]), id="empty-grad"),
    P(lambda L: _params(L, scale=1e-30), id="tiny-norm"),
])
def test_clip_grad_norm_inputs(make):
    out = []
    for L in (gt, torch):
        out.append(L.nn.utils.clip_grad_norm_(make(L), 0.3))
    assert_close(*out)


def test_clip_grad_norm_scales_grads_in_place_by_the_rule():
    ps = _params(gt, scale=10.0)
    before = [p.grad.numpy().astype(np.float64).copy() for p in ps]
    refs = [p.grad for p in ps]
    total = gt.nn.utils.clip_grad_norm_(ps, 2.0)
    want_total = math.sqrt(sum((b ** 2).sum() for b in before))
    assert total.dtype == gt.float32 and total.ndim == 0
    assert math.isclose(total.item(), want_total, rel_tol=1e-6)
    for p, r, b in zip(ps, refs, before):
        assert p.grad is r                                       # in place
        np.testing.assert_allclose(p.grad.numpy(), b * 2.0 / (want_total + 1e-6), rtol=1e-5)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")   # inf * 0 -> nan, as torch
@pytest.mark.parametrize("fill", [math.nan, math.inf])
@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_clip_grad_norm_nonfinite(fill, norm_type):
    out = []
    for L in (gt, torch):
        ps = _params(L, fill=fill)
        with pytest.raises(RuntimeError) as err:
            L.nn.utils.clip_grad_norm_(ps, 1.0, norm_type, error_if_nonfinite=True)
        out.append(str(err.value))
        ps = _params(L, fill=fill)     # without the error: scaled by a nan/0 factor, as torch
        out.append([L.nn.utils.clip_grad_norm_(ps, 1.0, norm_type)] + _grads(ps))
    assert out[0] == out[2]
    assert_close(out[1], out[3])


def test_empty_generator_warns_and_returns_zero():
    for L in (gt, torch):
        with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
            total = L.nn.utils.clip_grad_norm_((p for p in []), 1.0)
        assert total.item() == 0.0
    assert gt.nn.utils.clip_grad_norm_([], 1.0).dtype == gt.float32


def test_clip_grad_norm_deprecated_spelling():
    ps = _params(gt)
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        total = gt.nn.utils.clip_grad_norm(ps, 0.1)
    assert total.item() > 0.1


@pytest.mark.parametrize("clip_value", [0.5, 2, 1e-3])
def test_clip_grad_value(clip_value):
    out = []
    for L in (gt, torch):
        ps = _params(L, missing=(2,))
        assert L.nn.utils.clip_grad_value_(ps, clip_value) is None
        out.append(_grads(ps)[:2])
        single = _params(L)[0]
        L.nn.utils.clip_grad_value_(single, clip_value)
        out[-1].append(single.grad)
    assert_close(*out)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_get_total_norm_and_clip_grads_with_norm(norm_type):
    out = []
    for L in (gt, torch):
        ps = _params(L)
        total = L.nn.utils.get_total_norm(_grads(ps), norm_type)
        L.nn.utils.clip_grads_with_norm_(ps, 0.7, total)
        single = L.nn.utils.get_total_norm(_grads(ps)[0], norm_type)
        out.append([total, single, L.nn.utils.get_total_norm([])] + _grads(ps))
    assert_close(*out)


def test_clip_does_not_record_a_graph():
    ps = _params(gt)
    ps[0].grad.requires_grad_(True)
    total = gt.nn.utils.clip_grad_norm_(ps, 0.1)
    assert total.grad_fn is None and ps[1].grad.grad_fn is None


# ---- parameters <-> vector -------------------------------------------------------------------
def test_parameters_to_vector_and_back():
    out = []
    for L in (gt, torch):
        m = L.nn.Linear(3, 2)
        with L.no_grad():
            m.weight.copy_(L.arange(6.0).view(2, 3))
            m.bias.copy_(L.tensor([10.0, 20.0]))
        vec = L.nn.utils.parameters_to_vector(m.parameters())
        (vec * L.arange(8.0)).sum().backward()          # differentiable: grads flow back
        new = L.arange(8.0) * -1
        L.nn.utils.vector_to_parameters(new, m.parameters())
        out.append([vec, m.weight.grad, m.bias.grad, m.weight.detach().clone(),
                    m.bias.detach().clone()])
        new[0] = 99.0                                   # the parameters now view `new`
        assert m.weight[0, 0].item() == 99.0
        assert isinstance(m.weight, L.nn.Parameter) and m.weight.requires_grad
    assert_close(*out)


def test_vector_to_parameters_needs_a_tensor():
    for L in (gt, torch):
        with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
            L.nn.utils.vector_to_parameters([1.0, 2.0], L.nn.Linear(1, 1).parameters())
