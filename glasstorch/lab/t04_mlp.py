"""Topic 4: MLPs and activations. One function per experiment, `fn(torch, lab) -> Verdict`."""
import math
import time

from .catalog import experiment
from .common import accuracy, fit, minibatches, mlp
from .verdict import across, all_of, compare, confirmed, refuted


def _init(torch, model, act):
    """Xavier for sigmoid/tanh, He for ReLU-like (the usual pairing), zero biases."""
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            if act in ("sigmoid", "tanh"):
                torch.nn.init.xavier_uniform_(m.weight)
            else:
                torch.nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
            torch.nn.init.zeros_(m.bias)
    return model


@experiment(
    id="relu-vs-sigmoid-deep", topic=4,
    question="Why does almost every network use ReLU?",
    claim="ReLU's derivative is cheaper; sigmoid saturates so deep nets lose their gradient; "
          "ReLU's zeros make the net sparse and curb overfitting [a,b,c]; sigmoid causes both "
          "vanishing and exploding gradients [d]",
    test="Vanishing confirmed if sigmoid's first-layer gradient drops by orders of magnitude "
         "with depth; the accuracy advantage of ReLU is scored per depth (depends if it flips); "
         "cost claim confirmed only as a small share of step time; explosion under sigmoid only "
         "at large weight scales",
    flag="≈ sigmoid's slope is at most 1/4, so explosion needs large weights; the "
         "sparsity-regularizes argument is weak",
    plot="first-layer gradient norm vs depth per activation; accuracy vs depth")
def relu_vs_sigmoid_deep(torch, lab):
    F = torch.nn.functional
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 3000, 1000)
    depths = [2, 5, 10]
    width = 64 if lab.quick else 128
    epochs = 2 if lab.quick else 3
    acts = ("sigmoid", "tanh", "relu")
    g1, acc = {}, {}
    for act in acts:
        for d in depths:
            key = f"{act} depth {d}"
            g1[key], acc[key] = [], []
            for seed in lab.seeds:
                rng = lab.seed(seed)
                model = _init(torch, mlp(torch, [784] + [width] * (d - 1) + [10], act), act)
                F.cross_entropy(model(Xtr[:256]), ytr[:256]).backward()
                g1[key].append(model[0].weight.grad.norm().item())
                model.zero_grad()
                opt = torch.optim.Adam(model.parameters(), lr=1e-3)
                fit(torch, model, opt, Xtr, ytr, epochs, 64, rng)
                acc[key].append(accuracy(torch, model, Xte, yte))
    scales = [0.5, 1, 2, 4, 8]
    g_scale = []
    for s in scales:                          # sigmoid, depth 10, weights scaled by s
        lab.seed(0)
        model = _init(torch, mlp(torch, [784] + [width] * 9 + [10], "sigmoid"), "sigmoid")
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(s)
        F.cross_entropy(model(Xtr[:256]), ytr[:256]).backward()
        g_scale.append(model[0].weight.grad.norm().item())
    big = torch.randn(10**6 if not lab.quick else 2 * 10**5, requires_grad=True)
    t_act = {a: lab.timeit(lambda: getattr(torch, a)(big).sum().backward(), 5) for a in acts}
    t_step = {}
    for act in ("sigmoid", "relu"):            # one SGD step of a 2-hidden-layer MLP, batch 64
        lab.seed(0)
        model = mlp(torch, [784, width, width, 10], act)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)

        def step():
            loss = F.cross_entropy(model(Xtr[:64]), ytr[:64])
            opt.zero_grad(); loss.backward(); opt.step()
        t_step[act] = lab.timeit(step, 20)
    # the activations of one step: 64 x width x 2 layers, at the measured cost per value
    share = {a: t_act[a] * 64 * width * 2 / len(big) / t_step[a] for a in ("sigmoid", "relu")}
    lab.record(first_layer_grad_norm=g1, accuracy=acc, sigmoid_weight_scales=scales,
               sigmoid_depth10_grad_by_scale=g_scale, activation_fwd_bwd_s=t_act,
               mlp_step_s=t_step, activation_share_of_step=share)
    fig, axes = lab.figure(1, 3, width=3.6)
    mean = lambda v: sum(v) / len(v)
    for act in acts:
        axes[0].semilogy(depths, [mean(g1[f"{act} depth {d}"]) for d in depths], "o-", label=act)
        axes[1].plot(depths, [mean(acc[f"{act} depth {d}"]) for d in depths], "o-", label=act)
    axes[0].set_xlabel("depth"); axes[0].set_ylabel("first-layer grad norm"); axes[0].legend()
    axes[1].set_xlabel("depth"); axes[1].set_ylabel("test accuracy"); axes[1].legend()
    axes[2].loglog(scales, g_scale, "o-"); axes[2].set_xlabel("sigmoid weight scale")
    axes[2].set_ylabel("first-layer grad norm (depth 10)")
    drop = {a: mean(g1[f"{a} depth 10"]) / mean(g1[f"{a} depth 2"]) for a in acts}
    per_depth = {}
    for d in depths:
        c = compare("relu", acc[f"relu depth {d}"], "sigmoid", acc[f"sigmoid depth {d}"])
        per_depth[f"depth {d}"] = c.winner == "relu"
    v = across(per_depth, "ReLU trains to a measurably better accuracy than sigmoid")
    v.text += (f" Sigmoid's first-layer gradient shrinks {1 / drop['sigmoid']:.0f}x from depth 2 "
               f"to 10 (ReLU: {drop['relu']:.2f}x): vanishing confirmed. Explosion: at depth 10 "
               f"the gradient grows from {g_scale[1]:.1e} (scale 1) to {g_scale[-1]:.1e} (scale "
               f"8) only with large weights. Cost: one activation fwd+bwd over {len(big):,} values, "
               f"sigmoid {t_act['sigmoid']*1e3:.1f} ms vs ReLU {t_act['relu']*1e3:.1f} ms; in one MLP "
               f"step they take ~{100 * share['sigmoid']:.0f}% (sigmoid net) vs "
               f"~{100 * share['relu']:.0f}% (ReLU net) of the time.")
    v.checks["sigmoid's gradient vanishes with depth (>100x)"] = drop["sigmoid"] < 1e-2
    return v


