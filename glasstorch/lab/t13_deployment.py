"""Topic 13: deployment and multiple devices (checkpoints, NumPy vs a framework, ONNX export, data
parallelism). One function per experiment, `fn(torch, lab)`."""
import io

from .catalog import experiment
from .common import accuracy, minibatches
from .verdict import all_of, confirmed, depends, refuted


def _mean(v):
    return sum(v) / len(v)


def _dropout_mlp(torch):
    nn = torch.nn
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))


def _run_epochs(torch, state, X, y, epochs, losses, probe=0):
    """Train `epochs` epochs from `state` = (model, opt, sched, rng): per-batch losses appended.
    The first `probe` steps also record the loss on the whole training set (eval mode, without
    dropout: the same yardstick for every run); returned as a list."""
    model, opt, sched, rng = state
    F = torch.nn.functional
    model.train()
    probed = []
    for _ in range(epochs):
        for idx in minibatches(torch, len(X), 64, rng):
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if len(probed) < probe:
                model.eval()
                with torch.no_grad():
                    probed.append(F.cross_entropy(model(X), y).item())
                model.train()
        sched.step()
    return probed


def _fresh(torch, lab, seed, total_epochs):
    rng = lab.seed(seed)
    model = _dropout_mlp(torch)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return model, opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, total_epochs), rng


def _max_param_diff(a, b):
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))


@experiment(
    id="checkpoint-resume", topic=13,
    question="What must be saved to continue training later?",
    claim="save the trained model so prediction can load it [a]",
    test="Weights suffice for prediction (confirmed); for resuming, weights-only shows a loss "
         "bump and drifts while full state reproduces the run exactly",
    plot="overlaid loss curves; max parameter difference at the end")
def checkpoint_resume(torch, lab):
    # an MLP with dropout (so the RNG matters), Adam, a cosine schedule over 6 epochs; at epoch 3
    # a checkpoint goes through torch.save/torch.load (in memory) and training resumes from it
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 4000, 1000)
    total, cut = 6, 3
    curves, pred_diff, diff_full, diff_weights, bump = {}, [], [], [], []
    for seed in lab.seeds:
        ref_losses = []
        ref = _fresh(torch, lab, seed, total)
        _run_epochs(torch, ref, Xtr, ytr, cut, ref_losses)              # uninterrupted
        ref_probe = _run_epochs(torch, ref, Xtr, ytr, total - cut, ref_losses, probe=10)
        run = _fresh(torch, lab, seed, total)
        losses = []
        _run_epochs(torch, run, Xtr, ytr, cut, losses)
        model, opt, sched, rng = run
        buf_w, buf_full = io.BytesIO(), io.BytesIO()
        torch.save(model.state_dict(), buf_w)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(), "torch_rng": torch.get_rng_state(),
                    "data_rng": rng.bit_generator.state}, buf_full)
        model.eval()
        with torch.no_grad():
            out_before = model(Xte)
        # a new process: fresh objects, the script seeded as at its start, then the checkpoint
        buf_w.seek(0)
        w_run = _fresh(torch, lab, seed, total)
        w_run[0].load_state_dict(torch.load(buf_w))
        w_run[0].eval()
        with torch.no_grad():
            pred_diff.append((w_run[0](Xte) - out_before).abs().max().item())
        w_losses = list(losses)
        w_probe = _run_epochs(torch, w_run, Xtr, ytr, total - cut, w_losses, probe=10)
        buf_full.seek(0)
        f_run = _fresh(torch, lab, seed, total)
        ck = torch.load(buf_full, weights_only=False)
        f_run[0].load_state_dict(ck["model"])
        f_run[1].load_state_dict(ck["optimizer"])
        f_run[2].load_state_dict(ck["scheduler"])
        torch.set_rng_state(ck["torch_rng"])
        f_run[3].bit_generator.state = ck["data_rng"]
        f_losses = list(losses)
        _run_epochs(torch, f_run, Xtr, ytr, total - cut, f_losses)
        diff_full.append(_max_param_diff(f_run[0], ref[0]))
        diff_weights.append(_max_param_diff(w_run[0], ref[0]))
        k = len(losses)             # training-set loss over the first 10 steps after resuming
        bump.append(_mean(w_probe) - _mean(ref_probe))
        curves[seed] = {"uninterrupted": ref_losses, "weights only": w_losses,
                        "full state": f_losses, "resume_step": k}
        acc = {"uninterrupted": accuracy(torch, ref[0], Xte, yte),
               "weights only": accuracy(torch, w_run[0], Xte, yte),
               "full state": accuracy(torch, f_run[0], Xte, yte)}
        curves[seed]["test_accuracy"] = acc
    lab.record(curves=curves, prediction_max_difference=pred_diff,
               final_max_param_difference={"full state": diff_full, "weights only": diff_weights},
               loss_bump_first_10_steps=bump)
    fig, axes = lab.figure(1, 2)
    c = curves[lab.seeds[0]]
    for name, style in (("uninterrupted", "-"), ("weights only", "--"), ("full state", ":")):
        axes[0].plot(c[name], style, label=name, lw=1)
    axes[0].axvline(c["resume_step"], c="k", lw=0.5); axes[0].set_yscale("log")
    axes[0].set_xlabel("batch"); axes[0].set_ylabel("training loss"); axes[0].legend(fontsize=7)
    axes[1].bar([0, 1], [max(diff_weights), max(diff_full) + 1e-12]); axes[1].set_yscale("log")
    axes[1].set_xticks([0, 1], ["weights only", "full state"])
    axes[1].set_ylabel("max |parameter - uninterrupted| at the end")
    checks = {f"weights suffice for prediction (max output difference {max(pred_diff):.1e})":
                  max(pred_diff) == 0,
              f"weights-only resume shows a loss bump (training-set loss over the first 10 "
              f"steps: "
              f"{', '.join(f'{b:+.3f}' for b in bump)} above the uninterrupted run)": min(bump) > 0,
              f"weights-only resume drifts (max parameter difference "
              f"{min(diff_weights):.2e} or more)": min(diff_weights) > 1e-3,
              f"full state reproduces the run exactly (max parameter difference "
              f"{max(diff_full):.1e})": max(diff_full) == 0}
    return all_of(checks, because="For prediction the weights are enough; to resume, save the "
                  "optimizer's moments, the scheduler's step and both random number generators "
                  "too.")


