"""The shared runner: seeds, timing, the JSON record, the PNG figure and the verdict text.

run_experiment(exp, ...) imports the framework (glasstorch or real torch), builds a `Lab` context,
calls `exp.fn(torch, lab)`, and writes into `out/`:
    <id>.json  every measured number (lab.record), seeds, timings (wall and process time),
               versions of glasstorch/NumPy/torch/matplotlib, the machine, and the verdict;
    <id>.png   the figure the experiment drew on lab.figure(...);
    <id>.txt   the verdict text.
"""
import contextlib
import datetime
import importlib
import importlib.metadata
import json
import os
import platform
import random
import sys
import time

from . import data as _data
from .verdict import Verdict

__all__ = ["Lab", "run_experiment", "default_out", "SCHEMA_KEYS", "FRAMEWORKS"]

FRAMEWORKS = ("glasstorch", "torch")
SCHEMA_KEYS = ("id", "topic", "topic_title", "question", "claim", "test", "flag", "plot",
               "function", "framework", "quick", "seeds", "numbers", "verdict", "timings",
               "versions", "machine", "figure", "started")


def default_out(framework="glasstorch"):
    return os.path.join("runs", "lab" if framework == "glasstorch" else f"lab-{framework}")


class Lab:
    """What an experiment gets besides `torch`: mode, seeds, data, a figure, a timer, a notebook.

    lab.quick            True in --quick mode (use the small sizes)
    lab.seeds            the seeds to loop over (>= 2: comparisons need a seed spread)
    lab.seed(s)          seed torch, random and NumPy; returns a numpy Generator for data
    lab.record(**kw)     store measured numbers (anything JSON-able, tensors and arrays included)
    lab.figure(r, c)     (fig, axes) of the experiment's single PNG figure
    lab.timeit(fn, n)    seconds per call of fn(): the fastest of n calls (perf_counter), the
                         estimate least disturbed by other load on a shared machine
    lab.mnist/digits/timemachine/tensor   data as framework tensors (see data.py)
    """

    def __init__(self, torch, quick=False, seeds=(0, 1), framework="glasstorch"):
        self.torch, self.quick, self.seeds, self.framework = torch, quick, list(seeds), framework
        self.numbers = {}
        self.fig = None

    def seed(self, s):
        import numpy
        self.torch.manual_seed(s)
        random.seed(s)
        numpy.random.seed(s)
        return numpy.random.default_rng(s)

    def record(self, **numbers):
        for k, v in numbers.items():
            self.numbers[k] = _jsonable(v)

    def figure(self, nrows=1, ncols=1, width=4.2, height=3.4, **kw):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        if self.fig is not None:
            plt.close(self.fig)
        self.fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                                      squeeze=False, **kw)
        return self.fig, (axes[0, 0] if nrows * ncols == 1 else axes.ravel())

    def timeit(self, fn, number=20, warmup=2):
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(number):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    # data (framework tensors)
    def tensor(self, array, dtype=None):
        t = self.torch.from_numpy(array.copy())
        return t if dtype is None else t.to(dtype)

    def mnist(self, n_train=4000, n_test=1000, flat=True):
        xtr, ytr, xte, yte = _data.mnist(n_train, n_test, flat)
        return tuple(self.tensor(a) for a in (xtr, ytr, xte, yte))

    def digits(self, split=0.7, seed=0):
        xtr, ytr, xte, yte = _data.digits(split, seed)
        return tuple(self.tensor(a) for a in (xtr, ytr, xte, yte))

    def timemachine(self):
        return _data.timemachine()


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (bool, str)) or v is None:
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return v if v == v and abs(v) != float("inf") else str(v)   # JSON has no nan/inf
    if hasattr(v, "detach"):                 # a tensor of either framework
        v = v.detach().cpu().numpy()
    if hasattr(v, "tolist"):                 # numpy array or scalar
        return _jsonable(v.tolist())
    raise TypeError(f"lab.record: cannot store a {type(v).__name__} in the JSON record")


