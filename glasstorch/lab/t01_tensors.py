"""Topic 1: tensors and autograd. One function per experiment, `fn(torch, lab) -> Verdict`."""
import time

from .catalog import experiment
from .common import mlp
from .verdict import all_of, compare, confirmed, refuted


@experiment(
    id="view-vs-reshape", topic=1,
    question="How do view() and reshape() differ, and which one copies?",
    claim="reshape always returns a new tensor, view shares memory; view needs a contiguous "
          "tensor; view cannot infer a size and rejects -1 [a]. reshape can rearrange the stored "
          "data; view may be quicker [b]",
    test="Refuted if view(-1, k) works and contiguous reshape shares storage (copying only the "
         "transposed case); the contiguity error is confirmed separately; 'view faster' holds "
         "only where reshape had to copy",
    flag="✗ view accepts -1; reshape copies only when strides force it and never rewrites the "
         "source",
    plot="µs per call (fastest of n) by case and size")
def view_vs_reshape(torch, lab):
    sizes = [10**3, 10**5] if lab.quick else [10**3, 10**5, 10**6]
    k = 10
    cases = ["view", "reshape", "view of transposed", "reshape of transposed"]
    table, micros = {}, {c: [] for c in cases}
    for n in sizes:
        for case in cases:
            x = torch.arange(float(n)).reshape(k, -1)   # (k, n/k) -> asked for (n/k, k)
            if "transposed" in case:
                x = torch.arange(float(n)).reshape(-1, k).t()   # (k, n/k), non-contiguous
            before = x.clone()
            op = (lambda t: t.view(-1, k)) if case.startswith("view") else (
                lambda t: t.reshape(-1, k))
            try:
                y = op(x)
            except RuntimeError:
                table[f"{case} n={n}"] = {"raised": True}
                micros[case].append(float("nan"))
                continue
            shares = y.data_ptr() == x.data_ptr()
            y[0, 0] = -1.0                              # write into the result...
            source_changed = bool((x != before).any())  # ...does the source see it?
            micros[case].append(1e6 * lab.timeit(lambda: op(x), number=50 if lab.quick else 300))
            table[f"{case} n={n}"] = {"raised": False, "shares_storage": shares,
                                      "source_changed": source_changed}
    lab.record(sizes=sizes, table=table, microseconds_per_call=micros)
    fig, ax = lab.figure(width=6)
    for i, case in enumerate(cases):
        ax.bar([j + 0.2 * i for j in range(len(sizes))], micros[case], width=0.2, label=case)
    ax.set_xticks([j + 0.3 for j in range(len(sizes))], [f"{n:.0e}" for n in sizes])
    ax.set_yscale("log"); ax.set_ylabel("µs per call"); ax.set_xlabel("elements")
    ax.legend(fontsize=7); ax.set_title("view vs reshape (missing bar = raised)")
    big = sizes[-1]
    view_ok = not table[f"view n={big}"]["raised"]
    reshape_shares = table[f"reshape n={big}"].get("shares_storage", False)
    transposed_copies = not table[f"reshape of transposed n={big}"].get("shares_storage", True)
    view_t_raises = table[f"view of transposed n={big}"]["raised"]
    checks = {"view(-1, k) works (claim: rejects -1)": view_ok,
              "contiguous reshape shares storage (claim: always a new tensor)": reshape_shares,
              "reshape of a transposed tensor copies": transposed_copies}
    lab.record(view_of_transposed_raises=view_t_raises)
    text = (f"view(-1, {k}) {'works' if view_ok else 'raises'}; contiguous reshape "
            f"{'shares storage' if reshape_shares else 'copies'}; reshape of a transposed "
            f"tensor {'copies' if transposed_copies else 'shares'}; the contiguity error of view "
            f"on a transposed tensor is {'confirmed' if view_t_raises else 'not seen'}. "
            f"At n={big}: view {micros['view'][-1]:.1f} µs, reshape {micros['reshape'][-1]:.1f} "
            f"µs, copying reshape {micros['reshape of transposed'][-1]:.1f} µs per call.")
    if view_ok and reshape_shares and transposed_copies:
        return refuted(text, checks)
    return confirmed(text, checks)


