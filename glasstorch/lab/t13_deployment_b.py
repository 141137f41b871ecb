"""Topic 13 (continued): data-parallel training on two processes.

The experiment starts `mpirun -n 2 python -m glasstorch.lab.t13_deployment_b FRAMEWORK ...`: two
ranks on the two cores, running the worker below with `torch.distributed` of the framework under
test. glasstorch's backend is MPI; real torch's CPU wheel has no MPI backend, so under torch the
same worker joins over gloo (the ranks still come from mpirun). Rank 0 writes the measurements as
JSON; the experiment reads them, draws and decides.
"""
import importlib
import json
import os
import sys
import time

from .catalog import experiment
from .verdict import all_of, compare

GLOBAL_BATCH = 128


def _mean(v):
    return sum(v) / len(v)


# ---- the worker (runs in each MPI rank) ------------------------------------------------------
def _join(torch, framework, port):
    dist = torch.distributed
    if framework == "torch":
        rank = int(os.environ["OMPI_COMM_WORLD_RANK"])
        world = int(os.environ["OMPI_COMM_WORLD_SIZE"])
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=world)
    else:
        dist.init_process_group("mpi")
    return dist


def _shard_grads(torch, model, x, y, reduction):
    """Gradients (a list) of the cross-entropy on one shard, summed or averaged over it."""
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y, reduction=reduction).backward()
    return [p.grad.clone() for p in model.parameters()]


def _all_reduce(dist, grads):
    for g in grads:
        dist.all_reduce(g)
    return grads


def _rel_err(grads, ref):
    return max((g - r).abs().max().item() for g, r in zip(grads, ref)) / max(
        r.abs().max().item() for r in ref)


