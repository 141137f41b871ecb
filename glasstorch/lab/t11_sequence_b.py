"""Topic 11, continued: GRU gates, batch sampling, seq2seq with attention. One function per
experiment, `fn(torch, lab)`."""
import math

import numpy as np

from .catalog import experiment
from .t11_sequence import _char_corpus, _mean, _random_windows
from .verdict import all_of, compare

# ---------------------------------------------------------------------------------------------
# gru-gates

_GATE_VARIANTS = ("normal", "gates swapped", "reset fixed at 1", "update fixed at 0",
                  "update fixed at 0.5")


def _hand_gru(torch, V, H, variant):
    """A character GRU written out step by step (the same code on both frameworks), so that the
    gates can be swapped or fixed:
        A, B = sigmoid(x W_g + h U_g + b_g)            two gates of identical form
        r, z = (A, B), or (B, A) when swapped; fixed values replace them in the ablations
        h~ = tanh(x W_h + (r * h) U_h + b_h);   h = z * h + (1 - z) * h~"""
    nn = torch.nn

    class HandGRU(nn.Module):
        def __init__(self):
            super().__init__()
            self.W = nn.Linear(V, 3 * H)                       # [gate A | gate B | candidate]
            self.U_g = nn.Linear(H, 2 * H, bias=False)
            self.U_h = nn.Linear(H, H, bias=False)
            self.out = nn.Linear(H, V)

        def forward(self, x, keep_gates=False):
            N, T, _ = x.shape
            xs = self.W(x)
            h = torch.zeros(N, H)
            outs, gates = [], []
            for t in range(T):
                a, b = torch.sigmoid(xs[:, t, :2 * H] + self.U_g(h)).chunk(2, 1)
                r, z = (b, a) if variant == "gates swapped" else (a, b)
                if variant == "reset fixed at 1":
                    r = torch.ones_like(r)
                elif variant == "update fixed at 0":
                    z = torch.zeros_like(z)
                elif variant == "update fixed at 0.5":
                    z = torch.full_like(z, 0.5)
                cand = torch.tanh(xs[:, t, 2 * H:] + self.U_h(r * h))
                h = z * h + (1 - z) * cand
                outs.append(h)
                if keep_gates:
                    gates.append((r, z))
            logits = self.out(torch.stack(outs, 1))
            return (logits, gates) if keep_gates else logits
    return HandGRU()


@experiment(
    id="gru-gates", topic=11,
    question="The GRU's reset and update gates have the same form; how do they end up doing "
             "different jobs?",
    claim="gradient descent learns to tell them apart [a]",
    test="Confirmed with nuance: roles come from where each gate enters the equations (swap = "
         "same perplexity), training sets their values (ablations cost perplexity)",
    flag="≈ the wiring fixes the roles; learning only tunes them",
    plot="perplexity bars; gate-activation histograms")
def gru_gates(torch, lab):
    F = torch.nn.functional
    ids, V = _char_corpus(lab, 60000 if lab.quick else 120000)
    n_train = int(0.9 * len(ids))
    H, T = (32, 16) if lab.quick else (64, 25)
    steps = 30 if lab.quick else 150             # Adam steps of 32 windows (sized for budget)
    ppl = {k: [] for k in _GATE_VARIANTS}
    hist = {}
    val_rng = np.random.default_rng(99)
    xv, yv = _random_windows(torch, ids[n_train:], val_rng, 200, T)
    xv = F.one_hot(xv, V).float()
    for seed in lab.seeds:
        for variant in _GATE_VARIANTS:
            rng = lab.seed(seed)                 # same init draws and batches for every variant
            model = _hand_gru(torch, V, H, variant)
            opt = torch.optim.Adam(model.parameters(), lr=0.01)
            for _ in range(steps):
                x, y = _random_windows(torch, ids[:n_train], rng, 32, T)
                loss = F.cross_entropy(model(F.one_hot(x, V).float()).reshape(-1, V),
                                       y.reshape(-1))
                opt.zero_grad(); loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
            with torch.no_grad():
                logits, gates = model(xv, keep_gates=True)
                ppl[variant].append(math.exp(F.cross_entropy(logits.reshape(-1, V),
                                                             yv.reshape(-1)).item()))
                if seed == lab.seeds[0] and variant in ("normal", "gates swapped"):
                    hist[variant] = {
                        name: np.histogram(torch.stack([g[i] for g in gates]).numpy().ravel(),
                                           bins=20, range=(0, 1))[0].tolist()
                        for i, name in enumerate(("reset", "update"))}
    lab.record(perplexity=ppl, gate_histograms_seed0=hist, hidden=H, window=T, steps=steps)
    fig, axes = lab.figure(1, 2)
    axes[0].bar(range(len(ppl)), [_mean(ppl[k]) for k in _GATE_VARIANTS],
                yerr=[(max(ppl[k]) - min(ppl[k])) / 2 for k in _GATE_VARIANTS], capsize=3)
    axes[0].set_xticks(range(len(ppl)), [k.replace(" ", "\n", 1) for k in _GATE_VARIANTS],
                       fontsize=7)
    axes[0].set_ylabel("validation perplexity")
    centers = np.linspace(0.025, 0.975, 20)
    for name, style in (("reset", "-"), ("update", "--")):
        axes[1].plot(centers, hist["normal"][name], style, label=f"{name} gate")
    axes[1].set_xlabel("gate activation (normal GRU, seed 0)"); axes[1].legend()
    swap = compare("normal", ppl["normal"], "gates swapped", ppl["gates swapped"],
                   higher_is_better=False)
    ablations = {k: compare("normal", ppl["normal"], k, ppl[k], higher_is_better=False)
                 for k in _GATE_VARIANTS[2:]}
    costly = [k for k, c in ablations.items() if c.winner == "normal"]
    lab.record(swap=swap.as_dict(), ablations={k: c.as_dict() for k, c in ablations.items()})
    checks = {f"swapping the gates' parameters changes nothing measurable ({swap})":
                  swap.winner is None,
              "training sets the values: fixing a gate costs perplexity ("
              + "; ".join(str(c) for c in ablations.values()) + ")": len(costly) >= 1}
    return all_of(checks, because="The roles come from where each gate enters the equations "
                  "(a relabelling of identical gates is the same model); gradient descent then "
                  "tunes their values, which the ablations show matter.",
                  note=f"Ablations that cost perplexity: {', '.join(costly) or 'none'}.")
