"""A character-level LSTM language model of The Time Machine, as a plain training loop.

    python examples/char_lm.py                 # 5 minutes on two cores: perplexity ~3.8
    python examples/char_lm.py --epochs 3      # a quick look

(On a busy machine run it with OPENBLAS_NUM_THREADS=1: the per-step matrix products are small,
and BLAS threads competing with other processes for the cores can make them 10x slower.)

The data: the novel's letters and spaces, lower-cased (28 tokens with '<unk>'); the first 90%
to train, the last 10% held out. The model: one-hot characters -> 2-layer LSTM (256 units,
dropout 0.3) -> Linear over the 28 tokens. Each step predicts the next character; the loss
is the mean cross-entropy per character, and perplexity = exp(that loss): 28 for a uniform
guess, 1 for a perfect model.

Three things make it train well:
1. Sequential batches (text.seq_data_iter_sequential): row b of batch k+1 continues row b of
   batch k, so the LSTM state at the end of one batch is the right start for the next. It is
   detached: gradients flow back through at most num_steps characters (truncated BPTT).
2. Gradient clipping. Backpropagating through many steps multiplies many Jacobians, so a
   gradient can grow exponentially (exploding gradients, Pascanu et al. 2013) and one step
   wrecks the weights. clip_grad_norm_ rescales all gradients together so their total norm
   is at most 1: the direction is kept, the step is bounded. (LSTM gates address the other
   problem, vanishing gradients.) Try --clip 0 with --lr 0.01 to see the loss spike.
3. Watching the held-out perplexity: when it stalls the lr drops 4x (ReduceLROnPlateau), and
   after `patience` epochs without progress training stops and the best weights are kept
   (150k characters are few for 800k parameters: the model starts to memorize).
glasstorch/text/char_lm.py is the same recipe through train.Trainer (`glasstorch train --model
lstm-lm`); tests/test_char_lm.py checks it reaches a held-out perplexity <= 4 in 5 minutes.
"""
import argparse
import math
import time

import glasstorch as torch
from glasstorch.text import seq_data_iter_sequential
from glasstorch.text.models import (RNNLM, detach_state, evaluate_perplexity, lm_loss,
                                    load_time_machine_chars)


def train_epoch(lm, corpus, optimizer, batch_size, num_steps, clip):
    """One pass over the training text; returns its perplexity (dropout on)."""
    lm.train()
    state, total, count = None, 0.0, 0
    for X, Y in seq_data_iter_sequential(corpus, batch_size, num_steps):
        logits, state = lm(X, state)          # starts where the previous batch ended
        state = detach_state(state)           # ...but backpropagation stops at this batch
        loss = lm_loss(logits, Y)             # mean cross-entropy per character
        optimizer.zero_grad()
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(lm.parameters(), clip)
        optimizer.step()
        total += loss.item() * Y.numel()
        count += Y.numel()
    return math.exp(total / count)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--time-budget", type=float, default=300, help="seconds (default 300)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--num-steps", type=int, default=35)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip", type=float, default=1.0, help="max gradient norm; 0: none")
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--plot", default="char_lm_curves.png")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train, vocab = load_time_machine_chars("train")
    valid, _ = load_time_machine_chars("valid")
    print(f"{len(train):,} training / {len(valid):,} held-out characters, vocab {len(vocab)}")
    lm = RNNLM(len(vocab), num_hiddens=256, num_layers=2, dropout=0.3)
    optimizer = torch.optim.Adam(lm.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.25, patience=0)

    history = {"ppl": [], "val_ppl": []}
    best_ppl, best_epoch, best_state, wait = math.inf, 0, None, 0
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        epoch_start, lr = time.perf_counter(), optimizer.param_groups[0]["lr"]
        train_ppl = train_epoch(lm, train, optimizer, args.batch_size, args.num_steps,
                                args.clip)
        val_ppl = evaluate_perplexity(lm, valid, batch_size=8, num_steps=args.num_steps)
        scheduler.step(val_ppl)
        history["ppl"].append(train_ppl)
        history["val_ppl"].append(val_ppl)
        elapsed = time.perf_counter() - start
        print(f"epoch {epoch:2d}  train ppl {train_ppl:6.3f}  val ppl {val_ppl:6.3f}  "
              f"lr {lr:.2g}  {elapsed:5.0f}s", flush=True)
        if val_ppl < best_ppl:
            best_ppl, best_epoch, wait = val_ppl, epoch, 0
            best_state = {k: v.clone() for k, v in lm.state_dict().items()}
        else:
            wait += 1
            if wait >= args.patience:
                print(f"no better validation perplexity for {wait} epochs: stop")
                break
        if elapsed + (time.perf_counter() - epoch_start) > args.time_budget:
            print("the next epoch would overrun the time budget: stop")
            break
    lm.load_state_dict(best_state)
    print(f"held-out perplexity {best_ppl:.3f} (epoch {best_epoch} of {epoch}, "
          f"{time.perf_counter() - start:.0f}s)")

    for prefix in ("the time traveller ", "the machine "):
        print(f"greedy:      {lm.generate(prefix, 80, vocab)!r}")
    generator = torch.Generator().manual_seed(args.seed)
    print(f"temperature: {lm.generate('the time traveller ', 80, vocab, 0.7, generator)!r}")
    try:
        from glasstorch.train import plot_history
        print("curves:", plot_history(history, args.plot, title="char LSTM on The Time Machine"))
    except ImportError:
        pass


if __name__ == "__main__":
    main()