def _worker(framework, quick, seeds, port, out):
    torch = importlib.import_module(framework)
    torch.set_num_threads(1)
    dist = _join(torch, framework, port)
    rank = dist.get_rank()
    from .data import mnist
    xs, ys, _, _ = mnist(4000, 1, flat=False)
    images, Y = torch.from_numpy(xs), torch.from_numpy(ys)
    X = images.reshape(len(Y), 784)
    nn = torch.nn
    steps = 32 if quick else 48      # the minimum of many steps: robust to a loaded machine
    # rank 1 is the slow device: it does its work three times. Speed-proportional split: 3:1
    # (at 2x and 85 / 43 glasstorch's ms-sized minimums spread as much as the effect on the
    # AMD machine, whose two vCPUs move between one L3 and two dies: docs/perf, topo7)
    splits = {"equal split": [64, 64], "speed-proportional split": [96, 32]}
    res = {"step_cpu_s": {k: [] for k in splits}, "step_wall_s": {k: [] for k in splits},
           "all_reduce_wall_s": [],
           "grad_error": {"plain average, unequal shards": [], "size-weighted, unequal shards": [],
                          "per-worker BatchNorm, equal shards": []}}
    for seed in seeds:
        torch.manual_seed(seed)
        # timing: a small CNN, whose cost is proportional to the images (a wide MLP carries a
        # fixed per-step cost of moving its weights, which the slow rank pays three times too)
        cnn = nn.Sequential(nn.Conv2d(1, 32, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                            nn.Linear(32 * 12 * 12, 10))
        cpu, wall = {k: [] for k in splits}, {k: [] for k in splits}
        for s in range(-1, steps):                           # step -1 warms up, not counted
            idx = torch.from_numpy(__import__("numpy").random.default_rng(
                1000 * seed + s + 1).permutation(len(Y))[:GLOBAL_BATCH])
            for name, sizes in splits.items():   # the two splits alternate: the same machine state
                lo = sum(sizes[:rank])
                mine = idx[lo:lo + sizes[rank]]
                dist.barrier()
                t0, w0 = time.process_time(), time.perf_counter()
                for _ in range(3 if rank == 1 else 1):
                    grads = _shard_grads(torch, cnn, images[mine], Y[mine], "sum")
                c = torch.tensor([time.process_time() - t0])
                dist.all_reduce(c, op=dist.ReduceOp.MAX)      # the step waits for the slowest
                t1 = time.perf_counter()
                _all_reduce(dist, grads)
                comm = time.perf_counter() - t1
                if s >= 0:
                    cpu[name].append(c.item())
                    wall[name].append(time.perf_counter() - w0)
                    res["all_reduce_wall_s"].append(comm)
        for name in splits:
            # the least disturbed step: CPU time only grows with interference (cache and
            # core sharing on a loaded machine), so the minimum estimates the step's own cost
            res["step_cpu_s"][name].append(min(cpu[name]))
            res["step_wall_s"][name].append(sorted(wall[name])[len(wall[name]) // 2])
        # gradients of one global batch of 128: unequal shards (96 / 32) averaged plainly vs
        # weighted by shard size, against the single-process full-batch gradient
        idx = torch.from_numpy(__import__("numpy").random.default_rng(seed).permutation(
            len(Y))[:GLOBAL_BATCH])
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        full = _shard_grads(torch, model, X[idx], Y[idx], "mean")
        sizes = splits["speed-proportional split"]
        lo = sum(sizes[:rank])
        mine = idx[lo:lo + sizes[rank]]
        plain = [g / dist.get_world_size() for g in
                 _all_reduce(dist, _shard_grads(torch, model, X[mine], Y[mine], "mean"))]
        weighted = [g / GLOBAL_BATCH for g in
                    _all_reduce(dist, _shard_grads(torch, model, X[mine], Y[mine], "sum"))]
        res["grad_error"]["plain average, unequal shards"].append(_rel_err(plain, full))
        res["grad_error"]["size-weighted, unequal shards"].append(_rel_err(weighted, full))
        # BatchNorm: each worker normalizes its 64 images with its own batch statistics
        torch.manual_seed(seed)
        bn = nn.Sequential(nn.Linear(784, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 10))
        full = _shard_grads(torch, bn, X[idx], Y[idx], "mean")
        mine = idx[64 * rank:64 * rank + 64]
        local = [g / GLOBAL_BATCH for g in
                 _all_reduce(dist, _shard_grads(torch, bn, X[mine], Y[mine], "sum"))]
        res["grad_error"]["per-worker BatchNorm, equal shards"].append(_rel_err(local, full))
    if rank == 0:
        res["backend"] = dist.get_backend()
        res["world_size"] = dist.get_world_size()
        with open(out, "w") as f:
            json.dump(res, f)
    dist.barrier()
    dist.destroy_process_group()


# ---- the experiment (runs in the Lab's process) ----------------------------------------------
def _launch(torch, lab):
    import resource
    import shutil
    import socket
    import subprocess
    import tempfile
    if shutil.which("mpirun") is None:
        raise RuntimeError("data-parallel needs mpirun (apt-get install openmpi-bin)")
    framework = torch.__name__.split(".")[0]
    with socket.socket() as s:                       # a free port for torch's gloo rendezvous
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = os.path.join(tempfile.mkdtemp(prefix="lab-dp-"), "result.json")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, OMP_NUM_THREADS="1", OMPI_MCA_btl_vader_single_copy_mechanism="none")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", "2", "-x", "PYTHONPATH",
           "-x", "OMP_NUM_THREADS", sys.executable, "-m", "glasstorch.lab.t13_deployment_b",
           framework, str(int(lab.quick)), ",".join(map(str, lab.seeds)), str(port), out]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0 or not os.path.exists(out):
        raise RuntimeError(f"data-parallel: mpirun failed ({run.returncode}): "
                           f"{(run.stderr or run.stdout)[-800:]}")
    with open(out) as f:
        res = json.load(f)
    res["worker_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return res


@experiment(
    id="data-parallel", topic=13,
    question="How does multi-GPU data-parallel training work, and what if devices differ in "
             "speed?",
    claim="give each device samples in proportion to its speed so they finish together [a]",
    test="Confirmed if the proportional split cuts step time; the Lab adds that only "
         "size-weighted averaging equals the full-batch gradient, and shows the BN caveat",
    plot="step-time bars; gradient error vs the full-batch gradient")
def data_parallel(torch, lab):
    # Two MPI ranks (the "devices") on the two cores; rank 1 is made 3x slower by doing its work
    # three times. Step time = the slowest rank's CPU time for its shard (the all-reduce waits for it;
    # the least disturbed of the steps). CPU time, because wall time on a shared machine measures the load;
    # wall times (step and all-reduce) are recorded too.
    res = _launch(torch, lab)
    step, err = res["step_cpu_s"], res["grad_error"]
    lab.record(step_cpu_s=step, step_wall_s=res["step_wall_s"], gradient_relative_error=err,
               all_reduce_wall_s=res["all_reduce_wall_s"],
               backend=res["backend"], world_size=res["world_size"],
               worker_processes_cpu_s=res["worker_cpu_s"])
    fig, axes = lab.figure(1, 2)
    names = list(step)
    axes[0].bar(range(2), [_mean(step[k]) * 1e3 for k in names])
    axes[0].set_xticks(range(2), ["equal\n64 / 64", "proportional\n96 / 32"])
    axes[0].set_ylabel("step time (ms CPU of the slowest rank)")
    e_names = list(err)
    axes[1].bar(range(3), [max(max(err[k]), 1e-9) for k in e_names]); axes[1].set_yscale("log")
    axes[1].set_xticks(range(3), ["plain avg\n96/32", "size-weighted\n96/32",
                                  "per-worker BN\n64/64"], fontsize=7)
    axes[1].set_ylabel("relative error vs full-batch gradient")
    c = compare("speed-proportional split", step["speed-proportional split"], "equal split",
                step["equal split"], higher_is_better=False)
    w, p = err["size-weighted, unequal shards"], err["plain average, unequal shards"]
    b = err["per-worker BatchNorm, equal shards"]
    checks = {f"the proportional split cuts step time ({c})":
                  c.winner == "speed-proportional split",
              f"size-weighted averaging equals the full-batch gradient (relative error "
              f"{max(w):.1e} ≤ 1e-5)": max(w) <= 1e-5,
              f"a plain average of unequal shards does not ({min(p):.2e} or more)": min(p) > 1e-3,
              f"per-worker BatchNorm statistics change the gradient even with equal shards "
              f"({min(b):.2e} or more)": min(b) > 1e-3}
    return all_of(checks, because="Giving the faster device more samples balances the step, "
                  "provided the gradients are averaged with weights proportional to shard size.",
                  note=f"Backend {res['backend']} over {res['world_size']} processes started "
                       f"by mpirun; the workers used {res['worker_cpu_s']:.1f} CPU seconds.")


if __name__ == "__main__":
    fw, q, sd, pt, path = sys.argv[1:6]
    _worker(fw, q == "1", [int(s) for s in sd.split(",")], int(pt), path)
