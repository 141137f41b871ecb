"""Callbacks (glasstorch/train/callbacks.py, progress.py): early stopping on scripted losses,
checkpoints and exact resuming, loggers, the progress bar with and without tqdm."""
import csv
import io
import json
import os
import struct
import sys

import numpy as np
import pytest

import glasstorch as gt
import glasstorch.nn.functional as F
from glasstorch.train import (Callback, CSVLogger, EarlyStopping, JSONLinesLogger,
                              LearningRateMonitor, ModelCheckpoint, ProgressBar,
                              TensorBoardLogger, Trainer, format_logs)
from glasstorch.utils.data import DataLoader, TensorDataset

g = gt.Generator().manual_seed(0)
X = gt.randn(48, 4, generator=g)
Y = (X[:, 0] + X[:, 1] - X[:, 2] > 0).long() + (X[:, 3] > 1).long()   # 3 classes


def mlp(seed):
    gt.manual_seed(seed)
    return gt.nn.Sequential(gt.nn.Linear(4, 8), gt.nn.ReLU(), gt.nn.Dropout(0.25),
                            gt.nn.Linear(8, 3))


def loader(batch_size=16, shuffle=False, generator=None):
    return DataLoader(TensorDataset(X, Y), batch_size=batch_size, shuffle=shuffle,
                      generator=generator)


def trainer_for(model, callbacks=(), lr=0.1, **kwargs):
    return Trainer(model, gt.optim.SGD(model.parameters(), lr=lr), F.cross_entropy,
                   callbacks=callbacks, **kwargs)


class Inject(Callback):
    """Replaces the epoch's val_loss by a scripted value (before the callbacks that read it)."""

    def __init__(self, values):
        self.values = values

    def on_epoch_end(self, trainer, epoch, logs):
        logs["val_loss"] = self.values[epoch - 1]


class Snapshots(Callback):
    """Copies of the weights after each epoch."""

    def __init__(self):
        self.weights = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.weights.append({k: v.numpy().copy() for k, v in trainer.model.state_dict().items()})


def assert_weights_equal(model, weights):
    state = model.state_dict()
    assert set(state) == set(weights)
    for k, v in weights.items():
        np.testing.assert_array_equal(state[k].numpy(), v.numpy() if hasattr(v, "numpy") else v)


# ---- EarlyStopping ---------------------------------------------------------------------------
@pytest.mark.parametrize("values, mode, patience, min_delta, stopped, best", [
    ([1.0, 0.8, 0.9, 0.85, 0.95, 0.7], "min", 2, 0.0, 4, 2),
    ([1.0, 0.8, 0.79, 0.78, 0.77, 0.7], "min", 2, 0.05, 4, 2),   # too small to count
    ([1.0, 0.8, 0.8, 0.7, 0.6, 0.5], "min", 1, 0.0, 3, 2),       # equal is no improvement
    ([0.1, 0.5, 0.4, 0.3, 0.9, 0.9], "max", 2, 0.0, 4, 2),
    ([3.0, 2.0, 1.0, 0.5, 0.4, 0.3], "min", 1, 0.0, 0, 6),       # never stops
])
def test_early_stopping_on_scripted_losses(values, mode, patience, min_delta, stopped, best):
    model = mlp(0)
    snaps = Snapshots()
    stop = EarlyStopping(mode=mode, patience=patience, min_delta=min_delta,
                         restore_best_weights=True)
    history = trainer_for(model, [Inject(values), snaps, stop]).fit(loader(), epochs=6)
    assert len(history) == (stopped or 6)
    assert stop.stopped_epoch == stopped and stop.best_epoch == best
    assert history.column("val_loss") == values[:len(history)]
    assert_weights_equal(model, snaps.weights[best - 1])      # the best epoch's weights are back


def test_early_stopping_keeps_last_weights_unless_asked():
    model = mlp(0)
    snaps = Snapshots()
    trainer_for(model, [Inject([1.0, 2.0, 3.0]), snaps, EarlyStopping(patience=2)]).fit(
        loader(), epochs=3)
    assert_weights_equal(model, snaps.weights[-1])


def test_monitor_missing_raises():
    with pytest.raises(ValueError, match="val_loss.*val_loader"):
        trainer_for(mlp(0), [EarlyStopping()]).fit(loader(), epochs=1)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="lowest")


def test_early_stopping_on_a_metric():
    stop = EarlyStopping(monitor="train_acc", mode="max", patience=1)
    history = trainer_for(mlp(0), [stop], lr=0.0,
                          metrics={"acc": lambda out, t: (out.argmax(1) == t).float().mean()}
                          ).fit(loader(), epochs=5)
    assert len(history) == 2       # lr=0: the accuracy never changes


