"""Trainer (glasstorch/train/trainer.py): convergence, history, scheduler stepping and gradient
clipping against the same loop written in torch, train/eval modes, multi-loss, predict."""
import numpy as np
import pytest
import torch

import glasstorch as gt
import glasstorch.nn.functional as F
from glasstorch.train import Accuracy, Callback, LearningRateMonitor, Trainer
from glasstorch.utils.data import DataLoader, TensorDataset


def regression_data(n=64, seed=0):
    g = gt.Generator().manual_seed(seed)
    X = gt.randn(n, 3, generator=g)
    y = X @ gt.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    return X, y


def classification_data(n=128, seed=0):
    g = gt.Generator().manual_seed(seed)
    X = gt.randn(n, 2, generator=g)
    y = (X[:, 0] - X[:, 1] > 0).long()
    return X, y


def loader(X, y, batch_size=16, shuffle=False):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle)


def to_torch(module_gt, module_t):
    """Copy glasstorch weights into the same-shaped torch module."""
    with torch.no_grad():
        for (_, p), (_, q) in zip(module_gt.named_parameters(), module_t.named_parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy().copy()))


# ---- the loop learns ---------------------------------------------------------------------
def test_linear_regression_converges():
    gt.manual_seed(0)
    X, y = regression_data()
    model = gt.nn.Linear(3, 1)
    trainer = Trainer(model, gt.optim.SGD(model.parameters(), lr=0.1), F.mse_loss, seed=0)
    history = trainer.fit(loader(X, y, shuffle=True), epochs=30)
    assert history[-1]["train_loss"] < 1e-6 < history[0]["train_loss"]
    np.testing.assert_allclose(model.weight.detach().numpy(), [[1.0, -2.0, 0.5]], atol=1e-3)
    np.testing.assert_allclose(model.bias.detach().numpy(), [0.3], atol=1e-3)


@pytest.mark.parametrize("metric", [Accuracy(), lambda out, t: (out.argmax(1) == t).float().mean()])
def test_classification_converges(metric):
    gt.manual_seed(0)
    X, y = classification_data()
    model = gt.nn.Linear(2, 2)
    trainer = Trainer(model, gt.optim.SGD(model.parameters(), lr=0.5), F.cross_entropy,
                      metrics={"acc": metric}, seed=0)
    history = trainer.fit(loader(X, y, shuffle=True), loader(X, y, 64), epochs=15)
    assert history[-1]["metrics"]["val_acc"] >= 0.97
    assert history[-1]["val_loss"] < history[0]["val_loss"]


# ---- history -----------------------------------------------------------------------------
def test_history_contents():
    X, y = classification_data(48)
    model = gt.nn.Linear(2, 2)
    opt = gt.optim.SGD(model.parameters(), lr=0.1)
    sched = gt.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    trainer = Trainer(model, opt, F.cross_entropy, scheduler=sched, seed=0,
                      metrics={"acc": Accuracy()})
    history = trainer.fit(loader(X, y), loader(X, y), epochs=3)
    assert [e["epoch"] for e in history] == [1, 2, 3]
    assert list(history[0]) == ["epoch", "train_loss", "val_loss", "metrics", "lr", "time",
                                "throughput"]
    assert set(history[0]["metrics"]) == {"train_acc", "val_acc"}
    assert history.column("lr") == [0.1, 0.05, 0.025]     # the lr each epoch started with
    assert all(e["time"] > 0 and e["throughput"] > 0 for e in history)
    assert history.column("val_acc") == [e["metrics"]["val_acc"] for e in history]
    assert trainer.history is history and trainer.epoch == 3 and trainer.global_step == 9
    # the validation loss is evaluate()'s loss on the final weights
    assert trainer.evaluate(loader(X, y))["loss"] == pytest.approx(history[-1]["val_loss"])
    assert Trainer(model, opt, F.cross_entropy).fit(loader(X, y))[0]["val_loss"] is None


def test_train_loss_is_the_batch_size_weighted_mean():
    # 20 samples in batches of 8: 8, 8, 4; lr=0 keeps the weights fixed
    X, y = regression_data(20)
    model = gt.nn.Linear(3, 1)
    trainer = Trainer(model, gt.optim.SGD(model.parameters(), lr=0.0), F.mse_loss)
    history = trainer.fit(loader(X, y, batch_size=8), epochs=1)
    with gt.no_grad():
        full = F.mse_loss(model(X), y).item()
    assert history[0]["train_loss"] == pytest.approx(full, rel=1e-6)