@experiment(
    id="activation-zoo", topic=4,
    question="How do the many activations compare, and which should I choose?",
    claim="tanh converges faster than sigmoid; ReLU much faster; leaky ReLU behaves unstably in "
          "practice; ELU costs more and isn't better; shallow classifiers do better with sigmoid "
          "[a]",
    test="Each sub-claim scored on its own: confirmed where the ordering holds beyond seed "
         "spread, else 'no measurable difference'; the verdict depends on which sub-claims hold",
    flag="≈ 'sigmoid wins in shallow nets' and 'leaky ReLU is unstable' are folklore",
    plot="test accuracy mean ± spread per activation and depth")
def activation_zoo(torch, lab):
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 3000, 1000)
    acts = ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu"]
    depths = [2, 6]
    epochs = 2 if lab.quick else 4
    width = 64 if lab.quick else 128
    acc, loss1 = {}, {}
    for d in depths:
        for act in acts:
            key = f"{act} depth {d}"
            acc[key], loss1[key] = [], []
            for seed in lab.seeds:
                rng = lab.seed(seed)
                model = mlp(torch, [784] + [width] * (d - 1) + [10], act)
                opt = torch.optim.Adam(model.parameters(), lr=1e-3)
                losses, accs = fit(torch, model, opt, Xtr, ytr, epochs, 64, rng,
                                   X_test=Xte, y_test=yte)
                acc[key].append(accs[-1]); loss1[key].append(losses[0])
    lab.record(accuracy=acc, first_epoch_train_loss=loss1)
    fig, axes = lab.figure(1, 2)
    for ax, d in zip(axes, depths):
        means = [sum(acc[f"{a} depth {d}"]) / len(lab.seeds) for a in acts]
        errs = [max(acc[f"{a} depth {d}"]) - min(acc[f"{a} depth {d}"]) for a in acts]
        ax.bar(range(len(acts)), means, yerr=errs)
        ax.set_xticks(range(len(acts)), acts, rotation=45, fontsize=7)
        ax.set_ylim(min(means) - 0.05, 1); ax.set_title(f"depth {d}"); ax.set_ylabel("test accuracy")
    lo = lambda k: loss1[k]
    sub = {
        "tanh converges faster than sigmoid (first-epoch loss, depth 6)": compare(
            "tanh", lo("tanh depth 6"), "sigmoid", lo("sigmoid depth 6"), False).winner == "tanh",
        "ReLU converges faster than tanh (first-epoch loss, depth 6)": compare(
            "relu", lo("relu depth 6"), "tanh", lo("tanh depth 6"), False).winner == "relu",
        "leaky ReLU is less stable (larger seed spread than ReLU at both depths)": all(
            max(acc[f"leaky_relu depth {d}"]) - min(acc[f"leaky_relu depth {d}"]) >
            2 * (max(acc[f"relu depth {d}"]) - min(acc[f"relu depth {d}"])) for d in depths),
        "ELU is not better than ReLU (depth 6)": compare(
            "elu", acc["elu depth 6"], "relu", acc["relu depth 6"]).winner != "elu",
        "sigmoid beats ReLU in the shallow net (depth 2)": compare(
            "sigmoid", acc["sigmoid depth 2"], "relu", acc["relu depth 2"]).winner == "sigmoid"}
    return across(sub, "the sub-claim")


