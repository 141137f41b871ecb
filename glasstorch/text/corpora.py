"""Text corpora: The Time Machine (shipped), a user's text files, and parallel (translation)
corpora, read with d2l's preprocessing.

`load_time_machine` gives (token indices, Vocab) for language models (batching.py cuts it into
minibatches). `read_parallel_corpus` / `build_seq2seq_arrays` / `load_data_nmt` prepare
source->target pairs for encoder-decoder models; `synthetic_parallel_corpus` writes an
English->pig-latin (or word-reversal) corpus so seq2seq code runs offline.
"""
import os
import random

from ..backend import xp as _xp
from ..tensor import _make
from .tokenize import d2l_clean, tokenize
from .vocab import Vocab

__all__ = ["TIME_MACHINE", "read_text_files", "read_time_machine", "load_time_machine",
           "preprocess_nmt", "parse_parallel_text", "read_parallel_corpus", "truncate_pad",
           "build_seq2seq_arrays", "synthetic_parallel_corpus", "load_data_nmt"]

TIME_MACHINE = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "data",
                                             "timemachine", "timemachine.txt"))


def read_text_files(paths, encoding="utf-8"):
    """The lines (newlines stripped) of one file or of several files, in order."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    lines = []
    for path in paths:
        with open(path, encoding=encoding) as f:
            lines.extend(f.read().splitlines())
    return lines


def read_time_machine():
    """The Time Machine's lines, d2l-cleaned: letters and single spaces, lower case, stripped."""
    return [d2l_clean(line).strip() for line in read_text_files(TIME_MACHINE)]


def load_time_machine(token="char", max_tokens=-1, split=None, valid_fraction=0.1, min_freq=0):
    """Token indices of The Time Machine and their Vocab (d2l's `load_corpus_time_machine`).

    The corpus is one flat list of ints (line breaks dropped, as d2l), cut to its first
    `max_tokens` tokens when max_tokens > 0. `split='train'` / `'valid'` returns the first
    (1 - valid_fraction) / the last valid_fraction of those tokens (contiguous, so no text is
    in both); the vocab is always built on the whole book (as d2l), so both splits share it.

    >>> corpus, vocab = load_time_machine()
    >>> len(corpus), len(vocab), vocab.to_tokens(corpus[:3])
    (170580, 28, ['t', 'h', 'e'])
    """
    if split not in (None, "train", "valid"):
        raise ValueError(f"split should be None, 'train' or 'valid', got {split!r}")
    tokens = tokenize(read_time_machine(), token)
    vocab = Vocab(tokens, min_freq=min_freq)
    corpus = [vocab[tok] for line in tokens for tok in line]
    if max_tokens > 0:
        corpus = corpus[:max_tokens]
    if split is None:
        return corpus, vocab
    if not 0 < valid_fraction < 1:
        raise ValueError(f"valid_fraction should be in (0, 1), got {valid_fraction}")
    num_train = len(corpus) - round(len(corpus) * valid_fraction)
    return (corpus[:num_train] if split == "train" else corpus[num_train:]), vocab


def preprocess_nmt(text):
    """d2l's preprocessing of translation text: non-breaking spaces become spaces, lower case,
    and a space goes before each of , . ! ? that lacks one.

    >>> preprocess_nmt("Go.\\tVa !")
    'go .\\tva !'
    """
    text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
    out = [" " + char if i > 0 and char in ",.!?" and text[i - 1] != " " else char
           for i, char in enumerate(text)]
    return "".join(out)


def parse_parallel_text(text, sep="\t", num_examples=None):
    """(source, target) token lists of preprocessed "source<sep>target" lines, split on
    whitespace. Lines with fewer than two columns are skipped; columns past the second (the
    attribution in Tatoeba files) are ignored. At most `num_examples` pairs."""
    source, target = [], []
    for line in text.split("\n"):
        if num_examples is not None and len(source) >= num_examples:
            break
        parts = line.split(sep)
        if len(parts) >= 2:
            source.append(parts[0].split())
            target.append(parts[1].split())
    return source, target


def read_parallel_corpus(path, sep="\t", num_examples=None, encoding="utf-8"):
    """(source, target) token lists of a line-aligned parallel corpus file such as d2l's
    fra-eng `fra.txt`, after `preprocess_nmt`."""
    with open(path, encoding=encoding) as f:
        text = f.read()
    return parse_parallel_text(preprocess_nmt(text), sep=sep, num_examples=num_examples)


def truncate_pad(line, num_steps, padding_token):
    """`line` cut to num_steps items, or right-padded with padding_token up to num_steps."""
    if len(line) > num_steps:
        return line[:num_steps]
    return line + [padding_token] * (num_steps - len(line))


