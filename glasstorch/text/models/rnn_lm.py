"""Recurrent language models (d2l 9.5-10.3): RNNLM predicts the next token from the tokens so far.

    RNNLM            embedding (or one-hot) -> RNN / GRU / LSTM (stacked) -> dropout -> Linear over
                     the vocab; `begin_state`, `generate(prefix, num_preds, vocab)`
    StatefulLM       an RNNLM as a plain `model(X) -> logits` for train.Trainer: it carries the
                     (detached) final state of one batch into the next (truncated BPTT)
    detach_state     cut a state out of the graph (a tensor or an LSTM (h, c) pair)
    lm_loss          mean cross-entropy per token of logits (B, T, V) against targets (B, T)
    evaluate_perplexity   exp(mean token cross-entropy) over a whole token sequence
    ContiguousBatches     the same reading order as a (deterministic) validation loader
    load_time_machine_chars   the novel's characters with line breaks read as spaces

Training a language model on long text (examples/char_lm.py, text/char_lm.py): batches come from
text.seq_data_iter_sequential, so row b of batch k+1 continues row b of batch k and the final
state of one batch is the right initial state of the next. It is detached first: gradients then
flow back through at most num_steps steps (truncated backpropagation through time). Through many
steps the gradient is a product of many Jacobians and can grow exponentially ("exploding
gradients", Pascanu et al. 2013): one bad batch then throws the weights far away. Clipping the
total gradient norm (nn.utils.clip_grad_norm_) bounds every step and cures it; LSTM/GRU gates
address the opposite problem, vanishing gradients. Perplexity = exp(mean cross-entropy per token):
the number of equally likely tokens the model hesitates between (1 is perfect; the vocab size is
a uniform guess).
"""
import math

from ... import creation
from ...autograd.grad_mode import no_grad
from ...nn import functional as F
from ...nn.modules.dropout import Dropout
from ...nn.modules.linear import Linear
from ...nn.modules.module import Module
from ...nn.modules.rnn import GRU, LSTM, RNN
from ...nn.modules.sparse import Embedding
from ...tensor import Tensor
from ..corpora import read_time_machine
from ..vocab import Vocab

__all__ = ["load_time_machine_chars", "RNNLM", "StatefulLM", "ContiguousBatches",
           "detach_state", "lm_loss", "evaluate_perplexity"]

_RNNS = {"rnn": RNN, "gru": GRU, "lstm": LSTM}


def load_time_machine_chars(split=None, valid_fraction=0.1):
    """The Time Machine as character indices (letters and spaces, lower case) and their Vocab,
    with the text's line breaks read as spaces: text.load_time_machine drops them as d2l does,
    which glues the last word of each line to the first of the next ("wellsi") about 3,000
    times, noise no model can predict (a 5-gram model's held-out perplexity goes from 4.2 to
    4.8). split='train' / 'valid': the first 1 - valid_fraction / the last valid_fraction of
    the characters; the vocab always covers the whole book, so both splits share it.

    >>> corpus, vocab = load_time_machine_chars()
    >>> len(corpus), len(vocab), "".join(vocab.to_tokens(corpus[:20]))
    (173427, 28, 'the time machine by ')
    """
    if split not in (None, "train", "valid"):
        raise ValueError(f"split should be None, 'train' or 'valid', got {split!r}")
    text = " ".join(" ".join(read_time_machine()).split())    # one space between words
    vocab = Vocab(list(text))
    corpus = vocab[list(text)]
    if split is None:
        return corpus, vocab
    if not 0 < valid_fraction < 1:
        raise ValueError(f"valid_fraction should be in (0, 1), got {valid_fraction}")
    num_train = len(corpus) - round(len(corpus) * valid_fraction)
    return (corpus[:num_train] if split == "train" else corpus[num_train:]), vocab


def detach_state(state):
    """The state with no history: a Tensor, or a tuple of them (LSTM's (h, c)); None stays."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    return tuple(s.detach() for s in state)


def lm_loss(logits, targets):
    """Mean cross-entropy per token of logits (B, T, V) against targets (B, T); exp of it is the
    perplexity."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


