"""Topic 5: losses and metrics. One function per experiment, `fn(torch, lab) -> Verdict`."""
import math

from .catalog import experiment
from .common import minibatches, mlp
from .verdict import all_of, compare, confirmed, refuted


@experiment(
    id="double-softmax", topic=5,
    question="Why is there no softmax after the last layer? May inference skip it?",
    claim="the cross-entropy loss already contains the softmax [a]; classifiers drop the softmax "
          "at inference to save work [b]",
    test="Confirmed if the double softmax trains slower or worse (squashed gradients), argmax is "
         "identical, and the softmax is a tiny share of inference time",
    plot="accuracy per lr; gradient norms; inference-time bars")
def double_softmax(torch, lab):
    F = torch.nn.functional
    Xtr, ytr, Xte, yte = lab.mnist(2000 if lab.quick else 4000, 1000)
    lrs = [0.05, 0.2, 0.8]
    epochs = 3 if lab.quick else 5
    acc, gnorm = {}, {}
    for variant in ("logits -> CE", "softmax -> CE"):
        for lr in lrs:
            key = f"{variant} lr={lr}"
            acc[key], gnorm[key] = [], []
            for seed in lab.seeds:
                rng = lab.seed(seed)
                model = mlp(torch, [784, 128, 10])
                opt = torch.optim.SGD(model.parameters(), lr=lr)
                for _ in range(epochs):
                    for idx in minibatches(torch, len(Xtr), 32, rng):
                        z = model(Xtr[idx])
                        if variant == "softmax -> CE":
                            z = F.softmax(z, 1)          # the classic bug: CE applies it again
                        loss = F.cross_entropy(z, ytr[idx])
                        opt.zero_grad(); loss.backward(); opt.step()
                gnorm[key].append(model[0].weight.grad.norm().item())
                with torch.no_grad():
                    acc[key].append((model(Xte).argmax(1) == yte).float().mean().item())
    lab.seed(0)
    model = mlp(torch, [784, 128, 10])
    with torch.no_grad():
        logits = model(Xte)
        same_argmax = bool(torch.equal(logits.argmax(1), F.softmax(logits, 1).argmax(1)))
        t_plain = lab.timeit(lambda: model(Xte).argmax(1), 10)
        t_soft = lab.timeit(lambda: F.softmax(model(Xte), 1).argmax(1), 10)
        hand = -torch.log(F.softmax(logits, 1)[torch.arange(len(yte)), yte]).mean()
        fused = F.cross_entropy(logits, yte)
    lab.record(accuracy=acc, final_first_layer_grad_norm=gnorm, same_argmax=same_argmax,
               inference_s={"logits": t_plain, "with softmax": t_soft},
               hand_ce=hand.item(), fused_ce=fused.item())
    fig, axes = lab.figure(1, 2)
    for variant in ("logits -> CE", "softmax -> CE"):
        axes[0].semilogx(lrs, [sum(acc[f"{variant} lr={lr}"]) / len(lab.seeds) for lr in lrs],
                         "o-", label=variant)
    axes[0].set_xlabel("lr"); axes[0].set_ylabel("test accuracy"); axes[0].legend()
    axes[1].bar(["logits", "+ softmax"], [t_plain * 1e3, t_soft * 1e3])
    axes[1].set_ylabel("ms per 1,000-image inference")
    best = {v: max(lrs, key=lambda lr: sum(acc[f"{v} lr={lr}"])) for v in
            ("logits -> CE", "softmax -> CE")}
    c = compare("logits -> CE", acc[f"logits -> CE lr={best['logits -> CE']}"],
                "softmax -> CE", acc[f"softmax -> CE lr={best['softmax -> CE']}"])
    share = max(t_soft - t_plain, 0) / t_soft
    checks = {f"the double softmax trains worse, each at its best lr ({c})":
                  c.winner == "logits -> CE",
              "argmax of logits = argmax of probabilities": same_argmax,
              f"softmax is a small share of inference ({100 * share:.1f}% < 25%)": share < 0.25,
              f"a hand-written batch CE equals the fused loss ({hand.item():.6f} vs "
              f"{fused.item():.6f})": abs(hand.item() - fused.item()) < 1e-4}
    return all_of(checks)


