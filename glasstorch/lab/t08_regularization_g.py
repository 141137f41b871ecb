"""Topic 8 (continued): dropout in convolutional layers, with and without BatchNorm.

Sized down to fit glasstorch's budget (14x14 digits, 8/16 channels, 1,000 images, 12 epochs):
this small net overfits little, so its verdict ("no measurable gain from conv dropout") may
differ from the pilot's 16/32-channel LeNet at 28x28 (conv dropout +1.3 points); see the
closing note of the Lab part 2."""
import numpy as np

from .catalog import experiment
from .common import minibatches
from .verdict import compare, confirmed, refuted


def _lenet(torch, variant):
    """A LeNet-like net for 14x14 digits (8 and 16 channels); `variant` places dropout/BN."""
    nn = torch.nn
    conv_drop = {"elementwise dropout 0.2 after conv blocks": lambda: nn.Dropout(0.2),
                 "channel dropout 0.2 after conv blocks": lambda: nn.Dropout2d(0.2)}.get(
                     variant, lambda: nn.Identity())
    bn = variant.startswith("BN")
    fc_drop = nn.Dropout(0.5) if "FC dropout" in variant else nn.Identity()

    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1),
                nn.BatchNorm2d(cout) if bn else nn.Identity(), nn.ReLU(), nn.MaxPool2d(2),
                conv_drop()]
    return nn.Sequential(*block(1, 8), *block(8, 16), nn.Flatten(), nn.Linear(16 * 3 * 3, 64),
                         nn.ReLU(), fc_drop, nn.Linear(64, 10))


@experiment(
    id="dropout-conv-and-bn", topic=8,
    question="Is dropout only for fully connected layers? With BN, is dropout still needed?",
    claim="only FC layers usually get dropout, typically 0.5 [a]; BN is for CNNs and dropout is "
          "basically FC-only, never in conv layers [b]; BN lowers the need for dropout [c]",
    test="'Never in conv layers' refuted if conv-layer dropout beats none beyond seed spread; "
         "'BN lowers the need' confirmed if BN + dropout ≈ BN alone",
    flag="✗ dropout after conv layers is used and helps here (see pilot); BN is not CNN-only "
         "(see `bn-in-mlp`)",
    plot="test accuracy mean ± spread; train–test gap")
def dropout_conv_and_bn(torch, lab):
    F = torch.nn.functional
    from .data import mnist as mnist_arrays
    # 14x14 digits (2x2 means) and 8/16 channels: the catalogue's 16/32-channel LeNet at full
    # size does not fit the budget in glasstorch
    n = 500 if lab.quick else 1000
    xtr, ytr, xte, yte = mnist_arrays(n, 1000, flat=False)
    half = lambda x: x.reshape(-1, 1, 14, 2, 14, 2).mean((3, 5))
    Xtr, Ytr, Xte, Yte = (lab.tensor(a) for a in (half(xtr), ytr, half(xte), yte))
    epochs = 8 if lab.quick else 12
    variants = ("none", "FC dropout 0.5", "elementwise dropout 0.2 after conv blocks",
                "channel dropout 0.2 after conv blocks", "BN", "BN + FC dropout 0.5")
    acc, gap = {v: [] for v in variants}, {v: [] for v in variants}
    for seed in lab.seeds:
        for v in variants:
            rng = lab.seed(seed)
            model = _lenet(torch, v)
            opt = torch.optim.Adam(model.parameters(), lr=2e-3)
            for _ in range(epochs):
                for idx in minibatches(torch, n, 32, rng):
                    loss = F.cross_entropy(model(Xtr[idx]), Ytr[idx])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
            model.eval()
            with torch.no_grad():
                a = (model(Xte).argmax(1) == Yte).float().mean().item()
                a_tr = (model(Xtr).argmax(1) == Ytr).float().mean().item()
            acc[v].append(a)
            gap[v].append(a_tr - a)
    lab.record(test_accuracy=acc, train_test_gap=gap)
    fig, ax = lab.figure(1, 1, width=6)
    means = [float(np.mean(acc[v])) for v in variants]
    errs = [(max(acc[v]) - min(acc[v])) / 2 for v in variants]
    ax.barh(range(len(variants)), means, xerr=errs)
    ax.set_yticks(range(len(variants)), variants, fontsize=7)
    ax.set_xlim(min(means) - 0.05, 1); ax.set_xlabel("test accuracy")
    conv = max(variants[2:4], key=lambda v: np.mean(acc[v]))
    in_conv = compare(conv, acc[conv], "none", acc["none"])
    bn_need = compare("BN + FC dropout", acc["BN + FC dropout 0.5"], "BN alone", acc["BN"])
    checks = {f"dropout in conv layers beats none ({in_conv})": in_conv.winner == conv,
              f"with BN, FC dropout adds nothing measurable ({bn_need})":
                  bn_need.winner is None}
    text = "; ".join(checks) + "."
    if in_conv.winner == conv:
        return refuted("'Never in conv layers' is refuted: " + text, checks)
    return confirmed("No measurable gain from dropout in conv layers here: " + text, checks)
