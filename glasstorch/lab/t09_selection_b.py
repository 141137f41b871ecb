"""Topic 9 (continued): ensembles, selection bias, bias and variance, hyperparameter search."""
import itertools
import math

from .catalog import experiment
from .common import accuracy, fit, minibatches, mlp
from .verdict import across, all_of, compare, confirmed, depends, refuted


def _mean(v):
    return sum(v) / len(v)


def _nll_acc(torch, p, y):
    return (-torch.log(p[torch.arange(len(y)), y].clamp_min(1e-12)).mean().item(),
            (p.argmax(1) == y).float().mean().item())


@experiment(
    id="ensemble-seeds", topic=9,
    question="Why does averaging models that differ only in random init help; is it always "
             "better?",
    claim="it lowers variance [a]",
    test="Confirmed if NLL falls steadily and accuracy rises; \"always\" checked against the best "
         "single member",
    flag="≈ the log-loss gain is guaranteed (convexity); the accuracy gain is typical, not "
         "guaranteed",
    plot="accuracy and NLL vs k, best single model as a line")
def ensemble_seeds(torch, lab):
    # 8 MNIST MLPs per ensemble seed, each with its own init and data order; the curves average
    # over all subsets of k members. Control: two models trained from one seed (identical on CPU)
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 4000, 1000)
    epochs, members = (3 if lab.quick else 5), 8
    curves, best_single, mean_single, ens8, control = [], [], [], [], []
    for seed in lab.seeds:
        probs = []
        for j in range(members):
            rng = lab.seed(1000 * seed + j)
            model = mlp(torch, [784, 64, 10])
            fit(torch, model, torch.optim.Adam(model.parameters(), lr=3e-3), Xtr, ytr, epochs,
                64, rng)
            model.eval()
            with torch.no_grad():
                probs.append(torch.softmax(model(Xte), 1))
            if j == 0:                                    # control: the same seed again
                rng = lab.seed(1000 * seed)
                twin = mlp(torch, [784, 64, 10])
                fit(torch, twin, torch.optim.Adam(twin.parameters(), lr=3e-3), Xtr, ytr,
                    epochs, 64, rng)
                twin.eval()
                with torch.no_grad():
                    control.append((torch.softmax(twin(Xte), 1) - probs[0]).abs().max().item())
        singles = [_nll_acc(torch, p, yte) for p in probs]
        best_single.append(max(a for _, a in singles))
        mean_single.append(_mean([a for _, a in singles]))
        curve = []
        for k in range(1, members + 1):
            scores = [_nll_acc(torch, sum(probs[i] for i in c) / k, yte)
                      for c in itertools.combinations(range(members), k)]
            curve.append((_mean([s[0] for s in scores]), _mean([s[1] for s in scores]),
                          min(s[1] - max(singles[i][1] for i in c) for s, c in
                              zip(scores, itertools.combinations(range(members), k)))))
        curves.append(curve)
        ens8.append(curve[-1][1])
    lab.record(nll_vs_k=[[c[0] for c in cu] for cu in curves],
               accuracy_vs_k=[[c[1] for c in cu] for cu in curves],
               worst_subset_gain_over_its_best_member=[[c[2] for c in cu] for cu in curves],
               best_single_accuracy=best_single, mean_single_accuracy=mean_single,
               ensemble_of_8_accuracy=ens8, control_same_seed_max_prob_difference=control)
    fig, axes = lab.figure(1, 2)
    ks = range(1, members + 1)
    for cu in curves:
        axes[0].plot(ks, [c[0] for c in cu], "o-")
        axes[1].plot(ks, [c[1] for c in cu], "o-")
    axes[1].axhline(_mean(best_single), ls="--", c="k", label="best single member")
    axes[1].axhline(_mean(mean_single), ls=":", c="k", label="copies of one seed (control)")
    axes[0].set_xlabel("members k"); axes[0].set_ylabel("test NLL (mean over subsets)")
    axes[1].set_xlabel("members k"); axes[1].set_ylabel("test accuracy"); axes[1].legend(fontsize=7)
    falls = all(all(a[0] > b[0] for a, b in zip(cu, cu[1:])) for cu in curves)
    gain = [e - m for e, m in zip(ens8, mean_single)]              # paired, per seed
    worst = min(min(x[2] for x in cu[1:]) for cu in curves)
    checks = {f"NLL falls at every k on every seed ({', '.join(f'{cu[0][0]:.3f} -> {cu[-1][0]:.3f}' for cu in curves)})": falls,
              f"accuracy rises (ensemble of 8 {_mean(ens8):.4f} vs single member {_mean(mean_single):.4f}; "
              f"per-seed gain {', '.join(f'{g:+.4f}' for g in gain)}, beyond 2x its spread)":
                  _mean(gain) > 2 * (max(gain) - min(gain)),
              f"the control (same seed twice) gains nothing: identical models (max probability "
              f"difference {max(control):.1e})": max(control) < 1e-6}
    beats_best = sum(e >= b for e, b in zip(ens8, best_single))
    return all_of(checks, because="Averaging lowers the variance that differing seeds add.",
                  note=f"\"Always\": the 8-model ensemble matched or beat its best member on "
                       f"{beats_best} of {len(ens8)} seeds ({_mean(ens8):.4f} vs "
                       f"{_mean(best_single):.4f}), but the worst subset of k ≥ 2 members fell "
                       f"{-worst:.4f} below its own best member: the accuracy gain is typical, "
                       f"not guaranteed; the log-loss gain is (convexity).")


