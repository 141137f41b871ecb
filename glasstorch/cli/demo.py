"""`glasstorch demo` (the default command): fit y = Xw + b + noise by hand-written minibatch
SGD with autograd, then save a checkpoint and a loss plot into runs/<name>/. The same loop
without the command-line plumbing is examples/linear_regression.py.
"""
import math
import os
import time

import glasstorch as torch

from . import checks
from .common import _progress_bar


def demo(args):
    """y = X @ w + b + noise: recover w and b from samples with minibatch SGD."""
    for name in ("steps", "samples", "batch_size"):
        checks.at_least(name, getattr(args, name))
    checks.finite("lr", args.lr, low=0, low_open=True)
    checks.finite("noise", args.noise, low=0)
    checks.seed(args.seed)
    out = args.out or os.path.join("runs", time.strftime("demo-%Y%m%d-%H%M%S"))
    checks.writable_dir(out, "the output folder")      # before the work, not after it
    torch.manual_seed(args.seed)
    true_w, true_b = torch.tensor([2.0, -3.4]), 4.2     # the d2l.ai textbook example
    X = torch.randn(args.samples, 2)
    y = X @ true_w + true_b + args.noise * torch.randn(args.samples)
    w = torch.zeros(2, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    bar = _progress_bar(args.steps)
    for _, idx in zip(range(args.steps), _minibatches(args.samples, args.batch_size)):
        err = X[idx] @ w + b - y[idx]
        loss = (err * err).mean()                       # mean squared error
        loss.backward()                                 # fills w.grad and b.grad
        with torch.no_grad():                           # the update itself is not recorded
            w -= args.lr * w.grad
            b -= args.lr * b.grad
        w.grad.zero_()                                  # grads accumulate unless cleared
        b.grad.zero_()
        losses.append(loss.item())
        bar.update(losses[-1])
    bar.close()

    print(f"true w = {_fmt(true_w.tolist()):<20}  recovered w = {_fmt(w.tolist())}")
    print(f"true b = {_fmt([true_b]):<20}  recovered b = {_fmt(b.tolist())}")
    os.makedirs(out, exist_ok=True)
    ckpt = os.path.join(out, "checkpoint.pt")
    torch.save({"w": w, "b": b, "step": args.steps, "losses": losses,
                "true_w": true_w, "true_b": true_b}, ckpt)
    print(f"checkpoint: {ckpt}   (glasstorch.load it back)")
    print(f"loss curve: {_plot(losses, os.path.join(out, 'loss'))}")
    return 0


def _minibatches(n, batch_size):
    """Index tensors of shuffled minibatches of range(n), reshuffled each epoch, forever."""
    while True:
        order = torch.randperm(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def _fmt(values):
    return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"


def _plot(losses, stem):
    """Save the loss curve (log scale) as PNG with matplotlib, else as a hand-written SVG."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return _plot_svg(losses, stem + ".svg")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(losses)
    ax.set(xlabel="step", ylabel="loss (MSE)", title="glasstorch demo: linear regression")
    fig.savefig(stem + ".png", dpi=100)
    plt.close(fig)
    return stem + ".png"


def _plot_svg(losses, path, w=600, h=400, pad=70):
    """The loss curve as a minimal SVG (axes, log-scale polyline, labels) written by hand."""
    logs = [math.log10(max(v, 1e-12)) for v in losses]
    lo, hi = min(logs), max(logs)
    span = (hi - lo) or 1.0
    xs = [pad + (w - 2 * pad) * i / max(len(logs) - 1, 1) for i in range(len(logs))]
    ys = [h - pad - (h - 2 * pad) * (v - lo) / span for v in logs]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
    with open(path, "w") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
                f'font-family="sans-serif" font-size="12">\n'
                f'<rect width="{w}" height="{h}" fill="white"/>\n'
                f'<path d="M{pad},{pad} V{h - pad} H{w - pad}" stroke="black" fill="none"/>\n'
                f'<polyline points="{points}" stroke="steelblue" fill="none"/>\n'
                f'<text x="{w / 2}" y="{h - 15}" text-anchor="middle">step (0 to '
                f'{len(logs) - 1})</text>\n'
                f'<text x="{pad - 5}" y="{pad}" text-anchor="end">{10 ** hi:.3g}</text>\n'
                f'<text x="{pad - 5}" y="{h - pad}" text-anchor="end">{10 ** lo:.3g}</text>\n'
                f'<text x="{w / 2}" y="25" text-anchor="middle">loss (MSE, log scale)</text>\n'
                '</svg>\n')
    return path


def add_parser(subparsers):
    p = subparsers.add_parser("demo", help="fit a linear regression by hand-written SGD (default)")
    p.add_argument("--steps", type=int, default=300, help="SGD steps (default 300)")
    p.add_argument("--samples", type=int, default=1000, help="dataset size (default 1000)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    p.add_argument("--noise", type=float, default=0.01, help="std of the label noise")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="output directory (default runs/demo-<date>-<time>)")
    p.set_defaults(run=demo)
