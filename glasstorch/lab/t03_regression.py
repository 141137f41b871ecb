"""Topic 3: linear, logistic and softmax regression. One function per experiment."""
from .catalog import experiment
from .common import minibatches, mlp
from .verdict import all_of, compare, confirmed, depends, refuted


@experiment(
    id="l1-vs-l2-regression-loss", topic=3,
    question="Why does linear regression use squared error rather than absolute error?",
    claim="absolute error has no derivative at zero [a]",
    test="Refuted as the deciding reason if L1 trains fine (subgradient at the kink) and wins "
         "under outliers; MSE's real advantages (closed form, gradient shrinking near the optimum) "
         "are shown",
    flag="≈ the kink is harmless; the real trade-off is outlier robustness vs smooth, shrinking "
         "gradients",
    plot="fitted lines over the data; slope error per loss")
def l1_vs_l2_regression_loss(torch, lab):
    F = torch.nn.functional
    x0 = torch.zeros(1, requires_grad=True)
    torch.abs(x0).sum().backward()                     # the gradient at the kink
    grad_at_kink = x0.grad.item()
    losses = {"MSE": F.mse_loss, "L1": F.l1_loss, "Huber": F.huber_loss}
    epochs = 30 if lab.quick else 100
    slope_err = {f"{k} {o}": [] for k in list(losses) + ["MSE closed form"] for o in
                 ("clean", "10% outliers")}
    fits = {}
    for seed in lab.seeds:
        rng = lab.seed(seed)
        import numpy as np
        xs = rng.uniform(-1, 1, 200)
        ys = 2 * xs + 1 + 0.1 * rng.standard_normal(200)
        for outl in ("clean", "10% outliers"):
            yv = ys.copy()
            if outl != "clean":
                far_right = np.argsort(xs)[-40:]            # gross errors where x is large,
                yv[rng.choice(far_right, 20, replace=False)] -= 10.0   # so they pull the slope
            X = torch.from_numpy(xs.astype(np.float32)).reshape(-1, 1)
            Y = torch.from_numpy(yv.astype(np.float32)).reshape(-1, 1)
            # the closed form (least squares); NumPy's lstsq: glasstorch has no torch.linalg yet
            sol = np.linalg.lstsq(np.c_[xs, np.ones(200)], yv, rcond=None)[0]
            slope_err[f"MSE closed form {outl}"].append(abs(sol[0] - 2))
            for name, loss_fn in losses.items():
                model = torch.nn.Linear(1, 1)
                opt = torch.optim.SGD(model.parameters(), lr=0.05)
                sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1 / (1 + e / 10))
                for _ in range(epochs):
                    for idx in minibatches(torch, 200, 20, rng):
                        loss = loss_fn(model(X[idx]), Y[idx])
                        opt.zero_grad(); loss.backward(); opt.step()
                    sched.step()
                slope_err[f"{name} {outl}"].append(abs(model.weight.item() - 2))
                if seed == lab.seeds[0]:
                    fits[f"{name} {outl}"] = (model.weight.item(), model.bias.item())
            if seed == lab.seeds[0]:
                fits[f"data {outl}"] = (xs.tolist(), yv.tolist())
    lab.record(grad_of_abs_at_zero=grad_at_kink, slope_error=slope_err,
               fitted_lines_first_seed={k: v for k, v in fits.items() if "data" not in k})
    fig, axes = lab.figure(1, 2)
    for ax, outl in zip(axes, ("clean", "10% outliers")):
        xs, yv = fits[f"data {outl}"]
        ax.plot(xs, yv, ".", ms=3, color="gray")
        for name in losses:
            w, b = fits[f"{name} {outl}"]
            ax.plot([-1, 1], [b - w, b + w], label=f"{name}: slope {w:.2f}")
        ax.set_title(outl); ax.legend(fontsize=7); ax.set_ylim(-9, 5)
    mean = lambda k: sum(slope_err[k]) / len(slope_err[k])
    robust = compare("L1", slope_err["L1 10% outliers"], "MSE", slope_err["MSE 10% outliers"],
                     higher_is_better=False)
    checks = {f"autograd returns a finite subgradient at the kink ({grad_at_kink})":
                  grad_at_kink == 0.0,
              f"L1 trains fine on clean data (slope error {mean('L1 clean'):.3f} < 0.05)":
                  mean("L1 clean") < 0.05,
              f"L1 beats MSE under outliers ({robust})": robust.winner == "L1"}
    text = ("; ".join(checks) + f". MSE's closed form gives slope error "
            f"{mean('MSE closed form clean'):.3f} without any iteration.")
    if all(checks.values()):
        return refuted("The kink does not decide: " + text, checks)
    return confirmed(text, checks)


