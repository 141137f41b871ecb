"""Graph passes: each one on small graphs (what it changes), and every pass on every zoo model
(the optimized replay equals eager)."""
import numpy as np
import pytest

import glasstorch as gt
import glasstorch.jit as jit
from glasstorch import nn
from glasstorch.jit import passes as P
from jit_zoo import zoo_instance, zoo_models


def _ops(traced):
    return [n.op for n in traced.graph.nodes]


def test_dead_code_elimination():
    def f(x):
        unused = x.exp() * 2                     # noqa: F841  computed, never returned
        return x + 1
    t = jit.trace(f, gt.randn(3))
    assert P.eliminate_dead_code(t.graph) == 2 and _ops(t) == ["add"]


def test_common_subexpression_elimination():
    def f(x):
        return x.view(6).exp() + x.view(6).exp() + x.view(6).sin()
    t = jit.trace(f, gt.randn(2, 3))
    assert P.eliminate_common_subexpressions(t.graph) == 3
    assert _ops(t).count("view") == 1 and _ops(t).count("exp") == 1
    t.invalidate()
    x = gt.randn(2, 3)
    assert np.array_equal(t(x).numpy(), f(x).numpy())


def test_constant_folding_after_freeze():
    lin = nn.Linear(3, 3)

    def f(x):
        return x @ (lin.weight.t() * 2).exp()
    t = jit.freeze(jit.trace(f, gt.randn(2, 3)))
    assert P.fold_constants(t.graph) == 3 and _ops(t) == ["mm"]
    x = gt.randn(2, 3)
    with gt.no_grad():
        assert np.array_equal(t(x).numpy(), f(x).numpy())


def test_batch_norm_folded_into_conv_and_linear():
    gt.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                      nn.Linear(16, 5), nn.BatchNorm1d(5))
    m.train()
    for _ in range(3):                           # running statistics away from 0 and 1
        m(gt.randn(8, 2, 4, 4) * 3 + 1)
    m.eval()
    t = jit.freeze(jit.trace(m, gt.randn(2, 2, 4, 4)))
    assert P.fold_batch_norm(t.graph) == 2 and "batch_norm" not in _ops(t)
    x = gt.randn(2, 2, 4, 4)
    with gt.no_grad():
        np.testing.assert_allclose(t(x).numpy(), m(x).numpy(), rtol=1e-5, atol=1e-5)


def test_fusion_and_memory_plan_reuse_buffers_across_calls():
    gt.manual_seed(0)
    m = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8),
                      nn.ReLU(), nn.Linear(8, 2)).eval()
    t = jit.freeze(jit.trace(m, gt.randn(4, 8)))
    assert P.fuse_elementwise(t.graph) == 4           # 3 chains and the lone last linear
    assert _ops(t) == ["jit::fused"] * 4
    assert P.plan_memory(t.graph) == 2           # 3 groups, 2 buffers: liveness frees one
    planned = [n.cls.buffer for n in t.graph.nodes if n.cls.buffer is not None]
    assert len(planned) == 3 and all(b.ctypes.data % 64 == 0 for b in planned)  # cache lines
    t.invalidate()
    with gt.no_grad():
        for _ in range(2):                       # the second call reuses the planned buffers
            x = gt.randn(4, 8)
            assert np.array_equal(t(x).numpy(), m(x).numpy())


def test_optimized_module_keeps_autograd_path_and_refuses_save(tmp_path):
    m = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    opt = jit.optimize_for_inference(jit.trace(m, gt.randn(2, 3)))
    x = gt.randn(2, 3, requires_grad=True)
    y = opt(x)
    y.sum().backward()
    assert x.grad is not None and np.array_equal(y.detach().numpy(), m(x).detach().numpy())
    with pytest.raises(RuntimeError, match="comes from an optimization pass"):
        jit.save(opt, tmp_path / "o.pt")


