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
import ctypes
import os
import re
import statistics
import subprocess
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


def compare(candidates, number=10, rounds=7, warmup=2, timer=time.perf_counter):
    """Time each callable in `candidates` ({name: fn}); returns {name: seconds per call list}.

    Every round times `number` calls of each candidate, alternating which goes first.
    timer=time.process_time counts this process's CPU time: steadier on a shared machine."""
    names = list(candidates)
    for name in names:
        for _ in range(warmup):
            candidates[name]()
    times = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn = candidates[name]
            t0 = timer()
            for _ in range(number):
                fn()
            times[name].append((timer() - t0) / number)
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


def report_throughput(title, times, target, ours="glasstorch", ref="torch"):
    """Like `report` for a higher-is-better claim: the final line gives throughput
    ours/ref = time(ref) / time(ours), PASS when it is at least `target`; returns it."""
    print(f"\n{title}")
    print(f"  {'':<12}{'median':>12}{'min':>12}{'max':>12}")
    for name, ts in times.items():
        print(f"  {name:<12}{_ms(statistics.median(ts)):>12}{_ms(min(ts)):>12}"
              f"{_ms(max(ts)):>12}")
    ratio = statistics.median(times[ref]) / statistics.median(times[ours])
    verdict = "PASS" if ratio >= target else "FAIL"
    print(f"{title}: throughput {ours}/{ref} = {ratio:.2f}x (target >= {target}x) {verdict}")
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


def peak_torch_memory(fn):
    """Peak bytes of CPU tensors torch allocates while `fn()` runs, above the start: a running
    sum of the profiler's allocation events. Frees of tensors allocated before `fn` are not
    seen (as with tracemalloc), so both measure the same thing: new memory held at the peak."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    current = peak = 0
    for e in sorted(events, key=lambda e: e.start_ns()):
        current += e.nbytes()
        peak = max(peak, current)
    return peak


def peak_rss_growth(fn, warmup=None):
    """Bytes by which the process's peak resident memory (Linux VmHWM) exceeds its resident
    memory before `fn()`: everything the process touches, whatever allocates it (NumPy, torch's
    allocator, oneDNN scratch buffers, BLAS workspaces). `warmup()` runs first, outside the
    measure, to load code pages and thread pools; then the memory it freed goes back to the OS
    (glibc malloc_trim), so `fn` cannot reuse it unseen. Meant for a fresh process: run_child."""
    if warmup is not None:
        warmup()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")                                  # reset VmHWM to VmRSS (Linux >= 4.0)
    before = _status_kib("VmRSS")
    fn()
    return (_status_kib("VmHWM") - before) * 1024


def _status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/self/status (Linux only)")


def run_child(script, *args):
    """Run `python script *args` in a fresh interpreter (same environment) and return the
    number it prints last: a measure untouched by what this process has loaded or cached."""
    out = subprocess.run([sys.executable, script, *args], capture_output=True, text=True,
                         check=True).stdout
    return float(out.split()[-1])


# The core pair (benchmarks/core_pair.py): 2-thread figures on a VM depend on whether the two
# vCPUs share a cache (docs/perf/threads-and-variance.md, "topo7"). At 2+ threads fresh_times
# probes once (building the probe, or printing why not) and asks each timed child (through
# GLASSTORCH_BENCH_CORE_PAIR=child) for a reading just before and just after its timed loop:
# core_pair_start() / core_pair_end(). GLASSTORCH_BENCH_CORE_PAIR=0 turns the probe off, =all
# probes at 1 thread too.
_pair_note_printed = False


def core_pair_reading(prefix=()):
    """A core_pair.Reading now, or None (the reason printed once: no compiler, one CPU...)."""
    global _pair_note_printed
    if os.environ.get("GLASSTORCH_BENCH_CORE_PAIR") == "0":
        return None
    import core_pair
    try:
        return core_pair.probe(prefix=prefix)
    except core_pair.Unavailable as e:
        if not _pair_note_printed:
            print(f"  (core pair not measured: {e})", flush=True)
            _pair_note_printed = True
        return None


def core_pair_start():
    """In a timed child, right before its timed loop: a Reading if the parent asked for one
    (else None; a failed probe is None too: the child's output stays two numbers last)."""
    if os.environ.get("GLASSTORCH_BENCH_CORE_PAIR") != "child":
        return None
    import core_pair
    try:
        return core_pair.probe()
    except core_pair.Unavailable:
        return None


def core_pair_end(before):
    """Right after the timed loop: print `core_pair CPU_A,CPU_B BEFORE_NS AFTER_NS` ('-' for no
    reading) for fresh_times to parse, if the parent asked for readings."""
    if os.environ.get("GLASSTORCH_BENCH_CORE_PAIR") != "child":
        return
    after = core_pair_start()
    cpus = next((r.cpus for r in (before, after) if r is not None), None)
    if cpus is not None:
        print(f"core_pair {cpus[0]},{cpus[1]} "
              + " ".join(f"{r.ns:.1f}" if r else "-" for r in (before, after)), flush=True)


def parse_core_pair(out):
    """(before, after) Readings (or None each) from a child's output; (None, None) if none."""
    import core_pair
    m = re.search(r"^core_pair (\d+),(\d+) (\S+) (\S+)$", out, re.M)
    if not m:
        return None, None
    cpus = (int(m.group(1)), int(m.group(2)))
    return tuple(None if v == "-" else core_pair.Reading(float(v), float(v), float(v), cpus)
                 for v in m.group(3, 4))


def pair_state(before, after):
    """One process's state from the readings before and after it (Reading or None each):
    'near' or 'far' when they agree (or only one exists), 'mixed' when the pair moved, None
    without readings."""
    states = {r.state for r in (before, after) if r is not None}
    return states.pop() if len(states) == 1 else ("mixed" if states else None)


def pair_label(before, after):
    """'near 61/64 ns', 'far 318 ns' (one reading), 'mixed 61/320 ns', or '' (none)."""
    ns = "/".join(f"{r.ns:.0f}" for r in (before, after) if r is not None)
    return f"{pair_state(before, after)} {ns} ns" if ns else ""


def per_state_medians(times, states, ours="glasstorch", ref="torch"):
    """{state: {name: (median wall seconds, processes)}} for 'near' and 'far' when both occur
    among the processes of `times` ({name: [(wall, cpu), ...]}); `states` ({name: [state or
    None, ...]}, in the same order). Mixed or unprobed processes are left out."""
    seen = {s for name in (ours, ref) for s in states.get(name, ())}
    if not {"near", "far"} <= seen:
        return {}
    out = {}
    for state in ("near", "far"):
        walls = {name: [w for (w, _), s in zip(times[name], states.get(name, ())) if s == state]
                 for name in (ours, ref)}
        out[state] = {name: (statistics.median(v) if v else None, len(v))
                      for name, v in walls.items()}
    return out


def _ms(seconds):
    return f"{seconds * 1e3:.3f} ms"
