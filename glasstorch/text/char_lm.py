"""The character language model of The Time Machine, trained with train.Trainer: the recipe
`fit_char_lm`, the `TimeBudget` callback, and `load_lm` to read a run back. The command
`glasstorch train --model lstm-lm --dataset timemachine` (glasstorch/cli/lm.py) runs it into a
run folder.

The recipe: a 2-layer LSTM (256 hidden units, dropout 0.3) over one-hot characters, trained on
the first 90% of the novel (models.load_time_machine_chars) with sequential 32 x 35 batches
(the state carried across batches, detached: truncated BPTT, models.StatefulLM), Adam at 3e-3,
and the gradient norm clipped to 1 (the cure for exploding gradients, see models/rnn_lm.py).
After each epoch the perplexity of the last 10% is measured; the lr drops 4x when it stalls,
training stops when it has not improved for `patience` epochs, and the best epoch's weights
are kept. With a `time_budget`, training also stops before the next epoch would overrun it,
and scheduler='time' holds the lr for 60% of the budget then decays it linearly (TimeBudget).
examples/char_lm.py is the same recipe as a plain loop.
"""
import os
import time

from .. import random as _random
from ..optim import Adam, AdamW, SGD, lr_scheduler
from ..serialization import load
from ..train import Callback, EarlyStopping, Perplexity, Trainer
from .batching import SeqDataLoader
from .models.rnn_lm import (RNNLM, ContiguousBatches, StatefulLM, evaluate_perplexity, lm_loss,
                            load_time_machine_chars)

__all__ = ["CHAR_LM_DEFAULTS", "TimeBudget", "fit_char_lm", "load_lm"]

CHAR_LM_DEFAULTS = {
    "num_hiddens": 256, "num_layers": 2, "dropout": 0.3,
    "batch_size": 32, "num_steps": 35, "optimizer": "adam", "lr": 3e-3, "weight_decay": 0.0,
    "scheduler": "plateau", "grad_clip": 1.0, "epochs": 30, "patience": 3,
    "val_fraction": 0.1, "val_rows": 8, "time_budget": None, "seed": 0,
}


class TimeBudget(Callback):
    """Stops training when the next epoch, as long as the last one, would end more than
    `seconds` after fit started.

    anneal_lr=True also schedules the learning rate on the clock: every param group keeps its
    lr for the first `hold` fraction of the budget, then decays linearly to `min_factor` of it
    at the budget's end (the warmup-stable-decay shape without warmup). With a fixed time
    budget and no way to know how many epochs fit into it, decaying toward the end of the
    budget gives the low-lr finish a schedule planned in epochs would (Li et al. 2020,
    "Budgeted training").
    """

    def __init__(self, seconds, anneal_lr=False, hold=0.6, min_factor=0.05):
        self.seconds, self.anneal_lr = seconds, anneal_lr
        self.hold, self.min_factor = hold, min_factor

    def on_fit_start(self, trainer):
        self.start = time.perf_counter()
        self.base_lrs = [group["lr"] for group in trainer.optimizer.param_groups]

    def on_batch_end(self, trainer, batch_idx, logs):
        if not self.anneal_lr:
            return
        frac = (time.perf_counter() - self.start) / self.seconds
        factor = 1.0 if frac <= self.hold else max(
            self.min_factor, 1 - (1 - self.min_factor) * (frac - self.hold) / (1 - self.hold))
        for group, lr in zip(trainer.optimizer.param_groups, self.base_lrs):
            group["lr"] = lr * factor

    def on_epoch_end(self, trainer, epoch, logs):
        if time.perf_counter() - self.start + logs["time"] > self.seconds:
            trainer.stop_training = True


class _Batches(SeqDataLoader):
    """SeqDataLoader with a length (the batches of an epoch whose random offset is 0; other
    offsets give the same count or one less), so progress bars know their total."""

    def __len__(self):
        return (len(self.corpus) - 1) // self.batch_size // self.num_steps


