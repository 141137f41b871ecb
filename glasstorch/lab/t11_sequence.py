"""Topic 11: sequence models (Markov windows, RNN gradients, clipping, GRU gates, vocabulary,
batch sampling, seq2seq). One function per experiment, `fn(torch, lab)`; the rest of the topic
continues in t11_sequence_b.py."""
import math

import numpy as np

from .catalog import experiment
from .verdict import all_of, compare


def _mean(xs):
    return sum(xs) / len(xs)


# ---------------------------------------------------------------------------------------------
# markov-tau

def _windows(torch, series, tau, lo, hi):
    """Inputs x[t-tau:t] and targets x[t] for every t in [max(lo, tau), hi)."""
    idx = np.arange(max(lo, tau), hi)
    X = np.stack([series[t - tau:t] for t in idx]).astype(np.float32)
    return torch.from_numpy(X), torch.from_numpy(series[idx].astype(np.float32)), idx


def _ahead(torch, net, series, tau, starts, k):
    """k-step-ahead predictions: from the true window before each start, feed predictions back."""
    win = torch.from_numpy(np.stack([series[t - tau:t] for t in starts]).astype(np.float32))
    with torch.no_grad():
        for _ in range(k):
            nxt = net(win)                                   # (N, 1)
            win = torch.cat([win[:, 1:], nxt], 1)
    return nxt[:, 0]


@experiment(
    id="markov-tau", topic=11,
    question="Under a Markov assumption, is a longer history τ always better?",
    claim="a larger τ sees more but leaves fewer training windows and needs a stronger model [a]",
    test="Confirmed if error falls and then rises or flattens, multi-step error being more "
         "sensitive",
    plot="error vs τ for both horizons")
def markov_tau(torch, lab):
    nn = torch.nn
    n, n_train, K = 1000, 600, 16              # the series; windows ending before 600 train
    taus = [1, 2, 4, 8, 16, 32, 64]
    steps = 150 if lab.quick else 400          # full-batch Adam steps (sized for the budget)
    err1 = {t: [] for t in taus}
    errK = {t: [] for t in taus}
    n_windows = {}
    for seed in lab.seeds:
        rng = lab.seed(seed)
        time_ = np.arange(1, n + 1, dtype=np.float64)
        series = (np.sin(0.01 * time_) + rng.normal(0, 0.2, n)).astype(np.float32)
        truth = np.sin(0.01 * time_).astype(np.float32)
        for tau in taus:
            lab.seed(seed * 100 + tau)
            Xtr, ytr, _ = _windows(torch, series, tau, 0, n_train)
            n_windows[tau] = len(ytr)
            net = nn.Sequential(nn.Linear(tau, 10), nn.ReLU(), nn.Linear(10, 1))
            opt = torch.optim.Adam(net.parameters(), lr=0.01)
            for _ in range(steps):
                loss = ((net(Xtr)[:, 0] - ytr) ** 2).mean()
                opt.zero_grad(); loss.backward(); opt.step()
            # test windows end after the training part; the error is measured against the
            # observed (noisy) series, as a forecaster would be judged
            starts = np.arange(n_train + 64, n - K + 1)
            tgt = torch.from_numpy(series[starts + K - 1])
            one = _ahead(torch, net, series, tau, starts + K - 1, 1)
            kk = _ahead(torch, net, series, tau, starts, K)
            err1[tau].append(((one - tgt) ** 2).mean().item())
            errK[tau].append(((kk - tgt) ** 2).mean().item())
    m1 = [_mean(err1[t]) for t in taus]
    mK = [_mean(errK[t]) for t in taus]
    lab.record(taus=taus, one_step_mse=err1, k_step_mse=errK, k=K, training_windows=n_windows)
    fig, ax = lab.figure()
    ax.loglog(taus, m1, "o-", label="1-step ahead")
    ax.loglog(taus, mK, "s-", label=f"{K}-step ahead")
    ax.set_xlabel("history τ"); ax.set_ylabel("test MSE vs the clean signal"); ax.legend()
    best1, bestK = int(np.argmin(m1)), int(np.argmin(mK))
    # "falls": in every seed the best τ's error is at least 20% below τ = 1's (paired: the seeds
    # differ in their noise, which moves all τ together). "then rises or
    # flattens": either the best τ is not the largest, or the upper half of the scan (τ 8 -> 64)
    # adds less than 20% of the total improvement (diminishing returns)
    gains = [1 - b / a for a, b in zip(err1[1], err1[taus[best1]])]
    falls = min(gains) > 0.2
    i8 = taus.index(8)
    tail1 = (m1[i8] - min(m1[i8:])) / max(m1[0] - m1[best1], 1e-12)
    tailK = (mK[i8] - min(mK[i8:])) / max(mK[0] - mK[bestK], 1e-12)
    flat1, flatK = best1 < len(taus) - 1 or tail1 < 0.2, bestK < len(taus) - 1 or tailK < 0.2
    sens1, sensK = max(m1) / min(m1), max(mK) / min(mK)
    checks = {f"one-step error falls from τ=1 ({m1[0]:.4f}) to τ={taus[best1]} ({m1[best1]:.4f}), "
              f"by {', '.join(f'{g:.0%}' for g in gains)} per seed (> 20%)": falls,
              f"then rises or flattens (1-step: best τ={taus[best1]}, τ 8->64 adds "
              f"{tail1:.0%} of the total gain; {K}-step: best τ={taus[bestK]}, adds "
              f"{tailK:.0%})": flat1 and flatK,
              f"{K}-step error is more sensitive to τ (max/min {sensK:.1f}) than 1-step "
              f"({sens1:.1f})": sensK > sens1}
    return all_of(checks, because="A longer window helps only until the noise is averaged out; "
                  "past that, fewer windows and more weights cost more than the extra history.",
                  note=f"Training windows: {n_windows[1]} at τ=1, {n_windows[64]} at τ=64.")
