"""Language-model minibatches: cut one long token sequence into (X, Y) pairs, Y = X shifted by
one token (d2l 9.3). Two ways:

- `seq_data_iter_random`: random offset, subsequences in random order. Batches are independent,
  so the hidden state must be reset for every batch.
- `seq_data_iter_sequential`: the corpus is split into `batch_size` contiguous rows and read left
  to right, so row b of batch k+1 continues row b of batch k: a hidden state carried across
  batches (detached) sees a continuous text.

Both draw their random offset from a glasstorch Generator (global one if None) and yield int64
tensors (batch_size, num_steps). `load_data_time_machine` wraps them around The Time Machine.
"""
from ..backend import xp as _xp
from ..random import default_generator
from ..tensor import Tensor, _make
from .corpora import load_time_machine

__all__ = ["seq_data_iter_random", "seq_data_iter_sequential", "SeqDataLoader",
           "load_data_time_machine"]


def _prepare(corpus, batch_size, num_steps):
    corpus = corpus._data if isinstance(corpus, Tensor) else corpus
    corpus = _xp.asarray(corpus, dtype=_xp.int64).reshape(-1)
    for name, value in (("batch_size", batch_size), ("num_steps", num_steps)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} should be a positive integer, got {value!r}")
    # the worst-case offset (num_steps) must still leave one full batch plus the shifted target
    needed = batch_size * num_steps + num_steps + 1
    if len(corpus) < needed:
        raise ValueError(f"corpus of {len(corpus)} tokens is too short for batch_size="
                         f"{batch_size}, num_steps={num_steps} (needs >= {needed})")
    return corpus


def seq_data_iter_random(corpus, batch_size, num_steps, generator=None):
    """Random sampling: drop a random 0..num_steps-1 tokens at the start, cut the rest into
    non-overlapping subsequences of num_steps tokens, and yield them in a random order,
    batch_size per batch (the leftover that fills no batch is dropped)."""
    corpus = _prepare(corpus, batch_size, num_steps)
    rng = (generator or default_generator).rng
    return _random_batches(corpus, batch_size, num_steps, rng)


def _random_batches(corpus, batch_size, num_steps, rng):
    corpus = corpus[int(rng.integers(0, num_steps)):]
    num_subseqs = (len(corpus) - 1) // num_steps        # -1: each X needs its next token in Y
    starts = rng.permutation(num_subseqs) * num_steps
    window = _xp.arange(num_steps)
    for i in range(0, num_subseqs // batch_size * batch_size, batch_size):
        idx = starts[i:i + batch_size, None] + window   # (batch_size, num_steps) positions
        yield _make(corpus[idx]), _make(corpus[idx + 1])


def seq_data_iter_sequential(corpus, batch_size, num_steps, generator=None):
    """Sequential partitioning: drop a random 0..num_steps tokens at the start, lay the rest
    out as batch_size contiguous rows, and yield consecutive num_steps-wide column blocks."""
    corpus = _prepare(corpus, batch_size, num_steps)
    rng = (generator or default_generator).rng
    return _sequential_batches(corpus, batch_size, num_steps, rng)


def _sequential_batches(corpus, batch_size, num_steps, rng):
    offset = int(rng.integers(0, num_steps + 1))
    num_tokens = (len(corpus) - offset - 1) // batch_size * batch_size
    xs = corpus[offset:offset + num_tokens].reshape(batch_size, -1)
    ys = corpus[offset + 1:offset + 1 + num_tokens].reshape(batch_size, -1)
    for i in range(0, xs.shape[1] // num_steps * num_steps, num_steps):
        # copy: a column slice of a row-major array is not contiguous
        yield (_make(_xp.ascontiguousarray(xs[:, i:i + num_steps])),
               _make(_xp.ascontiguousarray(ys[:, i:i + num_steps])))


class SeqDataLoader:
    """Iterable over (X, Y) language-model batches of `corpus`; each pass (epoch) draws a new
    random offset (and order, with use_random_iter=True)."""

    def __init__(self, corpus, batch_size, num_steps, use_random_iter=False, generator=None):
        self.corpus = _prepare(corpus, batch_size, num_steps)
        self.batch_size, self.num_steps = batch_size, num_steps
        self.use_random_iter, self.generator = use_random_iter, generator

    def __iter__(self):
        make = seq_data_iter_random if self.use_random_iter else seq_data_iter_sequential
        return make(self.corpus, self.batch_size, self.num_steps, self.generator)


def load_data_time_machine(batch_size, num_steps, use_random_iter=False, max_tokens=10000,
                           token="char", generator=None):
    """(SeqDataLoader, Vocab) over the first max_tokens tokens of The Time Machine (d2l).

    >>> loader, vocab = load_data_time_machine(batch_size=2, num_steps=5)
    >>> X, Y = next(iter(loader))
    >>> X.shape, X.dtype, bool((X[:, 1:] == Y[:, :-1]).all())
    (torch.Size([2, 5]), torch.int64, True)
    """
    corpus, vocab = load_time_machine(token=token, max_tokens=max_tokens)
    return SeqDataLoader(corpus, batch_size, num_steps, use_random_iter, generator), vocab
