"""Topic 10: CNNs (convolution, padding, stride, 1x1, pooling). One function per experiment,
`fn(torch, lab)`; continued in t10_cnn_b.py, and the classic nets are in t10_cnn_nets.py.
Sizes are shrunk from the catalogue's designs (subsets of MNIST, few channels, few epochs) so
that glasstorch, whose convolutions run at about half of PyTorch's speed, fits the budgets."""
from .catalog import experiment
from .common import accuracy, fit
from .verdict import all_of, compare, depends, refuted


def _shift(torch, X, dy, dx):
    """Images (N, C, H, W) moved by dy rows and dx columns, zeros filling the gap."""
    F = torch.nn.functional
    H, W = X.shape[-2:]
    m = max(abs(dy), abs(dx))
    if m == 0:
        return X
    P = F.pad(X, (m, m, m, m))
    return P[:, :, m - dy:m - dy + H, m - dx:m - dx + W]


def _shifted_accuracy(torch, model, X, y, d):
    """Mean test accuracy over the four diagonal shifts by d pixels (d = 0: the plain images)."""
    if d == 0:
        return accuracy(torch, model, X, y)
    return sum(accuracy(torch, model, _shift(torch, X, sy * d, sx * d), y)
               for sy in (-1, 1) for sx in (-1, 1)) / 4


