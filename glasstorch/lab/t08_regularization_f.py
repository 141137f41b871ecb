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
