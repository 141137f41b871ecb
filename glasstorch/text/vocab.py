"""Vocab: the token <-> index map of a text model (d2l's `Vocab`, torchtext's names).

Index 0 is the unknown token '<unk>', then the reserved tokens in the order given, then every
other token by descending frequency. Equal frequencies keep the order of first appearance
(the counter's insertion order; a stable sort, as d2l), so a vocab is the same on every run.
"""
import collections
import collections.abc
import json

from ..tensor import Tensor

__all__ = ["Vocab", "count_corpus"]


def count_corpus(tokens):
    """Token counts of a flat token list or a list of token lists (d2l)."""
    if len(tokens) and isinstance(tokens[0], (list, tuple)):
        tokens = [token for line in tokens for token in line]
    return collections.Counter(tokens)


class Vocab:
    """Maps tokens to indices and back.

    Args:
        tokens: a token list, a list of token lists, or a mapping token -> count (Counter).
        min_freq: tokens seen fewer times are left out (they map to '<unk>').
        reserved_tokens: e.g. ['<pad>', '<bos>', '<eos>'], placed right after '<unk>'.
        unk_token: the unknown token at index 0; None makes unknown tokens raise KeyError.

    >>> vocab = Vocab("a b b c c c".split(), reserved_tokens=["<pad>"])
    >>> vocab.idx_to_token, vocab["c"], vocab[["b", "zzz"]]
    (['<unk>', '<pad>', 'c', 'b', 'a'], 2, [3, 0])
    """

    def __init__(self, tokens=None, min_freq=0, reserved_tokens=None, unk_token="<unk>"):
        if tokens is None:
            tokens = []
        counter = tokens if isinstance(tokens, collections.abc.Mapping) else count_corpus(tokens)
        # sorted() is stable: equal counts keep first-appearance order
        self._token_freqs = sorted(counter.items(), key=lambda item: item[1], reverse=True)
        self.unk_token = unk_token
        self.reserved_tokens = list(reserved_tokens or [])
        specials = ([] if unk_token is None else [unk_token]) + self.reserved_tokens
        if len(set(specials)) != len(specials):
            raise ValueError(f"duplicate special tokens in {specials}")
        self.idx_to_token = specials + [token for token, freq in self._token_freqs
                                        if freq >= min_freq and token not in specials]
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __contains__(self, token):
        return token in self.token_to_idx

    def __iter__(self):
        return iter(self.idx_to_token)

    def __getitem__(self, tokens):
        """The index of a token, or a (nested) list of indices for a list/tuple of tokens."""
        if isinstance(tokens, (list, tuple)):
            return [self[token] for token in tokens]
        idx = self.token_to_idx.get(tokens)
        if idx is None:
            if self.unk_token is None:
                raise KeyError(f"token {tokens!r} is not in the vocab and it has no unk_token")
            return 0
        return idx

    def lookup_indices(self, tokens):
        """Indices of a list of tokens (torchtext's name)."""
        return [self[token] for token in tokens]

    def to_tokens(self, indices):
        """Token of an index, or tokens of a list/tuple/tensor of indices."""
        if isinstance(indices, Tensor):
            indices = indices.tolist()
        if isinstance(indices, (list, tuple)):
            return [self.to_tokens(idx) for idx in indices]
        return self.idx_to_token[indices]

    @property
    def unk(self):
        """Index of the unknown token (0), as d2l's `vocab.unk`."""
        if self.unk_token is None:
            raise AttributeError("this vocab has no unk_token")
        return 0

    @property
    def token_freqs(self):
        """(token, count) pairs sorted by descending count, before min_freq filtering."""
        return self._token_freqs

    def __eq__(self, other):
        return (isinstance(other, Vocab) and self.idx_to_token == other.idx_to_token
                and self.unk_token == other.unk_token
                and self.reserved_tokens == other.reserved_tokens
                and self._token_freqs == other._token_freqs)

    def __repr__(self):
        head = ", ".join(repr(t) for t in self.idx_to_token[:8])
        more = ", ..." if len(self) > 8 else ""
        return f"Vocab(size={len(self)}, tokens=[{head}{more}])"

    def save(self, path):
        """Write the vocab as JSON (tokens must be strings or other JSON scalars)."""
        state = {"idx_to_token": self.idx_to_token, "unk_token": self.unk_token,
                 "reserved_tokens": self.reserved_tokens,
                 "token_freqs": [[token, freq] for token, freq in self._token_freqs]}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(state, f, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        """Read a vocab written by `save`; indices are the saved ones, nothing is recounted."""
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
        vocab = cls.__new__(cls)
        vocab.unk_token = state["unk_token"]
        vocab.reserved_tokens = state["reserved_tokens"]
        vocab._token_freqs = [(token, freq) for token, freq in state["token_freqs"]]
        vocab.idx_to_token = state["idx_to_token"]
        vocab.token_to_idx = {token: idx for idx, token in enumerate(vocab.idx_to_token)}
        return vocab
