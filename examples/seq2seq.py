"""RNN encoder-decoder with and without attention, on the same synthetic translation task.

    python examples/seq2seq.py                    # word-order reversal, about a minute
    python examples/seq2seq.py --task pig_latin   # English -> Pig Latin

The task (glasstorch.text.synthetic_parallel_corpus): "the cold bird liked a letter ." ->
"letter a liked bird cold the ." (reverse), so the first target word depends on the last
source word. Both models embed words (32), run a 2-layer GRU encoder (64 units) and a 2-layer
GRU decoder, trained the same way (d2l's train_seq2seq: teacher forcing, masked cross-entropy,
Adam, gradient clipping):

- Seq2SeqDecoder (d2l 10.7): the decoder sees the source only through one vector, the
  encoder's last output. Short sentences fit through it; longer ones lose words.
- Seq2SeqAttentionDecoder (Bahdanau et al. 2015): at every step the decoder looks back at all
  encoder outputs, weighted by additive attention, so it can pick the source word it needs.

Both are scored by corpus BLEU-4 (and d2l's BLEU-2) on 200 held-out sentences, decoded
greedily. A plot of one sentence's attention weights goes to seq2seq_attention.png.
"""
import argparse
import time

import glasstorch as torch
from glasstorch.text import (bleu, corpus_bleu, load_data_nmt, parse_parallel_text,
                             preprocess_nmt, synthetic_parallel_corpus)
from glasstorch.text.models import (EncoderDecoder, Seq2SeqAttentionDecoder, Seq2SeqDecoder,
                                    Seq2SeqEncoder, predict_seq2seq, train_seq2seq)


def held_out_pairs(n, task, train_sources, seed=1):
    """n (source, target) token lists from another seed, none of them a training source."""
    text = preprocess_nmt(synthetic_parallel_corpus(4 * n, seed=seed, task=task))
    pairs = [(s, t) for s, t in zip(*parse_parallel_text(text)) if tuple(s) not in train_sources]
    return pairs[:n]


def evaluate(net, pairs, src_vocab, tgt_vocab, num_steps):
    """(corpus BLEU-4, mean d2l BLEU-2, predictions) with greedy decoding."""
    preds = [predict_seq2seq(net, src, src_vocab, tgt_vocab, num_steps) for src, _ in pairs]
    refs = [tgt for _, tgt in pairs]
    mean_bleu2 = sum(bleu(p, r, k=2) for p, r in zip(preds, refs)) / len(refs)
    return corpus_bleu(preds, [[r] for r in refs]), mean_bleu2, preds


def build(attention, src_vocab, tgt_vocab, embed_size=32, num_hiddens=64, num_layers=2,
          dropout=0.1):
    decoder = Seq2SeqAttentionDecoder if attention else Seq2SeqDecoder
    return EncoderDecoder(
        Seq2SeqEncoder(len(src_vocab), embed_size, num_hiddens, num_layers, dropout),
        decoder(len(tgt_vocab), embed_size, num_hiddens, num_layers, dropout))


def compare(task="reverse", num_examples=1000, epochs=20, lr=0.01, num_steps=14, seed=0,
            verbose=True):
    """Train both models on the same data; returns {name: (bleu4, bleu2, seconds, net)} and
    the held-out pairs and vocabs."""
    loader, src_vocab, tgt_vocab = load_data_nmt(
        batch_size=64, num_steps=num_steps, num_examples=num_examples, task=task,
        generator=torch.Generator().manual_seed(seed))
    sources, lengths = loader.dataset.tensors[:2]           # lengths count the '<eos>'
    train_sources = {tuple(src_vocab.to_tokens(row[:n - 1].tolist()))
                     for row, n in zip(sources, lengths.tolist())}
    pairs = held_out_pairs(200, task, train_sources)
    results = {}
    for name, attention in (("no attention", False), ("attention", True)):
        torch.manual_seed(seed)                      # same initial embeddings and encoder
        net = build(attention, src_vocab, tgt_vocab)
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        start = time.perf_counter()

        def report(epoch, loss):
            if verbose and (epoch % 5 == 0 or epoch == 1):
                print(f"  {name:12s} epoch {epoch:3d}  loss/token {loss:.4f}  "
                      f"{time.perf_counter() - start:5.1f}s", flush=True)
        train_seq2seq(net, loader, optimizer, epochs, tgt_vocab, callback=report)
        seconds = time.perf_counter() - start
        bleu4, bleu2, preds = evaluate(net, pairs, src_vocab, tgt_vocab, num_steps)
        results[name] = (bleu4, bleu2, seconds, net, preds)
    return results, pairs, src_vocab, tgt_vocab


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="reverse", choices=["reverse", "pig_latin"])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()
    results, pairs, src_vocab, tgt_vocab = compare(args.task, args.examples, args.epochs,
                                                   args.lr)
    print(f"\n{args.task}: {args.examples} training pairs, {len(pairs)} held-out")
    for name, (bleu4, bleu2, seconds, _, _) in results.items():
        print(f"  {name:12s}  corpus BLEU-4 {bleu4:.3f}  mean BLEU-2 {bleu2:.3f}  "
              f"train {seconds:.0f}s")
    margin = results["attention"][0] - results["no attention"][0]
    print(f"  attention wins by {margin:+.3f} BLEU-4")
    for i in range(3):
        src, tgt = pairs[i]
        print(f"\n  {' '.join(src)}\n    reference:    {' '.join(tgt)}")
        for name, (*_, preds) in results.items():
            print(f"    {name + ':':13s} {' '.join(preds[i])}")
    net = results["attention"][3]
    src, _ = pairs[0]
    pred = predict_seq2seq(net, src, src_vocab, tgt_vocab, 14)
    with torch.no_grad():                   # rerun teacher-forced on the prediction
        X = torch.tensor([src_vocab[src + ["<eos>"]]])
        Y = torch.tensor([[tgt_vocab["<bos>"]] + tgt_vocab[pred]])
        net.eval()
        net(X, Y, torch.tensor([X.shape[1]]))
    weights = net.decoder.attention_weights[0].numpy()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.imshow(weights, cmap="Reds")
        ax.set_xticks(range(len(src) + 1), src + ["<eos>"], rotation=90)
        ax.set_yticks(range(len(pred) + 1), pred + ["<eos>"])
        ax.set_title("attention weights (target rows, source columns)")
        fig.tight_layout()
        fig.savefig("seq2seq_attention.png")
        print("\nattention weights: seq2seq_attention.png")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
