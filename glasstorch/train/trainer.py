"""Trainer: the training loop of examples/ written once, with validation, metrics, lr schedules,
gradient clipping, a history, checkpoints and exact resuming around it.

Read `fit` (the epochs) and `train_epoch` (the batches) top to bottom: each step of the loop is
there, numbered and explained, as in examples/linear_regression.py. Callbacks (callbacks.py,
progress.py) watch the loop through five hooks (on_fit_start, on_epoch_start, on_batch_end,
on_epoch_end, on_fit_end) and may set `trainer.stop_training`; they never replace a step.
Metric objects come from metrics.py; examples/train_mlp_trainer.py shows a whole run.
"""
import math
import random as _pyrandom
import time

from .._device import device as _device
from ..autograd.grad_mode import no_grad
from ..nn.utils import clip_grad_norm_
from ..ops.join import cat
from ..optim.lr_scheduler import ReduceLROnPlateau
from ..random import get_rng_state, manual_seed, set_rng_state
from ..serialization import load
from ..tensor import Tensor

__all__ = ["Trainer", "History", "NonFiniteLossError"]


class History(list):
    """The per-epoch records `Trainer.fit` returns: a list of dicts

        {'epoch': 1, 'train_loss': 0.52, 'val_loss': 0.61 (None without a val loader),
         'metrics': {'train_acc': 0.8, 'val_acc': 0.75, ...}, 'lr': 0.1 (param group 0, at the
         start of the epoch), 'time': seconds, 'throughput': training samples per second}

    `history.column('val_acc')` lists one key over the epochs (it looks inside 'metrics' too).
    """

    def column(self, key):
        return [lookup(entry, key) for entry in self]


