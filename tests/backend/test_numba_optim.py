"""backend/numba_optim.py: SGD's and Adam's compiled updates give the NumPy formulas' exact
bits (they run by default when numba is installed: backend.kernels.numba_for_exact), for
float32 and float64, odd sizes, nan and inf, every option the kernels take; and the
optimizers fall back to NumPy where the kernels do not apply."""
import numpy as np
import pytest

pytest.importorskip("numba")

import glasstorch as gt                                            # noqa: E402
from glasstorch.backend import kernels as selection, numba_optim   # noqa: E402

SIZES = [1, 3, 7, 31, 1000, 32769, 70001]
DTYPES = [np.float32, np.float64]
SGD_OPTIONS = [   # lr, weight_decay, momentum, dampening, nesterov
    (0.01, 0.0, 0.9, 0.0, False), (0.1, 1e-2, 0.9, 0.1, False), (0.03, 0.3, 0.7, 0.0, True),
    (0.5, 0.0, 0.0, 0.0, False), (0.01, 1e-4, 0.0, 0.0, False), (0.01, 1e-4, 0.5, 0.3, True),
    (1e30, 3.0, 0.99, 0.0, False)]
ADAM_OPTIONS = [  # lr, weight_decay, beta1, beta2, eps, step, decoupled
    (1e-3, 0.0, 0.9, 0.999, 1e-8, 1.0, False), (1e-2, 0.1, 0.8, 0.99, 1e-6, 3.0, False),
    (1e-3, 0.01, 0.9, 0.999, 1e-8, 7.0, True), (0.1, 0.0, 0.5, 0.9, 0.0, 2.0, True)]


def _arrays(n, dtype, k, seed):
    rng = np.random.default_rng(seed)
    out = [(rng.standard_normal(n) * 3).astype(dtype) for _ in range(k)]
    if n > 10:   # nan and inf in every role, zeros where Adam divides
        out[0][3], out[1][5], out[1][9], out[-1][7] = np.nan, np.inf, np.nan, -np.inf
        out[0][4], out[1][6] = -np.inf, -0.0
    return out


def _sgd_numpy(x, g, b, lr, wd, momentum, dampening, nesterov):   # optim/sgd.py's formulas
    if wd:
        g = g + wd * x
    if b is not None:
        b *= momentum
        if dampening == 0:
            b += g
        else:
            b += (1 - dampening) * g
        g = g + momentum * b if nesterov else b
    x -= lr * g


def _adam_numpy(x, g, m, v, lr, wd, beta1, beta2, eps, t, decoupled):   # optim/adam.py's
    if wd and decoupled:
        np.multiply(x, 1 - lr * wd, out=x)
    elif wd:
        g = g + wd * x
    m += (g - m) * (1 - beta1)
    v *= beta2
    v += (1 - beta2) * g * g
    denom = np.sqrt(v)
    denom /= (1 - beta2 ** t) ** 0.5
    denom += eps
    x -= lr / (1 - beta1 ** t) * m / denom


