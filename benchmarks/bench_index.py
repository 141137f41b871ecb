"""In-place index ops on a large tensor touching a few rows: 50,000 x 50 float32, 300 indices
(repeats included), glasstorch vs torch, CPU time (process_time) per call. Target: glasstorch
within 5x of torch for each op.

The cost must be O(touched rows), not O(tensor): `x.index_add_(0, idx, src)` writes straight
into x's buffer (ops/_inplace.py `inplace(..., direct=True)` and `writable`) instead of running
the out-of-place op on a copy of x and copying the result back (two passes over 10 MB:
~1.3 ms a call before, 30-50x torch).
The word2vec-style sparse update (rows of an embedding table under no_grad) is the case that
matters; the last line records autograd through the in-place op (src requires grad), which
also writes in place since index_add's backward never reads self.
Run: benchmarks/run.sh bench_index  (or: python benchmarks/bench_index.py)
"""
import time

import numpy as np
import torch

import glasstorch as gt
from harness import compare, environment_report, report

TARGET = 5.0
ROWS, COLS, PICKS = 50_000, 50, 300


def main():
    environment_report()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    idx = rng.integers(0, ROWS, PICKS)
    src = rng.standard_normal((PICKS, COLS)).astype(np.float32)
    mods = {"glasstorch": gt, "torch": torch}
    cols = np.broadcast_to(idx[:, None], (PICKS, COLS)).copy()   # scatter_add_'s index
    data = {name: (m.tensor(x), m.tensor(idx), m.tensor(src), m.tensor(cols))
            for name, m in mods.items()}
    cases = {   # title: fn(x, idx, src, scatter_index), no_grad?
        "index_add_": (lambda x, i, s, n: x.index_add_(0, i, s, alpha=1e-3), True),
        "index_add_ on a view x[:, 10:30]": (
            lambda x, i, s, n: x[:, 10:30].index_add_(0, i, s[:, 10:30], alpha=1e-3), True),
        "x[idx] = v": (lambda x, i, s, n: x.__setitem__(i, s), True),
        "index_put_ accumulate": (lambda x, i, s, n: x.index_put_((i,), s, accumulate=True),
                                  True),
        "index_fill_": (lambda x, i, s, n: x.index_fill_(0, i, 0.5), True),
        "scatter_add_": (lambda x, i, s, n: x.scatter_add_(0, n, s * 1e-3), True),
        # autograd records through the in-place op: x a buffer, src a weight
        "index_add_ recorded (src requires grad)": (
            lambda x, i, s, n: x.index_add_(0, i, s, alpha=1e-3), False),
    }
    for title, (fn, no_grad) in cases.items():
        runs = {}
        for name, m in mods.items():
            xt, it, st, nt = data[name]
            if not no_grad:
                st = st.clone().requires_grad_(True)
            runs[name] = lambda fn=fn, args=(xt, it, st, nt): fn(*args)
        with gt.set_grad_enabled(not no_grad), torch.set_grad_enabled(not no_grad):
            times = compare(runs, number=20, rounds=9, timer=time.process_time)
        report(f"{title}: {ROWS}x{COLS} float32, {PICKS} indices", times, TARGET)
    a, b = data["glasstorch"][0].detach().numpy(), data["torch"][0].detach().numpy()
    np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)   # same updates on both


if __name__ == "__main__":
    main()