# ---------------------------------------------------------------------------------------------
def _train_digits(torch, lab, cfg, seed, data, steps):
    """Digits MLP 64-width-10, full-batch Adam; returns (validation, test) accuracy."""
    Xf, yf, Xv, yv, Xte, yte = data
    lab.seed(seed)
    model = mlp(torch, [64, int(round(cfg["width"])), 10])
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(Xf), yf)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return accuracy(torch, model, Xv, yv), accuracy(torch, model, Xte, yte)


@experiment(
    id="hparam-search", topic=9,
    question="How do I choose hyperparameters: grid, random, Bayesian?",
    claim="grid search is exhaustive and too costly; Bayesian methods need hundreds to thousands "
          "of runs; rely on experience, tuning and random draws; Optuna automates it [a]; after "
          "random search, probe around a good point to make sure it isn't a lucky spike [b]",
    test="\"Bayesian needs hundreds\" refuted if TPE matches or beats random within 27 trials; "
         "the neighbourhood advice confirmed if sharp winners lose more on test",
    flag="≈ with a few hyperparameters, model-based search usually pays off within tens of "
         "trials",
    plot="best-so-far validation accuracy vs trial; winners' test accuracy; neighbourhood spread")
def hparam_search(torch, lab):
    # The search space is written as `glasstorch tune` options ("low:high:log") and sampled with
    # its helpers; the study runs in memory. Sizes shrunk: full-batch training of a few dozen
    # steps; quick mode: 2x2x2 = 8 trials per method, a TPE that starts modelling after 4.
    from ..train.tune import _optuna, _suggest, parse_value
    optuna = _optuna()
    space = {"lr": parse_value("1e-4:1:log"), "weight_decay": parse_value("1e-6:0.1:log"),
             "width": parse_value("4:256:log")}
    levels = 2 if lab.quick else 3
    trials, steps = levels ** 3, (30 if lab.quick else 60)
    grid_axis = {k: [s["low"] * (s["high"] / s["low"]) ** ((i + 0.5) / levels)
                     for i in range(levels)] for k, s in space.items()}
    grid = [dict(zip(space, c)) for c in itertools.product(*grid_axis.values())]
    Xtr, ytr, Xte, yte = lab.digits(split=0.7, seed=0)
    data = (Xtr[:1000], ytr[:1000], Xtr[1000:], ytr[1000:], Xte, yte)
    curves, winners = {}, []
    for rep in lab.seeds:
        samplers = {"grid": optuna.samplers.GridSampler({k: list(v) for k, v in grid_axis.items()},
                                                        seed=rep),
                    "random": optuna.samplers.RandomSampler(seed=rep),
                    "TPE": optuna.samplers.TPESampler(seed=rep, n_startup_trials=4 if lab.quick
                                                      else 10)}
        for name, sampler in samplers.items():
            study = optuna.create_study(direction="maximize", sampler=sampler)
            tests = {}

            def objective(trial):
                if name == "grid":
                    cfg = {k: trial.suggest_categorical(k, grid_axis[k]) for k in space}
                else:
                    cfg = {k: _suggest(trial, k, s) for k, s in space.items()}
                val, test = _train_digits(torch, lab, cfg, rep, data, steps)
                tests[trial.number] = test
                return val
            study.optimize(objective, n_trials=trials)
            vals = [t.value for t in study.trials]
            curves.setdefault(name, []).append([max(vals[:i + 1]) for i in range(len(vals))])
            best = study.best_trial
            winners.append({"method": name, "repeat": rep, "config": dict(best.params),
                            "validation": best.value, "test": tests[best.number]})
    # neighbourhood probe: each winner retrained at points half an octave away (and its own point
    # with other seeds); "sharp" = the winner's validation score minus the probes' mean
    n_probe = 2 if lab.quick else 4
    for w in winners:
        rng = lab.seed(1000 + w["repeat"])
        probes = []
        for j in range(n_probe):
            cfg = {k: v * 2 ** (0.5 * rng.choice([-1, 1])) for k, v in w["config"].items()}
            probes.append(_train_digits(torch, lab, cfg, 100 + j, data, steps)[0])
        w["probe_validation"] = probes
        w["sharpness"] = w["validation"] - _mean(probes)
        w["drop"] = w["validation"] - w["test"]
    lab.record(best_so_far=curves, winners=winners, trials=trials, grid=grid_axis)
    fig, axes = lab.figure(1, 3)
    for name, cs in curves.items():
        axes[0].plot(range(1, trials + 1), [_mean(c) for c in zip(*cs)], label=name)
    axes[0].set_xlabel("trial"); axes[0].set_ylabel("best validation accuracy so far")
    axes[0].legend()
    names = list(curves)
    axes[1].bar(range(3), [_mean([w["test"] for w in winners if w["method"] == n]) for n in names])
    axes[1].set_xticks(range(3), names); axes[1].set_ylim(0.5, 1)
    axes[1].set_ylabel("winner's test accuracy")
    axes[2].plot([w["sharpness"] for w in winners], [w["drop"] for w in winners], "o")
    axes[2].set_xlabel("sharpness (winner − neighbourhood validation)")
    axes[2].set_ylabel("validation − test of the winner")
    final = {n: [c[-1] for c in curves[n]] for n in names}
    c = compare("TPE", final["TPE"], "random", final["random"])
    order = sorted(winners, key=lambda w: w["sharpness"])
    half = len(order) // 2
    flat, sharp = order[:half], order[-half:]
    d = compare("sharper half", [w["drop"] for w in sharp], "flatter half",
                [w["drop"] for w in flat])
    conditions = {f"[a] Bayesian search needs more than {trials} trials ({c}; best grid "
                  f"{_mean(final['grid']):.4f})": c.winner == "random",
                  f"[b] probing pays: the sharper half of the winners (validation above their "
                  f"neighbourhood) loses more from validation to test ({d})":
                      d.winner == "sharper half"}
    return across(conditions, "the claim",
                  because=f"TPE matched or beat random search within {trials} trials.")