@experiment(
    id="tensor-vs-ndarray", topic=1,
    question="What is a tensor, and how is it different from a NumPy array?",
    claim="[a] a tensor is like a formula handed to the GPU, an array is concrete numbers. "
          "[b] tensor and array are basically the same; tensors can live on a GPU",
    test="claim [b] confirmed if values and memory behave alike and the extras are grad tracking "
         "and device; claim [a] refuted if every op materializes numbers immediately "
         "(the verdict is on claim [a], the flagged one)",
    flag="✗ claim [a] an eager tensor holds numbers; the 'formula' is the autograd graph "
         "recorded beside it",
    plot="time per op vs size for NumPy and the framework (grad on/off), log-log")
def tensor_vs_ndarray(torch, lab):
    import numpy as np
    rng = lab.seed(0)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    shared = torch.from_numpy(a)
    copied = torch.tensor(a)
    a[0, 0] = 100.0
    from_numpy_shares = shared[0, 0].item() == 100.0
    tensor_copies = copied[0, 0].item() != 100.0
    default_dtypes = {"numpy": str(np.array([1.0]).dtype),
                      "framework": str(torch.tensor([1.0]).dtype)}
    # eager: the numbers of y exist right after the op, before anything "runs"
    x = torch.from_numpy(a.copy()).requires_grad_()
    y = (x * 2 + 1).tanh()
    eager = bool(np.allclose(y.detach().numpy(), np.tanh(a * 2 + 1), atol=1e-6))
    graph_beside = y.grad_fn is not None
    sizes = [64, 128, 256] if lab.quick else [64, 128, 256, 512, 1024]
    t_np, t_fw, t_fw_grad = [], [], []
    for n in sizes:
        m = rng.standard_normal((n, n)).astype(np.float32)
        tm, tg = torch.from_numpy(m), torch.from_numpy(m).requires_grad_()
        reps = 5 if n >= 512 else 20
        t_np.append(lab.timeit(lambda: m @ m, reps))
        t_fw.append(lab.timeit(lambda: tm @ tm, reps))
        t_fw_grad.append(lab.timeit(lambda: tg @ tg, reps))
    small = torch.ones(10)
    small_g = torch.ones(10, requires_grad=True)
    tiny = {"numpy": lab.timeit(lambda: a + a, 200), "framework": lab.timeit(lambda: small + small, 200),
            "framework_grad": lab.timeit(lambda: small_g + small_g, 200)}
    lab.record(from_numpy_shares=from_numpy_shares, tensor_copies=tensor_copies,
               default_dtypes=default_dtypes, eager_values=eager, grad_fn_recorded=graph_beside,
               matmul_sizes=sizes, matmul_s={"numpy": t_np, "framework": t_fw,
                                             "framework_grad": t_fw_grad},
               tiny_add_s=tiny)
    fig, ax = lab.figure()
    ax.loglog(sizes, t_np, "o-", label="NumPy")
    ax.loglog(sizes, t_fw, "s-", label=f"{torch.__name__}")
    ax.loglog(sizes, t_fw_grad, "^--", label=f"{torch.__name__}, requires_grad")
    ax.set_xlabel("n (n×n matmul)"); ax.set_ylabel("seconds"); ax.legend(fontsize=8)
    checks = {"values exist right after each op (eager)": eager,
              "the graph is recorded beside the values (grad_fn)": graph_beside,
              "from_numpy shares memory": from_numpy_shares, "tensor() copies": tensor_copies}
    text = (f"Every op materialized its numbers at once (eager={eager}), with grad_fn recorded "
            f"beside them: claim [a] refuted. Claim [b]: from_numpy shares={from_numpy_shares}, "
            f"tensor() copies={tensor_copies}, default dtypes {default_dtypes}; an n×n "
            f"matmul at n={sizes[-1]} took {t_fw[-1]*1e3:.2f} ms vs NumPy {t_np[-1]*1e3:.2f} ms; "
            f"a 10-element add {tiny['framework']*1e6:.1f} µs vs NumPy {tiny['numpy']*1e6:.1f} µs "
            f"({tiny['framework_grad']*1e6:.1f} µs with grad tracking).")
    if eager and graph_beside:
        return refuted(text, checks)
    return confirmed(text, checks)


