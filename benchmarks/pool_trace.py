"""Where the second thread's time goes in glasstorch's own pool (backend/threads.py): two
diagnostics, glasstorch only (information, no target).

    python benchmarks/pool_trace.py handoff
        parallel_for's hand-off: from the call to the pool thread starting its slice, and from
        the pool thread's last slice ending to the call returning (the caller's wake-up), in
        the states a training step has: back to back, after 1 ms and 10 ms of Python, and
        right after a threaded OpenBLAS GEMM (its worker then spins). min / median / p90 us.
    python benchmarks/pool_trace.py regions bench_resnet|bench_lenet|bench_mlp|bench_lstm
        every parallel_for of a few training steps: per call site and size, the regions per
        step, their wall time, the slices' summed time ("work"), the efficiency work / (threads
        x wall) (1.0: both cores busy from the call to its return), the pool thread's mean
        start delay and the caller's mean wait for the last slice.
    python benchmarks/pool_trace.py serial bench_resnet|bench_lenet|bench_mlp|bench_lstm
        what runs outside the pool's regions: per op family and direction, the ops'
        exclusive time per step and how much of it ran inside pool regions; the rest
        ("outside") and the time outside every op (engine, optimizer, Python) run on the
        calling thread (with OpenBLAS's own threads inside threaded GEMMs).

Run at 2 threads, at real-time priority under the benchmark lock on a shared machine, e.g.
    flock /tmp/bench.lock timeout 120 chrt -f 10 env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 python benchmarks/pool_trace.py regions bench_resnet
The region trace wraps each call's fn (a few us per slice); docs/perf/threads-and-variance.md
(2026-12-06, pool5) has figures.
"""
import collections
import importlib
import os
import statistics
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import glasstorch as gt                          # noqa: E402
from glasstorch.backend import threads           # noqa: E402

_now = time.perf_counter_ns
_MAIN = threading.get_ident()


def _quantiles(values):
    v = sorted(values)
    return f"{v[0]:6.1f} {statistics.median(v):6.1f} {v[int(0.9 * len(v))]:6.1f}" if v else "-"


def handoff(reps=40):
    a = np.ones(1 << 16, np.float32)
    b = np.empty_like(a)
    g = np.ones((512, 512), np.float32)
    rec = {}

    def busy_numpy(until):                  # GIL-free work in ~15 us calls, as a slice does
        while _now() < until:
            np.add(a, a, out=b)

    def fn(i, j):
        if threading.get_ident() == _MAIN:
            busy_numpy(rec["t0"] + 1_000_000)       # the caller's slice: 1 ms
        else:
            rec["start"] = _now()
            busy_numpy(rec["t0"] + 2_000_000)       # the pool's slice ends 2 ms after the call
            rec["end"] = _now()

    def one(gap_ns, gemm):
        until = _now() + gap_ns
        while _now() < until:                       # Python: the GIL held, this core busy
            pass
        if gemm:
            g @ g                                   # OpenBLAS's worker spins after it
        rec.clear()
        rec["t0"] = _now()
        threads.parallel_for(2, fn, 1 << 40, slices=2)
        if "start" not in rec:
            return None
        return (rec["start"] - rec["t0"]) / 1e3, (_now() - rec["end"]) / 1e3

    states = [("back to back", 0, False), ("after 1 ms", 1_000_000, False),
              ("after 10 ms", 10_000_000, False), ("after a GEMM", 1_000_000, True)]
    one(0, False)
    got = {s: [] for s in states}
    for _ in range(reps):
        for s in states:
            got[s].append(one(s[1], s[2]))
    print(f"parallel_for hand-off at {threads.get_num_threads()} threads, us (min median p90)")
    for s, values in got.items():
        done = [v for v in values if v is not None]
        print(f"  {s[0]:13s} pool start {_quantiles([v[0] for v in done])}   caller wait "
              f"{_quantiles([v[1] for v in done])}   pool ran nothing: {len(values) - len(done)}")


def _step(bench):
    """One training step of the benchmark's model, as its timed child runs it."""
    if bench == "bench_lstm":
        import bench_lstm
        _, model, inputs = bench_lstm.setup("glasstorch")
        return lambda: model.step(*inputs)
    import training_step
    module = importlib.import_module(bench)
    model_fn, shape, n = {"bench_resnet": ("resnet", (3, 32, 32), 64),
                          "bench_lenet": ("lenet", (1, 28, 28), 128),
                          "bench_mlp": ("mlp", (784,), 128)}[bench]
    gt.manual_seed(0)
    return training_step.make(gt, getattr(module, model_fn), *training_step.batch(shape, n))[1]


