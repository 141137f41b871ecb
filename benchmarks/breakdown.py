"""Per-op-family time of one training step in each framework (information, 1 thread).

glasstorch: every registered op's forward and backward is wrapped in a timer that counts
exclusive time (an op called inside another's backward is charged to itself, not to its
caller). torch: the profiler's self CPU time per aten op. Both map op names to the same
families (conv, batch_norm, relu, pool, linear, loss, optimizer, other), so the two columns
compare like the table in issue 11. Timers add overhead to glasstorch's small ops; the
families' share, not their sum, is the point.
"""
import collections
import time

FAMILIES = (("conv", ("conv", "im2col", "col2im", "convolution")),
            ("batch_norm", ("batch_norm", "native_batch_norm")),
            ("relu", ("relu", "threshold")),
            ("pool", ("pool", "adaptive", "mean")),
            ("linear", ("linear", "addmm", "mm", "matmul")),
            ("lstm", ("lstm", "rnn", "gru")),
            ("embedding", ("embedding",)),
            ("loss", ("cross_entropy", "nll", "log_softmax", "softmax")),
            ("optimizer", ("sgd", "add_", "mul_", "foreach", "lerp", "addcmul", "zero_")),
            ("add", ("add",)))


def family(name):
    n = name.lower()
    for fam, keys in FAMILIES:
        if any(k in n for k in keys):
            return fam
    return "other"


def glasstorch_breakdown(step, steps=3):
    """{family: ms per step} of glasstorch ops' exclusive time (forward and backward split;
    ops run inside a backward count as backward)."""
    from glasstorch._registry import OPS
    totals = collections.Counter()
    stack = []
    originals = []
    backward_depth = [0]

    def wrap(cls, attr, fam, direction):
        fn = cls.__dict__[attr].__func__

        def timed(*args, **kwargs):
            # an op applied inside another op's backward (a conv's input gradient is a
            # transposed conv) is backward work: charged to its family's "bwd"
            label = f"{fam} {'bwd' if backward_depth[0] else direction}"
            stack.append(0.0)
            backward_depth[0] += direction == "bwd"
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t0
                backward_depth[0] -= direction == "bwd"
                inner = stack.pop()
                totals[label] += dt - inner
                if stack:
                    stack[-1] += dt
        originals.append((cls, attr, cls.__dict__[attr]))
        setattr(cls, attr, staticmethod(timed))

    seen = set()
    for info in OPS.values():
        cls = info.cls
        for attr in ("forward", "backward"):
            for klass in cls.__mro__:
                if attr in klass.__dict__ and isinstance(klass.__dict__[attr], staticmethod):
                    if (klass, attr) not in seen:
                        seen.add((klass, attr))
                        direction = "fwd" if attr == "forward" else "bwd"
                        wrap(klass, attr, family(info.name), direction)
                    break
    t0 = time.perf_counter()
    try:
        for _ in range(steps):
            step()
    finally:
        for cls, attr, orig in originals:
            setattr(cls, attr, orig)
    total = (time.perf_counter() - t0) / steps * 1e3
    return {k: v / steps * 1e3 for k, v in totals.items()}, total


def torch_breakdown(step, steps=3):
    from torch.profiler import ProfilerActivity, profile
    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    total = (time.perf_counter() - t0) / steps * 1e3
    totals = collections.Counter()
    for e in prof.key_averages():
        if e.key.startswith("aten::") or "Backward" in e.key:
            direction = "bwd" if ("backward" in e.key.lower()) else "fwd"
            totals[f"{family(e.key)} {direction}"] += e.self_cpu_time_total / 1e3 / steps
    return dict(totals), total


def print_breakdown(title, g, t):
    (gb, gtotal), (tb, ttotal) = g, t
    print(f"\n{title}: per-op-family time per step, 1 thread (ms; info)")
    print(f"  {'family':<16}{'glasstorch':>12}{'torch':>12}")
    for key in sorted(set(gb) | set(tb), key=lambda k: -(gb.get(k, 0) + tb.get(k, 0))):
        print(f"  {key:<16}{gb.get(key, 0):>12.2f}{tb.get(key, 0):>12.2f}")
    print(f"  {'step (timed)':<16}{gtotal:>12.2f}{ttotal:>12.2f}")
