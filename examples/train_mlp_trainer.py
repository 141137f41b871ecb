"""An MLP on a synthetic 3-class problem (two interleaved spirals plus a blob), trained with
glasstorch.train.Trainer and its callbacks.

The Trainer runs the loop of examples/linear_regression.py (zero_grad, forward, loss, backward,
step); read Trainer.fit and Trainer.train_epoch in glasstorch/train/trainer.py to see every
step. Around it: a validation split, an accuracy metric, a cosine lr schedule, gradient
clipping, early stopping, checkpoints (resumable with `fit(..., resume_from=...)`), a progress
line per epoch and a CSV log.

    python examples/train_mlp_trainer.py
"""
import math
import os
import tempfile

import glasstorch as torch
from glasstorch import nn
from glasstorch.train import (Accuracy, CSVLogger, EarlyStopping, ModelCheckpoint, ProgressBar,
                              Trainer)
from glasstorch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)

# ---- the data: 900 points in 2-D, 3 classes ----------------------------------------------
n = 300
t = torch.rand(n) * 3 * math.pi                               # angle along each spiral
spiral_a = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / 5
spiral_b = -spiral_a                                          # the same spiral turned by 180°
blob = torch.randn(n, 2) * 0.3 + torch.tensor([2.5, 2.5])
X = torch.cat([spiral_a, spiral_b, blob]) + 0.05 * torch.randn(3 * n, 2)
y = torch.cat([torch.zeros(n), torch.ones(n), torch.full((n,), 2.0)]).long()
train_set, val_set = random_split(TensorDataset(X, y), [720, 180])
train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
val_loader = DataLoader(val_set, batch_size=180)

# ---- the model, optimizer and schedule --------------------------------------------------
model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                      nn.Linear(64, 3))
epochs = 40
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)

# ---- train -------------------------------------------------------------------------------
log_dir = tempfile.mkdtemp(prefix="glasstorch-mlp-")
trainer = Trainer(
    model, optimizer, nn.CrossEntropyLoss(),
    scheduler=scheduler,                   # stepped once per epoch, after validation
    grad_clip=5.0,                         # total gradient norm at most 5
    metrics={"acc": Accuracy()},           # logged as train_acc and val_acc
    callbacks=[
        EarlyStopping(monitor="val_loss", patience=8, restore_best_weights=True),
        ModelCheckpoint(os.path.join(log_dir, "checkpoints"), monitor="val_acc", mode="max"),
        CSVLogger(os.path.join(log_dir, "history.csv")),
        ProgressBar(use_tqdm=False),       # one text line per epoch (True: a tqdm bar)
    ],
    seed=0,
)
history = trainer.fit(train_loader, val_loader, epochs=epochs)

# ---- the history: one dict per epoch --------------------------------------------------------
print()
print(f"{'epoch':>5} {'train_loss':>10} {'val_loss':>9} {'train_acc':>9} {'val_acc':>8} "
      f"{'lr':>9} {'samples/s':>9}")
for e in history:
    m = e["metrics"]
    print(f"{e['epoch']:>5} {e['train_loss']:>10.4f} {e['val_loss']:>9.4f} "
          f"{m['train_acc']:>9.3f} {m['val_acc']:>8.3f} {e['lr']:>9.5f} {e['throughput']:>9.0f}")

final = trainer.evaluate(val_loader)       # the restored best weights
print(f"\nbest weights restored: val_loss {final['loss']:.4f}, val_acc {final['acc']:.3f}")
print(f"checkpoints and history.csv in {log_dir}")