# ---- ModelCheckpoint and resuming ------------------------------------------------------------
def test_checkpoint_best_and_last(tmp_path):
    model = mlp(0)
    snaps = Snapshots()
    ckpt = ModelCheckpoint(tmp_path / "ckpt")
    # ModelCheckpoint comes first in the list but runs last: it sees the injected values
    trainer = trainer_for(model, [ckpt, Inject([0.5, 0.3, 0.4]), snaps])
    trainer.fit(loader(), epochs=3)
    best, last = gt.load(tmp_path / "ckpt" / "best.pt"), gt.load(ckpt.last_path)
    assert ckpt.best_path == str(tmp_path / "ckpt" / "best.pt")
    assert set(last) == {"model", "optimizer", "scheduler", "epoch", "global_step", "history",
                         "rng_state", "callbacks"}
    assert (best["epoch"], last["epoch"]) == (2, 3) and ckpt.best_epoch == 2
    assert [e["val_loss"] for e in last["history"]] == [0.5, 0.3, 0.4]
    assert last["callbacks"]["ModelCheckpoint"]["best"] == 0.3
    fresh = mlp(1)
    fresh.load_state_dict(best["model"])
    assert_weights_equal(fresh, snaps.weights[1])
    fresh.load_state_dict(last["model"])
    assert_weights_equal(fresh, snaps.weights[2])
    assert sorted(os.listdir(tmp_path / "ckpt")) == ["best.pt", "last.pt"]   # no temp files left


class Crash(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_start(self, trainer, epoch):
        if epoch == self.epoch:
            raise RuntimeError("simulated crash")


@pytest.mark.parametrize("step, own_generator", [("epoch", False), ("batch", True)])
def test_resume_equals_uninterrupted_run(tmp_path, step, own_generator):
    """A run that crashes in epoch 4 and resumes from last.pt ends exactly like one that never
    stopped: dropout, shuffling, Adam's moments, the schedule and EarlyStopping all continue."""
    def run(dirpath, crash=None, resume=False):
        model = mlp(123 if resume else 0)          # a resumed run starts from other weights
        opt = gt.optim.Adam(model.parameters(), lr=0.01)
        sched = (gt.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5) if step == "epoch"
                 else gt.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=18))
        stop = EarlyStopping(patience=10, restore_best_weights=True)
        monitor = LearningRateMonitor()
        callbacks = [stop, monitor, ModelCheckpoint(dirpath)] + ([Crash(crash)] if crash else [])
        trainer = Trainer(model, opt, F.cross_entropy, scheduler=sched, scheduler_step=step,
                          callbacks=callbacks, seed=7 if resume else 1,
                          metrics={"acc": lambda out, t: (out.argmax(1) == t).float().mean()})
        generator = gt.Generator().manual_seed(5) if own_generator else None
        train, val = loader(shuffle=True, generator=generator), loader(batch_size=48)
        history = trainer.fit(train, val, epochs=6,
                              resume_from=os.path.join(dirpath, "last.pt") if resume else None)
        return model, opt, history, stop, monitor

    model_a, opt_a, history_a, stop_a, monitor_a = run(tmp_path / "a")
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(tmp_path / "b", crash=4)
    model_b, opt_b, history_b, stop_b, monitor_b = run(tmp_path / "b", resume=True)

    def values(history):
        return [(e["epoch"], e["train_loss"], e["val_loss"], e["metrics"], e["lr"])
                for e in history]
    assert values(history_b) == values(history_a)
    assert len(history_a) == 6 and history_a[0]["train_loss"] != history_a[-1]["train_loss"]
    assert_weights_equal(model_b, model_a.state_dict())
    for pa, pb in zip(opt_a.state.values(), opt_b.state.values()):
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(pa[key].numpy(), pb[key].numpy())
    assert (stop_b.best, stop_b.best_epoch, stop_b.wait) == (stop_a.best, stop_a.best_epoch,
                                                             stop_a.wait)
    assert monitor_b.lrs == monitor_a.lrs and len(monitor_a.lrs) == 18


def test_resume_rewrites_the_logs(tmp_path):
    csv_path, jsonl_path = tmp_path / "log.csv", tmp_path / "log.jsonl"
    first = trainer_for(mlp(0), [CSVLogger(csv_path), JSONLinesLogger(jsonl_path),
                                 ModelCheckpoint(tmp_path, save_best=False)])
    first.fit(loader(), epochs=2)
    second = trainer_for(mlp(0), [CSVLogger(csv_path), JSONLinesLogger(jsonl_path)])
    history = second.fit(loader(), epochs=3, resume_from=tmp_path / "last.pt")
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert [float(r["train_loss"]) for r in rows] == history.column("train_loss")
    with open(jsonl_path) as f:
        assert [json.loads(line) for line in f] == list(history)


