"""backend/numba_norm.py: layer_norm's fused passes give the NumPy path's exact bits (output,
input, weight and bias gradients; float32/64; 1-D and 2-D normalized shapes; inf and NaN
entries), are used exactly where they apply (not for a strided input, group norm, a missing
bias), and the values still match torch."""
import numpy as np
import pytest

pytest.importorskip("numba")

import glasstorch as gt                                                 # noqa: E402
import glasstorch.nn.functional as F                                   # noqa: E402
from glasstorch.backend import kernels as selection, numba_norm       # noqa: E402
from tests.helpers import check_op                                     # noqa: E402


def _on_both_paths(run, monkeypatch):
    """run() on the NumPy kernels, then on the default (numba's exact kernels); returns both
    results and how many fused calls the default path made."""
    calls = []
    for name in ("forward", "backward_products", "backward_input"):
        original = getattr(numba_norm, name)
        monkeypatch.setattr(numba_norm, name,
                            lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a))
    selection.set_kernels("numpy")
    numpy_path = run()
    assert not calls
    selection._active, selection._chosen = None, False
    return numpy_path, run(), calls


def _layer_norm_run(x0, shape, dtype, bias=True, strided=False):
    def run():
        rng = np.random.default_rng(1)
        x = gt.tensor(x0, dtype=dtype, requires_grad=True)
        w = gt.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)
        b = gt.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True) \
            if bias else None
        xin = x.transpose(0, 1) if strided else x
        y = F.layer_norm(xin, shape, w, b)
        y.backward(gt.tensor(rng.standard_normal(tuple(y.shape)), dtype=dtype))
        return [y.detach().numpy(), x.grad.numpy(), w.grad.numpy()] + \
            ([b.grad.numpy()] if bias else [])
    return run


def _same(a, b):
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


@pytest.mark.parametrize("dtype", [gt.float32, gt.float64])
@pytest.mark.parametrize("xshape, shape", [((35, 32, 128), (128,)), ((3, 5, 7), (5, 7)),
                                           ((1, 1), (1,)), ((6, 33), (33,))])
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")   # inf - inf in the stats
def test_layer_norm_same_bits_on_both_paths(xshape, shape, dtype, monkeypatch):
    x0 = np.random.default_rng(0).standard_normal(xshape) * 3 + 1
    if x0.shape[0] > 2:
        x0.reshape(x0.shape[0], -1)[1, 0] = np.inf
        x0.reshape(x0.shape[0], -1)[2, -1] = np.nan
    numpy_path, numba_path, calls = _on_both_paths(_layer_norm_run(x0, shape, dtype),
                                                   monkeypatch)
    _same(numpy_path, numba_path)
    assert calls == ["forward", "backward_products", "backward_input"]


@pytest.mark.parametrize("case", ["strided", "no bias"])
def test_layer_norm_falls_back_where_the_kernels_do_not_apply(case, monkeypatch):
    x0 = np.random.default_rng(0).standard_normal((4, 6, 8))
    run = _layer_norm_run(x0, (8,), gt.float32, bias=case != "no bias", strided=case == "strided")
    numpy_path, numba_path, calls = _on_both_paths(run, monkeypatch)
    _same(numpy_path, numba_path)
    if case == "strided":
        assert "forward" not in calls
    else:   # no bias: the forward is NumPy's, the backward (no bias involved) fused
        assert calls == ["backward_products", "backward_input"]


def test_group_norm_does_not_take_the_layer_norm_kernels(monkeypatch):
    x0 = np.random.default_rng(0).standard_normal((2, 4, 3, 5)).astype(np.float32)

    def run():
        x = gt.tensor(x0, requires_grad=True)
        w, b = (gt.ones(4, requires_grad=True) for _ in range(2))
        F.group_norm(x, 2, w, b).sum().backward()
        return [x.grad.numpy(), w.grad.numpy()]
    numpy_path, numba_path, calls = _on_both_paths(run, monkeypatch)
    _same(numpy_path, numba_path)
    assert not calls


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_norm_against_torch_on_the_fused_path(dtype):
    check_op(lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (16,), w, b),
             [(4, 5, 16), (16,), (16,)], dtype=dtype, lib=True)
