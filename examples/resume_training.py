"""Stop a training run and resume it later, exactly. A checkpoint holds three things: the model's
state_dict (weights), the optimizer's (Adam's moment estimates and step counts) and the random
number generator's state (it decides the next shuffles and dropout masks). torch.save writes
them to one file, torch.load reads them back.

The script trains a small dropout MLP on 1,000 bundled MNIST digits three times:
  1. 6 epochs straight;
  2. 3 epochs, then a checkpoint, as if the job were killed right after;
  3. a new model (other random weights, other RNG state) loads the checkpoint and trains
     epochs 4-6.
Runs 2 + 3 give the same losses as run 1, bit for bit.

    python examples/resume_training.py

Runs unchanged on PyTorch: replace the first import by `import torch`.
"""
import os
import tempfile

import glasstorch as torch                      # or: import torch
from glasstorch.vision.datasets import MNIST    # the bundled subset: no download

nn = torch.nn
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset

digits = MNIST(train=True)
x = (torch.tensor(digits.data.numpy()[:1000]).float() / 255 - 0.1307) / 0.3081
x = x.reshape(1000, 784)
y = torch.tensor(digits.targets.numpy()[:1000])


def new_run(seed):
    """A model, its optimizer and a shuffling loader; all their randomness comes from `seed`."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    # shuffle=True without a generator: each epoch's order is drawn from the global RNG
    loader = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True)
    return model, optimizer, loader


def train_epoch(model, optimizer, loader):
    """One pass over the data; returns the mean batch loss."""
    model.train()
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


def save_checkpoint(path, model, optimizer, epoch):
    # with an lr scheduler, add "scheduler": scheduler.state_dict() the same way
    torch.save({"epoch": epoch, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "rng": torch.get_rng_state()}, path)


def load_checkpoint(path, model, optimizer):
    """Restore what save_checkpoint wrote; returns the number of epochs already done."""
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    torch.set_rng_state(checkpoint["rng"])
    return checkpoint["epoch"]


epochs = 6

# 1. straight through
model, optimizer, loader = new_run(seed=0)
straight = [train_epoch(model, optimizer, loader) for _ in range(epochs)]

# 2. interrupted after 3 epochs
model, optimizer, loader = new_run(seed=0)
resumed = [train_epoch(model, optimizer, loader) for _ in range(3)]
path = os.path.join(tempfile.mkdtemp(prefix="glasstorch-resume-"), "checkpoint.pt")
save_checkpoint(path, model, optimizer, epoch=3)
del model, optimizer, loader                    # the job dies: nothing survives but the file

# 3. a new job picks up from the checkpoint
model, optimizer, loader = new_run(seed=1)      # other weights, other RNG state: overwritten
done = load_checkpoint(path, model, optimizer)
resumed += [train_epoch(model, optimizer, loader) for _ in range(done, epochs)]

print("epoch  straight    interrupted + resumed")
for epoch, (a, b) in enumerate(zip(straight, resumed), 1):
    print(f"{epoch:5d}  {a:.8f}  {b:.8f}{'   <- resumed' if epoch == done + 1 else ''}")
print("identical losses:", straight == resumed)