class RNNLM(Module):
    """A recurrent language model: logits of token t+1 from tokens 0..t.

    Args:
        vocab_size: V, the number of tokens.
        num_hiddens: hidden units per layer and direction.
        num_layers: stacked recurrent layers.
        rnn_type: 'lstm', 'gru' or 'rnn' (tanh Elman).
        embed_size: embed tokens in this many dimensions; None feeds one-hot vectors (d2l).
        dropout: between recurrent layers (nn.LSTM's dropout) and on the last layer's output
            before the Linear (Zaremba et al. 2014), in training only.
        bidirectional: for encoders (a language model must not read the next token: `generate`
            refuses a bidirectional model).

    forward(inputs (B, T) int64, state=None) -> (logits (B, T, V), state). The state is the
    RNN's (h (L*D, B, H), or LSTM's (h, c)); None starts from zeros (`begin_state`).

    >>> import glasstorch as torch
    >>> lm = RNNLM(vocab_size=28, num_hiddens=16, num_layers=2)
    >>> logits, (h, c) = lm(torch.zeros(4, 5, dtype=torch.long))
    >>> tuple(logits.shape), tuple(h.shape)
    ((4, 5, 28), (2, 4, 16))
    """

    def __init__(self, vocab_size, num_hiddens=256, num_layers=1, rnn_type="lstm",
                 embed_size=None, dropout=0.0, bidirectional=False):
        super().__init__()
        if rnn_type not in _RNNS:
            raise ValueError(f"rnn_type should be one of {sorted(_RNNS)}, got {rnn_type!r}")
        self.vocab_size, self.rnn_type = vocab_size, rnn_type
        self.embedding = Embedding(vocab_size, embed_size) if embed_size else None
        # nn.LSTM warns about dropout with one layer: it only acts between layers
        self.rnn = _RNNS[rnn_type](embed_size or vocab_size, num_hiddens, num_layers,
                                   batch_first=True, dropout=dropout if num_layers > 1 else 0.0,
                                   bidirectional=bidirectional)
        self.dropout = Dropout(dropout)
        self.linear = Linear(num_hiddens * (2 if bidirectional else 1), vocab_size)

    def forward(self, inputs, state=None):
        if self.embedding is not None:
            x = self.embedding(inputs)
        else:
            x = F.one_hot(inputs, self.vocab_size).to(self.linear.weight.dtype)
        y, state = self.rnn(x, state)
        return self.linear(self.dropout(y)), state

    def begin_state(self, batch_size=1, device=None):
        """The zero state for a batch (what forward uses when state is None)."""
        rnn = self.rnn
        shape = (rnn.num_layers * (2 if rnn.bidirectional else 1), batch_size, rnn.hidden_size)
        h = creation.zeros(*shape, device=device, dtype=self.linear.weight.dtype)
        return (h, creation.zeros(*shape, device=device, dtype=h.dtype)) \
            if self.rnn_type == "lstm" else h

    def generate(self, prefix, num_preds, vocab, temperature=0.0, generator=None):
        """Continue `prefix` by num_preds tokens (d2l's `predict_ch8`).

        The prefix (a string of characters for a char vocab, or a list of tokens) warms the
        state up; then each step feeds the last token back. temperature=0 picks the most likely
        token (greedy, as d2l); temperature > 0 samples from softmax(logits / temperature)
        with `generator`. Returns the prefix plus its continuation (a string for a string
        prefix). Runs in eval mode under no_grad.
        """
        if self.rnn.bidirectional:
            raise RuntimeError("a bidirectional model reads the future: it cannot generate text")
        if not len(prefix):
            raise ValueError("generate needs a non-empty prefix")
        tokens = list(prefix)
        was_training = self.training
        self.eval()
        with no_grad():
            logits, state = self(creation.tensor([vocab[tokens]]))
            for _ in range(num_preds):
                last = logits[0, -1]
                if temperature > 0:
                    probs = F.softmax(last.double() / temperature, dim=0)
                    idx = int(probs.multinomial(1, generator=generator))
                else:
                    idx = int(last.argmax())
                tokens.append(vocab.to_tokens(idx))
                logits, state = self(creation.tensor([[idx]]), state)
        self.train(was_training)
        return "".join(tokens) if isinstance(prefix, str) else tokens


class StatefulLM(Module):
    """`model(X) -> logits` for a language model whose forward takes and returns a state, so it
    fits train.Trainer with sequential batches: each call starts from the previous call's final
    state, detached (truncated BPTT). The state restarts from zeros on `reset_state()`, when the
    batch size changes, and when the mode switches between train and eval (so validation, and
    the epoch after it, begin at the start of their text)."""

    def __init__(self, lm):
        super().__init__()
        self.lm = lm
        self.state, self._key = None, None

    def reset_state(self):
        self.state = None

    def forward(self, inputs):
        key = (inputs.shape[0], self.training)
        if key != self._key:
            self.state, self._key = None, key
        logits, state = self.lm(inputs, self.state)
        self.state = detach_state(state)
        return logits


def _contiguous_batches(corpus, batch_size, num_steps):
    """(X, Y) blocks reading `corpus` as batch_size contiguous rows from their start; the last
    block may be narrower, so every token but (len - 1) % batch_size is predicted once."""
    corpus = corpus if isinstance(corpus, Tensor) else creation.tensor(corpus)
    n = (corpus.numel() - 1) // batch_size * batch_size
    xs = corpus[:n].reshape(batch_size, -1)
    ys = corpus[1:n + 1].reshape(batch_size, -1)
    for i in range(0, xs.shape[1], num_steps):
        yield xs[:, i:i + num_steps].contiguous(), ys[:, i:i + num_steps].contiguous()


class ContiguousBatches:
    """Iterable over `_contiguous_batches` (the same blocks on every pass): a deterministic
    validation loader for StatefulLM in train.Trainer."""

    def __init__(self, corpus, batch_size, num_steps):
        self.corpus, self.batch_size, self.num_steps = corpus, batch_size, num_steps

    def __iter__(self):
        return _contiguous_batches(self.corpus, self.batch_size, self.num_steps)


def evaluate_perplexity(lm, corpus, batch_size=16, num_steps=64):
    """exp(mean cross-entropy per token) of an RNNLM over a token sequence (a held-out text),
    read as batch_size contiguous rows with the state carried along each row (eval mode,
    no_grad). Fewer rows give each token a longer context (each row starts from zeros)."""
    was_training = lm.training
    lm.eval()
    total, count, state = 0.0, 0, None
    with no_grad():
        for X, Y in _contiguous_batches(corpus, batch_size, num_steps):
            logits, state = lm(X, state)
            total += float(lm_loss(logits, Y)) * Y.numel()
            count += Y.numel()
    lm.train(was_training)
    return math.exp(total / count)
