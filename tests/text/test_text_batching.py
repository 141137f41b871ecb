"""Language-model batching: the sequential iterator's rows continue across batches; the random
iterator's windows are aligned, disjoint, shuffled and cover the corpus. The corpus is
0..N-1, so every value is its own position."""
import pytest

import glasstorch as torch
from glasstorch.text import (SeqDataLoader, load_data_time_machine, seq_data_iter_random,
                             seq_data_iter_sequential)


def _batches(iterator):
    return [(X.tolist(), Y.tolist()) for X, Y in iterator]


@pytest.mark.parametrize("n, batch_size, num_steps, seed", [
    (35, 2, 5, 0), (100, 3, 4, 1), (1000, 8, 7, 2), (16, 2, 3, 3), (500, 1, 10, 4),
])
def test_sequential_rows_continue_across_batches(n, batch_size, num_steps, seed):
    gen = torch.Generator().manual_seed(seed)
    batches = list(seq_data_iter_sequential(list(range(n)), batch_size, num_steps, gen))
    assert batches
    X0 = batches[0][0]
    offset = X0[0, 0].item()
    assert 0 <= offset <= num_steps
    row_len = (n - offset - 1) // batch_size
    assert len(batches) == row_len // num_steps
    for k, (X, Y) in enumerate(batches):
        assert X.dtype == Y.dtype == torch.int64 and tuple(X.shape) == (batch_size, num_steps)
        assert X.is_contiguous() and Y.is_contiguous()
        assert (Y == X + 1).all()
        # row b of batch k is tokens offset + b*row_len + k*num_steps + 0..num_steps-1
        start = torch.arange(batch_size)[:, None] * row_len + offset + k * num_steps
        assert (X == start + torch.arange(num_steps)).all()
        if k:
            assert (X[:, 0] == batches[k - 1][0][:, -1] + 1).all()   # continues the last batch


@pytest.mark.parametrize("n, batch_size, num_steps, seed", [
    (35, 2, 5, 0), (100, 3, 4, 1), (1000, 8, 7, 2), (16, 2, 3, 3), (500, 1, 10, 4),
])
def test_random_windows_aligned_disjoint_and_covering(n, batch_size, num_steps, seed):
    gen = torch.Generator().manual_seed(seed)
    batches = list(seq_data_iter_random(list(range(n)), batch_size, num_steps, gen))
    starts = [row[0] for X, _ in batches for row in X.tolist()]
    offset = min(starts) % num_steps
    num_subseqs = (n - offset - 1) // num_steps
    assert len(batches) == num_subseqs // batch_size
    for X, Y in batches:
        assert X.dtype == Y.dtype == torch.int64 and tuple(X.shape) == (batch_size, num_steps)
        assert (Y == X + 1).all()
        assert (X == X[:, :1] + torch.arange(num_steps)).all()      # contiguous windows
    # aligned to the random offset, no window twice; only num_subseqs % batch_size left out
    assert all((s - offset) % num_steps == 0 and s + num_steps < n for s in starts)
    assert len(set(starts)) == len(starts) == num_subseqs // batch_size * batch_size
    assert set(starts) <= {offset + j * num_steps for j in range(num_subseqs)}


def test_random_order_and_offsets_vary_and_are_seeded():
    corpus = list(range(2000))
    gen = torch.Generator().manual_seed(0)
    epochs = [_batches(seq_data_iter_random(corpus, 4, 5, gen)) for _ in range(6)]
    assert len({e[0][0][0][0] % 5 for e in epochs}) > 1                # several offsets
    firsts = [row[0] for X, _ in epochs[0] for row in X]
    assert firsts != sorted(firsts)                                    # shuffled order
    again = torch.Generator().manual_seed(0)
    assert _batches(seq_data_iter_random(corpus, 4, 5, again)) == epochs[0]
    torch.manual_seed(7)
    a = _batches(seq_data_iter_sequential(corpus, 4, 5))
    torch.manual_seed(7)
    assert _batches(seq_data_iter_sequential(corpus, 4, 5)) == a      # global generator


@pytest.mark.parametrize("corpus, batch_size, num_steps, match", [
    (list(range(20)), 3, 5, "too short"),
    (list(range(100)), 0, 5, "batch_size"),
    (list(range(100)), 2, 2.5, "num_steps"),
])
def test_errors_are_raised_at_the_call(corpus, batch_size, num_steps, match):
    for make in (seq_data_iter_random, seq_data_iter_sequential):
        with pytest.raises(ValueError, match=match):
            make(corpus, batch_size, num_steps)


def test_shortest_corpus_gives_one_batch_for_every_offset():
    corpus = list(range(2 * 5 + 5 + 1))
    for seed in range(20):
        gen = torch.Generator().manual_seed(seed)
        assert len(list(seq_data_iter_sequential(corpus, 2, 5, gen))) >= 1
        assert len(list(seq_data_iter_random(corpus, 2, 5, gen))) >= 1


def test_seq_data_loader_epochs_and_tensor_corpus():
    loader = SeqDataLoader(torch.arange(300), 4, 6, use_random_iter=False,
                           generator=torch.Generator().manual_seed(1))
    offsets = {_batches(loader)[0][0][0][0] for _ in range(5)}
    assert len(offsets) > 1                                # a new offset each epoch
    random_loader = SeqDataLoader(list(range(300)), 4, 6, use_random_iter=True,
                                  generator=torch.Generator().manual_seed(1))
    X, Y = next(iter(random_loader))
    assert (Y == X + 1).all()


def test_load_data_time_machine():
    loader, vocab = load_data_time_machine(batch_size=8, num_steps=10, max_tokens=2000,
                                           generator=torch.Generator().manual_seed(0))
    assert len(vocab) == 28
    batches = list(loader)
    assert len(batches) >= (2000 - 10 - 1) // 8 // 10
    X, Y = batches[0]
    assert X.dtype == torch.int64 and tuple(X.shape) == (8, 10)
    assert (X[:, 1:] == Y[:, :-1]).all()
    text = "".join(vocab.to_tokens(X[0].tolist()))
    assert set(text) <= set("abcdefghijklmnopqrstuvwxyz ")
    word_loader, word_vocab = load_data_time_machine(2, 3, use_random_iter=True,
                                                     max_tokens=100, token="word")
    assert len(word_vocab) == 4580 and next(iter(word_loader))[0].shape == (2, 3)
