"""Callbacks: code that watches Trainer's loop (trainer.py) at five hooks and keeps its own state.

    on_fit_start(trainer)                  on_epoch_start(trainer, epoch)
    on_batch_end(trainer, batch_idx, logs) logs: loss, batch_size, lr (per group), grad_norm, step
    on_epoch_end(trainer, epoch, logs)     logs: the History entry of the epoch
    on_fit_end(trainer)

A callback stops training by setting `trainer.stop_training = True`. Callbacks with state that a
resumed run needs (EarlyStopping, ModelCheckpoint) implement state_dict/load_state_dict; the
Trainer puts it into its checkpoints. ProgressBar lives in progress.py.
"""
import csv
import json
import math
import os
from collections import OrderedDict

from ..serialization import save
from .trainer import lookup

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "CSVLogger", "JSONLinesLogger",
           "TensorBoardLogger", "LearningRateMonitor"]


class Callback:
    """Base class: every hook does nothing; override the ones you need."""
    order = 0     # callbacks run in increasing `order` (stable): ModelCheckpoint 100, loggers 200

    def on_fit_start(self, trainer):
        pass

    def on_epoch_start(self, trainer, epoch):
        pass

    def on_batch_end(self, trainer, batch_idx, logs):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_fit_end(self, trainer):
        pass

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


