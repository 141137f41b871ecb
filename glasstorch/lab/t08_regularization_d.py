"""Topic 8 (continued): BatchNorm in MLPs, early stopping and what it may look at, and why small
weights mean smooth functions."""
import numpy as np

from .catalog import experiment
from .common import accuracy, minibatches
from .verdict import across, all_of, compare, confirmed, refuted


def _deep_mlp(torch, depth, bn, width=128):
    nn = torch.nn
    layers, size = [], 784
    for _ in range(depth):
        layers.append(nn.Linear(size, width))
        if bn:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU())
        size = width
    layers.append(nn.Linear(size, 10))
    return nn.Sequential(*layers)


@experiment(
    id="bn-in-mlp", topic=8,
    question="Can BatchNorm be used in an MLP; does it help shallow nets?",
    claim="yes, but it does little unless the net is deep [a]; BN belongs to CNNs",
    test="'Little effect when shallow' confirmed at a modest lr, refuted at a large lr if BN "
         "rescues training; 'CNN only' refuted by any gain",
    flag="≈ even one hidden layer gains a far wider usable lr range (pilot: 25% → 94% at lr 0.5)",
    plot="accuracy grid (depth × BN × lr); loss after one epoch")
def bn_in_mlp(torch, lab):
    F = torch.nn.functional
    Xtr, ytr, Xte, yte = lab.mnist(2000 if lab.quick else 4000, 1000)
    depths = (1, 8) if lab.quick else (1, 3, 8)
    epochs = 3
    acc, first_loss = {}, {}
    for lr in (0.05, 0.5):
        for depth in depths:
            for bn in (False, True):
                key = f"lr {lr}, depth {depth}, {'BN' if bn else 'no BN'}"
                acc[key], first_loss[key] = [], []
                for seed in lab.seeds:
                    rng = lab.seed(seed)
                    model = _deep_mlp(torch, depth, bn)
                    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
                    for epoch in range(epochs):
                        total, n = 0.0, 0
                        for idx in minibatches(torch, len(Xtr), 64, rng):
                            loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
                            opt.zero_grad()
                            loss.backward()
                            opt.step()
                            total, n = total + loss.item() * len(idx), n + len(idx)
                        if epoch == 0:
                            first_loss[key].append(total / n)
                    a = accuracy(torch, model, Xte, yte)
                    acc[key].append(a if a == a else 0.0)      # a diverged net: nan -> 0
    lab.record(accuracy=acc, loss_after_one_epoch=first_loss)
    m = {k: sum(v) / len(v) for k, v in acc.items()}
    fig, ax = lab.figure(1, 1, width=6)
    keys = list(acc)
    ax.barh(range(len(keys)), [m[k] for k in keys],
            color=["tab:blue" if "no BN" in k else "tab:orange" for k in keys])
    ax.set_yticks(range(len(keys)), keys, fontsize=7)
    ax.set_xlabel("test accuracy (mean over seeds)")

    def gain(lr, depth):
        return m[f"lr {lr}, depth {depth}, BN"] - m[f"lr {lr}, depth {depth}, no BN"]
    deep = depths[-1]
    conditions = {f"lr 0.05 (shallow gain {gain(0.05, 1):+.3f}, depth-{deep} gain "
                  f"{gain(0.05, deep):+.3f})": abs(gain(0.05, 1)) < 0.05 and gain(0.05, deep) > 0.1,
                  f"lr 0.5 (shallow gain {gain(0.5, 1):+.3f}, depth-{deep} gain "
                  f"{gain(0.5, deep):+.3f})": abs(gain(0.5, 1)) < 0.05 and gain(0.5, deep) > 0.1}
    best_gain = max(gain(lr, d) for lr in (0.05, 0.5) for d in depths)
    return across(conditions, "'BN does little unless the net is deep'",
                  because=f"'BN belongs to CNNs' is refuted: these MLPs gain up to "
                          f"{best_gain:+.3f} accuracy from it.")


@experiment(
    id="early-stopping", topic=8,
    question="Why does test accuracy fall after many epochs, and how does early stopping work?",
    claim="long training overfits and test error rises; early stopping scores the network on "
          "the test set after every epoch, keeps the best copy and stops when it worsens [a]; "
          "listed among remedies [b]",
    test="Overfitting confirmed if test loss turns upward; stopping on the test set shown to "
         "report an optimistic score versus fresh data",
    flag="✗ claim [a] stopping on the test set leaks it into model selection; use a validation "
         "split",
    plot="train/val/test curves with stop points; fresh-split accuracy; optimism (reported − "
         "fresh)")