@experiment(
    id="backprop-cost", topic=1,
    question="How does backprop turn the loss into parameter updates, and why is it cheap?",
    claim="backprop is the derivative step of gradient descent, saving repeated intermediate "
          "results for reuse [a,b]",
    test="Confirmed if errors < 1e-6 and backward stays a bounded multiple (~2-3x) of a forward "
         "while finite differences grow linearly with P",
    plot="time vs parameter count (backward, finite differences, one forward), log-log")
def backprop_cost(torch, lab):
    F = torch.nn.functional
    X, y, _, _ = lab.mnist(64, 1)
    X = X.double()
    hidden = [1, 8, 32] if lab.quick else [1, 8, 32, 128]
    n_sample = 20 if lab.quick else 100
    eps = 1e-6
    P, t_fwd, t_bwd, t_fd, errors = [], [], [], [], []
    for h in hidden:
        rng = lab.seed(h)
        model = mlp(torch, [784, h, 10], act="tanh").double()
        params = list(model.parameters())
        P.append(sum(p.numel() for p in params))
        loss_of = lambda: F.cross_entropy(model(X), y)

        def fwd_bwd():
            model.zero_grad()
            loss_of().backward()
        t_fwd.append(lab.timeit(loss_of, 10))
        t_bwd.append(lab.timeit(fwd_bwd, 10))
        fwd_bwd()
        # central differences on sampled parameters: 2 forwards each
        err, t0 = 0.0, time.perf_counter()
        gmax = max(p.grad.abs().max().item() for p in params)
        for _ in range(n_sample):
            p = params[rng.integers(len(params))]
            i = int(rng.integers(p.numel()))
            flat = p.detach().view(-1)
            with torch.no_grad():
                flat[i] += eps
                up = loss_of().item()
                flat[i] -= 2 * eps
                down = loss_of().item()
                flat[i] += eps
            err = max(err, abs((up - down) / (2 * eps) - p.grad.view(-1)[i].item()) / gmax)
        t_fd.append((time.perf_counter() - t0) / n_sample * P[-1])   # extrapolated to all P
        errors.append(err)
    ratio = [b / f for b, f in zip(t_bwd, t_fwd)]
    fd_over_bwd = [d / b for d, b in zip(t_fd, t_bwd)]
    lab.record(parameters=P, forward_s=t_fwd, forward_backward_s=t_bwd,
               finite_differences_s_extrapolated=t_fd, max_relative_error=errors,
               backward_over_forward=ratio, fd_over_backprop=fd_over_bwd)
    fig, ax = lab.figure()
    ax.loglog(P, t_fwd, "o-", label="one forward")
    ax.loglog(P, t_bwd, "s-", label="forward + backward")
    ax.loglog(P, t_fd, "^-", label="finite differences (2P forwards)")
    ax.set_xlabel("parameters P"); ax.set_ylabel("seconds"); ax.legend(fontsize=8)
    checks = {f"max relative error {max(errors):.1e} < 1e-6": max(errors) < 1e-6,
              f"forward+backward / forward stays <= 5 (max {max(ratio):.2f})": max(ratio) <= 5,
              f"finite differences / backprop grows with P ({fd_over_bwd[0]:.0f}x -> "
              f"{fd_over_bwd[-1]:.0f}x)": fd_over_bwd[-1] > 10 * fd_over_bwd[0]}
    return all_of(checks, "Backprop reuses the forward's intermediates: one backward costs a "
                  "few forwards whatever P is, while differencing costs 2P forwards.")


