"""Topic 6, continued (t06_optim.py): batch size and learning rate, Newton vs gradient
descent, the target scale of a regression. One function per experiment, `fn(torch, lab)`."""
import math
import time

from .catalog import experiment
from .common import accuracy, minibatches, mlp
from .verdict import across, all_of, compare


@experiment(
    id="batch-lr-grid", topic=6,
    question="Does batch size change the final model; are small batches better?",
    claim="small batches are good and large ones bad; their noise makes models more robust [a]",
    test="'Small is better' confirmed only if it survives equal updates and an lr scaled with "
         "the batch (each protocol scored: depends names those where it holds)",
    flag="≈ at equal epochs small batches win partly by taking more steps",
    plot="accuracy heat maps per protocol")
def batch_lr_grid(torch, lab):
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 4000, 1000)
    batches = [8, 32, 128, 512]
    lrs = [0.01, 0.05, 0.2, 0.8]
    epochs = 2 if lab.quick else 4
    updates = (len(Xtr) // 8) * epochs // 8                   # equal-updates budget
    F = torch.nn.functional
    res = {}

    def run(B, lr, n_updates, seed):
        rng = lab.seed(seed)
        model = mlp(torch, [784, 64, 10])
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        done = 0
        while done < n_updates:
            for idx in minibatches(torch, len(Xtr), B, rng):
                loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
                opt.zero_grad(); loss.backward(); opt.step()
                done += 1
                if done == n_updates:
                    break
        a = accuracy(torch, model, Xte, yte)
        return a if a == a else 0.0
    for protocol in ("equal epochs", "equal updates", "lr scaled with batch"):
        for B in batches:
            best = None
            for lr in lrs if protocol != "lr scaled with batch" else [0.01 * B / 8]:
                n_up = (math.ceil(len(Xtr) / B) * epochs if protocol == "equal epochs"
                        else updates if protocol == "equal updates"
                        else math.ceil(len(Xtr) / B) * epochs)
                accs = [run(B, min(lr, 1.0), n_up, s) for s in lab.seeds]
                res[f"{protocol} B={B} lr={lr:g}"] = accs
                if best is None or sum(accs) > sum(best):
                    best = accs
            res[f"{protocol} B={B} best"] = best
    lab.record(accuracy=res, equal_updates=updates)
    fig, axes = lab.figure(1, 3, width=3.4)
    for ax, protocol in zip(axes, ("equal epochs", "equal updates", "lr scaled with batch")):
        ax.plot(batches, [sum(res[f"{protocol} B={B} best"]) / len(lab.seeds) for B in batches], "o-")
        ax.set_xscale("log"); ax.set_title(protocol, fontsize=9); ax.set_xlabel("batch")
    axes[0].set_ylabel("test accuracy (best lr)")
    per = {}
    for protocol in ("equal epochs", "equal updates", "lr scaled with batch"):
        c = compare("batch 8", res[f"{protocol} B=8 best"], "batch 512",
                    res[f"{protocol} B=512 best"])
        per[f"{protocol} ({c})"] = c.winner == "batch 8"
    return across(per, "small batches beat large ones")


@experiment(
    id="newton-vs-gd", topic=6,
    question="Why first-order gradient descent instead of Newton's method, which converges "
             "faster?",
    claim="second derivatives cost too much compute and memory and the Hessian may be singular "
          "[a]; linear regression has a closed-form solution [b]",
    test="Confirmed if Newton needs few iterations but each costs a full Hessian (P backward "
         "passes), the Hessian of a 100k-parameter net needs ~40 GB, and collinear features make "
         "it singular",
    plot="loss vs iterations and vs seconds; Hessian memory table")
def newton_vs_gd(torch, lab):
    import numpy as np
    F = torch.nn.functional
    rng = lab.seed(0)
    # least squares, d = 20: one Newton step from zero lands on the normal-equation solution
    A = rng.standard_normal((200, 20)); b = rng.standard_normal(200)
    At, bt = lab.tensor(A), lab.tensor(b)
    w = torch.zeros(20, dtype=torch.float64, requires_grad=True)

    def hessian(loss_fn, w):
        g = torch.autograd.grad(loss_fn(w), w, create_graph=True)[0]
        return torch.stack([torch.autograd.grad(g[i], w, retain_graph=True)[0]
                            for i in range(len(w))]), g
    lsq = lambda w: ((At @ w - bt) ** 2).mean()
    H, g = hessian(lsq, w)
    # the solves use NumPy (glasstorch has no torch.linalg yet)
    newton = -np.linalg.solve(H.detach().numpy(), g.detach().numpy())
    normal = np.linalg.solve(A.T @ A, A.T @ b)
    newton_err = float(np.abs(newton - normal).max())
    # softmax regression on digits: Newton vs GD
    Xtr, ytr, _, _ = lab.digits()
    Xtr, ytr = Xtr[:400].double(), ytr[:400]
    P = 64 * 10 + 10
    loss_fn = lambda w: (F.cross_entropy(Xtr @ w[:640].reshape(64, 10) + w[640:], ytr)
                         + 1e-3 * (w ** 2).sum())
    iters = 3 if lab.quick else 6
    w = torch.zeros(P, dtype=torch.float64, requires_grad=True)
    newton_curve, newton_cpu, t0 = [loss_fn(w).item()], [0.0], time.process_time()
    for _ in range(iters):
        H, g = hessian(loss_fn, w)
        step = np.linalg.solve(H.detach().numpy(), g.detach().numpy())
        w = (w.detach() - lab.tensor(step)).requires_grad_()
        newton_curve.append(loss_fn(w).item()); newton_cpu.append(time.process_time() - t0)
    w = torch.zeros(P, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=1.0)
    gd_curve, gd_cpu, t0 = [loss_fn(w).item()], [0.0], time.process_time()
    for _ in range(200 if lab.quick else 1000):
        loss = loss_fn(w)
        opt.zero_grad(); loss.backward(); opt.step()
        gd_curve.append(loss_fn(w).item()); gd_cpu.append(time.process_time() - t0)
    # collinear features: a duplicated column makes the least-squares Hessian singular
    A2 = np.c_[A, A[:, 0]]
    w2 = torch.zeros(21, dtype=torch.float64, requires_grad=True)
    H2, _ = hessian(lambda w: ((lab.tensor(A2) @ w - bt) ** 2).mean(), w2)
    eig = np.linalg.eigvalsh(H2.detach().numpy())
    memory = {"MLP 784-128-10": 101770, "LeNet-5": 61706, "softmax regression (digits)": P}
    memory_gb = {k: p * p * 4 / 1e9 for k, p in memory.items()}
    lab.record(newton_vs_normal_equations_max_diff=newton_err, newton_loss=newton_curve,
               newton_cpu_s=newton_cpu, gd_loss=gd_curve[::10], gd_cpu_s=gd_cpu[::10],
               hessian_float32_GB=memory_gb, collinear_min_over_max_eigenvalue=float(eig[0] / eig[-1]))
    fig, axes = lab.figure(1, 2)
    axes[0].semilogy(newton_curve, "o-", label="Newton"); axes[0].semilogy(gd_curve, label="GD")
    axes[0].set_xscale("symlog"); axes[0].set_xlabel("iteration"); axes[0].set_ylabel("loss")
    axes[0].legend()
    axes[1].semilogy(newton_cpu, newton_curve, "o-", label="Newton")
    axes[1].semilogy(gd_cpu, gd_curve, label="GD"); axes[1].set_xlabel("CPU seconds")
    axes[1].legend()
    gd_iters_to_newton = next((i for i, v in enumerate(gd_curve) if v <= newton_curve[-1]),
                              len(gd_curve))
    checks = {f"one Newton step = the normal equations (max diff {newton_err:.1e})":
                  newton_err < 1e-8,
              f"Newton reaches loss {newton_curve[-1]:.4f} in {iters} iterations; GD needs "
              f"{gd_iters_to_newton}": gd_iters_to_newton > 10 * iters,
              f"the Hessian of a 100k-parameter MLP needs {memory_gb['MLP 784-128-10']:.0f} GB":
                  memory_gb["MLP 784-128-10"] > 30,
              f"a duplicated feature makes the Hessian singular (eigenvalue ratio "
              f"{eig[0] / eig[-1]:.1e})": abs(eig[0] / eig[-1]) < 1e-10}
    return all_of(checks, note=f"Each Newton iteration costs {P} backward passes for the Hessian plus "
                  "a P^3 solve.")


@experiment(
    id="regression-target-scale", topic=6,
    question="Does optimizer choice differ between regression and classification?",
    claim="not really related to the task type [a]",
    test="Depends: the task type is irrelevant, but large regression targets break SGD at a "
         "fixed lr while Adam keeps training (relative MSE = MSE / scale²)",
    flag="≈ the task type does not matter; the scale of regression targets does",
    plot="relative loss per target scale and optimizer")
def regression_target_scale(torch, lab):
    import numpy as np
    F = torch.nn.functional
    rng = lab.seed(0)
    X = rng.standard_normal((1000, 10)).astype(np.float32)
    y = np.tanh(X @ rng.standard_normal((10, 1)).astype(np.float32))
    steps = 300 if lab.quick else 1500
    res = {}
    for scale in (1, 100, 10000, "standardized 10000"):
        target = y * (10000 if scale == "standardized 10000" else scale)
        if scale == "standardized 10000":
            target = (target - target.mean()) / target.std()
        s2 = float(np.var(target)) if scale != "standardized 10000" else 1.0
        for name in ("SGD", "Adam"):
            key = f"{name} x{scale}"
            res[key] = []
            for seed in lab.seeds:
                rng = lab.seed(seed)
                model = mlp(torch, [10, 32, 1])
                opt = (torch.optim.SGD(model.parameters(), lr=0.01) if name == "SGD"
                       else torch.optim.Adam(model.parameters(), lr=0.01))
                Xt, Yt = lab.tensor(X), lab.tensor(target)
                for _ in range(steps):
                    idx = torch.from_numpy(rng.integers(0, 1000, 32))
                    loss = F.mse_loss(model(Xt[idx]), Yt[idx])
                    opt.zero_grad(); loss.backward(); opt.step()
                with torch.no_grad():
                    v = F.mse_loss(model(Xt), Yt).item() / s2
                res[key].append(v if math.isfinite(v) else 1e6)
    lab.record(relative_mse=res)
    fig, ax = lab.figure(width=5)
    names = list(res)
    ax.bar(range(len(names)), [min(sum(res[k]) / len(lab.seeds), 10) for k in names])
    ax.set_xticks(range(len(names)), names, rotation=60, fontsize=7)
    ax.set_yscale("log"); ax.set_ylabel("MSE / target variance (capped at 10)")
    m = lambda k: sum(res[k]) / len(res[k])
    ok = {f"targets x{s}": m(f"SGD x{s}") < 0.5 for s in (1, 100, 10000)}
    v = across(ok, "SGD at a fixed lr (0.01) fits the regression (MSE below half the variance)")
    v.text += (f" Adam at lr 0.01: x1 {m('Adam x1'):.3f}, x100 {m('Adam x100'):.3f}, x10000 "
               f"{m('Adam x10000'):.3f}; standardizing the x10000 targets: SGD "
               f"{m('SGD xstandardized 10000'):.3f}, Adam {m('Adam xstandardized 10000'):.3f}.")
    return v