# ---------------------------------------------------------------------------------------------
def _numpy_mlp_epoch(np, params, X, y, batches, lr):
    """One epoch of SGD on a 784-256-10 ReLU MLP in plain NumPy: forward, hand-written backward
    and the update (params: W1 (784, 256), b1, W2 (256, 10), b2, as in x @ W + b)."""
    W1, b1, W2, b2 = params
    for idx in batches:
        x, t = X[idx], y[idx]
        h_pre = x @ W1 + b1
        h = np.maximum(h_pre, 0)
        z = h @ W2 + b2
        z = z - z.max(1, keepdims=True)                      # softmax cross-entropy
        p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        dz = p.copy()
        dz[np.arange(len(t)), t] -= 1
        dz /= len(t)
        dW2, db2 = h.T @ dz, dz.sum(0)
        dh = (dz @ W2.T) * (h_pre > 0)
        dW1, db1 = x.T @ dh, dh.sum(0)
        for w, g in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            w -= lr * g


def _framework_mlp_epoch(torch, model, opt, X, y, batches):
    """The same epoch with the framework: autograd writes the backward, the optimizer steps."""
    for idx in batches:
        loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


def _lines(fn):
    import inspect
    body = inspect.getsource(fn).split('"""')[-1]           # code after the docstring
    return sum(1 for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("#"))


@experiment(
    id="numpy-vs-framework", topic=13,
    question="NumPy can express these algorithms; could it replace PyTorch? Why can tensors run "
             "faster on a GPU?",
    claim="PyTorch's edge is the GPU and neural-net optimizations NumPy lacks [a]; tensors "
          "enable batched GPU computation; NumPy is CPU-only [b]",
    test="Depends: on CPU a NumPy-based framework can approach PyTorch; what plain NumPy lacks is "
         "autograd and the layer/optimizer library; GPU gains grow with array size",
    flag="≈ the missing pieces are autograd and the NN library, not CPU arithmetic",
    plot="samples/s bars; GFLOP/s vs size")