@experiment(
    id="jacobians-and-vjp", topic=1,
    question="Why differentiate a scalar loss rather than a vector? Why is an activation's "
             "derivative w.r.t. its input a diagonal matrix?",
    claim="a vector output would give an enormous Jacobian, infeasible in deep nets [a]; "
          "elementwise activations give diagonal Jacobians [a]",
    test="Confirmed if the full Jacobian costs ∝ outputs while a VJP is constant, and the "
         "framework never builds the Jacobian; diagonal confirmed for elementwise ops, with "
         "softmax and layer norm shown dense",
    plot="time vs output size (Jacobian, VJP); Jacobian heat maps")
def jacobians_and_vjp(torch, lab):
    F = torch.nn.functional
    lab.seed(0)
    x = torch.randn(256, requires_grad=True)
    try:
        torch.tanh(x * 2).backward()                   # vector output, no `gradient`
        vector_backward_raises = False
    except RuntimeError:
        vector_backward_raises = True
    outs = [1, 8, 32, 128] if lab.quick else [1, 8, 32, 128, 512]
    t_jac, t_vjp = [], []
    for m in outs:
        W = torch.randn(m, 256) / 16

        def jacobian():                                # one backward per output row
            return torch.autograd.functional.jacobian(lambda v: torch.tanh(W @ v), x)

        def vjp():                                     # one backward for any m
            y = torch.tanh(W @ x)
            return torch.autograd.grad(y, x, torch.ones(m))[0]
        t_jac.append(lab.timeit(jacobian, 3))
        t_vjp.append(lab.timeit(vjp, 10))
    z = torch.randn(8, requires_grad=True)
    fns = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
           "softmax": lambda v: F.softmax(v, 0), "layer_norm": lambda v: F.layer_norm(v, (8,))}
    jacs, off = {}, {}
    for name, f in fns.items():
        J = torch.autograd.functional.jacobian(f, z)
        jacs[name] = J
        total = J.abs().sum().item()
        off[name] = (total - J.diagonal().abs().sum().item()) / max(total, 1e-12)
    lab.record(vector_backward_raises=vector_backward_raises, output_sizes=outs,
               jacobian_s=t_jac, vjp_s=t_vjp, off_diagonal_mass=off)
    fig, axes = lab.figure(1, 3, width=3.6)
    axes[0].loglog(outs, t_jac, "o-", label="full Jacobian (m backward passes)")
    axes[0].loglog(outs, t_vjp, "s-", label="one VJP")
    axes[0].set_xlabel("outputs m"); axes[0].set_ylabel("seconds"); axes[0].legend(fontsize=7)
    axes[1].imshow(jacs["tanh"].detach().numpy(), cmap="RdBu"); axes[1].set_title("tanh: diagonal")
    axes[2].imshow(jacs["softmax"].detach().numpy(), cmap="RdBu"); axes[2].set_title("softmax: dense")
    jac_growth, vjp_growth = t_jac[-1] / t_jac[0], t_vjp[-1] / t_vjp[0]
    elementwise = max(off[k] for k in ("relu", "sigmoid", "tanh"))
    dense = min(off["softmax"], off["layer_norm"])
    checks = {"backward() on a vector without `gradient` raises": vector_backward_raises,
              f"Jacobian time grows with m ({jac_growth:.0f}x for {outs[-1]}x outputs)":
                  jac_growth > outs[-1] / 8,
              f"VJP time stays flat ({vjp_growth:.1f}x)": vjp_growth < 4,
              f"elementwise Jacobians are diagonal (off-diagonal mass {elementwise:.1e})":
                  elementwise < 1e-6,
              f"softmax / layer_norm are dense (off-diagonal mass >= {dense:.2f})": dense > 0.1}
    return all_of(checks)


