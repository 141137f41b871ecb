"""The Transformer encoder-decoder for sequence to sequence tasks (Vaswani et al. 2017; d2l 11.6-
11.7), on glasstorch.nn's TransformerEncoderLayer / TransformerDecoderLayer.

    PositionalEncoding    adds sin/cos of position / 10000^(2i/d) to the embeddings, then dropout
    padding_mask          valid lengths -> nn's key_padding_mask (True = padding, ignored)
    TransformerEncoder    embedding * sqrt(d) + positions -> encoder layers; forward(src,
                          valid_lens) -> (B, T, d)
    TransformerDecoder    the same on the target with a causal mask, attending to the encoder's
                          outputs; text.decoding's step interface

They plug into seq2seq.EncoderDecoder, train_seq2seq and predict_seq2seq like the RNN models.
The decoder's state holds the target tokens read so far (never modified in place); a decoding
step reruns the layers over that prefix, quadratic in length but simple. d2l instead caches
each layer's past inputs; with sentences of a few dozen tokens the rerun costs little.
"""
import math

from ... import creation
from ..._dtype import bool as bool_
from ...nn.modules.container import ModuleList
from ...nn.modules.dropout import Dropout
from ...nn.modules.linear import Linear
from ...nn.modules.module import Module
from ...nn.modules.sparse import Embedding
from ...nn.modules.transformer import TransformerDecoderLayer, TransformerEncoderLayer
from ...ops.join import cat
from .seq2seq import Decoder, Encoder

__all__ = ["PositionalEncoding", "padding_mask", "TransformerEncoder", "TransformerDecoder"]


class PositionalEncoding(Module):
    """X (B, T, d) + P[:T], P[t, 2i] = sin(t / 10000^(2i/d)), P[t, 2i+1] = cos(same), then
    dropout (d2l 11.6). Each dimension pair turns at its own frequency, so a fixed offset k is
    a rotation: P[t+k] is a linear function of P[t] (relative positions are easy to attend to).
    P is a non-persistent buffer (recomputed, not saved in state_dicts)."""

    def __init__(self, num_hiddens, dropout=0.0, max_len=1000):
        super().__init__()
        self.dropout = Dropout(dropout)
        pos = creation.arange(max_len).float().reshape(-1, 1)
        freq = 10000 ** (creation.arange(0, num_hiddens, 2).float() / num_hiddens)
        angles = pos / freq                                        # (max_len, ceil(d/2))
        P = creation.zeros(1, max_len, num_hiddens)
        P[0, :, 0::2] = angles.sin()
        P[0, :, 1::2] = angles.cos()[:, :num_hiddens // 2]
        self.register_buffer("P", P, persistent=False)

    def forward(self, X):
        return self.dropout(X + self.P[:, :X.shape[1]])


def padding_mask(valid_lens, max_len):
    """(B, max_len) bool, True past each row's valid length: nn.MultiheadAttention's
    key_padding_mask (None stays None)."""
    if valid_lens is None:
        return None
    return creation.arange(max_len)[None, :] >= valid_lens[:, None]


class TransformerEncoder(Encoder):
    """Token embedding scaled by sqrt(d) (so it is not drowned by the positional encoding,
    whose entries are in [-1, 1]), positional encoding, then num_layers post-norm encoder
    layers; padding keys are masked out by valid_lens. forward(X (B, T), valid_lens (B,))
    -> (B, T, num_hiddens)."""

    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_layers,
                 dropout=0.0, max_len=1000):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.embedding = Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout, max_len)
        self.layers = ModuleList(
            TransformerEncoderLayer(num_hiddens, num_heads, ffn_num_hiddens, dropout,
                                    batch_first=True) for _ in range(num_layers))

    def forward(self, X, valid_lens=None):
        mask = padding_mask(valid_lens, X.shape[1])
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        for layer in self.layers:
            X = layer(X, src_key_padding_mask=mask)
        return X


class TransformerDecoder(Decoder):
    """Embedding * sqrt(d) + positional encoding, num_layers decoder layers (masked self-
    attention: position t sees targets 0..t; attention to the encoder outputs past their valid
    lengths masked), then a Linear over the vocab.

    init_state(enc_outputs, enc_valid_lens) -> (enc_outputs, enc_valid_lens, prefix None);
    forward(X (B, T), state) reads the prefix then X and returns the logits of X's T positions
    and the state with X appended to the prefix (T = 1: one decoding step)."""

    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_layers,
                 dropout=0.0, max_len=1000):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.embedding = Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout, max_len)
        self.layers = ModuleList(
            TransformerDecoderLayer(num_hiddens, num_heads, ffn_num_hiddens, dropout,
                                    batch_first=True) for _ in range(num_layers))
        self.dense = Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs, enc_valid_lens=None):
        return enc_outputs, enc_valid_lens, None

    def forward(self, X, state):
        memory, valid_lens, prefix = state
        tokens = X if prefix is None else cat([prefix, X], dim=1)
        T = tokens.shape[1]
        causal = creation.ones(T, T, dtype=bool_).triu(1)         # True: j > i is hidden
        memory_mask = padding_mask(valid_lens, memory.shape[1])
        Y = self.pos_encoding(self.embedding(tokens) * math.sqrt(self.num_hiddens))
        for layer in self.layers:
            Y = layer(Y, memory, tgt_mask=causal, memory_key_padding_mask=memory_mask,
                      tgt_is_causal=True)
        return self.dense(Y[:, T - X.shape[1]:]), (memory, valid_lens, tokens)
