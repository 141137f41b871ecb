"""Topic 8: regularization (dropout, BatchNorm, weight decay). One function per experiment.
(Part 2 of the Lab: experiments of this topic are added here as they are written.)"""
import math

from .catalog import experiment
from .common import accuracy, fit, minibatches, mlp
from .verdict import all_of, compare, confirmed, refuted


def _dropout_mlp(torch, p=0.5):
    nn = torch.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(p), nn.Linear(256, 10))


@experiment(
    id="dropout-train-vs-eval", topic=8,
    question="How does dropout differ between training and testing, and how is it implemented?",
    claim="dropout acts only in training; at test time the whole network is used, like an "
          "ensemble [a,b,c]; code multiplies by a mask and divides by 1-p because multiplying "
          "is faster than zeroing chosen entries [d]",
    test="Confirmed if eval mode ≈ the Monte-Carlo average of masks (within 1 point) and each "
         "mistake (no 1/(1-p) scaling, forgetting eval()) costs accuracy; the scaling's job is "
         "judged by the mean activation train vs eval; timing is reported",
    flag="≈ claim [d] the 1/(1-p) factor exists so eval needs no rescaling; speed is secondary",
    plot="accuracy under each mistake; accuracy vs number of MC masks with the eval line")
def dropout_train_vs_eval(torch, lab):
    F = torch.nn.functional
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 4000, 1000)
    epochs = 3 if lab.quick else 8
    res = {"eval": [], "forgot eval()": [], "no 1/(1-p), no correction": [],
           "MC 1": [], "MC 10": [], "MC 50": []}
    mean_act = {"train": [], "eval": []}
    for seed in lab.seeds:
        rng = lab.seed(seed)
        model = _dropout_mlp(torch)
        fit(torch, model, torch.optim.Adam(model.parameters(), lr=1e-3), Xtr, ytr, epochs, 64, rng)
        res["eval"].append(accuracy(torch, model, Xte, yte))
        h = model[1](model[0](Xte))
        with torch.no_grad():
            model.train()
            mean_act["train"].append(model[2](h).mean().item())
            model.eval()
            mean_act["eval"].append(model[2](h).mean().item())
            model.train()                                   # forgot eval(): 10 noisy passes
            res["forgot eval()"].append(sum((model(Xte).argmax(1) == yte).float().mean().item()
                                            for _ in range(10)) / 10)
            for T in (1, 10, 50):                           # Monte-Carlo average of T masks
                p = sum(F.softmax(model(Xte), 1) for _ in range(T)) / T
                res[f"MC {T}"].append((p.argmax(1) == yte).float().mean().item())
            # dropout without the 1/(1-p) scaling during training, none at test: train-mode
            # outputs are half as large as eval-mode ones; emulate by halving eval activations
            model.eval()
            z = model[3](model[1](model[0](Xte)) * 2.0)      # test sees 2x the training scale
            res["no 1/(1-p), no correction"].append((z.argmax(1) == yte).float().mean().item())
    big = torch.randn(10**6 if not lab.quick else 2 * 10**5, requires_grad=True)
    mask = (torch.rand(big.shape) > 0.5)
    t_mul = lab.timeit(lambda: (big * mask.float() * 2).sum().backward(), 5)
    t_where = lab.timeit(lambda: torch.where(mask, big * 2, torch.zeros_like(big)).sum().backward(), 5)
    lab.record(accuracy=res, mean_activation=mean_act,
               mask_timing_s={"multiply": t_mul, "where": t_where})
    fig, axes = lab.figure(1, 2)
    names = ["eval", "forgot eval()", "no 1/(1-p), no correction"]
    m = lambda k: sum(res[k]) / len(res[k])
    axes[0].bar(range(3), [m(k) for k in names]); axes[0].set_ylim(0.5, 1)
    axes[0].set_xticks(range(3), ["eval()", "forgot\neval()", "no scaling"], fontsize=8)
    axes[1].semilogx([1, 10, 50], [m(f"MC {t}") for t in (1, 10, 50)], "o-", label="MC average")
    axes[1].axhline(m("eval"), ls="--", c="k", label="eval mode"); axes[1].legend()
    axes[1].set_xlabel("masks averaged T"); axes[1].set_ylabel("test accuracy")
    ratio = (sum(mean_act["train"]) / sum(mean_act["eval"]))
    cost = [a - b for a, b in zip(res["eval"], res["forgot eval()"])]    # paired, per seed
    checks = {f"eval mode ≈ MC average of 50 masks ({m('eval'):.3f} vs {m('MC 50'):.3f})":
                  abs(m("eval") - m("MC 50")) < 0.01,
              f"forgetting eval() costs accuracy ({m('forgot eval()'):.3f} vs {m('eval'):.3f}; "
              f"per-seed cost {', '.join(f'{c:.3f}' for c in cost)} beyond 2x its spread)":
                  sum(cost) / len(cost) > 2 * (max(cost) - min(cost)),
              f"the 1/(1-p) scaling keeps the mean activation equal (train/eval {ratio:.3f})":
                  abs(ratio - 1) < 0.05}
    return all_of(checks, note=f"Mask multiply {t_mul*1e3:.1f} ms vs where {t_where*1e3:.1f} ms per "
                  f"{len(big):,}-value fwd+bwd; without the scaling the test-time activations "
                  f"are twice the training ones (accuracy {m('no 1/(1-p), no correction'):.3f}).")