# ---------------------------------------------------------------------------------------------
def _shift(torch, x, rng):
    """Augmentation: every image of the batch rolled by one random shift of up to 2 pixels."""
    dy, dx = (int(v) for v in rng.integers(-2, 3, size=2))
    return torch.roll(x.reshape(-1, 28, 28), (dy, dx), (1, 2)).reshape(len(x), 784)


@experiment(
    id="selection-bias-val-test", topic=9,
    question="Why not tune on the test set? Is validation error always between training and test "
             "error?",
    claim="tuning on test data fits the hyperparameters to that set [a]; training error < "
          "validation error < test error ≈ generalization error [b]",
    test="claim [a] confirmed if the test-tuned winner drops on fresh data; claim [b] ordering "
         "oversimplified if training loss exceeds validation loss under regularization",
    flag="≈ claim [b] the ordering is no law: regularized training loss can exceed validation "
         "loss, and validation is optimistic after selection",
    plot="validation vs test scatter, winner marked; optimism vs validation size; loss curves")
def selection_bias_val_test(torch, lab):
    F = torch.nn.functional
    # sizes shrunk: 40 configurations (quick 12) trained for 2 epochs on 1,000 MNIST images
    # (quick 500). Each configuration's right/wrong answers on 1,000 validation and 1,000 test
    # images are kept; selection is then replayed on 200 random splits of them: a validation
    # subset of 100 (or all 1,000), and the test images split into 200 used for tuning and 800
    # fresh ones. Averaging over the splits measures the expected optimism, not one draw.
    n_cfg, n_train = (12, 500) if lab.quick else (40, 1000)
    X, y, Xt, yt = lab.mnist(4000, 1000)
    Xtr, ytr = X[:n_train], y[:n_train]
    Xv, yv = X[2000:3000], y[2000:3000]
    configs, optimism, drop = [], {"validation 100": [], "validation 1000": []}, []
    for seed in lab.seeds:
        rng = lab.seed(seed)
        right_v, right_t, rows = [], [], []
        for c in range(n_cfg):
            cfg = {"lr": float(10 ** rng.uniform(-3, -2)), "width": int(2 ** rng.uniform(5, 8))}
            model = mlp(torch, [784, cfg["width"], 10])
            fit(torch, model, torch.optim.Adam(model.parameters(), lr=cfg["lr"]), Xtr, ytr, 2,
                64, rng)
            model.eval()
            with torch.no_grad():
                right_v.append((model(Xv).argmax(1) == yv).float())
                right_t.append((model(Xt).argmax(1) == yt).float())
            rows.append(dict(cfg, validation=right_v[-1].mean().item(),
                             test=right_t[-1].mean().item()))
        configs.append(rows)
        Rv, Rt = torch.stack(right_v), torch.stack(right_t)           # (configs, 1000)
        fresh_all = Rt.mean(1)
        for m, key in ((100, "validation 100"), (1000, "validation 1000")):
            gaps = []
            for _ in range(200 if m < 1000 else 1):
                s = Rv[:, torch.from_numpy(rng.permutation(1000)[:m])].mean(1)
                w = int(s.argmax())
                gaps.append((s[w] - fresh_all[w]).item())
            optimism[key].append(_mean(gaps))
        gaps = []
        for _ in range(200):                                          # tuned on the test set
            perm = torch.from_numpy(rng.permutation(1000))
            s = Rt[:, perm[:200]].mean(1)
            w = int(s.argmax())
            gaps.append((s[w] - Rt[w, perm[200:]].mean()).item())
        drop.append(_mean(gaps))
    # claim [b]: dropout 0.5 and shifted images; training loss (train mode, averaged over the
    # epoch's batches) vs validation loss (eval mode) after each epoch
    curves = []
    for seed in lab.seeds:
        rng = lab.seed(seed)
        nn = torch.nn
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        tr, va = [], []
        for _ in range(3 if lab.quick else 6):
            model.train()
            total = 0.0
            for idx in minibatches(torch, n_train, 64, rng):
                loss = F.cross_entropy(model(_shift(torch, Xtr[idx], rng)), ytr[idx])
                opt.zero_grad(); loss.backward(); opt.step()
                total += loss.item() * len(idx)
            tr.append(total / n_train)
            model.eval()
            with torch.no_grad():
                va.append(F.cross_entropy(model(Xv), yv).item())
        curves.append({"training (train mode)": tr, "validation": va})
    lab.record(configurations=configs, winner_optimism=optimism, test_tuned_drop_on_fresh=drop,
               regularized_loss_curves=curves)
    fig, axes = lab.figure(1, 3)
    rows = configs[0]
    axes[0].plot([r["validation"] for r in rows], [r["test"] for r in rows], "o", ms=3)
    w = max(rows, key=lambda r: r["validation"])
    axes[0].plot([w["validation"]], [w["test"]], "r*", ms=12)
    axes[0].set_xlabel("validation accuracy (1,000)"); axes[0].set_ylabel("test accuracy (1,000)")
    axes[1].bar([0, 1], [_mean(v) for v in optimism.values()])
    axes[1].set_xticks([0, 1], list(optimism)); axes[1].set_ylabel("winner: selection − fresh")
    for cu in curves:
        axes[2].plot(cu["training (train mode)"], "b-"); axes[2].plot(cu["validation"], "r--")
    axes[2].set_xlabel("epoch"); axes[2].set_ylabel("loss (blue train mode, red validation)")
    over = sum(t > v for cu in curves for t, v in zip(cu["training (train mode)"],
                                                        cu["validation"]))
    n_ep = sum(len(cu["validation"]) for cu in curves)
    conditions = {f"[a] the test-tuned winner drops on fresh data (by "
                  f"{', '.join(f'{d:+.4f}' for d in drop)} on average over 200 splits, per "
                  f"seed)": min(drop) > 0,
                  f"[b] training loss < validation loss under dropout and augmentation "
                  f"(training loss is higher in {over} of {n_ep} epochs)": over == 0}
    return across(conditions, "the claim", because=(
        f"Validation is optimistic after selection too: the winner's score exceeds its fresh "
        f"score by {_mean(optimism['validation 100']):+.3f} with 100 validation images and "
        f"{_mean(optimism['validation 1000']):+.3f} with 1,000."))


