"""The LSTM layer's and the embedding backward's numba kernels (backend/numba_rnn.py) give the
NumPy path's exact bits:
the fused layer (ops/rnn_lstm.py) run forward and backward on both paths, outputs, final
states and every gradient compared bit for bit (NaN payloads included), over odd sizes, packed
sequences (active columns shrinking and growing), reverse, projections, no biases, no-grad,
float32 and float64, with inf and NaN in the input; the embedding's scatter-add over vocabulary
sizes, repeat patterns and options. (torch comparisons: tests/nn.)"""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch.backend import kernels, threads

pytest.importorskip("numba")

CASES = [  # T, B, I, H, proj, bias, batch_sizes, bidirectional
    (5, 3, 4, 7, 0, True, None, False),
    (9, 13, 17, 33, 0, True, None, True),
    (4, 32, 8, 64, 0, False, None, False),
    (6, 5, 7, 12, 5, True, [5, 4, 4, 2, 1, 1], True),
    (6, 5, 3, 9, 0, True, [5, 5, 3, 2, 2, 1], True),
    (3, 1, 2, 1, 0, True, None, False),
]


def _run(case, dtype, which, grad=True, special=False):
    T, B, I, H, proj, bias, batch_sizes, bidi = case
    kernels.set_kernels(which)
    rng = np.random.default_rng(sum(case[:4]))
    lstm = gt.nn.LSTM(I, H, bias=bias, proj_size=proj, bidirectional=bidi).to(
        getattr(gt, dtype))
    with gt.no_grad():
        for p in lstm.parameters():
            p.copy_(gt.tensor(rng.uniform(-1, 1, p.shape).astype(dtype)))
    n = sum(batch_sizes) if batch_sizes else T * B
    xa = rng.uniform(-3, 3, (n, I)).astype(dtype)
    if special:
        xa[1, 0], xa[2, 1], xa[n - 1, I - 1] = np.inf, -np.inf, np.nan
    x = gt.tensor(xa if batch_sizes else xa.reshape(T, B, I), requires_grad=grad)
    inp = gt.nn.utils.rnn.PackedSequence(x, gt.tensor(batch_sizes)) if batch_sizes else x
    if not grad:
        with gt.no_grad():
            y, (h, c) = lstm(inp)
        return [t.numpy() for t in (y.data if batch_sizes else y, h, c)]
    y, (h, c) = lstm(inp)
    yd = y.data if batch_sizes else y
    gy = rng.standard_normal(yd.shape).astype(dtype)
    (yd * gt.tensor(gy)).sum().add((h * 0.5).sum()).add((c * 0.25).sum()).backward()
    return ([t.detach().numpy() for t in (yd, h, c)] + [x.grad.numpy()]
            + [p.grad.numpy() for p in lstm.parameters()])


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


@pytest.fixture
def restore():
    before = kernels.get_kernels()
    n = threads.get_num_threads()
    yield
    kernels.set_kernels(before)
    threads.set_num_threads(n)


@pytest.fixture(params=["serial", "blocks-420", "blocks-5000", "2threads"])
def split(request, monkeypatch):
    """How the time loop calls its GEMMs (ops/rnn_layers.py): one call per product; row
    blocks (forced for both dtypes; 420 / 5000 multiply-adds per block: blocks of 1-20 rows,
    so both the cblas calls from numba and NumPy's matmul for 1-row blocks); 2 threads."""
    from glasstorch.ops import rnn_layers
    if request.param.startswith("blocks"):
        monkeypatch.setattr(rnn_layers, "_SMALL_GEMM_DTYPES",
                            (np.dtype(np.float32), np.dtype(np.float64)))
        monkeypatch.setattr(rnn_layers, "SMALL_GEMM_MNK", int(request.param[7:]))
        monkeypatch.setattr(rnn_layers, "SMALL_GEMM_MIN_ROWS", 1)
    threads.set_num_threads(2 if request.param == "2threads" else 1)
    return request.param


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_lstm_numba_path_has_the_numpy_bits(restore, split, case, dtype):
    a, b = _run(case, dtype, "numpy"), _run(case, dtype, "numba")
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and u.shape == v.shape
        assert np.array_equal(_bits(u), _bits(v))


