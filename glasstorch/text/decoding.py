"""Decoding an encoder-decoder model one token at a time: greedy search and beam search
(d2l 10.8).

The model is seen only through a step function, so any decoder fits:

    decoder(step_input, state) -> (logits, new_state)

`step_input` is an int64 tensor (1, 1) holding the previous token (batch 1, one time step,
the layout of d2l's `predict_seq2seq`); `logits` holds one score per vocabulary entry (any
shape with V elements, e.g. (1, 1, V)); log_softmax turns them into log-probabilities (so
log-probabilities work too). `state` is opaque (the encoder's output, an RNN hidden
state, a KV cache...): it is passed back unchanged into the next call and never modified
here, so beam search can hand one state to several hypotheses. Decoding runs under no_grad.
"""
import collections

from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..nn import functional as F
from ..tensor import _make

__all__ = ["Hypothesis", "greedy_decode", "beam_search"]

Hypothesis = collections.namedtuple("Hypothesis", ["tokens", "log_prob", "score", "finished"])
Hypothesis.__doc__ = """A decoded sequence.

tokens: generated token indices, without '<bos>' and '<eos>'.
log_prob: sum of the log-probabilities of every generated token, '<eos>' included.
score: log_prob / L**alpha with L the number of generated tokens ('<eos>' included).
finished: True if the sequence ended with '<eos>', False if it stopped at max_len."""


def _length_normalized(log_prob, length, alpha):
    # d2l 10.8: long sequences add more negative terms; L^alpha evens that out
    return log_prob / length ** alpha


def _step_log_probs(decoder, token, state):
    step_input = _make(_xp.array([[token]], dtype=_xp.int64))
    logits, state = decoder(step_input, state)
    log_probs = F.log_softmax(logits.reshape(-1).double(), dim=0)
    return log_probs._data, state


def _check(max_len, alpha):
    if not isinstance(max_len, int) or max_len <= 0:
        raise ValueError(f"max_len should be a positive integer, got {max_len!r}")
    if alpha < 0:
        raise ValueError(f"alpha should be >= 0, got {alpha}")


def greedy_decode(decoder, state, bos, eos, max_len, alpha=0.75):
    """Pick the most likely token at every step, from `bos` until `eos` or max_len tokens.

    Returns a Hypothesis; ties between tokens go to the lowest index (argmax).
    """
    _check(max_len, alpha)
    tokens, log_prob, token = [], 0.0, bos
    with no_grad():
        for _ in range(max_len):
            log_probs, state = _step_log_probs(decoder, token, state)
            token = int(log_probs.argmax())
            log_prob += float(log_probs[token])
            if token == eos:
                return Hypothesis(tokens, log_prob, _length_normalized(
                    log_prob, len(tokens) + 1, alpha), True)
            tokens.append(token)
    return Hypothesis(tokens, log_prob, _length_normalized(log_prob, len(tokens), alpha), False)


def beam_search(decoder, state, bos, eos, beam_size, max_len, alpha=0.75, return_all=False):
    """Beam search (d2l 10.8): keep the `beam_size` most probable unfinished prefixes.

    Each step extends every live prefix by each token and keeps the beam_size most probable
    extensions (by log-probability). An extension ending in `eos` becomes a finished
    hypothesis and does not take a live slot, so the beam stays full. Search stops
    when beam_size hypotheses are finished, no prefix is left, or after max_len steps (the
    live prefixes are then kept as unfinished hypotheses). The answer is the hypothesis with
    the best length-normalized score log_prob / L**alpha (alpha=0: plain probability).

    The decoder is called once per live prefix and step (batch 1), so it costs about
    beam_size times greedy decoding. Returns the best Hypothesis, or with return_all=True
    every collected one, best first. Ties keep the earlier-found hypothesis first.
    """
    _check(max_len, alpha)
    if not isinstance(beam_size, int) or beam_size <= 0:
        raise ValueError(f"beam_size should be a positive integer, got {beam_size!r}")
    beams = [(0.0, [], state)]            # (log_prob, tokens, decoder state after them)
    finished = []
    with no_grad():
        for _ in range(max_len):
            candidates = []
            for log_prob, tokens, beam_state in beams:
                log_probs, new_state = _step_log_probs(
                    decoder, tokens[-1] if tokens else bos, beam_state)
                # tokens past a prefix's own top beam_size + 1 (one may be eos) can never make
                # the beam_size best live extensions
                top = _xp.argsort(-log_probs, kind="stable")[:beam_size + 1]
                for token in top.tolist():
                    candidates.append((log_prob + float(log_probs[token]), tokens + [token],
                                       new_state))
            candidates.sort(key=lambda c: -c[0])           # stable: ties keep creation order
            beams = []
            for log_prob, tokens, new_state in candidates:
                if len(beams) == beam_size:
                    break
                if tokens[-1] == eos:
                    if len(finished) < beam_size:
                        finished.append(Hypothesis(tokens[:-1], log_prob, _length_normalized(
                            log_prob, len(tokens), alpha), True))
                else:
                    beams.append((log_prob, tokens, new_state))
            if len(finished) == beam_size or not beams:
                break
        else:
            finished += [Hypothesis(tokens, log_prob, _length_normalized(
                log_prob, len(tokens), alpha), False) for log_prob, tokens, _ in beams]
    ranked = sorted(finished, key=lambda h: -h.score)
    return ranked if return_all else ranked[0]
