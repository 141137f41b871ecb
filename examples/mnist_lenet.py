"""LeNet-5, the first convolutional network (LeCun et al. 1998), on handwritten digits: two
convolution + max-pooling stages and three fully connected layers, with ReLU, as in d2l.ai
section 7.6 (which uses sigmoid and average pooling, as in 1998; ReLU and max pooling train
faster). Cross-entropy and SGD with momentum in a plain loop.

Uses the 5,000-image MNIST subset bundled with glasstorch (4,000 training / 1,000 test images),
so it runs offline: 8 epochs take ~6 s on two idle cores and reach ~97.5% test accuracy.

    python examples/mnist_lenet.py

Runs unchanged on PyTorch: replace the first import by `import torch`. The images still come
from glasstorch's bundled subset, handed over as NumPy arrays (torchvision would download).
"""
import time

import glasstorch as torch                      # or: import torch
from glasstorch.vision.datasets import MNIST    # the bundled subset: no download

torch.manual_seed(0)


# ---- the data: normalized once into float32 tensors -------------------------------------------
def to_tensors(dataset):
    """uint8 images (N, 28, 28) -> float32 (N, 1, 28, 28) with zero mean and unit variance."""
    x = torch.tensor(dataset.data.numpy()).float() / 255
    x = (x - 0.1307) / 0.3081                   # MNIST's mean and standard deviation
    return x.unsqueeze(1), torch.tensor(dataset.targets.numpy())   # one channel: (N, C, H, W)


x_train, y_train = to_tensors(MNIST(train=True))
x_test, y_test = to_tensors(MNIST(train=False))
train_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train),
                                           batch_size=64, shuffle=True)

# ---- the model, the loss and the optimizer -------------------------------------------------------
nn = torch.nn
model = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(),  # (N, 6, 28, 28)
    nn.MaxPool2d(2),                                       # (N, 6, 14, 14)
    nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),            # (N, 16, 10, 10)
    nn.MaxPool2d(2),                                       # (N, 16, 5, 5)
    nn.Flatten(),                                          # (N, 400)
    nn.Linear(400, 120), nn.ReLU(),
    nn.Linear(120, 84), nn.ReLU(),
    nn.Linear(84, 10),                                     # logits: the loss does softmax
)
loss_fn = nn.CrossEntropyLoss()
epochs = 8
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)


def test_accuracy():
    model.eval()                                # no dropout or batch norm here: a good habit
    with torch.no_grad():                       # no graph needed to evaluate
        predicted = model(x_test).argmax(dim=1)
    return (predicted == y_test).float().mean().item()


# ---- train ---------------------------------------------------------------------------------------
start = time.perf_counter()
for epoch in range(epochs):
    model.train()
    total = 0.0
    for x, y in train_loader:
        optimizer.zero_grad()                   # gradients accumulate unless cleared
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    scheduler.step()                            # the learning rate follows a cosine, per epoch
    print(f"epoch {epoch + 1:2d}: train loss {total / len(x_train):.4f}, "
          f"test accuracy {test_accuracy():.2%}, {time.perf_counter() - start:.1f} s")
