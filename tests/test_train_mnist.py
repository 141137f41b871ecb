"""End-to-end proof of the training stack on the bundled MNIST subset (4,000 train / 1,000 test
images): nn layers, CrossEntropyLoss, SGD with momentum, a cosine lr schedule, TensorDataset +
DataLoader(shuffle=True), save/load of state_dicts and the RNG state, working together.

- slow: an MLP with dropout reaches >= 94% test accuracy, a LeNet CNN >= 96% (~3 s and ~6 s
  on 2 idle cores, under a minute or two on a loaded one; the recipes reach ~96% and ~97.5%
  with both glasstorch and torch);
- fast: the same models train a few dozen batches and their loss falls;
- resume: a run resumed from a checkpoint continues the uninterrupted run's loss curve exactly.
The models and the loop are those of examples/mnist_mlp.py and examples/mnist_lenet.py.
"""
import time

import pytest
import torch as _torch

import glasstorch as torch
from glasstorch import nn
from glasstorch.utils.data import DataLoader, TensorDataset
from glasstorch.vision.datasets import MNIST


def _normalized(train):
    """uint8 (N, 28, 28) images -> float32 (N, 1, 28, 28) with MNIST's mean/std; int64 labels."""
    ds = MNIST(train=train)
    x = (ds.data.float() / 255 - 0.1307) / 0.3081
    return x.unsqueeze(1), ds.targets


@pytest.fixture(scope="module")
def mnist():
    return _normalized(True) + _normalized(False)


def mlp(lib=torch, hidden=256, p=0.2):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(hidden, 10))


def lenet():
    """LeCun et al. (1998) as in d2l.ai 7.6, with ReLU and max pooling."""
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def train_epoch(model, loader, optimizer, loss_fn):
    """One pass over `loader`; returns the loss of every batch (Python floats)."""
    model.train()
    losses = []
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def fit(model, data, epochs, lr, batch_size=64):
    """SGD(momentum 0.9) with a cosine schedule over `epochs`; returns (test accuracy, seconds)."""
    x_train, y_train, x_test, y_test = data
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    start = time.perf_counter()
    for _ in range(epochs):
        train_epoch(model, loader, optimizer, nn.CrossEntropyLoss())
        scheduler.step()
    seconds = time.perf_counter() - start
    return accuracy(model, x_test, y_test), seconds


@pytest.mark.slow
@pytest.mark.ci            # seconds each: the default run (and CI) keeps them
@pytest.mark.parametrize("make, epochs, target", [
    (mlp, 15, 0.94),
    (lenet, 8, 0.96),
], ids=["mlp", "lenet"])
def test_reaches_target_test_accuracy(mnist, make, epochs, target):
    torch.manual_seed(0)
    acc, seconds = fit(make(), mnist, epochs, lr=0.05)
    print(f"{make.__name__}: test accuracy {acc:.4f} after {epochs} epochs, {seconds:.1f} s")
    assert acc >= target


@pytest.mark.parametrize("make", [mlp, lenet], ids=["mlp", "lenet"])
def test_loss_falls_in_a_short_run(mnist, make):
    torch.manual_seed(0)
    x, y = mnist[0][:1280], mnist[1][:1280]
    model = make()
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)   # steadier than SGD this early
    losses = train_epoch(model, loader, optimizer, nn.CrossEntropyLoss())
    losses += train_epoch(model, loader, optimizer, nn.CrossEntropyLoss())
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert losses[0] > 2.0      # ~ln(10) = 2.3 at the default init
    assert last < 0.5 * first


# ---- resuming from a checkpoint ----------------------------------------------------------------

def _run(lib, x, y, seed):
    """A small dropout MLP, its Adam optimizer and a shuffling loader, all seeded by `seed`."""
    lib.manual_seed(seed)
    model = mlp(lib, hidden=32, p=0.3)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(x, y), batch_size=32,
                                       shuffle=True)
    return model, optimizer, loader


@pytest.fixture
def one_torch_thread():
    """torch's thread pool spins for work: tiny batches on a loaded 2-core machine take 20x
    longer with 2 threads than with 1."""
    threads = _torch.get_num_threads()
    _torch.set_num_threads(1)
    yield
    _torch.set_num_threads(threads)


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("lib", [torch, _torch], ids=["glasstorch", "torch"])
@pytest.mark.parametrize("restore_optimizer, restore_rng, same", [
    (True, True, True),
    (False, True, False),      # Adam's moments and step count are part of the run
    (True, False, False),      # so are the shuffling order and the dropout masks
])
def test_resumed_run_continues_the_same_loss_curve(mnist, tmp_path, lib, restore_optimizer,
                                                   restore_rng, same):
    """Train 4 epochs straight; then 2 epochs, checkpoint, rebuild everything from another seed,
    load the checkpoint and train 2 more: the losses of all 4 epochs must be identical. Leaving
    out the optimizer state or the RNG state must change them (the test can see a difference)."""
    x = lib.tensor(mnist[0][:320].numpy())
    y = lib.tensor(mnist[1][:320].numpy())
    loss_fn = lib.nn.CrossEntropyLoss()

    model, optimizer, loader = _run(lib, x, y, seed=0)
    straight = [train_epoch(model, loader, optimizer, loss_fn) for _ in range(4)]

    model, optimizer, loader = _run(lib, x, y, seed=0)
    resumed = [train_epoch(model, loader, optimizer, loss_fn) for _ in range(2)]
    path = tmp_path / "checkpoint.pt"
    lib.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
              "rng": lib.get_rng_state()}, path)

    model, optimizer, loader = _run(lib, x, y, seed=1)   # other weights, other RNG stream
    checkpoint = lib.load(path)
    model.load_state_dict(checkpoint["model"])
    if restore_optimizer:
        optimizer.load_state_dict(checkpoint["optimizer"])
    if restore_rng:
        lib.set_rng_state(checkpoint["rng"])
    resumed += [train_epoch(model, loader, optimizer, loss_fn) for _ in range(2)]

    assert resumed[:2] == straight[:2]
    assert (resumed == straight) is same
