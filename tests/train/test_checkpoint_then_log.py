"""metrics.jsonl never claims an epoch that last.pt does not hold: on a full disk the
checkpoint write fails first and the epoch is not logged."""
import errno
import json

import pytest

import glasstorch as torch
import glasstorch.train.callbacks as callbacks
from glasstorch.train import JSONLinesLogger, ModelCheckpoint, Trainer
from glasstorch.utils.data import DataLoader, TensorDataset


def test_full_disk_during_checkpoint_is_not_logged(tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    log = tmp_path / "metrics.jsonl"
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1),
                      lambda out, t: torch.nn.functional.mse_loss(out.squeeze(1), t),
                      callbacks=[JSONLinesLogger(log),
                                 ModelCheckpoint(tmp_path, monitor="train_loss")])
    real_save, calls = callbacks.save, {"n": 0}

    def save(obj, path):
        calls["n"] += 1
        if calls["n"] > 2:          # epoch 1 writes best.pt and last.pt; then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_save(obj, path)
    monkeypatch.setattr(callbacks, "save", save)
    loader = DataLoader(TensorDataset(torch.randn(16, 3), torch.randn(16)), batch_size=8)
    with pytest.raises(OSError, match="No space left"):
        trainer.fit(loader, epochs=3)
    logged = [json.loads(line)["epoch"] for line in log.read_text().splitlines()]
    assert logged == [1] and torch.load(tmp_path / "last.pt")["epoch"] == 1