def lookup(logs, key):
    """`logs[key]`, or `logs['metrics'][key]` for a metric such as 'val_acc' (None if absent)."""
    if key in logs:
        return logs[key]
    return logs.get("metrics", {}).get(key)


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or inf (Trainer(stop_on_nan=True))."""


class Trainer:
    """Trains `model` with `optimizer` on `loss_fn(outputs, targets)`.

    Args:
        model: an nn.Module called as `model(inputs)`; loaders yield `(inputs, targets)`.
        optimizer: a glasstorch.optim optimizer over the model's parameters.
        loss_fn: `loss_fn(outputs, targets)` returning a scalar tensor, or a dict of scalar
            tensors (several losses), summed with `loss_weights` (default weight 1).
        device: where the model and batches live ("cpu").
        scheduler: an lr scheduler, stepped once per epoch (`scheduler_step="epoch"`, after
            validation; ReduceLROnPlateau gets the validation loss, or the training loss without
            a val loader) or after every optimizer step (`"batch"`: OneCycleLR, CyclicLR).
        grad_clip: max total gradient norm (nn.utils.clip_grad_norm_), or None.
        metrics: {name: fn(outputs, targets)} (averaged over batches, weighted by batch size) or
            {name: metric object} with reset/update/compute (glasstorch.train.metrics). Both are
            computed on the training and validation data: 'train_<name>', 'val_<name>'.
        loss_weights: {loss name: weight} for a loss_fn returning a dict.
        callbacks: Callback objects (callbacks.py); ModelCheckpoint runs last in each hook so
            the state it saves includes every other callback's update for the epoch.
        seed: calls glasstorch.manual_seed(seed) here, so shuffling and dropout repeat from
            run to run (seed before building the model to repeat its initial weights too).
        stop_on_nan: raise NonFiniteLossError as soon as a training loss is NaN or inf,
            before that step changes the parameters (checkpoints keep the last good epoch).

    Example::

        >>> import glasstorch as torch
        >>> from glasstorch.utils.data import DataLoader, TensorDataset
        >>> _ = torch.manual_seed(0)
        >>> X = torch.randn(64, 3); y = X @ torch.tensor([1.0, -2.0, 0.5])
        >>> model = torch.nn.Linear(3, 1)
        >>> trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1),
        ...                   lambda out, t: torch.nn.functional.mse_loss(out.squeeze(1), t))
        >>> history = trainer.fit(DataLoader(TensorDataset(X, y), batch_size=16), epochs=20)
        >>> history[-1]["train_loss"] < 1e-3
        True
    """

    def __init__(self, model, optimizer, loss_fn, *, device="cpu", scheduler=None,
                 scheduler_step="epoch", grad_clip=None, metrics=None, loss_weights=None,
                 callbacks=(), seed=None, stop_on_nan=True):
        if scheduler_step not in ("epoch", "batch"):
            raise ValueError(f"scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
        if isinstance(scheduler, ReduceLROnPlateau) and scheduler_step == "batch":
            raise ValueError("ReduceLROnPlateau needs the validation loss: use "
                             "scheduler_step='epoch'")
        if grad_clip is not None and not grad_clip > 0:
            raise ValueError(f"grad_clip must be a positive max norm or None, got {grad_clip}")
        if seed is not None:
            manual_seed(seed)
        self.device = _device(device)
        self.model = model.to(self.device)
        self.optimizer, self.loss_fn = optimizer, loss_fn
        self.scheduler, self.scheduler_step = scheduler, scheduler_step
        self.grad_clip = grad_clip
        self.stop_on_nan = stop_on_nan
        self.metrics = dict(metrics or {})
        self.loss_weights = dict(loss_weights or {})
        # sorted() is stable: callbacks keep their order, checkpointing (order 100) moves last
        self.callbacks = sorted(callbacks, key=lambda cb: getattr(cb, "order", 0))
        self.history = History()
        self.epoch = 0            # epochs completed (a resumed run starts after the saved one)
        self.global_step = 0      # optimizer steps taken
        self.epochs = None        # the `epochs` fit was asked for (progress bars show it)
        self.train_loader = None  # the loader fit is using (its generator goes in checkpoints)
        self.stop_training = False

    # ---- the loop ----------------------------------------------------------------------------
    def fit(self, train_loader, val_loader=None, epochs=1, *, resume_from=None):
        """Train until `epochs` epochs are done in total (or a callback sets stop_training).

        resume_from: a checkpoint written by ModelCheckpoint (or `torch.save(trainer.
        state_dict(), path)`); model, optimizer, scheduler, history, callbacks and random
        states are restored, so the run continues exactly as if it had never stopped.

        Returns the History (one dict per epoch, the resumed ones included).
        """
        self.train_loader, self.epochs, self.stop_training = train_loader, epochs, False
        if resume_from is not None:
            self.load_state_dict(load(resume_from))
        self._fire("on_fit_start")
        for epoch in range(self.epoch + 1, epochs + 1):
            start = time.perf_counter()
            lr = float(self.optimizer.param_groups[0]["lr"])   # the lr this epoch starts with
            self._fire("on_epoch_start", epoch)

            # 1. one pass over the training data, updating the parameters batch by batch
            train = self.train_epoch(train_loader)
            # 2. validation: eval mode (dropout off, batch norm's running stats), no graph built
            val = self.evaluate(val_loader) if val_loader is not None else {}
            # 3. an epoch-wise lr schedule moves once the epoch is over
            if self.scheduler is not None and self.scheduler_step == "epoch":
                if isinstance(self.scheduler, ReduceLROnPlateau):
                    self.scheduler.step(val.get("loss", train["loss"]))
                else:
                    self.scheduler.step()
            # 4. record the epoch; callbacks log, checkpoint or stop from this dict
            logs = {"epoch": epoch, "train_loss": train.pop("loss"),
                    "val_loss": val.pop("loss", None),
                    "metrics": {**{f"train_{k}": v for k, v in train.items()
                                   if k != "throughput"},
                                **{f"val_{k}": v for k, v in val.items()}},
                    "lr": lr, "time": time.perf_counter() - start,
                    "throughput": train["throughput"]}
            self.history.append(logs)
            self.epoch = epoch
            self._fire("on_epoch_end", epoch, logs)
            if self.stop_training:
                break
        self._fire("on_fit_end")
        return self.history

    def train_epoch(self, loader):
        """One pass over `loader` with an optimizer step per batch. Returns the mean loss
        ('loss', and 'loss_<name>' for each loss of a dict), the metrics and 'throughput'."""
        self.model.train()                    # dropout on, batch norm uses batch statistics
        meter = _Meter(self.metrics)
        start = time.perf_counter()
        for batch_idx, batch in enumerate(loader):
            inputs, targets = self._to_device(batch)
            lrs = [float(g["lr"]) for g in self.optimizer.param_groups]  # used by this step
            self.optimizer.zero_grad()        # a. clear the last step's grads (they accumulate)
            outputs = self.model(inputs)      # b. forward: autograd records the graph
            loss, losses = self._loss(outputs, targets)   # c. the (weighted total) loss
            if self.stop_on_nan and not math.isfinite(float(loss)):
                raise NonFiniteLossError(
                    f"the training loss is {float(loss)} at epoch {self.epoch + 1}, batch "
                    f"{batch_idx + 1} (step {self.global_step + 1}); training stopped before "
                    "that step, checkpoints keep the last completed epoch (try a lower "
                    "learning rate)")
            loss.backward()                   # d. backward: every parameter's .grad is filled
            grad_norm = None
            if self.grad_clip is not None:    # e. rescale all grads so their norm <= grad_clip
                grad_norm = float(clip_grad_norm_(self.model.parameters(), self.grad_clip))
            self.optimizer.step()             # f. update the parameters from their grads
            if self.scheduler is not None and self.scheduler_step == "batch":
                self.scheduler.step()         # g. per-step schedules (OneCycleLR) move now
            self.global_step += 1
            n = _batch_size(targets)
            meter.update(n, losses, outputs, targets)
            self._fire("on_batch_end", batch_idx,
                       {"loss": losses["loss"].item(), "batch_size": n, "lr": lrs,
                        "grad_norm": grad_norm, "step": self.global_step})
        result = meter.compute()
        result["throughput"] = meter.count / max(time.perf_counter() - start, 1e-9)
        return result

    def evaluate(self, loader):
        """Mean loss and metrics over `loader` in eval mode under no_grad:
        {'loss': ..., 'loss_<name>': ... (dict losses), '<metric>': ...}."""
        was_training = self.model.training
        self.model.eval()
        meter = _Meter(self.metrics)
        with no_grad():
            for batch in loader:
                inputs, targets = self._to_device(batch)
                outputs = self.model(inputs)
                _, losses = self._loss(outputs, targets)
                meter.update(_batch_size(targets), losses, outputs, targets)
        self.model.train(was_training)
        return meter.compute()

    def predict(self, loader):
        """The model's outputs over `loader` (batches of `(inputs, ...)` or bare inputs),
        in eval mode under no_grad, concatenated along dim 0."""
        was_training = self.model.training
        self.model.eval()
        outputs = []
        with no_grad():
            for batch in loader:
                inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
                outputs.append(self.model(self._to_device(inputs)))
        self.model.train(was_training)
        return cat(outputs)

    # ---- pieces of the loop ------------------------------------------------------------------
    def _loss(self, outputs, targets):
        """(total loss to backpropagate, {'loss': total, 'loss_<name>': each of a dict})."""
        out = self.loss_fn(outputs, targets)
        if not isinstance(out, dict):
            return out, {"loss": out}
        unknown = set(self.loss_weights) - set(out)
        if unknown:
            raise ValueError(f"loss_weights names {sorted(unknown)} but loss_fn returned the "
                             f"losses {list(out)}")
        total = sum(self.loss_weights.get(name, 1.0) * value for name, value in out.items())
        return total, {"loss": total, **{f"loss_{name}": v for name, v in out.items()}}

    def _to_device(self, batch):
        if isinstance(batch, Tensor):
            return batch.to(self.device)
        if isinstance(batch, (tuple, list)):
            return type(batch)(self._to_device(b) for b in batch)
        if isinstance(batch, dict):
            return {k: self._to_device(v) for k, v in batch.items()}
        return batch

    def _fire(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    # ---- checkpoints -------------------------------------------------------------------------
    def state_dict(self):
        """Everything a resumed run needs, as glasstorch.save can store it without pickling."""
        generator = getattr(self.train_loader, "generator", None)
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "epoch": self.epoch,
            "global_step": self.global_step,
            "history": [dict(entry) for entry in self.history],
            # the global generator drives shuffling and dropout; a loader's own generator, if
            # any, replaces it for shuffling; Python's `random` is used by some transforms
            "rng_state": {"glasstorch": get_rng_state(), "python": _pyrandom.getstate(),
                          "loader": generator.get_state() if generator is not None else None},
            "callbacks": {key: cb.state_dict() for key, cb in self._callback_keys()},
        }

    def load_state_dict(self, state):
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.global_step = state["epoch"], state["global_step"]
        self.history = History(state["history"])
        rng = state["rng_state"]
        set_rng_state(rng["glasstorch"])
        _pyrandom.setstate(rng["python"])
        generator = getattr(self.train_loader, "generator", None)
        if generator is not None and rng["loader"] is not None:
            generator.set_state(rng["loader"])
        for key, cb in self._callback_keys():
            if key in state["callbacks"]:
                cb.load_state_dict(state["callbacks"][key])

    def _callback_keys(self):
        """('EarlyStopping', cb), ('EarlyStopping.1', cb2), ...: stable names for checkpoints."""
        seen = {}
        for cb in self.callbacks:
            name = type(cb).__name__
            seen[name] = seen.get(name, -1) + 1
            yield (f"{name}.{seen[name]}" if seen[name] else name), cb


class _Meter:
    """Averages an epoch's per-batch losses and metric functions, weighted by batch size;
    metric objects (reset/update/compute) accumulate themselves."""

    def __init__(self, metrics):
        self.metrics, self.sums, self.count = metrics, {}, 0
        for metric in metrics.values():
            if hasattr(metric, "update"):
                metric.reset()

    def update(self, n, losses, outputs, targets):
        self.count += n
        for name, value in losses.items():
            self.sums[name] = self.sums.get(name, 0.0) + value.item() * n
        with no_grad():
            for name, metric in self.metrics.items():
                if hasattr(metric, "update"):
                    metric.update(outputs, targets)
                else:
                    value = float(metric(outputs, targets))
                    self.sums[name] = self.sums.get(name, 0.0) + value * n

    def compute(self):
        out = {name: (s / self.count if self.count else math.nan) for name, s in self.sums.items()}
        for name, metric in self.metrics.items():
            if hasattr(metric, "update"):
                out[name] = _plain(metric.compute())
        return out


def _plain(value):
    """A metric result as Python numbers (history, loggers and checkpoints stay pickle-free)."""
    if isinstance(value, Tensor):
        return value.item() if value.numel() == 1 else value.tolist()
    return value.item() if hasattr(value, "item") else value


def _batch_size(x):
    if isinstance(x, Tensor):
        return x.shape[0] if x.dim() else 1
    if isinstance(x, (tuple, list)):
        return _batch_size(x[0])
    if isinstance(x, dict):
        return _batch_size(next(iter(x.values())))
    return len(x)