def _versions(torch_module):
    out = {"python": platform.python_version()}
    for name in ("glasstorch", "numpy", "torch", "matplotlib", "scikit-learn"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    import glasstorch
    out["glasstorch"] = glasstorch.__version__
    out["framework_module"] = torch_module.__name__ + " " + getattr(torch_module, "__version__", "")
    return out


def _machine():
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"platform": platform.platform(), "processor": platform.processor() or
            platform.machine(), "cpu_count": os.cpu_count(), "load_average": load,
            "hostname": platform.node(), "threads": 1}


@contextlib.contextmanager
def _one_thread(torch):
    """Run BLAS and torch's intra-op pool on one thread: on a shared 2-core machine, spinning
    worker threads make timings swing by 10x; one thread gives both frameworks the same footing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                 # the measurements are still made, only noisier
        threadpool_limits = None
    before = torch.get_num_threads() if hasattr(torch, "get_num_threads") else None
    if before is not None:
        torch.set_num_threads(1)
    try:
        if threadpool_limits is None:
            yield
        else:
            with threadpool_limits(1):
                yield
    finally:
        if before is not None:
            torch.set_num_threads(before)


def import_framework(framework):
    if framework not in FRAMEWORKS:
        raise ValueError(f"lab: unknown framework {framework!r} (choose from {FRAMEWORKS})")
    return importlib.import_module(framework)


def run_experiment(exp, framework="glasstorch", quick=False, seeds=None, out=None):
    """Run one Experiment; write <id>.json/.png/.txt into `out`; return the record (a dict)."""
    seeds = list(range(2 if quick else 3)) if seeds is None else list(seeds)
    if len(seeds) < 2:
        raise ValueError(f"lab run {exp.id}: at least 2 seeds are needed (comparisons use the "
                         f"seed spread), got {len(seeds)}")
    out = out or default_out(framework)
    torch = import_framework(framework)
    lab = Lab(torch, quick=quick, seeds=seeds, framework=framework)
    started = datetime.datetime.now().isoformat(timespec="seconds")
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    with _one_thread(torch):
        verdict = exp.fn(torch, lab)
    wall, cpu = time.perf_counter() - t_wall, time.process_time() - t_cpu
    if not isinstance(verdict, Verdict):
        raise TypeError(f"lab: experiment {exp.id} returned {type(verdict).__name__}, "
                        "expected a Verdict")
    if lab.fig is None:
        raise RuntimeError(f"lab: experiment {exp.id} drew no figure (call lab.figure())")
    os.makedirs(out, exist_ok=True)
    figure = f"{exp.id}.png"
    lab.fig.tight_layout()
    lab.fig.savefig(os.path.join(out, figure), dpi=80)
    import matplotlib.pyplot as plt
    plt.close(lab.fig)
    record = dict(exp.meta(), framework=framework, quick=quick, seeds=seeds,
                  numbers=lab.numbers, verdict=verdict.as_dict(),
                  timings={"wall_s": wall, "process_s": cpu}, versions=_versions(torch),
                  machine=_machine(), figure=figure, started=started)
    with open(os.path.join(out, f"{exp.id}.json"), "w") as f:
        json.dump(record, f, indent=1)
    with open(os.path.join(out, f"{exp.id}.txt"), "w") as f:
        f.write(str(verdict) + "\n")
    return record


def load_records(out):
    """{id: record} of the JSON records in `out` (an empty dict if there are none)."""
    records = {}
    if not os.path.isdir(out):
        return records
    for name in sorted(os.listdir(out)):
        if name.endswith(".json"):
            with open(os.path.join(out, name)) as f:
                try:
                    rec = json.load(f)
                except json.JSONDecodeError:
                    continue
            if isinstance(rec, dict) and "id" in rec:
                records[rec["id"]] = rec
    return records


if sys.version_info < (3, 10):      # pragma: no cover
    raise ImportError("glasstorch.lab needs Python >= 3.10")