@experiment(
    id="mean-vs-sum-loss", topic=3,
    question="Why average the loss over the batch instead of summing it?",
    claim="averaging keeps the gradient's size independent of batch size so the lr can stay; "
          "summing equals dividing the lr by n [a]",
    test="Confirmed if the summed gradient grows ∝ B and diverges at large B while 'sum, lr/B' "
         "matches 'mean' exactly; the Lab adds that Adam is indifferent to the choice",
    plot="grad norm vs batch (log-log); final loss per reduction × batch × optimizer")
def mean_vs_sum_loss(torch, lab):
    F = torch.nn.functional
    X, y, _, _ = lab.mnist(1000 if lab.quick else 4000, 1)
    batches = [8, 64, 512] if lab.quick else [8, 32, 128, 512, 1024]
    norms = {"sum": [], "mean": []}
    lab.seed(0)
    model = torch.nn.Linear(784, 10)
    for B in batches:
        for red in norms:
            model.zero_grad()
            F.cross_entropy(model(X[:B]), y[:B], reduction=red).backward()
            norms[red].append(model.weight.grad.norm().item())
    final = {}
    params = {}
    for B in batches:
        for setting in ("SGD mean", "SGD sum", "SGD sum lr/B", "Adam mean", "Adam sum"):
            rng = lab.seed(1)
            model = torch.nn.Linear(784, 10)
            red = "sum" if "sum" in setting else "mean"
            lr = 0.1 / B if "lr/B" in setting else 0.1
            opt = (torch.optim.Adam(model.parameters(), lr=1e-3) if "Adam" in setting
                   else torch.optim.SGD(model.parameters(), lr=lr))
            for _ in range(2):                 # full batches only: a short one breaks sum = B*mean
                for idx in minibatches(torch, len(X), B, rng, drop_last=True):
                    loss = F.cross_entropy(model(X[idx]), y[idx], reduction=red)
                    opt.zero_grad(); loss.backward(); opt.step()
            with torch.no_grad():
                v = F.cross_entropy(model(X), y).item()
            final[f"{setting} B={B}"] = v if v == v else float("inf")
            params[f"{setting} B={B}"] = model.weight.detach().clone()
    same_sgd = max((params[f"SGD sum lr/B B={B}"] - params[f"SGD mean B={B}"]).abs().max().item()
                   for B in batches)
    same_adam = max(abs(final[f"Adam sum B={B}"] / final[f"Adam mean B={B}"] - 1)
                    for B in batches)
    ratio = [s / m for s, m in zip(norms["sum"], norms["mean"])]
    lab.record(batches=batches, grad_norm=norms, sum_over_mean=ratio, final_train_loss=final,
               max_param_diff_sum_lrB_vs_mean=same_sgd, max_rel_loss_diff_adam_sum_vs_mean=same_adam)
    fig, axes = lab.figure(1, 2)
    axes[0].loglog(batches, norms["sum"], "o-", label="sum"); axes[0].loglog(batches, norms["mean"], "s-", label="mean")
    axes[0].set_xlabel("batch B"); axes[0].set_ylabel("weight-gradient norm"); axes[0].legend()
    keys = ["SGD mean", "SGD sum", "SGD sum lr/B", "Adam mean", "Adam sum"]
    for k in keys:
        axes[1].semilogx(batches, [min(final[f"{k} B={B}"], 20) for B in batches], "o-", label=k)
    axes[1].set_xlabel("batch B"); axes[1].set_ylabel("train loss after 2 epochs (capped 20)")
    axes[1].legend(fontsize=7)
    big = batches[-1]
    checks = {f"summed gradient ∝ B (sum/mean = {', '.join(f'{r:.0f}' for r in ratio)})":
                  all(abs(r / B - 1) < 0.01 for r, B in zip(ratio, batches)),
              f"sum at lr 0.1 is much worse at B={big} ({final[f'SGD sum B={big}']:.3g} vs mean "
              f"{final[f'SGD mean B={big}']:.3g})":
                  final[f"SGD sum B={big}"] > 2 * final[f"SGD mean B={big}"],
              f"'sum, lr/B' matches 'mean' (max weight difference {same_sgd:.1e})": same_sgd < 1e-4,
              f"Adam is indifferent (final losses within {100 * same_adam:.2f}% < 2%)":
                  same_adam < 0.02}
    return all_of(checks)


