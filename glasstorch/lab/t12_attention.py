"""Topic 12: attention, the Transformer, BERT, word2vec. One function per experiment,
`fn(torch, lab)`."""
import math
import time

import numpy as np

from .catalog import experiment
from .verdict import all_of, compare


def _mean(xs):
    return sum(xs) / len(xs)


def sinusoidal_positions(torch, length, d):
    """The Transformer's fixed encoding: sin on even, cos on odd features, wavelengths up to 1e4."""
    pos = torch.arange(length).float()[:, None]
    div = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
    pe = torch.zeros(length, d)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe



def _tiny_encoder(torch, vocab, d=32, layers=2, heads=4, max_len=64, positions=True, out=None):
    """Embedding (+ sinusoidal positions) -> `layers` Transformer encoder layers (no dropout)
    -> per-token features (N, S, d); `head` (d -> out) when out is given."""
    nn = torch.nn

    class TinyEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, d)
            self.layers = nn.ModuleList(nn.TransformerEncoderLayer(d, heads, 2 * d, dropout=0.0,
                                                                   batch_first=True)
                                        for _ in range(layers))
            self.head = nn.Linear(d, out) if out else None
            self.register_buffer("pe", sinusoidal_positions(torch, max_len, d))
            self.positions = positions

        def features(self, ids, mask=None):
            x = self.embed(ids)
            if self.positions:
                x = x + self.pe[:ids.shape[1]]
            for layer in self.layers:
                x = layer(x, src_mask=mask)
            return x

        def attention(self, ids):
            """Head-averaged attention weights of the first layer, (N, S, S)."""
            x = self.embed(ids)
            if self.positions:
                x = x + self.pe[:ids.shape[1]]
            return self.layers[0].self_attn(x, x, x, need_weights=True)[1]

    return TinyEncoder()


# ---------------------------------------------------------------------------------------------
# positional-encoding