def _optimizer(cfg, params):
    if cfg["optimizer"] == "sgd":
        return SGD(params, lr=cfg["lr"], momentum=0.9, weight_decay=cfg["weight_decay"])
    cls = Adam if cfg["optimizer"] == "adam" else AdamW
    return cls(params, lr=cfg["lr"], weight_decay=cfg["weight_decay"])


def _scheduler(cfg, optimizer):
    if cfg["scheduler"] == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg["epochs"])
    if cfg["scheduler"] == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, cfg["epochs"] // 3), gamma=0.1)
    if cfg["scheduler"] == "plateau":     # lr / 4 when validation perplexity stalls an epoch
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.25, patience=0)
    if cfg["scheduler"] not in ("none", "time"):     # time: TimeBudget anneals the lr
        raise ValueError(f"unknown scheduler {cfg['scheduler']!r}: none, cosine, step, "
                         "plateau, time")
    return None


def fit_char_lm(callbacks=(), trainer_cls=Trainer, trainer_args=(), resume_from=None, **config):
    """Train the character LSTM language model; returns (trainer, result).

    config overrides CHAR_LM_DEFAULTS. result: {'val_ppl': held-out perplexity of the best
    weights (the last val_fraction of the book, read as val_rows contiguous rows),
    'best_epoch', 'epochs_run', 'train_seconds', 'sample': 100 generated characters}.
    trainer.model is the StatefulLM; trainer.model.lm the RNNLM; trainer.history the curves.
    """
    unknown = set(config) - set(CHAR_LM_DEFAULTS)
    if unknown:
        raise TypeError(f"fit_char_lm got unknown settings {sorted(unknown)}")
    cfg = {**CHAR_LM_DEFAULTS, **config}
    if cfg["scheduler"] == "time" and not cfg["time_budget"]:
        raise ValueError("scheduler='time' anneals the lr over time_budget: set time_budget")
    train, vocab = load_time_machine_chars("train", cfg["val_fraction"])
    valid, _ = load_time_machine_chars("valid", cfg["val_fraction"])
    _random.manual_seed(cfg["seed"])          # the same seed, the same initial weights
    lm = RNNLM(len(vocab), cfg["num_hiddens"], cfg["num_layers"], dropout=cfg["dropout"])
    model = StatefulLM(lm)
    optimizer = _optimizer(cfg, model.parameters())
    train_loader = _Batches(train, cfg["batch_size"], cfg["num_steps"],
                            generator=_random.Generator().manual_seed(cfg["seed"]))
    val_loader = ContiguousBatches(valid, cfg["val_rows"], cfg["num_steps"])
    early = EarlyStopping(monitor="val_ppl", patience=cfg["patience"],
                          restore_best_weights=True)
    extra = [TimeBudget(cfg["time_budget"], anneal_lr=cfg["scheduler"] == "time")] \
        if cfg["time_budget"] else []
    trainer = trainer_cls(*trainer_args, model, optimizer, lm_loss,
                          scheduler=_scheduler(cfg, optimizer), grad_clip=cfg["grad_clip"],
                          metrics={"ppl": Perplexity()},
                          callbacks=[early, *extra, *callbacks])
    start = time.perf_counter()
    trainer.fit(train_loader, val_loader, epochs=cfg["epochs"], resume_from=resume_from)
    seconds = time.perf_counter() - start
    result = {"val_ppl": evaluate_perplexity(lm, valid, cfg["val_rows"], cfg["num_steps"]),
              "best_epoch": early.best_epoch, "epochs_run": trainer.epoch,
              "train_seconds": round(seconds, 1),
              "sample": lm.generate("the time traveller ", 100, vocab)}
    return trainer, result


def load_lm(path):
    """(RNNLM in eval mode, run dict) from a checkpoint (or run folder) written by train_lm."""
    path = os.path.join(path, "best.pt") if os.path.isdir(path) else path
    state = load(path)
    run = state["run"]
    _, vocab = load_time_machine_chars()
    lm = RNNLM(len(vocab), run["model_kwargs"]["num_hiddens"],
               run["model_kwargs"]["num_layers"], dropout=run["model_kwargs"]["dropout"])
    lm.load_state_dict({k[len("lm."):]: v for k, v in state["model"].items()})
    return lm.eval(), run
