"""Topic 10 (continued from t10_cnn_nets.py): 1-D convolution on time series.
One function per experiment."""
import math

from .catalog import experiment
from .common import accuracy, minibatches
from .verdict import all_of, compare


def _mean(v):
    return sum(v) / len(v)


# ---------------------------------------------------------------------------------------------
def _waveforms(torch, lab, rng, n, shifted, length=128):
    """n noisy waveforms of 4 classes (sine, square, triangle, sawtooth) with 2-8 cycles per
    window; `shifted`: a random phase (a random time shift), else every wave starts at phase 0."""
    y = lab.tensor(rng.integers(0, 4, n))
    cycles = lab.tensor(rng.uniform(2, 8, (n, 1)).astype("float32"))
    phase = lab.tensor(rng.uniform(0, 2 * math.pi, (n, 1)).astype("float32")) * float(shifted)
    noise = lab.tensor(rng.normal(0, 0.3, (n, length)).astype("float32"))
    a = 2 * math.pi * cycles * torch.arange(length).float() / length + phase
    s = torch.sin(a)
    saw = 2 * torch.remainder(a / (2 * math.pi), 1.0) - 1
    waves = torch.stack([s, torch.sign(s), torch.asin(s.clamp(-1, 1)) * (2 / math.pi), saw], 1)
    x = waves[torch.arange(n), y] + noise
    return x[:, None, :], y


def _seq_models(torch):
    nn = torch.nn

    class GRUNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru, self.out = nn.GRU(1, 32, batch_first=True), nn.Linear(32, 4)

        def forward(self, x):                       # (N, 1, L) -> (N, L, 1)
            return self.out(self.gru(x.transpose(1, 2))[0][:, -1])

    return {"Conv1d": lambda: nn.Sequential(
                nn.Conv1d(1, 16, 9, padding=4), nn.ReLU(), nn.MaxPool1d(4),
                nn.Conv1d(16, 16, 5, padding=2), nn.ReLU(), nn.AdaptiveMaxPool1d(1),
                nn.Flatten(), nn.Linear(16, 4)),
            "MLP": lambda: nn.Sequential(nn.Flatten(), nn.Linear(128, 64), nn.ReLU(),
                                         nn.Linear(64, 4)),
            "GRU": GRUNet}


@experiment(
    id="conv1d-timeseries", topic=10,
    question="Are convolution and pooling only for images, or also for time series?",
    claim="1-D convolution handles sequences; pooling is optional [a]",
    test="Confirmed if Conv1d ≥ MLP (especially under shifts) at far lower cost than the GRU "
         "(≥: not beaten beyond twice the seed spread; under shifts: better beyond it; far lower "
         "cost: a training step at least 3x cheaper)",
    plot="accuracy and seconds-per-epoch bars")
def conv1d_timeseries(torch, lab):
    F = torch.nn.functional
    n_train, n_test = (800, 400) if lab.quick else (3000, 1000)
    epochs = 6 if lab.quick else 10
    gru_epochs = 1 if lab.quick else 4       # the GRU's accuracy is recorded, its cost decides
    makers = _seq_models(torch)
    conds = ("aligned", "shifted")
    acc = {c: {m: [] for m in makers} for c in conds}
    step_s = {m: [] for m in makers}
    for seed in lab.seeds:
        rng = lab.seed(seed)
        trained = {}                          # the models trained on shifted series
        for cond in conds:
            Xtr, ytr = _waveforms(torch, lab, rng, n_train, cond == "shifted")
            Xte, yte = _waveforms(torch, lab, rng, n_test, cond == "shifted")
            for name, make in makers.items():
                if name == "GRU" and cond == "aligned":
                    continue
                model = make()
                opt = torch.optim.Adam(model.parameters(), lr=3e-3)
                for _ in range(gru_epochs if name == "GRU" else epochs):
                    for idx in minibatches(torch, n_train, 64, rng):
                        loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
                        opt.zero_grad(); loss.backward(); opt.step()
                acc[cond][name].append(accuracy(torch, model, Xte, yte))
                trained[name] = model
        # cost: one training step (forward + backward, batch 64) of each model, the models
        # taking turns 5 times (the machine is shared), the fastest time of each kept
        times = {name: [] for name in trained}
        for _ in range(5):
            for name, model in trained.items():
                times[name].append(lab.timeit(
                    lambda: F.cross_entropy(model(Xtr[:64]), ytr[:64]).backward(), 1, warmup=1))
        for name in trained:
            step_s[name].append(min(times[name]))
    per_epoch = {m: _mean(v) * math.ceil(n_train / 64) for m, v in step_s.items()}
    lab.record(accuracy=acc, seconds_per_training_step=step_s, seconds_per_epoch=per_epoch,
               epochs={"Conv1d/MLP": epochs, "GRU": gru_epochs}, train_series=n_train)
    fig, axes = lab.figure(1, 2)
    for k, cond in enumerate(conds):
        names = [m for m in makers if acc[cond][m]]
        axes[0].bar([i + 0.4 * k for i in range(len(names))], [_mean(acc[cond][m]) for m in names],
                    width=0.4, label=cond)
    axes[0].set_xticks(range(3), list(makers)); axes[0].set_ylabel("test accuracy")
    axes[0].legend(fontsize=8)
    axes[1].bar(range(3), [per_epoch[m] for m in makers]); axes[1].set_xticks(range(3), list(makers))
    axes[1].set_ylabel("seconds per epoch (fastest step x steps)")
    cmp = {c: compare("Conv1d", acc[c]["Conv1d"], "MLP", acc[c]["MLP"]) for c in conds}
    ratio = per_epoch["GRU"] / per_epoch["Conv1d"]
    checks = {f"Conv1d ≥ MLP on aligned series ({cmp['aligned']})":
                  cmp["aligned"].winner != "MLP",
              f"Conv1d > MLP under random shifts ({cmp['shifted']})":
                  cmp["shifted"].winner == "Conv1d",
              f"Conv1d costs far less than the GRU ({ratio:.1f}x cheaper per step)": ratio >= 3}
    return all_of(checks, note=f"GRU after {gru_epochs} epoch(s) under shifts: "
                  f"{_mean(acc['shifted']['GRU']):.3f}.")
