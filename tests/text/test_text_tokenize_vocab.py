"""glasstorch.text tokenizers and Vocab: d2l's behaviour, options, JSON round trip; and the
package's doctests."""
import collections
import doctest
import importlib

import pytest

import glasstorch as torch
from glasstorch.text import Vocab, char_tokenize, d2l_clean, tokenize, word_tokenize

TEXT = "The Time-Machine, by H. G. Wells; don't  stop!"


@pytest.mark.parametrize("options, expected", [
    ({}, ["The", "Time-Machine,", "by", "H.", "G.", "Wells;", "don't", "stop!"]),
    ({"lower": True}, ["the", "time-machine,", "by", "h.", "g.", "wells;", "don't", "stop!"]),
    ({"punctuation": "split"}, ["The", "Time", "-", "Machine", ",", "by", "H", ".", "G", ".",
                                "Wells", ";", "don't", "stop", "!"]),
    ({"punctuation": "drop", "lower": True}, ["the", "time", "machine", "by", "h", "g",
                                              "wells", "don't", "stop"]),
    ({"clean": "d2l"}, ["the", "time", "machine", "by", "h", "g", "wells", "don", "t", "stop"]),
    ({"clean": str.upper, "punctuation": "drop"}, ["THE", "TIME", "MACHINE", "BY", "H", "G",
                                                   "WELLS", "DON'T", "STOP"]),
])
def test_word_tokenize(options, expected):
    assert word_tokenize(TEXT, **options) == expected


def test_d2l_clean_and_char():
    assert d2l_clean("a1b  C--d!") == "a b c d "
    assert char_tokenize("ab c") == ["a", "b", " ", "c"]


def test_tokenize_lines_like_d2l():
    lines = ["the time machine", "", "by h g wells"]
    assert tokenize(lines) == [line.split() for line in lines]
    assert tokenize(lines, "char") == [list(line) for line in lines]
    assert tokenize("one line", "char") == [list("one line")]
    assert tokenize(["A, b."], lower=True, punctuation="split") == [["a", ",", "b", "."]]


@pytest.mark.parametrize("call, error", [
    (lambda: tokenize(["x"], token="byte"), ValueError),
    (lambda: tokenize(["x"], token="char", lower=True), TypeError),
    (lambda: word_tokenize("x", punctuation="strip"), ValueError),
    (lambda: word_tokenize("x", clean="nltk"), ValueError),
])
def test_tokenize_errors(call, error):
    with pytest.raises(error):
        call()


def test_vocab_order_and_ties_first_appearance():
    tokens = [["b", "a", "c"], ["a", "d", "c", "e"], ["e"]]   # a, c, e twice; b, d once
    vocab = Vocab(tokens, reserved_tokens=["<pad>", "<bos>", "<eos>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "<bos>", "<eos>", "a", "c", "e", "b", "d"]
    assert vocab.token_freqs == [("a", 2), ("c", 2), ("e", 2), ("b", 1), ("d", 1)]
    assert len(vocab) == 9 and vocab.unk == 0 and "a" in vocab and "z" not in vocab
    assert vocab["c"] == 5 and vocab["zzz"] == 0
    assert vocab[["a", ["b", "zzz"]]] == [4, [7, 0]]
    assert vocab.lookup_indices(("d", "<eos>")) == [8, 3]
    assert vocab.to_tokens(4) == "a"
    assert vocab.to_tokens([4, 0]) == ["a", "<unk>"]
    assert vocab.to_tokens(torch.tensor([[5, 6]])) == [["c", "e"]]


def test_vocab_min_freq_counter_and_specials():
    counter = collections.Counter({"x": 3, "y": 1, "<pad>": 5, "z": 2})
    vocab = Vocab(counter, min_freq=2, reserved_tokens=["<pad>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "x", "z"]   # '<pad>' not listed twice
    assert vocab["y"] == 0
    assert Vocab().idx_to_token == ["<unk>"]
    assert Vocab(list("abca")).idx_to_token == ["<unk>", "a", "b", "c"]   # flat token list


def test_vocab_without_unk():
    vocab = Vocab(["a", "b", "b"], unk_token=None, reserved_tokens=["<pad>"])
    assert vocab.idx_to_token == ["<pad>", "b", "a"]
    with pytest.raises(KeyError):
        vocab["zzz"]
    with pytest.raises(AttributeError):
        vocab.unk
    with pytest.raises(ValueError):
        Vocab(["a"], reserved_tokens=["<unk>"])


def test_vocab_save_load_round_trip(tmp_path):
    vocab = Vocab(tokenize(["the time machine", "the time traveller", "é ü"]), min_freq=1,
                  reserved_tokens=["<pad>"])
    vocab.save(tmp_path / "vocab.json")
    loaded = Vocab.load(tmp_path / "vocab.json")
    assert loaded == vocab and loaded is not vocab
    assert loaded.idx_to_token == vocab.idx_to_token
    assert loaded[["time", "é", "nope"]] == vocab[["time", "é", "nope"]]
    assert loaded.token_freqs == vocab.token_freqs
    assert repr(loaded) == ("Vocab(size=8, tokens=['<unk>', '<pad>', 'the', 'time', 'machine', "
                            "'traveller', 'é', 'ü'])")


@pytest.mark.parametrize("module", ["tokenize", "vocab", "corpora", "batching", "masking",
                                    "decoding", "metrics"])
def test_docstring_examples(module):
    mod = importlib.import_module(f"glasstorch.text.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
