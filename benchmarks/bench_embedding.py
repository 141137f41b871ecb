"""Embedding lookup: a 50,000 x 128 float32 table read at 20,000 indices (100 x 200, repeats
included), forward + backward, glasstorch vs torch. Target: glasstorch within 2x of torch.

The forward is one `take` (a row gather). The backward scatter-adds 20,000 gradient rows into a
zero table (backend/cpu_kernels.py `add_at`): a stable sort of the indices, then rounds of
gather-add-scatter over distinct rows, in float32, so repeated rows sum in the order torch's
index_add does.
Run: benchmarks/run.sh bench_embedding  (or: python benchmarks/bench_embedding.py)
"""
import numpy as np
import torch

import glasstorch as gt
from harness import compare, environment_report, report

TARGET = 2.0
NUM, DIM, LOOKUPS = 50_000, 128, (100, 200)


def step(emb, idx, gy):
    emb.weight.grad = None
    emb(idx).backward(gy)
    return emb.weight.grad


def main():
    environment_report()
    rng = np.random.default_rng(0)
    w = rng.standard_normal((NUM, DIM)).astype(np.float32)
    idx = rng.integers(0, NUM, LOOKUPS)
    gy = rng.standard_normal(LOOKUPS + (DIM,)).astype(np.float32)
    g_emb, t_emb = gt.nn.Embedding(NUM, DIM), torch.nn.Embedding(NUM, DIM)
    g_emb.load_state_dict({"weight": gt.tensor(w)})
    t_emb.load_state_dict({"weight": torch.tensor(w)})
    g_args = (g_emb, gt.tensor(idx), gt.tensor(gy))
    t_args = (t_emb, torch.tensor(idx), torch.tensor(gy))

    def run_gt():
        return step(*g_args)

    def run_torch():
        return step(*t_args)

    np.testing.assert_allclose(run_gt().numpy(), run_torch().numpy(), rtol=1e-5, atol=1e-5)
    times = compare({"glasstorch": run_gt, "torch": run_torch}, number=5, rounds=11)
    report(f"embedding {NUM}x{DIM}, {LOOKUPS[0] * LOOKUPS[1]} lookups, fwd+bwd", times, TARGET)


if __name__ == "__main__":
    main()