def build_seq2seq_arrays(lines, vocab, num_steps):
    """Index array (N, num_steps) of token lists with '<eos>' appended, truncated or padded
    with '<pad>', and the valid lengths (N,) (the count of non-pad positions), both int64.

    >>> vocab = Vocab(["a", "b"], reserved_tokens=["<pad>", "<bos>", "<eos>"])
    >>> build_seq2seq_arrays([["a"], ["b", "a", "b"]], vocab, 3)
    (tensor([[4, 3, 1],
            [5, 4, 5]]), tensor([2, 3]))
    """
    for special in ("<pad>", "<eos>"):
        if special not in vocab:
            raise ValueError(f"the vocab needs a {special!r} token: pass it in reserved_tokens")
    pad, eos = vocab["<pad>"], vocab["<eos>"]
    rows = [vocab[list(line)] + [eos] for line in lines]
    array = _xp.array([truncate_pad(row, num_steps, pad) for row in rows],
                      dtype=_xp.int64).reshape(len(rows), num_steps)
    valid_len = _xp.array([min(len(row), num_steps) for row in rows], dtype=_xp.int64)
    return _make(array), _make(valid_len)


# ---- a synthetic parallel corpus ---------------------------------------------------------------
_SUBJECTS = ["i", "you", "we", "they", "he", "she"]
_OBJECTS = ["me", "you", "us", "them", "him", "her"]
_DETS = ["the", "a", "my", "your", "our", "this"]
_ADJS = ["big", "small", "old", "new", "red", "happy", "quiet", "strange", "green", "cold"]
_NOUNS = ["cat", "dog", "book", "house", "teacher", "river", "machine", "garden", "friend",
          "letter", "city", "bird", "window", "story", "tree"]
_VERBS = ["saw", "liked", "found", "took", "helped", "followed", "painted", "opened", "visited",
          "read", "built", "heard"]
_ENDINGS = ["", "", "", " today", " again", " yesterday", " at night", " in the morning"]
_VOWELS = "aeiou"


def _noun_phrase(rng):
    adj = rng.choice(_ADJS) + " " if rng.random() < 0.5 else ""
    return f"{rng.choice(_DETS)} {adj}{rng.choice(_NOUNS)}"


def _pig_latin(word):
    # vowel-initial words add "way"; otherwise the leading consonants (y counts as a vowel
    # after the first letter: "my" -> "ymay") move to the end, followed by "ay"
    if word[0] in _VOWELS:
        return word + "way"
    for i in range(1, len(word)):
        if word[i] in _VOWELS + "y":
            return word[i:] + word[:i] + "ay"
    return word + "ay"


def synthetic_parallel_corpus(n, seed=0, task="pig_latin"):
    """`n` random English sentences and their translations as "source\\ttarget" lines (one
    string, the format of `read_parallel_corpus`), seeded by `seed`. `task='pig_latin'`
    translates word by word into Pig Latin; `task='reverse'` reverses the word order (the
    final punctuation stays last). Sentences are capitalized with the punctuation attached,
    as in Tatoeba, so `preprocess_nmt` has work to do.

    >>> synthetic_parallel_corpus(1, seed=4)
    'I found them!\\tIway oundfay emthay!'
    """
    if task not in ("pig_latin", "reverse"):
        raise ValueError(f"task should be 'pig_latin' or 'reverse', got {task!r}")
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        subject = rng.choice(_SUBJECTS) if rng.random() < 0.5 else _noun_phrase(rng)
        obj = _noun_phrase(rng) if rng.random() < 0.7 else rng.choice(_OBJECTS)
        words = f"{subject} {rng.choice(_VERBS)} {obj}{rng.choice(_ENDINGS)}".split()
        punct = rng.choice(".!?") if rng.random() < 0.3 else "."
        target = ([_pig_latin(w) for w in words] if task == "pig_latin" else words[::-1])
        lines.append(_sentence(words, punct) + "\t" + _sentence(target, punct))
    return "\n".join(lines)


def _sentence(words, punct):
    text = " ".join(words) + punct
    return text[0].upper() + text[1:]


def load_data_nmt(batch_size, num_steps, num_examples=600, path=None, task="reverse",
                  min_freq=2, generator=None):
    """d2l's `load_data_nmt`: a shuffling DataLoader of (src, src_valid_len, tgt,
    tgt_valid_len) batches plus the source and target Vocabs ('<pad>', '<bos>', '<eos>'
    reserved; tokens seen fewer than min_freq times become '<unk>'). Reads the parallel corpus
    at `path`, or with path=None `synthetic_parallel_corpus(num_examples, seed=0, task)`.

    Pig Latin maps words one to one, so its source and target index arrays come out equal
    (a copy task); the default 'reverse' task makes the decoder need the whole sentence."""
    from ..utils.data import DataLoader, TensorDataset

    if path is None:
        text = preprocess_nmt(synthetic_parallel_corpus(num_examples, seed=0, task=task))
        source, target = parse_parallel_text(text, num_examples=num_examples)
    else:
        source, target = read_parallel_corpus(path, num_examples=num_examples)
    reserved = ["<pad>", "<bos>", "<eos>"]
    src_vocab = Vocab(source, min_freq=min_freq, reserved_tokens=reserved)
    tgt_vocab = Vocab(target, min_freq=min_freq, reserved_tokens=reserved)
    src_array, src_valid_len = build_seq2seq_arrays(source, src_vocab, num_steps)
    tgt_array, tgt_valid_len = build_seq2seq_arrays(target, tgt_vocab, num_steps)
    dataset = TensorDataset(src_array, src_valid_len, tgt_array, tgt_valid_len)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)
    return loader, src_vocab, tgt_vocab