@experiment(
    id="dead-relu", topic=4,
    question="What are 'dead' ReLU units, and when do they appear?",
    claim="some ReLU units never fire again and stop learning; choose the lr carefully or try "
          "other activations [a]",
    test="Confirmed if the dead fraction grows with lr for ReLU and stays near 0 for leaky ReLU "
         "(dead: the unit's incoming weights get exactly zero gradient over the training set)",
    plot="dead fraction per layer vs lr; accuracy")
def dead_relu(torch, lab):
    Xtr, ytr, Xte, yte = lab.mnist(2000 if lab.quick else 4000, 1000)
    lrs = [0.01, 0.1, 0.5, 1.0]
    epochs = 1 if lab.quick else 3
    dead, acc = {}, {}
    for act in ("relu", "leaky_relu"):
        for lr in lrs:
            key = f"{act} lr={lr}"
            dead[key], acc[key] = [], []
            for seed in lab.seeds:
                rng = lab.seed(seed)
                model = mlp(torch, [784, 256, 256, 10], act)
                opt = torch.optim.SGD(model.parameters(), lr=lr)
                fit(torch, model, opt, Xtr, ytr, epochs, 32, rng)
                # a dead unit gets no gradient at all: its incoming weight row's gradient over
                # the whole training set is exactly zero (ReLU: negative on every image)
                model.zero_grad()
                torch.nn.functional.cross_entropy(model(Xtr), ytr).backward()
                frac = [(model[i].weight.grad.abs().sum(1) == 0).float().mean().item()
                        for i in (0, 2)]
                with torch.no_grad():
                    out = model(Xte)
                dead[key].append(frac)
                ok = math.isfinite(out.sum().item())
                acc[key].append((out.argmax(1) == yte).float().mean().item() if ok else 0.1)
    lab.record(dead_fraction_per_layer=dead, accuracy=acc)
    fig, axes = lab.figure(1, 2)
    for act, style in (("relu", "-"), ("leaky_relu", "--")):
        for layer in (0, 1):
            axes[0].semilogx(lrs, [sum(f[layer] for f in dead[f"{act} lr={lr}"]) / len(lab.seeds)
                                   for lr in lrs], "o" + style, label=f"{act} layer {layer + 1}")
        axes[1].semilogx(lrs, [sum(acc[f"{act} lr={lr}"]) / len(lab.seeds) for lr in lrs],
                         "o" + style, label=act)
    axes[0].set_xlabel("lr"); axes[0].set_ylabel("dead fraction"); axes[0].legend(fontsize=7)
    axes[1].set_xlabel("lr"); axes[1].set_ylabel("test accuracy"); axes[1].legend(fontsize=7)
    d = lambda k: sum(sum(f) / 2 for f in dead[k]) / len(lab.seeds)
    relu_lo, relu_hi = d("relu lr=0.01"), d("relu lr=1.0")
    leaky_hi = d("leaky_relu lr=1.0")
    checks = {f"ReLU's dead fraction grows with lr ({relu_lo:.3f} at 0.01 -> {relu_hi:.3f} at "
              f"1.0)": relu_hi > relu_lo + 0.05,
              f"leaky ReLU's stays near 0 at lr 1.0 ({leaky_hi:.3f} < 0.05)": leaky_hi < 0.05}
    return all_of(checks, "A leaky unit whose pre-activation is negative everywhere still gets "
                  "a gradient (slope 0.01), so it can come back; a ReLU unit cannot.")


def _widths(P, depth, shape="constant"):
    """Hidden widths of an MLP 784 -> ... -> 10 with about P parameters."""
    ratios = {"constant": [1] * depth, "funnel": [2 ** (depth - 1 - i) for i in range(depth)],
              "widening": [2 ** i for i in range(depth)]}[shape]
    # parameters(h) = 784 r0 h + sum r_i r_{i+1} h^2 + 10 r_last h + (biases) : solve for h
    a = sum(ratios[i] * ratios[i + 1] for i in range(depth - 1))
    b = 784 * ratios[0] + 10 * ratios[-1] + sum(ratios)
    h = (P - 10) / b if a == 0 else (-b + math.sqrt(b * b + 4 * a * (P - 10))) / (2 * a)
    return [max(1, round(r * h)) for r in ratios]