def _same_bits(a, b):
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("options", SGD_OPTIONS)
def test_sgd_kernel_same_bits_as_numpy(options, n, dtype):
    lr, wd, momentum, dampening, nesterov = options
    x, g, b = _arrays(n, dtype, 3, n)
    x2, g2, b2 = x.copy(), g.copy(), b.copy()
    has_buf = momentum != 0
    with np.errstate(all="ignore"):
        _sgd_numpy(x, g, b if has_buf else None, *options)
        numbers = numba_optim.sgd_numbers(x.dtype, lr, wd, momentum, dampening)
        assert numba_optim.sgd(x2, g2, b2 if has_buf else None, numbers, wd != 0, nesterov)
    assert _same_bits(x, x2) and _same_bits(b, b2) and _same_bits(g, g2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("options", ADAM_OPTIONS)
def test_adam_kernel_same_bits_as_numpy(options, n, dtype):
    x, g, m, v = _arrays(n, dtype, 4, n + 1)
    v = np.abs(v)
    v[:2] = 0
    m[:1] = 0
    mine = [x.copy(), g.copy(), m.copy(), v.copy()]
    with np.errstate(all="ignore"):
        _adam_numpy(x, g, m, v, *options)
        assert numba_optim.adam(*mine, *options[:-1], False, options[-1])
    for a, b in zip((x, g, m, v), mine):
        assert _same_bits(a, b)


@pytest.mark.parametrize("shape", [(2, 3, 5), (4, 1), ()])
def test_sgd_kernel_any_shape(shape):
    x, g, b = (a.reshape(shape) for a in _arrays(int(np.prod(shape)), np.float32, 3, 5))
    x2, g2, b2 = x.copy(), g.copy(), b.copy()
    with np.errstate(all="ignore"):
        _sgd_numpy(x, g, b, 0.1, 0.01, 0.9, 0.0, True)
    assert numba_optim.sgd(x2, g2, b2, numba_optim.sgd_numbers(x.dtype, 0.1, 0.01, 0.9, 0.0),
                           True, True)
    assert _same_bits(x, x2) and _same_bits(b, b2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_kernel_zero_over_zero_is_nan_as_numpy(dtype):
    # eps=0 with a zero gradient and second moment: 0 / 0 in both paths, no exception
    arrays = [np.ones(9, dtype), np.zeros(9, dtype), np.zeros(9, dtype), np.zeros(9, dtype)]
    mine = [a.copy() for a in arrays]
    options = (0.1, 0.0, 0.9, 0.999, 0.0, 1.0, False)
    with np.errstate(all="ignore"):
        _adam_numpy(*arrays, *options)
        assert numba_optim.adam(*mine, *options[:-1], False, options[-1])
    assert np.isnan(arrays[0]).all()
    for a, b in zip(arrays, mine):
        assert _same_bits(a, b)


def test_kernels_refuse_what_they_do_not_do():
    x = np.ones(8, np.float32)
    numbers = numba_optim.sgd_numbers(x.dtype, 0.1, 0, 0, 0)
    assert not numba_optim.sgd(x, np.ones(8, np.float64), None, numbers, False, False)
    assert not numba_optim.sgd(x, np.ones(16, np.float32)[::2], None, numbers, False, False)
    assert not numba_optim.sgd(x, np.ones((2, 4), np.float32), None, numbers, False, False)
    assert not numba_optim.sgd(x, x.copy(), None, numbers.astype(np.float64), False, False)
    h = np.ones(8, np.float16)
    assert not numba_optim.sgd(h, h.copy(), None, numbers, False, False)
    assert not numba_optim.adam(x, x.copy(), x.copy(), x.copy(), 0.1, 0, 0.9, 0.99, 1e-8, 1.0,
                                True, False)
    assert np.array_equal(x, np.ones(8, np.float32))


def _train(name, kwargs, kernel, dtype, steps=6):
    """Parameters and optimizer state after `steps` steps with seeded gradients (one
    non-contiguous, one float16 parameter that the kernels leave to NumPy)."""
    before = (selection._active, selection._chosen)
    try:
        if kernel == "numpy":
            selection.set_kernels("numpy")
        else:   # no choice made: the default, numba for exact kernels
            selection._active, selection._chosen = None, False
            assert selection.numba_for_exact()
        rng = np.random.default_rng(7)
        shapes = [(33, 17), (17,), (5,), (4, 6)]
        params = [gt.nn.Parameter(gt.tensor(rng.standard_normal(s).astype(dtype)))
                  for s in shapes]
        params.append(gt.nn.Parameter(gt.tensor(rng.standard_normal(9).astype(np.float16))))
        opt = getattr(gt.optim, name)(params, **kwargs)
        for _ in range(steps):
            for i, p in enumerate(params):
                g = rng.standard_normal(p.shape).astype(p._data.dtype)
                if i == 3:   # a transposed (non-contiguous) gradient
                    g = np.ascontiguousarray(g.T).T
                p.grad = gt.tensor(g) if i != 3 else gt.from_numpy(g)
            params[1].grad._data[2] = np.nan
            opt.step()
        state = [np.array(t._data) for p in params for t in opt.state[p].values()
                 if isinstance(t, gt.Tensor)]
        return [p.detach().numpy().copy() for p in params] + state
    finally:
        selection._active, selection._chosen = before


OPTIMIZERS = [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "maximize": True}),
    ("Adam", {"lr": 0.01}), ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}), ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "maximize": True})]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[f"{n}-{k}" for n, k in OPTIMIZERS])
def test_optimizer_steps_same_bits_on_both_paths(name, kwargs, dtype):
    with np.errstate(all="ignore"):
        numpy_path = _train(name, kwargs, "numpy", dtype)
        default = _train(name, kwargs, "default", dtype)
    assert len(numpy_path) == len(default)
    for a, b in zip(numpy_path, default):
        assert _same_bits(a, b)


def test_default_path_runs_the_kernel(monkeypatch):
    calls = []   # what each call returned: True = the kernel did the update
    real = numba_optim.sgd
    monkeypatch.setattr(numba_optim, "sgd", lambda *a: calls.append(real(*a)) or calls[-1])
    # 6 steps; NumPy takes the float16 parameter and the one with a transposed gradient
    for kernel, done, left in (("default", 6 * 3, 6 * 2), ("numpy", 0, 0)):
        calls.clear()
        _train("SGD", {"lr": 0.1}, kernel, np.float32)
        assert calls.count(True) == done and calls.count(False) == left


def test_numba_for_exact_asks_once(monkeypatch):
    # without numba, each failed import rescans sys.path (~70 us) and the ops ask per call:
    # the answer is found once and kept
    import sys

    class NoNumba:
        def find_spec(self, name, path=None, target=None):
            if name == "numba" or name.startswith("numba."):
                raise AssertionError("numba_for_exact imported numba again")

    monkeypatch.setattr(selection, "_installed", None)
    monkeypatch.setattr(selection, "_active", None)
    monkeypatch.setattr(selection, "_chosen", False)
    assert selection.numba_for_exact()          # numba is installed here: asked once
    monkeypatch.delitem(sys.modules, "numba")
    monkeypatch.setattr(sys, "meta_path", [NoNumba()] + sys.meta_path)
    assert selection.numba_for_exact()          # no second import
