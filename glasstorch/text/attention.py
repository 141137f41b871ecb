"""d2l's attention layers for encoder-decoder models (d2l 11.3), not torch.nn names:

    AdditiveAttention      Bahdanau et al. 2015: score = w_v^T tanh(W_q q + W_k k)
    DotProductAttention    score = q k^T / sqrt(d)

Both mask keys past valid_lens with masked_softmax (masking.py), keep the weights as
`attention_weights` and return dropout(attention_weights) @ values. models/seq2seq.py uses
AdditiveAttention; torch's MultiheadAttention is in nn/modules/attention.py.
"""
import math

from ..nn.modules.dropout import Dropout
from ..nn.modules.linear import Linear
from ..nn.modules.module import Module
from .masking import masked_softmax

__all__ = ["AdditiveAttention", "DotProductAttention"]


class AdditiveAttention(Module):
    """d2l's additive (Bahdanau) attention: score(q, k) = w_v^T tanh(W_q q + W_k k), weights
    = masked_softmax(scores, valid_lens) (kept as `attention_weights`), output = dropout(
    weights) @ values. queries (B, Q, query_size), keys (B, K, key_size), values (B, K, V)
    -> (B, Q, V). W_k, W_q, w_v are Linear layers without bias (d2l's names)."""

    def __init__(self, key_size, query_size, num_hiddens, dropout):
        super().__init__()
        self.W_k = Linear(key_size, num_hiddens, bias=False)
        self.W_q = Linear(query_size, num_hiddens, bias=False)
        self.w_v = Linear(num_hiddens, 1, bias=False)
        self.dropout = Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens=None):
        queries, keys = self.W_q(queries), self.W_k(keys)
        # (B, Q, 1, h) + (B, 1, K, h): every query against every key
        features = (queries.unsqueeze(2) + keys.unsqueeze(1)).tanh()
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return self.dropout(self.attention_weights).bmm(values)


class DotProductAttention(Module):
    """d2l's scaled dot-product attention: scores = q k^T / sqrt(d), weights =
    masked_softmax(scores, valid_lens) (kept as `attention_weights`), output = dropout(
    weights) @ values. queries (B, Q, d), keys (B, K, d), values (B, K, V) -> (B, Q, V)."""

    def __init__(self, dropout):
        super().__init__()
        self.dropout = Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens=None):
        d = queries.shape[-1]
        scores = queries.bmm(keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return self.dropout(self.attention_weights).bmm(values)
