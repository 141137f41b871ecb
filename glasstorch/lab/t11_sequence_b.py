"""Topic 11, continued: GRU gates, batch sampling, seq2seq with attention. One function per
experiment, `fn(torch, lab)`."""
import math
import time

import numpy as np

from .catalog import experiment
from .t11_sequence import _char_corpus, _mean, _random_windows
from .verdict import all_of, compare, depends, refuted

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


# ---------------------------------------------------------------------------------------------
# rnn-batch-sampling

def _stream_batches(torch, ids, streams, length):
    """Sequential partitioning: the corpus cut into `streams` rows; batch i is columns
    [i*length, (i+1)*length) of every row, so row j of batch i+1 continues row j of batch i."""
    cols = (len(ids) - 1) // streams
    X = ids[:streams * cols].reshape(streams, cols)
    Y = ids[1:streams * cols + 1].reshape(streams, cols)
    for i in range(0, cols - length + 1, length):
        yield (torch.from_numpy(X[:, i:i + length].copy()),
               torch.from_numpy(Y[:, i:i + length].copy()))


def _stream_perplexity(torch, model, head, ids, V, streams=8, length=35):
    """Perplexity over `ids` read sequentially with the state carried (how the model is used)."""
    F = torch.nn.functional
    total, count, h = 0.0, 0, None
    with torch.no_grad():
        for x, y in _stream_batches(torch, ids, streams, length):
            out, h = model(F.one_hot(x, V).float(), h)
            total += F.cross_entropy(head(out).reshape(-1, V), y.reshape(-1),
                                     reduction="sum").item()
            count += y.numel()
    return math.exp(total / count)


@experiment(
    id="rnn-batch-sampling", topic=11,
    question="Should RNN minibatches be sampled randomly or sequentially?",
    claim="random sampling is allowed; sequential keeps time links; random is more common "
          "because RNNs can't remember long spans; sequential lowers randomness and may overfit "
          "[a]",
    test="Depends: reports which ordering wins and whether sequential widens the gap",
    plot="validation perplexity vs epoch; train–val gap; seconds per step over time")
def rnn_batch_sampling(torch, lab):
    nn, F = torch.nn, torch.nn.functional
    ids, V = _char_corpus(lab, 20000 if lab.quick else 60000)
    n_train = int(0.9 * len(ids))
    train, val = ids[:n_train], ids[n_train:]
    B, T = 32, 35
    epochs = 3 if lab.quick else 10              # sized for the budget (catalogue: 15 s each)
    ppl = {k: [] for k in ("random", "sequential")}
    gap = {k: [] for k in ppl}
    step_s = {k: [] for k in ppl}
    for seed in lab.seeds:
        for order in ppl:
            rng = lab.seed(seed)
            rnn, head = nn.GRU(V, 64, batch_first=True), nn.Linear(64, V)
            params = list(rnn.parameters()) + list(head.parameters())
            opt = torch.optim.Adam(params, lr=5e-3)
            curve, times = [], []
            for _ in range(epochs):
                if order == "random":            # random windows, fresh zero state each
                    offset = int(rng.integers(0, T))
                    starts = rng.permutation(np.arange(offset, n_train - T - 1, T))
                    win = np.stack([train[s:s + T + 1] for s in starts])
                    batches = ((torch.from_numpy(win[i:i + B, :-1].copy()),
                                torch.from_numpy(win[i:i + B, 1:].copy()))
                               for i in range(0, len(starts) - B + 1, B))
                else:
                    offset = int(rng.integers(0, T))
                    batches = _stream_batches(torch, train[offset:], B, T)
                h = None
                for x, y in batches:
                    t0 = time.process_time()
                    if order == "sequential" and h is not None:
                        h = h.detach()           # keep the state, cut the graph
                    out, h = rnn(F.one_hot(x, V).float(), h if order == "sequential" else None)
                    loss = F.cross_entropy(head(out).reshape(-1, V), y.reshape(-1))
                    opt.zero_grad(); loss.backward()
                    nn.utils.clip_grad_norm_(params, 1.0)
                    opt.step()
                    times.append(time.process_time() - t0)
                curve.append(_stream_perplexity(torch, rnn, head, val, V))
            tr = _stream_perplexity(torch, rnn, head, train[:len(val)], V)
            ppl[order].append(curve)
            gap[order].append(curve[-1] - tr)
            step_s[order].append(_mean(times))
    # sequential without detaching: the second backward reaches the freed graph of the first
    lab.seed(0)
    rnn, head = nn.GRU(V, 64, batch_first=True), nn.Linear(64, V)
    h, error = None, None
    for i, (x, y) in enumerate(_stream_batches(torch, train, B, T)):
        try:
            out, h = rnn(F.one_hot(x, V).float(), h)
            F.cross_entropy(head(out).reshape(-1, V), y.reshape(-1)).backward()
        except RuntimeError as e:
            error = f"step {i + 1}: {type(e).__name__}: {str(e).splitlines()[0][:120]}"
            break
        if i == 3:
            break
    final = {k: [c[-1] for c in v] for k, v in ppl.items()}
    c = compare("random", final["random"], "sequential", final["sequential"],
                higher_is_better=False)
    lab.record(val_perplexity_per_epoch=ppl, train_val_gap=gap, seconds_per_step=step_s,
               no_detach_error=error, comparison=c.as_dict(), epochs=epochs)
    fig, axes = lab.figure(1, 2)
    for k, v in ppl.items():
        axes[0].plot(range(1, epochs + 1), [_mean([c_[e] for c_ in v]) for e in range(epochs)],
                     "o-", label=k)
    axes[0].set_xlabel("epoch"); axes[0].set_ylabel("validation perplexity"); axes[0].legend()
    axes[1].bar(range(2), [_mean(gap[k]) for k in ppl]); axes[1].set_xticks(range(2), list(ppl))
    axes[1].set_ylabel("validation - training perplexity")
    trains = max(max(v) for v in final.values()) < 0.7 * V      # both learn (uniform = V)
    wider = _mean(gap["sequential"]) > _mean(gap["random"])
    text = (f"{c}; train-val gap random {_mean(gap['random']):.2f}, sequential "
            f"{_mean(gap['sequential']):.2f} (sequential {'widens' if wider else 'does not widen'}"
            f" it); seconds per step random {_mean(step_s['random']) * 1e3:.1f} ms, sequential "
            f"{_mean(step_s['sequential']) * 1e3:.1f} ms. Without detach: "
            f"{error or 'no error in 4 steps'}.")
    if not trains:
        return refuted("one of the orderings does not learn: " + text)
    winner = c.winner or "neither (no measurable difference)"
    return depends(f"ordering: {winner} wins here; the gap is "
                   f"{'wider' if wider else 'not wider'} with sequential batches",
                   "Both orderings train. " + text, {str(c): c.winner is not None,
                                                     "sequential widens the gap": wider})