@experiment(
    id="depth-vs-width", topic=4,
    question="Add layers or add neurons? Should hidden sizes shrink layer by layer?",
    claim="deep nets are easier to train and reach better solutions, wide shallow ones overfit "
          "and train badly [a]; layer widths usually narrow toward the output [b]",
    test="Depends, per task: 'deeper beats one wide layer at equal parameters' is scored on MNIST "
         "and on a compositional target (a deep random ReLU teacher); refuted as a general rule "
         "if the single wide layer matches the deep ones on MNIST",
    flag="≈ on small real data one wide layer is often as good; depth pays off on compositional "
         "targets",
    plot="accuracy / MSE vs depth at fixed parameters, per task; bars per shape")
def depth_vs_width(torch, lab):
    import numpy as np
    F = torch.nn.functional
    P = 25000 if lab.quick else 100000
    depths = [1, 2, 4] if lab.quick else [1, 2, 4, 8]
    epochs = 2 if lab.quick else 4
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 4000, 1000)
    # the compositional task: a fixed deep random ReLU teacher on 20-D inputs
    rng = np.random.default_rng(123)
    Zin = rng.standard_normal((3000, 20)).astype(np.float32)
    h = Zin
    for _ in range(4):
        h = np.maximum(h @ rng.standard_normal((h.shape[1], 32)).astype(np.float32) / np.sqrt(h.shape[1] / 2), 0)
    tgt = h @ rng.standard_normal((32, 1)).astype(np.float32)
    tgt = (tgt - tgt.mean()) / tgt.std()
    Ztr, Zte = lab.tensor(Zin[:2000]), lab.tensor(Zin[2000:])
    ttr, tte = lab.tensor(tgt[:2000]), lab.tensor(tgt[2000:])
    res = {}
    for d in depths:
        mn, te = [], []
        for seed in lab.seeds:
            rng = lab.seed(seed)
            model = mlp(torch, [784] + _widths(P, d) + [10])
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            fit(torch, model, opt, Xtr, ytr, epochs, 64, rng)
            mn.append(accuracy(torch, model, Xte, yte))
            widths = _widths(P * 20 // 784, d)            # same share of parameters, 20-D input
            model = mlp(torch, [20] + widths + [1])
            opt = torch.optim.Adam(model.parameters(), lr=3e-3)
            fit(torch, model, opt, Ztr, ttr, epochs * 4, 64, rng, loss_fn=F.mse_loss)
            with torch.no_grad():
                te.append(F.mse_loss(model(Zte), tte).item())
        res[f"depth {d}"] = {"widths": _widths(P, d), "mnist_accuracy": mn, "teacher_mse": te}
    shapes = {}
    for shape in ("funnel", "constant", "widening"):
        accs = []
        for seed in lab.seeds:
            rng = lab.seed(seed)
            model = mlp(torch, [784] + _widths(P, 3, shape) + [10])
            fit(torch, model, torch.optim.Adam(model.parameters(), lr=1e-3), Xtr, ytr, epochs,
                64, rng)
            accs.append(accuracy(torch, model, Xte, yte))
        shapes[shape] = {"widths": _widths(P, 3, shape), "mnist_accuracy": accs}
    lab.record(parameters=P, by_depth=res, by_shape=shapes)
    fig, axes = lab.figure(1, 3, width=3.6)
    m = lambda v: sum(v) / len(v)
    axes[0].plot(depths, [m(res[f"depth {d}"]["mnist_accuracy"]) for d in depths], "o-")
    axes[0].set_xlabel("hidden layers"); axes[0].set_ylabel("MNIST test accuracy")
    axes[1].plot(depths, [m(res[f"depth {d}"]["teacher_mse"]) for d in depths], "o-", c="C1")
    axes[1].set_xlabel("hidden layers"); axes[1].set_ylabel("teacher test MSE")
    axes[2].bar(list(shapes), [m(shapes[s]["mnist_accuracy"]) for s in shapes])
    axes[2].set_ylim(0.5, 1); axes[2].set_title("3 layers, same P")
    deepest = f"depth {depths[-1]}"
    best_deep = max(depths[1:], key=lambda d: m(res[f"depth {d}"]["mnist_accuracy"]))
    c_mnist = compare("deep", res[f"depth {best_deep}"]["mnist_accuracy"], "one wide layer",
                      res["depth 1"]["mnist_accuracy"])
    best_deep_t = min(depths[1:], key=lambda d: m(res[f"depth {d}"]["teacher_mse"]))
    c_teacher = compare("deep", res[f"depth {best_deep_t}"]["teacher_mse"], "one wide layer",
                        res["depth 1"]["teacher_mse"], higher_is_better=False)
    funnel = compare("funnel", shapes["funnel"]["mnist_accuracy"], "constant",
                     shapes["constant"]["mnist_accuracy"])
    v = across({f"MNIST ({c_mnist})": c_mnist.winner == "deep",
                f"deep-teacher regression ({c_teacher})": c_teacher.winner == "deep"},
               "the best deeper net beats one wide layer at equal parameters")
    v.text += f" Shapes at 3 layers: {funnel}."
    return v


@experiment(
    id="mlp-vs-svm", topic=4,
    question="How do MLPs and SVMs compare?",
    claim="SVMs suit small data and are costly at scale; neural nets suit big data [a]",
    test="Small-data claim confirmed if the SVM >= MLP for n <= 1,000; scaling claim checked "
         "from the fitted time exponent (SVM's larger than the fixed-budget MLP's)",
    plot="accuracy vs n; fit time vs n (log-log, fitted slope)")
def mlp_vs_svm(torch, lab):
    import numpy as np
    from sklearn.svm import SVC
    from .data import mnist as mnist_arrays
    sizes = [100, 300, 1000] if lab.quick else [100, 300, 1000, 2000, 4000]
    xtr_all, ytr_all, xte, yte = mnist_arrays(4000, 1000)
    Xte, Yte = lab.tensor(xte), lab.tensor(yte)
    steps = 150 if lab.quick else 400
    res = {}
    for n in sizes:
        r = {"svm_acc": [], "mlp_acc": [], "svm_s": [], "mlp_s": []}
        for seed in lab.seeds:
            rng = lab.seed(seed)
            idx = rng.choice(4000, n, replace=False)
            t0 = time.process_time()
            svm = SVC(kernel="rbf", C=5, gamma="scale").fit(xtr_all[idx], ytr_all[idx])
            r["svm_s"].append(time.process_time() - t0)
            r["svm_acc"].append(float((svm.predict(xte) == yte).mean()))
            X, Y = lab.tensor(xtr_all[idx]), lab.tensor(ytr_all[idx])
            model = mlp(torch, [784, 128, 10])
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            t0 = time.process_time()
            done = 0
            while done < steps:                           # a fixed budget of steps
                for b in minibatches(torch, n, 64, rng):
                    loss = torch.nn.functional.cross_entropy(model(X[b]), Y[b])
                    opt.zero_grad(); loss.backward(); opt.step()
                    done += 1
                    if done == steps:
                        break
            r["mlp_s"].append(time.process_time() - t0)
            r["mlp_acc"].append(accuracy(torch, model, Xte, Yte))
        res[n] = r
    m = lambda v: sum(v) / len(v)
    slope = lambda key: float(np.polyfit(np.log(sizes), np.log([m(res[n][key]) for n in sizes]), 1)[0])
    s_svm, s_mlp = slope("svm_s"), slope("mlp_s")
    lab.record(sizes=sizes, results=res, svm_time_exponent=s_svm, mlp_time_exponent=s_mlp)
    fig, axes = lab.figure(1, 2)
    axes[0].semilogx(sizes, [m(res[n]["svm_acc"]) for n in sizes], "o-", label="RBF SVM")
    axes[0].semilogx(sizes, [m(res[n]["mlp_acc"]) for n in sizes], "s-", label="MLP")
    axes[0].set_xlabel("training images"); axes[0].set_ylabel("test accuracy"); axes[0].legend()
    axes[1].loglog(sizes, [m(res[n]["svm_s"]) for n in sizes], "o-", label=f"SVM (slope {s_svm:.2f})")
    axes[1].loglog(sizes, [m(res[n]["mlp_s"]) for n in sizes], "s-", label=f"MLP (slope {s_mlp:.2f})")
    axes[1].set_xlabel("training images"); axes[1].set_ylabel("fit CPU seconds"); axes[1].legend()
    small = [n for n in sizes if n <= 1000]
    svm_ok = all(m(res[n]["svm_acc"]) >= m(res[n]["mlp_acc"]) - 0.005 for n in small)
    checks = {"the SVM matches or beats the MLP for every n <= 1,000 (" + ", ".join(
        f"n={n}: {m(res[n]['svm_acc']):.3f} vs {m(res[n]['mlp_acc']):.3f}" for n in small) + ")":
              svm_ok,
              f"SVM fit time grows faster with n (exponent {s_svm:.2f} vs MLP {s_mlp:.2f})":
                  s_svm > s_mlp + 0.3}
    return all_of(checks)