@experiment(
    id="bn-train-vs-eval", topic=8,
    question="How does BatchNorm behave in training vs testing, and where do its mean and "
             "variance come from?",
    claim="training normalizes with each batch's statistics, testing uses training-set "
          "statistics tracked by a moving average [a,b]",
    test="Confirmed if running stats track the data statistics (with lag), eval accuracy ignores "
         "batch make-up, and train-mode accuracy collapses on one-class batches",
    plot="distance of running stats to true stats vs step; accuracy by mode × batch make-up")
def bn_train_vs_eval(torch, lab):
    nn, F = torch.nn, torch.nn.functional
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 4000, 1000)
    epochs = 2 if lab.quick else 5
    acc = {k: [] for k in ("eval, mixed batches", "eval, one-class batches",
                           "train mode, mixed batches", "train mode, one-class batches")}
    dist = []
    for seed in lab.seeds:
        rng = lab.seed(seed)
        model = nn.Sequential(nn.Linear(784, 128), nn.BatchNorm1d(128), nn.ReLU(),
                              nn.Linear(128, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        trace = []
        for _ in range(epochs):
            for idx in minibatches(torch, len(Xtr), 64, rng):
                loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
                opt.zero_grad(); loss.backward(); opt.step()
                with torch.no_grad():
                    true_mean = model[0](Xtr).mean(0)
                    trace.append((model[1].running_mean - true_mean).abs().mean().item() /
                                 true_mean.abs().mean().item())
        dist.append(trace)
        order = yte.argsort()                      # one-class batches: sorted by label
        for mode in ("eval", "train mode"):
            for makeup, ids in (("mixed batches", torch.arange(len(yte))), ("one-class batches", order)):
                model.train(mode == "train mode")
                correct = 0
                with torch.no_grad():
                    for i in range(0, len(yte), 50):
                        b = ids[i:i + 50]
                        correct += (model(Xte[b]).argmax(1) == yte[b]).sum().item()
                acc[f"{mode}, {makeup}"].append(correct / len(yte))
    lab.record(accuracy=acc, running_mean_relative_error=[d[::5] for d in dist])
    fig, axes = lab.figure(1, 2)
    axes[0].semilogy(dist[0]); axes[0].set_xlabel("step")
    axes[0].set_ylabel("|running mean - training-set mean| (relative)")
    names = list(acc)
    axes[1].bar(range(4), [sum(acc[k]) / len(acc[k]) for k in names])
    axes[1].set_xticks(range(4), [k.replace(", ", "\n") for k in names], fontsize=7)
    axes[1].set_ylabel("test accuracy")
    m = lambda k: sum(acc[k]) / len(acc[k])
    final = sum(d[-1] for d in dist) / len(dist)
    start = sum(d[0] for d in dist) / len(dist)
    checks = {f"running stats track the training-set mean, with lag (relative error {start:.2f} "
              f"at step 1 -> {final:.3f}, below 0.3)": final < 0.3,
              f"eval ignores batch make-up ({m('eval, mixed batches'):.3f} vs "
              f"{m('eval, one-class batches'):.3f})":
                  abs(m("eval, mixed batches") - m("eval, one-class batches")) < 1e-6,
              f"train-mode accuracy collapses on one-class batches "
              f"({m('train mode, one-class batches'):.3f})":
                  m("train mode, one-class batches") < m("eval, mixed batches") - 0.2}
    return all_of(checks)


@experiment(
    id="bn-and-weight-decay", topic=8,
    question="Is BatchNorm similar to weight decay?",
    claim="no: decay shrinks weights at every update, while BN hardly touches the previous "
          "layer's weights [a]",
    test="'Different mechanisms' confirmed if scaling the weights before BN by 10 leaves the "
         "outputs unchanged while decay shrinks the weight norm; the Lab adds that with BN, "
         "decay raises the effective step ‖Δw‖/‖w‖",
    flag="≈ after BN the layer is scale-invariant, so weight decay acts as a step-size control",
    plot="weight norm and effective step per step, with and without decay")
def bn_and_weight_decay(torch, lab):
    nn, F = torch.nn, torch.nn.functional
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 4000, 1000)
    lab.seed(0)
    model = nn.Sequential(nn.Linear(784, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))
    with torch.no_grad():
        before = model(Xte[:256])
        model[0].weight.mul_(10); model[0].bias.mul_(10)
        after = model(Xte[:256])
    invariance = (before - after).abs().max().item()
    epochs = 3 if lab.quick else 8
    res = {}
    for wd in (0.0, 2e-2):
        res[wd] = {"norm": [], "eff_step": [], "acc": []}
        for seed in lab.seeds:
            rng = lab.seed(seed)
            model = nn.Sequential(nn.Linear(784, 128), nn.BatchNorm1d(128), nn.ReLU(),
                                  nn.Linear(128, 10))
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=wd)
            norms, steps = [], []
            for _ in range(epochs):
                for idx in minibatches(torch, len(Xtr), 64, rng):
                    w_old = model[0].weight.detach().clone()
                    loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
                    opt.zero_grad(); loss.backward(); opt.step()
                    w = model[0].weight.detach()
                    norms.append(w.norm().item())
                    steps.append((w - w_old).norm().item() / w_old.norm().item())
            res[wd]["norm"].append(norms); res[wd]["eff_step"].append(steps)
            res[wd]["acc"].append(accuracy(torch, model, Xte, yte))
    lab.record(output_change_after_scaling_x10=invariance,
               final_weight_norm={str(k): [n[-1] for n in v["norm"]] for k, v in res.items()},
               late_effective_step={str(k): [sum(s[-20:]) / 20 for s in v["eff_step"]]
                                    for k, v in res.items()},
               accuracy={str(k): v["acc"] for k, v in res.items()})
    fig, axes = lab.figure(1, 2)
    for wd, r in res.items():
        axes[0].plot(r["norm"][0], label=f"wd {wd}")
        axes[1].semilogy(r["eff_step"][0], label=f"wd {wd}", lw=0.6)
    axes[0].set_ylabel("‖W‖ of the layer before BN"); axes[1].set_ylabel("‖Δw‖ / ‖w‖")
    for a in axes:
        a.set_xlabel("step"); a.legend()
    n0 = [n[-1] for n in res[0.0]["norm"]]; n1 = [n[-1] for n in res[2e-2]["norm"]]
    s0 = [sum(s[-20:]) / 20 for s in res[0.0]["eff_step"]]
    s1 = [sum(s[-20:]) / 20 for s in res[2e-2]["eff_step"]]
    shrink = compare("no decay", n0, "decay", n1)
    faster = compare("decay", s1, "no decay", s0)
    checks = {f"scaling the weights before BN by 10 leaves the outputs unchanged (max change "
              f"{invariance:.1e})": invariance < 1e-3,
              f"decay shrinks the weight norm ({shrink})": shrink.winner == "no decay",
              f"with BN, decay raises the effective step ({faster})": faster.winner == "decay"}
    return all_of(checks, "Different mechanisms that interact: BN makes the layer scale-"
                  "invariant, so decay only changes the effective learning rate.")


