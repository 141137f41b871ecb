"""A training loss that turns NaN stops the run at once with a clear error, before that step
changes the parameters; the checkpoints keep the last completed epoch and still resume."""
import math

import pytest

import glasstorch as torch
from glasstorch.train import ModelCheckpoint, NonFiniteLossError, Trainer
from glasstorch.utils.data import DataLoader, TensorDataset


def _setup(tmp_path, blow_up_at):
    torch.manual_seed(0)
    X = torch.randn(64, 3)
    y = X @ torch.tensor([1.0, -2.0, 0.5])
    model = torch.nn.Linear(3, 1)
    calls = {"n": 0}

    def loss_fn(out, t):
        calls["n"] += 1
        loss = torch.nn.functional.mse_loss(out.squeeze(1), t)
        return loss * math.nan if calls["n"] == blow_up_at else loss
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), loss_fn,
                      callbacks=[ModelCheckpoint(tmp_path, monitor="train_loss")])
    return trainer, DataLoader(TensorDataset(X, y), batch_size=16), model


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer, loader, model = _setup(tmp_path, blow_up_at=4 * 2 + 3)   # epoch 3, batch 3
    with pytest.raises(NonFiniteLossError, match=r"loss is nan at epoch 3, batch 3 \(step 11\)"):
        trainer.fit(loader, epochs=5)
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())
    ck = torch.load(tmp_path / "last.pt")
    assert ck["epoch"] == 2
    trainer2, loader2, _ = _setup(tmp_path, blow_up_at=-1)
    history = trainer2.fit(loader2, epochs=3, resume_from=tmp_path / "last.pt")
    assert [h["epoch"] for h in history] == [1, 2, 3]


def test_nan_in_the_first_epoch_leaves_no_checkpoint_and_a_clear_error(tmp_path):
    trainer, loader, _ = _setup(tmp_path, blow_up_at=1)
    with pytest.raises(NonFiniteLossError, match="epoch 1, batch 1"):
        trainer.fit(loader, epochs=2)
    assert not (tmp_path / "last.pt").exists()


def test_stop_on_nan_false_keeps_going(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1),
                      lambda out, t: (out.squeeze(1) - t).sum() * math.nan, stop_on_nan=False)
    history = trainer.fit(DataLoader(TensorDataset(torch.randn(8, 3), torch.randn(8)),
                                     batch_size=4), epochs=1)
    assert math.isnan(history[-1]["train_loss"])