@experiment(
    id="linear-vs-logistic-classifier", topic=3,
    question="What is the difference between linear and logistic regression?",
    claim="logistic regression is the linear model passed through a sigmoid, turning a "
          "regression tool into a classifier [a,b]",
    test="Confirmed that both use the same linear score; shows why the log loss matters: the "
         "least-squares boundary is dragged toward a far cluster of correct points, logistic "
         "barely moves",
    plot="decision boundaries before/after the extra cluster; accuracy")
def linear_vs_logistic_classifier(torch, lab):
    import numpy as np
    F = torch.nn.functional
    acc = {k: [] for k in ("least squares before", "least squares after", "logistic before",
                           "logistic after")}
    lines = {}
    steps = 300 if lab.quick else 1000
    for seed in lab.seeds:
        rng = lab.seed(seed)
        a = rng.normal([-1.0, 0.0], 0.6, (100, 2)); b = rng.normal([1.0, 0.0], 0.6, (100, 2))
        far = rng.normal([12.0, 0.0], 0.5, (100, 2))               # class 1, far and correct
        base_x = np.r_[a, b].astype(np.float32); base_y = np.r_[np.zeros(100), np.ones(100)]
        Xb, Yb = torch.from_numpy(base_x), torch.from_numpy(base_y.astype(np.float32))
        for when, xs, ys in (("before", base_x, base_y),
                             ("after", np.r_[base_x, far].astype(np.float32),
                              np.r_[base_y, np.ones(100)])):
            X = torch.from_numpy(xs); Y = torch.from_numpy(ys.astype(np.float32))
            # least squares on 0/1 labels (NumPy's lstsq: glasstorch has no torch.linalg yet)
            w_ls = torch.from_numpy(np.linalg.lstsq(np.c_[xs, np.ones(len(xs))], ys,
                                                    rcond=None)[0].astype(np.float32))
            model = torch.nn.Linear(2, 1)
            opt = torch.optim.Adam(model.parameters(), lr=0.05)
            for _ in range(steps):
                loss = F.binary_cross_entropy_with_logits(model(X).reshape(-1), Y)
                opt.zero_grad(); loss.backward(); opt.step()
            with torch.no_grad():
                s_ls = torch.cat([Xb, torch.ones(200, 1)], 1) @ w_ls     # the same linear score...
                s_lr = model(Xb).reshape(-1)                           # ...thresholded
                acc[f"least squares {when}"].append(((s_ls > 0.5).float() == Yb).float().mean().item())
                acc[f"logistic {when}"].append(((s_lr > 0).float() == Yb).float().mean().item())
            if seed == lab.seeds[0]:
                w = model.weight.detach().reshape(-1)
                lines[when] = {"least squares": w_ls.tolist(),
                               "logistic": [w[0].item(), w[1].item(), model.bias.item()],
                               "points": xs.tolist(), "labels": ys.tolist()}
    lab.record(accuracy_on_original_points=acc,
               boundaries_first_seed={k: {m: v[m] for m in ("least squares", "logistic")}
                                      for k, v in lines.items()})
    fig, axes = lab.figure(1, 2)
    for ax, when in zip(axes, ("before", "after")):
        pts, lab_ = np.array(lines[when]["points"]), np.array(lines[when]["labels"])
        ax.scatter(pts[:, 0], pts[:, 1], c=lab_, s=5, cmap="coolwarm")
        yy = np.linspace(-3, 3, 2)                  # boundaries are near vertical: x as f(y)
        w1, w2, c = lines[when]["least squares"]
        ax.plot((0.5 - c - w2 * yy) / w1, yy, label="least squares (score = 0.5)")
        w1, w2, c = lines[when]["logistic"]
        ax.plot((-c - w2 * yy) / w1, yy, "--", label="logistic (score = 0)")
        ax.set_xlim(-4, 14); ax.set_title(f"{when} the far cluster"); ax.legend(fontsize=7)
    m = lambda k: sum(acc[k]) / len(acc[k])
    drop_ls = m("least squares before") - m("least squares after")
    drop_lr = m("logistic before") - m("logistic after")
    checks = {f"least squares is dragged: accuracy on the original points drops "
              f"{100 * drop_ls:.1f} points": drop_ls > 0.05,
              f"logistic barely moves: drops {100 * drop_lr:.1f} points": drop_lr < 0.02}
    return all_of(checks, "Both classify by the sign of one linear score; the log loss does not "
                  "punish correct points for being far from the boundary, squared error does.")