_EXACT = [("fold_constants", P.fold_constants), ("cse", P.eliminate_common_subexpressions),
          ("dce", P.eliminate_dead_code), ("fusion", P.fuse_elementwise)]


@pytest.mark.parametrize("name", zoo_models())
def test_every_pass_on_the_zoo(name):
    model, x = zoo_instance(name)
    traced = jit.trace(model, x)
    x2 = gt.randn(*x.shape)
    with gt.no_grad():
        ref = model(x2).numpy()
        for label, p in _EXACT:
            opt = jit.optimize_for_inference(traced, [p])
            assert np.array_equal(opt(x2).numpy(), ref), label
        fused = jit.optimize_for_inference(traced, [P.fuse_elementwise, P.plan_memory])
        for _ in range(2):
            assert np.array_equal(fused(x2).numpy(), ref), "memory plan"
        folded = jit.optimize_for_inference(traced, [P.fold_batch_norm])
        np.testing.assert_allclose(folded(x2).numpy(), ref, rtol=1e-4, atol=1e-5)
        full = jit.optimize_for_inference(traced)
        np.testing.assert_allclose(full(x2).numpy(), ref, rtol=1e-4, atol=1e-5)


def test_fusion_keeps_alpha_of_add_and_sub():
    # add/sub carry alpha as an attribute of the op (a + alpha * b): a fused chain must not
    # drop it, and the replay equals eager
    def f(x):
        return gt.sub(gt.add(x, x.tanh(), alpha=2.5).relu(), x, alpha=-3) * 2
    x = gt.randn(4, 8)
    t = jit.freeze(jit.trace(f, x))
    P.fuse_elementwise(t.graph)
    t.invalidate()
    with gt.no_grad():
        np.testing.assert_allclose(t(x).numpy(), f(x).numpy(), rtol=1e-6, atol=1e-6)


def test_gemv_layout_at_batch_one():
    # a wide layer (>= 64 outputs) keeps its own C-contiguous W^T (another summation order:
    # close to eager, not bit-identical); a narrow one runs eager's kernel as np.dot (exact)
    gt.manual_seed(0)
    m = nn.Sequential(nn.Flatten(), nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 5)).eval()
    x = gt.randn(1, 4, 5)
    t = jit.freeze(jit.trace(m, x))
    P.fuse_elementwise(t.graph)
    assert P.transpose_gemv_weights(t.graph) == 2
    wide, narrow = [n.cls for n in t.graph.nodes if n.op == "jit::fused"]
    assert wide.gemv[0] == "wt" and wide.gemv[1].flags.c_contiguous
    assert wide.gemv[1].ctypes.data % 64 == 0                    # starts on a cache line
    assert np.array_equal(wide.gemv[1], m[1].weight.detach().numpy().T)
    assert wide.gemv[1].shape == (20, 64) and narrow.gemv == ("w", None)
    P.plan_memory(t.graph)
    t.invalidate()
    with gt.no_grad():
        for _ in range(2):
            x = gt.randn(1, 4, 5)
            h = m[2](m[1](m[0](x)))
            np.testing.assert_allclose(t(x).numpy(), m(x).numpy(), rtol=1e-5, atol=1e-6)
            # the narrow layer alone: bit-identical to eager
            narrow_only = jit.optimize_for_inference(jit.trace(m[3], h))
            assert np.array_equal(narrow_only(h).numpy(), m[3](h).numpy())
    src = t._compiled["arrays"].source
    assert "_dot(" in src and ".reshape(-1)" in src and "view" not in _ops(t)   # flatten folded
    xg = gt.randn(1, 4, 5, requires_grad=True)         # autograd still runs the folded view
    t(xg).sum().backward()
    xe = xg.detach().requires_grad_()
    m(xe).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xe.grad.numpy(), rtol=1e-6)
    # batch 2 is a GEMM: left alone
    t2 = jit.freeze(jit.trace(m, gt.randn(2, 4, 5)))
    P.fuse_elementwise(t2.graph)
    assert P.transpose_gemv_weights(t2.graph) == 0


