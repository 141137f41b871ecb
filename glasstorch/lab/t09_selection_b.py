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
