"""A Transformer encoder-decoder (Vaswani et al. 2017; d2l 11.7) on the synthetic translation
task of examples/seq2seq.py.

    python examples/transformer_nmt.py                    # word-order reversal, ~1 minute
    python examples/transformer_nmt.py --task pig_latin

The model: word embeddings scaled by sqrt(d) plus sinusoidal positional encodings, 2 encoder
layers (self-attention + feed-forward, each with a residual connection and LayerNorm) and 2
decoder layers (masked self-attention, attention to the encoder's outputs, feed-forward);
d = 64, 4 heads, feed-forward 128, dropout 0.1. No recurrence: every position is computed in
parallel in training, and order comes only from the positional encodings. Trained like the RNN
models (teacher forcing, masked cross-entropy, Adam, clipping), decoded greedily and with beam
search, scored by corpus BLEU-4 on 200 held-out sentences.
"""
import argparse
import time

import glasstorch as torch
from glasstorch.text import load_data_nmt
from glasstorch.text.models import (EncoderDecoder, TransformerDecoder, TransformerEncoder,
                                    predict_seq2seq, train_seq2seq)

from seq2seq import evaluate, held_out_pairs      # examples/seq2seq.py, next to this file


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="reverse", choices=["reverse", "pig_latin"])
    parser.add_argument("--examples", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.002)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    num_steps = 14
    loader, src_vocab, tgt_vocab = load_data_nmt(
        batch_size=64, num_steps=num_steps, num_examples=args.examples, task=args.task,
        generator=torch.Generator().manual_seed(args.seed))
    sources, lengths = loader.dataset.tensors[:2]
    train_sources = {tuple(src_vocab.to_tokens(row[:n - 1].tolist()))
                     for row, n in zip(sources, lengths.tolist())}
    pairs = held_out_pairs(200, args.task, train_sources)

    torch.manual_seed(args.seed)
    d, ffn, heads, layers, dropout = 64, 128, 4, 2, 0.1
    net = EncoderDecoder(TransformerEncoder(len(src_vocab), d, ffn, heads, layers, dropout),
                         TransformerDecoder(len(tgt_vocab), d, ffn, heads, layers, dropout))
    print(f"Transformer: {sum(p.numel() for p in net.parameters()):,} parameters; "
          f"{args.examples} training pairs ({args.task}), {len(pairs)} held-out")
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    start = time.perf_counter()

    def report(epoch, loss):
        if epoch % 5 == 0 or epoch == 1:
            print(f"  epoch {epoch:3d}  loss/token {loss:.4f}  "
                  f"{time.perf_counter() - start:5.1f}s", flush=True)
    train_seq2seq(net, loader, optimizer, args.epochs, tgt_vocab, callback=report)
    seconds = time.perf_counter() - start
    bleu4, bleu2, preds = evaluate(net, pairs, src_vocab, tgt_vocab, num_steps)
    print(f"greedy: corpus BLEU-4 {bleu4:.3f}  mean BLEU-2 {bleu2:.3f}  (train {seconds:.0f}s)")
    beam = [predict_seq2seq(net, src, src_vocab, tgt_vocab, num_steps, beam_size=3)
            for src, _ in pairs[:50]]
    exact_greedy = sum(p == t for p, (_, t) in zip(preds[:50], pairs[:50]))
    exact_beam = sum(p == t for p, (_, t) in zip(beam, pairs[:50]))
    print(f"exact translations of the first 50: greedy {exact_greedy}, beam(3) {exact_beam}")
    for (src, tgt), pred in list(zip(pairs, preds))[:3]:
        print(f"  {' '.join(src)}\n    -> {' '.join(pred)}\n    reference {' '.join(tgt)}")


if __name__ == "__main__":
    main()
