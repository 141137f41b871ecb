"""The batch-1 replay's fast call (executor's entry function) and, with numba kernels selected,
the GEMV chain (jit/passes/gemv_chain.py): the same bits as the NumPy replay, a fresh output
every call, the same errors."""
import weakref

import numpy as np
import pytest

import glasstorch as gt
import glasstorch.jit as jit
from glasstorch import backend, nn
from glasstorch.jit.passes.gemv_chain import blas_gemv


def _bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def test_entry_checks_inputs_and_takes_odd_layouts():
    # the generated fast call: a transposed (non-contiguous) input, a Parameter (a Tensor
    # subclass: the checked path), then wrong shapes, dtypes and types with _forward's errors
    gt.manual_seed(0)
    m = nn.Sequential(nn.Flatten(), nn.Linear(12, 70), nn.ReLU(), nn.Linear(70, 3)).eval()
    t = jit.optimize_for_inference(jit.trace(m, gt.randn(1, 3, 4)))
    with gt.no_grad():
        t(gt.randn(1, 3, 4))
        assert "def entry(module, x" in t._fast.source and type(t).__call__ is t._fast
        x = gt.randn(1, 4, 3).transpose(1, 2)
        np.testing.assert_allclose(t(x).numpy(), m(x).numpy(), rtol=1e-5, atol=1e-6)
        p = nn.Parameter(gt.randn(1, 3, 4))
        np.testing.assert_allclose(t(p).numpy(), m(p).numpy(), rtol=1e-5, atol=1e-6)
        with pytest.raises(RuntimeError, match=r"traced with shape \[1, 3, 4\]"):
            t(gt.randn(1, 12))
        with pytest.raises(RuntimeError, match="dtype float64"):
            t(gt.randn(1, 3, 4, dtype=gt.float64))
        with pytest.raises(TypeError, match="must be a Tensor"):
            t([1.0])


numba = pytest.importorskip("numba")
needs_blas = pytest.mark.skipif(blas_gemv(np.float32) is None,
                                reason="NumPy's BLAS has no cblas_sgemv by a known name")


@pytest.fixture
def numba_kernels():
    before = backend.get_kernels()
    backend.set_kernels("numba")
    yield
    backend.set_kernels(before)


def _pair(m, x):
    """The model optimized with NumPy kernels and with numba kernels (the chain)."""
    traced = jit.trace(m, x, check_trace=False)
    backend.set_kernels("numpy")
    plain = jit.optimize_for_inference(traced)
    backend.set_kernels("numba")
    return plain, jit.optimize_for_inference(traced)


