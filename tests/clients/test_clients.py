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

HERE = os.path.dirname(os.path.abspath(__file__))
FLOAT = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")


def run(framework, script, *args, cwd, bridge=0, timeout=600):
    cmd = [sys.executable, os.path.join(HERE, "run.py"), framework]
    if bridge is not None:
        cmd += ["--bridge", str(bridge)]
    cmd += [os.path.join(HERE, script), *map(str, args)]
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
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
