"""Small helpers the experiments share, written in plain PyTorch style (they take the framework as
`torch`, like the experiments): an MLP builder, a seeded minibatch loop, accuracy."""

__all__ = ["mlp", "minibatches", "train_epoch", "fit", "accuracy", "evaluate_loss"]


def mlp(torch, sizes, act="relu", batchnorm=False):
    """Linear layers of `sizes` (e.g. [784, 128, 10]) with `act` between them (not after the last);
    act: a name of nn ('relu', 'sigmoid', 'tanh', 'identity', ...) or an nn.Module class."""
    nn = torch.nn
    acts = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": nn.Identity,
            "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "gelu": nn.GELU, "prelu": nn.PReLU}
    make = acts[act] if isinstance(act, str) else act
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            if batchnorm:
                layers.append(nn.BatchNorm1d(sizes[i + 1]))
            layers.append(make())
    return nn.Sequential(*layers)


def minibatches(torch, n, batch_size, rng, shuffle=True, drop_last=False):
    """Index tensors of one epoch; the order comes from the NumPy Generator `rng`, so glasstorch
    and torch see the same batches."""
    order = rng.permutation(n) if shuffle else __import__("numpy").arange(n)
    stop = n - n % batch_size if drop_last else n
    for i in range(0, stop, batch_size):
        yield torch.from_numpy(order[i:i + batch_size])


def train_epoch(torch, model, opt, X, y, batch_size, rng, loss_fn=None):
    """One epoch of minibatch training; returns the mean training loss."""
    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    model.train()
    total, count = 0.0, 0
    for idx in minibatches(torch, len(X), batch_size, rng):
        loss = loss_fn(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
        count += len(idx)
    return total / count


def fit(torch, model, opt, X, y, epochs, batch_size, rng, loss_fn=None, X_test=None,
        y_test=None):
    """Train for `epochs`; returns (per-epoch training losses, per-epoch test accuracies)."""
    losses, accs = [], []
    for _ in range(epochs):
        losses.append(train_epoch(torch, model, opt, X, y, batch_size, rng, loss_fn))
        if X_test is not None:
            accs.append(accuracy(torch, model, X_test, y_test))
    return losses, accs


def accuracy(torch, model, X, y):
    model.eval()
    with torch.no_grad():
        acc = (model(X).argmax(1) == y).float().mean().item()
    model.train()
    return acc


def evaluate_loss(torch, model, X, y, loss_fn=None):
    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    model.eval()
    with torch.no_grad():
        value = loss_fn(model(X), y).item()
    model.train()
    return value