def numpy_vs_framework(torch, lab):
    # The NumPy MLP starts from the framework model's initial weights and sees the same batches,
    # so both must reach the same accuracy. No GPU here: the GPU column is recorded as absent.
    import time
    import numpy as np
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 4000, 1000)
    epochs, lr = (2 if lab.quick else 5), 0.1
    acc, speed = {"NumPy by hand": [], "framework": []}, {"NumPy by hand": [], "framework": []}
    Xn, yn = Xtr.numpy().copy(), ytr.numpy().copy()
    for seed in lab.seeds:
        rng = lab.seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                    torch.nn.Linear(256, 10))
        params = [model[0].weight.detach().numpy().T.copy(), model[0].bias.detach().numpy().copy(),
                  model[2].weight.detach().numpy().T.copy(), model[2].bias.detach().numpy().copy()]
        orders = [[o for o in minibatches(torch, len(ytr), 64, rng)] for _ in range(epochs)]
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        t0 = time.process_time()
        for batches in orders:
            _framework_mlp_epoch(torch, model, opt, Xtr, ytr, batches)
        speed["framework"].append(epochs * len(ytr) / (time.process_time() - t0))
        np_orders = [[b.numpy() for b in batches] for batches in orders]
        t0 = time.process_time()
        for batches in np_orders:
            _numpy_mlp_epoch(np, params, Xn, yn, batches, lr)
        speed["NumPy by hand"].append(epochs * len(ytr) / (time.process_time() - t0))
        acc["framework"].append(accuracy(torch, model, Xte, yte))
        h = np.maximum(Xte.numpy() @ params[0] + params[1], 0) @ params[2] + params[3]
        acc["NumPy by hand"].append(float((h.argmax(1) == yte.numpy()).mean()))
    sizes = [64, 256, 512] if lab.quick else [64, 256, 512, 1024]
    gflops = {"NumPy": [], "framework": []}
    for n in sizes:
        a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
        ta = torch.from_numpy(a)
        number = max(2, int(2e8 / n ** 3))
        gflops["NumPy"].append(2 * n ** 3 / lab.timeit(lambda: a @ a, number) / 1e9)
        gflops["framework"].append(2 * n ** 3 / lab.timeit(lambda: ta @ ta, number) / 1e9)
    gpu = bool(torch.cuda.is_available())
    loc = {"NumPy by hand": _lines(_numpy_mlp_epoch), "framework": _lines(_framework_mlp_epoch)}
    lab.record(test_accuracy=acc, train_samples_per_cpu_second=speed, matmul_sizes=sizes,
               matmul_gflops=gflops, lines_of_code=loc, gpu_available=gpu)
    fig, axes = lab.figure(1, 2)
    axes[0].bar([0, 1], [_mean(speed[k]) for k in speed]); axes[0].set_xticks([0, 1], list(speed))
    axes[0].set_ylabel("training samples per CPU second")
    for k, v in gflops.items():
        axes[1].loglog(sizes, v, "o-", label=k)
    axes[1].set_xlabel("matrix size n (n x n @ n x n, float32)"); axes[1].set_ylabel("GFLOP/s")
    axes[1].legend()
    ratio = gflops["framework"][-1] / gflops["NumPy"][-1]
    gap = max(abs(a - b) for a, b in zip(acc["NumPy by hand"], acc["framework"]))
    checks = {f"NumPy by hand reaches the framework's accuracy (largest gap {gap:.4f})": gap < 0.01,
              f"on CPU the arithmetic is NumPy's: framework matmul at n = {sizes[-1]} runs at "
              f"{ratio:.2f}x NumPy's GFLOP/s (within 3x)": 1 / 3 < ratio < 3,
              f"what NumPy lacks is autograd and the library: {loc['NumPy by hand']} lines by "
              f"hand vs {loc['framework']} with the framework":
                  loc["NumPy by hand"] > 2 * loc["framework"]}
    note = (f"Throughput: NumPy by hand {_mean(speed['NumPy by hand']):.0f} vs framework "
            f"{_mean(speed['framework']):.0f} samples per CPU second (one thread). "
            f"GPU: {'present' if gpu else 'none on this machine, so the GPU part is untested'}.")
    if not all(checks.values()):
        return all_of(checks, note=note)
    return depends("a GPU (untested here): on CPU the arithmetic is the same",
                   "; ".join(checks) + ". What a framework adds on CPU is autograd and the "
                   "layer/optimizer library, not faster arithmetic. " + note, checks)


# ---------------------------------------------------------------------------------------------
def _lenet(torch):
    """LeNet-5 with BatchNorm after each convolution and dropout before the last layer (the two
    layers that behave differently in training and eval mode)."""
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(),
                         nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                         nn.Linear(120, 84), nn.ReLU(), nn.Dropout(0.5), nn.Linear(84, 10))


@experiment(
    id="onnx-export", topic=13,
    question="How is a trained model deployed, e.g. from C++?",
    claim="save the trained model and load it for prediction, then deploy [a]; C++ deployment is "
          "discussed in the course [b]",
    test="Confirmed if outputs agree to 1e-5; the training-mode export is shown to differ",
    plot="max absolute difference; latency bars")
