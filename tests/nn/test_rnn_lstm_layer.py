"""The fused LSTM and GRU layer ops (ops/rnn_lstm.py, ops/rnn_gru.py) against torch.lstm and
torch.gru, at sizes where their layout matters: gates (4H, B) per step with H and B not tiny, odd batch sizes, packed sequences whose
active rows shrink (forward) and grow (reverse), projections, no biases, float32 and float64,
serial, with W_hh in row blocks, and at 2 threads (ops/rnn_layers.py `_time_loop`). Values
and gradients of the input, h0 (c0) and every weight; the no-grad (inference) path too."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.backend import threads
from helpers import assert_close, check_op

T, B, IN, H = 6, 5, 7, 12
BATCH_SIZES = [5, 4, 4, 2, 1, 1]       # lengths 6, 5, 3, 3, 1 (already sorted)


@pytest.fixture(params=["serial", "blocks", "2threads", "2threads-blas"])
def split(request, monkeypatch):
    """How the time loops run their per-step GEMMs (ops/rnn_layers.py): serial: one thread;
    blocks: one thread, W_hh in row blocks (as for OpenBLAS's small-matrix kernels, forced
    here for both dtypes and blocks of 1-7 rows, uneven last ones); 2threads: 2 threads, these
    tiny per-step GEMMs on one BLAS thread; 2threads-blas: 2 threads, every per-step GEMM on
    OpenBLAS's threads (LOOP_THREADED_MNK lowered)."""
    from glasstorch.ops import rnn_layers
    if request.param == "blocks":
        monkeypatch.setattr(rnn_layers, "_SMALL_GEMM_DTYPES",
                            (np.dtype(np.float32), np.dtype(np.float64)))
        monkeypatch.setattr(rnn_layers, "SMALL_GEMM_MNK", 420)
        monkeypatch.setattr(rnn_layers, "SMALL_GEMM_MIN_ROWS", 1)
    if request.param == "2threads-blas":
        monkeypatch.setattr(rnn_layers, "LOOP_THREADED_MNK", 0)
    before = threads.get_num_threads()
    threads.set_num_threads(2 if request.param.startswith("2") else 1)
    yield request.param
    threads.set_num_threads(before)


def test_row_blocks_of_the_benchmark_shapes():
    # what bench_lstm.py's layer (H 256, batch 32) runs: on OpenBLAS's SkylakeX kernels at
    # one thread W_hh in blocks of 122 rows and W_hh^T in blocks of 30; at 2 threads one
    # call each (OpenBLAS splits them) unless LOOP_THREADED_MNK keeps them on one thread;
    # float64 and other BLAS builds: one call
    from glasstorch.ops import rnn_layers as r
    f32 = np.dtype(np.float32)
    before = threads.get_num_threads()
    try:
        threads.set_num_threads(1)
        small = f32 in r._SMALL_GEMM_DTYPES
        assert r._gemm_rows(1024, 256, 32, f32) == (122 if small else 1024)
        assert r._gemm_rows(256, 1024, 32, f32) == (30 if small else 256)
        assert r._gemm_rows(1024, 256, 64, f32) == 1024          # more columns: one call
        assert r._gemm_rows(1024, 256, 32, np.dtype(np.float64)) == 1024
        threads.set_num_threads(2)
        assert r._gemm_rows(1024, 256, 32, f32) == 1024
        r.LOOP_THREADED_MNK, saved = float("inf"), r.LOOP_THREADED_MNK
        try:
            assert r._gemm_rows(1024, 256, 32, f32) == (122 if small else 1024)
        finally:
            r.LOOP_THREADED_MNK = saved
    finally:
        threads.set_num_threads(before)
    blocks = r._blocks(np.arange(14.0).reshape(7, 2), 3)
    assert [b[1].shape[0] for b in blocks] == [3, 3, 1]
    out = np.empty((7, 1))
    r._mm(blocks, np.ones((2, 1)), out)
    np.testing.assert_array_equal(out[:, 0], np.arange(14.0).reshape(7, 2).sum(1))


def _shapes(layers, bidirectional, bias, proj, packed, batch_first):
    D = 2 if bidirectional else 1
    P = proj or H
    x = (sum(BATCH_SIZES), IN) if packed else (B, T, IN) if batch_first else (T, B, IN)
    shapes = [x, (layers * D, B, P), (layers * D, B, H)]
    for layer in range(layers):
        for _ in range(D):
            shapes += [(4 * H, IN if layer == 0 else P * D), (4 * H, P)]
            shapes += [(4 * H,), (4 * H,)] if bias else []
            shapes += [(proj, H)] if proj else []
    return shapes


def _call(packed, layers, bidirectional, bias, batch_first):
    def fn(lib, x, h0, c0, *params):
        if packed:
            return lib.lstm(x, lib.tensor(BATCH_SIZES), (h0, c0), list(params), bias, layers,
                            0.0, False, bidirectional)
        return lib.lstm(x, (h0, c0), list(params), bias, layers, 0.0, False, bidirectional,
                        batch_first)
    return fn


