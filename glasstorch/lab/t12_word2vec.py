"""Topic 12 (continued): word2vec's skip-gram with a full softmax vs negative sampling.
One function per experiment, `fn(torch, lab)`."""
import time
from collections import Counter

import numpy as np

from .catalog import experiment
from .verdict import all_of

DIM, WINDOW, K, BATCH, LR = 50, 2, 5, 256, 0.025   # word2vec's defaults: lr 0.025, k 5
NEIGHBOUR_WORDS = ("time", "man", "little", "said")


def _mean(xs):
    return sum(xs) / len(xs)


def _pairs(ids, window):
    """(center, context) id pairs at every offset 1..window on both sides."""
    c, o = [], []
    for s in range(1, window + 1):
        c += [ids[:-s], ids[s:]]
        o += [ids[s:], ids[:-s]]
    return np.concatenate(c), np.concatenate(o)


def _tables(torch, rng, V):
    """word2vec's init: centers uniform in +-0.5/dim, contexts (output rows) zero."""
    w_in = ((rng.random((V, DIM)) - 0.5) / DIM).astype(np.float32)
    return torch.from_numpy(w_in), torch.zeros(V, DIM)


def _sgd_step(torch, W_in, W_out, c, o, negatives):
    """One skip-gram SGD step on the pairs (c, o), taken as word2vec takes it: only the center
    rows of the batch are read and updated (index_add_). Full softmax (negatives None): each
    center is scored against all V output rows, so every output row gets a gradient (B x V
    scores, a dense V x dim update). Negative sampling: binary logistic losses for the true
    context and k sampled negatives per pair: B x (k + 1) scores, B x (k + 1) rows updated."""
    F = torch.nn.functional
    B = len(c)
    e = W_in[c].requires_grad_()
    if negatives is None:
        W_out.requires_grad_(True)
        loss = F.cross_entropy(e @ W_out.T, o, reduction="sum")
        loss.backward()
        with torch.no_grad():
            W_out.sub_(W_out.grad, alpha=LR)
        W_out.grad = None
        W_out.requires_grad_(False)
    else:
        rows = torch.cat([o, negatives])
        u = W_out[rows].requires_grad_()
        pos = (e * u[:B]).sum(1)
        neg = (u[B:].reshape(B, -1, DIM) @ e[:, :, None])[:, :, 0]
        loss = -(F.logsigmoid(pos).sum() + F.logsigmoid(-neg).sum())
        loss.backward()
        with torch.no_grad():
            W_out.index_add_(0, rows, u.grad, alpha=-LR)
    with torch.no_grad():
        W_in.index_add_(0, c, e.grad, alpha=-LR)


def _ranks(torch, W_in, W_out, c, o, log_q=None):
    """Rank (1 = best) of each held-out true context among all V words, scored by the model's
    estimate of log p(context | center): the logits for the full softmax; for negative
    sampling the score e.u estimates log p(o|c) - log(k q(o)) (sigma(e.u) is the chance that a
    pair is real rather than noise), so log q(o) is added back (log k ranks nothing)."""
    with torch.no_grad():
        s = W_in[c] @ W_out.T
        if log_q is not None:
            s = s + log_q
        true = s.gather(1, o[:, None])
        return ((s > true).float().sum(1) + 1).median().item()


def _neighbours(torch, W_in, vocab, lookup):
    with torch.no_grad():
        E = W_in / W_in.norm(dim=1, keepdim=True)
        return {w: [vocab[i] for i in (E @ E[lookup[w]]).argsort(descending=True)[1:6].tolist()]
                for w in NEIGHBOUR_WORDS}


def _cost_per_10k_pairs(torch, lab, sizes):
    """Seconds per 10k pairs of one SGD step at each vocabulary size (random ids: a synthetic
    vocabulary, the cost does not depend on which words they are). Quick mode times batches
    of 64 pairs (a full-softmax step over 50k words costs ~0.2 s at 256)."""
    cost = {"full softmax": [], "negative sampling": []}
    rng = lab.seed(0)
    B = 64 if lab.quick else BATCH
    for V in sizes:
        W_in, W_out = _tables(torch, rng, V)
        c = torch.from_numpy(rng.integers(0, V, B))
        o = torch.from_numpy(rng.integers(0, V, B))
        negatives = torch.from_numpy(rng.integers(0, V, B * K))
        for name, neg in (("full softmax", None), ("negative sampling", negatives)):
            # the fastest of n calls; more of the cheap negative-sampling steps, whose ~0.5 ms
            # a single disturbed call on a loaded machine would double
            n = (3 if lab.quick else 5) if neg is None else (15 if lab.quick else 30)
            t = lab.timeit(lambda: _sgd_step(torch, W_in, W_out, c, o, neg), n, warmup=1)
            cost[name].append(t * 1e4 / B)
    return cost


@experiment(
    id="word2vec-negative-sampling", topic=12,
    question="What does negative sampling change in word2vec?",
    claim="it turns the many-way prediction into binary ones with sampled negatives, pushing "
          "negatives' probabilities toward 0 [a]",
    test="Confirmed if the full softmax's cost grows with vocabulary while negative sampling's "
         "stays flat at similar quality",
    plot="time per 10k pairs vs vocabulary size; held-out context rank; nearest neighbours of "
         "frequent words")