def test_relu_after_gemv_same_bits_as_eager_and_fresh_outputs():
    # after a GEMV head, relu runs as less + putmask on the row (jit/passes/fusion.py): the same
    # bits as eager's maximum(0, x) on NaN, +-inf, 0 and negatives, whether the relu's buffer is
    # planned (a hidden layer) or fresh per call (the graph's output). The NumPy replay's
    # rule: with numba the chain pass (gemv_chain.py, tested there) would take the stack whole
    gt.backend.set_kernels("numpy")
    special = [np.nan, np.inf, -np.inf, 0.0, -3.0, 2.5, -1e-30, 1e-30]
    hidden = nn.Linear(5, 8)
    with gt.no_grad():
        hidden.weight.zero_()                   # the GEMV gives +0.0: the bias is the relu input
        hidden.bias.copy_(gt.tensor(special))
    x = gt.randn(1, 5)
    for m in (nn.Sequential(hidden, nn.ReLU()),                             # relu is the output
              nn.Sequential(hidden, nn.ReLU(), nn.Linear(8, 3), nn.ReLU())):  # relu planned
        m.eval()
        t = jit.optimize_for_inference(jit.trace(m, x, check_trace=False))
        with gt.no_grad():
            got = t(x)
            assert "_putmask(" in t._compiled["arrays"].source
            assert np.array_equal(got.numpy().view(np.uint32), m(x).numpy().view(np.uint32))
            kept = got.numpy().copy()
            t(gt.randn(1, 5) * 100)             # the next call does not overwrite the result
            assert np.array_equal(got.numpy().view(np.uint32), kept.view(np.uint32))


def test_optimized_module_rejects_other_shapes_and_dtypes_after_fast_calls():
    m = nn.Sequential(nn.Flatten(), nn.Linear(12, 4), nn.ReLU()).eval()
    t = jit.optimize_for_inference(jit.trace(m, gt.randn(1, 3, 4)))
    with gt.no_grad():
        for _ in range(2):                      # the second call takes the cached fast path
            x = gt.randn(1, 3, 4)
            assert np.array_equal(t(x).numpy(), m(x).numpy())
        with pytest.raises(RuntimeError, match=r"traced with shape \[1, 3, 4\].*got shape \[2, 3, 4\]"):
            t(gt.randn(2, 3, 4))
        with pytest.raises(RuntimeError, match=r"dtype float32, got shape \[1, 3, 4\] and dtype float64"):
            t(gt.randn(1, 3, 4, dtype=gt.float64))
        with pytest.raises(TypeError, match="must be a Tensor"):
            t(np.zeros((1, 3, 4), np.float32))
        with pytest.raises(TypeError, match=r"takes 1 input\(s\)"):
            t(x, x)


def test_narrow_gemv_from_a_planned_buffer_equals_eager_bitwise():
    # two narrow layers (< 64 outputs: eager's kernel): the second reads the first's planned
    # (1, k) buffer as dot(x, W.T), a fresh (1, n) result; the same bits as eager (the NumPy
    # replay's rule: with numba the chain pass takes the stack whole)
    gt.backend.set_kernels("numpy")
    gt.manual_seed(1)
    m = nn.Sequential(nn.Linear(30, 40), nn.ReLU(), nn.Linear(40, 7)).eval()
    t = jit.optimize_for_inference(jit.trace(m, gt.randn(1, 30)))
    with gt.no_grad():
        outs = []
        for _ in range(3):
            x = gt.randn(1, 30) * 3
            y = t(x)
            assert y.shape == (1, 7) and np.array_equal(y.numpy(), m(x).numpy())
            outs.append((y, y.numpy().copy()))
        assert all(np.array_equal(y.numpy(), kept) for y, kept in outs)   # fresh each call
    assert "_xbuf_" in t._compiled["arrays"].source and ".reshape(" not in \
        t._compiled["arrays"].source
