"""Sequence to sequence learning with RNNs (d2l 10.6-10.7, 11.4): an encoder reads the source, a
decoder writes the target one token at a time.

    Encoder, Decoder, EncoderDecoder    the interfaces (d2l 10.6): encoder(src, valid_lens) ->
                                        outputs; decoder.init_state(outputs, valid_lens);
                                        decoder(tgt_in, state) -> (logits, state)
    Seq2SeqEncoder                      embedding -> GRU (stacked, optionally bidirectional)
    Seq2SeqDecoder                      GRU fed [embedding, encoder's final output] at each step
    Seq2SeqAttentionDecoder             Bahdanau et al. (2015): each step attends over every
                                        encoder output (AdditiveAttention), queried by the
                                        decoder's last hidden state
    teacher_forcing_inputs, train_seq2seq, predict_seq2seq

Decoders follow text.decoding's step interface, so greedy_decode and beam_search drive them
(predict_seq2seq). Their state is a tuple they never modify in place: beam search hands one
state to several hypotheses.
"""
from ... import creation
from ...autograd.grad_mode import no_grad
from ...nn.modules.linear import Linear
from ...nn.modules.module import Module
from ...nn.modules.rnn import GRU
from ...nn.modules.sparse import Embedding
from ...nn.utils import clip_grad_norm_
from ...ops.join import cat
from ..attention import AdditiveAttention
from ..corpora import truncate_pad
from ..decoding import beam_search, greedy_decode
from ..masking import MaskedSoftmaxCELoss

__all__ = ["Encoder", "Decoder", "EncoderDecoder", "Seq2SeqEncoder", "Seq2SeqDecoder",
           "Seq2SeqAttentionDecoder", "teacher_forcing_inputs", "train_seq2seq",
           "predict_seq2seq"]


class Encoder(Module):
    """forward(src (B, T) int64, valid_lens (B,) or None) -> whatever its decoder's init_state
    takes."""

    def forward(self, X, valid_lens=None):
        raise NotImplementedError


class Decoder(Module):
    """init_state(enc_outputs, enc_valid_lens) -> state;  forward(X (B, T) int64, state) ->
    (logits (B, T, V), new state). With T = 1 it is one decoding step."""

    def init_state(self, enc_outputs, enc_valid_lens=None):
        raise NotImplementedError

    def forward(self, X, state):
        raise NotImplementedError


class EncoderDecoder(Module):
    """forward(src, tgt_in, src_valid_lens=None) -> logits (B, T_tgt, V): the decoder reads the
    target shifted right (teacher forcing) from the state the encoder's outputs give."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, enc_X, dec_X, enc_valid_lens=None):
        enc_outputs = self.encoder(enc_X, enc_valid_lens)
        state = self.decoder.init_state(enc_outputs, enc_valid_lens)
        return self.decoder(dec_X, state)[0]


class Seq2SeqEncoder(Encoder):
    """Embedding -> GRU. Returns (outputs (B, T, D*H), h_n (L*D, B, H)). A bidirectional
    encoder (D = 2) hands the decoder h_n with the two directions of each layer summed (the
    decoder's GRU is one-directional)."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0.0,
                 bidirectional=False):
        super().__init__()
        self.embedding = Embedding(vocab_size, embed_size)
        self.rnn = GRU(embed_size, num_hiddens, num_layers, batch_first=True,
                       dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)

    def forward(self, X, valid_lens=None):
        outputs, state = self.rnn(self.embedding(X))
        if self.rnn.bidirectional:
            L, B, H = state.shape
            state = state.reshape(L // 2, 2, B, H).sum(dim=1)
        return outputs, state


class Seq2SeqDecoder(Decoder):
    """d2l 10.7: the GRU reads [embedding of y_t-1, context] with context = the encoder's
    output at its last step (the same at every step), starting from the encoder's final
    state. Everything about the source must squeeze through that one vector."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0.0,
                 context_size=None):
        super().__init__()
        self.embedding = Embedding(vocab_size, embed_size)
        self.rnn = GRU(embed_size + (context_size or num_hiddens), num_hiddens, num_layers,
                       batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
        self.dense = Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs, enc_valid_lens=None):
        outputs, hidden = enc_outputs
        return outputs[:, -1], hidden                  # context (B, D*H), h (L, B, H)

    def forward(self, X, state):
        context, hidden = state
        emb = self.embedding(X)                                    # (B, T, E)
        context_t = context.unsqueeze(1).expand(-1, emb.shape[1], -1)
        outputs, hidden = self.rnn(cat([emb, context_t], dim=-1), hidden)
        return self.dense(outputs), (context, hidden)


class Seq2SeqAttentionDecoder(Decoder):
    """Bahdanau et al. (2015), as d2l 11.4: at step t the query is the decoder's top-layer hidden
    state, the keys and values are all encoder outputs (past each source's valid length
    masked out), and the GRU reads [context_t, embedding of y_t-1]. `attention_weights` keeps
    the (B, T_tgt, T_src) weights of the last forward, for plots."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0.0,
                 context_size=None):
        super().__init__()
        context_size = context_size or num_hiddens
        self.attention = AdditiveAttention(context_size, num_hiddens, num_hiddens, dropout)
        self.embedding = Embedding(vocab_size, embed_size)
        self.rnn = GRU(embed_size + context_size, num_hiddens, num_layers, batch_first=True,
                       dropout=dropout if num_layers > 1 else 0.0)
        self.dense = Linear(num_hiddens, vocab_size)
        self.attention_weights = None

    def init_state(self, enc_outputs, enc_valid_lens=None):
        outputs, hidden = enc_outputs
        return outputs, hidden, enc_valid_lens

    def forward(self, X, state):
        enc_outputs, hidden, enc_valid_lens = state
        emb = self.embedding(X)                                    # (B, T, E)
        outputs, weights = [], []
        for t in range(emb.shape[1]):      # each step's query is the state the last one left
            query = hidden[-1].unsqueeze(1)                        # (B, 1, H)
            context = self.attention(query, enc_outputs, enc_outputs, enc_valid_lens)
            out, hidden = self.rnn(cat([context, emb[:, t:t + 1]], dim=-1), hidden)
            outputs.append(out)
            weights.append(self.attention.attention_weights)
        self.attention_weights = cat(weights, dim=1)
        return self.dense(cat(outputs, dim=1)), (enc_outputs, hidden, enc_valid_lens)