@experiment(
    id="multiclass-logistic-output", topic=3,
    question="For several classes, what does logistic regression output?",
    claim="one-vs-rest probabilities, each class against all others [a]; softmax regression "
          "generalizes logistic regression [b]",
    test="Depends: one-vs-rest is a valid scheme but its scores do not sum to 1; softmax gives a "
         "distribution; the verdict reports accuracy and calibration of each",
    flag="≈ the usual multi-class model (what cross-entropy trains) is the softmax, whose "
         "outputs sum to 1",
    plot="histogram of per-sample probability sums; reliability diagram")
def multiclass_logistic_output(torch, lab):
    F = torch.nn.functional
    Xtr, ytr, Xte, yte = lab.digits()
    steps = 150 if lab.quick else 500
    res = {"one-vs-rest": {"acc": [], "nll": [], "ece": [], "sum_dev": []},
           "softmax": {"acc": [], "nll": [], "ece": [], "sum_dev": []}}
    sums_first = {}
    for seed in lab.seeds:
        lab.seed(seed)
        for scheme in res:
            model = torch.nn.Linear(64, 10)
            opt = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=1e-4)
            for _ in range(steps):
                z = model(Xtr)
                loss = (F.binary_cross_entropy_with_logits(z, F.one_hot(ytr, 10).float())
                        if scheme == "one-vs-rest" else F.cross_entropy(z, ytr))
                opt.zero_grad(); loss.backward(); opt.step()
            with torch.no_grad():
                z = model(Xte)
                p = torch.sigmoid(z) if scheme == "one-vs-rest" else F.softmax(z, 1)
                sums = p.sum(1)
                q = p / sums.reshape(-1, 1)            # normalized, to score NLL and calibration
                conf, pred = q.max(1)
                correct = (pred == yte).float()
                ece = 0.0
                for lo in range(10):
                    m = (conf > lo / 10) & (conf <= (lo + 1) / 10)
                    if m.any():
                        ece += m.float().mean().item() * abs(correct[m].mean().item() -
                                                             conf[m].mean().item())
                r = res[scheme]
                r["acc"].append(correct.mean().item())
                r["nll"].append(-torch.log(q[torch.arange(len(yte)), yte] + 1e-12).mean().item())
                r["ece"].append(ece)
                r["sum_dev"].append((sums - 1).abs().mean().item())
                if seed == lab.seeds[0]:
                    sums_first[scheme] = sums
    lab.record(results=res)
    fig, ax = lab.figure()
    ax.hist(sums_first["one-vs-rest"].numpy(), bins=30, alpha=0.7, label="one-vs-rest")
    ax.axvline(1.0, color="k", ls="--", label="softmax (always 1)")
    ax.set_xlabel("sum of the 10 class probabilities per test image"); ax.legend()
    m = lambda s, k: sum(res[s][k]) / len(res[s][k])
    acc = compare("softmax", res["softmax"]["acc"], "one-vs-rest", res["one-vs-rest"]["acc"])
    valid = m("one-vs-rest", "acc") > m("softmax", "acc") - 0.05
    sums_off = m("one-vs-rest", "sum_dev") > 0.02 and m("softmax", "sum_dev") < 1e-5
    text = (f"One-vs-rest accuracy {m('one-vs-rest', 'acc'):.3f} vs softmax "
            f"{m('softmax', 'acc'):.3f} ({acc}); one-vs-rest sums deviate from 1 by "
            f"{m('one-vs-rest', 'sum_dev'):.3f} on average (softmax {m('softmax', 'sum_dev'):.1e}); "
            f"after normalizing, NLL {m('one-vs-rest', 'nll'):.3f} vs {m('softmax', 'nll'):.3f}, "
            f"calibration error {m('one-vs-rest', 'ece'):.3f} vs {m('softmax', 'ece'):.3f}.")
    checks = {"one-vs-rest is a valid classifier (within 5 points)": valid,
              "one-vs-rest scores do not sum to 1, softmax's do": sums_off}
    if valid and sums_off:
        return depends("reading 'probabilities' as per-class scores (valid) vs as a "
                       "distribution (only softmax)", text, checks)
    return (confirmed if valid else refuted)(text, checks)


