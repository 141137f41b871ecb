"""BERT (Devlin et al. 2019; d2l 15.8-15.10): a Transformer encoder pretrained on unlabeled text
with two tasks, and the data preparation for them on The Time Machine.

    BERTEncoder        token + segment + learned position embeddings -> encoder layers
    MaskLM             predicts the tokens at the masked positions (masked language modeling)
    NextSentencePred   from the '<cls>' representation: is sentence B the one after A?
    BERTModel          the three together: forward -> (encoded, mlm_logits, nsp_logits)
    read_paragraphs, BERTPretrainingDataset, load_data_bert_time_machine, bert_pretrain_loss

Pretraining examples (d2l 15.9): consecutive sentence pairs of a paragraph, with B replaced
by a random sentence half of the time (next-sentence label 0); then 15% of the tokens (never
'<cls>'/'<sep>') are chosen for prediction, and each chosen token becomes '<mask>' 80% of the
time, a random token 10%, and stays itself 10% (so the model cannot learn that only '<mask>'
needs predicting). Examples are padded to max_len tokens and to a fixed number of predictions
(mlm_weights marks the real ones).
"""
import random
import re

from ... import creation
from ...nn import functional as F
from ...nn.modules.activation import ReLU, Tanh
from ...nn.modules.container import ModuleList, Sequential
from ...nn.modules.linear import Linear
from ...nn.modules.module import Module
from ...nn.modules.normalization import LayerNorm
from ...nn.modules.sparse import Embedding
from ...nn.modules.transformer import TransformerEncoderLayer
from ...nn.parameter import Parameter
from ...random import randn
from ...utils.data import DataLoader, Dataset
from ..corpora import TIME_MACHINE, read_text_files
from ..tokenize import word_tokenize
from ..vocab import Vocab
from .transformer import padding_mask

__all__ = ["get_tokens_and_segments", "BERTEncoder", "MaskLM", "NextSentencePred", "BERTModel",
           "read_paragraphs", "BERTPretrainingDataset", "load_data_bert_time_machine",
           "bert_pretrain_loss"]

RESERVED = ["<pad>", "<mask>", "<cls>", "<sep>"]


def get_tokens_and_segments(tokens_a, tokens_b=None):
    """'<cls>' A '<sep>' (B '<sep>'), with segment ids 0 for A's part and 1 for B's.

    >>> get_tokens_and_segments(["hi"], ["there"])
    (['<cls>', 'hi', '<sep>', 'there', '<sep>'], [0, 0, 0, 1, 1])
    """
    tokens = ["<cls>"] + list(tokens_a) + ["<sep>"]
    segments = [0] * len(tokens)
    if tokens_b is not None:
        tokens += list(tokens_b) + ["<sep>"]
        segments += [1] * (len(tokens_b) + 1)
    return tokens, segments


class BERTEncoder(Module):
    """forward(tokens (B, T), segments (B, T), valid_lens (B,) or None) -> (B, T, num_hiddens).
    Positions get a learned embedding (pos_embedding, (1, max_len, d) ~ N(0, 1), as d2l)
    rather than the fixed sinusoids; padding past valid_lens is masked in attention."""

    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_layers,
                 dropout=0.0, max_len=1000):
        super().__init__()
        self.token_embedding = Embedding(vocab_size, num_hiddens)
        self.segment_embedding = Embedding(2, num_hiddens)
        self.pos_embedding = Parameter(randn(1, max_len, num_hiddens))
        self.layers = ModuleList(
            TransformerEncoderLayer(num_hiddens, num_heads, ffn_num_hiddens, dropout,
                                    batch_first=True) for _ in range(num_layers))

    def forward(self, tokens, segments, valid_lens=None):
        X = self.token_embedding(tokens) + self.segment_embedding(segments)
        X = X + self.pos_embedding[:, :X.shape[1]]
        mask = padding_mask(valid_lens, X.shape[1])
        for layer in self.layers:
            X = layer(X, src_key_padding_mask=mask)
        return X


class MaskLM(Module):
    """An MLP (Linear, ReLU, LayerNorm, Linear) over the encodings at pred_positions:
    X (B, T, d), pred_positions (B, P) int64 -> logits (B, P, vocab_size)."""

    def __init__(self, vocab_size, num_hiddens, num_inputs=None):
        super().__init__()
        self.mlp = Sequential(Linear(num_inputs or num_hiddens, num_hiddens), ReLU(),
                              LayerNorm(num_hiddens), Linear(num_hiddens, vocab_size))

    def forward(self, X, pred_positions):
        rows = creation.arange(X.shape[0]).unsqueeze(1)           # (B, 1) broadcasts to (B, P)
        return self.mlp(X[rows, pred_positions])