CONFIGS = [  # layers, bidirectional, bias, proj, packed, batch_first
    (1, False, True, 0, False, False),
    (1, True, True, 0, False, True),
    (2, False, False, 0, False, False),
    (2, True, True, 5, False, False),
    (1, False, True, 0, True, False),
    (2, True, True, 0, True, False),
    (1, True, False, 4, True, False),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layers,bidirectional,bias,proj,packed,batch_first", CONFIGS)
def test_lstm_matches_torch(split, dtype, layers, bidirectional, bias, proj, packed,
                            batch_first):
    shapes = _shapes(layers, bidirectional, bias, proj, packed, batch_first)
    check_op(_call(packed, layers, bidirectional, bias, batch_first), shapes, lib=True,
             dtype=dtype, low=-1, high=1)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("packed", [False, True])
def test_lstm_without_grad_matches_torch(split, dtype, packed):
    # no input needs a gradient: the layer keeps nothing for backward (its scratch path)
    shapes = _shapes(2, True, True, 0, packed, False)
    check_op(_call(packed, 2, True, True, False), shapes, lib=True, dtype=dtype, low=-1,
             high=1, grad=False)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lstm_cell_matches_torch(dtype):
    shapes = [(B, IN), (B, H), (B, H), (4 * H, IN), (4 * H, H), (4 * H,), (4 * H,)]
    check_op(lambda lib, x, h, c, *w: lib.lstm_cell(x, (h, c), *w), shapes, lib=True,
             dtype=dtype, low=-1, high=1)


def test_lstm_language_model_step_matches_torch(split):
    # the benchmark's shape class (bench_lstm.py), smaller: embedding -> LSTM -> linear,
    # cross-entropy, in float32; losses and every parameter's gradient
    torch.manual_seed(0)
    ref = torch.nn.ModuleList([torch.nn.Embedding(11, 16), torch.nn.LSTM(16, 24),
                               torch.nn.Linear(24, 11)])
    ours = gt.nn.ModuleList([gt.nn.Embedding(11, 16), gt.nn.LSTM(16, 24),
                             gt.nn.Linear(24, 11)])
    ours.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    rng = np.random.default_rng(0)
    tokens, targets = rng.integers(0, 11, (9, 6)), rng.integers(0, 11, (9, 6))
    results = {}
    for lib, m in ((torch, ref), (gt, ours)):
        h, _ = m[1](m[0](lib.tensor(tokens)))
        loss = lib.nn.functional.cross_entropy(m[2](h).reshape(-1, 11),
                                               lib.tensor(targets).reshape(-1))
        loss.backward()
        results[lib] = [loss] + [p.grad for p in m.parameters()]
    assert_close(results[gt], results[torch], 1e-5, 1e-6)


# ---- GRU -------------------------------------------------------------------------------------
def _gru_shapes(layers, bidirectional, bias, packed, batch_first):
    D = 2 if bidirectional else 1
    x = (sum(BATCH_SIZES), IN) if packed else (B, T, IN) if batch_first else (T, B, IN)
    shapes = [x, (layers * D, B, H)]
    for layer in range(layers):
        for _ in range(D):
            shapes += [(3 * H, IN if layer == 0 else H * D), (3 * H, H)]
            shapes += [(3 * H,), (3 * H,)] if bias else []
    return shapes


def _gru_call(packed, layers, bidirectional, bias, batch_first):
    def fn(lib, x, h0, *params):
        if packed:
            return lib.gru(x, lib.tensor(BATCH_SIZES), h0, list(params), bias, layers, 0.0,
                           False, bidirectional)
        return lib.gru(x, h0, list(params), bias, layers, 0.0, False, bidirectional,
                       batch_first)
    return fn


GRU_CONFIGS = [  # layers, bidirectional, bias, packed, batch_first
    (1, False, True, False, False),
    (2, True, True, False, True),
    (1, False, False, False, False),
    (1, False, True, True, False),
    (2, True, False, True, False),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layers,bidirectional,bias,packed,batch_first", GRU_CONFIGS)
def test_gru_matches_torch(split, dtype, layers, bidirectional, bias, packed, batch_first):
    shapes = _gru_shapes(layers, bidirectional, bias, packed, batch_first)
    check_op(_gru_call(packed, layers, bidirectional, bias, batch_first), shapes, lib=True,
             dtype=dtype, low=-1, high=1)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("packed", [False, True])
def test_gru_without_grad_matches_torch(split, dtype, packed):
    shapes = _gru_shapes(2, True, True, packed, False)
    check_op(_gru_call(packed, 2, True, True, False), shapes, lib=True, dtype=dtype, low=-1,
             high=1, grad=False)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gru_cell_matches_torch(dtype):
    shapes = [(B, IN), (B, H), (3 * H, IN), (3 * H, H), (3 * H,), (3 * H,)]
    check_op(lambda lib, x, h, *w: lib.gru_cell(x, h, *w), shapes, lib=True, dtype=dtype,
             low=-1, high=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_halved_gate_rows_equal_the_broadcast_multiply(dtype):
    # the forward's W_hh / W_ih with gates i, f, o halved (ops/rnn_lstm.py `_halved`, three
    # contiguous passes) has the bits of the multiply by a (4H, 1) column it replaced
    from glasstorch.ops.rnn_lstm import _halved
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4 * 37, 29)) * 10.0 ** rng.integers(-30, 30, (1, 29))
    w = w.astype(dtype)
    w[::7, 3] = np.resize(np.array([np.inf, -np.inf, np.nan, -0.0, 1e-45, 0.0], dtype), 22)
    half = np.full((4 * 37, 1), 0.5, dtype)
    half[2 * 37:3 * 37] = 1
    got = _halved(w, np.empty_like(w))
    assert np.array_equal(got.view(np.uint8), np.multiply(w, half).view(np.uint8))
    out = np.zeros((4 * 37, 31), dtype)                      # into columns of a wider array
    _halved(w, out[:, :29])
    assert np.array_equal(out[:, :29].view(np.uint8).reshape(-1),
                          np.multiply(w, half).view(np.uint8).reshape(-1))
