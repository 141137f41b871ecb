"""glasstorch.text corpora: The Time Machine with d2l's numbers, user files, parallel corpora,
seq2seq arrays and the synthetic corpus."""
import hashlib

import pytest

import glasstorch as torch
from glasstorch.text import (TIME_MACHINE, Vocab, build_seq2seq_arrays, load_data_nmt,
                             load_time_machine, parse_parallel_text, preprocess_nmt,
                             read_parallel_corpus, read_text_files, read_time_machine,
                             synthetic_parallel_corpus, truncate_pad)
from glasstorch.text.corpora import _pig_latin


def test_shipped_file_is_the_documented_one():
    with open(TIME_MACHINE, "rb") as f:
        assert hashlib.sha1(f.read()).hexdigest() == "090b5e7e70c295757f55df93cb0a180b9691891a"


def test_read_time_machine_like_d2l():
    lines = read_time_machine()
    assert len(lines) == 3221
    assert lines[0] == "the time machine by h g wells"
    assert all(set(line) <= set("abcdefghijklmnopqrstuvwxyz ") for line in lines)


@pytest.mark.parametrize("token, corpus_len, vocab_len, first", [
    ("char", 170580, 28, ["<unk>", " ", "e", "t", "a", "i", "n", "o", "s", "h"]),
    ("word", 32775, 4580, ["<unk>", "the", "i", "and", "of", "a", "to", "was", "in", "that"]),
])
def test_load_time_machine_d2l_numbers(token, corpus_len, vocab_len, first):
    corpus, vocab = load_time_machine(token)
    assert (len(corpus), len(vocab)) == (corpus_len, vocab_len)
    assert vocab.idx_to_token[:10] == first
    assert vocab.to_tokens(corpus[:3]) == (list("the") if token == "char"
                                           else ["the", "time", "machine"])


def test_load_time_machine_max_tokens_and_split():
    corpus, vocab = load_time_machine(max_tokens=1000)
    assert len(corpus) == 1000 and len(vocab) == 28
    train, train_vocab = load_time_machine(max_tokens=1000, split="train")
    valid, valid_vocab = load_time_machine(max_tokens=1000, split="valid", valid_fraction=0.1)
    assert (len(train), len(valid)) == (900, 100)
    assert train + valid == corpus and train_vocab == valid_vocab == vocab
    words, word_vocab = load_time_machine("word", min_freq=3)
    assert len(word_vocab) < 4580 and word_vocab.unk in words
    with pytest.raises(ValueError):
        load_time_machine(split="test")
    with pytest.raises(ValueError):
        load_time_machine(split="train", valid_fraction=1.0)


def test_read_text_files(tmp_path):
    (tmp_path / "a.txt").write_text("first line\nsecond\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("third é", encoding="utf-8")
    paths = [tmp_path / "a.txt", str(tmp_path / "b.txt")]
    assert read_text_files(paths) == ["first line", "second", "third é"]
    assert read_text_files(tmp_path / "b.txt") == ["third é"]


@pytest.mark.parametrize("text, expected", [
    ("Go.\tVa !", "go .\tva !"),
    ("Hi,\u202fyou!\xa0OK?", "hi , you ! ok ?"),
    ("I lost.\tJ'ai perdu.", "i lost .\tj'ai perdu ."),
    (".Start", ".start"),
])
def test_preprocess_nmt(text, expected):
    assert preprocess_nmt(text) == expected


def test_read_parallel_corpus(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_text("Go.\tVa !\tCC-BY 2.0 (France) Attribution\n\nbad line\n"
                    "I lost.\tJ'ai perdu.\nHe's calm.\tIl est calme.\n", encoding="utf-8")
    source, target = read_parallel_corpus(path)
    assert source == [["go", "."], ["i", "lost", "."], ["he's", "calm", "."]]
    assert target == [["va", "!"], ["j'ai", "perdu", "."], ["il", "est", "calme", "."]]
    assert read_parallel_corpus(path, num_examples=2)[0] == source[:2]
    assert parse_parallel_text("a|b\nc|d", sep="|") == ([["a"], ["c"]], [["b"], ["d"]])


@pytest.mark.parametrize("line, expected", [
    ([1, 2, 3], [1, 2, 3, 0, 0]),
    ([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5]),
    ([], [0] * 5),
])
def test_truncate_pad(line, expected):
    assert truncate_pad(line, 5, 0) == expected


def test_build_seq2seq_arrays():
    vocab = Vocab(["a", "b", "b"], reserved_tokens=["<pad>", "<bos>", "<eos>"])
    pad, eos, a, b = vocab[["<pad>", "<eos>", "a", "b"]]
    array, valid_len = build_seq2seq_arrays([["a"], ["b", "a", "b"], [], ["zz"]], vocab, 3)
    assert array.dtype == torch.int64 and valid_len.dtype == torch.int64
    assert array.tolist() == [[a, eos, pad], [b, a, b], [eos, pad, pad], [0, eos, pad]]
    assert valid_len.tolist() == [2, 3, 1, 2]
    empty, empty_len = build_seq2seq_arrays([], vocab, 4)
    assert tuple(empty.shape) == (0, 4) and tuple(empty_len.shape) == (0,)
    with pytest.raises(ValueError, match="<eos>"):
        build_seq2seq_arrays([["a"]], Vocab(["a"], reserved_tokens=["<pad>"]), 3)


@pytest.mark.parametrize("word, expected", [
    ("pig", "igpay"), ("string", "ingstray"), ("apple", "appleway"), ("my", "ymay"),
    ("rhythm", "ythmrhay"), ("tsk", "tskay"),
])
def test_pig_latin(word, expected):
    assert _pig_latin(word) == expected


def test_synthetic_parallel_corpus(tmp_path):
    text = synthetic_parallel_corpus(50, seed=3)
    assert text == synthetic_parallel_corpus(50, seed=3) != synthetic_parallel_corpus(50, seed=4)
    path = tmp_path / "pig.txt"
    path.write_text(text, encoding="utf-8")
    source, target = read_parallel_corpus(path)
    assert len(source) == len(target) == 50
    for src, tgt in zip(source, target):
        assert tgt == [_pig_latin(w) if w.isalpha() else w for w in src]
        assert src[-1] in ".!?"
    rev_src, rev_tgt = parse_parallel_text(preprocess_nmt(
        synthetic_parallel_corpus(20, seed=3, task="reverse")))
    assert rev_src == source[:20]
    assert all(t == s[-2::-1] + s[-1:] for s, t in zip(rev_src, rev_tgt))
    with pytest.raises(ValueError):
        synthetic_parallel_corpus(1, task="copy")


def test_load_data_nmt():
    loader, src_vocab, tgt_vocab = load_data_nmt(batch_size=4, num_steps=6, num_examples=40,
                                                  generator=torch.Generator().manual_seed(0))
    X, X_len, Y, Y_len = next(iter(loader))
    assert tuple(X.shape) == tuple(Y.shape) == (4, 6) and X.dtype == torch.int64
    assert tuple(X_len.shape) == (4,)
    pad = tgt_vocab["<pad>"]
    for row, n in zip(Y.tolist(), Y_len.tolist()):
        assert all(t != pad for t in row[:n]) and all(t == pad for t in row[n:])
    assert src_vocab.idx_to_token[:4] == ["<unk>", "<pad>", "<bos>", "<eos>"]
    assert sum(len(batch[0]) for batch in loader) == 40
