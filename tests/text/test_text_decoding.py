"""Greedy decoding and beam search on hand-made toy decoders whose answers are known, and an
exhaustive check of beam search against brute force on random ones."""
import itertools
import math

import numpy as np
import pytest

import glasstorch as torch
from glasstorch import nn
from glasstorch.text import Hypothesis, beam_search, greedy_decode

BOS, EOS, A, B = 0, 1, 2, 3


def table_decoder(table, default):
    """A decoder whose state is the prefix generated so far (None before the first step):
    next-token probabilities are table[prefix] (or `default`), returned as log-probability
    logits (1, 1, V)."""
    def decoder(step_input, state):
        assert step_input.dtype == torch.int64 and tuple(step_input.shape) == (1, 1)
        assert not torch.is_grad_enabled()
        prefix = () if state is None else state + (step_input.item(),)
        probs = np.asarray(table.get(prefix, default), dtype=np.float64)
        return torch.tensor(np.log(probs + 1e-12)).reshape(1, 1, -1), prefix
    return decoder


# greedy takes A (0.6) and then ends: 0.6 * 0.34 = 0.204; B then <eos> has 0.4 * 0.9 = 0.36
TRAP = {(): [0, 0, 0.6, 0.4], (A,): [0, 0.34, 0.33, 0.33], (B,): [0, 0.9, 0.05, 0.05]}
ALWAYS_EOS = [0, 1.0, 0, 0]


def test_beam_search_finds_what_greedy_misses():
    decoder = table_decoder(TRAP, ALWAYS_EOS)
    greedy = greedy_decode(decoder, None, BOS, EOS, max_len=5)
    assert greedy.tokens == [A] and greedy.finished
    assert math.isclose(greedy.log_prob, math.log(0.6 * 0.34), rel_tol=1e-9)
    assert math.isclose(greedy.score, greedy.log_prob / 2 ** 0.75, rel_tol=1e-9)
    best = beam_search(decoder, None, BOS, EOS, beam_size=2, max_len=5)
    assert best.tokens == [B] and best.finished
    assert math.isclose(best.log_prob, math.log(0.4 * 0.9), rel_tol=1e-9)
    assert beam_search(decoder, None, BOS, EOS, beam_size=1, max_len=5) == greedy


def test_length_normalization_changes_the_winner():
    # [A] <eos>: 0.5 * 0.5 = 0.25 (L=2); [B, A] <eos>: 0.5 * 0.6 * 0.75 = 0.225 (L=3)
    table = {(): [0, 0, 0.5, 0.5], (A,): [0, 0.5, 0.25, 0.25], (B,): [0, 0.1, 0.6, 0.3],
             (B, A): [0, 0.75, 0.125, 0.125]}
    decoder = table_decoder(table, ALWAYS_EOS)
    plain = beam_search(decoder, None, BOS, EOS, beam_size=3, max_len=4, alpha=0.0)
    normalized = beam_search(decoder, None, BOS, EOS, beam_size=3, max_len=4, alpha=1.0)
    assert plain.tokens == [A] and normalized.tokens == [B, A]
    assert math.isclose(normalized.score, math.log(0.225) / 3, rel_tol=1e-9)


def _random_table(V, max_len, seed):
    rng = np.random.default_rng(seed)
    non_eos = [t for t in range(V) if t != EOS]
    prefixes = [p for L in range(max_len) for p in itertools.product(non_eos, repeat=L)]
    return {p: rng.dirichlet(np.ones(V)) for p in prefixes}


def _brute_force(table, V, max_len, alpha):
    hyps = []
    non_eos = [t for t in range(V) if t != EOS]
    for L in range(max_len + 1):
        for prefix in itertools.product(non_eos, repeat=L):
            log_p = sum(math.log(table[prefix[:i]][t] + 1e-12) for i, t in enumerate(prefix))
            if L < max_len:
                lp = log_p + math.log(table[prefix][EOS] + 1e-12)
                hyps.append((lp / (L + 1) ** alpha, list(prefix), True))
            else:
                hyps.append((log_p / L ** alpha, list(prefix), False))
    return sorted(hyps, key=lambda h: -h[0])


@pytest.mark.parametrize("seed, alpha", [(0, 0.0), (1, 0.75), (2, 1.0), (3, 0.75), (4, 2.0)])
def test_wide_beam_is_exhaustive(seed, alpha):
    V, max_len = 4, 3
    table = _random_table(V, max_len, seed)
    decoder = table_decoder(table, None)
    want = _brute_force(table, V, max_len, alpha)
    got = beam_search(decoder, None, BOS, EOS, beam_size=100, max_len=max_len, alpha=alpha,
                      return_all=True)
    assert len(got) == len(want) == 1 + 3 + 9 + 27
    assert [h.score for h in got] == pytest.approx([w[0] for w in want], rel=1e-9)
    assert got[0].tokens == want[0][1] and got[0].finished == want[0][2]
    # a narrow beam can only lose: its best score is never above the true best
    narrow = beam_search(decoder, None, BOS, EOS, beam_size=2, max_len=max_len, alpha=alpha)
    assert narrow.score <= want[0][0] + 1e-12
    greedy = greedy_decode(decoder, None, BOS, EOS, max_len=max_len, alpha=alpha)
    assert beam_search(decoder, None, BOS, EOS, beam_size=1, max_len=max_len,
                       alpha=alpha) == greedy


def test_no_eos_stops_at_max_len():
    decoder = table_decoder({}, [0, 0, 0.7, 0.3])
    greedy = greedy_decode(decoder, None, BOS, EOS, max_len=4)
    assert greedy == Hypothesis([A] * 4, pytest.approx(4 * math.log(0.7)),
                                pytest.approx(4 * math.log(0.7) / 4 ** 0.75), False)
    best = beam_search(decoder, None, BOS, EOS, beam_size=3, max_len=4)
    assert best.tokens == [A] * 4 and not best.finished


def test_with_an_nn_decoder_and_tensor_state():
    torch.manual_seed(0)
    embed, rnn_cell, out = nn.Embedding(6, 8), nn.Linear(16, 8), nn.Linear(8, 6)

    def decoder(step_input, state):
        hidden = torch.tanh(rnn_cell(torch.cat([embed(step_input[:, 0]), state], dim=1)))
        return out(hidden)[:, None, :], hidden                       # (1, 1, V), (1, H)

    state = torch.randn(1, 8, requires_grad=True)
    greedy = greedy_decode(decoder, state, 0, 1, max_len=6)
    assert all(isinstance(t, int) for t in greedy.tokens) and len(greedy.tokens) <= 6
    assert beam_search(decoder, state, 0, 1, beam_size=1, max_len=6) == greedy
    wide = beam_search(decoder, state, 0, 1, beam_size=4, max_len=6, return_all=True)
    assert wide[0].score >= greedy.score - 1e-9
    assert [h.score for h in wide] == sorted((h.score for h in wide), reverse=True)
    assert torch.is_grad_enabled()


@pytest.mark.parametrize("kwargs", [{"beam_size": 0}, {"max_len": 0}, {"alpha": -1.0},
                                    {"beam_size": 2.0}])
def test_errors(kwargs):
    args = {"beam_size": 2, "max_len": 3, **kwargs}
    with pytest.raises(ValueError):
        beam_search(table_decoder({}, ALWAYS_EOS), None, BOS, EOS, **args)
    if "beam_size" not in kwargs:
        with pytest.raises(ValueError):
            greedy_decode(table_decoder({}, ALWAYS_EOS), None, BOS, EOS, max_len=args["max_len"],
                          alpha=args.get("alpha", 0.75))