# ---- loggers ---------------------------------------------------------------------------------
def test_csv_and_jsonlines_loggers(tmp_path):
    metric = {"acc": lambda out, t: (out.argmax(1) == t).float().mean()}
    history = trainer_for(mlp(0), [CSVLogger(tmp_path / "h.csv"),
                                   JSONLinesLogger(tmp_path / "h.jsonl")], metrics=metric
                          ).fit(loader(), loader(48), epochs=3)
    with open(tmp_path / "h.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "train_loss", "val_loss", "train_acc", "val_acc", "lr",
                             "time", "throughput"]
    assert [float(r["val_acc"]) for r in rows] == history.column("val_acc")
    assert [float(r["time"]) for r in rows] == history.column("time")
    with open(tmp_path / "h.jsonl") as f:
        lines = [json.loads(line) for line in f]
    assert lines == list(history) and lines[0]["metrics"]["train_acc"] > 0


def read_scalars(log_dir):
    """{tag: [(step, value)]} from the event files (TFRecord framing: length, crc, data, crc)."""
    from tensorboardX.proto import event_pb2
    out = {}
    for name in os.listdir(log_dir):
        with open(os.path.join(log_dir, name), "rb") as f:
            data = f.read()
        i = 0
        while i < len(data):
            (n,) = struct.unpack("<Q", data[i:i + 8])
            event = event_pb2.Event.FromString(data[i + 12:i + 12 + n])
            i += 12 + n + 4
            for v in event.summary.value:
                out.setdefault(v.tag, []).append((event.step, v.simple_value))
    return out


def test_tensorboard_logger(tmp_path):
    pytest.importorskip("tensorboardX")
    metric = {"acc": lambda out, t: (out.argmax(1) == t).float().mean()}
    history = trainer_for(mlp(0), [TensorBoardLogger(tmp_path, log_every_n_steps=2)],
                          metrics=metric).fit(loader(), loader(48), epochs=2)
    scalars = read_scalars(tmp_path)
    assert set(scalars) == {"train_loss", "val_loss", "train_acc", "val_acc", "lr", "time",
                            "throughput", "batch/loss"}
    for key in ("train_loss", "val_acc", "lr"):
        assert scalars[key] == [(e["epoch"], pytest.approx(history.column(key)[i], rel=1e-6))
                                for i, e in enumerate(history)]
    assert [s for s, _ in scalars["batch/loss"]] == [2, 4, 6]


def test_tensorboard_logger_without_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"glasstorch\[tensorboard\]"):
        trainer_for(mlp(0), [TensorBoardLogger("unused")]).fit(loader(), epochs=1)


def test_learning_rate_monitor_records_every_group():
    model = mlp(0)
    opt = gt.optim.SGD([{"params": model[0].parameters()},
                        {"params": model[3].parameters(), "lr": 0.01}], lr=0.1)
    monitor = LearningRateMonitor()
    sched = gt.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    Trainer(model, opt, F.cross_entropy, scheduler=sched, callbacks=[monitor]).fit(loader(),
                                                                                    epochs=2)
    assert monitor.lrs == [[0.1, 0.01]] * 3 + [[0.05, 0.005]] * 3


# ---- ProgressBar -----------------------------------------------------------------------------
def test_progress_bar_with_tqdm():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    trainer_for(mlp(0), [ProgressBar(file=out)]).fit(loader(), loader(48), epochs=2)
    text = out.getvalue()
    assert "epoch 1/2" in text and "epoch 2/2" in text and "3/3" in text
    assert "val_loss=" in text and "samples/s=" in text


@pytest.mark.parametrize("hide_tqdm", [False, True])
def test_progress_bar_text_fallback(monkeypatch, hide_tqdm):
    if hide_tqdm:                                 # as if tqdm were not installed
        monkeypatch.setitem(sys.modules, "tqdm", None)
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    out = io.StringIO()
    bar = ProgressBar(file=out) if hide_tqdm else ProgressBar(use_tqdm=False, file=out)
    history = trainer_for(mlp(0), [bar]).fit(loader(), loader(48), epochs=2)
    lines = out.getvalue().splitlines()
    assert lines == [format_logs(e, 2) for e in history]
    assert lines[0].startswith("epoch 1/2  train_loss ") and "samples/s" in lines[0]


def test_progress_bar_requires_tqdm_when_asked(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match=r"glasstorch\[progress\]"):
        trainer_for(mlp(0), [ProgressBar(use_tqdm=True)]).fit(loader(), epochs=1)