class NextSentencePred(Module):
    """Linear(num_inputs, 2): logits of (random sentence, next sentence)."""

    def __init__(self, num_inputs):
        super().__init__()
        self.output = Linear(num_inputs, 2)

    def forward(self, X):
        return self.output(X)


class BERTModel(Module):
    """forward(tokens, segments, valid_lens=None, pred_positions=None) -> (encoded (B, T, d),
    MLM logits (B, P, V) or None, NSP logits (B, 2)). The NSP head reads the '<cls>' encoding
    through Linear + tanh (BERT's pooler, `hidden`).

    >>> import glasstorch as torch
    >>> net = BERTModel(vocab_size=50, num_hiddens=16, ffn_num_hiddens=32, num_heads=2,
    ...                 num_layers=1, max_len=10)
    >>> tokens = torch.randint(0, 50, (2, 8)); segments = torch.zeros(2, 8, dtype=torch.long)
    >>> enc, mlm, nsp = net(tokens, segments, pred_positions=torch.tensor([[1, 5], [2, 3]]))
    >>> tuple(enc.shape), tuple(mlm.shape), tuple(nsp.shape)
    ((2, 8, 16), (2, 2, 50), (2, 2))
    """

    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_layers,
                 dropout=0.0, max_len=1000):
        super().__init__()
        self.encoder = BERTEncoder(vocab_size, num_hiddens, ffn_num_hiddens, num_heads,
                                   num_layers, dropout, max_len)
        self.hidden = Sequential(Linear(num_hiddens, num_hiddens), Tanh())
        self.mlm = MaskLM(vocab_size, num_hiddens)
        self.nsp = NextSentencePred(num_hiddens)

    def forward(self, tokens, segments, valid_lens=None, pred_positions=None):
        encoded_X = self.encoder(tokens, segments, valid_lens)
        mlm_Y_hat = self.mlm(encoded_X, pred_positions) if pred_positions is not None else None
        nsp_Y_hat = self.nsp(self.hidden(encoded_X[:, 0]))
        return encoded_X, mlm_Y_hat, nsp_Y_hat


# ---- pretraining data --------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?])['\"]?\s+")


def read_paragraphs(path=TIME_MACHINE, min_sentences=2):
    """Paragraphs (blocks between blank lines) as lists of sentences, each a list of lower-case
    words (d2l_clean: letters only). Sentences end at . ! or ?; paragraphs with fewer than
    min_sentences sentences are dropped (next-sentence pairs need two)."""
    paragraphs, block = [], []
    for line in read_text_files(path) + [""]:
        if line.strip():
            block.append(line.strip())
            continue
        if block:
            sentences = [word_tokenize(s, clean="d2l")
                         for s in _SENTENCE_END.split(" ".join(block))]
            sentences = [s for s in sentences if s]
            if len(sentences) >= min_sentences:
                paragraphs.append(sentences)
            block = []
    return paragraphs


def _get_next_sentence(sentence, next_sentence, paragraphs, rng):
    if rng.random() < 0.5:
        return sentence, next_sentence, True
    # a random sentence of a random paragraph (d2l: it may by chance be the true next one)
    return sentence, rng.choice(rng.choice(paragraphs)), False


def _get_nsp_data_from_paragraph(paragraph, paragraphs, max_len, rng):
    examples = []
    for a, b in zip(paragraph[:-1], paragraph[1:]):
        tokens_a, tokens_b, is_next = _get_next_sentence(a, b, paragraphs, rng)
        if len(tokens_a) + len(tokens_b) + 3 > max_len:      # '<cls>' and two '<sep>'
            continue
        tokens, segments = get_tokens_and_segments(tokens_a, tokens_b)
        examples.append((tokens, segments, is_next))
    return examples


def _replace_mlm_tokens(tokens, candidate_pred_positions, num_mlm_preds, vocab, rng):
    """Choose num_mlm_preds positions; 80% '<mask>', 10% a random token, 10% unchanged."""
    mlm_input_tokens = list(tokens)
    pred_positions_and_labels = []
    rng.shuffle(candidate_pred_positions)
    for position in candidate_pred_positions[:num_mlm_preds]:
        draw = rng.random()
        if draw < 0.8:
            masked_token = "<mask>"
        elif draw < 0.9:
            masked_token = tokens[position]
        else:
            # a random ordinary token (not '<unk>' nor a reserved one)
            masked_token = rng.choice(vocab.idx_to_token[1 + len(vocab.reserved_tokens):])
        mlm_input_tokens[position] = masked_token
        pred_positions_and_labels.append((position, tokens[position]))
    return mlm_input_tokens, pred_positions_and_labels


