"""Topic 8 (continued): data augmentation with little and more data. The images are augmented in
NumPy (same pixels for both frameworks); the CNN is small so the whole grid fits the budget.
Quick mode trains on 1,500 images per run, too few for the augmented runs to converge: its
verdict only checks that both frameworks agree; the full run (4,000 per run) is the answer."""
import math

import numpy as np

from .catalog import experiment
from .common import minibatches
from .verdict import all_of, compare


def _small_cnn(torch):
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 12, 5),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(192, 10))


def _shift_rotate(images, rng, max_shift=3, max_degrees=15):
    """Each (28, 28) image shifted by up to max_shift pixels and rotated by up to max_degrees
    about its centre (nearest-neighbour sampling, zeros outside)."""
    n = len(images)
    out = np.zeros_like(images)
    ys, xs = np.mgrid[0:28, 0:28].astype(np.float64) - 13.5
    angles = np.deg2rad(rng.uniform(-max_degrees, max_degrees, n))
    shifts = rng.integers(-max_shift, max_shift + 1, (n, 2))
    for i in range(n):
        c, s = math.cos(angles[i]), math.sin(angles[i])
        # the source pixel of each output pixel: the inverse rotation, then the shift
        sy = np.rint(c * ys + s * xs + 13.5 - shifts[i, 0]).astype(int)
        sx = np.rint(-s * ys + c * xs + 13.5 - shifts[i, 1]).astype(int)
        ok = (sy >= 0) & (sy < 28) & (sx >= 0) & (sx < 28)
        out[i][ok] = images[i][sy[ok], sx[ok]]
    return out


@experiment(
    id="augmentation", topic=8,
    question="With plenty of samples, is augmentation still needed? Does it train on transformed "
             "images instead of the originals, keeping the count?",
    claim="it depends on the data's diversity, which is usually limited [a]; yes, the "
          "transformed images are used and the count stays the same",
    test="First claim confirmed if the gain shrinks with n on the clean test but persists on "
         "the shifted test; second confirmed if online ≥ one fixed copy at equal epochs",
    plot="accuracy vs n for clean and shifted tests, one line per scheme")
def augmentation(torch, lab):
    F = torch.nn.functional
    from .data import mnist as mnist_arrays
    sizes = (200, 600) if lab.quick else (250, 1000, 2000)
    copies = 2 if lab.quick else 3      # the catalogue's x5, shortened to fit the budget
    budget = 1500 if lab.quick else 4000    # images per run: epochs = budget / n (equal
    # epochs for every scheme at a given n; small sets get more epochs so that they converge)
    xtr, ytr, xte, yte = mnist_arrays(max(sizes), 1000, flat=False)
    xte_shifted = _shift_rotate(xte[:, 0], np.random.default_rng(12345))[:, None]
    test_sets = {"clean": lab.tensor(xte), "shifted/rotated": lab.tensor(xte_shifted)}
    y_test = lab.tensor(yte)
    schemes = ("none", "offline, one copy", f"offline, {copies} copies", "online")
    acc = {(s, n, t): [] for s in schemes for n in sizes for t in test_sets}
    for seed in lab.seeds:
        for n in sizes:
            for scheme in schemes:
                rng = lab.seed(seed)
                x0, y0 = xtr[:n, 0], ytr[:n]
                if scheme.startswith("offline"):
                    k = 1 if scheme == "offline, one copy" else copies
                    x_fixed = np.concatenate([_shift_rotate(x0, rng) for _ in range(k)])
                    y_fixed = np.concatenate([y0] * k)
                model = _small_cnn(torch)
                opt = torch.optim.Adam(model.parameters(), lr=3e-3)
                for _ in range(max(1, budget // n)):
                    if scheme == "none":
                        xs, ys = x0, y0
                    elif scheme == "online":          # fresh transforms, same count
                        xs, ys = _shift_rotate(x0, rng), y0
                    else:
                        xs, ys = x_fixed, y_fixed
                    X, Y = lab.tensor(xs[:, None]), lab.tensor(ys)
                    for idx in minibatches(torch, len(X), 32, rng):
                        loss = F.cross_entropy(model(X[idx]), Y[idx])
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                model.eval()
                with torch.no_grad():
                    for t, Xt in test_sets.items():
                        acc[(scheme, n, t)].append(
                            (model(Xt).argmax(1) == y_test).float().mean().item())
    lab.record(accuracy={f"{s} | n={n} | {t}": v for (s, n, t), v in acc.items()})
    m = {k: sum(v) / len(v) for k, v in acc.items()}
    fig, axes = lab.figure(1, 2)
    for ax, t in zip(axes, test_sets):
        for s in schemes:
            ax.plot(sizes, [m[(s, n, t)] for n in sizes], "o-", label=s)
        ax.set_xscale("log"); ax.set_xlabel("training images"); ax.set_title(f"{t} test")
    axes[0].set_ylabel("test accuracy"); axes[1].legend(fontsize=7)
    lo, hi = sizes[0], sizes[-1]

    def gain(n, t):
        return m[("online", n, t)] - m[("none", n, t)]
    online_vs_copy = compare("online", acc[("online", hi, "shifted/rotated")],
                             "one fixed copy", acc[("offline, one copy", hi,
                                                    "shifted/rotated")])
    checks = {
        f"the clean-test gain of augmentation shrinks with n ({gain(lo, 'clean'):+.3f} at "
        f"n={lo}, {gain(hi, 'clean'):+.3f} at n={hi})": gain(hi, "clean") < gain(lo, "clean"),
        f"it persists on the shifted/rotated test ({gain(hi, 'shifted/rotated'):+.3f} at "
        f"n={hi})": gain(hi, "shifted/rotated") > 0.02,
        f"online augmentation (same count, new images every epoch) is at least as good as one "
        f"fixed copy ({online_vs_copy})": online_vs_copy.winner != "one fixed copy"}
    return all_of(checks, because="Augmentation matters less for clean accuracy as data grows, "
                                  "but keeps paying where the test varies more than the data.")
