"""Linear regression from scratch: y = Xw + b + noise, fit by hand-written minibatch SGD.

Everything a training loop does, with nothing hidden: make a dataset, shuffle it into
minibatches each epoch, compute the loss, let autograd fill `.grad`, update the parameters
under `no_grad`, clear the gradients. Runs the same with `import torch`.

    python examples/linear_regression.py

`python -m glasstorch` runs this job too, with a progress bar, a checkpoint and a loss plot
(glasstorch/cli/demo.py). The example follows d2l.ai, section 3.2.
"""
import glasstorch as torch

torch.manual_seed(0)

# ---- the data: 1,000 samples of y = Xw + b + noise -----------------------------------------
true_w, true_b = torch.tensor([2.0, -3.4]), 4.2
X = torch.randn(1000, 2)
y = X @ true_w + true_b + 0.01 * torch.randn(1000)

# ---- the model: two parameters, starting from zero ---------------------------------------------
w = torch.zeros(2, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr, batch_size, epochs = 0.1, 32, 3

for epoch in range(epochs):
    order = torch.randperm(len(X))                # a new shuffle each epoch
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        err = X[idx] @ w + b - y[idx]
        loss = (err * err).mean()                 # mean squared error
        loss.backward()                           # autograd fills w.grad and b.grad
        with torch.no_grad():                     # the update itself must not be recorded
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()                            # gradients accumulate unless cleared
        b.grad.zero_()
    with torch.no_grad():
        err = X @ w + b - y
        print(f"epoch {epoch + 1}: loss on all data {(err * err).mean().item():.6f}")

print("true w", [round(v, 4) for v in true_w.tolist()], "learned w",
      [round(v, 4) for v in w.tolist()])
print("true b", true_b, "learned b", round(b.item(), 4))