@experiment(
    id="l1-vs-l2-vs-dropout", topic=8,
    question="How do L1, L2 and dropout differ, and what else prevents overfitting?",
    claim="L1/L2 change the cost function, dropout changes the network during training; "
          "augmentation also helps [a,b]",
    test="Confirmed if L1 creates many near-zero weights (|w| < 1e-3), L2 shrinks all weights "
         "without zeroing them, dropout leaves a broad distribution, and all beat none",
    plot="first-layer weight histograms (log counts); accuracy bars")
def l1_vs_l2_vs_dropout(torch, lab):
    import numpy as np
    nn, F = torch.nn, torch.nn.functional
    Xtr, ytr, Xte, yte = lab.mnist(1000, 1000)
    epochs = 4 if lab.quick else 10
    settings = {"none": ("none", 0.0), "L1 1e-4": ("l1", 1e-4), "L1 1e-3": ("l1", 1e-3),
                "L2 1e-3": ("l2", 1e-3), "L2 1e-2": ("l2", 1e-2), "dropout 0.5": ("dropout", 0.5)}
    res, hist = {}, {}
    for name, (kind, strength) in settings.items():
        res[name] = {"accuracy": [], "near_zero_share": [], "mean_abs": [], "std": []}
        for seed in lab.seeds:
            rng = lab.seed(seed)
            model = (_dropout_mlp(torch, strength) if kind == "dropout" else
                     nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)))
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            W = model[0].weight
            for _ in range(epochs):
                for idx in minibatches(torch, len(Xtr), 32, rng):
                    loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
                    if kind == "l1":
                        loss = loss + strength * W.abs().sum()      # L1 changes the cost...
                    elif kind == "l2":
                        loss = loss + strength * (W ** 2).sum()     # ...and so does L2
                    opt.zero_grad(); loss.backward(); opt.step()
            w = W.detach().abs()
            res[name]["accuracy"].append(accuracy(torch, model, Xte, yte))
            res[name]["near_zero_share"].append((w < 1e-3).float().mean().item())
            res[name]["mean_abs"].append(w.mean().item())
            res[name]["std"].append(W.detach().std().item())
            if seed == lab.seeds[0]:
                hist[name] = W.detach().numpy().ravel()
    lab.record(results=res)
    fig, axes = lab.figure(1, 2)
    for name in ("none", "L1 1e-3", "L2 1e-2", "dropout 0.5"):
        axes[0].hist(hist[name], bins=80, range=(-0.15, 0.15), histtype="step", log=True,
                     label=name)
    axes[0].set_xlabel("first-layer weight"); axes[0].legend(fontsize=7)
    names = list(res)
    axes[1].bar(range(len(names)), [sum(res[k]["accuracy"]) / len(lab.seeds) for k in names])
    axes[1].set_xticks(range(len(names)), names, rotation=45, fontsize=7)
    axes[1].set_ylim(0.7, 1); axes[1].set_ylabel("test accuracy")
    m = lambda k, q: sum(res[k][q]) / len(res[k][q])
    beats = {k: compare(k, res[k]["accuracy"], "none", res["none"]["accuracy"]).winner == k
             for k in ("L1 1e-4", "L2 1e-3", "dropout 0.5")}
    checks = {f"L1 zeroes many weights ({m('L1 1e-3', 'near_zero_share'):.1%} below 1e-3 vs "
              f"{m('none', 'near_zero_share'):.1%} without)":
                  m("L1 1e-3", "near_zero_share") > 3 * m("none", "near_zero_share"),
              f"L2 shrinks all weights (mean |w| {m('L2 1e-2', 'mean_abs'):.4f} vs "
              f"{m('none', 'mean_abs'):.4f}) without zeroing them "
              f"({m('L2 1e-2', 'near_zero_share'):.1%})":
                  m("L2 1e-2", "mean_abs") < m("none", "mean_abs") and
                  m("L2 1e-2", "near_zero_share") < m("L1 1e-3", "near_zero_share") / 2,
              f"dropout leaves a broad distribution (std {m('dropout 0.5', 'std'):.4f} vs "
              f"{m('none', 'std'):.4f})": m("dropout 0.5", "std") > 0.5 * m("none", "std"),
              "every regularizer beats none measurably (" + ", ".join(
                  f"{k}: {'yes' if v else 'no'}" for k, v in beats.items()) + ")":
                  all(beats.values())}
    return all_of(checks)