@experiment(
    id="linear-boundaries-xor", topic=3,
    question="Is softmax regression a linear model? Why can't a perceptron learn XOR?",
    claim="softmax regression is linear because the argmax of affine scores decides [a]; a "
          "single-layer perceptron cannot do XOR, an MLP can, and layers without activations "
          "collapse to one linear map [a]",
    test="Confirmed if linear models stay near 50-75% on XOR and MLPs reach ~100%; also "
         "reports how often the 2-unit MLP gets stuck",
    plot="decision regions; success rate (accuracy > 95%) per model")
def linear_boundaries_xor(torch, lab):
    import numpy as np
    nn, F = torch.nn, torch.nn.functional
    n_seeds = 4 if lab.quick else 12
    steps = 300 if lab.quick else 600
    models = {"softmax regression": lambda: nn.Linear(2, 2),
              "3 linear layers": lambda: nn.Sequential(nn.Linear(2, 8), nn.Linear(8, 8),
                                                       nn.Linear(8, 2)),
              "MLP 2 hidden": lambda: mlp(torch, [2, 2, 2], "tanh"),
              "MLP 4 hidden": lambda: mlp(torch, [2, 4, 2], "tanh"),
              "MLP 8 hidden": lambda: mlp(torch, [2, 8, 2], "tanh")}
    accs = {k: [] for k in models}
    collapse = 0.0
    for seed in range(n_seeds):
        rng = lab.seed(seed)
        pts = rng.uniform(-1, 1, (400, 2))
        lbl = ((pts[:, 0] > 0) != (pts[:, 1] > 0)).astype(np.int64)
        pts = pts + 0.05 * rng.standard_normal(pts.shape)
        X, Y = torch.from_numpy(pts.astype(np.float32)), torch.from_numpy(lbl)
        for name, make in models.items():
            model = make()
            opt = torch.optim.Adam(model.parameters(), lr=0.05)
            for _ in range(steps):
                loss = F.cross_entropy(model(X), Y)
                opt.zero_grad(); loss.backward(); opt.step()
            with torch.no_grad():
                accs[name].append((model(X).argmax(1) == Y).float().mean().item())
            if name == "3 linear layers":
                with torch.no_grad():
                    W = model[2].weight @ model[1].weight @ model[0].weight
                    b = model[2].weight @ (model[1].weight @ model[0].bias + model[1].bias) + model[2].bias
                    collapse = max(collapse, (model(X) - (X @ W.T + b)).abs().max().item())
    # blobs: three linearly separable classes for softmax regression
    rng = lab.seed(100)
    centers = np.array([[0, 2], [-2, -1], [2, -1]])
    pts = np.concatenate([rng.normal(c, 0.5, (100, 2)) for c in centers]).astype(np.float32)
    lbl = np.repeat(np.arange(3), 100)
    Xb, Yb = torch.from_numpy(pts), torch.from_numpy(lbl)
    sm = nn.Linear(2, 3)
    opt = torch.optim.Adam(sm.parameters(), lr=0.05)
    for _ in range(steps):
        loss = F.cross_entropy(sm(Xb), Yb)
        opt.zero_grad(); loss.backward(); opt.step()
    blob_acc = (sm(Xb).argmax(1) == Yb).float().mean().item()
    success = {k: sum(a > 0.95 for a in v) / len(v) for k, v in accs.items()}
    lab.record(xor_accuracy=accs, success_rate=success, blobs_softmax_accuracy=blob_acc,
               linear_stack_vs_one_matrix_max_diff=collapse)
    fig, axes = lab.figure(1, 2)
    names = list(models)
    axes[0].bar(range(len(names)), [sum(accs[k]) / len(accs[k]) for k in names])
    axes[0].set_xticks(range(len(names)), [n.replace(" ", "\n", 1) for n in names], fontsize=7)
    axes[0].set_ylabel("XOR accuracy (mean over seeds)"); axes[0].axhline(0.95, ls="--", c="k")
    axes[1].bar(range(len(names)), [success[k] for k in names], color="C1")
    axes[1].set_xticks(range(len(names)), [n.replace(" ", "\n", 1) for n in names], fontsize=7)
    axes[1].set_ylabel("success rate (accuracy > 95%)")
    lin = max(max(accs["softmax regression"]), max(accs["3 linear layers"]))
    checks = {f"linear models stay below 80% on XOR (best {lin:.2f})": lin < 0.8,
              f"the 8-unit MLP succeeds in {success['MLP 8 hidden']:.0%} of seeds (>= 75%)":
                  success["MLP 8 hidden"] >= 0.75,
              f"softmax regression separates 3 blobs ({blob_acc:.3f} > 0.95)": blob_acc > 0.95,
              f"3 linear layers = one affine map (max diff {collapse:.1e})": collapse < 1e-4}
    return all_of(checks, note=f"The 2-unit MLP got stuck in {1 - success['MLP 2 hidden']:.0%} of "
                  "seeds.")


