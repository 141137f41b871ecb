"""Where are this process's two CPUs? The median round trip of one cache line between two
threads pinned to two different CPUs of the process's affinity set, in a few milliseconds.

On the 2-vCPU AMD EPYC (Zen 4) machine the hypervisor moves the vCPU pair, for minutes at a
time, between cores sharing an L3 (one CCX: 55-77 ns per round trip) and cores on different
dies (300-340 ns), and every 2-thread figure follows (the MLP step 1.25-1.39 ms vs 1.6-2.1 ms;
1 thread does not): docs/perf/mlp.md "mlp7", docs/perf/threads-and-variance.md "topo7". The
benchmarks' fresh-process runs (training_step.fresh_times) take a reading before and after
each 2-thread process, so that each figure can be read with the state it ran in.

The ping-pong itself is C (core_pair.c beside this file; Python threads cannot spin on a cache
line), compiled on first use with the machine's C compiler ($CC, gcc or cc) into a cache
directory ($XDG_CACHE_HOME or ~/.cache, else the temporary directory). Without a compiler the
probe is skipped with a note: benchmarks are developer tools, glasstorch itself needs no C.

    python benchmarks/core_pair.py               # one reading: "near 61 ns (CPUs 0,1) ..."
    python benchmarks/core_pair.py --watch 60    # one a second for a minute: see the state move
"""
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).with_name("core_pair.c")
# Between the two states seen on the AMD machine (55-77 ns one CCX, 300-340 ns across dies);
# an Intel part's two hyperthreads or cores on one ring also read well under it.
NEAR_NS = 150.0
BLOCKS, PER_BLOCK = 41, 100        # 4,100 round trips: 0.3 ms near, 1.4 ms far
TIMEOUT_MS = 500                   # a pinned thread never scheduled (a busy CPU): give up


class Unavailable(Exception):
    """No reading: no compiler, one CPU only, a CPU busy with other work; str() says which."""


@dataclass(frozen=True)
class Reading:
    ns: float                      # median over blocks of the mean round trip, nanoseconds
    min_ns: float
    max_ns: float
    cpus: tuple

    @property
    def state(self):
        return classify(self.ns)

    def __str__(self):
        return f"{self.state} {self.ns:.0f} ns"


def classify(ns, near_ns=NEAR_NS):
    """'near' (the two CPUs share a cache: one CCX) below `near_ns`, else 'far'."""
    return "near" if ns < near_ns else "far"


def parse(out, cpus=(0, 1)):
    """core_pair's output line -> Reading; raises Unavailable on an "error ..." line."""
    words = out.split()
    if len(words) == 5 and words[0] == "ok":
        median, lo, hi = map(float, words[1:4])
        return Reading(median, lo, hi, tuple(cpus))
    if words[:1] == ["error"]:
        raise Unavailable(" ".join(words[1:]))
    raise Unavailable(f"unexpected probe output {out.strip()[:80]!r}")


def pick_cpus(affinity=None):
    """The two lowest CPUs this process may run on (os.sched_getaffinity)."""
    if affinity is None:
        affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    cpus = sorted(affinity)
    if len(cpus) < 2:
        raise Unavailable(f"the process may run on {len(cpus)} CPU(s) only: no pair to probe")
    return cpus[0], cpus[1]


def compiler():
    """$CC, else gcc or cc on PATH, else None."""
    cc = os.environ.get("CC")
    return shutil.which(cc) if cc else (shutil.which("gcc") or shutil.which("cc"))


def cache_dir():
    """$XDG_CACHE_HOME/glasstorch-bench (default ~/.cache), else <tmp>/glasstorch-bench-<uid>."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    for d in (base / "glasstorch-bench",
              Path(tempfile.gettempdir()) / f"glasstorch-bench-{os.getuid()}"):
        try:
            d.mkdir(parents=True, exist_ok=True)
            if os.access(d, os.W_OK):
                return d
        except OSError:
            pass
    raise Unavailable("no writable cache directory for the probe's binary")


def build():
    """The probe's binary, compiled once per source version and compiler; its path."""
    cc = compiler()
    if cc is None:
        raise Unavailable("no C compiler ($CC, gcc or cc) on PATH: the core-pair probe "
                          "(benchmarks/core_pair.c) is skipped")
    source = SOURCE.read_bytes()
    key = hashlib.sha256(source + cc.encode() + platform.machine().encode()).hexdigest()[:16]
    binary = cache_dir() / f"core_pair-{key}"
    if not binary.exists():
        tmp = binary.with_name(f"{binary.name}.{os.getpid()}.tmp")
        done = subprocess.run([cc, "-O2", "-pthread", "-o", str(tmp), str(SOURCE)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            tmp.unlink(missing_ok=True)
            first = (done.stderr.strip().splitlines() or ["?"])[0]
            raise Unavailable(f"{cc} could not compile {SOURCE.name}: {first}")
        os.replace(tmp, binary)            # atomic: concurrent first uses both succeed
    return str(binary)


def probe(cpus=None, prefix=(), timeout_ms=TIMEOUT_MS):
    """One Reading for `cpus` (default pick_cpus()); `prefix` runs the probe under the same
    wrapper as the measured processes (e.g. ["chrt", "-f", "10"]). Raises Unavailable."""
    cpus = tuple(cpus) if cpus is not None else pick_cpus()
    if cpus[0] == cpus[1]:
        raise Unavailable("the two CPUs must differ")
    command = [*prefix, build(), str(cpus[0]), str(cpus[1]), str(BLOCKS), str(PER_BLOCK),
               str(timeout_ms)]
    try:
        out = subprocess.run(command, capture_output=True, text=True,
                             timeout=timeout_ms / 1e3 + 10).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Unavailable(f"probe failed: {e}") from None
    return parse(out, cpus)


def main(argv):
    watch = float(argv[argv.index("--watch") + 1]) if "--watch" in argv else 0.0
    end = time.monotonic() + watch
    readings = []
    while True:
        try:
            r = probe()
            readings.append(r)
            print(f"{time.strftime('%H:%M:%S')} {r} (CPUs {r.cpus[0]},{r.cpus[1]}; blocks of "
                  f"{PER_BLOCK} round trips: min {r.min_ns:.0f}, max {r.max_ns:.0f} ns; near "
                  f"< {NEAR_NS:.0f} ns)", flush=True)
        except Unavailable as e:
            print(f"{time.strftime('%H:%M:%S')} core pair not measured: {e}", flush=True)
        if time.monotonic() >= end:
            break
        time.sleep(1.0)
    if len(readings) > 1:
        by_state = {s: [r.ns for r in readings if r.state == s] for s in ("near", "far")}
        print(f"{len(readings)} readings: " + ", ".join(
            f"{s} {len(v)} (median {statistics.median(v):.0f} ns)"
            for s, v in by_state.items() if v))


if __name__ == "__main__":
    main(sys.argv[1:])
