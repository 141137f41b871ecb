"""Shared benchmark harness: time glasstorch and torch in the same process, alternating them.

    from harness import compare, environment_report
    environment_report()                        # BLAS kernels, threads, environment warnings
    rows = compare({"glasstorch": f_gt, "torch": f_torch}, number=20, rounds=7)
    report("1000-op chain", rows, target=3.0)   # table + a final "ratio ... PASS/FAIL" line

Each round runs every candidate `number` times back to back, candidates in alternating order,
so drifting clocks, thermal throttling and noisy neighbours hit both alike; the medians over
rounds are compared. Run through benchmarks/run.sh, which unsets OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE (settings meant for old OpenBLAS builds that make today's NumPy matmul
~1.8x slower); this module only warns about them and never changes them.
"""
import os
import re
import statistics
import sys
import time
import tracemalloc

_BAD_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def warn_environment():
    """Warn (stderr) about variables that distort NumPy's BLAS speed; return their names."""
    bad = [k for k in _BAD_ENV if k in os.environ]
    if bad:
        values = ", ".join(f"{k}={os.environ[k]}" for k in bad)
        sys.stderr.write(f"WARNING: {values} in the environment: meant for old OpenBLAS "
                         "builds, it forces a slower kernel on NumPy's (matmul ~1.8x slower "
                         "here). Run through benchmarks/run.sh, which unsets it for the "
                         "benchmarks only.\n")
    return bad


def blas_info():
    """The BLAS/OpenMP libraries loaded in this process (threadpoolctl), one dict each."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"internal_api": "unknown (pip install threadpoolctl)"}]
    return [{"library": "torch" if "torch" in (i.get("filepath") or "") else "numpy",
             "internal_api": i.get("internal_api"), "version": i.get("version"),
             "architecture": i.get("architecture") or i.get("corename"),
             "num_threads": i.get("num_threads"), "threading_layer": i.get("threading_layer")}
            for i in threadpool_info()]


def torch_info():
    """What torch computes with: its BLAS (from the build config), CPU kernel level, threads."""
    import torch
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    mkl = re.search(r"Math Kernel Library Version ([\w.\-]+)", config)
    return {"version": torch.__version__, "blas": blas.group(1) if blas else "?",
            "mkl": mkl.group(1) if mkl else None,
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "num_threads": torch.get_num_threads()}


def environment_report():
    """Print the kernels both frameworks use and warn about distorting settings."""
    import numpy
    import torch  # noqa: F401  (loaded first, so threadpoolctl sees its libraries too)
    warn_environment()
    print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, "
          f"{os.cpu_count()} logical CPUs")
    for i in blas_info():
        extras = " ".join(f"{k}={i[k]}" for k in ("architecture", "threading_layer")
                          if i.get(k))
        print(f"  {i.get('library', '?'):<6} {i['internal_api']} {i.get('version') or ''} "
              f"threads={i.get('num_threads')} {extras}")
    t = torch_info()
    print(f"  torch  {t['version']}: BLAS={t['blas']} {t['mkl'] or ''} "
          f"cpu={t['cpu_capability']} threads={t['num_threads']}")


def compare(candidates, number=10, rounds=7, warmup=2):
    """Time each callable in `candidates` ({name: fn}); returns {name: seconds per call list}.

    Every round times `number` calls of each candidate, alternating which goes first."""
    names = list(candidates)
    for name in names:
        for _ in range(warmup):
            candidates[name]()
    times = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn = candidates[name]
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            times[name].append((time.perf_counter() - t0) / number)
    return times


def report(title, times, target, ours="glasstorch", ref="torch"):
    """Print a table of medians and the final `ratio ... PASS/FAIL` line; return the ratio."""
    print(f"\n{title}")
    print(f"  {'':<12}{'median':>12}{'min':>12}{'max':>12}")
    for name, ts in times.items():
        print(f"  {name:<12}{_ms(statistics.median(ts)):>12}{_ms(min(ts)):>12}"
              f"{_ms(max(ts)):>12}")
    ratio = statistics.median(times[ours]) / statistics.median(times[ref])
    verdict = "PASS" if ratio <= target else "FAIL"
    print(f"{title}: {ours}/{ref} = {ratio:.2f}x (target <= {target}x) {verdict}")
    return ratio


def peak_traced_memory(fn):
    """Peak bytes allocated through Python's tracemalloc while `fn()` runs. NumPy reports its
    array buffers to tracemalloc, so this covers glasstorch; torch's allocator is not traced."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _ms(seconds):
    return f"{seconds * 1e3:.3f} ms"
