"""Topic 11, continued: a GRU encoder-decoder with and without additive attention, on reversing
digit sequences. One function per experiment, `fn(torch, lab)`."""
import numpy as np

from .catalog import experiment
from .verdict import all_of, compare

_BOS = 10                 # tokens: the digits 0-9, then the decoder's start token
_VOCAB = 11


def _mean(xs):
    return sum(xs) / len(xs)


def _seq2seq(torch, attention, hidden, attn_size, embed=16):
    """A GRU encoder-decoder for digit sequences.

    Encoder: a bidirectional GRU (hidden/2 per direction) over the embedded digits; its outputs
    e_1..e_S (N, S, hidden) and its two final states, concatenated, which start the decoder.
    Without attention (d2l's Seq2SeqDecoder): at every step the decoder GRU reads [embedding of
    the previous token, the encoder's final state], the one fixed context; logits = out(s_t).
    With additive attention: the decoder GRU reads the previous token; its state s_t queries
    every encoder output, score_j = w_v^T tanh(W_q s_t + W_k e_j) (Bahdanau's additive score),
    weights = softmax_j(score), context = sum_j weights_j e_j, logits = out([s_t, context])
    (Luong's placement after the GRU, so teacher-forced training runs the decoder in one call).
    """
    nn = torch.nn

    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(_VOCAB, embed)
            self.encoder = nn.GRU(embed, hidden // 2, batch_first=True, bidirectional=True)
            self.decoder = nn.GRU(embed if attention else embed + hidden, hidden,
                                  batch_first=True)
            if attention:
                self.W_q = nn.Linear(hidden, attn_size, bias=False)
                self.W_k = nn.Linear(hidden, attn_size, bias=False)
                self.w_v = nn.Linear(attn_size, 1, bias=False)
            self.out = nn.Linear(2 * hidden if attention else hidden, _VOCAB)

        def encode(self, src):
            enc, h = self.encoder(self.embed(src))              # (N, S, H), (2, N, H/2)
            return enc, torch.cat([h[0], h[1]], dim=-1).unsqueeze(0)

        def decode(self, prev, enc, final, state):
            """prev (N, T) previous tokens, state (1, N, H) -> logits (N, T, V), new state,
            attention weights (N, T, S) or None."""
            x = self.embed(prev)
            if not attention:
                x = torch.cat([x, final[0].unsqueeze(1).expand(-1, x.shape[1], -1)], dim=-1)
            out, state = self.decoder(x, state)
            if not attention:
                return self.out(out), state, None
            scores = self.w_v(torch.tanh(self.W_q(out).unsqueeze(2)
                                         + self.W_k(enc).unsqueeze(1))).squeeze(-1)
            weights = torch.softmax(scores, dim=-1)
            return self.out(torch.cat([out, weights.bmm(enc)], dim=-1)), state, weights

    return Seq2Seq()


def _reversal(torch, x):
    """digits (N, L) -> source, target (the digits reversed), decoder input (BOS + target[:-1])."""
    tgt = x[:, ::-1].copy()
    prev = np.concatenate([np.full((len(x), 1), _BOS), tgt[:, :-1]], axis=1)
    return torch.from_numpy(x.copy()), torch.from_numpy(tgt), torch.from_numpy(prev)


def _train(torch, model, pairs, steps, batch, rng):
    F = torch.nn.functional
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    lengths = sorted(pairs)
    for _ in range(steps):
        pool = pairs[lengths[int(rng.integers(len(lengths)))]]   # one length per batch: no pads
        src, tgt, prev = _reversal(torch, pool[rng.integers(0, len(pool), batch)])
        enc, final = model.encode(src)
        logits, _, _ = model.decode(prev, enc, final, final)
        loss = F.cross_entropy(logits.reshape(-1, _VOCAB), tgt.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return loss.item()


def _evaluate(torch, model, x):
    """Token accuracy on digits x (N, L): teacher-forced (each token given the true prefix: the
    decision metric) and greedy (the model's own previous outputs); teacher-forced weights."""
    src, tgt, prev = _reversal(torch, x)
    with torch.no_grad():
        enc, final = model.encode(src)
        logits, _, weights = model.decode(prev, enc, final, final)
        forced = (logits.argmax(-1) == tgt).float().mean().item()
        tok, state, outs = prev[:, :1], final, []
        for _ in range(x.shape[1]):
            logits, state, _ = model.decode(tok, enc, final, state)
            tok = logits.argmax(-1)
            outs.append(tok)
        greedy = (torch.cat(outs, dim=1) == tgt).float().mean().item()
    return forced, greedy, None if weights is None else weights.numpy()


@experiment(
    id="seq2seq-attention", topic=11,
    question="What does attention add to an encoder–decoder?",
    claim="two LSTMs form seq2seq; attention was added to improve it [a]",
    test="Confirmed if the plain model degrades with length while attention holds and its map "
         "is anti-diagonal",
    plot="token accuracy vs length; attention heat map")
def seq2seq_attention(torch, lab):
    # Catalogue design: reversal of digit sequences of length 4-16, 3,000 training pairs, GRU
    # encoder-decoder with and without additive attention, 25 s each. Sized to the budget
    # (process time on glasstorch, load ~13 on 2 cores): full, lengths 4-16, hidden 64, 600
    # Adam steps of 64 pairs per model, 3 seeds x 2 models ~40 s; quick, lengths 3/6/9,
    # hidden 32, 180 steps of 32 pairs, 2 seeds x 2 models ~3 s.
    if lab.quick:
        lengths, hidden, steps, batch = [3, 6, 9], 32, 180, 32
    else:
        lengths, hidden, steps, batch = list(range(4, 17)), 64, 600, 64
    n_pairs, n_test, attn_size = 3000, 100, 64
    short, long_ = lengths[0], lengths[-1]
    acc = {m: {L: [] for L in lengths} for m in ("plain", "attention")}
    greedy = {m: {L: [] for L in lengths} for m in acc}
    anti_argmax, anti_mass, final_loss, heat = [], [], {m: [] for m in acc}, None
    for seed in lab.seeds:
        for name in acc:
            rng = lab.seed(seed)               # the same pairs, batches and test set per model
            counts = np.bincount(rng.integers(0, len(lengths), n_pairs), minlength=len(lengths))
            pairs = {L: rng.integers(0, 10, (int(c), L)) for L, c in zip(lengths, counts)}
            test = {L: rng.integers(0, 10, (n_test, L)) for L in lengths}
            model = _seq2seq(torch, name == "attention", hidden, attn_size)
            final_loss[name].append(_train(torch, model, pairs, steps, batch, rng))
            for L in lengths:
                forced, free, weights = _evaluate(torch, model, test[L])
                acc[name][L].append(forced)
                greedy[name][L].append(free)
                if weights is not None and L == long_:
                    steps_t = np.arange(L)      # output step t copies source position L-1-t
                    anti_argmax.append(float((weights.argmax(-1) == L - 1 - steps_t).mean()))
                    anti_mass.append(float(weights[:, steps_t, L - 1 - steps_t].mean()))
                    if heat is None:
                        heat = weights.mean(0)
    lab.record(lengths=lengths, hidden=hidden, steps=steps, batch=batch, pairs=n_pairs,
               teacher_forced_accuracy=acc, greedy_accuracy=greedy, final_train_loss=final_loss,
               anti_diagonal_argmax_fraction=anti_argmax, anti_diagonal_mass=anti_mass,
               attention_map_seed0=heat.tolist())

    fig, axes = lab.figure(1, 2, width=4.6)
    for name, color in (("plain", "C0"), ("attention", "C1")):
        axes[0].plot(lengths, [_mean(acc[name][L]) for L in lengths], "o-", color=color,
                     label=f"{name} (teacher-forced)")
        axes[0].plot(lengths, [_mean(greedy[name][L]) for L in lengths], "x--", color=color,
                     label=f"{name} (greedy)")
    axes[0].set_xlabel("sequence length"); axes[0].set_ylabel("token accuracy")
    axes[0].set_ylim(0, 1.02); axes[0].legend(fontsize=7)
    axes[1].imshow(heat, cmap="viridis", vmin=0, vmax=1)
    axes[1].set_xlabel(f"source position (length {long_})"); axes[1].set_ylabel("output step")
    axes[1].set_title("attention weights, seed 0 (mean of test set)", fontsize=8)

    plain_short, plain_long = acc["plain"][short], acc["plain"][long_]
    att_short, att_long = acc["attention"][short], acc["attention"][long_]
    degrade = compare(f"plain at length {short}", plain_short, f"plain at length {long_}",
                      plain_long)
    drop_plain = _mean(plain_short) - _mean(plain_long)
    drop_att = _mean(att_short) - _mean(att_long)
    beats = compare("attention", att_long, "plain", plain_long)
    uniform = 1.0 / long_
    # The test in numbers (teacher-forced token accuracy, mean over seeds): one threshold
    # separates "degrades" from "holds", a drop of more than 0.2 from the shortest to the
    # longest length; "anti-diagonal": output step t puts its largest weight on source position
    # L-1-t (the digit it must copy) for at least 2/3 of the steps, in every seed.
    checks = {
        f"the plain model degrades with length ({degrade}; drop {drop_plain:.2f} > 0.2)":
            degrade.winner == degrade.name_a and drop_plain > 0.2,
        f"attention holds (length {short} {_mean(att_short):.3f} -> length {long_} "
        f"{_mean(att_long):.3f}, drop {drop_att:.2f} <= 0.2) and beats the plain model at "
        f"length {long_} ({beats})": drop_att <= 0.2 and beats.winner == "attention",
        f"its map is anti-diagonal at length {long_}: the largest weight of output step t is "
        f"on source position {long_}-1-t for {min(anti_argmax):.2f}-{max(anti_argmax):.2f} of "
        f"steps (>= 2/3 in every seed; mass there {_mean(anti_mass):.2f}, uniform "
        f"{uniform:.2f})": min(anti_argmax) >= 2 / 3}
    note = ("Token accuracy by length, teacher-forced (greedy): " + "; ".join(
        f"{name} " + ", ".join(f"{L}: {_mean(acc[name][L]):.2f} ({_mean(greedy[name][L]):.2f})"
                               for L in lengths) for name in acc) + ".")
    return all_of(checks, because="A single fixed context must carry the whole source, which "
                  "fails as sequences grow; attention reads the encoder output it needs at each "
                  "step (here the mirrored position), so length costs it little.", note=note)