def teacher_forcing_inputs(Y, bos):
    """The decoder's input in training: '<bos>' then the target without its last token."""
    return cat([creation.full((Y.shape[0], 1), bos, dtype=Y.dtype), Y[:, :-1]], dim=1)


def train_seq2seq(net, loader, optimizer, num_epochs, tgt_vocab, grad_clip=1.0, callback=None):
    """d2l's `train_seq2seq`: teacher forcing, MaskedSoftmaxCELoss (padding ignored) summed over
    the batch, gradient clipping. loader yields (src, src_valid_len, tgt, tgt_valid_len).
    Returns the mean loss per target token of each epoch; callback(epoch, loss) after each."""
    loss_fn = MaskedSoftmaxCELoss()
    bos = tgt_vocab["<bos>"]
    history = []
    net.train()
    for epoch in range(num_epochs):
        total, tokens = 0.0, 0
        for X, X_valid_len, Y, Y_valid_len in loader:
            Y_hat = net(X, teacher_forcing_inputs(Y, bos), X_valid_len)
            loss = loss_fn(Y_hat, Y, Y_valid_len)          # (B,): sum of valid steps / T
            optimizer.zero_grad()
            loss.sum().backward()
            clip_grad_norm_(net.parameters(), grad_clip)
            optimizer.step()
            total += float(loss.sum()) * Y.shape[1]
            tokens += int(Y_valid_len.sum())
        history.append(total / tokens)
        if callback is not None:
            callback(epoch + 1, history[-1])
    return history


def predict_seq2seq(net, src_tokens, src_vocab, tgt_vocab, num_steps, beam_size=1, alpha=0.75):
    """Translate one tokenized sentence (d2l's `predict_seq2seq`): the source gets '<eos>' and
    is padded to num_steps (as in training), the decoder generates up to num_steps tokens with
    greedy search (beam_size=1) or beam search. Returns the target tokens (no '<eos>')."""
    was_training = net.training
    net.eval()
    src = src_vocab[list(src_tokens)] + [src_vocab["<eos>"]]
    valid_len = creation.tensor([min(len(src), num_steps)])
    X = creation.tensor([truncate_pad(src, num_steps, src_vocab["<pad>"])])
    with no_grad():
        state = net.decoder.init_state(net.encoder(X, valid_len), valid_len)
    bos, eos = tgt_vocab["<bos>"], tgt_vocab["<eos>"]
    if beam_size == 1:
        hyp = greedy_decode(net.decoder, state, bos, eos, num_steps, alpha)
    else:
        hyp = beam_search(net.decoder, state, bos, eos, beam_size, num_steps, alpha)
    net.train(was_training)
    return tgt_vocab.to_tokens(hyp.tokens)