@experiment(
    id="imbalance-metrics", topic=5,
    question="Which loss and metric when classes are very unbalanced?",
    claim="with extreme imbalance accuracy is misleading and AUC is better [a]",
    test="Confirmed if the constant predictor scores 90%/99% accuracy with AUC 0.5; nuance "
         "recorded if ROC-AUC stays high while PR-AUC falls at 1:99",
    flag="≈ AUC is a metric, not a trainable loss; at extreme imbalance PR-AUC is more telling "
         "than ROC-AUC",
    plot="metric table; ROC and PR curves")
def imbalance_metrics(torch, lab):
    import numpy as np
    from sklearn import metrics
    from .data import digits
    F = torch.nn.functional
    xa, ya, xb, yb = digits(0.5, 0)
    res = {}
    curves = {}
    for ratio in (9, 99):
        for seed in lab.seeds:
            rng = lab.seed(seed)
            def subsample(x, y):
                pos, neg = np.where(y == 0)[0], np.where(y != 0)[0]
                n_pos = max(2, min(len(pos), len(neg) // ratio))
                pos = rng.choice(pos, n_pos, replace=False)
                neg = rng.choice(neg, n_pos * ratio, replace=False)
                idx = rng.permutation(np.r_[pos, neg])
                return x[idx], (y[idx] == 0).astype(np.float32)
            xtr, ttr = subsample(xa, ya)
            xte, tte = subsample(xb, yb)
            model = torch.nn.Linear(64, 1)
            opt = torch.optim.Adam(model.parameters(), lr=0.05)
            X, T = lab.tensor(xtr), lab.tensor(ttr)
            for _ in range(200):
                loss = F.binary_cross_entropy_with_logits(model(X).reshape(-1), T)
                opt.zero_grad(); loss.backward(); opt.step()
            with torch.no_grad():
                score = torch.sigmoid(model(lab.tensor(xte)).reshape(-1)).numpy()
            for name, s in (("always negative", np.zeros(len(tte))), ("logistic", score)):
                pred = (s > 0.5).astype(int)
                r = {"accuracy": metrics.accuracy_score(tte, pred),
                     "balanced_accuracy": metrics.balanced_accuracy_score(tte, pred),
                     "precision": metrics.precision_score(tte, pred, zero_division=0),
                     "recall": metrics.recall_score(tte, pred),
                     "f1": metrics.f1_score(tte, pred, zero_division=0),
                     "roc_auc": metrics.roc_auc_score(tte, s),
                     "pr_auc": metrics.average_precision_score(tte, s)}
                for k, v in r.items():
                    res.setdefault(f"1:{ratio} {name}", {}).setdefault(k, []).append(float(v))
                if seed == lab.seeds[0] and name == "logistic":
                    curves[ratio] = (metrics.roc_curve(tte, s), metrics.precision_recall_curve(tte, s))
    lab.record(metrics=res)
    fig, axes = lab.figure(1, 2)
    for ratio, ((fpr, tpr, _), (prec, rec, _)) in curves.items():
        axes[0].plot(fpr, tpr, label=f"1:{ratio}"); axes[1].plot(rec, prec, label=f"1:{ratio}")
    axes[0].set_xlabel("false positive rate"); axes[0].set_ylabel("true positive rate")
    axes[1].set_xlabel("recall"); axes[1].set_ylabel("precision")
    for a in axes:
        a.legend(); a.set_title("logistic regression, 'is it a 0?'", fontsize=9)
    m = lambda k, metric: sum(res[k][metric]) / len(res[k][metric])
    checks = {f"always-negative scores {m('1:9 always negative', 'accuracy'):.3f} / "
              f"{m('1:99 always negative', 'accuracy'):.3f} accuracy at 1:9 / 1:99":
                  m("1:9 always negative", "accuracy") > 0.88 and
                  m("1:99 always negative", "accuracy") > 0.98,
              "its ROC-AUC is 0.5 and recall 0": all(
                  m(f"1:{r} always negative", "roc_auc") == 0.5 and
                  m(f"1:{r} always negative", "recall") == 0 for r in (9, 99))}
    text = (f" Logistic regression at 1:99: ROC-AUC {m('1:99 logistic', 'roc_auc'):.3f}, PR-AUC "
            f"{m('1:99 logistic', 'pr_auc'):.3f}, F1 {m('1:99 logistic', 'f1'):.3f} (1:9: "
            f"{m('1:9 logistic', 'roc_auc'):.3f}, {m('1:9 logistic', 'pr_auc'):.3f}, "
            f"{m('1:9 logistic', 'f1'):.3f}).")
    return all_of(checks, note=text.strip())


@experiment(
    id="multi-loss-weighting", topic=5,
    question="With several losses of very different size, the small one barely gets gradient; "
             "what to do?",
    claim="weight the losses [a]",
    test="Confirmed if the plain sum ruins the classifier head and weighting recovers both tasks",
    plot="per-task metric bars; each head's share of the trunk gradient")
def multi_loss_weighting(torch, lab):
    nn, F = torch.nn, torch.nn.functional
    Xtr, ytr, Xte, yte = lab.mnist(2000 if lab.quick else 4000, 1000)
    ink_tr, ink_te = (Xtr * 255).mean(1, keepdim=True), (Xte * 255).mean(1, keepdim=True)
    epochs = 2 if lab.quick else 4

    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.trunk = nn.Sequential(nn.Linear(784, 128), nn.ReLU())
            self.cls, self.reg = nn.Linear(128, 10), nn.Linear(128, 1)
            self.log_vars = nn.Parameter(torch.zeros(2))     # used by 'learned' only

        def forward(self, x):
            h = self.trunk(x)
            return self.cls(h), self.reg(h)
    res, share = {}, {}
    for scheme in ("plain sum", "normalized", "learned uncertainty"):
        res[scheme] = {"accuracy": [], "ink_mse": []}
        for seed in lab.seeds:
            rng = lab.seed(seed)
            model = TwoHeads()
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            with torch.no_grad():
                z, r = model(Xtr)
                scale = (F.cross_entropy(z, ytr).item(), F.mse_loss(r, ink_tr).item())
            # the classification head's share of the trunk gradient at the start
            z, r = model(Xtr[:256])
            g_cls = torch.autograd.grad(F.cross_entropy(z, ytr[:256]), model.trunk[0].weight,
                                        retain_graph=True)[0].norm().item()
            g_reg = torch.autograd.grad(F.mse_loss(r, ink_tr[:256]), model.trunk[0].weight)[0].norm().item()
            share.setdefault(scheme, []).append(
                g_cls / (g_cls + g_reg) if scheme == "plain sum" else
                (g_cls / scale[0]) / (g_cls / scale[0] + g_reg / scale[1]))
            for _ in range(epochs):
                for idx in minibatches(torch, len(Xtr), 32, rng):
                    z, r = model(Xtr[idx])
                    l_cls, l_reg = F.cross_entropy(z, ytr[idx]), F.mse_loss(r, ink_tr[idx])
                    if scheme == "plain sum":
                        loss = l_cls + l_reg
                    elif scheme == "normalized":
                        loss = l_cls / scale[0] + l_reg / scale[1]
                    else:   # Kendall et al. 2018: exp(-s) L + s, s learned per task
                        s = model.log_vars
                        loss = torch.exp(-s[0]) * l_cls + s[0] + torch.exp(-s[1]) * l_reg + s[1]
                    opt.zero_grad(); loss.backward(); opt.step()
            with torch.no_grad():
                z, r = model(Xte)
                res[scheme]["accuracy"].append((z.argmax(1) == yte).float().mean().item())
                res[scheme]["ink_mse"].append(F.mse_loss(r, ink_te).item())
    lab.record(results=res, classifier_share_of_trunk_gradient_at_start=share)
    fig, axes = lab.figure(1, 2)
    names = list(res)
    axes[0].bar(names, [sum(res[k]["accuracy"]) / len(lab.seeds) for k in names])
    axes[0].set_ylabel("digit accuracy")
    axes[1].bar(names, [sum(res[k]["ink_mse"]) / len(lab.seeds) for k in names], color="C1")
    axes[1].set_ylabel("ink MSE (pixel units²)"); axes[1].set_yscale("log")
    for a in axes:
        a.tick_params(axis="x", labelsize=7)
    ruined = compare("normalized", res["normalized"]["accuracy"], "plain sum",
                     res["plain sum"]["accuracy"])
    var_ink = ink_te.var().item()                 # the MSE of always predicting the mean
    norm_mse = sum(res["normalized"]["ink_mse"]) / len(lab.seeds)
    ink_ok = norm_mse < var_ink
    checks = {f"the plain sum ruins the classifier ({ruined})": ruined.winner == "normalized",
              f"normalized weights still learn the ink (MSE {norm_mse:.1f} < variance {var_ink:.1f})":
                  ink_ok,
              f"at the start the classifier gets {100 * share['plain sum'][0]:.2f}% of the trunk "
              "gradient under the plain sum": share["plain sum"][0] < 0.05}
    return all_of(checks)


@experiment(
    id="perplexity-meaning", topic=5,
    question="What does perplexity measure?",
    claim="language models are judged by perplexity, described as the *derivative* of the "
          "probability given to the true next token [a]",
    test="Reciprocal reading confirmed if exp(mean NLL) and 1 / geometric-mean probability "
         "coincide (uniform model = number of symbols); 'derivative' refuted",
    flag="✗ as written: it is the reciprocal (geometric mean of 1/p)",
    plot="perplexity bars per model (uniform = number of symbols)")
def perplexity_meaning(torch, lab):
    import numpy as np
    F = torch.nn.functional
    text = lab.timemachine()
    chars = sorted(set(text))
    V = len(chars)
    ids = np.array([chars.index(c) for c in text], dtype=np.int64)
    cut = int(0.9 * len(ids))
    train, test = ids[:cut], ids[cut:]
    probs = {}
    probs["uniform"] = np.full(len(test) - 1, 1 / V)
    uni = np.bincount(train, minlength=V) + 1.0
    probs["unigram"] = (uni / uni.sum())[test[1:]]
    big = np.ones((V, V))
    np.add.at(big, (train[:-1], train[1:]), 1)
    big /= big.sum(1, keepdims=True)
    probs["bigram"] = big[test[:-1], test[1:]]
    # a small character GRU
    rng = lab.seed(0)
    emb, gru, head = torch.nn.Embedding(V, 32), torch.nn.GRU(32, 64, batch_first=True), torch.nn.Linear(64, V)
    params = list(emb.parameters()) + list(gru.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-2)
    T, B = 32, 32
    for _ in range(40 if lab.quick else 400):
        starts = rng.integers(0, cut - T - 1, B)
        x = lab.tensor(np.stack([train[s:s + T] for s in starts]))
        y = lab.tensor(np.stack([train[s + 1:s + T + 1] for s in starts]))
        out, _ = gru(emb(x))
        loss = F.cross_entropy(head(out).reshape(-1, V), y.reshape(-1))
        opt.zero_grad(); loss.backward(); opt.step()
    n_eval = min(5000 if lab.quick else 20000, len(test))
    with torch.no_grad():
        x = lab.tensor(test[:n_eval].reshape(1, -1))
        out, _ = gru(emb(x))
        p = F.softmax(head(out)[0, :-1], 1)
        probs["GRU"] = p[torch.arange(n_eval - 1), lab.tensor(test[1:n_eval])].double().numpy()
    ppl, recip = {}, {}
    for k, p in probs.items():
        ppl[k] = float(np.exp(-np.mean(np.log(p))))                    # exp(mean NLL)
        recip[k] = float(1 / np.exp(np.mean(np.log(p))))               # 1 / geometric mean p
    lab.record(symbols=V, perplexity_exp_nll=ppl, reciprocal_geometric_mean=recip)
    fig, ax = lab.figure()
    ax.bar(list(ppl), list(ppl.values())); ax.axhline(V, ls="--", c="k", label=f"{V} symbols")
    ax.set_ylabel("test perplexity"); ax.legend()
    checks = {"exp(mean NLL) = 1 / geometric-mean probability for every model": all(
                  abs(ppl[k] / recip[k] - 1) < 1e-9 for k in ppl),
              f"the uniform model's perplexity is the number of symbols ({ppl['uniform']:.3f} "
              f"= {V})": abs(ppl["uniform"] - V) < 1e-9,
              f"better models have lower perplexity (unigram {ppl['unigram']:.2f} > bigram "
              f"{ppl['bigram']:.2f})": ppl["unigram"] > ppl["bigram"]}
    text = ("; ".join(checks) + f". GRU: {ppl['GRU']:.2f}. Perplexity is the reciprocal of the "
            "geometric-mean probability of the true next token, not a derivative.")
    return (refuted if all(checks.values()) else confirmed)(text, checks)