class _Monitor:
    """The 'is this epoch the best so far?' test EarlyStopping and ModelCheckpoint share."""

    def __init__(self, monitor, mode, min_delta=0.0):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = None

    def value(self, logs):
        value = lookup(logs, self.monitor)
        if value is None:
            keys = [k for k, v in logs.items() if v is not None and k != "metrics"]
            raise ValueError(f"{type(self).__name__} monitors {self.monitor!r}, which this epoch "
                             f"did not produce (available: {keys + list(logs['metrics'])}); "
                             "pass a val_loader to fit or monitor another key")
        return value

    def improved(self, value):
        """Better than the best by more than min_delta (Keras' rule)."""
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor, Callback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    restore_best_weights=True keeps a copy of the weights of the best epoch and loads them back
    when fit ends (stopped early or not), so the model is the best one seen, not the last.
    `stopped_epoch` is the epoch after which training stopped (0 if it never did). The copy is
    part of the callback's state, so checkpoints hold it too (a resumed run can restore it).
    """

    def __init__(self, monitor="val_loss", mode="min", patience=3, min_delta=0.0,
                 restore_best_weights=False):
        super().__init__(monitor, mode, min_delta)
        self.patience, self.restore_best_weights = patience, restore_best_weights
        self.wait, self.stopped_epoch, self.best_weights = 0, 0, None

    def on_epoch_end(self, trainer, epoch, logs):
        value = self.value(logs)
        if self.improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                # state_dict tensors share memory with the parameters: clone them
                self.best_weights = OrderedDict(
                    (k, v.clone()) for k, v in trainer.model.state_dict().items())
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True

    def on_fit_end(self, trainer):
        if self.restore_best_weights and self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state):
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.stopped_epoch, self.best_weights = state["stopped_epoch"], state["best_weights"]


class ModelCheckpoint(_Monitor, Callback):
    """Save `trainer.state_dict()` (model, optimizer, scheduler, epoch, history, random states,
    callback states) to `dirpath/last.pt` after every epoch (save_last) and to `dirpath/best.pt`
    whenever `monitor` improves (save_best). Writes go through glasstorch.save, which is atomic:
    a crash mid-write leaves the previous file intact. Resume with
    `trainer.fit(..., resume_from=dirpath/"last.pt")`; load weights for inference with
    `model.load_state_dict(glasstorch.load(path)["model"])`.

    It runs after the other callbacks (order 100) so that their state for the epoch is saved;
    only the file loggers (order 200) run later, so a log never shows an epoch that the
    checkpoint does not hold (a kill or a full disk between the two loses a log line, which
    the resumed run rewrites from the checkpoint's history).
    """
    order = 100

    def __init__(self, dirpath, monitor="val_loss", mode="min", save_best=True, save_last=True):
        super().__init__(monitor, mode)
        self.dirpath, self.save_best, self.save_last = os.fspath(dirpath), save_best, save_last
        self.best_path = None

    @property
    def last_path(self):
        return os.path.join(self.dirpath, "last.pt")

    def on_fit_start(self, trainer):
        os.makedirs(self.dirpath, exist_ok=True)

    def on_epoch_end(self, trainer, epoch, logs):
        value = self.value(logs) if self.save_best else None
        improved = self.save_best and self.improved(value)
        if improved:   # update first: the saved state must include this epoch's best
            self.best, self.best_epoch = value, epoch
            self.best_path = os.path.join(self.dirpath, "best.pt")
        if not (improved or self.save_last):
            return
        state = trainer.state_dict()
        if improved:
            save(state, self.best_path)
        if self.save_last:
            save(state, self.last_path)

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch, "best_path": self.best_path}

    def load_state_dict(self, state):
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.best_path = state["best_path"]


def _flatten(logs):
    """A History entry as one flat row: 'metrics' spread into columns, lists kept as they are."""
    row = {}
    for key, value in logs.items():
        if key == "metrics":
            row.update(value)
        else:
            row[key] = value
    return row


class CSVLogger(Callback):
    """One CSV row per epoch (epoch, train_loss, val_loss, each metric, lr, time, throughput).

    The file is rewritten from `trainer.history` when fit starts, so a resumed run's file holds
    every epoch once. Rows are flushed as they are written (readable while training runs),
    after ModelCheckpoint has saved the epoch (order 200)."""
    order = 200

    def __init__(self, path, separator=","):
        self.path, self.separator = os.fspath(path), separator
        self._file = self._writer = None

    def on_fit_start(self, trainer):
        self._file = open(self.path, "w", newline="")
        self._writer = None
        for logs in trainer.history:
            self._write(logs)

    def on_epoch_end(self, trainer, epoch, logs):
        self._write(logs)

    def on_fit_end(self, trainer):
        self._file.close()

    def _write(self, logs):
        row = _flatten(logs)
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=list(row),
                                          delimiter=self.separator, extrasaction="ignore")
            self._writer.writeheader()
        self._writer.writerow(row)
        self._file.flush()


class JSONLinesLogger(Callback):
    """One JSON object per line and epoch: the History entry as it is (metrics nested).

    Rewritten from `trainer.history` when fit starts, and written after ModelCheckpoint, like
    CSVLogger."""
    order = 200

    def __init__(self, path):
        self.path, self._file = os.fspath(path), None

    def on_fit_start(self, trainer):
        self._file = open(self.path, "w")
        for logs in trainer.history:
            self._write(logs)

    def on_epoch_end(self, trainer, epoch, logs):
        self._write(logs)

    def on_fit_end(self, trainer):
        self._file.close()

    def _write(self, logs):
        self._file.write(json.dumps(logs) + "\n")
        self._file.flush()


class TensorBoardLogger(Callback):
    """Every numeric value of each epoch's logs as a TensorBoard scalar (step = epoch), plus the
    batch loss every `log_every_n_steps` optimizer steps ('batch/loss'), written with
    tensorboardX (`pip install glasstorch[tensorboard]`). View with `tensorboard --logdir`."""

    def __init__(self, log_dir, log_every_n_steps=None):
        self.log_dir, self.log_every_n_steps = os.fspath(log_dir), log_every_n_steps
        self.writer = None

    def on_fit_start(self, trainer):
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise ImportError("TensorBoardLogger needs tensorboardX: pip install "
                              "glasstorch[tensorboard]") from None
        self.writer = SummaryWriter(self.log_dir)

    def on_batch_end(self, trainer, batch_idx, logs):
        if self.log_every_n_steps and logs["step"] % self.log_every_n_steps == 0:
            self.writer.add_scalar("batch/loss", logs["loss"], logs["step"])

    def on_epoch_end(self, trainer, epoch, logs):
        for key, value in _flatten(logs).items():
            if key != "epoch" and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(key, value, epoch)
        self.writer.flush()

    def on_fit_end(self, trainer):
        self.writer.close()


class LearningRateMonitor(Callback):
    """Records the lr of every param group at every optimizer step: `lrs[i]` is the list of
    lrs step i+1 used (like `scheduler.get_last_lr()` before that step's scheduler.step())."""

    def __init__(self):
        self.lrs, self.steps = [], []

    def on_batch_end(self, trainer, batch_idx, logs):
        self.lrs.append(logs["lr"])
        self.steps.append(logs["step"])

    def state_dict(self):
        return {"lrs": self.lrs, "steps": self.steps}

    def load_state_dict(self, state):
        self.lrs, self.steps = state["lrs"], state["steps"]