def early_stopping(torch, lab):
    F = torch.nn.functional
    n_train, n_val, n_pool = 500, 500, 2000
    X, y, _, _ = lab.mnist(n_train + n_val + n_pool, 10)
    epochs = 40 if lab.quick else 100
    curves, optimism = [], {"stop on the test split": [], "stop on a validation split": []}
    for seed in lab.seeds:
        rng = lab.seed(seed)
        ytr = y[:n_train].clone()
        noisy = torch.from_numpy(rng.random(n_train) < 0.2)          # 20% wrong labels
        ytr[noisy] = torch.from_numpy(rng.integers(0, 10, n_train))[noisy]
        Xtr, Xval, yval = X[:n_train], X[n_train:n_train + n_val], y[n_train:n_train + n_val]
        Xpool, ypool = X[n_train + n_val:], y[n_train + n_val:]
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                    torch.nn.Linear(256, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        train_loss, val_acc, pool_loss, pool_hits = [], [], [], []
        for _ in range(epochs):
            for idx in minibatches(torch, n_train, 50, rng):
                loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            with torch.no_grad():
                train_loss.append(F.cross_entropy(model(Xtr), ytr).item())
                val_acc.append((model(Xval).argmax(1) == yval).float().mean().item())
                out = model(Xpool)
                pool_loss.append(F.cross_entropy(out, ypool).item())
                pool_hits.append((out.argmax(1) == ypool).numpy())
        hits = np.stack(pool_hits)                                # (epochs, pool)
        # 400 random splits of the held-out pool into a "test" half and a fresh half: the
        # epoch chosen on the test half is scored on both halves (reported vs fresh)
        split_rng = np.random.default_rng(100 + seed)
        opt_test, opt_val = [], []
        best_val_epoch = int(np.argmax(val_acc))
        for _ in range(400):
            perm = split_rng.permutation(n_pool)
            test, fresh = perm[:n_pool // 2], perm[n_pool // 2:]
            acc_test, acc_fresh = hits[:, test].mean(1), hits[:, fresh].mean(1)
            e = int(np.argmax(acc_test))
            opt_test.append(acc_test[e] - acc_fresh[e])
            opt_val.append(acc_test[best_val_epoch] - acc_fresh[best_val_epoch])
        optimism["stop on the test split"].append(float(np.mean(opt_test)))
        optimism["stop on a validation split"].append(float(np.mean(opt_val)))
        curves.append({"train_loss": train_loss, "val_acc": val_acc, "test_loss": pool_loss,
                       "test_acc": hits.mean(1).tolist(), "val_stop_epoch": best_val_epoch})
    lab.record(curves=curves, optimism=optimism)
    fig, axes = lab.figure(1, 2)
    c = curves[0]
    axes[0].plot(c["train_loss"], label="train (noisy labels)")
    axes[0].plot(c["test_loss"], label="held-out")
    axes[0].axvline(c["val_stop_epoch"], color="k", ls=":", label="stop (validation)")
    axes[0].set_xlabel("epoch"); axes[0].set_ylabel("cross-entropy"); axes[0].legend()
    names = list(optimism)
    axes[1].bar(range(2), [np.mean(optimism[k]) * 100 for k in names])
    axes[1].set_xticks(range(2), [k.replace(" on ", "\non ") for k in names])
    axes[1].set_ylabel("reported − fresh accuracy (points)")
    turn = [min(range(epochs), key=lambda e: c["test_loss"][e]) for c in curves]
    rise = [c["test_loss"][-1] / min(c["test_loss"]) for c in curves]
    overfits = all(t < epochs - 1 for t in turn) and min(rise) > 1.05
    ot = float(np.mean(optimism["stop on the test split"]))
    ov = float(np.mean(optimism["stop on a validation split"]))
    leak = ot > 0.003 and ot - ov > 0.0025      # resampling noise of ov: ~0.1 points
    text = (f"held-out loss bottoms out at epochs {turn} and ends {min(rise):.2f}x higher "
            f"(overfitting: {'yes' if overfits else 'no'}); choosing the epoch on the test split "
            f"reports {ot * 100:+.2f} points more than fresh data shows, choosing it on a "
            f"validation split {ov * 100:+.2f}.")
    checks = {"test loss turns upward": overfits, "stopping on the test set is optimistic": leak}
    if overfits and leak:
        return refuted("Overfitting is real, but claim [a]'s recipe is a leak: " + text, checks)
    if overfits:
        return confirmed("Overfitting is real and no optimism was measured: " + text, checks)
    return refuted("Test loss did not turn upward: " + text, checks)


@experiment(
    id="weight-decay-smoothness", topic=8,
    question="Why do small weights mean a simpler model; does decay hurt when the true weights "
             "are large; does more noise make learned weights larger?",
    claim="a size penalty confines the model to smooth functions [a]; the strength must be "
          "tuned, too much or too little both miss; 'more noise → larger learned weights?', "
          "left open to verify [b]",
    test="Smoothness confirmed if roughness falls with λ; best λ should rise with noise and fall "
         "with true weight size; claim [b] hunch confirmed if ‖ŵ‖ grows with σ (strongly when "
         "interpolating)",
    plot="fitted curves per λ; roughness vs λ; best λ vs σ²/‖w‖²; ‖ŵ‖ vs σ")
def weight_decay_smoothness(torch, lab):
    dt = torch.float64
    lams = [1e-8, 1e-6, 1e-4, 1e-2, 1e0, 1e2]

    def ridge(A, b, lam):
        n = A.shape[1]
        return torch.linalg.solve(A.T @ A + lam * torch.eye(n, dtype=dt), A.T @ b)

    # 1. a degree-15 polynomial on 20 noisy sine points: roughness (mean squared second
    #    difference of the fitted curve on a fine grid) against lambda
    grid = torch.linspace(-1, 1, 400, dtype=dt)
    powers = torch.arange(16, dtype=dt)
    rough, curves = {lam: [] for lam in lams}, {}
    for seed in lab.seeds:
        rng = lab.seed(seed)
        x = torch.from_numpy(np.sort(rng.uniform(-1, 1, 20)))
        yv = torch.sin(3 * x) + torch.from_numpy(rng.normal(0, 0.2, 20))
        A, G = x[:, None] ** powers, grid[:, None] ** powers
        for lam in lams:
            f = G @ ridge(A, yv, lam)
            rough[lam].append(((f[2:] - 2 * f[1:-1] + f[:-2]) ** 2).mean().item() * 400 ** 4)
            if seed == lab.seeds[0]:
                curves[lam] = f.tolist()
    # 2. linear regression, p = 20 features, n = 40: the lambda that minimizes validation
    #    error, for small/large true weights and noise levels
    sigmas = [0.1, 1.0, 3.0]
    trials = 10 if lab.quick else 40
    best = {}
    for wscale in (0.3, 3.0):
        for sigma in sigmas:
            picks = []
            for seed in lab.seeds:
                rng = lab.seed(1000 + seed)
                for _ in range(trials):
                    w = torch.from_numpy(rng.normal(0, wscale, 20))
                    A = torch.from_numpy(rng.normal(0, 1, (40, 20)))
                    Av = torch.from_numpy(rng.normal(0, 1, (200, 20)))
                    b = A @ w + torch.from_numpy(rng.normal(0, sigma, 40))
                    bv = Av @ w + torch.from_numpy(rng.normal(0, sigma, 200))
                    errs = [((Av @ ridge(A, b, lam) - bv) ** 2).mean().item()
                            for lam in np.logspace(-3, 3, 13)]
                    picks.append(float(np.log10(np.logspace(-3, 3, 13)[int(np.argmin(errs))])))
            best[(wscale, sigma)] = float(np.mean(picks))
    # 3. ||w_hat|| against noise: least squares (n > p) and minimum-norm interpolation (p > n)
    norms = {"least squares (n=100, p=20)": [], "min-norm interpolation (n=20, p=100)": []}
    for sigma in sigmas:
        for name, (n, p) in (("least squares (n=100, p=20)", (100, 20)),
                             ("min-norm interpolation (n=20, p=100)", (20, 100))):
            vals = []
            for seed in lab.seeds:
                rng = lab.seed(2000 + seed)
                for _ in range(trials):
                    w = torch.from_numpy(rng.normal(0, 1 / np.sqrt(p), p))
                    A = torch.from_numpy(rng.normal(0, 1, (n, p)))
                    b = A @ w + torch.from_numpy(rng.normal(0, sigma, n))
                    vals.append(torch.linalg.pinv(A).matmul(b).norm().item())
            norms[name].append(float(np.mean(vals)))
    lab.record(roughness={str(k): v for k, v in rough.items()},
               best_log10_lambda={f"|w|~{k[0]}, sigma {k[1]}": v for k, v in best.items()},
               weight_norm_vs_sigma=norms, sigmas=sigmas)
    fig, axes = lab.figure(1, 3, width=3.6)
    for lam in (1e-8, 1e-4, 1e0):
        axes[0].plot(grid.tolist(), curves[lam], label=f"λ={lam:g}")
    axes[0].set_ylim(-2, 2); axes[0].legend(fontsize=7); axes[0].set_title("degree-15 fits")
    axes[1].loglog(lams, [np.mean(rough[lam]) + 1e-12 for lam in lams], "o-")
    axes[1].set_xlabel("λ"); axes[1].set_ylabel("roughness")
    for name, v in norms.items():
        axes[2].plot(sigmas, v, "o-", label=name.split(" (")[0])
    axes[2].set_xlabel("noise σ"); axes[2].set_ylabel("‖ŵ‖"); axes[2].legend(fontsize=7)
    mr = [np.mean(rough[lam]) for lam in lams]
    ls, mn = norms["least squares (n=100, p=20)"], norms["min-norm interpolation (n=20, p=100)"]
    checks = {
        f"roughness falls as λ grows ({mr[0]:.3g} -> {mr[-1]:.3g}, never rising)":
            all(b <= a * 1.0001 for a, b in zip(mr, mr[1:])) and mr[-1] < mr[0] / 100,
        "the best λ rises with noise (log10 λ* " + ", ".join(
            f"{best[(0.3, s)]:.2f}" for s in sigmas) + ")":
            best[(0.3, sigmas[0])] < best[(0.3, sigmas[-1])],
        f"the best λ falls with the true weights' size (σ=1: log10 λ* {best[(0.3, 1.0)]:.2f} "
        f"for |w|~0.3 vs {best[(3.0, 1.0)]:.2f} for |w|~3)": best[(3.0, 1.0)] < best[(0.3, 1.0)],
        f"‖ŵ‖ grows with σ, more when interpolating (least squares {ls[0]:.2f} -> {ls[-1]:.2f}, "
        f"interpolation {mn[0]:.2f} -> {mn[-1]:.2f})":
            ls[-1] > ls[0] and mn[-1] > mn[0] and mn[-1] / mn[0] > ls[-1] / ls[0]}
    return all_of(checks, because="A size penalty buys smoothness, and its best strength is "
                                  "set by σ²/‖w‖²: tuning it is necessary.")


def _he_mlp(torch, depth, norm, width=128):
    """An MLP of `depth` ReLU layers, He-initialized; norm: None, "bn" or "noisy" (BN followed
    by a random per-channel scale and shift drawn anew at every training step)."""
    nn = torch.nn

    class NoisyShift(nn.Module):
        # multiplies by exp(N(0, 0.5^2)) and adds N(0, 1), per channel, new at every call:
        # the next layer's inputs keep shifting however BN normalized them
        def forward(self, x):
            if not self.training:
                return x
            scale = torch.exp(0.5 * torch.randn(x.shape[1]))
            return x * scale + torch.randn(x.shape[1])

    layers, size = [], 784
    for _ in range(depth):
        lin = nn.Linear(size, width)
        nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if norm:
            layers.append(nn.BatchNorm1d(width))
        if norm == "noisy":
            layers.append(NoisyShift())
        layers.append(nn.ReLU())
        size = width
    layers.append(nn.Linear(size, 10))
    return nn.Sequential(*layers)


@experiment(
    id="bn-why-it-works", topic=8,
    question="What problem does BatchNorm solve?",
    claim="gradients are products of small numbers, so low layers learn slowly while upper "
          "layers keep re-adapting to shifting inputs; BN fixes that [a]",
    test="Covariate-shift story weakened if noisy BN trains about as fast as BN; also checks "
         "whether low layers really get smaller gradients under He init",
    flag="≈ the internal-covariate-shift account is disputed; BN also smooths the loss and "
         "allows bigger steps",
    plot="loss curves; per-layer gradient norms; stable-lr bars")
def bn_why_it_works(torch, lab):
    F = torch.nn.functional
    Xtr, ytr, _, _ = lab.mnist(1000 if lab.quick else 3000, 10)
    epochs = 2 if lab.quick else 4
    variants = {"no BN": None, "BN": "bn", "BN + shifting noise": "noisy"}
    curves = {k: [] for k in variants}
    final = {k: [] for k in variants}
    grad_ratio = []
    for seed in lab.seeds:
        for name, norm in variants.items():
            rng = lab.seed(seed)
            model = _he_mlp(torch, 8, norm)
            opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
            trace = []
            for epoch in range(epochs):
                for idx in minibatches(torch, len(Xtr), 64, rng):
                    loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
                    opt.zero_grad()
                    loss.backward()
                    if not trace and norm is None:     # per-layer gradients at He init
                        norms = [m.weight.grad.norm().item() for m in model
                                 if isinstance(m, torch.nn.Linear)]
                        grad_ratio.append(norms[0] / norms[-2])
                        lab.record(**{f"layer_grad_norms_seed{seed}": norms})
                    opt.step()
                    trace.append(loss.item())
            curves[name].append(trace)
            model.eval()                 # what was learned, without the training-time noise
            with torch.no_grad():
                final[name].append(F.cross_entropy(model(Xtr), ytr).item())
    # the largest learning rate that still trains (loss after one epoch below the start)
    lrs = [0.1, 1.0] if lab.quick else [0.03, 0.1, 0.3, 1.0, 3.0]
    stable = {}
    for name in ("no BN", "BN"):
        stable[name] = 0.0
        for lr in lrs:
            rng = lab.seed(lab.seeds[0])
            model = _he_mlp(torch, 8, variants[name])
            opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
            losses = []
            for idx in minibatches(torch, len(Xtr), 64, rng):
                loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
            if losses[-1] == losses[-1] and sum(losses[-5:]) / 5 < 0.8 * losses[0]:
                stable[name] = lr
    lab.record(final_train_loss=final, first_over_last_layer_grad=grad_ratio,
               largest_stable_lr=stable)
    fig, axes = lab.figure(1, 2)
    for name in variants:
        axes[0].plot(np.convolve(curves[name][0], np.ones(10) / 10, "valid"), label=name)
    axes[0].set_xlabel("step"); axes[0].set_ylabel("training loss (10-step mean)")
    axes[0].set_yscale("log"); axes[0].legend()
    axes[1].bar(range(2), [stable["no BN"], stable["BN"]])
    axes[1].set_xticks(range(2), ["no BN", "BN"]); axes[1].set_yscale("log")
    axes[1].set_ylabel("largest lr that trains")
    mean = {k: sum(v) / len(v) for k, v in final.items()}
    ratio = sum(grad_ratio) / len(grad_ratio)
    slows = mean["BN + shifting noise"] > 1.5 * mean["BN"]
    checks = {"low layers get smaller gradients under He init": ratio < 0.5,
              "shifting every layer's inputs slows BN down": slows}
    text = (f"first/last hidden-layer gradient norm under He init is {ratio:.2f} (the claim "
            f"needs < 0.5); training loss after training: BN {mean['BN']:.3f}, BN with inputs "
            f"shifted at every step {mean['BN + shifting noise']:.3f}, no BN "
            f"{mean['no BN']:.3f}; the largest lr that trains is {stable['no BN']:g} without BN "
            f"and {stable['BN']:g} with it.")
    if ratio < 0.5 and slows:
        return confirmed("Both parts of the story show up: " + text, checks)
    if ratio >= 0.5:
        helps = mean["BN"] < mean["no BN"] and stable["BN"] > stable["no BN"]
        return refuted("The premise fails: low layers do not get smaller gradients here"
                       + (", yet BN still trains faster and at larger learning rates. "
                          if helps else ". ") + text, checks)
    return refuted("Low layers do get smaller gradients, but BN keeps working when its "
                   "outputs are shifted at every step, so stabilizing layer inputs is not why "
                   "it helps. " + text, checks)


@experiment(
    id="weight-decay-strength", topic=8,
    question="What weight-decay value works, and is weight decay or dropout more common?",
    claim="use 1e-2, 1e-3 or 1e-4; it helps only a little, less so for complex models [a]; "
          "dropout dominates in neural nets, L2 in classic ML [b]",
    test="Range claim confirmed if the best wd lies in 1e-4–1e-2; 'weak effect' explained if "
         "Adam+L2 barely reacts while AdamW does",
    flag="≈ weight decay is standard in modern training (AdamW); under Adam, L2 in the gradient "
         "is diluted by the adaptive scaling",
    plot="accuracy vs wd per optimizer; weight norm vs wd")
def weight_decay_strength(torch, lab):
    F = torch.nn.functional
    Xtr, ytr, Xte, yte = lab.mnist(500 if lab.quick else 1000, 1000)
    wds = (0.0, 1e-3, 1e-1) if lab.quick else (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
    epochs = 4 if lab.quick else 8
    makers = {"SGD (L2)": lambda p, wd: torch.optim.SGD(p, lr=0.05, momentum=0.9,
                                                          weight_decay=wd),
              "Adam (L2 in the gradient)": lambda p, wd: torch.optim.Adam(p, lr=1e-3,
                                                                           weight_decay=wd),
              "AdamW (decoupled)": lambda p, wd: torch.optim.AdamW(p, lr=1e-3, weight_decay=wd)}
    acc = {(o, wd): [] for o in makers for wd in wds}
    norm = {(o, wd): [] for o in makers for wd in wds}
    for seed in lab.seeds:
        for name, make in makers.items():
            for wd in wds:
                rng = lab.seed(seed)
                model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                                            torch.nn.Linear(128, 10))
                opt = make(model.parameters(), wd)
                for _ in range(epochs):
                    for idx in minibatches(torch, len(Xtr), 32, rng):
                        loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                acc[(name, wd)].append(accuracy(torch, model, Xte, yte))
                norm[(name, wd)].append(sum(p.detach().norm().item() ** 2
                                            for p in model.parameters()) ** 0.5)
    lab.record(accuracy={f"{o} | wd {wd:g}": v for (o, wd), v in acc.items()},
               weight_norm={f"{o} | wd {wd:g}": v for (o, wd), v in norm.items()})
    m = {k: sum(v) / len(v) for k, v in acc.items()}
    mn = {k: sum(v) / len(v) for k, v in norm.items()}
    fig, axes = lab.figure(1, 2)
    xs = [max(wd, 1e-6) for wd in wds]
    for name in makers:
        axes[0].semilogx(xs, [m[(name, wd)] for wd in wds], "o-", label=name)
        axes[1].loglog(xs, [mn[(name, wd)] for wd in wds], "o-", label=name)
    axes[0].set_xlabel("weight decay (0 plotted at 1e-6)"); axes[0].set_ylabel("test accuracy")
    axes[1].set_xlabel("weight decay"); axes[1].set_ylabel("‖weights‖"); axes[1].legend(fontsize=7)
    spread = max(max(v) - min(v) for v in acc.values())
    in_range = [wd for wd in wds if 1e-4 <= wd <= 1e-2]
    sgd = "SGD (L2)"
    best = max(m[(sgd, wd)] for wd in wds)
    best_in_range = max(m[(sgd, wd)] for wd in in_range)
    gain = best_in_range - m[(sgd, 0.0)]
    shrink = {o: mn[(o, wds[-1])] / mn[(o, 0.0)] for o in makers}
    too_much = []                # the best in-range wd against the largest, per L2 optimizer
    for o in (sgd, "Adam (L2 in the gradient)"):
        w_best = max(in_range, key=lambda wd: m[(o, wd)])
        too_much.append(compare("in range", acc[(o, w_best)], f"{o} at wd {wds[-1]:g}",
                                acc[(o, wds[-1])]))
    checks = {
        f"the 1e-4..1e-2 range holds a best setting for SGD ({best_in_range:.3f} vs best "
        f"{best:.3f}, seed spread {spread:.3f})": best_in_range >= best - 2 * spread,
        "too much decay hurts (" + "; ".join(str(c) for c in too_much) + ")":
            any(c.winner == "in range" for c in too_much),
        f"in-range decay helps only a little (gain over none {gain:+.3f}, under 0.02)":
            gain < 0.02}
    explained = shrink["Adam (L2 in the gradient)"] > 0.8 and shrink["AdamW (decoupled)"] < 0.8
    note = ("The catalogue's explanation of a weak effect "
            + ("holds" if explained else "does not hold here")
            + f": at wd {wds[-1]:g} the weight norm shrinks to "
            + ", ".join(f"{o} {shrink[o]:.2f}" for o in makers) + " of its undecayed size.")
    return all_of(checks, note=note)