def test_seed_makes_runs_repeat():
    def run():
        gt.manual_seed(3)
        model = gt.nn.Sequential(gt.nn.Linear(3, 8), gt.nn.Dropout(0.3), gt.nn.Linear(8, 1))
        X, y = regression_data()
        trainer = Trainer(model, gt.optim.Adam(model.parameters(), lr=0.01), F.mse_loss, seed=4)
        return trainer.fit(loader(X, y, shuffle=True), epochs=3).column("train_loss")
    assert run() == run()


# ---- the loop equals the same loop written in torch ------------------------------------------
SCHEDULERS = [
    ("epoch", lambda m, o: m.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)),
    ("epoch", lambda m, o: m.optim.lr_scheduler.MultiStepLR(o, milestones=[1, 3], gamma=0.1)),
    ("epoch", lambda m, o: m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=3)),
    ("batch", lambda m, o: m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    ("batch", lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=20)),
    ("batch", lambda m, o: m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7)),
]


@pytest.mark.parametrize("step, make", SCHEDULERS)
def test_scheduler_lrs_equal_torch(step, make):
    X, y = regression_data(40)                     # 5 batches x 4 epochs = 20 steps
    model = gt.nn.Linear(3, 1)
    opt = gt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    monitor = LearningRateMonitor()
    trainer = Trainer(model, opt, F.mse_loss, scheduler=make(gt, opt), scheduler_step=step,
                      callbacks=[monitor])
    history = trainer.fit(loader(X, y, batch_size=8), epochs=4)

    opt_t = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched_t = make(torch, opt_t)
    expected = []
    for _ in range(4):
        for _ in range(5):
            expected.append([g["lr"] for g in opt_t.param_groups])
            opt_t.step()
            if step == "batch":
                sched_t.step()
        if step == "epoch":
            sched_t.step()
    assert monitor.lrs == expected
    assert monitor.steps == list(range(1, 21))
    assert history.column("lr") == [expected[i][0] for i in range(0, 20, 5)]


@pytest.mark.parametrize("with_val", [True, False])
def test_reduce_lr_on_plateau_gets_the_validation_loss(with_val):
    seen = []

    class Spy(gt.optim.lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics, epoch=None):
            seen.append(metrics)
            super().step(metrics)

    X, y = regression_data(32)
    model = gt.nn.Linear(3, 1)
    opt = gt.optim.SGD(model.parameters(), lr=0.05)
    trainer = Trainer(model, opt, F.mse_loss, scheduler=Spy(opt, patience=0))
    history = trainer.fit(loader(X, y), loader(X[:8], y[:8]) if with_val else None, epochs=3)
    assert seen == history.column("val_loss" if with_val else "train_loss")


def test_grad_clipping_equals_torch():
    X, y = regression_data(32)
    model = gt.nn.Linear(3, 2)
    model_t = torch.nn.Linear(3, 2)
    to_torch(model, model_t)
    norms = []

    class GradNorms(Callback):
        def on_batch_end(self, trainer, batch_idx, logs):
            clipped = gt.nn.utils.get_total_norm([p.grad for p in trainer.model.parameters()])
            norms.append((logs["grad_norm"], clipped.item()))

    yy = gt.cat([y, -y], 1)
    trainer = Trainer(model, gt.optim.SGD(model.parameters(), lr=0.1), F.mse_loss,
                      grad_clip=0.5, callbacks=[GradNorms()])
    trainer.fit(loader(X, yy, batch_size=8), epochs=2)

    opt_t = torch.optim.SGD(model_t.parameters(), lr=0.1)
    Xt, yt = torch.from_numpy(X.numpy()), torch.from_numpy(yy.numpy())
    norms_t = []
    for _ in range(2):
        for i in range(0, 32, 8):
            opt_t.zero_grad()
            torch.nn.functional.mse_loss(model_t(Xt[i:i + 8]), yt[i:i + 8]).backward()
            norms_t.append(torch.nn.utils.clip_grad_norm_(model_t.parameters(), 0.5).item())
            opt_t.step()
    np.testing.assert_allclose([n for n, _ in norms], norms_t, rtol=1e-5)
    assert norms_t[0] > 0.5                                   # clipping did happen...
    assert all(c <= 0.5 + 1e-5 for _, c in norms)            # ...and the grads were rescaled
    for p, q in zip(model.parameters(), model_t.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), atol=1e-6)


# ---- modes, multi-loss, evaluate/predict ----------------------------------------------------
class ModeRecorder(gt.nn.Module):
    """A Linear that records (training, grad enabled) at each forward."""

    def __init__(self):
        super().__init__()
        self.linear, self.calls = gt.nn.Linear(3, 1), []

    def forward(self, x):
        self.calls.append((self.training, gt.is_grad_enabled()))
        return self.linear(x)


