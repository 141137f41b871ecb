"""Topic 8 (continued): choosing the dropout rate, and how it interacts with layer width."""
import numpy as np

from .catalog import experiment
from .common import accuracy, minibatches
from .verdict import compare, confirmed, depends, refuted


@experiment(
    id="dropout-rate-width", topic=8,
    question="How to choose the dropout rate; does it interact with layer width?",
    claim="usual rates 0.1/0.5/0.9 [a]; drop 0.5 or more, about 0.25 for small layers; dropout "
          "keeps every weight small; a lower rate means more capacity [b]; dropout narrows the "
          "gap but may lower both accuracies [c]; doubling 64 units to 128 with p = 0.5 may beat "
          "the 64-unit layer [d]; the best model is a large one, well regularized [b]",
    test="Each sub-claim read from the grid: best p per width; whether norms fall with p; "
         "whether the best cell is wide and regularized",
    flag="≈ no single rate is right: the best p grows with width and shrinks with data",
    plot="test-accuracy and gap heat maps; weight L2 norm vs p; the (64, 0) / (128, 0.5) / "
         "(256, 0.75) diagonal highlighted")
def dropout_rate_width(torch, lab):
    nn, F = torch.nn, torch.nn.functional
    Xtr, ytr, Xte, yte = lab.mnist(600 if lab.quick else 1000, 1000)
    widths = (32, 64, 128, 512) if lab.quick else (32, 64, 128, 256, 512)
    ps = (0.0, 0.5, 0.75) if lab.quick else (0.0, 0.1, 0.25, 0.5, 0.75)
    epochs = 6 if lab.quick else 8
    test, gap, norm = {}, {}, {}
    for w in widths:
        for p in ps:
            test[(w, p)], gap[(w, p)], norm[(w, p)] = [], [], []
            for seed in lab.seeds:
                rng = lab.seed(seed)
                model = nn.Sequential(nn.Linear(784, w), nn.ReLU(), nn.Dropout(p),
                                      nn.Linear(w, 10))
                opt = torch.optim.Adam(model.parameters(), lr=1e-3)
                for _ in range(epochs):
                    for idx in minibatches(torch, len(Xtr), 32, rng):
                        loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                a_test, a_train = accuracy(torch, model, Xte, yte), accuracy(torch, model, Xtr, ytr)
                test[(w, p)].append(a_test)
                gap[(w, p)].append(a_train - a_test)
                # the RMS weight of the hidden layer (comparable across widths)
                norm[(w, p)].append(model[0].weight.detach().pow(2).mean().item() ** 0.5)
    key = lambda w, p: f"width {w}, p {p}"
    lab.record(test_accuracy={key(*k): v for k, v in test.items()},
               train_test_gap={key(*k): v for k, v in gap.items()},
               hidden_rms_weight={key(*k): v for k, v in norm.items()})
    mt = {k: float(np.mean(v)) for k, v in test.items()}
    mg = {k: float(np.mean(v)) for k, v in gap.items()}
    mn = {k: float(np.mean(v)) for k, v in norm.items()}
    fig, axes = lab.figure(1, 3, width=3.6)
    for ax, vals, title in ((axes[0], mt, "test accuracy"), (axes[1], mg, "train − test")):
        im = ax.imshow([[vals[(w, p)] for p in ps] for w in widths], aspect="auto")
        ax.set_xticks(range(len(ps)), [str(p) for p in ps]); ax.set_xlabel("p")
        ax.set_yticks(range(len(widths)), [str(w) for w in widths]); ax.set_title(title)
        fig.colorbar(im, ax=ax)
    for w in widths:
        axes[2].plot(ps, [mn[(w, p)] for p in ps], "o-", label=f"width {w}")
    axes[2].set_xlabel("p"); axes[2].set_ylabel("RMS hidden weight"); axes[2].legend(fontsize=6)
    wide, narrow, top = widths[-1], widths[0], ps[-1]
    # each sub-claim, tested with the Lab's 2x-seed-spread rule where it compares two cells
    narrows = compare("no dropout", gap[(wide, 0.0)], f"p {top}", gap[(wide, top)],
                      higher_is_better=True)
    doubling = compare("128 units, p 0.5", test[(128, 0.5)], "64 units, p 0",
                       test[(64, 0.0)])
    small_weights = sum(mn[(w, top)] < mn[(w, 0.0)] for w in widths)
    best_p = {w: max(ps, key=lambda p: mt[(w, p)]) for w in widths}
    reg = max((k for k in test if k[1] > 0), key=lambda k: mt[k])
    plain = max((k for k in test if k[1] == 0), key=lambda k: mt[k])
    regularized = compare(f"width {reg[0]}, p {reg[1]}", test[reg],
                          f"width {plain[0]}, p 0", test[plain])
    sub = {
        f"dropout narrows the train-test gap at width {wide} ({narrows})":
            narrows.winner == "no dropout",
        f"doubling 64 units to 128 with p = 0.5 beats 64 units without dropout ({doubling})":
            doubling.winner == "128 units, p 0.5",
        f"dropout keeps the weights small (RMS weight lower at p {top} than at p 0 for "
        f"{small_weights} of {len(widths)} widths)": small_weights == len(widths),
        f"the best model is a large one, well regularized: the best cell with dropout beats "
        f"the best without ({regularized})":
            regularized.winner == regularized.name_a and reg[0] >= 128}
    held = [k for k, v in sub.items() if v]
    text = (f"best p per width: {', '.join(f'{w}: {best_p[w]}' for w in widths)}. Holds: "
            f"{'; '.join(held) or 'none'}. Fails: "
            f"{'; '.join(k for k, v in sub.items() if not v) or 'none'}.")
    if len(held) == len(sub):
        return confirmed(text, sub)
    if not held:
        return refuted(text, sub)
    return depends("which sub-claim", text, sub)


