"""Pretrain a small BERT on The Time Machine (Devlin et al. 2019; d2l 15.8-15.10).

    python examples/bert_pretrain.py              # 300 steps, a few minutes on two cores
    python examples/bert_pretrain.py --steps 50   # a quick look

The data (glasstorch.text.models.load_data_bert_time_machine): pairs of consecutive sentences
of a paragraph, the second replaced by a random sentence half of the time; 15% of the tokens
are chosen for prediction (80% of them become '<mask>', 10% a random word, 10% stay). The
model: token + segment + learned position embeddings, 2 Transformer encoder layers (d = 128,
4 heads), a masked-LM head and a next-sentence head; the loss is the sum of both
cross-entropies. On a 30k-word novel this is a toy: the masked-LM loss falls from about
log(vocab) (a uniform guess) to the entropy of frequent words in context, and the model learns
to fill in function words; it prints the loss curve and a few fills.
"""
import argparse
import math
import time

import glasstorch as torch
from glasstorch.text.models import (BERTModel, bert_pretrain_loss, get_tokens_and_segments,
                                    load_data_bert_time_machine)


def fill_mask(net, vocab, words, position):
    """The 5 most likely words at `position` of the sentence with that word masked."""
    tokens, segments = get_tokens_and_segments(words[:position] + ["<mask>"]
                                               + words[position + 1:])
    with torch.no_grad():
        _, mlm, _ = net(torch.tensor([vocab[tokens]]), torch.tensor([segments]),
                        torch.tensor([len(tokens)]), torch.tensor([[position + 1]]))
    probs = torch.softmax(mlm[0, 0], dim=0)
    top = probs.topk(5)
    return [(vocab.to_tokens(i), round(p, 3)) for p, i in zip(top.values.tolist(),
                                                               top.indices.tolist())]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    max_len = 64
    loader, vocab = load_data_bert_time_machine(
        args.batch_size, max_len, seed=args.seed,
        generator=torch.Generator().manual_seed(args.seed))
    net = BERTModel(len(vocab), num_hiddens=128, ffn_num_hiddens=256, num_heads=4,
                    num_layers=2, dropout=0.1, max_len=max_len)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    print(f"{len(loader.dataset)} sentence pairs, vocab {len(vocab)} (uniform guess: MLM loss "
          f"{math.log(len(vocab)):.2f}); BERT with {sum(p.numel() for p in net.parameters()):,}"
          " parameters")

    step, start, window = 0, time.perf_counter(), []
    curve = []
    while step < args.steps:
        for batch in loader:
            mlm_l, nsp_l = bert_pretrain_loss(net, batch, len(vocab))
            optimizer.zero_grad()
            (mlm_l + nsp_l).backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            step += 1
            window.append((mlm_l.item(), nsp_l.item()))
            if step % 25 == 0 or step == 1:
                mlm_avg = sum(m for m, _ in window) / len(window)
                nsp_avg = sum(n for _, n in window) / len(window)
                curve.append((step, mlm_avg, nsp_avg))
                print(f"step {step:4d}  MLM loss {mlm_avg:.3f}  NSP loss {nsp_avg:.3f}  "
                      f"{time.perf_counter() - start:5.0f}s", flush=True)
                window = []
            if step == args.steps:
                break
    first, last = curve[0], curve[-1]
    print(f"MLM loss {first[1]:.2f} -> {last[1]:.2f} in {args.steps} steps "
          f"({time.perf_counter() - start:.0f}s)")
    net.eval()
    for sentence, position in (("the time traveller smiled round at us", 1),
                               ("i felt a strange sense of loss", 3),
                               ("it was the end of the day", 3)):
        words = sentence.split()
        print(f"  {' '.join(words[:position] + ['____'] + words[position + 1:])}: "
              f"{fill_mask(net, vocab, words, position)}")


if __name__ == "__main__":
    main()