_MODELS = {
    "mlp": lambda: nn.Sequential(nn.Flatten(), nn.Linear(40, 96), nn.ReLU(), nn.Linear(96, 10)),
    "narrow_first_no_bias": lambda: nn.Sequential(nn.Linear(40, 30, bias=False), nn.ReLU(),
                                                  nn.Linear(30, 80), nn.Linear(80, 5)),
    "three_relu": lambda: nn.Sequential(nn.Linear(40, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                        nn.Linear(64, 7), nn.ReLU()),
}


@needs_blas
@pytest.mark.parametrize("dtype", [gt.float32, gt.float64])
@pytest.mark.parametrize("name", sorted(_MODELS))
def test_chain_same_bits_as_numpy_replay(name, dtype, numba_kernels):
    gt.manual_seed(3)
    m = _MODELS[name]().eval().to(dtype)
    shape = (1, 5, 8) if name == "mlp" else (1, 40)
    plain, fast = _pair(m, gt.randn(*shape, dtype=dtype))
    assert [n.op for n in fast.graph.nodes] == ["jit::gemv_chain"]
    assert "jit::gemv_chain" not in [n.op for n in plain.graph.nodes]
    with gt.no_grad():
        outs = []
        for scale in (1.0, 30.0, 1e-3):              # different inputs every call
            x = gt.randn(*shape, dtype=dtype) * scale
            y = fast(x)
            assert y.dtype == dtype and y.shape == plain(x).shape
            assert np.array_equal(_bits(y.numpy()), _bits(plain(x).numpy()))
            np.testing.assert_allclose(y.numpy(), m(x).numpy(), rtol=1e-5, atol=1e-6)
            outs.append((y, y.numpy().copy()))
        # a fresh array every call: earlier results are not overwritten
        assert len({id(y.numpy()) for y, _ in outs}) == 3
        assert all(np.array_equal(y.numpy(), kept) for y, kept in outs)


@needs_blas
def test_chain_relu_special_values_and_errors(numba_kernels):
    # relu as the NumPy replay does it: x < 0 -> +0.0, NaN and +-inf and -0.0 as NumPy's
    special = [np.nan, np.inf, -np.inf, 0.0, -3.0, 2.5, -1e-30, 1e-30]
    hidden = nn.Linear(5, 8)
    with gt.no_grad():
        hidden.weight.zero_()
        hidden.bias.copy_(gt.tensor(special))
    m = nn.Sequential(hidden, nn.ReLU(), nn.Linear(8, 3)).eval()   # check_trace: NaN != NaN
    x = gt.randn(1, 5)
    plain, fast = _pair(m, x)
    assert [n.op for n in fast.graph.nodes] == ["jit::gemv_chain"]
    lone = jit.optimize_for_inference(jit.trace(nn.Sequential(hidden, nn.ReLU()), x,
                                                  check_trace=False))
    assert [n.op for n in lone.graph.nodes] == ["jit::fused"]      # one GEMV is no chain
    with gt.no_grad():
        assert np.array_equal(_bits(fast(x).numpy()), _bits(plain(x).numpy()))
        with pytest.raises(RuntimeError, match=r"traced with shape \[1, 5\].*got shape \[2, 5\]"):
            fast(gt.randn(2, 5))
        with pytest.raises(RuntimeError, match="dtype float64"):
            fast(gt.randn(1, 5, dtype=gt.float64))
        with pytest.raises(TypeError, match="must be a Tensor"):
            fast(np.zeros((1, 5), np.float32))
        xt = gt.randn(1, 10)[:, ::2]                # non-contiguous input: copied first
        assert not xt.numpy().flags.c_contiguous
        assert np.array_equal(_bits(fast(xt).numpy()), _bits(plain(xt).numpy()))


@needs_blas
def test_chain_keeps_the_autograd_path(numba_kernels):
    gt.manual_seed(0)
    m = _MODELS["mlp"]().eval()
    plain, fast = _pair(m, gt.randn(1, 5, 8))
    x = gt.randn(1, 5, 8, requires_grad=True)
    y = fast(x)
    assert y.grad_fn is not None
    y.sum().backward()
    xe = x.detach().requires_grad_()
    m(xe).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xe.grad.numpy(), rtol=1e-5, atol=1e-7)
    with gt.no_grad():                              # then the compiled call again
        x2 = gt.randn(1, 5, 8)
        assert np.array_equal(fast(x2).numpy(), plain(x2).numpy())


@needs_blas
def test_default_chains_when_numba_is_installed_and_no_kernels_were_chosen(monkeypatch):
    """The chain gives the NumPy replay's bits, so with no choice made (no set_kernels, no
    GLASSTORCH_KERNELS) optimize_for_inference uses it whenever numba is installed; an explicit
    set_kernels("numpy") keeps the NumPy replay."""
    from glasstorch.backend import kernels
    monkeypatch.setattr(kernels, "_active", None)
    monkeypatch.setattr(kernels, "_chosen", False)
    m, x = _MODELS["mlp"]().eval(), gt.randn(1, 40)
    traced = jit.trace(m, x, check_trace=False)

    def chained():
        graph = jit.optimize_for_inference(traced).graph
        return any(n.op == "jit::gemv_chain" for n in graph.nodes)
    assert kernels.numba_for_exact() and chained()
    backend.set_kernels("numpy")
    assert not kernels.numba_for_exact() and not chained()
    backend.set_kernels("numba")
    assert kernels.numba_for_exact() and chained()
    backend.set_kernels("numpy")