def _get_mlm_data_from_tokens(tokens, vocab, rng, mask_rate=0.15):
    candidates = [i for i, token in enumerate(tokens) if token not in ("<cls>", "<sep>")]
    num_mlm_preds = max(1, round(len(tokens) * mask_rate))
    mlm_input_tokens, positions_and_labels = _replace_mlm_tokens(
        tokens, candidates, num_mlm_preds, vocab, rng)
    positions_and_labels.sort(key=lambda x: x[0])
    pred_positions = [p for p, _ in positions_and_labels]
    labels = [label for _, label in positions_and_labels]
    return vocab[mlm_input_tokens], pred_positions, vocab[labels]


class BERTPretrainingDataset(Dataset):
    """Next-sentence pairs with masked tokens from `paragraphs` (lists of sentences of
    tokens), padded to max_len. Item i: (token_ids (max_len,), segments (max_len,), valid_len
    (), pred_positions (P,), mlm_weights (P,) float32 (1 for a real prediction, 0 for
    padding), mlm_labels (P,), nsp_label ()), P = round(mask_rate * max_len). Without a
    vocab, one is built from the paragraphs (words seen fewer than min_freq times become
    '<unk>'). The random choices come from random.Random(seed): the same seed, the same data."""

    def __init__(self, paragraphs, max_len, vocab=None, seed=0, mask_rate=0.15, min_freq=3):
        rng = random.Random(seed)
        if vocab is None:
            sentences = [sentence for paragraph in paragraphs for sentence in paragraph]
            vocab = Vocab(sentences, min_freq=min_freq, reserved_tokens=RESERVED)
        self.vocab = vocab
        examples = []
        for paragraph in paragraphs:
            examples.extend(_get_nsp_data_from_paragraph(paragraph, paragraphs, max_len, rng))
        examples = [(_get_mlm_data_from_tokens(tokens, vocab, rng, mask_rate), segments,
                     is_next) for tokens, segments, is_next in examples]
        self._pad(examples, max_len, round(max_len * mask_rate))

    def _pad(self, examples, max_len, max_preds):
        pad = self.vocab["<pad>"]
        columns = [[] for _ in range(7)]
        for (token_ids, pred_positions, labels), segments, is_next in examples:
            n, p = len(token_ids), len(pred_positions)
            row = (token_ids + [pad] * (max_len - n), segments + [0] * (max_len - n), n,
                   pred_positions + [0] * (max_preds - p),
                   [1.0] * p + [0.0] * (max_preds - p), labels + [0] * (max_preds - p),
                   int(is_next))
            for column, value in zip(columns, row):
                column.append(value)
        self.tensors = tuple(creation.tensor(c) for c in columns[:4]) + (
            creation.tensor(columns[4]).float(),) + tuple(creation.tensor(c)
                                                          for c in columns[5:])

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, idx):
        return tuple(t[idx] for t in self.tensors)


def load_data_bert_time_machine(batch_size, max_len=64, seed=0, generator=None):
    """(shuffling DataLoader of BERTPretrainingDataset batches, Vocab) over The Time Machine's
    paragraphs (d2l's `load_data_wiki` on the shipped novel)."""
    dataset = BERTPretrainingDataset(read_paragraphs(), max_len, seed=seed)
    return (DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator),
            dataset.vocab)


def bert_pretrain_loss(net, batch, vocab_size):
    """(MLM loss, NSP loss) of a batch: the MLM cross-entropy averaged over the real
    (unpadded) predictions, the NSP cross-entropy averaged over the batch (d2l's
    `_get_batch_loss_bert`); pretraining minimizes their sum."""
    tokens, segments, valid_lens, pred_positions, mlm_weights, mlm_labels, nsp_labels = batch
    _, mlm_Y_hat, nsp_Y_hat = net(tokens, segments, valid_lens, pred_positions)
    mlm_l = F.cross_entropy(mlm_Y_hat.reshape(-1, vocab_size), mlm_labels.reshape(-1),
                            reduction="none")
    w = mlm_weights.reshape(-1)
    mlm_l = (mlm_l * w).sum() / (w.sum() + 1e-8)
    return mlm_l, F.cross_entropy(nsp_Y_hat, nsp_labels)