@pytest.mark.parametrize("grad", [True, False])
def test_lstm_numba_bits_with_inf_and_nan_and_without_grad(restore, grad):
    threads.set_num_threads(1)
    case = CASES[3]
    a = _run(case, "float32", "numpy", grad, special=True)
    b = _run(case, "float32", "numba", grad, special=True)
    assert any(np.isnan(u).any() for u in a)
    for u, v in zip(a, b):
        assert np.array_equal(_bits(u), _bits(v))


def test_lstm_uses_the_kernels_by_default_when_numba_is_installed(restore, monkeypatch):
    # bit-identical kernels run when no choice was made; set_kernels("numpy") keeps NumPy
    from glasstorch.ops import rnn_lstm
    monkeypatch.setattr(kernels, "_active", None)
    monkeypatch.setattr(kernels, "_chosen", False)
    assert rnn_lstm._numba(np.dtype(np.float32)) is not None
    assert rnn_lstm._numba(np.dtype(np.float16)) is None
    # the benchmark's products (H 256, batch 32, OpenBLAS's row blocks) take NumPy's own
    # ?gemm from numba when NumPy bundles OpenBLAS
    nk, f32 = rnn_lstm._numba(np.dtype(np.float32)), np.dtype(np.float32)
    w = np.zeros((1024, 256), np.float32)
    if nk.blas_gemm(f32) is not None:
        assert rnn_lstm._cblas(nk, f32, (w, 122), (w.T, 30)) is nk.blas_gemm(f32)
    assert rnn_lstm._cblas(nk, f32, (w, 1)) is None              # 1-row blocks: gemv
    assert rnn_lstm._cblas(nk, f32, (w, 341)) is None            # a last block of 1 row
    kernels.set_kernels("numpy")
    assert rnn_lstm._numba(np.dtype(np.float32)) is None


EMBEDDING_CASES = [  # rows, width, lookups, how indices repeat
    (30, 128, (35, 32), "uniform"),        # the LM benchmark: the padded-table order
    (1000, 7, (50,), "uniform"),           # few repeats: add_at's rounds
    (9, 1, (6, 4), "uniform"),
    (500, 3, (400,), "skewed"),            # one row 300 times among many: add_at sums the
    (40, 16, (9,), "distinct"),            # excess first, so the NumPy path is kept
]


def _indices(rows, shape, how, rng):
    n = int(np.prod(shape))
    if how == "distinct":
        return rng.permutation(rows)[:n].reshape(shape)
    idx = rng.integers(0, rows, n)
    if how == "skewed":
        idx[:300] = 7
        rng.shuffle(idx)
    return idx.reshape(shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", EMBEDDING_CASES)
@pytest.mark.parametrize("options", [{}, {"padding_idx": 3}, {"scale_grad_by_freq": True}])
def test_embedding_backward_numba_has_the_numpy_bits(restore, case, dtype, options):
    rows, width, shape, how = case
    rng = np.random.default_rng(rows + width)
    idx = _indices(rows, shape, how, rng)
    gy = rng.standard_normal(shape + (width,)).astype(dtype)
    gy.reshape(-1)[:3] = [np.inf, np.nan, -0.0]
    out = {}
    for which in ("numpy", "numba"):
        kernels.set_kernels(which)
        w = gt.zeros(rows, width, dtype=getattr(gt, dtype), requires_grad=True)
        gt.nn.functional.embedding(gt.tensor(idx), w, **options).backward(gt.tensor(gy))
        out[which] = w.grad.numpy()
    assert np.array_equal(_bits(out["numpy"]), _bits(out["numba"]))


def test_embedding_scatter_kernel_refuses_bad_indices_untouched():
    from glasstorch.backend import numba_rnn
    out = np.zeros((4, 3), np.float32)
    src = np.ones((3, 3), np.float32)
    assert not numba_rnn.scatter_rows(out, np.array([0, 4, 1]), src)
    assert not out.any()
    assert numba_rnn.scatter_rows(out, np.array([0, -1, 0]), src)
    assert out[0, 0] == 2 and out[3, 0] == 1
