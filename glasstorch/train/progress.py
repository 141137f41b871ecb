"""ProgressBar: a tqdm bar per epoch, or one plain text line per epoch when tqdm is missing.

tqdm is the optional extra `progress` (`pip install glasstorch[progress]`). The bar's postfix
shows the running mean loss and the throughput while the epoch runs, then the epoch's summary
(validation loss, metrics) when it ends. The text line is `format_logs(logs)`.
"""
import sys
import time

from .callbacks import Callback, _flatten

__all__ = ["ProgressBar", "format_logs"]


def format_logs(logs, epochs=None):
    """'epoch 3/10  train_loss 0.1234  val_loss 0.2345  val_acc 0.9100  lr 0.1  5120 samples/s
    0.21s' for a History entry."""
    epoch = f"epoch {logs['epoch']}" + (f"/{epochs}" if epochs else "")
    parts = [epoch] + [f"{k} {_num(v)}" for k, v in _summary(logs).items()]
    parts.append(f"{logs['throughput']:.0f} samples/s")
    parts.append(f"{logs['time']:.2f}s")
    return "  ".join(parts)


def _summary(logs):
    """Losses, metrics and lr of an entry (what the bar's postfix and the text line show)."""
    skip = ("epoch", "time", "throughput")
    return {k: v for k, v in _flatten(logs).items() if k not in skip and v is not None}


def _num(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class ProgressBar(Callback):
    """Shows training progress. use_tqdm: True, False (plain text), or None (tqdm if installed).
    file: where to write (default sys.stderr for the bar, sys.stdout for text lines)."""

    def __init__(self, use_tqdm=None, file=None):
        self.use_tqdm, self.file = use_tqdm, file
        self._tqdm = self.bar = None

    def on_fit_start(self, trainer):
        self._tqdm = None
        if self.use_tqdm is not False:
            try:
                from tqdm.auto import tqdm
                self._tqdm = tqdm
            except ImportError:
                if self.use_tqdm:
                    raise ImportError("ProgressBar(use_tqdm=True) needs tqdm: pip install "
                                      "glasstorch[progress]") from None

    def on_epoch_start(self, trainer, epoch):
        self._loss_sum, self._samples, self._start = 0.0, 0, time.perf_counter()
        if self._tqdm is not None:
            total = len(trainer.train_loader) if hasattr(trainer.train_loader, "__len__") \
                else None
            self.bar = self._tqdm(total=total, desc=f"epoch {epoch}/{trainer.epochs}",
                                  unit="batch", file=self.file, dynamic_ncols=True)

    def on_batch_end(self, trainer, batch_idx, logs):
        self._loss_sum += logs["loss"] * logs["batch_size"]
        self._samples += logs["batch_size"]
        if self.bar is not None:
            rate = self._samples / max(time.perf_counter() - self._start, 1e-9)
            self.bar.set_postfix({"loss": f"{self._loss_sum / self._samples:.4g}",
                                  "samples/s": f"{rate:.0f}"}, refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, trainer, epoch, logs):
        if self.bar is None:
            print(format_logs(logs, trainer.epochs), file=self.file or sys.stdout, flush=True)
            return
        postfix = {k: _num(v) for k, v in _summary(logs).items()}
        postfix["samples/s"] = f"{logs['throughput']:.0f}"
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.close()
        self.bar = None
