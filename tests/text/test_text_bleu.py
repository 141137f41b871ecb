"""BLEU: d2l's sentence bleu (hand-computed values and d2l's code itself) and corpus_bleu
(hand-computed values and nltk's, which the test extra installs)."""
import collections
import math
import random

import pytest

from glasstorch.text import bleu, corpus_bleu


def d2l_bleu(pred_seq, label_seq, k):
    """d2l's bleu, verbatim."""
    pred_tokens, label_tokens = pred_seq.split(' '), label_seq.split(' ')
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, k + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[' '.join(label_tokens[i: i + n])] += 1
        for i in range(len_pred - n + 1):
            if label_subs[' '.join(pred_tokens[i: i + n])] > 0:
                num_matches += 1
                label_subs[' '.join(pred_tokens[i: i + n])] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


@pytest.mark.parametrize("pred, label, k, expected", [
    ("va !", "va !", 2, 1.0),
    ("il est riche .", "il est calme .", 2, (3 / 4) ** 0.5 * (1 / 3) ** 0.25),
    ("je suis en retard ?", "je suis chez moi .", 2, (2 / 5) ** 0.5 * (1 / 4) ** 0.25),
    ("the cat", "the cat sat", 2, math.exp(1 - 3 / 2)),               # brevity penalty
    ("the the the", "the cat", 1, (1 / 3) ** 0.5),                   # clipped counts
    ("a b c d", "a b c e", 3, (3 / 4) ** 0.5 * (2 / 3) ** 0.25 * (1 / 2) ** 0.125),
    ("x y", "a b", 1, 0.0),
    ("a", "a", 2, 0.0),                                              # no bigram to count
    ("", "a b", 1, 0.0),
])
def test_bleu_hand_computed(pred, label, k, expected):
    assert bleu(pred, label, k) == pytest.approx(expected, rel=1e-12)
    assert bleu(pred.split(), label.split(), k) == pytest.approx(expected, rel=1e-12)


def test_bleu_matches_d2l_code_on_random_sentences():
    rng = random.Random(0)
    words = "a b c d e f".split()
    for _ in range(300):
        pred = " ".join(rng.choices(words, k=rng.randint(2, 8)))
        label = " ".join(rng.choices(words, k=rng.randint(1, 8)))
        k = rng.randint(1, 2)
        assert bleu(pred, label, k) == pytest.approx(d2l_bleu(pred, label, k), rel=1e-12)


CANDS = ["a b c d", "a b"]
REFS = [["a b c e"], ["a b c"]]
BP = math.exp(1 - 7 / 6)        # c = 6 candidate tokens, r = 4 + 3 reference tokens


@pytest.mark.parametrize("candidates, references, kwargs, expected", [
    # Papineni et al.'s example: modified unigram precision 2/7; closest reference length 7
    (["the the the the the the the"], [["the cat is on the mat", "there is a cat on the mat"]],
     {"max_n": 1}, 2 / 7),
    (CANDS, REFS, {"max_n": 3}, BP * (5 / 6 * 3 / 4 * 1 / 2) ** (1 / 3)),
    (CANDS, REFS, {}, 0.0),                                       # no 4-gram match
    (CANDS, REFS, {"smoothing": "floor"}, BP * (5 / 6 * 3 / 4 * 1 / 2 * 0.1 / 1) ** 0.25),
    (CANDS, REFS, {"smoothing": "add1"}, BP * (5 / 6 * 4 / 5 * 2 / 3 * 1 / 2) ** 0.25),
    (CANDS, REFS, {"max_n": 2, "weights": [0.9, 0.1]}, BP * (5 / 6) ** 0.9 * (3 / 4) ** 0.1),
    (["the cat sat on the mat"], [["the cat sat on the mat", "a cat"]], {}, 1.0),
    # ties between reference lengths take the shorter: |4-5| = |6-5| -> r = 4, no penalty
    (["a b c d e"], [["a b c d e f", "a b c d"]], {"max_n": 1}, 1.0),
    ([["a", "b"]], [[["a", "b"]]], {"max_n": 2}, 1.0),           # token lists
    ([""], [["a b"]], {}, 0.0),
])
def test_corpus_bleu_hand_computed(candidates, references, kwargs, expected):
    assert corpus_bleu(candidates, references, **kwargs) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("call, error", [
    (lambda: corpus_bleu(["a"], []), ValueError),
    (lambda: corpus_bleu(["a"], ["a"]), TypeError),              # references must be lists
    (lambda: corpus_bleu(["a"], [[]]), TypeError),
    (lambda: corpus_bleu(["a"], [["a"]], smoothing="add2"), ValueError),
    (lambda: corpus_bleu(["a"], [["a"]], max_n=2, weights=[1.0]), ValueError),
])
def test_corpus_bleu_errors(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.filterwarnings("ignore::UserWarning")      # nltk warns about zero n-gram counts
def test_corpus_bleu_matches_nltk():
    from nltk.translate import bleu_score
    rng = random.Random(1)
    words = "the a cat dog sat on mat ran".split()
    for _ in range(30):
        cands = [rng.choices(words, k=rng.randint(4, 10)) for _ in range(3)]
        refs = [[rng.choices(words, k=rng.randint(4, 10)) for _ in range(rng.randint(1, 3))]
                for _ in range(3)]
        want = bleu_score.corpus_bleu(refs, cands)
        assert corpus_bleu(cands, refs) == pytest.approx(want, rel=1e-9, abs=1e-12)
        want = bleu_score.corpus_bleu(refs, cands,
                                      smoothing_function=bleu_score.SmoothingFunction().method2)
        assert corpus_bleu(cands, refs, smoothing="add1") == pytest.approx(want, rel=1e-9)
        smooth = bleu_score.SmoothingFunction(epsilon=0.1).method1
        want = bleu_score.sentence_bleu(refs[0], cands[0], smoothing_function=smooth)
        assert corpus_bleu(cands[:1], refs[:1], smoothing="floor") == pytest.approx(want,
                                                                                   rel=1e-9)