@experiment(
    id="mse-vs-ce-classification", topic=3,
    question="Can a softmax classifier be trained with MSE, or must it use cross-entropy?",
    claim="both work, but cross-entropy's gradient is steep while MSE on probabilities has flat "
          "regions where training stalls [a]",
    test="Confirmed if MSE's gradient vanishes on confident mistakes and it needs more epochs to "
         "reach CE's accuracy",
    plot="gradient magnitude vs logit margin; accuracy vs epoch")
def mse_vs_ce_classification(torch, lab):
    F = torch.nn.functional
    margins = [0, 1, 2, 4, 6, 8, 10]
    g = {"CE": [], "MSE": []}
    for m in margins:                        # true class 0, the model confidently says class 1
        for name in g:
            z = torch.tensor([[0.0, float(m)] + [0.0] * 8], requires_grad=True)
            target = torch.tensor([0])
            loss = (F.cross_entropy(z, target) if name == "CE" else
                    F.mse_loss(F.softmax(z, 1), F.one_hot(target, 10).float()))
            loss.backward()
            g[name].append(abs(z.grad[0, 0].item()))
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 4000, 1000)
    epochs = 3 if lab.quick else 6
    curves = {}
    best = {"CE": [], "MSE": []}
    for name in best:
        for lr in (0.1, 0.5, 2.0):
            for seed in lab.seeds:
                rng = lab.seed(seed)
                model = mlp(torch, [784, 64, 10])
                opt = torch.optim.SGD(model.parameters(), lr=lr)
                accs = []
                for _ in range(epochs):
                    for idx in minibatches(torch, len(Xtr), 16, rng):
                        z = model(Xtr[idx])
                        loss = (F.cross_entropy(z, ytr[idx]) if name == "CE" else
                                F.mse_loss(F.softmax(z, 1), F.one_hot(ytr[idx], 10).float()))
                        opt.zero_grad(); loss.backward(); opt.step()
                    with torch.no_grad():
                        accs.append((model(Xte).argmax(1) == yte).float().mean().item())
                curves[f"{name} lr={lr} seed={seed}"] = accs
    for name in ("CE", "MSE"):            # each loss at its best lr (mean over seeds, last epoch)
        lr = max((0.1, 0.5, 2.0), key=lambda r: sum(curves[f"{name} lr={r} seed={s}"][-1]
                                                   for s in lab.seeds))
        best[name] = [curves[f"{name} lr={lr} seed={s}"][-1] for s in lab.seeds]
        best[name + " lr"] = lr
    lab.record(margins=margins, grad_true_logit=g, accuracy_curves=curves,
               best_lr_final_accuracy=best)
    fig, axes = lab.figure(1, 2)
    axes[0].semilogy(margins, g["CE"], "o-", label="cross-entropy")
    axes[0].semilogy(margins, g["MSE"], "s-", label="MSE on softmax")
    axes[0].set_xlabel("wrong-class logit margin"); axes[0].set_ylabel("|dL/dz_true|"); axes[0].legend()
    for name, style in (("CE", "-"), ("MSE", "--")):
        lr = best[name + " lr"]
        axes[1].plot(range(1, epochs + 1), curves[f"{name} lr={lr} seed={lab.seeds[0]}"], style,
                     label=f"{name}, lr {lr}")
    axes[1].set_xlabel("epoch"); axes[1].set_ylabel("test accuracy"); axes[1].legend()
    first = compare("CE", best["CE"], "MSE", best["MSE"])
    checks = {f"MSE's gradient vanishes on a confident mistake ({g['MSE'][-1]:.1e} vs CE "
              f"{g['CE'][-1]:.2f} at margin 10)": g["MSE"][-1] < 1e-3 * g["CE"][-1],
              f"CE is ahead after {epochs} epochs, each loss at its best lr ({first})": first.winner == "CE"}
    return all_of(checks)
