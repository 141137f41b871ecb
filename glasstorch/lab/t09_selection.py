"""Topic 9: model selection (k-fold, cross-validation estimators, class imbalance, ensembles).
One function per experiment, `fn(torch, lab)`; continued in t09_selection_b.py."""
import math

from .catalog import experiment
from .common import minibatches
from .verdict import all_of, compare, confirmed, depends, refuted


def _mean(v):
    return sum(v) / len(v)


def _digits_mlp(torch, width):
    nn = torch.nn
    return nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, 10))


def _fit_full_batch(torch, model, X, y, steps, wd, lr=1e-2):
    """Full-batch Adam: the cheapest deterministic training for the 8x8 digits (~1,000 images)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd)
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def _probs(torch, model, X):
    model.eval()
    with torch.no_grad():
        return torch.softmax(model(X), 1)


def _acc(p, y):
    return (p.argmax(1) == y).float().mean().item()


# ---------------------------------------------------------------------------------------------
@experiment(
    id="kfold-final-model", topic=9,
    question="What is k-fold for, and do I retrain after picking hyperparameters?",
    claim="it is for choosing hyperparameters; then retrain on everything, or keep the best "
          "fold's model (which saw less data), or average all k models (costly but steadier) [a]",
    test="Confirmed if average ≥ retrain ≥ best fold on average; the best fold's score shown to "
         "be optimistic",
    flag="≈ picking the \"best\" fold selects on noise",
    plot="test accuracy bars; cost in fits; best fold's CV score vs its test score")
def kfold_final_model(torch, lab):
    # sizes shrunk to fit the budget: a 2x2 grid (quick: 2 widths), full-batch Adam; one random
    # train/test split of the digits per seed (3 splits in full mode)
    k = 5
    steps = 80 if lab.quick else 150
    grid = ([(16, 0.0), (64, 0.0)] if lab.quick else
            [(16, 0.0), (16, 1e-3), (64, 0.0), (64, 1e-3)])
    final = {"retrain on all": [], "best fold's model": [], "average of k fold models": []}
    best_fold_cv, best_fold_test, chosen = [], [], []
    for seed in lab.seeds:
        Xtr, ytr, Xte, yte = lab.digits(split=0.7, seed=seed)      # a new random split
        rng = lab.seed(seed)
        folds = [torch.from_numpy(f) for f in _folds(rng, len(ytr), k)]
        cv = {}
        for width, wd in grid:
            models, scores = [], []
            for i in range(k):
                val = folds[i]
                tr = torch.cat([folds[j] for j in range(k) if j != i])
                m = _fit_full_batch(torch, _digits_mlp(torch, width), Xtr[tr], ytr[tr], steps, wd)
                models.append(m)
                scores.append(_acc(_probs(torch, m, Xtr[val]), ytr[val]))
            cv[(width, wd)] = (_mean(scores), scores, models)
        best = max(cv, key=lambda c: cv[c][0])
        chosen.append(list(best))
        _, scores, models = cv[best]
        full = _fit_full_batch(torch, _digits_mlp(torch, best[0]), Xtr, ytr, steps, best[1])
        final["retrain on all"].append(_acc(_probs(torch, full, Xte), yte))
        i_best = max(range(k), key=lambda i: scores[i])
        best_fold_cv.append(scores[i_best])
        best_fold_test.append(_acc(_probs(torch, models[i_best], Xte), yte))
        final["best fold's model"].append(best_fold_test[-1])
        avg = sum(_probs(torch, m, Xte) for m in models) / k
        final["average of k fold models"].append(_acc(avg, yte))
    fits = {"retrain on all": k * len(grid) + 1, "best fold's model": k * len(grid),
            "average of k fold models": k * len(grid)}
    lab.record(test_accuracy=final, best_fold_cv_score=best_fold_cv,
               best_fold_test_score=best_fold_test, chosen_width_wd=chosen, fits=fits,
               predictions_per_test_image={"retrain on all": 1, "best fold's model": 1,
                                           "average of k fold models": k})
    fig, axes = lab.figure(1, 3)
    names = list(final)
    axes[0].bar(range(3), [_mean(final[n]) for n in names],
                yerr=[max(final[n]) - min(final[n]) for n in names])
    axes[0].set_ylim(0.85, 1); axes[0].set_ylabel("test accuracy (bar: seed range)")
    axes[0].set_xticks(range(3), ["retrain", "best fold", "average"], fontsize=8)
    axes[1].bar(range(3), [fits[n] for n in names]); axes[1].set_ylabel("fits (training runs)")
    axes[1].set_xticks(range(3), ["retrain", "best fold", "average"], fontsize=8)
    axes[2].plot(best_fold_cv, best_fold_test, "o"); axes[2].plot([0.9, 1], [0.9, 1], "k--")
    axes[2].set_xlabel("best fold's CV score"); axes[2].set_ylabel("its test score")
    c1 = compare("average", final["average of k fold models"], "retrain",
                 final["retrain on all"])
    c2 = compare("retrain", final["retrain on all"], "best fold", final["best fold's model"])
    optimism = [a - b for a, b in zip(best_fold_cv, best_fold_test)]
    checks = {f"average ≥ retrain ({c1})": c1.winner != "retrain",
              f"retrain ≥ best fold ({c2})": c2.winner != "best fold",
              f"the best fold's CV score is optimistic (CV minus test {_mean(optimism):+.3f} on "
              f"average; per split {', '.join(f'{o:+.3f}' for o in optimism)})":
                  _mean(optimism) > 0}
    return all_of(checks, because="The best fold's model is the one whose validation fold "
                  "happened to be easiest: its score is selected noise.",
                  note=f"Cost: {fits['retrain on all']} fits for retraining, "
                       f"{fits['average of k fold models']} fits but {k} predictions per image "
                       f"for the average.")


def _folds(rng, n, k):
    order = rng.permutation(n)
    return [order[i::k] for i in range(k)]


# ---------------------------------------------------------------------------------------------
def _batched_logreg(torch, X, y, masks, wds, steps, lr=0.1, features=None):
    """Train K softmax regressions at once: model i sees the rows where masks[i] is 1 (and the
    pixels where features[i] is 1) and has L2 strength wds[i]. X (n, d), masks (K, n): weights
    (K, d, C); returns the (K, n, C) logits."""
    K, (n, d) = masks.shape[0], X.shape
    W = torch.zeros(K, d, 10, requires_grad=True)
    if features is not None:                     # a pixel a model may not use stays at zero
        W.register_hook(lambda g: g * features[:, :, None])
    b = torch.zeros(K, 1, 10, requires_grad=True)
    opt = torch.optim.Adam([W, b], lr=lr)
    yk = y.repeat(K)
    for _ in range(steps):
        logits = torch.matmul(X, W) + b                              # (K, n, 10)
        nll = torch.nn.functional.cross_entropy(logits.reshape(K * n, 10), yk,
                                                reduction="none").reshape(K, n)
        per_model = (nll * masks).sum(1) / masks.sum(1) + wds * (W * W).sum((1, 2))
        opt.zero_grad()
        per_model.sum().backward()                  # the models are independent: sum is fine
        opt.step()
    with torch.no_grad():
        return torch.matmul(X, W) + b


@experiment(
    id="cv-estimators", topic=9,
    question="How do hold-out, k-fold and leave-one-out compare?",
    claim="leave-one-out trains on n−1 samples, so its estimate is the least biased, at great "
          "cost; with little data, cross-validation can stand in for both validation and test "
          "[a]",
    test="Low bias confirmed if LOO's mean error ≈ truth; its spread compared with 10-fold's; "
         "cost linear in n",
    flag="≈ a CV score used for selection is not a test score; LOO's variance is not lower than "
         "10-fold's",
    plot="box plots of (estimate − truth); seconds per estimator")
def cv_estimators(torch, lab):
    # every model of one resample (hold-out, 5-fold, 10-fold, leave-one-out, the truth model, and
    # a 10-fold search over 5 L2 strengths) is trained at once as a batch of softmax regressions
    import time
    n = 100
    resamples = 4 if lab.quick else 20
    steps = 60 if lab.quick else 150
    Xa, ya, Xb, yb = lab.digits(split=0.5, seed=0)
    X_all, y_all = torch.cat([Xa, Xb]), torch.cat([ya, yb])
    wd = 1e-3
    n_subsets, n_pixels = 10, 20
    errs = {"hold-out 70/30": [], "5-fold": [], "10-fold": [], "leave-one-out": []}
    truth, sel_cv, sel_truth, seconds = [], [], [], {"k-fold and hold-out": 0.0, "leave-one-out": 0.0}
    fits = {"hold-out 70/30": 1, "5-fold": 5, "10-fold": 10, "leave-one-out": n}
    for r in range(resamples):
        rng = lab.seed(lab.seeds[r % len(lab.seeds)] * 1000 + r)
        perm = torch.from_numpy(rng.permutation(len(y_all)))
        X, y = X_all[perm[:n]], y_all[perm[:n]]
        Xr, yr = X_all[perm[n:]], y_all[perm[n:]]
        eye = torch.eye(n)
        folds5 = torch.from_numpy(rng.permutation(n) % 5)
        folds10 = torch.from_numpy(rng.permutation(n) % 10)
        hold = (torch.arange(n) < 70).float()
        # held-out masks (1 = validation row) of each model: rows of `val`
        val = torch.cat([(1 - hold)[None], torch.stack([(folds5 == i).float() for i in range(5)]),
                         torch.stack([(folds10 == i).float() for i in range(10)])])
        t0 = time.process_time()
        logits = _batched_logreg(torch, X, y, 1 - val, torch.full((len(val), 1), wd)[:, 0], steps)
        seconds["k-fold and hold-out"] += time.process_time() - t0
        wrong = (logits.argmax(2) != y).float()                           # (K, n)
        errs["hold-out 70/30"].append(((wrong[0] * val[0]).sum() / val[0].sum()).item())
        errs["5-fold"].append((wrong[1:6] * val[1:6]).sum().item() / n)
        errs["10-fold"].append((wrong[6:16] * val[6:16]).sum().item() / n)
        t0 = time.process_time()
        loo = _batched_logreg(torch, X, y, 1 - eye, torch.full((n,), wd), steps)
        seconds["leave-one-out"] += time.process_time() - t0
        errs["leave-one-out"].append((loo.argmax(2) != y).float().diagonal().mean().item())
        truth.append(_truth_error(torch, X, y, Xr, yr, wd, steps))
        # selection: 10-fold picks the best of 10 random subsets of 20 pixels (a feature search),
        # then the chosen subset's true error
        subsets = torch.stack([torch.from_numpy((rng.permutation(64) < n_pixels) * 1.0).float()
                               for _ in range(n_subsets)])
        feats = subsets.repeat_interleave(10, 0)
        s_logits = _batched_logreg(torch, X, y, 1 - torch.cat([val[6:16]] * n_subsets),
                                   torch.full((10 * n_subsets,), wd), steps, features=feats)
        s_wrong = (s_logits.argmax(2) != y).float()
        cv_err = [(s_wrong[10 * j:10 * j + 10] * val[6:16]).sum().item() / n
                  for j in range(n_subsets)]
        j = min(range(n_subsets), key=lambda i: cv_err[i])
        sel_cv.append(cv_err[j])
        sel_truth.append(_truth_error(torch, X, y, Xr, yr, wd, steps, subsets[j]))
    bias = {k: [e - t for e, t in zip(v, truth)] for k, v in errs.items()}
    sd = {k: math.sqrt(sum((b - _mean(v)) ** 2 for b in v) / (len(v) - 1)) for k, v in bias.items()}
    optimism = [t - c for c, t in zip(sel_cv, sel_truth)]
    lab.record(errors=errs, truth=truth, estimate_minus_truth=bias, sd_of_estimate_minus_truth=sd,
               fits=fits, cpu_seconds=seconds, selected_cv_error=sel_cv,
               selected_true_error=sel_truth, n=n, resamples=resamples)
    fig, axes = lab.figure(1, 2)
    axes[0].boxplot([bias[k] for k in errs])
    axes[0].set_xticks(range(1, 5), ["hold-out", "5-fold", "10-fold", "LOO"])
    axes[0].axhline(0, c="k", ls="--"); axes[0].set_ylabel("estimate − true error")
    axes[1].bar(range(4), [fits[k] for k in errs]); axes[1].set_yscale("log")
    axes[1].set_xticks(range(4), ["hold-out", "5-fold", "10-fold", "LOO"])
    axes[1].set_ylabel(f"fits per estimate (n = {n})")
    sem = lambda v: math.sqrt(sum((x - _mean(v)) ** 2 for x in v) / (len(v) - 1) / len(v))
    b_loo, b_hold = _mean(bias["leave-one-out"]), _mean(bias["hold-out 70/30"])
    loo_ok = {f"LOO's mean error ≈ truth (bias {b_loo:+.3f}, within 0.02 or 2 standard errors "
              f"{2 * sem(bias['leave-one-out']):.3f})":
                  abs(b_loo) < max(0.02, 2 * sem(bias["leave-one-out"])),
              f"hold-out (trained on 70) is more pessimistic ({b_hold:+.3f})": b_hold > b_loo,
              f"LOO costs n = {n} fits, 10x the 10-fold's": fits["leave-one-out"] == n}
    note = (f"Spread (sd of estimate − truth): LOO {sd['leave-one-out']:.3f} vs 10-fold "
            f"{sd['10-fold']:.3f}, 5-fold {sd['5-fold']:.3f}, hold-out "
            f"{sd['hold-out 70/30']:.3f}. The 10-fold score of the best of {n_subsets} random "
            f"{n_pixels}-pixel subsets "
            f"understates that model's true error by {_mean(optimism):+.3f} on average "
            f"(standard error {sem(optimism):.3f}).")
    if not all(loo_ok.values()):
        return all_of(loo_ok, note=note)
    optimistic = _mean(optimism) > 2 * sem(optimism)
    checks = dict(loo_ok, **{"a CV score used for selection is optimistic": optimistic})
    if optimistic:
        return depends("the CV score estimates a model fixed in advance, not the winner of a "
                       "search on the same folds",
                       "LOO is nearly unbiased and costs n fits, but a CV score used to select "
                       "cannot also serve as the test score. " + note, checks)
    return confirmed("; ".join(loo_ok) + ". " + note, checks)


def _truth_error(torch, X, y, Xr, yr, wd, steps, features=None):
    """The true error of the model trained on all n samples, on the ~1,700 images left over."""
    if features is not None:
        X, Xr = X * features, Xr * features
    W = torch.zeros(64, 10, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    opt = torch.optim.Adam([W, b], lr=0.1)
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(X @ W + b, y) + wd * (W * W).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return ((Xr @ W + b).argmax(1) != yr).float().mean().item()


# ---------------------------------------------------------------------------------------------
def _binary_metrics(torch, p, y, threshold=0.5):
    """accuracy, balanced accuracy, minority recall/precision/F1, ROC-AUC, Brier score."""
    pred, yf = (p >= threshold).float(), y.float()
    tp = (pred * yf).sum().item()
    fp = (pred * (1 - yf)).sum().item()
    fn = ((1 - pred) * yf).sum().item()
    tn = ((1 - pred) * (1 - yf)).sum().item()
    recall, spec = tp / max(tp + fn, 1), tn / max(tn + fp, 1)
    precision = tp / max(tp + fp, 1)
    pos, neg = p[y == 1], p[y == 0]
    auc = ((pos[:, None] > neg[None, :]).float().mean()
           + 0.5 * (pos[:, None] == neg[None, :]).float().mean()).item()
    ece = 0.0                                   # expected calibration error, 10 bins
    for i in range(10):
        m = (p >= i / 10) & ((p < (i + 1) / 10) if i < 9 else (p <= 1))
        if m.sum().item() > 0:
            ece += m.float().mean().item() * abs(p[m].mean().item() - yf[m].mean().item())
    return {"accuracy": (tp + tn) / len(y), "balanced accuracy": (recall + spec) / 2,
            "calibration error": ece, "mean predicted probability": p.mean().item(),
            "minority recall": recall, "minority precision": precision,
            "minority F1": 2 * precision * recall / max(precision + recall, 1e-12),
            "ROC-AUC": auc, "Brier": ((p - yf) ** 2).mean().item()}


@experiment(
    id="imbalance-train-ratio", topic=9,
    question="Real data is 1:9; should training data be 1:1 or 1:9?",
    claim="lean toward 1:1 by copying or weighting so the model doesn't favour the big class [a]",
    test="Depends: rebalancing raises minority recall but miscalibrates probabilities; a tuned "
         "threshold reaches similar F1; AUC barely moves",
    flag="≈ rebalancing mostly moves the decision threshold; moving the threshold directly often "
         "does the same",
    plot="accuracy, balanced accuracy, minority F1, ROC-AUC, Brier score; reliability diagram")
def imbalance_train_ratio(torch, lab):
    # "is it a 9?" on the digits: about 1 positive for 9 negatives, trained and tested at that
    # natural ratio; a logistic regression on the digits pooled to 4x4 (16 features: the classes
    # overlap, so probabilities and thresholds matter).
    # One fixed train/test split: the seeds vary the initialization and the batch order
    nn, F = torch.nn, torch.nn.functional
    data = torch.utils.data
    epochs = 10 if lab.quick else 30
    strategies = ("natural 1:9", "oversampled 1:1", "class-weighted loss",
                  "natural + tuned threshold")
    res = {s: [] for s in strategies}
    thresholds, base_rate, reliability = [], [], {s: None for s in strategies[:3]}
    for seed in lab.seeds:
        Xtr, ytr10, Xte, yte10 = lab.digits(split=0.7, seed=0)
        Xtr, Xte = (F.avg_pool2d(X.reshape(-1, 1, 8, 8), 2).reshape(-1, 16) for X in (Xtr, Xte))
        ytr, yte = (ytr10 == 9).long(), (yte10 == 9).long()
        n_fit = int(0.8 * len(ytr))                    # the rest tunes the threshold
        Xf, yf, Xv, yv = Xtr[:n_fit], ytr[:n_fit], Xtr[n_fit:], ytr[n_fit:]
        n_pos = yf.sum().item()
        base_rate.append(yte.float().mean().item())
        probs = {}
        for s in strategies[:3]:
            rng = lab.seed(seed)
            model = nn.Linear(16, 1)
            opt = torch.optim.SGD(model.parameters(), lr=0.5)
            total = epochs * math.ceil(len(yf) / 32)         # lr decays linearly to 0: the last
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 - t / total)   # batches
            # (of the oversampled run especially) do not swing the final probabilities
            pos_weight = torch.tensor([(len(yf) - n_pos) / n_pos]) if s.startswith("class") else None
            if s.startswith("oversampled"):            # each class drawn with probability 1/2
                w = torch.where(yf == 1, 0.5 / n_pos, 0.5 / (len(yf) - n_pos)).double()
                sampler = data.WeightedRandomSampler(w, len(yf))
                batches = lambda: ((Xf[i], yf[i]) for i in
                                   torch.tensor(list(sampler)).split(32))
            else:
                batches = lambda: ((Xf[i], yf[i]) for i in minibatches(torch, len(yf), 32, rng))
            for _ in range(epochs):
                for xb, yb in batches():
                    loss = F.binary_cross_entropy_with_logits(model(xb)[:, 0], yb.float(),
                                                              pos_weight=pos_weight)
                    opt.zero_grad(); loss.backward(); opt.step(); sched.step()
            with torch.no_grad():
                probs[s] = torch.sigmoid(model(Xte)[:, 0])
                if s.startswith("natural"):
                    pv = torch.sigmoid(model(Xv)[:, 0])
            res[s].append(_binary_metrics(torch, probs[s], yte))
            if reliability[s] is None:
                reliability[s] = _reliability(torch, probs[s], yte)
        # threshold tuned for F1 on the held-out part of the training data
        grid = [i / 100 for i in range(5, 96, 5)]
        t_best = max(grid, key=lambda t: (_binary_metrics(torch, pv, yv, t)["minority F1"], -t))
        thresholds.append(t_best)
        res["natural + tuned threshold"].append(_binary_metrics(torch, probs["natural 1:9"], yte,
                                                                t_best))
    metric = lambda s, k: [r[k] for r in res[s]]
    mean = lambda s, k: _mean(metric(s, k))
    lab.record(metrics=res, tuned_thresholds=thresholds, reliability=reliability, epochs=epochs,
               test_base_rate=base_rate)
    fig, axes = lab.figure(1, 2, width=5)
    keys = ["accuracy", "balanced accuracy", "minority F1", "ROC-AUC", "Brier"]
    for i, s in enumerate(strategies):
        axes[0].bar([j + 0.2 * i for j in range(len(keys))], [mean(s, k) for k in keys], 0.2,
                    label=s)
    axes[0].set_xticks([j + 0.3 for j in range(len(keys))], keys, fontsize=7, rotation=20)
    axes[0].legend(fontsize=6)
    for s, (conf, freq) in reliability.items():
        axes[1].plot(conf, freq, "o-", label=s)
    axes[1].plot([0, 1], [0, 1], "k--"); axes[1].legend(fontsize=6)
    axes[1].set_xlabel("predicted probability (bin mean)"); axes[1].set_ylabel("fraction positive")
    rebal = ("oversampled 1:1", "class-weighted loss")
    recall = {s: compare(s, metric(s, "minority recall"), "natural",
                         metric("natural 1:9", "minority recall")) for s in rebal}
    brier = {s: compare(s, metric(s, "calibration error"), "natural",
                        metric("natural 1:9", "calibration error"), higher_is_better=False)
             for s in rebal}
    best = max(rebal, key=lambda s: mean(s, "minority F1"))
    f1 = compare("tuned threshold", metric("natural + tuned threshold", "minority F1"), best,
                 metric(best, "minority F1"))
    auc_gap = max(abs(mean(s, "ROC-AUC") - mean("natural 1:9", "ROC-AUC")) for s in rebal)
    helps = {f"rebalancing raises minority recall ({'; '.join(map(str, recall.values()))})":
                 all(c.winner == s for s, c in recall.items())}
    costs = {f"rebalancing miscalibrates: larger expected calibration error "
             f"({'; '.join(map(str, brier.values()))})":
                 all(c.winner == "natural" for c in brier.values()),
             f"a tuned threshold reaches similar F1, within 0.03 ({f1})":
                 f1.mean_a >= f1.mean_b - 0.03,
             f"AUC barely moves (largest change {auc_gap:.3f} < 0.02)": auc_gap < 0.02}
    checks = dict(helps, **costs)
    note = (f"Tuned thresholds {', '.join(f'{t:.2f}' for t in thresholds)}; balanced accuracy "
            + ", ".join(f"{s} {mean(s, 'balanced accuracy'):.3f}" for s in strategies)
            + "; Brier " + ", ".join(f"{s} {mean(s, 'Brier'):.4f}" for s in strategies[:3])
            + f"; mean predicted probability natural {mean(strategies[0], 'mean predicted probability'):.3f}"
            f" vs oversampled {mean(strategies[1], 'mean predicted probability'):.3f} (base rate "
            f"{_mean(base_rate):.3f}).")
    if not all(helps.values()):
        return refuted("; ".join(checks) + ": rebalancing does not raise minority recall. "
                       + note, checks)
    if not all(costs.values()):
        return all_of(checks, note=note)
    return depends("the threshold stays at 0.5 and calibrated probabilities are not needed",
                   "Rebalancing raises minority recall, but " + "; ".join(costs) + ": it moves "
                   "the decision threshold, which can be moved directly. " + note, checks)


def _reliability(torch, p, y, bins=5):
    conf, freq = [], []
    for i in range(bins):
        m = (p >= i / bins) & (p < (i + 1) / bins if i < bins - 1 else p <= 1)
        if m.sum().item() > 0:
            conf.append(p[m].mean().item())
            freq.append(y[m].float().mean().item())
    return conf, freq
