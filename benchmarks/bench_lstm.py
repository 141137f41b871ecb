"""LSTM language-model training step: Embedding(30, 128) -> LSTM(128, 256) -> Linear(256, 30),
batch 32 x 35 steps (time-major), cross-entropy, backward, SGD step; glasstorch vs torch with
the same weights and data. Target (issue 11): throughput >= 0.8x torch's, each framework timed
alone in fresh alternating processes at 1 and 2 threads (training_step.fresh_times); a
per-op-family breakdown (1 thread) is printed first.

glasstorch runs the LSTM layer as one fused op (ops/rnn_lstm.py) in a transposed layout: per
step W_ih [x_t | 1]^T and W_hh h^T (GEMMs of (1024, 129) and (1024, 256) by (., 32)), gate
nonlinearities on contiguous (256, 32) blocks, backward's factors saved by forward; BPTT does
one (256, 1024) @ (1024, 32) GEMM per step, then dW_ih, db, dW_hh as one GEMM and dx as one,
over all steps. At one thread the per-step products go in row blocks to OpenBLAS's
small-matrix kernels (ops/rnn_layers.py `_gemm_rows`). `gemm_floor` times these GEMMs alone in
each framework (NumPy's OpenBLAS, blocked as the layer does, vs torch's MKL, the same shapes
and counts): what no rearrangement of the elementwise work changes.
With numba installed the step's gate math, embedding backward and per-step cblas calls run
as bit-identical numba kernels (backend/numba_rnn.py); GLASSTORCH_KERNELS=numpy measures the
NumPy path (the fresh child processes inherit it). At 2 threads (numba path) the batch runs as
two column slices on glasstorch's pool, each slice's time loop one numba call
(backend/numba_rnn_loops.py; docs/perf/lstm.md).
Run: benchmarks/run.sh bench_lstm  (or: python benchmarks/bench_lstm.py)
"""
import os
import statistics
import sys
import time

import numpy as np
import torch

import glasstorch as gt
from breakdown import glasstorch_breakdown, print_breakdown, torch_breakdown
from glasstorch.backend import threads
from harness import (compare, core_pair_end, core_pair_start, environment_report,
                     peak_traced_memory, report)
from training_step import fresh_times, report_fresh

TARGET = 0.8   # throughput glasstorch/torch (issue 11)
VOCAB, EMBED, HIDDEN, BATCH, STEPS = 30, 128, 256, 32, 35


class LanguageModel:
    """The same model in either library (`lib` is torch or glasstorch)."""

    def __init__(self, lib, state):
        self.lib = lib
        self.embed = lib.nn.Embedding(VOCAB, EMBED)
        self.lstm = lib.nn.LSTM(EMBED, HIDDEN)
        self.out = lib.nn.Linear(HIDDEN, VOCAB)
        self.model = lib.nn.ModuleList([self.embed, self.lstm, self.out])
        self.model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        self.opt = lib.optim.SGD(self.model.parameters(), lr=0.1)

    def step(self, tokens, targets):
        self.opt.zero_grad()
        h, _ = self.lstm(self.embed(tokens))
        logits = self.out(h)
        loss = self.lib.nn.functional.cross_entropy(logits.reshape(-1, VOCAB),
                                                    targets.reshape(-1))
        loss.backward()
        self.opt.step()
        return loss


def setup(lib_name):
    """(lib, LanguageModel, inputs) with torch's seed-0 weights, as every process builds it."""
    import importlib
    lib = importlib.import_module(lib_name)
    torch.manual_seed(0)
    ref = torch.nn.ModuleList([torch.nn.Embedding(VOCAB, EMBED), torch.nn.LSTM(EMBED, HIDDEN),
                               torch.nn.Linear(HIDDEN, VOCAB)])
    state = {k: v.detach().numpy().copy() for k, v in ref.state_dict().items()}
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (STEPS, BATCH))
    targets = rng.integers(0, VOCAB, (STEPS, BATCH))
    return lib, LanguageModel(lib, state), (lib.tensor(tokens), lib.tensor(targets))


