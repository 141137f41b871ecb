"""A small CIFAR-style ResNet trained for a few epochs on FakeData: random 3x32x32 images with
random labels, shaped like CIFAR-10, so the whole pipeline (dataset, transforms, DataLoader,
model with batch norm, optimizer, schedule, evaluation) runs with no download.

There is nothing to learn in FakeData except the training images themselves: the training
loss falls as the network memorizes them, while held-out images stay at chance (10%). That
is what FakeData is for: checking a pipeline end to end and measuring its throughput (images
per second) before spending time on real data. With CIFAR-10 on disk, swap in
`datasets.CIFAR10(root, train=True, transform=...)` and the same loop learns (or run
`glasstorch train --model resnet_small --dataset cifar10 --data-root DIR`).

    python examples/resnet_fakedata.py            # under a minute on two cores
"""
import time

import glasstorch as torch
from glasstorch import nn
from glasstorch.utils.data import DataLoader
from glasstorch.vision import datasets, models, transforms

torch.manual_seed(0)

# ---- data: CIFAR-shaped noise, normalized like CIFAR images ---------------------------------
to_input = transforms.Compose([transforms.ToTensor(),      # uint8 (3, 32, 32) -> float [0, 1]
                               transforms.Normalize((0.5,) * 3, (0.29,) * 3)])
train_set = datasets.FakeData(size=256, image_size=(3, 32, 32), num_classes=10,
                              transform=to_input)
held_out = datasets.FakeData(size=256, image_size=(3, 32, 32), num_classes=10,
                             transform=to_input, random_offset=10**6)   # other images
train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
held_out_loader = DataLoader(held_out, batch_size=128)

# ---- model: He et al.'s CIFAR ResNet with n=1 block per stage (ResNet-8) --------------------
model = models.resnet_small(depth=8, num_classes=10)
print(f"ResNet-8: {models.num_parameters(model):,} parameters")
epochs = 12
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, epochs=epochs,
                                                steps_per_epoch=len(train_loader))
loss_fn = nn.CrossEntropyLoss()


def accuracy(loader):
    """Fraction of correct predictions, in eval mode (batch norm uses its running stats)."""
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(dim=1) == y).sum().item()
            total += len(y)
    return correct / total


# ---- train ----------------------------------------------------------------------------------
for epoch in range(1, epochs + 1):
    model.train()                                 # batch norm: batch statistics
    start, seen, loss_sum = time.perf_counter(), 0, 0.0
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()                          # OneCycleLR moves every batch
        seen += len(y)
        loss_sum += loss.item() * len(y)
    rate = seen / (time.perf_counter() - start)
    print(f"epoch {epoch:2d}  train loss {loss_sum / seen:.3f}  "
          f"train acc {accuracy(train_loader):.3f}  held-out acc {accuracy(held_out_loader):.3f}"
          f"  {rate:.0f} images/s")

print("memorized the training noise; held-out images stay near chance (0.1), as they must")