def word2vec_negative_sampling(torch, lab):
    words = lab.timemachine().split()
    counts = Counter(words)
    vocab = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    sizes = [500, 2000, len(vocab), 50000]
    cost = _cost_per_10k_pairs(torch, lab, sizes)

    # quality: the two objectives trained for the same CPU time on each real vocabulary (the
    # text's words cut to the V most frequent; rarer words dropped), skip-gram pairs of the
    # first 90% of the text, ranks on 2,000 pairs of the last 10%
    budget = 0.1 if lab.quick else 2.0          # CPU seconds per run (full mode: 18 runs)
    names = ("full softmax", "negative sampling")
    rank = {n: {V: [] for V in sizes[:3]} for n in names}
    raw_rank = {V: [] for V in sizes[:3]}       # negative sampling scored by e.u alone
    unigram_rank, steps, neighbours = {}, {n: {V: [] for V in sizes[:3]} for n in names}, {}
    for V in sizes[:3]:
        lookup = {w: i for i, w in enumerate(vocab[:V])}
        ids = np.array([lookup[w] for w in words if w in lookup], dtype=np.int64)
        n_train = int(0.9 * len(ids))
        ctr, otr = _pairs(ids[:n_train], WINDOW)
        cva, ova = _pairs(ids[n_train:], WINDOW)
        freq = np.maximum(np.bincount(ids[:n_train], minlength=V), 1) ** 0.75
        noise = np.cumsum(freq / freq.sum())  # word2vec's noise: unigram^0.75
        log_q = torch.from_numpy(np.log(freq / freq.sum()).astype(np.float32))
        j = np.random.default_rng(7).integers(0, len(cva), 2000)
        c_val, o_val = torch.from_numpy(cva[j]), torch.from_numpy(ova[j])
        zeros = torch.zeros(V, DIM)
        unigram_rank[V] = _ranks(torch, zeros[:, :1], zeros[:, :1], c_val, o_val, log_q)
        for seed in lab.seeds:
            for name in names:
                rng = lab.seed(seed)
                W_in, W_out = _tables(torch, rng, V)
                t0, n = time.process_time(), 0
                while time.process_time() - t0 < budget:
                    b = rng.integers(0, len(ctr), BATCH)
                    neg = None
                    if name == "negative sampling":
                        neg = torch.from_numpy(np.minimum(
                            np.searchsorted(noise, rng.random(BATCH * K)), V - 1))
                    _sgd_step(torch, W_in, W_out, torch.from_numpy(ctr[b]),
                              torch.from_numpy(otr[b]), neg)
                    n += 1
                steps[name][V].append(n)
                ns = name == "negative sampling"
                rank[name][V].append(_ranks(torch, W_in, W_out, c_val, o_val,
                                            log_q if ns else None))
                if ns:
                    raw_rank[V].append(_ranks(torch, W_in, W_out, c_val, o_val))
                if seed == lab.seeds[0] and V == len(vocab):
                    neighbours[name] = _neighbours(torch, W_in, vocab, lookup)
    lab.record(vocab_sizes=sizes, seconds_per_10k_pairs=cost, cpu_seconds_per_run=budget,
               steps=steps, median_context_rank=rank, negative_sampling_raw_dot_rank=raw_rank,
               unigram_baseline_rank=unigram_rank, neighbours=neighbours, dim=DIM,
               window=WINDOW, k=K, batch=BATCH, lr=LR)

    fig, axes = lab.figure(1, 2)
    for name in names:
        axes[0].loglog(sizes, cost[name], "o-", label=name)
    axes[0].set_xlabel("vocabulary size (50k: synthetic ids)")
    axes[0].set_ylabel("seconds per 10k pairs")
    axes[0].legend()
    for name in names:
        axes[1].plot(sizes[:3], [_mean(rank[name][V]) for V in sizes[:3]], "o-", label=name)
    axes[1].plot(sizes[:3], [_mean(raw_rank[V]) for V in sizes[:3]], "x:",
                 label="negative sampling, e.u alone")
    axes[1].plot(sizes[:3], [unigram_rank[V] for V in sizes[:3]], "k--", label="word frequency")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("vocabulary size")
    axes[1].set_ylabel(f"median held-out context rank ({budget:g} CPU s each)")
    axes[1].legend(fontsize=7)

    g_full = cost["full softmax"][-1] / cost["full softmax"][0]
    g_ns = cost["negative sampling"][-1] / cost["negative sampling"][0]
    checks = {f"the full softmax's cost per 10k pairs grows with the vocabulary (x{g_full:.1f} "
              f"from 500 to 50k words, > 5)": g_full > 5,
              f"negative sampling's stays flat (x{g_ns:.2f}, < 2)": g_ns < 2}
    for V in sizes[:3]:
        rf, rn = _mean(rank["full softmax"][V]), _mean(rank["negative sampling"][V])
        checks[f"similar quality at V={V} for the same CPU time (median held-out context rank "
               f"{rn:.0f} with negative sampling vs {rf:.0f}, within 1.5x)"] = rn <= 1.5 * rf
    note = ("Ranking by e.u alone (the binary classifier's score, which leaves word frequency "
            "to the noise distribution) gives " + ", ".join(
                f"{_mean(raw_rank[V]):.0f}" for V in sizes[:3]) + "; word frequency alone "
            "gives " + ", ".join(f"{unigram_rank[V]:.0f}" for V in sizes[:3]) +
            f". Steps in {budget:g} CPU s at V={sizes[2]}: full softmax "
            f"{_mean(steps['full softmax'][sizes[2]]):.0f}, negative sampling "
            f"{_mean(steps['negative sampling'][sizes[2]]):.0f}. Neighbours (negative "
            "sampling): " + "; ".join(f"{w}: {', '.join(n)}"
                                      for w, n in neighbours["negative sampling"].items()) +
            ". (full softmax): " + "; ".join(f"{w}: {', '.join(n)}"
                                             for w, n in neighbours["full softmax"].items()) +
            ".")
    return all_of(checks, note=note)
