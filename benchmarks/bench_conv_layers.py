"""ResNet-small's convolutions one by one (bench_resnet.py's 8 distinct conv shapes, batch 64,
float32): forward and forward + backward (input and weight gradients) CPU time per call, in
NCHW and in channels-last (torch.channels_last input, weight and upstream gradient; torch
the same, for a fair comparison). Information: per-layer figures behind bench_resnet's
whole-step ratio (issue 11, item 1).

Each (framework, format) runs alone in a fresh process, the four alternating (and their order
reversed every other round) over GLASSTORCH_BENCH_PROCESSES rounds (default 3), with
OMP/OPENBLAS/MKL_NUM_THREADS = --threads (default 1); a child prints the median of 5 repeats
of time.process_time per call for each layer; the table gives the medians over processes.
Run: benchmarks/run.sh bench_conv_layers   (python bench_conv_layers.py [--threads 2])
"""
import os
import statistics
import subprocess
import sys
import time

import numpy as np

N = 64
LAYERS = [  # name, cin, cout, kernel, stride, padding, input height = width
    ("stem 3->32 3x3", 3, 32, 3, 1, 1, 32),
    ("32->32 3x3", 32, 32, 3, 1, 1, 32),
    ("32->64 3x3 s2", 32, 64, 3, 2, 1, 32),
    ("64->64 3x3", 64, 64, 3, 1, 1, 16),
    ("32->64 1x1 s2", 32, 64, 1, 2, 0, 32),
    ("64->128 3x3 s2", 64, 128, 3, 2, 1, 16),
    ("128->128 3x3", 128, 128, 3, 1, 1, 8),
    ("64->128 1x1 s2", 64, 128, 1, 2, 0, 16),
]
# how often each shape occurs in one ResNet-small step (bench_resnet.py)
COUNT = {"32->32 3x3": 2, "128->128 3x3": 3}


def child(lib_name, fmt, threads):
    """Per layer: (forward ms, forward + backward ms) CPU time per call."""
    if lib_name == "glasstorch":
        import glasstorch as lib
        from glasstorch.backend import threads as pool
        pool.set_num_threads(threads)
    else:
        import torch as lib
        lib.set_num_threads(threads)
    F = lib.nn.functional
    rs = np.random.RandomState(0)
    results = []
    for name, cin, cout, k, s, p, hw in LAYERS:
        x = lib.tensor(rs.randn(N, cin, hw, hw).astype(np.float32))
        w = lib.tensor((rs.randn(cout, cin, k, k) * 0.1).astype(np.float32))
        if fmt == "channels_last":
            x, w = (t.contiguous(memory_format=lib.channels_last) for t in (x, w))
        x.requires_grad_(cin != 3)          # the stem's input needs no gradient
        w.requires_grad_()
        gy = lib.tensor(rs.randn(*F.conv2d(x, w, stride=s, padding=p).shape)
                        .astype(np.float32))
        if fmt == "channels_last":
            gy = gy.contiguous(memory_format=lib.channels_last)

        def fwd():
            with lib.no_grad():
                F.conv2d(x, w, stride=s, padding=p)

        def both():
            x.grad = w.grad = None
            F.conv2d(x, w, stride=s, padding=p).backward(gy)
        row = []
        for f in (fwd, both):
            f()
            times = []
            for _ in range(5):
                c0 = time.process_time()
                for _ in range(3):
                    f()
                times.append((time.process_time() - c0) / 3)
            row.append(statistics.median(times) * 1e3)
        results.append(row)
    return results


def main():
    args = sys.argv[1:]
    threads = int(args[args.index("--threads") + 1]) if "--threads" in args else 1
    if args[:1] == ["--child"]:
        for f, b in child(args[1], args[2], threads):
            print(f"{f:.4f} {b:.4f}")
        return
    rounds = int(os.environ.get("GLASSTORCH_BENCH_PROCESSES", 3))
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    configs = [(lib, fmt) for fmt in ("contiguous", "channels_last")
               for lib in ("glasstorch", "torch")]
    samples = {c: [] for c in configs}
    loads = []
    for r in range(rounds):
        for lib, fmt in (configs if r % 2 == 0 else configs[::-1]):
            out = subprocess.run([sys.executable, sys.argv[0], "--child", lib, fmt,
                                  "--threads", str(threads)], env=env, capture_output=True,
                                 text=True, check=True).stdout.split("\n")
            samples[(lib, fmt)].append([tuple(map(float, line.split())) for line in out
                                        if line.strip()])
            loads.append(os.getloadavg()[0])
    med = {c: [tuple(statistics.median(s[i][j] for s in v) for j in (0, 1))
               for i in range(len(LAYERS))] for c, v in samples.items()}
    print(f"ResNet-small convs, batch {N}, {threads} thread(s), CPU ms per call (medians of "
          f"{rounds} fresh processes each; load average {min(loads):.1f}-{max(loads):.1f})")
    head = "  ".join(f"{lib[:5]} {fmt[:4]:>4}" for lib, fmt in configs)
    print(f"{'layer':<16} {'x':>2}  fwd: {head}  |  fwd+bwd: {head}")
    totals = {c: [0.0, 0.0] for c in configs}
    for i, (name, *_) in enumerate(LAYERS):
        n = COUNT.get(name, 1)
        for c in configs:
            totals[c][0] += n * med[c][i][0]
            totals[c][1] += n * med[c][i][1]
        f = "  ".join(f"{med[c][i][0]:10.2f}" for c in configs)
        b = "  ".join(f"{med[c][i][1]:10.2f}" for c in configs)
        print(f"{name:<16} {n:>2}  fwd: {f}  |  fwd+bwd: {b}")
    f = "  ".join(f"{totals[c][0]:10.2f}" for c in configs)
    b = "  ".join(f"{totals[c][1]:10.2f}" for c in configs)
    print(f"{'step total':<16} {'':>2}  fwd: {f}  |  fwd+bwd: {b}")
    for fmt in ("contiguous", "channels_last"):
        g, t = totals[("glasstorch", fmt)][1], totals[("torch", fmt)][1]
        print(f"convs of one step, fwd+bwd, {fmt}: glasstorch {g:.1f} ms, torch {t:.1f} ms: "
              f"throughput glasstorch/torch = {t / g:.2f}x (information)")


if __name__ == "__main__":
    main()
