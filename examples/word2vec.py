"""Word vectors from The Time Machine with word2vec (Mikolov et al. 2013; d2l 15.1-15.7).

    python examples/word2vec.py                  # skip-gram, then CBOW, ~1 minute
    python examples/word2vec.py --model cbow

Skip-gram learns a vector v_w per word such that u_o . v_c is high for the words o around a
center c (a window of 1-5 words) and low for K = 5 noise words drawn from count^0.75: each
pair is a logistic regression, far cheaper than a softmax over the vocabulary (negative
sampling). Frequent words are subsampled first (kept with probability sqrt(t / f)), so 'the'
and 'and' stop dominating the pairs. CBOW predicts the center from the mean of its context
vectors instead. Words used in similar contexts end up with similar vectors: the nearest
neighbours by cosine similarity of a few words are printed. A 33k-word novel is small for
this (word2vec is usually trained on billions of words), so expect related words (three:
four, dimensions, space) among some noise.
"""
import argparse
import time

import glasstorch as torch
from glasstorch.text.models import CBOW, SkipGram, load_data_time_machine_w2v, nearest_neighbors

WORDS = ["time", "three", "sun", "night", "hand", "white", "said", "morlocks"]


def train(model, loader, epochs, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        total, n = 0.0, 0
        for center, contexts_negatives, mask, label in loader:
            loss = model.loss(center, contexts_negatives, mask, label)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, n = total + loss.item(), n + 1
        print(f"  epoch {epoch}  loss {total / n:.3f}  {time.perf_counter() - start:4.1f}s",
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["skipgram", "cbow", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--embed-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    loader, vocab, counter = load_data_time_machine_w2v(
        batch_size=256, max_window_size=5, num_noise_words=5,
        generator=torch.Generator().manual_seed(args.seed))
    print(f"vocab {len(vocab)} words (seen >= 5 times); {len(loader.dataset):,} centers after "
          f"subsampling {sum(counter.values()):,} words")
    models = {"skipgram": SkipGram, "cbow": CBOW}
    names = list(models) if args.model == "both" else [args.model]
    for name in names:
        print(name)
        model = models[name](len(vocab), args.embed_size)
        train(model, loader, args.epochs, args.lr)
        for word in WORDS:
            neighbours = nearest_neighbors(word, 5, model.embed_v, vocab)
            print(f"  {word:9s} " + ", ".join(f"{w} {c:.2f}" for w, c in neighbours))


if __name__ == "__main__":
    main()
