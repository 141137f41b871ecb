"""Topic 10 (continued from t10_cnn.py): padding/stride/kernel, 1x1 convolutions, pooling vs
strided convolutions, position information. One function per experiment, `fn(torch, lab)`.
Sizes are shrunk from the catalogue's designs so that glasstorch fits the budgets."""
import time

from .catalog import experiment
from .common import accuracy, fit
from .verdict import all_of, compare, depends, refuted


def _six_layer_cnn(torch, C, k=3, padding=1, stride2=(), side=14):
    """Six k x k conv layers (C channels, BatchNorm, ReLU) on side x side images, stride 2 at the
    layer indices in `stride2`, and a linear head sized by the output-size formula. (BatchNorm:
    without it, a plain six-layer stack trains too slowly for the budget.)"""
    nn = torch.nn
    layers, h = [], side
    for i in range(6):
        s = 2 if i in stride2 else 1
        layers += [nn.Conv2d(1 if i == 0 else C, C, k, stride=s, padding=padding),
                   nn.BatchNorm2d(C), nn.ReLU()]
        h = (h + 2 * padding - k) // s + 1
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(C * h * h, 10))


@experiment(
    id="padding-stride-kernel", topic=10,
    question="Which conv hyperparameter matters most: kernel, padding or stride?",
    claim="padding is normally kernel − 1, stride normally 1 (2 to save compute), kernel size "
          "matters most [a]",
    test="Depends: reports which change moves accuracy most; padding confirmed if unpadded deep "
         "stacks shrink the map to nothing",
    flag="≈ kernel − 1 is the total; the framework's padding argument is per side, i.e. "
         "(k − 1)/2",
    plot="feature-map size per layer; accuracy and time per variant")
def padding_stride_kernel(torch, lab):
    nn, F = torch.nn, torch.nn.functional
    # 1. the output-size formula floor((H + 2p - k) / s) + 1 against the framework's conv2d
    combos = mismatches = 0
    for H in (7, 14, 28):
        for k in (1, 3, 5, 7):
            for p in range(4):
                for s in (1, 2, 3):
                    if H + 2 * p < k or p > k // 2 + 1:
                        continue
                    out = F.conv2d(torch.zeros(1, 1, H, H), torch.zeros(1, 1, k, k), stride=s,
                                   padding=p).shape[-1]
                    combos += 1
                    mismatches += out != (H + 2 * p - k) // s + 1
    keeps = all(nn.Conv2d(1, 1, k, padding=(k - 1) // 2)(torch.zeros(1, 1, 28, 28)).shape[-1]
                == 28 for k in (3, 5, 7))
    grows = nn.Conv2d(1, 1, 5, padding=4)(torch.zeros(1, 1, 28, 28)).shape[-1]
    # 2. six unpadded layers on 28x28 MNIST: the map per layer until it vanishes
    sizes = {}
    for k in (3, 5, 7):
        x, sizes[k] = torch.zeros(1, 1, 28, 28), [28]
        for _ in range(6):
            if x.shape[-1] < k:                 # the next conv has nothing left to slide over
                sizes[k].append(0)
                break
            x = F.conv2d(x, torch.zeros(1, 1, k, k))
            sizes[k].append(x.shape[-1])
    # 3. one change at a time from k=3, 'same' padding, stride 1 (shrunk: 14x14 MNIST)
    C, n, epochs = (4, 300, 2) if lab.quick else (6, 1000, 3)
    Xtr, ytr, Xte, yte = lab.mnist(n, 500 if lab.quick else 1000, flat=False)
    Xtr, Xte = F.avg_pool2d(Xtr, 2), F.avg_pool2d(Xte, 2)
    variants = {"baseline k3 same s1": dict(), "kernel 5": dict(k=5, padding=2),
                "kernel 7": dict(k=7, padding=3), "stride 2 (layers 2, 4)": dict(stride2=(1, 3)),
                "padding 0": dict(padding=0)}
    acc, secs = {v: [] for v in variants}, {v: [] for v in variants}
    for name, kw in variants.items():
        for seed in lab.seeds:
            rng = lab.seed(seed)
            model = _six_layer_cnn(torch, C, **kw)
            t0 = time.process_time()
            fit(torch, model, torch.optim.Adam(model.parameters(), lr=3e-3), Xtr, ytr, epochs,
                16, rng)
            secs[name].append((time.process_time() - t0) / epochs)
            acc[name].append(accuracy(torch, model, Xte, yte))
    lab.record(formula_combinations=combos, formula_mismatches=mismatches,
               same_padding_keeps_size=keeps, padding_4_per_side_k5_gives=grows,
               unpadded_map_sizes=sizes, accuracy=acc, cpu_s_per_epoch=secs)
    mean = lambda v: sum(v) / len(v)
    fig, axes = lab.figure(1, 2)
    for k, s in sizes.items():
        axes[0].plot(range(len(s)), s, "o-", label=f"k={k}, no padding")
    axes[0].plot(range(7), [28] * 7, "k--", label="(k-1)/2 per side")
    axes[0].set_xlabel("layer"); axes[0].set_ylabel("feature-map side"); axes[0].legend(fontsize=7)
    names = list(variants)
    axes[1].bar(range(5), [mean(acc[v]) for v in names])
    axes[1].set_xticks(range(5), [v.replace(" (", "\n(") for v in names], rotation=30, fontsize=6)
    axes[1].set_ylabel("test accuracy")
    for i, v in enumerate(names):
        axes[1].text(i, 0.05, f"{mean(secs[v]):.2f}s", ha="center", fontsize=6, color="w")
    base = mean(acc[names[0]])
    moves = {v: mean(acc[v]) - base for v in names[1:]}
    top = max(moves, key=lambda v: abs(moves[v]))
    vanish = [k for k, s in sizes.items() if s[-1] == 0]
    text = (f"output-size formula holds on {combos - mismatches}/{combos} combinations; padding "
            f"(k-1)/2 per side keeps 28x28 ({keeps}), k-1 per side grows it to {grows}: k-1 is "
            f"the total. Six unpadded layers: " + "; ".join(
                f"k={k}: {' -> '.join(map(str, s))}" for k, s in sizes.items()) +
            ". Accuracy change from the baseline " + f"{base:.3f}: " + ", ".join(
                f"{v} {d:+.3f}" for v, d in moves.items()) + f" (seed spread up to "
            f"{max(max(a) - min(a) for a in acc.values()):.3f}); CPU s/epoch " + ", ".join(
                f"{v} {mean(secs[v]):.2f}" for v in names) + ".")
    checks = {"formula holds": mismatches == 0, "unpadded deep stacks vanish": bool(vanish)}
    if not all(checks.values()):
        return refuted(text, checks)
    return depends(f"the setup: here {top} moves accuracy most ({moves[top]:+.3f}); kernel size "
                   f"{'is' if top.startswith('kernel') else 'is not'} the largest change",
                   "Padding confirmed (as a total of k-1, i.e. (k-1)/2 per side): " + text,
                   checks)
