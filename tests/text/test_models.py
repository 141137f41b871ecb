"""glasstorch.text.models: shapes, forward/backward, state handling and masking of every model
(RNN language model, RNN and Transformer encoder-decoders, BERT, word2vec), the pretraining data
(BERT's 15% / 80-10-10 masking, next-sentence pairs) and word2vec's sampling distributions."""
import collections
import math
import random

import numpy as np
import pytest

import glasstorch as torch
from glasstorch import nn
from glasstorch.text import Vocab, load_time_machine
from glasstorch.text.models import (
    BERTModel, BERTPretrainingDataset, CBOW, EncoderDecoder, MaskLM, NoiseSampler,
    PositionalEncoding, RNNLM, Seq2SeqAttentionDecoder, Seq2SeqDecoder, Seq2SeqEncoder,
    SkipGram, StatefulLM, TransformerDecoder, TransformerEncoder, batchify, bert_pretrain_loss,
    evaluate_perplexity, get_centers_and_contexts, get_negatives, get_tokens_and_segments,
    keep_probability, load_time_machine_chars, nearest_neighbors, predict_seq2seq,
    read_paragraphs, sigmoid_bce_loss, subsample, teacher_forcing_inputs, train_seq2seq)
from glasstorch.text.models.bert import _get_mlm_data_from_tokens


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def _close(a, b, atol=1e-5):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=atol, rtol=1e-4)


def _all_grads(module):
    return all(p.grad is not None and p.grad.abs().sum().item() > 0
               for p in module.parameters())


# ---- the character corpus -----------------------------------------------------------------------
def test_char_corpus_splits_and_spaces():
    corpus, vocab = load_time_machine_chars()
    train, v1 = load_time_machine_chars("train")
    valid, v2 = load_time_machine_chars("valid")
    assert v1 == v2 == vocab and len(vocab) == 28
    assert train + valid == corpus and len(valid) == round(0.1 * len(corpus))
    text = "".join(vocab.to_tokens(corpus))
    assert "  " not in text and set(text) <= set("abcdefghijklmnopqrstuvwxyz ")
    # the d2l corpus glues lines together; this one keeps a space between them
    d2l, d2l_vocab = load_time_machine()
    assert len(corpus) > len(d2l) and "the time machine by h g wells i the time" in text[:50]


@pytest.mark.parametrize("split, fraction", [("test", 0.1), ("train", 0.0), ("valid", 1.0)])
def test_char_corpus_bad_arguments(split, fraction):
    with pytest.raises(ValueError):
        load_time_machine_chars(split, fraction)


# ---- RNN language model -------------------------------------------------------------------------
@pytest.mark.parametrize("rnn_type, embed_size, layers, bidirectional, state_shape", [
    ("lstm", None, 2, False, (2, 3, 8)),
    ("gru", 5, 1, False, (1, 3, 8)),
    ("rnn", None, 3, False, (3, 3, 8)),
    ("lstm", 4, 2, True, (4, 3, 8)),
])
def test_rnnlm_shapes_and_backward(rnn_type, embed_size, layers, bidirectional, state_shape):
    lm = RNNLM(11, num_hiddens=8, num_layers=layers, rnn_type=rnn_type, embed_size=embed_size,
               dropout=0.1, bidirectional=bidirectional)
    X = torch.randint(0, 11, (3, 7))
    logits, state = lm(X)
    assert logits.shape == (3, 7, 11) and logits.dtype == torch.float32
    h = state[0] if rnn_type == "lstm" else state
    assert tuple(h.shape) == state_shape
    begin = lm.begin_state(3)
    assert [tuple(s.shape) for s in (begin if rnn_type == "lstm" else (begin,))] == \
        [state_shape] * (2 if rnn_type == "lstm" else 1)
    nn.functional.cross_entropy(logits.reshape(-1, 11), X.reshape(-1)).backward()
    assert _all_grads(lm)


def test_rnnlm_state_carries_across_chunks():
    lm = RNNLM(9, num_hiddens=6, num_layers=2).eval()
    X = torch.randint(0, 9, (2, 10))
    whole, _ = lm(X)
    first, state = lm(X[:, :4])
    second, _ = lm(X[:, 4:], state)
    _close(torch.cat([first, second], dim=1), whole)
    zero, _ = lm(X, lm.begin_state(2))
    _close(zero, whole)


def test_rnnlm_bad_type():
    with pytest.raises(ValueError, match="rnn_type"):
        RNNLM(5, rnn_type="transformer")