def regions(bench, steps=4):
    step = _step(bench)
    log = []
    plain = threads.parallel_for

    def traced(n, fn, nbytes, blas_serial=False, slices=None, threshold=None):
        rec = {"start": None, "caller_done": 0, "work": 0, "slices": 0}

        def timed(i, j):
            t = _now()
            if threading.get_ident() != _MAIN and rec["start"] is None:
                rec["start"] = t
            fn(i, j)
            rec["work"] += _now() - t
            rec["slices"] += 1
            if threading.get_ident() == _MAIN:
                rec["caller_done"] = _now()
        t0 = _now()
        plain(n, timed, nbytes, blas_serial, slices, threshold)
        if rec["slices"] > 1:                       # split (a serial call is one fn(0, n))
            log.append((getattr(fn, "__qualname__", "?").split(".<locals>")[0], nbytes >> 20,
                        _now() - t0, rec["work"], rec["start"] and rec["start"] - t0,
                        _now() - rec["caller_done"]))
    threads.parallel_for = traced
    try:
        for _ in range(3):
            step()
        log.clear()
        t0 = _now()
        for _ in range(steps):
            step()
        wall = (_now() - t0) / steps / 1e6
    finally:
        threads.parallel_for = plain
    width = threads.get_num_threads()
    sites = collections.defaultdict(list)
    for r in log:
        sites[r[:2]].append(r)
    idle = sum(r[4] is None for r in log)
    print(f"{bench} at {width} threads: step {wall:.2f} ms; {len(log) / steps:.0f} split "
          f"parallel_for calls per step ({idle / steps:.1f} where the pool thread ran no slice)")
    print(f"  {'call site':34s} {'MiB':>4s} {'/step':>5s} {'wall ms':>8s} {'work ms':>8s} "
          f"{'eff':>5s} {'start us':>8s} {'wait us':>8s}")
    for (site, mib), rs in sorted(sites.items(), key=lambda kv: -sum(r[2] for r in kv[1])):
        w, k = sum(r[2] for r in rs), sum(r[3] for r in rs)
        starts = [r[4] for r in rs if r[4] is not None]
        print(f"  {site[:34]:34s} {mib:4d} {len(rs) / steps:5.1f} {w / steps / 1e6:8.2f} "
              f"{k / steps / 1e6:8.2f} {k / (width * w):5.2f} "
              f"{(statistics.mean(starts) / 1e3 if starts else float('nan')):8.0f} "
              f"{statistics.mean(r[5] for r in rs) / 1e3:8.0f}")


def serial(bench, steps=4):
    from breakdown import family
    from glasstorch._registry import OPS
    step = _step(bench)
    own, inside, stack = collections.Counter(), collections.Counter(), []   # ns per label
    restore = []

    def wrap(klass, attr, label):
        fn = klass.__dict__[attr].__func__

        def timed(*args, **kwargs):
            kind = "bwd" if attr == "backward" or any(s[0].endswith("bwd") for s in stack) \
                else "fwd"
            stack.append([f"{label} {kind}", 0])
            t0 = _now()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = _now() - t0
                name, inner = stack.pop()
                own[name] += dt - inner
                if stack:
                    stack[-1][1] += dt
        restore.append((klass, attr, klass.__dict__[attr]))
        setattr(klass, attr, staticmethod(timed))
    done = set()
    for info in OPS.values():
        for attr in ("forward", "backward"):
            klass = next((k for k in info.cls.__mro__ if attr in k.__dict__), None)
            if klass is not None and isinstance(klass.__dict__[attr], staticmethod) \
                    and (klass, attr) not in done:
                done.add((klass, attr))
                wrap(klass, attr, family(info.name))
    plain = threads.parallel_for

    def region(*args, **kwargs):
        t0 = _now()
        try:
            return plain(*args, **kwargs)
        finally:
            if stack and threading.get_ident() == _MAIN:
                inside[stack[-1][0]] += _now() - t0
    threads.parallel_for = region
    try:
        for _ in range(3):
            step()
        own.clear()
        inside.clear()
        t0 = _now()
        for _ in range(steps):
            step()
        wall = _now() - t0
    finally:
        threads.parallel_for = plain
        for klass, attr, original in restore:
            setattr(klass, attr, original)
    ms = 1e6 * steps
    print(f"{bench} at {threads.get_num_threads()} threads: step {wall / ms:.2f} ms, of it "
          f"{sum(inside.values()) / ms:.2f} in pool regions (parallel_for calls from ops)")
    print(f"  {'family':16s} {'ops ms':>8s} {'in regions':>10s} {'outside':>8s}")
    for label in sorted(own, key=lambda k: -(own[k] - inside[k])):
        print(f"  {label:16s} {own[label] / ms:8.2f} {inside[label] / ms:10.2f} "
              f"{(own[label] - inside[label]) / ms:8.2f}")
    print(f"  {'outside any op':16s} {(wall - sum(own.values())) / ms:8.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["handoff"]:
        handoff()
    elif sys.argv[1:2] == ["regions"] and len(sys.argv) == 3:
        regions(sys.argv[2])
    elif sys.argv[1:2] == ["serial"] and len(sys.argv) == 3:
        serial(sys.argv[2])
    else:
        print(__doc__.split("\n\n")[1])
        sys.exit(2)
