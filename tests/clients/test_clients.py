"""Public PyTorch programs, run unchanged (apart from the data/size edits listed in EDITS.md)
on glasstorch through the import alias, and compared with the same program on real torch.

Each test runs the program twice in subprocesses (tests/clients/run.py): on glasstorch and on
torch, both with the shared random stream of _bridge.py, so both start from the same weights
and see the same batches and dropout masks. float64 programs must give the same printed losses
to 1e-4; float32 programs the same figures within a band.
"""
import os
import re
import subprocess
import sys

import pytest

import d2l_harness

HERE = os.path.dirname(os.path.abspath(__file__))
FLOAT = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")


def run(framework, script, *args, cwd, bridge=0, timeout=600, env=None):
    if bridge is None and framework == "glasstorch":      # exactly what a user types
        cmd = [sys.executable, "-m", "glasstorch", "exec"]
    else:
        cmd = [sys.executable, os.path.join(HERE, "run.py"), framework]
        if bridge is not None:
            cmd += ["--bridge", str(bridge)]
    cmd += [os.path.join(HERE, script), *map(str, args)]
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", **(env or {}))
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)
    assert r.returncode == 0, f"{framework} {script} failed:\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
    return r.stdout


def both(script, *args, tmp_path, setup=None):
    out = {}
    for fw in ("glasstorch", "torch"):
        cwd = tmp_path / fw
        cwd.mkdir()
        if setup:
            run(fw, setup, cwd=cwd, bridge=None)
        out[fw] = run(fw, script, *args, cwd=cwd)
    return out["glasstorch"], out["torch"]


def floats(text, prefix=""):
    return [float(x) for line in text.splitlines() if line.startswith(prefix)
            for x in FLOAT.findall(line)]


