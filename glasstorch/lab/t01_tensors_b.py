"""Topic 1, continued (t01_tensors.py): the module call path, dynamic vs static graphs. One
function per experiment, `fn(torch, lab)`."""
import importlib
import time
import warnings

from .catalog import experiment
from .common import mlp
from .verdict import all_of, compare


@experiment(
    id="module-call-path", topic=1,
    question="Why does net(x) work? Is Sequential slower than a subclass? What happens when one "
             "layer is used twice?",
    claim="nn.Module redefines __call__, which calls forward [a]; Sequential and a subclass are "
          "equally efficient, the subclass more flexible [a]; a reused layer is one shared "
          "instance; submodules live in an ordered dict [b]",
    test="Confirmed if speed differs by less than noise and the shared gradient is the sum; adds "
         "that __call__ also runs hooks, which calling forward() directly skips",
    plot="step-time box plots; hook counts")
def module_call_path(torch, lab):
    nn = torch.nn
    calls = {"pre": 0, "post": 0}
    lab.seed(0)
    net = mlp(torch, [32, 64, 10])
    net.register_forward_pre_hook(lambda m, inp: calls.__setitem__("pre", calls["pre"] + 1))
    net.register_forward_hook(lambda m, inp, out: calls.__setitem__("post", calls["post"] + 1))
    x = torch.randn(16, 32)
    net(x)
    via_call = dict(calls)
    net.forward(x)
    hooks_skipped_by_forward = calls == via_call

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.act, self.fc2 = nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)))
    lab.seed(1)
    seq = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    lab.seed(1)
    sub = MLP()
    X = torch.randn(64, 784)
    same_output = bool(torch.equal(seq(X), sub(X)))
    blocks = 6 if lab.quick else 10
    steps = 20 if lab.quick else 60
    times = {"Sequential": [], "subclass": []}
    for _ in range(blocks):                          # alternate to share the machine's noise
        for name, model in (("Sequential", seq), ("subclass", sub)):
            t0 = time.perf_counter()
            for _ in range(steps):
                model(X).sum().backward()
            times[name].append((time.perf_counter() - t0) / steps)
    speed = compare("Sequential", times["Sequential"], "subclass", times["subclass"],
                    higher_is_better=False)
    lab.seed(2)
    shared = nn.Linear(8, 8)
    a, b = nn.Linear(8, 8), nn.Linear(8, 8)
    with torch.no_grad():
        for c in (a, b):
            c.weight.copy_(shared.weight); c.bias.copy_(shared.bias)
    v = torch.randn(4, 8)
    shared(shared(v)).sum().backward()
    b(a(v)).sum().backward()
    grad_is_sum = bool(torch.allclose(shared.weight.grad, a.weight.grad + b.weight.grad,
                                      atol=1e-5))
    tied = nn.Sequential(shared, nn.ReLU(), shared)
    n_params = len(list(tied.parameters()))
    lab.record(hook_calls_via_call=via_call, hook_calls_after_forward=calls,
               same_output=same_output, step_s=times, speed=speed.as_dict(),
               shared_grad_is_sum=grad_is_sum, tied_parameter_tensors=n_params)
    fig, axes = lab.figure(1, 2)
    axes[0].boxplot([[t * 1e3 for t in times[k]] for k in times], tick_labels=list(times))
    axes[0].set_ylabel("ms per step")
    axes[1].bar(["pre-hook", "hook"], [via_call["pre"], via_call["post"]], label="net(x)")
    axes[1].set_title("hooks run by net(x); net.forward(x) ran none" if hooks_skipped_by_forward
                      else "hooks")
    checks = {f"no measurable speed difference ({speed})": speed.winner is None,
              "same seed gives the same outputs": same_output,
              "a reused layer's gradient is the sum of two untied copies": grad_is_sum,
              f"a reused layer counts once in parameters() ({n_params} tensors)": n_params == 2,
              "net(x) runs hooks, net.forward(x) skips them":
                  via_call == {"pre": 1, "post": 1} and hooks_skipped_by_forward}
    return all_of(checks)


@experiment(
    id="dynamic-vs-static-graph", topic=1,
    question="What is the computation graph for, and how do dynamic and static graphs differ?",
    claim="the graph records operations so gradients can be computed; a dynamic graph lets you "
          "inspect intermediates after every step, a static one runs only as a whole [a]",
    test="Confirmed if eager handles both inputs of a data-dependent loop (printing "
         "intermediates); the Lab also shows the price: the trace freezes the branch it saw "
         "(wrong output on the second input) while replay is timed against eager",
    plot="eager/trace output difference on input 2; step-time bars")
def dynamic_vs_static_graph(torch, lab):
    nn = torch.nn
    jit = importlib.import_module(f"{torch.__name__}.jit")      # torch.jit / glasstorch.jit

    class DoubleUntilBig(nn.Module):
        """Doubles x until its norm reaches 10: the number of steps depends on the data."""
        def forward(self, x):
            while x.norm() < 10:
                x = x * 2
            return x
    model = DoubleUntilBig()
    x1, x2 = torch.full((4,), 0.5), torch.full((4,), 2.5)      # norms 1 and 5
    intermediates = {}
    for name, x in (("input 1", x1), ("input 2", x2)):
        norms = []
        while x.norm() < 10:                                    # eager: print as it runs
            x = x * 2
            norms.append(x.norm().item())
        intermediates[name] = norms
    eager1, eager2 = model(x1), model(x2)
    eager_ok = (bool(torch.allclose(eager1, x1 * 16)) and bool(torch.allclose(eager2, x2 * 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                         # TracerWarning: frozen branch
        traced = jit.trace(model, (x1,))
    replay2 = traced(x2)
    trace_error = (replay2 - eager2).abs().max().item()
    lab.seed(0)
    net = mlp(torch, [784, 256, 256, 10]).eval()
    xb = torch.randn(32, 784)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced_net = jit.trace(net, (xb,))
    n = 100 if lab.quick else 500
    with torch.no_grad():
        same = bool(torch.allclose(traced_net(xb), net(xb), atol=1e-5))
        t_eager = lab.timeit(lambda: net(xb), n)
        t_replay = lab.timeit(lambda: traced_net(xb), n)
    lab.record(intermediate_norms=intermediates, eager_outputs=[eager1, eager2],
               trace_replay_on_input_2=replay2, trace_error_on_input_2=trace_error,
               mlp_trace_matches_eager=same, mlp_step_s={"eager": t_eager, "replay": t_replay})
    fig, axes = lab.figure(1, 2)
    axes[0].bar(["eager", "trace replay"], [eager2[0].item(), replay2[0].item()])
    axes[0].set_title("output on input 2 (true: 5.0)", fontsize=9)
    axes[1].bar(["eager", "trace replay"], [t_eager * 1e6, t_replay * 1e6], color="C1")
    axes[1].set_ylabel("µs per MLP forward (no_grad)")
    checks = {f"eager runs the data-dependent loop on both inputs ({len(intermediates['input 1'])}"
              f" and {len(intermediates['input 2'])} steps, every intermediate printable)": eager_ok,
              f"the trace froze the branch it saw: replay on input 2 is off by {trace_error:.1f}":
                  trace_error > 1.0,
              "a traced MLP gives the eager outputs": same}
    return all_of(checks, note=f"Replay {t_replay * 1e6:.0f} µs vs eager {t_eager * 1e6:.0f} µs per "
                  "forward: the static graph's gain is speed, its price is the frozen control "
                  "flow.")
