"""Review of the compiled kernels that run by default when numba is installed
(backend.kernels.numba_for_exact): corner cases their own tests did not cover, each compared
with the NumPy path (byte for byte) and with torch 2.13 (the oracle)."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import kernels as selection

torch = pytest.importorskip("torch")
pytest.importorskip("numba")


@pytest.fixture
def default_kernels():
    """both(fn) -> (fn() on the NumPy kernels, fn() on the default: numba installed, no choice
    made), the selection restored afterwards."""
    saved = selection._active, selection._chosen

    def both(fn):
        selection.set_kernels("numpy")
        want = fn()
        selection._active, selection._chosen = None, False
        assert selection.numba_for_exact()
        return want, fn()
    yield both
    selection._active, selection._chosen = saved


def _adamw_on_own_grad(lib):
    """AdamW whose p.grad is a view of p (torch: p.grad = p.detach()): the decoupled decay
    shrinks p, and so the gradient, before the moments read it."""
    p = lib.tensor(np.random.default_rng(0).standard_normal((3, 5)).astype("float32"),
                   requires_grad=True)
    opt = lib.optim.AdamW([p], lr=0.1, weight_decay=0.5)
    steps = []
    for _ in range(3):
        p.grad = p.detach()
        opt.step()
        steps.append(p.detach().numpy().copy())
    return steps


def test_adamw_gradient_aliasing_the_parameter(default_kernels):
    want, got = default_kernels(lambda: _adamw_on_own_grad(gt))
    for a, b in zip(want, got):
        assert a.tobytes() == b.tobytes()
    # torch's first step, to within 2 ulp: torch's vectorised kernels round differently by the
    # CPU's capability (bit-equal on an AVX2 machine, 1 ulp apart in 2 of 15 values on AVX-512)
    np.testing.assert_allclose(got[0], _adamw_on_own_grad(torch)[0], rtol=2.5e-7, atol=0)


@pytest.mark.parametrize("make", ["sgd", "sgd_momentum", "adam"])
def test_read_only_parameter_gives_numpys_error(default_kernels, make):
    """A read-only parameter array (from_numpy of a broadcast_to view): the NumPy path's
    ValueError on both paths, not numba's TypingError from compiling a write to it."""
    def run():
        p = gt.from_numpy(np.broadcast_to(np.ones((2, 3), np.float32), (2, 3)))
        p.requires_grad_(True)
        opt = {"sgd": lambda: gt.optim.SGD([p], lr=0.1),
               "sgd_momentum": lambda: gt.optim.SGD([p], lr=0.1, momentum=0.9),
               "adam": lambda: gt.optim.Adam([p], lr=0.1)}[make]()
        errors = []
        for _ in range(2):       # SGD with momentum: the second step is the compiled one
            p.grad = gt.ones(2, 3)
            try:
                opt.step()
            except Exception as e:
                errors.append((type(e), str(e)))
        return errors
    want, got = default_kernels(run)
    assert want and want == got and want[0][0] is ValueError


@pytest.mark.parametrize("make, key", [("sgd_momentum", "momentum_buffer"),
                                       ("adam", "exp_avg"), ("adam", "exp_avg_sq")])
def test_read_only_optimizer_state_gives_numpys_error(default_kernels, make, key):
    """A read-only state array (a user's from_numpy of a read-only array put in opt.state):
    the NumPy path's ValueError on both paths, not numba's TypingError."""
    def run():
        p = gt.nn.Parameter(gt.ones(2, 3))
        opt = {"sgd_momentum": lambda: gt.optim.SGD([p], lr=0.1, momentum=0.9),
               "adam": lambda: gt.optim.Adam([p], lr=0.1)}[make]()
        p.grad = gt.ones(2, 3)
        opt.step()
        a = opt.state[p][key].numpy().copy()
        a.setflags(write=False)
        opt.state[p][key] = gt.from_numpy(a)
        try:
            opt.step()
        except Exception as e:
            return type(e), str(e)
    want, got = default_kernels(run)
    assert want == got and want[0] is ValueError


_NO_CACHE_DIR = r'''
import warnings
import numba.core.caching as caching
def unwritable(self):   # every cache location read-only (as root, chmod would not stop us)
    raise PermissionError(13, "Permission denied", self.get_cache_path())
caching._CacheLocator.ensure_cache_path = unwritable
import numpy as np
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from glasstorch.backend import (numba_conv, numba_elementwise, numba_kernels,  # noqa
                                    numba_optim, numba_pool, numba_rnn)
    from glasstorch.jit import numba_pool as jit_pool  # noqa
    import glasstorch as gt
    x = np.array([-1.5, -0.0, 2.0, np.nan], np.float32)
    y = gt.relu(gt.from_numpy(x)).numpy()
    assert y.tobytes() == np.maximum(0, x).tobytes(), y
print(sum("without a disk cache" in str(w.message) for w in caught))
'''