def _sorted_task(rng, n, length, vocab):
    """Half sorted sequences, half the same kind of draws shuffled (distinct tokens, so a
    shuffle is sorted once in length! times; those are reshuffled); label 1 = sorted. Both
    halves are drawn alike, so only the order tells them apart."""
    seqs = np.sort(rng.random((n, vocab)).argsort(1)[:, :length], 1)
    y = (np.arange(n) < n // 2).astype(np.int64)
    neg = np.arange(n // 2, n)
    while len(neg):
        p = rng.random((len(neg), length)).argsort(1)
        seqs[neg] = np.take_along_axis(seqs[neg], p, 1)
        neg = neg[(np.diff(seqs[neg], axis=1) > 0).all(1)]       # still sorted: shuffle again
    order = rng.permutation(n)
    return seqs[order], y[order]


@experiment(
    id="positional-encoding", topic=12,
    question="The Transformer extracts features with attention alone; how does it know word "
             "order?",
    claim="the Transformer relies on attention for feature extraction and decoding [a]",
    test="Confirmed with nuance: without positions attention is order-blind (chance), with them "
         "the task is solved",
    flag="≈ attention by itself ignores order; position must be added",
    plot="accuracy bars; permutation-equivariance error; attention maps")
def positional_encoding(torch, lab):
    F = torch.nn.functional
    V, S = 16, 6
    steps = 100 if lab.quick else 500          # Adam steps of batch 64 (sized for the budget)
    acc = {"with positions": [], "without positions": []}
    equi = {"with positions": [], "without positions": []}
    maps = {}
    for seed in lab.seeds:
        rng = lab.seed(seed)
        Xte, yte = (torch.from_numpy(a) for a in _sorted_task(rng, 1000, S, V))
        Xtr, ytr = (torch.from_numpy(a) for a in _sorted_task(rng, 64 * steps, S, V))
        for name in acc:
            lab.seed(seed)
            model = _tiny_encoder(torch, V, positions=name == "with positions", out=2)
            opt = torch.optim.Adam(model.parameters(), lr=3e-3)
            for i in range(0, len(ytr), 64):
                x, y = Xtr[i:i + 64], ytr[i:i + 64]
                loss = F.cross_entropy(model.head(model.features(x).mean(1)), y)
                opt.zero_grad(); loss.backward(); opt.step()
            with torch.no_grad():
                acc[name].append((model.head(model.features(Xte).mean(1)).argmax(1) == yte)
                                 .float().mean().item())
                perm = torch.from_numpy(rng.permutation(S))
                h = model.features(Xte[:200])
                hp = model.features(Xte[:200][:, perm])
                # permutation equivariance: features of the permuted input = permuted features
                equi[name].append(((hp - h[:, perm]).abs().max() / h.abs().max()).item())
                if seed == lab.seeds[0]:
                    maps[name] = model.attention(Xte[:1])[0]
    lab.record(accuracy=acc, equivariance_error=equi, attention_seed0=maps, steps=steps,
               length=S, vocab=V)
    fig, axes = lab.figure(1, 3)
    names = list(acc)
    axes[0].bar(range(2), [_mean(acc[k]) for k in names])
    axes[0].axhline(0.5, ls="--", c="k"); axes[0].set_xticks(range(2), names, fontsize=8)
    axes[0].set_ylabel("test accuracy: is the sequence sorted?")
    for ax, k in zip(axes[1:], names):
        ax.imshow(maps[k].detach().numpy(), cmap="viridis")
        ax.set_title(f"layer-1 attention, {k}\nequivariance error {_mean(equi[k]):.1e}",
                     fontsize=8)
    a_with, a_without = _mean(acc["with positions"]), _mean(acc["without positions"])
    checks = {f"without positions the encoder is permutation-equivariant (relative error "
              f"{max(equi['without positions']):.1e} < 1e-4; with positions "
              f"{min(equi['with positions']):.2f})": max(equi["without positions"]) < 1e-4,
              f"without positions accuracy is at chance ({a_without:.3f}, within 0.45-0.55)":
                  0.45 <= a_without <= 0.55,
              f"with positions the task is solved ({a_with:.3f} >= 0.9)": a_with >= 0.9}
    return all_of(checks, because="Attention itself is order-blind: the order the model uses "
                  "is the one the positional encoding adds to the inputs.")


# ---------------------------------------------------------------------------------------------
# mlm-vs-causal

def _char_ids(lab, n_chars):
    text = lab.timemachine()[:n_chars]
    chars = sorted(set(text))
    lookup = {c: i for i, c in enumerate(chars)}
    return np.array([lookup[c] for c in text], dtype=np.int64), len(chars)


@experiment(
    id="mlm-vs-causal", topic=12,
    question="What is BERT relative to the Transformer, and why mask tokens?",
    claim="BERT is the Transformer's encoder used as a feature extractor [a]",
    test="Confirmed if the bidirectional model predicts middle characters better; verdict "
         "states that BERT = encoder + masked-token pre-training",
    flag="≈ what sets BERT apart is the masked, two-sided training objective, not just the "
         "encoder",
    plot="accuracy bars; accuracy vs position")
def mlm_vs_causal(torch, lab):
    F = torch.nn.functional
    ids, V = _char_ids(lab, 60000 if lab.quick else 150000)
    MASK = V                                      # one extra token id
    S, B = 16, 64
    steps = 45 if lab.quick else 400              # Adam steps per model (sized for the budget)
    n_train = int(0.9 * len(ids))
    causal_mask = torch.nn.Transformer.generate_square_subsequent_mask(S)
    mid = list(range(4, 12))                      # "mid-sequence" positions, context both sides
    acc = {"masked (two-sided)": [], "causal (left only)": []}
    by_pos = {k: [] for k in acc}
    for seed in lab.seeds:
        rng = lab.seed(seed)
        starts = rng.integers(n_train, len(ids) - S, 400)
        Xv = torch.from_numpy(np.stack([ids[s:s + S] for s in starts]))
        for name in acc:
            rng = lab.seed(seed)
            model = _tiny_encoder(torch, V + 1, out=V)
            opt = torch.optim.Adam(model.parameters(), lr=3e-3)
            for _ in range(steps):
                s0 = rng.integers(0, n_train - S, B)
                x = torch.from_numpy(np.stack([ids[s:s + S] for s in s0]))
                if name.startswith("masked"):    # BERT: hide 15% of positions, predict them
                    m = torch.from_numpy(rng.random((B, S)) < 0.15)
                    logits = model.head(model.features(torch.where(m, MASK, x)))
                    loss = F.cross_entropy(logits[m], x[m])
                else:                            # GPT-style: predict each next character
                    logits = model.head(model.features(x, causal_mask))
                    loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), x[:, 1:].reshape(-1))
                opt.zero_grad(); loss.backward(); opt.step()
            per_pos = []
            with torch.no_grad():
                if name.startswith("masked"):
                    for p in range(1, S):        # mask one position at a time
                        xm = Xv.clone(); xm[:, p] = MASK
                        pred = model.head(model.features(xm)[:, p]).argmax(1)
                        per_pos.append((pred == Xv[:, p]).float().mean().item())
                else:                            # position p predicted from positions < p
                    pred = model.head(model.features(Xv, causal_mask)).argmax(2)
                    per_pos = [(pred[:, p - 1] == Xv[:, p]).float().mean().item()
                               for p in range(1, S)]
            by_pos[name].append(per_pos)
            acc[name].append(_mean([per_pos[p - 1] for p in mid]))
    c = compare("masked (two-sided)", acc["masked (two-sided)"], "causal (left only)",
                acc["causal (left only)"])
    lab.record(mid_accuracy=acc, accuracy_by_position=by_pos, positions=list(range(1, S)),
               comparison=c.as_dict(), steps=steps)
    fig, axes = lab.figure(1, 2)
    names = list(acc)
    axes[0].bar(range(2), [_mean(acc[k]) for k in names])
    axes[0].set_xticks(range(2), names, fontsize=8)
    axes[0].set_ylabel(f"accuracy at positions {mid[0]}-{mid[-1]}")
    for k in names:
        axes[1].plot(range(1, S), [_mean([r[i] for r in by_pos[k]]) for i in range(S - 1)],
                     "o-", label=k)
    axes[1].set_xlabel("position predicted"); axes[1].set_ylabel("accuracy"); axes[1].legend()
    checks = {f"the two-sided (masked) model predicts middle characters better ({c})":
                  c.winner == "masked (two-sided)"}
    return all_of(checks, because="The same encoder in both runs: BERT = the Transformer's "
                  "encoder + masked-token pre-training, and the objective is what lets it use "
                  "context on both sides.",
                  note=f"Same encoder, same steps ({steps} of {B} windows): the masked model "
                  "gets a target at 15% of positions, the causal one at every position, so at "
                  "a short budget the causal model has seen ~6x more targets.")
