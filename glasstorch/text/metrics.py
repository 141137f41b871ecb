"""BLEU scores for generated text: d2l's sentence `bleu` and the standard `corpus_bleu`.

`bleu(pred_seq, label_seq, k)` is d2l's (seq2seq chapter): exp(min(0, 1 - len_label / len_pred))
times prod_n p_n^(1/2^n), n = 1..k, so longer n-gram matches weigh more. `corpus_bleu` is
Papineni et al. (2002): clipped n-gram counts summed over the corpus, a geometric mean of
the precisions (BLEU-4 by default), and the brevity penalty exp(1 - r/c) when c < r.
A sequence is a string (split on whitespace) or a list of tokens.
"""
import collections
import math

__all__ = ["bleu", "corpus_bleu"]


def _tokens(seq):
    return seq.split() if isinstance(seq, str) else list(seq)


def _ngrams(tokens, n):
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def bleu(pred_seq, label_seq, k):
    """d2l's BLEU of one prediction against one label, with n-grams up to k.

    Returns 0.0 if the prediction has fewer than k tokens (some p_n has no n-gram to count;
    d2l divides by zero there).

    >>> round(bleu("il est riche .", "il est calme .", k=2), 3)   # d2l's example
    0.658
    """
    pred, label = _tokens(pred_seq), _tokens(label_seq)
    if len(pred) < k:
        return 0.0
    score = math.exp(min(0.0, 1 - len(label) / len(pred)))
    for n in range(1, k + 1):
        pred_ngrams, label_ngrams = _ngrams(pred, n), _ngrams(label, n)
        matches = sum(min(count, label_ngrams[g]) for g, count in pred_ngrams.items())
        score *= (matches / (len(pred) - n + 1)) ** (0.5 ** n)
    return score


def corpus_bleu(candidates, references, max_n=4, weights=None, smoothing=None, epsilon=0.1):
    """Corpus BLEU of candidate sequences, each against its list of references.

    Args:
        candidates: N sequences (strings or token lists).
        references: N lists of references: references[i] holds one or more sequences for
            candidates[i] (a bare string or token list is not accepted: wrap it in a list).
        max_n, weights: n-gram orders 1..max_n, weighted by `weights` (default uniform).
        smoothing: None (any zero precision gives 0.0), 'floor' (a zero match count becomes
            `epsilon`; sacrebleu's floor, nltk's method1) or 'add1' (add 1 to the matches and
            the total of every order n >= 2; Lin & Och 2004, nltk's method2).

    The brevity penalty uses, for each candidate, the reference length closest to it (the
    shorter one on ties), summed over the corpus.

    >>> corpus_bleu(["the cat sat on the mat"], [["the cat sat on the mat"]])
    1.0
    """
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} candidates but {len(references)} reference lists")
    if smoothing not in (None, "floor", "add1"):
        raise ValueError(f"smoothing should be None, 'floor' or 'add1', got {smoothing!r}")
    weights = [1.0 / max_n] * max_n if weights is None else list(weights)
    if len(weights) != max_n:
        raise ValueError(f"{len(weights)} weights for max_n={max_n}")
    matches, totals = [0] * max_n, [0] * max_n
    cand_len = ref_len = 0
    for cand, refs in zip(candidates, references):
        if isinstance(refs, str) or not isinstance(refs, (list, tuple)) or not refs:
            raise TypeError("each references entry should be a non-empty list of sequences, "
                            f"got {refs!r}")
        cand, refs = _tokens(cand), [_tokens(ref) for ref in refs]
        cand_len += len(cand)
        ref_len += min((abs(len(ref) - len(cand)), len(ref)) for ref in refs)[1]
        for n in range(1, max_n + 1):
            max_ref = collections.Counter()
            for ref in refs:
                max_ref |= _ngrams(ref, n)                 # | keeps the max count per n-gram
            cand_ngrams = _ngrams(cand, n)
            matches[n - 1] += sum(min(c, max_ref[g]) for g, c in cand_ngrams.items())
            totals[n - 1] += max(0, len(cand) - n + 1)
    if cand_len == 0:
        return 0.0
    log_score = 0.0
    for n, (m, t, w) in enumerate(zip(matches, totals, weights), start=1):
        if smoothing == "add1" and n >= 2:
            m, t = m + 1, t + 1
        elif smoothing == "floor" and m == 0 and t > 0:
            m = epsilon
        if m == 0:
            return 0.0
        log_score += w * math.log(m / t)
    brevity = 1.0 if cand_len > ref_len else math.exp(1 - ref_len / cand_len)
    return brevity * math.exp(log_score)