def gemm_floor(lib_name, rounds=5):
    """Median CPU ms of the LSTM layer's GEMMs of one training step, alone, on one thread:
    forward 35 x ((1024, 129) @ (129, 32) + (1024, 256) @ (256, 32)), backward 35 x
    (256, 1024) @ (1024, 32), then (1024, 1120) @ (1120, 385) and (1120, 1024) @ (1024, 128)."""
    rng = np.random.default_rng(0)
    if lib_name == "torch":
        def arr(*shape):
            return torch.from_numpy(rng.standard_normal(shape, dtype=np.float32))
        mm = torch.mm
    else:
        from glasstorch.ops.rnn_layers import _blocks, _gemm_rows, _mm

        def arr(*shape):
            return rng.standard_normal(shape, dtype=np.float32)

        from glasstorch.ops.rnn_lstm import _cblas, _numba
        nk = _numba(np.dtype(np.float32))

        def mm(a, b):      # as the layer calls them: row blocks where OpenBLAS's small-matrix
            out = np.empty((a.shape[0], b.shape[1]), a.dtype)     # kernels take them, from
            rows = _gemm_rows(a.shape[0], a.shape[1], b.shape[1], a.dtype)   # numba if there
            gemm = _cblas(nk, a.dtype, (a, rows)) if b.shape[1] <= 32 else None
            if gemm is not None:
                nk._gemm_blocks(gemm, a, rows, b.ctypes.data, 111, b.shape[1], b.shape[1],
                                out.ctypes.data, out.shape[1], a.dtype.type(1), a.dtype.type(0))
            else:
                _mm(_blocks(a, rows), b, out)
            return out
    G, N = 4 * HIDDEN, STEPS * BATCH
    wi, wh, x, h = arr(G, EMBED + 1), arr(G, HIDDEN), arr(EMBED + 1, BATCH), arr(HIDDEN, BATCH)
    whT, da, dA, xh, dAr = arr(HIDDEN, G), arr(G, BATCH), arr(G, N), arr(N, EMBED + 1 + HIDDEN), \
        arr(N, G)
    wih = arr(G, EMBED)

    def forward():
        for _ in range(STEPS):
            mm(wi, x)
            mm(wh, h)

    def backward():
        for _ in range(STEPS):
            mm(whT, da)
        mm(dA, xh)
        mm(dAr, wih)
    out = []
    for fn in (forward, backward):
        fn()
        times = []
        for _ in range(rounds):
            c0 = time.process_time()
            fn()
            times.append(time.process_time() - c0)
        out.append(statistics.median(times) * 1e3)
    return out


def time_child(lib_name):
    """--time mode: median (wall, CPU) seconds per training step, this framework alone."""
    _, model, inputs = setup(lib_name)
    for _ in range(3):
        model.step(*inputs)
    walls, cpus = [], []
    pair = core_pair_start()   # at 2 threads: where the two CPUs are (harness)
    for _ in range(5):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(5):
            model.step(*inputs)
        walls.append((time.perf_counter() - w0) / 5)
        cpus.append((time.process_time() - c0) / 5)
    core_pair_end(pair)
    return statistics.median(walls), statistics.median(cpus)


def main():
    if sys.argv[1:2] == ["--time"]:
        print(*time_child(sys.argv[2]))
        return
    environment_report()
    _, g, g_in = setup("glasstorch")
    _, t, t_in = setup("torch")
    for _ in range(3):  # the same trajectory: losses agree step by step
        np.testing.assert_allclose(g.step(*g_in).item(), t.step(*t_in).item(), rtol=1e-4)
    from glasstorch.backend import kernels
    path = "numba (bit-identical, numba_rnn.py)" if kernels.numba_for_exact() else "numpy"
    print(f"  glasstorch kernels: {path}; first calls compiling or loading numba's cache: "
          f"{kernels.compile_seconds():.2f} s (GLASSTORCH_KERNELS=numpy: the NumPy path)")
    with gt.no_grad(), torch.no_grad():
        fwd = compare({"glasstorch": lambda: g.lstm(g.embed(g_in[0])),
                       "torch": lambda: t.lstm(t.embed(t_in[0]))}, number=5, rounds=7)
    report("LSTM 128->256, 35 x 32, forward only (info, time ratio)", fwd, 1 / TARGET)
    n, tn = threads.get_num_threads(), torch.get_num_threads()
    threads.set_num_threads(1)
    torch.set_num_threads(1)
    print_breakdown("LSTM LM", glasstorch_breakdown(lambda: g.step(*g_in)),
                    torch_breakdown(lambda: t.step(*t_in)))
    (gf, gb), (tf, tb) = gemm_floor("glasstorch"), gemm_floor("torch")
    print(f"  the LSTM layer's GEMMs alone (CPU ms, 1 thread): glasstorch (OpenBLAS) fwd "
          f"{gf:.2f} bwd {gb:.2f}, torch (MKL) fwd {tf:.2f} bwd {tb:.2f}")
    threads.set_num_threads(n)
    torch.set_num_threads(tn)
    print(f"  glasstorch peak traced memory, one training step: "
          f"{peak_traced_memory(lambda: g.step(*g_in)) / 2**20:.1f} MiB")
    processes = int(os.environ.get("GLASSTORCH_BENCH_PROCESSES", 5))
    for n in (1, 2):
        report_fresh(f"LSTM LM training step (emb 128, hidden 256, vocab 30, 35 x 32, SGD), "
                     f"{n} thread{'s' * (n > 1)} (medians of {processes} fresh processes each)",
                     fresh_times(sys.argv[0], n, processes), TARGET, BATCH * STEPS)


if __name__ == "__main__":
    main()