def test_generate_greedy_and_sampled():
    _, vocab = load_time_machine_chars()
    lm = RNNLM(len(vocab), num_hiddens=16)
    out = lm.generate("the ", 12, vocab)
    assert isinstance(out, str) and len(out) == 16 and out.startswith("the ")
    assert lm.generate("the ", 12, vocab) == out and lm.training          # mode restored
    sampled = [lm.generate("the ", 12, vocab, temperature=1.0,
                           generator=torch.Generator().manual_seed(3)) for _ in range(2)]
    assert sampled[0] == sampled[1] and len(sampled[0]) == 16
    tokens = lm.generate(["t", "h"], 3, vocab)
    assert isinstance(tokens, list) and len(tokens) == 5


def test_generate_errors():
    _, vocab = load_time_machine_chars()
    with pytest.raises(RuntimeError, match="bidirectional"):
        RNNLM(len(vocab), 8, bidirectional=True).generate("a", 3, vocab)
    with pytest.raises(ValueError, match="prefix"):
        RNNLM(len(vocab), 8).generate("", 3, vocab)


def test_generate_learns_a_repeating_text():
    vocab = Vocab(list("abc "))
    corpus = vocab[list("abc " * 200)]
    lm = RNNLM(len(vocab), num_hiddens=16)
    opt = torch.optim.Adam(lm.parameters(), lr=0.02)
    X = torch.tensor(corpus[:-1]).reshape(1, -1)[:, :96].reshape(4, 24)
    Y = torch.tensor(corpus[1:]).reshape(1, -1)[:, :96].reshape(4, 24)
    for _ in range(60):
        loss = nn.functional.cross_entropy(lm(X)[0].reshape(-1, len(vocab)), Y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert lm.generate("ab", 8, vocab) == "abc abc ab"
    assert evaluate_perplexity(lm, corpus, batch_size=2, num_steps=10) < 1.2


def test_evaluate_perplexity_of_a_uniform_model_is_the_vocab_size():
    lm = RNNLM(7, num_hiddens=4)
    nn.init.zeros_(lm.linear.weight)
    nn.init.zeros_(lm.linear.bias)
    ppl = evaluate_perplexity(lm, list(range(7)) * 30, batch_size=3, num_steps=8)
    assert math.isclose(ppl, 7.0, rel_tol=1e-5) and lm.training


def test_stateful_lm_carries_and_resets_state():
    lm = RNNLM(6, num_hiddens=5)
    model = StatefulLM(lm)
    X = torch.randint(0, 6, (2, 4))
    _close(model(X), lm(X)[0])                                 # the first call: from zeros
    state = model.state
    assert state[0].grad_fn is None and state[0].shape == (1, 2, 5)      # detached
    _close(model(X), lm(X, state)[0])                          # then from the last state
    model.eval()                                               # mode switch: restart
    _close(model(X), lm(X)[0])
    model(X)
    XX = torch.cat([X, X])
    _close(model(XX), lm(XX)[0])                               # batch size change: restart
    model.reset_state()
    assert model.state is None


# ---- RNN encoder-decoder ------------------------------------------------------------------------
def _seq2seq(attention, bidirectional=False):
    enc = Seq2SeqEncoder(12, 6, 8, 2, dropout=0.1, bidirectional=bidirectional)
    context = 16 if bidirectional else None
    dec = (Seq2SeqAttentionDecoder if attention else Seq2SeqDecoder)(
        10, 6, 8, 2, dropout=0.1, context_size=context)
    return EncoderDecoder(enc, dec)


@pytest.mark.parametrize("attention, bidirectional", [(False, False), (True, False),
                                                      (False, True), (True, True)])
def test_seq2seq_shapes_and_backward(attention, bidirectional):
    net = _seq2seq(attention, bidirectional)
    X, Y = torch.randint(0, 12, (3, 7)), torch.randint(0, 10, (3, 5))
    valid = torch.tensor([7, 2, 4])
    outputs, state = net.encoder(X, valid)
    assert outputs.shape == (3, 7, 16 if bidirectional else 8) and state.shape == (2, 3, 8)
    logits = net(X, Y, valid)
    assert logits.shape == (3, 5, 10)
    logits.sum().backward()
    assert _all_grads(net)


def test_attention_weights_mask_padding():
    net = _seq2seq(True)
    X, Y = torch.randint(0, 12, (3, 7)), torch.randint(0, 10, (3, 5))
    net(X, Y, torch.tensor([7, 2, 4]))
    w = net.decoder.attention_weights
    assert w.shape == (3, 5, 7)
    _close(w.sum(-1), torch.ones(3, 5))
    assert w[1, :, 2:].abs().max().item() == 0 and w[2, :, 4:].abs().max().item() == 0


@pytest.mark.parametrize("kind", ["rnn", "attention", "transformer"])
def test_decoding_step_by_step_equals_teacher_forcing(kind):
    if kind == "transformer":
        net = EncoderDecoder(TransformerEncoder(12, 8, 16, 2, 2, 0.1),
                             TransformerDecoder(10, 8, 16, 2, 2, 0.1))
    else:
        net = _seq2seq(kind == "attention")
    net.eval()
    X, Y, valid = torch.randint(0, 12, (2, 6)), torch.randint(0, 10, (2, 5)), torch.tensor([6, 3])
    with torch.no_grad():
        whole = net(X, Y, valid)
        state = net.decoder.init_state(net.encoder(X, valid), valid)
        steps = []
        for t in range(5):
            out, state = net.decoder(Y[:, t:t + 1], state)
            steps.append(out)
    _close(torch.cat(steps, dim=1), whole)


def test_teacher_forcing_inputs():
    Y = torch.tensor([[5, 6, 2], [7, 2, 0]])
    assert teacher_forcing_inputs(Y, 1).tolist() == [[1, 5, 6], [1, 7, 2]]


def test_train_and_predict_seq2seq_on_a_copy_task():
    vocab = Vocab([list("abcd")], reserved_tokens=["<pad>", "<bos>", "<eos>"])
    rng = random.Random(0)
    lines = [[rng.choice("abcd") for _ in range(rng.randint(1, 4))] for _ in range(64)]
    from glasstorch.text import build_seq2seq_arrays
    from glasstorch.utils.data import DataLoader, TensorDataset
    X, X_len = build_seq2seq_arrays(lines, vocab, 6)
    loader = DataLoader(TensorDataset(X, X_len, X, X_len), batch_size=16, shuffle=True)
    net = EncoderDecoder(Seq2SeqEncoder(len(vocab), 8, 32, 1),
                         Seq2SeqAttentionDecoder(len(vocab), 8, 32, 1))
    losses = train_seq2seq(net, loader, torch.optim.Adam(net.parameters(), lr=0.02), 25, vocab)
    assert losses[-1] < 0.3 * losses[0]
    assert predict_seq2seq(net, list("abc"), vocab, vocab, 6) == list("abc")
    assert predict_seq2seq(net, list("dab"), vocab, vocab, 6, beam_size=3) == list("dab")


# ---- Transformer --------------------------------------------------------------------------------
def test_positional_encoding_values():
    pe = PositionalEncoding(6, dropout=0.0, max_len=20)
    pos, i = np.arange(20)[:, None], np.arange(0, 6, 2)[None, :]
    angle = pos / 10000 ** (i / 6)
    expected = np.stack([np.sin(angle), np.cos(angle)], axis=-1).reshape(20, 6)
    np.testing.assert_allclose(pe.P[0].numpy(), expected, atol=1e-6)
    X = torch.zeros(2, 5, 6)
    _close(pe(X), pe.P[:, :5].expand(2, 5, 6))
    assert "P" not in pe.state_dict()
    assert PositionalEncoding(5).P.shape == (1, 1000, 5)          # odd width


def test_transformer_encoder_ignores_padding_and_decoder_is_causal():
    enc = TransformerEncoder(12, 8, 16, 2, 2, dropout=0.0).eval()
    X = torch.randint(0, 12, (2, 6))
    X2 = X.clone()
    X2[0, 4:] = (X2[0, 4:] + 1) % 12                              # change the padding only
    valid = torch.tensor([4, 6])
    _close(enc(X, valid)[0, :4], enc(X2, valid)[0, :4])
    dec = TransformerDecoder(10, 8, 16, 2, 2, dropout=0.0).eval()
    memory = enc(X, valid)
    Y = torch.randint(0, 10, (2, 5))
    Y2 = Y.clone()
    Y2[:, 3:] = (Y2[:, 3:] + 1) % 10                              # change the future only
    state = dec.init_state(memory, valid)
    _close(dec(Y, state)[0][:, :3], dec(Y2, state)[0][:, :3])
    out, new_state = dec(Y, state)
    assert out.shape == (2, 5, 10) and new_state[2].tolist() == Y.tolist()
    assert state[2] is None                                       # the state is not mutated


def test_transformer_seq2seq_backward():
    net = EncoderDecoder(TransformerEncoder(12, 8, 16, 2, 1, 0.1),
                         TransformerDecoder(10, 8, 16, 2, 1, 0.1))
    net(torch.randint(0, 12, (3, 6)), torch.randint(0, 10, (3, 4)),
        torch.tensor([6, 2, 3])).sum().backward()
    assert _all_grads(net)


# ---- BERT ---------------------------------------------------------------------------------------
def test_tokens_and_segments():
    assert get_tokens_and_segments(["a", "b"]) == (["<cls>", "a", "b", "<sep>"], [0, 0, 0, 0])
    assert get_tokens_and_segments(["a"], ["b", "c"])[1] == [0, 0, 0, 1, 1, 1]


def test_bert_shapes_backward_and_mask_lm_gather():
    net = BERTModel(30, 16, 32, 2, 2, dropout=0.1, max_len=12)
    tokens, segments = torch.randint(0, 30, (3, 10)), torch.randint(0, 2, (3, 10))
    positions = torch.tensor([[1, 2, 9], [0, 5, 5], [3, 4, 8]])
    encoded, mlm, nsp = net(tokens, segments, torch.tensor([10, 6, 9]), positions)
    assert encoded.shape == (3, 10, 16) and mlm.shape == (3, 3, 30) and nsp.shape == (3, 2)
    (mlm.sum() + nsp.sum()).backward()
    assert _all_grads(net)
    assert net(tokens, segments)[1] is None
    head = MaskLM(7, 4)
    X = torch.randn(2, 10, 4)
    manual = torch.stack([X[b, positions[b, :2]] for b in range(2)])
    _close(head(X, positions[:2, :2]), head.mlp(manual))


def test_bert_mlm_masking_rates():
    vocab = Vocab([[f"w{i}" for i in range(50)]], reserved_tokens=["<pad>", "<mask>", "<cls>",
                                                                   "<sep>"])
    rng = random.Random(0)
    tokens = ["<cls>"] + [f"w{i % 50}" for i in range(98)] + ["<sep>"]
    kinds = collections.Counter()
    for _ in range(300):
        ids, positions, labels = _get_mlm_data_from_tokens(tokens, vocab, rng)
        assert len(positions) == 15 and positions == sorted(positions)
        assert 0 not in positions and 99 not in positions             # never <cls>/<sep>
        assert labels == vocab[[tokens[p] for p in positions]]
        for p in positions:
            token = vocab.to_tokens(ids[p])
            kinds["mask" if token == "<mask>" else "same" if token == tokens[p]
                  else "random"] += 1
            assert token not in ("<pad>", "<cls>", "<sep>", "<unk>")
    n = sum(kinds.values())                                            # 4500 draws
    assert abs(kinds["mask"] / n - 0.8) < 0.03
    assert abs(kinds["same"] / n - 0.1) < 0.02 and abs(kinds["random"] / n - 0.1) < 0.02


def test_bert_pretraining_data_on_the_novel():
    paragraphs = read_paragraphs()
    assert len(paragraphs) > 200 and all(len(p) >= 2 for p in paragraphs)
    data = BERTPretrainingDataset(paragraphs, max_len=48, seed=0)
    vocab = data.vocab
    assert vocab.idx_to_token[:5] == ["<unk>", "<pad>", "<mask>", "<cls>", "<sep>"]
    tokens, segments, valid_len, positions, weights, labels, nsp = data.tensors
    N = len(data)
    assert tokens.shape == (N, 48) and positions.shape == weights.shape == (N, 7)
    assert weights.dtype == torch.float32 and abs(nsp.float().mean().item() - 0.5) < 0.05
    assert (tokens[:, 0] == vocab["<cls>"]).all()
    for i in range(0, N, 97):
        n = valid_len[i].item()
        assert (tokens[i, n:] == vocab["<pad>"]).all() and tokens[i, n - 1] == vocab["<sep>"]
        assert weights[i].sum().item() == max(1, round(n * 0.15))
    again = BERTPretrainingDataset(paragraphs, max_len=48, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(data.tensors, again.tensors))
    net = BERTModel(len(vocab), 16, 32, 2, 1, max_len=48)
    batch = tuple(t[:8] for t in data.tensors)
    mlm, nsp_l = bert_pretrain_loss(net, batch, len(vocab))
    assert mlm.dim() == nsp_l.dim() == 0 and abs(mlm.item() - math.log(len(vocab))) < 2
    (mlm + nsp_l).backward()
    assert _all_grads(net.encoder)


# ---- word2vec -----------------------------------------------------------------------------------
def test_keep_probability_formula():
    assert keep_probability(1, 10**6) == 1.0
    assert math.isclose(keep_probability(400, 10**6), math.sqrt(1e-4 / 4e-4))
    assert math.isclose(keep_probability(400, 10**6, t=1e-5), math.sqrt(1e-5 / 4e-4))


def test_subsample_drops_frequent_words_at_the_formula_rate():
    sentences = [["the"] * 9 + ["rare"] for _ in range(2000)]
    vocab = Vocab(sentences + [["unseen"]], min_freq=2)
    kept, counter = subsample(sentences + [["unseen"]], vocab, random.Random(0), t=0.1)
    assert counter["the"] == 18000 and "unseen" not in counter          # <unk> words removed
    flat = collections.Counter(w for line in kept for w in line)
    assert flat["rare"] == 2000                                         # f = 0.1 <= t: kept
    p_the = math.sqrt(0.1 / 0.9)
    assert abs(flat["the"] / 18000 - p_the) < 4 * math.sqrt(p_the / 18000)


def test_centers_and_contexts_windows():
    corpus = [list(range(10)), [20], [30, 31]]
    centers, contexts = get_centers_and_contexts(corpus, 3, random.Random(0))
    assert centers == list(range(10)) + [30, 31]                        # 1-word lines skipped
    for c, ctx in zip(centers, contexts):
        line = corpus[0] if c < 10 else corpus[2]
        i = line.index(c)
        w = max(abs(line.index(x) - i) for x in ctx)
        assert 1 <= w <= 3 and c not in ctx
        assert ctx == [x for x in line if 0 < abs(line.index(x) - i) <= w]


def test_noise_sampler_follows_the_weights():
    weights = [1.0, 2.0, 7.0]
    sampler = NoiseSampler(weights, random.Random(0), cache_size=1000)
    draws = collections.Counter(sampler.draw() for _ in range(20000))
    assert set(draws) == {1, 2, 3}                                      # index 0 never drawn
    for idx, w in zip((1, 2, 3), weights):
        p = w / 10
        assert abs(draws[idx] / 20000 - p) < 4 * math.sqrt(p * (1 - p) / 20000)


def test_negatives_follow_count_to_the_three_quarters():
    vocab = Vocab(["a"] * 100 + ["b"] * 10 + ["c"] * 1)
    counter = collections.Counter({"a": 100, "b": 10, "c": 1})
    contexts = [[vocab["a"]]] * 4000 + [[vocab["c"]]] * 4000
    negatives = get_negatives(contexts, vocab, counter, 3, random.Random(0))
    assert all(len(n) == 3 for n in negatives)
    assert all(vocab["a"] not in n for n in negatives[:4000])           # never a context
    drawn = collections.Counter(i for n in negatives[4000:] for i in n)  # contexts 'c'
    w = {"a": 100 ** 0.75, "b": 10 ** 0.75}
    p_b = w["b"] / (w["a"] + w["b"])                                    # 'c' excluded
    assert abs(drawn[vocab["b"]] / 12000 - p_b) < 4 * math.sqrt(p_b * (1 - p_b) / 12000)


def test_batchify_pads_and_masks():
    centers, ctx_neg, masks, labels = batchify([(1, [2, 2], [3, 3, 3, 3]), (1, [2], [3, 3])])
    assert centers.tolist() == [[1], [1]]
    assert ctx_neg.tolist() == [[2, 2, 3, 3, 3, 3], [2, 3, 3, 0, 0, 0]]
    assert masks.tolist() == [[1] * 6, [1, 1, 1, 0, 0, 0]]
    assert labels.tolist() == [[1, 1, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]]


def test_skip_gram_scores_and_loss():
    model = SkipGram(10, 4)
    center, ctx_neg = torch.tensor([[1], [2]]), torch.tensor([[3, 4, 0], [5, 6, 7]])
    scores = model(center, ctx_neg)
    assert scores.shape == (2, 1, 3)
    manual = (model.embed_u.weight[ctx_neg] * model.embed_v.weight[center]).sum(-1)
    _close(scores[:, 0], manual)
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    label = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    pred = torch.randn(2, 3)
    bce = -(label * pred.sigmoid().log() + (1 - label) * (-pred).sigmoid().log())
    _close(sigmoid_bce_loss(pred, label, mask), (bce * mask).sum(1) / mask.sum(1))
    model.loss(center, ctx_neg, mask, label).backward()
    assert model.embed_v.weight.grad is not None


def test_cbow_loss_uses_contexts_as_input():
    model = CBOW(10, 4)
    center = torch.tensor([[1]])
    ctx_neg = torch.tensor([[2, 3, 7, 8, 0]])
    mask = torch.tensor([[1.0, 1.0, 1.0, 1.0, 0.0]])
    label = torch.tensor([[1.0, 1.0, 0.0, 0.0, 0.0]])
    loss = model.loss(center, ctx_neg, mask, label, num_noise_words=2)
    v = model.embed_v.weight[torch.tensor([2, 3])].mean(0)
    u = model.embed_u.weight[torch.tensor([1, 7, 8])]
    target = torch.tensor([1.0, 0.0, 0.0])
    _close(loss, nn.functional.binary_cross_entropy_with_logits(u @ v, target))
    loss.backward()
    assert model.embed_v.weight.grad[torch.tensor([7, 8])].abs().sum().item() == 0


def test_nearest_neighbors_by_cosine():
    vocab = Vocab(["a", "b", "c", "d"])
    W = torch.tensor([[1.0, 1.0], [1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    assert vocab.idx_to_token == ["<unk>", "a", "b", "c", "d"]
    top = nearest_neighbors("a", 3, W, vocab)
    assert [t for t, _ in top] == ["b", "<unk>", "c"]           # b: long, but a's direction
    np.testing.assert_allclose([c for _, c in top], [10 / math.sqrt(101), 0.5 ** 0.5, 0.0],
                               atol=1e-6)
    assert nearest_neighbors("a", 3, nn.Embedding(5, 2, _weight=W), vocab) == top


# ---- attention beats no attention (slow) --------------------------------------------------------
@pytest.mark.slow
@pytest.mark.ci            # ~25 s: the default run (and CI) keeps it
def test_attention_seq2seq_beats_plain_seq2seq_on_reversal():
    """examples/seq2seq.py's comparison: same data, sizes and training; BLEU-4 on 200 held-out
    sentences (0.3-0.45 without attention, 0.97-0.99 with; 1-2 minutes on two cores)."""
    from glasstorch.text import (corpus_bleu, load_data_nmt, parse_parallel_text,
                                 preprocess_nmt, synthetic_parallel_corpus)
    threadpoolctl = pytest.importorskip("threadpoolctl")
    loader, src_vocab, tgt_vocab = load_data_nmt(64, 14, num_examples=1000, task="reverse",
                                                 generator=torch.Generator().manual_seed(0))
    sources, lengths = loader.dataset.tensors[:2]                 # lengths count '<eos>'
    seen = {tuple(src_vocab.to_tokens(row[:n - 1])) for row, n in zip(sources.tolist(),
                                                                       lengths.tolist())}
    text = preprocess_nmt(synthetic_parallel_corpus(800, seed=1, task="reverse"))
    pairs = [(s, t) for s, t in zip(*parse_parallel_text(text)) if tuple(s) not in seen][:200]
    scores = {}
    with threadpoolctl.threadpool_limits(1):
        for decoder in (Seq2SeqDecoder, Seq2SeqAttentionDecoder):
            torch.manual_seed(0)
            net = EncoderDecoder(Seq2SeqEncoder(len(src_vocab), 32, 64, 2, 0.1),
                                 decoder(len(tgt_vocab), 32, 64, 2, 0.1))
            train_seq2seq(net, loader, torch.optim.Adam(net.parameters(), lr=0.01), 20,
                          tgt_vocab)
            preds = [predict_seq2seq(net, s, src_vocab, tgt_vocab, 14) for s, _ in pairs]
            scores[decoder.__name__] = corpus_bleu(preds, [[t] for _, t in pairs])
    print(f"\nBLEU-4: {scores}")
    assert len(pairs) == 200
    assert scores["Seq2SeqAttentionDecoder"] > 0.9
    assert scores["Seq2SeqAttentionDecoder"] - scores["Seq2SeqDecoder"] > 0.3