def test_unwritable_numba_cache_still_runs(tmp_path):
    """numba importable but no writable cache directory (read-only install, unwritable
    NUMBA_CACHE_DIR and home): the kernels compile per process with one warning; importing
    them crashed with numba's RuntimeError "cannot cache function ..." before."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "ro"))
    env.pop("GLASSTORCH_KERNELS", None)
    r = subprocess.run([sys.executable, "-c", _NO_CACHE_DIR], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split()[-1] == "1", r.stdout


_JIT_DISABLED = r'''
import numpy as np
import glasstorch as gt
from glasstorch.backend import kernels
gt.manual_seed(0)
x = gt.ones(64, 512)
y = gt.nn.functional.dropout(x, 0.25)               # training: a mask drawn
gt.manual_seed(0)
u = gt.random.default_generator.rng.random((64, 512), dtype=np.float32)
want = np.multiply(u >= 0.25, np.divide(np.ones((), np.float32), 0.75), dtype=np.float32)
try:
    kernels.set_kernels("numba")
    chosen = "chosen"
except ImportError as e:
    chosen = "NUMBA_DISABLE_JIT" in str(e)
print(kernels.numba_for_exact(), y.numpy().tobytes() == want.tobytes(), chosen)
'''


def test_numba_with_its_jit_disabled():
    """NUMBA_DISABLE_JIT=1 (numba's debugging switch): the default path keeps NumPy (numba's
    kernels would be pure-Python loops, and dropout's mask raised NotImplementedError: its
    128-bit multiply is a numba intrinsic); choosing the numba kernels says why it cannot."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    env.pop("GLASSTORCH_KERNELS", None)
    r = subprocess.run([sys.executable, "-c", _JIT_DISABLED], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["False", "True", "True"], r.stdout


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_layer_with_batch_zero(kind):
    """A (T, 0, I) input: empty outputs and gradients of torch's shapes (the time loop's row
    blocking divided by the batch size: ZeroDivisionError on float32, both kernel paths)."""
    results = []
    for lib in (gt, torch):
        lib.manual_seed(0)
        mod = getattr(lib.nn, kind)(3, 4, num_layers=2, bidirectional=True)
        x = lib.randn(5, 0, 3, requires_grad=True)
        y, h = mod(x)
        h = h[0] if kind == "LSTM" else h
        y.sum().backward()
        results.append([tuple(y.shape), tuple(h.shape), tuple(x.grad.shape)]
                       + [float(p.grad.abs().sum()) for p in mod.parameters()])
    assert results[0] == results[1]


def _read_only(shape, seed, dtype=np.float32):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    a.flags.writeable = False
    return gt.from_numpy(a)


def _edge_cases(n):
    """relu, max pooling, conv, batch norm and embedding on a batch of n (0 included) from
    read-only inputs: values and gradients."""
    F = gt.nn.functional
    x = _read_only((n, 16, 6, 6), 0).requires_grad_(True)
    w = _read_only((16, 16, 3, 3), 1).requires_grad_(True)
    y = F.conv2d(F.relu(x), w, padding=1)
    y = F.max_pool2d(y.contiguous(memory_format=gt.channels_last), 3, 2, 1, ceil_mode=True)
    y = F.batch_norm(y, None, None, training=n > 1) if n else y
    table = _read_only((7, 3), 2).requires_grad_(True)
    e = F.embedding(gt.tensor([[1, 1, 6]] * n, dtype=gt.int64).reshape(n, 3), table)
    (y.sum() + (e * e).sum()).backward()
    return [t.detach().numpy().copy() for t in (y, e, x.grad, w.grad, table.grad)]


@pytest.mark.parametrize("n", [0, 2])
def test_zero_batch_and_read_only_inputs(default_kernels, n):
    want, got = default_kernels(lambda: _edge_cases(n))
    for a, b in zip(want, got):
        assert a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("shape", [(0, 4), (0, 4, 3), (0, 4, 3, 3), (0, 4, 2, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_empty_batch_gradients(shape, training):
    """An empty batch: empty output and gradients, zero weight/bias gradients, running
    statistics unchanged (the graph was not recorded: weight.grad stayed None)."""
    results = []
    for lib in (gt, torch):
        m = getattr(lib.nn, f"BatchNorm{max(len(shape) - 2, 1)}d")(4)
        with lib.no_grad():
            m.running_mean.fill_(5.0)
        m.train(training)
        x = lib.zeros(shape, requires_grad=True)
        y = m(x)
        y.sum().backward()
        results.append([tuple(y.shape), tuple(x.grad.shape), m.weight.grad.tolist(),
                        m.bias.grad.tolist(), m.running_mean.tolist(), m.running_var.tolist()])
    assert results[0] == results[1]
