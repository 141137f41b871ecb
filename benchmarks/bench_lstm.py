"""LSTM language-model training step: Embedding(30, 128) -> LSTM(128, 256) -> Linear(256, 30),
batch 32 x 35 steps (time-major), cross-entropy, backward, SGD step; glasstorch vs torch with
the same weights and data. Target: glasstorch within 2x of torch's time (>= 0.5x throughput).

glasstorch runs the LSTM layer as one fused op (ops/rnn.py): the input projection of all 35
steps is one GEMM, then per step one (32, 256) @ (256, 1024) GEMM and a few in-place NumPy
passes for the gates; backward mirrors it (one GEMM per step) and computes dW_hh in one GEMM.
Run: benchmarks/run.sh bench_lstm  (or: python benchmarks/bench_lstm.py)
"""
import numpy as np
import torch

import glasstorch as gt
from harness import compare, environment_report, peak_traced_memory, report

TARGET = 2.0
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


def single_thread_info(g, t, g_in, t_in):
    """The training step with one BLAS thread in both libraries: the per-step GEMMs are small
    ((32, 256) @ (256, 1024)), and on a loaded 2-CPU machine two contending BLAS threads make
    them several times slower, so this ratio is the steadier one there."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            times = compare({"glasstorch": lambda: g.step(*g_in),
                             "torch": lambda: t.step(*t_in)}, number=3, rounds=7)
    finally:
        torch.set_num_threads(n)
    report("LSTM LM training step, one thread each (info)", times, TARGET)


def main():
    environment_report()
    torch.manual_seed(0)
    ref = torch.nn.ModuleList([torch.nn.Embedding(VOCAB, EMBED), torch.nn.LSTM(EMBED, HIDDEN),
                               torch.nn.Linear(HIDDEN, VOCAB)])
    state = {k: v.detach().numpy().copy() for k, v in ref.state_dict().items()}
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (STEPS, BATCH))
    targets = rng.integers(0, VOCAB, (STEPS, BATCH))
    g, t = LanguageModel(gt, state), LanguageModel(torch, state)
    g_in = (gt.tensor(tokens), gt.tensor(targets))
    t_in = (torch.tensor(tokens), torch.tensor(targets))

    for _ in range(3):  # the same trajectory: losses agree step by step
        np.testing.assert_allclose(g.step(*g_in).item(), t.step(*t_in).item(), rtol=1e-4)
    with gt.no_grad(), torch.no_grad():
        fwd = compare({"glasstorch": lambda: g.lstm(g.embed(g_in[0])),
                       "torch": lambda: t.lstm(t.embed(t_in[0]))}, number=5, rounds=7)
    report("LSTM 128->256, 35 x 32, forward only (info)", fwd, TARGET)
    single_thread_info(g, t, g_in, t_in)
    print(f"  glasstorch peak traced memory, one training step: "
          f"{peak_traced_memory(lambda: g.step(*g_in)) / 2**20:.1f} MiB")
    times = compare({"glasstorch": lambda: g.step(*g_in), "torch": lambda: t.step(*t_in)},
                    number=5, rounds=9)
    ratio = report("LSTM LM training step (emb 128, hidden 256, vocab 30, 35 x 32, SGD)",
                   times, TARGET)
    print(f"  throughput: glasstorch = {1 / ratio:.2f}x torch")


if __name__ == "__main__":
    main()
