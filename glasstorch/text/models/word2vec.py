"""word2vec (Mikolov et al. 2013; d2l 15.1-15.7): word vectors learned by predicting a word's
neighbours, with negative sampling, on The Time Machine.

    subsample               drop frequent words at random (d2l's formula, below)
    get_centers_and_contexts  (center, words within a random window 1..max_window_size)
    NoiseSampler            draws negatives from P(w) ~ count(w)^0.75
    get_negatives           K noise words per context word, never one of the contexts
    Word2VecDataset, batchify, load_data_time_machine_w2v
    SkipGram, CBOW          the two models; `loss` is the masked sigmoid binary cross-entropy
    nearest_neighbors       top-k words by cosine similarity of their vectors

Skip-gram scores (center c, word o) by u_o . v_c; with negative sampling the loss of a pair is
-log sigmoid(u_o . v_c) - sum_k log sigmoid(-u_k . v_c) over K noise words k, instead of a
softmax over the whole vocabulary. CBOW does the same with v_c replaced by the mean of the
context words' vectors, predicting the center word.
"""
import collections
import math
import random

from ... import creation
from ...autograd.grad_mode import no_grad
from ...nn import functional as F, init
from ...nn.modules.module import Module
from ...nn.modules.sparse import Embedding
from ...ops.join import cat
from ...utils.data import DataLoader, Dataset
from ..corpora import read_time_machine
from ..tokenize import tokenize
from ..vocab import Vocab

__all__ = ["subsample", "keep_probability", "get_centers_and_contexts", "NoiseSampler",
           "get_negatives", "Word2VecDataset", "batchify", "load_data_time_machine_w2v",
           "SkipGram", "CBOW", "sigmoid_bce_loss", "nearest_neighbors"]


def keep_probability(count, num_tokens, t=1e-4):
    """d2l's subsampling: keep a word of relative frequency f = count / num_tokens with
    probability min(1, sqrt(t / f)), so words far more frequent than t ('the', 'a') lose most
    of their occurrences while rare words are all kept."""
    return min(1.0, math.sqrt(t / (count / num_tokens)))


def subsample(sentences, vocab, rng, t=1e-4):
    """(sentences with frequent words randomly dropped and '<unk>' words removed, Counter of
    the kept words). rng: a random.Random."""
    sentences = [[token for token in line if vocab[token] != vocab.unk] for line in sentences]
    counter = collections.Counter(token for line in sentences for token in line)
    num_tokens = sum(counter.values())
    kept = [[token for token in line
             if rng.random() < keep_probability(counter[token], num_tokens, t)]
            for line in sentences]
    return kept, counter


def get_centers_and_contexts(corpus, max_window_size, rng):
    """(centers, contexts): every word of every sentence (of >= 2 words) as a center, with
    the words at most w positions away, w drawn uniformly from 1..max_window_size per center
    (so near words are context more often than far ones)."""
    centers, contexts = [], []
    for line in corpus:
        if len(line) < 2:
            continue
        centers += line
        for i in range(len(line)):
            w = rng.randint(1, max_window_size)
            contexts.append([line[j] for j in range(max(0, i - w), min(len(line), i + 1 + w))
                             if j != i])
    return centers, contexts


class NoiseSampler:
    """Draws indices 1..n with probability proportional to weights[0..n-1] (index 0 is '<unk>',
    never drawn), 10,000 at a time (random.choices has a per-call cost: d2l's cache)."""

    def __init__(self, weights, rng, cache_size=10000):
        self.population = list(range(1, len(weights) + 1))
        self.weights, self.rng, self.cache_size = weights, rng, cache_size
        self.candidates, self.i = [], 0

    def draw(self):
        if self.i == len(self.candidates):
            self.candidates = self.rng.choices(self.population, self.weights, k=self.cache_size)
            self.i = 0
        self.i += 1
        return self.candidates[self.i - 1]


def get_negatives(all_contexts, vocab, counter, K, rng):
    """K noise words per context word for each center: drawn from count(w)^0.75 (Mikolov et
    al.: flatter than the unigram distribution, so rare words get drawn more often), redrawn
    when they are one of the center's context words."""
    weights = [counter[vocab.to_tokens(i)] ** 0.75 for i in range(1, len(vocab))]
    sampler = NoiseSampler(weights, rng)
    all_negatives = []
    for contexts in all_contexts:
        negatives = []
        while len(negatives) < len(contexts) * K:
            neg = sampler.draw()
            if neg not in contexts:
                negatives.append(neg)
        all_negatives.append(negatives)
    return all_negatives


def batchify(data):
    """Collate (center, contexts, negatives) examples into (centers (B, 1), contexts_negatives
    (B, L), masks (B, L), labels (B, L)): each row is its contexts then its negatives, padded
    with 0 to the longest row; mask 1 on real entries, label 1 on contexts (d2l's batchify)."""
    max_len = max(len(c) + len(n) for _, c, n in data)
    centers, contexts_negatives, masks, labels = [], [], [], []
    for center, context, negative in data:
        cur_len = len(context) + len(negative)
        centers.append(center)
        contexts_negatives.append(context + negative + [0] * (max_len - cur_len))
        masks.append([1.0] * cur_len + [0.0] * (max_len - cur_len))
        labels.append([1.0] * len(context) + [0.0] * (max_len - len(context)))
    return (creation.tensor(centers).reshape(-1, 1), creation.tensor(contexts_negatives),
            creation.tensor(masks).float(), creation.tensor(labels).float())


