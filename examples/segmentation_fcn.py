"""Semantic segmentation with a tiny fully convolutional network (Long, Shelhamer & Darrell
2015; Dive into Deep Learning §14.11): label every pixel of synthetic images as background,
disc or square.

The network has no Linear layer: convolutions shrink the image by 4, a 1x1 convolution turns
each of the 8x8 cells into 3 class scores, and a transposed convolution (stride 4, kernel 8,
padding 2) brings the scores back to 32x32. That transposed convolution starts as bilinear
upsampling (glasstorch.vision.ops.bilinear_kernel) and is trained with the rest. Discs and
squares have the same brightness, so only their shape tells them apart: the network must
look at a whole object to label its pixels.

    python examples/segmentation_fcn.py          # about a minute on two cores
"""
import time

import glasstorch as torch
from glasstorch import nn
from glasstorch.utils.data import DataLoader, TensorDataset
from glasstorch.vision.ops import bilinear_kernel

torch.manual_seed(0)
SIZE, CLASSES = 32, ("background", "disc", "square")


# ---- data: noisy images with two shapes each, and their per-pixel labels ---------------------
def make_shapes(n):
    """n images (n, 1, SIZE, SIZE) and label maps (n, SIZE, SIZE): 0 background, 1 disc,
    2 square (radius / half side 4..7 pixels; a later shape covers an earlier one)."""
    yy, xx = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    masks = torch.zeros(n, SIZE, SIZE, dtype=torch.int64)
    for i in range(n):
        for _ in range(2):
            kind = int(torch.randint(1, 3, ()))
            r = int(torch.randint(4, 8, ()))
            cy, cx = torch.randint(r, SIZE - r, (2,)).tolist()
            if kind == 1:
                inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            else:
                inside = ((yy - cy).abs() <= r) & ((xx - cx).abs() <= r)
            masks[i][inside] = kind
    images = (masks > 0).float() + 0.3 * torch.randn(n, SIZE, SIZE)   # same brightness
    return images.unsqueeze(1), masks


train_x, train_y = make_shapes(600)
test_x, test_y = make_shapes(200)
train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=16, shuffle=True)


# ---- model -----------------------------------------------------------------------------------
def conv_bn_relu(cin, cout, stride=1):
    return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU()]


upsample = nn.ConvTranspose2d(len(CLASSES), len(CLASSES), kernel_size=8, stride=4, padding=2,
                              bias=False)                   # 8x8 -> 32x32
with torch.no_grad():
    upsample.weight.copy_(bilinear_kernel(len(CLASSES), len(CLASSES), 8))
model = nn.Sequential(
    *conv_bn_relu(1, 16), *conv_bn_relu(16, 32, stride=2),   # 32x32 -> 16x16
    *conv_bn_relu(32, 64, stride=2),                          # 16x16 -> 8x8
    *conv_bn_relu(64, 64), *conv_bn_relu(64, 64),             # context: each cell sees ~40px
    nn.Conv2d(64, len(CLASSES), kernel_size=1),               # class scores per 8x8 cell
    upsample)                                                 # scores per pixel
epochs = 15
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, epochs=epochs,
                                                steps_per_epoch=len(train_loader))
# cross-entropy over (N, C, H, W) scores and (N, H, W) labels: the mean over all pixels
loss_fn = nn.CrossEntropyLoss()


def evaluate(x, y):
    """(pixel accuracy, IoU per class) of the model's predictions on images x."""
    model.eval()
    with torch.no_grad():
        pred = model(x).argmax(dim=1)
    ious = []
    for c in range(len(CLASSES)):
        inter = ((pred == c) & (y == c)).sum().item()
        union = ((pred == c) | (y == c)).sum().item()
        ious.append(inter / union if union else float("nan"))
    return (pred == y).float().mean().item(), ious


# ---- train -----------------------------------------------------------------------------------
start = time.perf_counter()
for epoch in range(1, epochs + 1):
    model.train()
    total = 0.0
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.item() * len(y)
    acc, ious = evaluate(test_x, test_y)
    print(f"epoch {epoch:2d}  loss {total / len(train_x):.4f}  test pixel accuracy {acc:.4f}"
          f"  mean IoU {sum(ious) / len(ious):.3f}")

acc, ious = evaluate(test_x, test_y)
background = (test_y == 0).float().mean().item()
print(f"\ntest pixel accuracy {100 * acc:.2f}% (all-background guess: {100 * background:.2f}%)"
      f", {time.perf_counter() - start:.0f}s")
print("IoU per class: " + ", ".join(f"{name} {iou:.3f}" for name, iou in zip(CLASSES, ious)))