def test_train_mode_for_training_eval_mode_and_no_grad_for_validation():
    X, y = regression_data(16)
    model = ModeRecorder()
    trainer = Trainer(model, gt.optim.SGD(model.parameters(), lr=0.1), F.mse_loss)
    trainer.fit(loader(X, y, batch_size=8), loader(X, y, batch_size=16), epochs=2)
    assert model.calls == [(True, True), (True, True), (False, False)] * 2
    model.calls.clear()
    trainer.predict(loader(X, y, batch_size=8))
    trainer.evaluate(loader(X, y, batch_size=16))
    assert model.calls == [(False, False)] * 3 and model.training   # the mode is restored


def test_predict_concatenates_eval_mode_outputs():
    gt.manual_seed(0)
    X, y = regression_data(20)
    model = gt.nn.Sequential(gt.nn.Linear(3, 4), gt.nn.Dropout(0.5), gt.nn.Linear(4, 2))
    trainer = Trainer(model, gt.optim.SGD(model.parameters(), lr=0.1), F.mse_loss)
    out = trainer.predict(DataLoader(TensorDataset(X), batch_size=8))
    model.eval()
    with gt.no_grad():
        expected = model(X)
    assert out.shape == (20, 2) and not out.requires_grad
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)
    np.testing.assert_allclose(trainer.predict(loader(X, y, 8)).numpy(), expected.numpy(),
                               rtol=1e-6)


def test_dict_losses_are_weighted_and_recorded():
    X, y = regression_data(24)
    model = gt.nn.Linear(3, 1)

    def losses(out, target):
        return {"mse": F.mse_loss(out, target), "l1": F.l1_loss(out, target)}

    trainer = Trainer(model, gt.optim.SGD(model.parameters(), lr=0.0), losses,
                      loss_weights={"l1": 0.5})
    entry = trainer.fit(loader(X, y, batch_size=8), loader(X, y, batch_size=24), epochs=1)[0]
    m = entry["metrics"]
    assert set(m) == {"train_loss_mse", "train_loss_l1", "val_loss_mse", "val_loss_l1"}
    assert entry["train_loss"] == pytest.approx(m["train_loss_mse"] + 0.5 * m["train_loss_l1"])
    assert entry["val_loss"] == pytest.approx(m["val_loss_mse"] + 0.5 * m["val_loss_l1"])
    bad = Trainer(model, gt.optim.SGD(model.parameters(), lr=0.0), losses,
                  loss_weights={"kl": 1.0})
    with pytest.raises(ValueError, match="kl"):
        bad.fit(loader(X, y), epochs=1)


@pytest.mark.parametrize("kwargs, match", [
    ({"scheduler_step": "step"}, "scheduler_step"),
    ({"grad_clip": 0}, "grad_clip"),
    ({"scheduler": "plateau", "scheduler_step": "batch"}, "ReduceLROnPlateau"),
])
def test_bad_arguments(kwargs, match):
    model = gt.nn.Linear(3, 1)
    opt = gt.optim.SGD(model.parameters(), lr=0.1)
    if kwargs.get("scheduler") == "plateau":
        kwargs["scheduler"] = gt.optim.lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match=match):
        Trainer(model, opt, F.mse_loss, **kwargs)


# ---- callbacks see the loop ------------------------------------------------------------------
def test_hook_order_and_stop_training():
    calls = []

    class Recorder(Callback):
        def on_fit_start(self, trainer):
            calls.append("fit_start")

        def on_epoch_start(self, trainer, epoch):
            calls.append(f"epoch_start {epoch}")

        def on_batch_end(self, trainer, batch_idx, logs):
            calls.append(f"batch {batch_idx}")

        def on_epoch_end(self, trainer, epoch, logs):
            calls.append(f"epoch_end {epoch}")
            trainer.stop_training = epoch == 2

        def on_fit_end(self, trainer):
            calls.append("fit_end")

    X, y = regression_data(16)
    model = gt.nn.Linear(3, 1)
    trainer = Trainer(model, gt.optim.SGD(model.parameters(), lr=0.1), F.mse_loss,
                      callbacks=[Recorder()])
    history = trainer.fit(loader(X, y, batch_size=8), epochs=5)
    assert len(history) == 2
    assert calls == ["fit_start", "epoch_start 1", "batch 0", "batch 1", "epoch_end 1",
                     "epoch_start 2", "batch 0", "batch 1", "epoch_end 2", "fit_end"]