class Word2VecDataset(Dataset):
    """(center index, context indices, negative indices) examples."""

    def __init__(self, centers, contexts, negatives):
        self.centers, self.contexts, self.negatives = centers, contexts, negatives

    def __getitem__(self, index):
        return self.centers[index], self.contexts[index], self.negatives[index]

    def __len__(self):
        return len(self.centers)


def load_data_time_machine_w2v(batch_size, max_window_size=5, num_noise_words=5, min_freq=5,
                               t=1e-3, seed=0, generator=None):
    """(DataLoader of batchify'd batches, Vocab, Counter) of skip-gram examples from The Time
    Machine's words (d2l's `load_data_ptb`): one sentence per text line, words seen fewer than
    min_freq times dropped, frequent words subsampled with threshold t. d2l's t = 1e-4 suits
    PTB's 900k words; on this 33k-word novel it would keep one word in six, so t defaults to
    1e-3 (only words more frequent than 1 in 1000 lose occurrences). seed drives subsampling,
    windows and negatives (random.Random); generator, the shuffling."""
    rng = random.Random(seed)
    sentences = [line for line in tokenize(read_time_machine(), "word") if line]
    vocab = Vocab(sentences, min_freq=min_freq)
    subsampled, counter = subsample(sentences, vocab, rng, t)
    corpus = [vocab[line] for line in subsampled]
    centers, contexts = get_centers_and_contexts(corpus, max_window_size, rng)
    negatives = get_negatives(contexts, vocab, counter, num_noise_words, rng)
    loader = DataLoader(Word2VecDataset(centers, contexts, negatives), batch_size=batch_size,
                        shuffle=True, collate_fn=batchify, generator=generator)
    return loader, vocab, counter


def sigmoid_bce_loss(pred, label, mask):
    """Per-example binary cross-entropy of logits pred (B, L) against label (B, L), averaged
    over the mask's real entries (padding counts for nothing)."""
    loss = F.binary_cross_entropy_with_logits(pred, label, weight=mask, reduction="none")
    return loss.sum(dim=1) / mask.sum(dim=1)


class _TwoTables(Module):
    """embed_v (the word vectors: centers for skip-gram, contexts for CBOW) and embed_u (the
    vectors words are scored against), initialised as Mikolov et al.'s word2vec: v ~ U(-0.5/d,
    0.5/d), u = 0. (nn.Embedding's N(0, 1) gives random vectors of norm sqrt(d) that a small
    corpus barely moves: nearest neighbours then mostly reflect the initialisation.)"""

    def __init__(self, vocab_size, embed_size):
        super().__init__()
        self.embed_v = Embedding(vocab_size, embed_size)
        self.embed_u = Embedding(vocab_size, embed_size)
        init.uniform_(self.embed_v.weight, -0.5 / embed_size, 0.5 / embed_size)
        init.zeros_(self.embed_u.weight)


class SkipGram(_TwoTables):
    """forward(center (B, 1), contexts_and_negatives (B, L)) -> scores u_o . v_c (B, 1, L).
    Use embed_v's weights as the word vectors."""

    def forward(self, center, contexts_and_negatives):
        v = self.embed_v(center)                              # (B, 1, d)
        u = self.embed_u(contexts_and_negatives)              # (B, L, d)
        return v.bmm(u.permute(0, 2, 1))

    def loss(self, center, contexts_negatives, mask, label):
        pred = self(center, contexts_negatives).reshape(label.shape)
        return sigmoid_bce_loss(pred, label, mask).mean()


class CBOW(_TwoTables):
    """Continuous bag of words: the mean of the context words' vectors v (over the real ones,
    mask) predicts the center word against noise words through their vectors u.
    forward(contexts (B, C), mask (B, C), targets (B, L)) -> scores (B, 1, L)."""

    def forward(self, contexts, context_mask, targets):
        v = self.embed_v(contexts) * context_mask.unsqueeze(-1)           # (B, C, d)
        v = v.sum(dim=1, keepdim=True) / context_mask.sum(dim=1).reshape(-1, 1, 1)
        return v.bmm(self.embed_u(targets).permute(0, 2, 1))

    def loss(self, center, contexts_negatives, mask, label, num_noise_words=5):
        """The skip-gram batch read the other way round: the contexts (label 1) become the
        input, the center the positive target, and the first num_noise_words negatives the
        noise words (one positive to K noise words, the skip-gram ratio)."""
        context_mask = mask * label
        L = contexts_negatives.shape[1]
        # the row's negatives follow its contexts: rotate them to the front
        order = (creation.arange(L)[None, :] + label.sum(dim=1, keepdim=True).long()) % L
        negatives = contexts_negatives.gather(1, order)[:, :num_noise_words]
        targets = cat([center, negatives], dim=1)                          # (B, 1 + K)
        target_label = cat([creation.ones(center.shape), creation.zeros(negatives.shape)],
                           dim=1)
        pred = self(contexts_negatives, context_mask, targets).reshape(target_label.shape)
        return F.binary_cross_entropy_with_logits(pred, target_label)


def nearest_neighbors(query_token, k, embedding, vocab):
    """The k tokens whose vectors (rows of `embedding`, an nn.Embedding or a (V, d) tensor)
    have the highest cosine similarity with query_token's, as (token, similarity) pairs,
    the query itself excluded (d2l's `get_similar_tokens`)."""
    W = embedding.weight if isinstance(embedding, Module) else embedding
    with no_grad():
        x = W[vocab[query_token]]
        cos = (W @ x) / ((W * W).sum(dim=1) * (x * x).sum() + 1e-9).sqrt()
        top = cos.topk(k + 1).indices.tolist()
    return [(vocab.to_tokens(i), float(cos[i])) for i in top if i != vocab[query_token]][:k]