def _small_cnn(torch, side=20, c1=6, c2=12, k=5):
    """Two conv-BN-ReLU-maxpool blocks and a linear head, for side x side images. BatchNorm
    makes small-data runs stable across seeds."""
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, c1, k, padding=k // 2), nn.BatchNorm2d(c1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(c1, c2, k, padding=k // 2),
                         nn.BatchNorm2d(c2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(c2 * (side // 4) ** 2, 10))


@experiment(
    id="cnn-inductive-bias", topic=10,
    question="Why do conv layers work so well on images; in what sense is a conv a special fully "
             "connected layer?",
    claim="convolutions extract ever more abstract features [a]; a conv layer is an FC layer "
          "restricted by locality and weight sharing [b,c]; swapping ResNet's convs for FC layers "
          "would explode the parameter count and overfit [b]",
    test="Confirmed if outputs match exactly and the CNN's edge disappears on permuted pixels "
         "while the MLP is unchanged",
    plot="banded weight-matrix image; 2×2 accuracy bars (model × permutation); shift robustness")
def cnn_inductive_bias(torch, lab):
    nn = torch.nn
    # 1. the dense 784x784 matrix equal to a 3x3 conv: the conv's responses to the 784 unit images
    lab.seed(0)
    conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        M = conv(torch.eye(784).reshape(784, 1, 28, 28)).reshape(784, 784).t()
        Xs = lab.mnist(1, 200, flat=False)[2]
        err = (conv(Xs).reshape(200, 784) - Xs.reshape(200, 784) @ M.t()).abs().max().item()
    nonzero_per_row = (M != 0).sum(1).float()
    # 2. MLP vs small CNN, original vs permuted pixels (one fixed permutation for all)
    # shrunk: small training sets (where a prior matters most) and the central 20x20 crop that
    # holds MNIST's digits (half the pixels, half the convolution cost)
    n, epochs = (400, 5) if lab.quick else (1000, 8)
    Xtr, ytr, Xte, yte = lab.mnist(n, 500 if lab.quick else 1000, flat=False)
    Xtr, Xte = Xtr[:, :, 4:24, 4:24], Xte[:, :, 4:24, 4:24]
    perm = torch.from_numpy(lab.seed(123).permutation(400))
    permute = lambda X: X.reshape(len(X), 400)[:, perm].reshape(X.shape)
    acc = {f"{m}, {p}": [] for m in ("MLP", "CNN") for p in ("original", "permuted")}
    shift = {"MLP": [], "CNN": []}
    for seed in lab.seeds:
        for p in ("original", "permuted"):
            Xa, Xb = (Xtr, Xte) if p == "original" else (permute(Xtr), permute(Xte))
            for m in ("MLP", "CNN"):
                rng = lab.seed(seed)
                model = (nn.Sequential(nn.Flatten(), nn.Linear(400, 128), nn.ReLU(),
                                       nn.Linear(128, 10)) if m == "MLP" else _small_cnn(torch))
                fit(torch, model, torch.optim.Adam(model.parameters(), lr=3e-3), Xa, ytr,
                    epochs, 16, rng)
                acc[f"{m}, {p}"].append(accuracy(torch, model, Xb, yte))
                if p == "original":
                    shift[m].append(_shifted_accuracy(torch, model, Xte, yte, 2))
    cnn_params = sum(p.numel() for p in _small_cnn(torch).parameters())
    lab.record(max_abs_error_conv_vs_dense=err, dense_params=784 * 784, conv_params=9,
               nonzero_weights_per_row={"min": nonzero_per_row.min().item(),
                                        "max": nonzero_per_row.max().item()},
               accuracy=acc, shifted_accuracy_2px=shift, cnn_params=cnn_params,
               mlp_params=400 * 128 + 128 + 1290)
    fig, axes = lab.figure(1, 3)
    axes[0].imshow(M[:120, :120].abs().numpy() > 0, cmap="Greys")
    axes[0].set_title("dense matrix of a 3x3 conv (120x120 corner)", fontsize=8)
    mean = lambda v: sum(v) / len(v)
    names = list(acc)
    axes[1].bar(range(4), [mean(acc[k]) for k in names], color=["C0", "C0", "C1", "C1"])
    axes[1].set_xticks(range(4), [k.replace(", ", "\n") for k in names], fontsize=7)
    axes[1].set_ylim(0.7, 1); axes[1].set_ylabel("test accuracy")
    for m, c in (("MLP", "C0"), ("CNN", "C1")):
        axes[2].plot([0, 2], [mean(acc[f"{m}, original"]), mean(shift[m])], "o-", c=c, label=m)
    axes[2].set_xlabel("test shift (px, diagonal)"); axes[2].set_ylabel("accuracy")
    axes[2].legend()
    edge = compare("CNN", acc["CNN, original"], "MLP", acc["MLP, original"])
    edge_perm = compare("CNN", acc["CNN, permuted"], "MLP", acc["MLP, permuted"])
    mlp_same = compare("MLP permuted", acc["MLP, permuted"], "MLP original", acc["MLP, original"])
    mlp_change = mlp_same.mean_a - mlp_same.mean_b
    cnn_change = mean(acc["CNN, permuted"]) - mean(acc["CNN, original"])
    checks = {f"the 784x784 matrix reproduces the conv (max error {err:.1e}), with at most 9 "
              f"nonzeros per row (of 784) and 9 shared values": err < 1e-5 and
              nonzero_per_row.max().item() <= 9,
              f"the CNN has an edge on original pixels ({edge})": edge.winner == "CNN",
              f"the edge disappears on permuted pixels ({edge_perm})": edge_perm.winner != "CNN",
              f"the MLP is unchanged by the permutation ({mlp_change:+.3f}: under 0.02 or within "
              f"the seed spread {mlp_same.spread:.3f}; the CNN changes {cnn_change:+.3f})":
                  abs(mlp_change) < 0.02 or mlp_same.winner is None}
    return all_of(checks, "Locality and weight sharing are a prior about images: with the "
                  "neighbourhoods scrambled the CNN loses its advantage, the MLP does not care.",
                  note=f"A dense layer with the conv's reach needs {784 * 784:,} weights instead "
                       f"of 9. Under 2 px shifts: CNN {mean(shift['CNN']):.3f}, MLP "
                       f"{mean(shift['MLP']):.3f}.")


def _lenet(torch):
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def _lenet_features(torch, net, X):
    """{layer: features (N, d)} of the images X: pixels, conv1 and conv2 blocks (after pooling),
    fc1 (after its ReLU)."""
    with torch.no_grad():
        c1 = net[0:3](X)
        c2 = net[3:6](c1)
        f1 = net[6:9](c2)
    return {"pixels": X.flatten(1), "conv1": c1.flatten(1), "conv2": c2.flatten(1), "fc1": f1}


def _probe(torch, Ftr, ytr, Fte, yte, steps):
    """A linear probe: logistic regression on standardized features, full-batch Adam."""
    mu, sd = Ftr.mean(0), Ftr.std(0) + 1e-3
    Ftr, Fte = (Ftr - mu) / sd, (Fte - mu) / sd
    probe = torch.nn.Linear(Ftr.shape[1], 10)
    opt = torch.optim.Adam(probe.parameters(), lr=1e-2, weight_decay=1e-3)
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(probe(Ftr), ytr)
        opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        return (probe(Fte).argmax(1) == yte).float().mean().item()


@experiment(
    id="what-cnn-learns", topic=10,
    question="How can I see what a CNN learned; do deeper layers hold more abstract features?",
    claim="abstraction grows with depth [a]; an interactive explainer shows it [b]; low layers "
          "find textures, higher ones parts [c]",
    test="Confirmed if probe accuracy rises with depth for the trained net and beats the random "
         "net's features",
    plot="filter grid; occlusion heat maps; probe accuracy vs layer (trained and random)")
def what_cnn_learns(torch, lab):
    import numpy as np
    # shrunk: LeNet trained on 600 (quick) / 2,000 images; probes fit on 500 (quick) / 1,000
    # other training images and scored on the test images
    n, epochs, n_test = (600, 3, 500) if lab.quick else (2000, 5, 1000)
    Xall, yall, Xte, yte = lab.mnist(4000, n_test, flat=False)
    Xtr, ytr = Xall[:n], yall[:n]
    Xp, yp = (Xall[3500:], yall[3500:]) if lab.quick else (Xall[3000:], yall[3000:])
    layers = ("pixels", "conv1", "conv2", "fc1")
    probe = {kind: {k: [] for k in layers} for kind in ("trained", "random")}
    net_acc = []
    for seed in lab.seeds:
        rng = lab.seed(seed)
        net = _lenet(torch)
        nets = {"trained": net, "random": _lenet(torch)}
        fit(torch, net, torch.optim.Adam(net.parameters(), lr=5e-3 if lab.quick else 2e-3), Xtr,
            ytr, epochs, 16, rng)
        net_acc.append(accuracy(torch, net, Xte, yte))
        for kind, model in nets.items():
            model.eval()
            ftr, fte = _lenet_features(torch, model, Xp), _lenet_features(torch, model, Xte)
            for k in layers:
                if kind == "random" and k == "pixels":
                    probe[kind][k].append(probe["trained"][k][-1])   # the same input
                else:
                    probe[kind][k].append(_probe(torch, ftr[k], yp, fte[k], yte,
                                                 80 if lab.quick else 200))
    # occlusion: an 8x8 black patch slid with stride 4 over 8 test digits (last trained net)
    net.eval()
    digits, labels = Xte[:8], yte[:8]
    pos = list(range(0, 21, 4))
    occluded = []
    for i in pos:
        for j in pos:
            Xo = digits.clone()
            Xo[:, :, i:i + 8, j:j + 8] = 0.0
            occluded.append(Xo)
    with torch.no_grad():
        p0 = torch.nn.functional.softmax(net(digits), 1)[torch.arange(8), labels]
        P = torch.nn.functional.softmax(net(torch.cat(occluded)), 1)
        P = P.reshape(len(pos) * len(pos), 8, 10)[:, torch.arange(8), labels]
    drop = (p0.unsqueeze(0) - P).reshape(len(pos), len(pos), 8).permute(2, 0, 1).numpy()
    filters = net[0].weight.detach().numpy()[:, 0]
    lab.record(probe_accuracy=probe, lenet_test_accuracy=net_acc,
               occlusion_drop_max=drop.max(axis=(1, 2)), occlusion_maps=drop.round(3))
    fig, axes = lab.figure(1, 3)
    axes[0].imshow(np.hstack([np.pad(f, 1, constant_values=np.nan) for f in filters]),
                   cmap="bwr")
    axes[0].set_title("conv1 filters (5x5)", fontsize=8); axes[0].axis("off")
    top = np.hstack([np.pad(d, 1) for d in digits.numpy()[:, 0]])
    # each patch's drop drawn as the 4x4 cell around its centre (centres 4, 8, ..., 24)
    heat = np.hstack([np.pad(np.kron(m, np.ones((4, 4))), 3) for m in drop])
    axes[1].imshow(np.vstack([top, heat / max(heat.max(), 1e-6)]), cmap="magma")
    axes[1].set_title("digits; drop in p(true class) when occluded", fontsize=8)
    axes[1].axis("off")
    mean = lambda v: sum(v) / len(v)
    for kind in probe:
        axes[2].plot(range(4), [mean(probe[kind][k]) for k in layers], "o-", label=kind)
    axes[2].set_xticks(range(4), layers); axes[2].set_ylabel("linear-probe accuracy")
    axes[2].legend()
    t = [mean(probe["trained"][k]) for k in layers]
    # rises: no layer measurably worse than the one below it, and fc1 measurably above pixels
    rises = all(compare(b, probe["trained"][b], a, probe["trained"][a]).winner != a
                for a, b in zip(layers, layers[1:]))
    gain = compare("fc1", probe["trained"]["fc1"], "pixels", probe["trained"]["pixels"])
    beats = {k: compare("trained", probe["trained"][k], "random", probe["random"][k])
             for k in layers[1:]}
    checks = {"probe accuracy rises with depth for the trained net (" + " -> ".join(
                  f"{k} {v:.3f}" for k, v in zip(layers, t)) + f"; {gain})":
                  rises and gain.winner == "fc1"}
    for k, c in beats.items():
        checks[f"trained {k} features beat the random net's ({c})"] = c.winner == "trained"
    return all_of(checks, note=f"LeNet test accuracy {mean(net_acc):.3f}.")


def _block(torch, kind, C):
    """The compared block, C -> C channels, 'same' padding: one k x k conv or a stack of 3x3."""
    nn = torch.nn
    k, depth = {"5x5": (5, 1), "3x3 x2": (3, 2), "7x7": (7, 1), "3x3 x3": (3, 3)}[kind]
    layers = []
    for i in range(depth):
        layers += [nn.Conv2d(C, C, k, padding=k // 2)] + ([nn.ReLU()] if i < depth - 1 else [])
    return nn.Sequential(*layers)


def _field(torch, block, H, n_inputs=16):
    """|d out[0, 0, centre] / d input| summed over channels and n_inputs random inputs: (H, H)."""
    C = block[0].in_channels
    x = torch.relu(torch.randn(n_inputs, C, H, H)).requires_grad_()
    block(x)[:, 0, H // 2, H // 2].sum().backward()
    return x.grad.abs().sum((0, 1))


@experiment(
    id="stacked-3x3", topic=10,
    question="Is a larger receptive field always better; why such small 3×3 kernels?",
    claim="looking too far costs compute, loses local detail and overfits, so stack layers "
          "instead [a]; a 3×3 kernel high up already covers much of the input",
    test="Confirmed if stacks reach the same field with fewer parameters and equal or better "
         "accuracy",
    plot="ERF heat maps; parameter/FLOP/accuracy bars")
def stacked_3x3(torch, lab):
    nn = torch.nn
    # shrunk: a 3x3 stem and 2x2 pooling bring MNIST to 14x14 before the compared block
    C, n, epochs = (6, 300, 3) if lab.quick else (10, 1500, 4)
    Xtr, ytr, Xte, yte = lab.mnist(n, 500 if lab.quick else 1000, flat=False)
    kinds = ("5x5", "3x3 x2", "7x7", "3x3 x3")
    params, flops, acc, width, centre = {}, {}, {k: [] for k in kinds}, {}, {}
    maps = {}
    for kind in kinds:
        for seed in lab.seeds:
            rng = lab.seed(seed)
            block = _block(torch, kind, C)
            model = nn.Sequential(nn.Conv2d(1, C, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  block, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                  nn.Linear(C * 49, 10))
            if seed == lab.seeds[0]:
                g = _field(torch, block, 15)                    # at init: the reach
                rows = (g.sum(1) > 0).nonzero().flatten()
                width[kind] = int(rows.max().item() - rows.min().item() + 1)
            fit(torch, model, torch.optim.Adam(model.parameters(), lr=3e-3), Xtr, ytr, epochs,
                16, rng)
            acc[kind].append(accuracy(torch, model, Xte, yte))
            if seed == lab.seeds[0]:
                g = _field(torch, block, 15)                    # trained: the effective field
                maps[kind] = (g / g.sum()).numpy()
                centre[kind] = g[6:9, 6:9].sum().item() / g.sum().item()
        params[kind] = sum(p.numel() for p in block.parameters())
        flops[kind] = sum(m.weight.numel() for m in block if isinstance(m, nn.Conv2d)) * 14 * 14
    lab.record(params=params, multiply_adds_per_image=flops, field_width=width, accuracy=acc,
               trained_field_share_in_central_3x3=centre)
    fig, axes = lab.figure(1, 3, width=3.6)
    import numpy as np
    axes[0].imshow(np.vstack([np.hstack([maps[k] for k in kinds[:2]]),
                              np.hstack([maps[k] for k in kinds[2:]])]) ** 0.5, cmap="magma")
    axes[0].set_title("trained |grad| of a centre unit\n5x5, 3x3x2 / 7x7, 3x3x3", fontsize=8)
    axes[0].axis("off")
    axes[1].bar(range(4), [params[k] for k in kinds], color=["C0", "C1"] * 2)
    axes[1].set_xticks(range(4), kinds, fontsize=7); axes[1].set_ylabel("block parameters")
    mean = lambda v: sum(v) / len(v)
    axes[2].bar(range(4), [mean(acc[k]) for k in kinds], color=["C0", "C1"] * 2)
    axes[2].set_xticks(range(4), kinds, fontsize=7); axes[2].set_ylim(0.8, 1)
    axes[2].set_ylabel("test accuracy")
    checks = {}
    for big, stack in (("5x5", "3x3 x2"), ("7x7", "3x3 x3")):
        c = compare(stack, acc[stack], big, acc[big])
        checks[f"{stack} reaches the same field as {big} ({width[stack]} vs {width[big]} px)"] = (
            width[stack] == width[big])
        checks[f"{stack} has fewer parameters ({params[stack]} vs {params[big]}, "
               f"x{params[big] / params[stack]:.2f})"] = params[stack] < params[big]
        checks[f"{stack} is as accurate or better ({c})"] = c.winner in (stack, None)
    return all_of(checks, note="Trained fields are concentrated: share of the gradient in the "
                  "central 3x3: " + ", ".join(f"{k} {v:.2f}" for k, v in centre.items()) + ".")