# ---------------------------------------------------------------------------------------------
def _chebyshev(torch, x, degree):
    """Features T_0(x) .. T_degree(x) on [-1, 1] (well conditioned, unlike raw powers)."""
    cols = [torch.ones_like(x), x]
    for _ in range(2, degree + 1):
        cols.append(2 * x * cols[-1] - cols[-2])
    return torch.stack(cols[:degree + 1], -1)


@experiment(
    id="bias-variance", topic=9,
    question="What are capacity, bias and variance, and how do they relate to under- and "
             "overfitting?",
    claim="capacity is the range of functions a model can fit [a]; underfitting = high bias, low "
          "variance; overfitting = low bias, high variance [b]",
    test="Confirmed if bias falls and variance rises with degree, giving a U-shaped total; notes "
         "if the width sweep shows a second descent",
    plot="bias², variance, total vs degree; test error vs width")
def bias_variance(torch, lab):
    # y = sin(pi x) + N(0, 0.3^2) at n = 30 inputs drawn uniformly on [-1, 1] once per seed (a
    # fixed design: with inputs redrawn, a few degree-15 fits explode between sparse points and
    # their mean is no longer a useful "average model"); 50 training sets redraw the noise
    # (independent sets, as the decomposition needs). Least squares on Chebyshev features of
    # degree 1..15 (float64), decomposed on 200 grid points spanning the inputs
    import math as _m
    degrees = list(range(1, 16))
    sigma, n, sets = 0.3, 30, 50
    decomp = []
    for seed in lab.seeds:
        rng = lab.seed(seed)
        x0 = torch.from_numpy(rng.uniform(-1, 1, n))
        grid = torch.linspace(x0.min().item(), x0.max().item(), 200, dtype=torch.float64)
        truth = torch.sin(_m.pi * grid)
        x = x0.expand(sets, n)
        y = torch.sin(_m.pi * x) + sigma * torch.from_numpy(rng.standard_normal((sets, n)))
        rows = {"bias2": [], "variance": [], "total": []}
        for d in degrees:
            coef = torch.linalg.lstsq(_chebyshev(torch, x, d), y[..., None]).solution  # (50, d+1, 1)
            pred = (_chebyshev(torch, grid, d) @ coef)[..., 0]                          # (50, 200)
            mean = pred.mean(0)
            var = ((pred - mean) ** 2).sum(0).mean().item() / (sets - 1)
            # (mean - truth)^2 also holds the mean's own noise, var / sets on average: removed
            rows["bias2"].append(((mean - truth) ** 2).mean().item() - var / sets)
            rows["variance"].append(var)
            rows["total"].append(rows["bias2"][-1] + rows["variance"][-1] + sigma ** 2)
        decomp.append(rows)
    # MLP width sweep on 500 MNIST images, trained long enough to fit them
    Xtr, ytr, Xte, yte = lab.mnist(500, 1000)
    widths = [4, 32, 256] if lab.quick else [2, 4, 8, 16, 32, 64, 128, 256, 1024]
    epochs = 15 if lab.quick else 40
    width_err = []
    for seed in lab.seeds[:1 if lab.quick else 2]:
        errs = []
        for w in widths:
            rng = lab.seed(seed)
            model = mlp(torch, [784, w, 10])
            fit(torch, model, torch.optim.Adam(model.parameters(), lr=1e-3), Xtr, ytr, epochs, 32,
                rng)
            errs.append(1 - accuracy(torch, model, Xte, yte))
        width_err.append(errs)
    lab.record(degrees=degrees, decomposition=decomp, widths=widths, width_test_error=width_err)
    fig, axes = lab.figure(1, 2)
    m = {k: [_mean([r[k][i] for r in decomp]) for i in range(len(degrees))]
         for k in ("bias2", "variance", "total")}
    for k, v in m.items():
        axes[0].semilogy(degrees, [max(x, 1e-6) for x in v], "o-", label=k)
    axes[0].set_xlabel("polynomial degree"); axes[0].legend()
    for errs in width_err:
        axes[1].semilogx(widths, errs, "o-")
    axes[1].set_xlabel("hidden width"); axes[1].set_ylabel("test error (500 training images)")
    best = [degrees[min(range(len(degrees)), key=lambda i: r["total"][i])] for r in decomp]
    med = lambda v: sorted(v)[len(v) // 2]
    checks = {f"bias² falls with degree ({m['bias2'][0]:.3f} at degree 1; median over degrees "
              f"8-15 {med(m['bias2'][7:]):.4f}, below 1/10 of it on every seed)":
                  all(med(r["bias2"][7:]) < 0.1 * r["bias2"][0] for r in decomp),
              f"variance rises with degree ({m['variance'][0]:.4f} -> {m['variance'][-1]:.3g}, "
              f"5x or more on every seed)":
                  all(r["variance"][-1] > 5 * r["variance"][0] for r in decomp),
              f"the total is U-shaped: lowest at degree {', '.join(map(str, best))}, above it at "
              f"both ends": all(1 < b < 15 for b in best)}
    mid = [max(e[1:-1]) > max(e[0], e[-1]) for e in width_err]
    note = (f"Width sweep (test error): " + "; ".join(
        ", ".join(f"{w}: {e:.3f}" for w, e in zip(widths, errs)) for errs in width_err)
        + (". A bump between the ends: a second descent may show." if any(mid) else
           ". No second descent at these widths: the error only falls with width."))
    return all_of(checks, because="Low degrees underfit (bias), high degrees overfit (variance).",
                  note=note)