def test_regression(tmp_path):
    g, t = both("regression/main.py", tmp_path=tmp_path)
    # "Loss: L after N batches" then the learned and actual polynomial coefficients
    gn, tn = int(re.search(r"after (\d+) batches", g)[1]), int(re.search(r"after (\d+)", t)[1])
    assert abs(gn - tn) <= max(3, tn // 20), (g, t)
    assert floats(g, "==> Actual") == floats(t, "==> Actual")          # same random target
    learned_g, learned_t = floats(g, "==> Learned"), floats(t, "==> Learned")
    assert max(abs(a - b) for a, b in zip(learned_g, learned_t)) <= 0.02, (g, t)


def test_time_sequence_prediction_float64_loss_curve(tmp_path):
    # LSTMCell x2 + Linear in float64 trained by LBFGS: every printed loss to 1e-4
    g, t = both("time_sequence_prediction/train.py", "--steps", 1, tmp_path=tmp_path,
                setup="time_sequence_prediction/generate_sine_wave.py")
    lg, lt = floats(g, "loss:") + floats(g, "test loss:"), floats(t, "loss:") + floats(
        t, "test loss:")
    assert len(lg) == len(lt) >= 20
    assert max(abs(a - b) for a, b in zip(lg, lt)) < 1e-4, list(zip(lg, lt))
    assert os.path.exists(tmp_path / "glasstorch" / "predict0.pdf")


def test_mnist(tmp_path):
    g, t = both("mnist/main.py", "--dry-run", "--epochs", 1, tmp_path=tmp_path)
    loss_g, loss_t = floats(g, "Train Epoch"), floats(t, "Train Epoch")
    assert abs(loss_g[-1] - loss_t[-1]) < 1e-4, (g, t)
    acc = [int(re.search(r"Accuracy: (\d+)/1000", x)[1]) for x in (g, t)]
    assert abs(acc[0] - acc[1]) <= 5, (g, t)


def test_vae(tmp_path):
    for fw in ("glasstorch", "torch"):
        (tmp_path / fw / "results").mkdir(parents=True)   # the repo ships vae/results/
    out = {}
    for fw in ("glasstorch", "torch"):
        out[fw] = run(fw, "vae/main.py", "--epochs", 1, cwd=tmp_path / fw)
    g, t = out["glasstorch"], out["torch"]
    for prefix in ("====> Epoch", "====> Test set loss"):
        a, b = floats(g, prefix)[-1], floats(t, prefix)[-1]
        assert abs(a - b) <= 0.005 * abs(b), (prefix, a, b)
    assert (tmp_path / "glasstorch" / "results" / "sample_1.png").exists()


def test_mnist_rnn(tmp_path):
    g, t = both("mnist_rnn/main.py", "--dry-run", "--epochs", 1, tmp_path=tmp_path)
    assert abs(floats(g, "Train Epoch")[-1] - floats(t, "Train Epoch")[-1]) < 1e-4, (g, t)
    acc = [int(re.search(r"Accuracy: (\d+)/1000", x)[1]) for x in (g, t)]
    assert abs(acc[0] - acc[1]) <= 5, (g, t)


@pytest.mark.parametrize("program", ["reinforce.py", "actor_critic.py"])
def test_reinforcement_learning_cartpole(tmp_path, program):
    pytest.importorskip("gymnasium")
    # the same episodes, rewards and running averages: CartPole is seeded by the program
    g, t = both(f"reinforcement_learning/{program}", "--log-interval", 5, tmp_path=tmp_path)
    lines = [line for line in g.splitlines() if line.startswith("Episode")]
    assert len(lines) == 6
    rg = floats(g, "Episode")
    rt = floats(t, "Episode")
    assert len(rg) == len(rt) and max(abs(a - b) for a, b in zip(rg, rt)) < 0.02, (g, t)


def test_mnist_hogwild_two_processes(tmp_path):
    # Hogwild!: 2 processes train one model in shared memory (no oracle: the interleaving
    # of the processes' updates is not deterministic)
    out = run("glasstorch", "mnist_hogwild/main.py", "--dry-run", "--epochs", 1,
              "--num-processes", 2, cwd=tmp_path, bridge=None)
    assert out.count("Train Epoch: 1 [0/4000") == 2, out
    assert re.search(r"Test set: Average loss: \d+\.\d+, Accuracy: \d+/1000", out), out


def _wlm_data(root):
    lines = open(os.path.join(HERE, "..", "..", "glasstorch", "data", "timemachine",
                              "timemachine.txt")).read().splitlines()
    n = len(lines)
    parts = {"train": lines[:int(.8 * n)], "valid": lines[int(.8 * n):int(.9 * n)],
             "test": lines[int(.9 * n):]}
    root.mkdir(parents=True)
    for name, text in parts.items():
        (root / f"{name}.txt").write_text("\n".join(text) + "\n")


@pytest.mark.parametrize("model", ["LSTM", "Transformer"])
def test_word_language_model_on_the_time_machine(tmp_path, model):
    out = {}
    for fw in ("glasstorch", "torch"):
        _wlm_data(tmp_path / fw / "tm")
        out[fw] = run(fw, "word_language_model/main.py", "--data", "tm", "--model", model,
                      "--emsize", 16, "--nhid", 16, "--nhead", 2, "--epochs", 1, "--bptt", 10,
                      "--dropout", 0, "--lr", 2, "--dry-run", cwd=tmp_path / fw)
    g, t = out["glasstorch"], out["torch"]
    # TransformerModel passes no dropout to nn.Transformer (its default 0.1 stays), and torch
    # drops attention weights inside its C++ attention kernel, which the shared random stream
    # cannot reach: the Transformer's one training step is compared within a band only
    band = 0.0 if model == "LSTM" else 0.02
    for prefix in ("| end of epoch", "| End of training"):
        fg = [float(x) for line in g.splitlines() if line.startswith(prefix)
              for x in re.findall(r"loss +(\d+\.\d+)", line)]
        ft = [float(x) for line in t.splitlines() if line.startswith(prefix)
              for x in re.findall(r"loss +(\d+\.\d+)", line)]
        assert fg and len(fg) == len(ft), (g, t)
        assert max(abs(a - b) for a, b in zip(fg, ft)) <= band + 1e-9, (g, t)


def test_mnist_forward_forward(tmp_path):
    g, t = both("mnist_forward_forward/main.py", "--epochs", 2, "--train_size", 100,
                "--test_size", 100, "--log-interval", 1, tmp_path=tmp_path)
    lg, lt = floats(g, "Loss:"), floats(t, "Loss:")
    assert len(lg) == len(lt) >= 4 and max(abs(a - b) for a, b in zip(lg, lt)) < 1e-4, (g, t)
    assert floats(g, "test error") == pytest.approx(floats(t, "test error"), abs=0.02)


def test_dcgan_on_fakedata(tmp_path):
    args = ("--dataset", "fake", "--niter", 1, "--dry-run", "--batchSize", 4, "--imageSize", 64,
            "--ngf", 8, "--ndf", 8, "--nz", 10, "--workers", 0, "--manualSeed", 1)
    g, t = both("dcgan/main.py", *args, tmp_path=tmp_path)
    fg, ft = floats(g, "[0/1]"), floats(t, "[0/1]")
    assert len(fg) == len(ft) == 5 and max(abs(a - b) for a, b in zip(fg, ft)) < 2e-4, (g, t)
    assert (tmp_path / "glasstorch" / "fake_samples_epoch_000.png").exists()


def test_siamese_network_runs(tmp_path):
    # no oracle run: torchvision's resnet18 is not installed next to torch
    out = run("glasstorch", "siamese_network/main.py", "--dry-run", "--epochs", 1,
              cwd=tmp_path, bridge=None)
    assert re.search(r"Test set: Average loss: \d+\.\d+, Accuracy: \d+/1000", out), out


# ---- d2l-en: the PyTorch cells of the chapters, extracted verbatim by d2l/extract.py ------------
@pytest.mark.parametrize("chapter", ["ndarray", "linear_algebra", "autograd"])
def test_d2l_preliminaries(tmp_path, chapter):
    g, t = both(f"d2l/{chapter}.py", tmp_path=tmp_path)
    # float32 results to 1e-6 relative (NumPy's float32 exp is 1 ulp off torch's at times)
    d2l_harness.assert_same_output(g, t, rel=1e-6, abs=1e-6)


def _bsd300_stand_in(root):
    """super_resolution downloads BSDS300 unless dataset/BSDS300/images exists: put 8 train and
    4 test JPEGs there (smooth seeded random images, 300x260 RGB) so nothing is downloaded."""
    import numpy as np
    from PIL import Image
    rs = np.random.RandomState(0)
    for split, n in (("train", 8), ("test", 4)):
        d = root / "dataset" / "BSDS300" / "images" / split
        d.mkdir(parents=True)
        for i in range(n):
            a = (rs.rand(26, 30, 3) * 255).astype(np.uint8)
            Image.fromarray(a).resize((300, 260), Image.BICUBIC).save(d / f"{i}.jpg", quality=95)


def test_super_resolution(tmp_path):
    pytest.importorskip("PIL")
    pytest.importorskip("six")
    out = {}
    for fw in ("glasstorch", "torch"):
        _bsd300_stand_in(tmp_path / fw)
        out[fw] = run(fw, "super_resolution/main.py", "--upscale_factor", 3, "--batchSize", 4,
                      "--testBatchSize", 4, "--nEpochs", 1, "--threads", 0, cwd=tmp_path / fw)
    fg, ft = floats(out["glasstorch"], "===>"), floats(out["torch"], "===>")
    assert len(fg) == len(ft) >= 4
    assert fg == pytest.approx(ft, rel=1e-4), (out["glasstorch"], out["torch"])
    assert (tmp_path / "glasstorch" / "model_epoch_1.pth").exists()