@needs_blas
def test_chain_output_pool_never_overwrites_a_held_result(numba_kernels):
    # the chain writes its result into one of two pooled arrays, only one nobody else holds
    # (the reference count says so): kept results, views of them and a `y = model(x)` loop
    # all see their own values; a loop dropping results reuses the same array
    gt.manual_seed(5)
    m = _MODELS["mlp"]().eval()
    plain, fast = _pair(m, gt.randn(1, 40))
    xs = [gt.randn(1, 40) for _ in range(6)]
    with gt.no_grad():
        want = [plain(x).numpy().copy() for x in xs]
        kept = [fast(x) for x in xs]                     # all held: 6 distinct arrays
        assert len({id(y.numpy()) for y in kept}) == 6
        assert all(np.array_equal(_bits(y.numpy()), _bits(w)) for y, w in zip(kept, want))
        views = [fast(x)[0, 2:] for x in xs]             # only a view of each result is held
        assert all(np.array_equal(v.numpy(), w[0, 2:]) for v, w in zip(views, want))
        arrays = [y.numpy() for y in kept[:2]]
        del kept, views
        ref = weakref.ref(fast(xs[0]).numpy())           # results dropped at once: reused
        assert all(fast(x).numpy() is ref() for x in xs)
        y = None
        for i, x in enumerate(xs):                       # the previous y is alive during the call
            prev = y
            y = fast(x)
            assert np.array_equal(_bits(y.numpy()), _bits(want[i]))
            if prev is not None:
                assert np.array_equal(_bits(prev.numpy()), _bits(want[i - 1]))
        assert all(a.shape == (1, 10) for a in arrays)


@needs_blas
def test_chain_threads_and_readonly_inputs(numba_kernels):
    # calls from several threads at once (the kernel's scratch row is shared: calls hold the
    # GIL) and inputs on read-only arrays give the NumPy replay's bits
    import threading
    gt.manual_seed(6)
    m = _MODELS["three_relu"]().eval()
    plain, fast = _pair(m, gt.randn(1, 40))
    xs = [gt.randn(1, 40) for _ in range(8)]
    with gt.no_grad():
        want = [plain(x).numpy().copy() for x in xs]
    bad = []

    def work():
        for _ in range(40):
            for x, w in zip(xs, want):
                if not np.array_equal(_bits(fast(x).numpy()), _bits(w)):
                    bad.append(1)
    threads = [threading.Thread(target=work) for _ in range(3)]
    with gt.no_grad():         # (grad mode is one process-wide switch: set it once, here)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not bad
    frozen = xs[0].numpy().copy()
    frozen.flags.writeable = False
    with gt.no_grad():
        assert np.array_equal(_bits(fast(gt.from_numpy(frozen)).numpy()), _bits(want[0]))


def test_fast_call_class_and_other_arities():
    # a frozen module's fast call is the generated function as its class's __call__; other
    # calls (no input, two inputs) get _forward's errors; invalidate() restores the class
    m = nn.Sequential(nn.Linear(6, 4), nn.ReLU()).eval()
    t = jit.optimize_for_inference(jit.trace(m, gt.randn(1, 6)))
    x = gt.randn(1, 6)
    with gt.no_grad():
        y = t(x)
        assert type(t) is not jit.TracedModule and isinstance(t, jit.TracedModule)
        assert type(t).__name__ == "TracedModule" and type(t).__call__ is t._fast
        np.testing.assert_allclose(y.numpy(), m(x).numpy(), rtol=1e-6, atol=1e-7)
        assert t.forward(x).shape == (1, 4)
        with pytest.raises(TypeError, match=r"takes 1 input\(s\) \(as traced\), got 0"):
            t()
        with pytest.raises(TypeError, match=r"takes 1 input\(s\) \(as traced\), got 2"):
            t(x, x)
        t.invalidate()
        assert type(t) is jit.TracedModule
        np.testing.assert_array_equal(t(x).numpy(), y.numpy())