@experiment(
    id="grad-on-demand", topic=1,
    question="Why must backward() run before .grad exists? What if I call it twice or forget "
             "zero_grad()?",
    claim="[a] gradients are expensive, so they are computed only on request; [b] to use the "
          "framework you can skip the details of gradient descent and backprop",
    test="claim [a] confirmed if tracking costs memory/time and .grad is None until backward; "
         "claim [b] refuted if the missing zero_grad silently changes training (the verdict is "
         "on claim [b], the flagged one)",
    flag="≈ claim [b] not knowing that gradients accumulate causes silent bugs",
    plot="forward time with/without grad tracking; loss curves with/without zero_grad")
def grad_on_demand(torch, lab):
    F = torch.nn.functional
    X, y, _, _ = lab.mnist(1000 if lab.quick else 4000, 1)
    lab.seed(0)
    net = mlp(torch, [784, 512, 512, 10])
    grad_before = net[0].weight.grad is None
    xb = X[:512]
    t_track = lab.timeit(lambda: net(xb).sum(), 10)

    def untracked():
        with torch.no_grad():
            return net(xb).sum()
    t_nograd = lab.timeit(untracked, 10)
    loss = F.cross_entropy(net(xb), y[:512])
    saved_graph = loss.grad_fn is not None
    loss.backward(retain_graph=True)
    g1 = net[0].weight.grad.clone()
    loss.backward()
    doubled = bool(torch.allclose(net[0].weight.grad, 2 * g1, atol=1e-6))
    epochs = 2 if lab.quick else 3
    curves = {"zero_grad": [], "no zero_grad": []}
    finals = {k: [] for k in curves}
    for s in lab.seeds:
        for mode in curves:
            rng = lab.seed(s)
            model = mlp(torch, [784, 64, 10])
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            hist = []
            for _ in range(epochs):
                for idx in _batches(torch, len(X), 64, rng):
                    loss = F.cross_entropy(model(X[idx]), y[idx])
                    if mode == "zero_grad":
                        opt.zero_grad()
                    loss.backward()
                    opt.step()
                    hist.append(loss.item())
            curves[mode].append(hist)
            finals[mode].append(sum(hist[-20:]) / 20)
    lab.record(grad_none_before_backward=grad_before, forward_tracked_s=t_track,
               forward_no_grad_s=t_nograd, second_backward_doubles_grad=doubled,
               final_loss=finals)
    fig, axes = lab.figure(1, 2)
    axes[0].bar(["grad tracking", "no_grad"], [t_track * 1e3, t_nograd * 1e3])
    axes[0].set_ylabel("ms per forward (batch 512)")
    for mode, c in curves.items():
        axes[1].plot(c[0], label=mode, lw=0.8)
    axes[1].set_yscale("log"); axes[1].set_xlabel("step"); axes[1].set_ylabel("loss")
    axes[1].legend()
    cmp = compare("zero_grad", finals["zero_grad"], "no zero_grad", finals["no zero_grad"],
                  higher_is_better=False)
    silent_change = cmp.winner is not None      # a measurable change, either way
    text = (f"Claim [a]: .grad is None before backward ({grad_before}), the graph is recorded "
            f"({saved_graph}), a second backward doubles .grad ({doubled}), forward "
            f"{t_track*1e3:.1f} ms tracked vs {t_nograd*1e3:.1f} ms under no_grad. Claim [b]: "
            f"forgetting zero_grad ran without any error and changed training: final loss {cmp}.")
    checks = {"missing zero_grad silently changes training": silent_change,
              "second backward accumulates": doubled}
    return refuted(text, checks) if silent_change and doubled else confirmed(text, checks)


def _batches(torch, n, batch_size, rng):
    order = rng.permutation(n)
    for i in range(0, n, batch_size):
        yield torch.from_numpy(order[i:i + batch_size])