def _norm_cnn(torch, kind):
    nn = torch.nn

    def norm(c):
        if kind == "BatchNorm":
            return nn.BatchNorm2d(c)
        if kind == "LayerNorm":
            return nn.GroupNorm(1, c)            # one group: LayerNorm over (C, H, W)
        if kind == "GroupNorm (4 groups)":
            return nn.GroupNorm(4, c)
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), norm(8), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), norm(16), nn.ReLU(), nn.Flatten(),
                         nn.Linear(16 * 7 * 7, 10))


@experiment(
    id="bn-vs-ln-batch", topic=8,
    question="How do LayerNorm and BatchNorm differ; which for small batches?",
    claim="BN normalizes per channel over batch and spatial positions, LN over each sample's "
          "features; LN ignores batch size, so it suits small batches and RNNs, while BN wins "
          "at large batches [a,b]",
    test="Confirmed if BN degrades at batch ≤ 8 while LN/GN hold and BN ≥ LN at large batch",
    plot="accuracy vs batch per normalizer; statistics with/without padding")
def bn_vs_ln_batch(torch, lab):
    F = torch.nn.functional
    from .data import mnist as mnist_arrays
    # MNIST at 14x14 (2x2 means): the grid of 4 normalizers x 4 batch sizes fits the budget
    xtr, ytr, xte, yte = mnist_arrays(2000, 1000, flat=False)
    half = lambda x: x.reshape(-1, 1, 14, 2, 14, 2).mean((3, 5))
    Xtr, Ytr, Xte, Yte = (lab.tensor(a) for a in (half(xtr), ytr, half(xte), yte))
    batches = (2, 32) if lab.quick else (2, 8, 32, 64)
    steps = 60 if lab.quick else 200
    kinds = ("BatchNorm", "LayerNorm", "GroupNorm (4 groups)", "none")
    acc = {(k, b): [] for k in kinds for b in batches}
    for seed in lab.seeds:
        for b in batches:
            for kind in kinds:
                rng = lab.seed(seed)
                model = _norm_cnn(torch, kind)
                # equal steps (equal epochs would give batch 64 a handful of updates), Adam
                # with the lr scaled by the square root of the batch
                opt = torch.optim.Adam(model.parameters(), lr=2e-3 * (b / 32) ** 0.5)
                for _ in range(steps):
                    idx = torch.from_numpy(rng.integers(0, len(Xtr), b))
                    loss = F.cross_entropy(model(Xtr[idx]), Ytr[idx])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                model.eval()
                with torch.no_grad():
                    a = (model(Xte).argmax(1) == Yte).float().mean().item()
                acc[(kind, b)].append(a if a == a else 0.0)
    # padding: BatchNorm1d over a padded batch of sequences counts the padding zeros in its
    # channel statistics
    rng = lab.seed(0)
    lengths = rng.integers(4, 21, 16)
    emb = rng.normal(1.0, 1.0, (16, 8, 20)).astype(np.float32)
    for i, n in enumerate(lengths):
        emb[i, :, n:] = 0.0
    bn = torch.nn.BatchNorm1d(8, momentum=1.0)
    bn(lab.tensor(emb))
    real = np.concatenate([emb[i, :, :n] for i, n in enumerate(lengths)], axis=1)
    pad_error = float(np.abs(bn.running_mean.numpy() - real.mean(1)).mean()
                      / np.abs(real.mean(1)).mean())
    padded = float(1 - lengths.sum() / lengths.size / 20)
    lab.record(accuracy={f"{k} | batch {b}": v for (k, b), v in acc.items()},
               padding_mean_relative_error=pad_error, padding_fraction=padded)
    m = {k: float(np.mean(v)) for k, v in acc.items()}
    fig, ax = lab.figure(1, 1, width=5)
    for k in kinds:
        ax.plot(batches, [m[(k, b)] for b in batches], "o-", label=k)
    ax.set_xscale("log", base=2); ax.set_xlabel("batch size"); ax.set_ylabel("test accuracy")
    ax.legend(fontsize=7)
    small, large = batches[0], batches[-1]
    at_small = compare("BatchNorm", acc[("BatchNorm", small)], "LayerNorm",
                       acc[("LayerNorm", small)])
    at_large = compare("BatchNorm", acc[("BatchNorm", large)], "LayerNorm",
                       acc[("LayerNorm", large)])
    sub = {f"BN is worse than LN at batch {small} ({at_small})": at_small.winner == "LayerNorm",
           f"BN is at least as good as LN at batch {large} ({at_large})":
               at_large.winner != "LayerNorm"}
    text = (f"{'; '.join(sub)}. Padding ({100 * padded:.0f}% of the positions) moves BN's "
            f"channel means by {100 * pad_error:.0f}% of their size.")
    if all(sub.values()):
        return confirmed(text, sub)
    if not any(sub.values()):
        return refuted(text, sub)
    where = f"large batches ({large})" if sub[list(sub)[1]] else f"small batches ({small})"
    return depends(where, text, sub)