def onnx_export(torch, lab):
    # onnxruntime (C++ under a Python binding) runs the exported graph. torch 2.13's default
    # exporter (dynamo=True) needs onnxscript, which the project does not depend on: the
    # TorchScript-based exporter (dynamo=False) is used, on both frameworks.
    import warnings
    import onnxruntime as ort
    Xtr, ytr, Xte, yte = lab.mnist(1000 if lab.quick else 4000, 500 if lab.quick else 1000,
                                   flat=False)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    diff_eval, diff_train, rel, same = [], [], [], []
    acc, latency = {"eager": [], "onnxruntime": []}, {}
    for seed in lab.seeds:
        rng = lab.seed(seed)
        model = _lenet(torch)
        opt = torch.optim.Adam(model.parameters(), lr=5e-3)
        _framework_mlp_epoch(torch, model, opt, Xtr, ytr, minibatches(torch, len(ytr), 64, rng))
        model.eval()
        buf = io.BytesIO()
        torch.onnx.export(model, (Xte[:2],), buf, input_names=["image"],
                          output_names=["logits"], dynamo=False,
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
        sess = ort.InferenceSession(buf.getvalue(), opts, providers=["CPUExecutionProvider"])
        with torch.no_grad():
            eager = model(Xte)
        got = sess.run(None, {"image": Xte.numpy()})[0]
        err = float(abs(got - eager.numpy()).max())
        diff_eval.append(err)
        rel.append(err / float(abs(eager.numpy()).max()))
        acc["eager"].append((eager.argmax(1) == yte).float().mean().item())
        acc["onnxruntime"].append(float((got.argmax(1) == yte.numpy()).mean()))
        same.append(float((got.argmax(1) == eager.argmax(1).numpy()).mean()))
        # the same weights exported in training mode: batch statistics in BatchNorm, dropout on
        model.train()
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (Xte[:64],), buf, input_names=["image"],
                              output_names=["logits"], dynamo=False,
                              training=torch.onnx.TrainingMode.TRAINING)
        model.eval()
        sess_t = ort.InferenceSession(buf.getvalue(), opts, providers=["CPUExecutionProvider"])
        got_t = sess_t.run(None, {"image": Xte[:64].numpy()})[0]
        diff_train.append(float(abs(got_t - eager[:64].numpy()).max()))
        if seed == lab.seeds[0]:
            for bs in (1, 64):
                x = Xte[:bs]
                xn = x.numpy()
                def run_eager():
                    with torch.no_grad():
                        model(x)
                latency[f"eager, batch {bs}"] = lab.timeit(run_eager, 10 if lab.quick else 30)
                latency[f"onnxruntime, batch {bs}"] = lab.timeit(
                    lambda: sess.run(None, {"image": xn}), 10 if lab.quick else 30)
    lab.record(max_abs_difference_eval_export=diff_eval, same_prediction_fraction=same, relative_to_largest_logit=rel,
               max_abs_difference_training_export=diff_train, test_accuracy=acc,
               latency_s=latency)
    fig, axes = lab.figure(1, 2)
    axes[0].bar([0, 1], [max(diff_eval), max(diff_train)]); axes[0].set_yscale("log")
    axes[0].set_xticks([0, 1], ["eval-mode export", "training-mode export"])
    axes[0].set_ylabel("max |onnxruntime - eager eval|")
    axes[1].bar(range(4), [latency[k] * 1e3 for k in latency]); axes[1].set_yscale("log")
    axes[1].set_xticks(range(4), [k.replace(", ", "\n") for k in latency], fontsize=7)
    axes[1].set_ylabel("ms per call (fastest of repeats)")
    checks = {f"the eval-mode export agrees with the eager model to 1e-5 (max difference "
              f"{max(diff_eval):.1e} on logits up to {max(d / r for d, r in zip(diff_eval, rel)):.0f})":
                  max(diff_eval) <= 1e-5,
              f"the same predicted class for {min(same):.1%} of the test images (accuracy "
              f"{_mean(acc['onnxruntime']):.4f} vs {_mean(acc['eager']):.4f})": min(same) == 1,
              f"a training-mode export differs (batch statistics and dropout: max difference "
              f"{min(diff_train):.2f} or more)": min(diff_train) > 1e-2}
    return all_of(checks, because="Exported in eval mode, the model runs outside Python (in "
                  "onnxruntime's C++ engine) with the same outputs.",
                  note="Latency: " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in latency.items())
                  + ".")
