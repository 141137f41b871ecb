"""The `glasstorch` command's train / eval / predict / models / summary, run in subprocesses as
a user runs them (tiny settings: --limit, --epochs 1), and their one-line errors."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import glasstorch as gt

# one BLAS thread: the subprocesses run next to each other on a small machine
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def run(*args, cwd, timeout=180):
    return subprocess.run([sys.executable, "-m", "glasstorch", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd, env=ENV)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny LeNet run on the bundled MNIST subset, shared by the tests below."""
    tmp = tmp_path_factory.mktemp("cli")
    out = tmp / "run"
    proc = run("train", "--limit", 256, "--epochs", 1, "--val-fraction", 0.05, "--scheduler",
               "none", "--out", out, cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    return tmp, out, proc


def test_train_writes_the_run_folder(trained):
    tmp, out, proc = trained
    assert sorted(os.listdir(out)) == ["best.pt", "config.json", "confusion_matrix.png",
                                       "curves.png", "last.pt", "metrics.jsonl",
                                       "results.json"]
    assert "training lenet (61,706 parameters) on mnist: 256 training / 200 validation / " \
           "1000 test images, 1 epoch" in proc.stdout
    assert "epoch 1/1  train_loss" in proc.stdout and "val_acc" in proc.stdout
    assert f"run folder: {out}" in proc.stdout
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "lenet" and config["limit"] == 256 and config["epochs"] == 1
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["epoch"] == 1
    results = json.loads((out / "results.json").read_text())
    assert 0.3 < results["acc"] <= 1 and results["samples"] == 1000    # chance: 0.1
    assert f"accuracy {100 * results['acc']:.2f}%" in proc.stdout
    assert np.array(results["confusion_matrix"]).sum() == 1000
    state = gt.load(out / "best.pt")
    assert state["run"]["model"] == "lenet" and state["epoch"] == 1
    assert state["run"]["model_kwargs"] == {"num_classes": 10, "in_channels": 1,
                                            "input_size": 28}
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_eval_reproduces_the_test_accuracy(trained):
    tmp, out, _ = trained
    proc = run("eval", out, cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    acc = json.loads((out / "results.json").read_text())["acc"]
    assert f"accuracy {100 * acc:.2f}%" in proc.stdout
    assert proc.stdout.count("/100)") == 10            # per class: 100 test images each
    proc = run("eval", out / "last.pt", "--limit", 50, cwd=tmp)
    assert proc.returncode == 0 and "(50 images)" in proc.stdout


def test_predict_png_and_npy(trained):
    from PIL import Image
    tmp, out, _ = trained
    from glasstorch.vision.datasets import MNIST
    test = MNIST(None, train=False)
    Image.fromarray(test[0][0].numpy()).save(tmp / "digit.png")
    Image.fromarray(test[1][0].numpy()).convert("RGB").resize((56, 56)).save(tmp / "big.png")
    np.save(tmp / "digit.npy", test[2][0].numpy())
    proc = run("predict", out / "best.pt", "digit.png", "big.png", "digit.npy", "--top-k", 2,
               cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["digit.png", "big.png", "digit.npy"]
    for line in lines:   # "digit.png: 0 - zero (98.5%)   next: 9 - nine 1.5%"
        assert " - " in line and "%)" in line and line.count("next:") == 1
    # the model and the CLI agree on the probabilities
    x = (test[2][0].float() / 255 - 0.1307) / 0.3081
    model = _model(out / "best.pt")
    probs = gt.softmax(model(x.reshape(1, 1, 28, 28)), dim=1)[0]
    top = int(probs.argmax())
    assert f"{test.classes[top]} ({100 * float(probs[top]):.1f}%)" in lines[2]


def _model(path):
    from glasstorch.vision import models
    state = gt.load(path)
    model = models.get_model(state["run"]["model"], **state["run"]["model_kwargs"])
    model.load_state_dict(state["model"])
    return model.eval()


def test_resume_continues_the_run(trained, tmp_path):
    tmp, out, _ = trained
    run_dir = tmp_path / "resumed"
    shutil.copytree(out, run_dir)
    proc = run("train", "--resume", run_dir / "last.pt", "--epochs", 2, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "epoch 2/2" in proc.stdout and "epoch 1/2" not in proc.stdout
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]
    assert gt.load(run_dir / "last.pt")["epoch"] == 2
    assert json.loads((run_dir / "config.json").read_text())["epochs"] == 2
    proc = run("train", "--resume", run_dir, "--lr", 0.1, cwd=tmp_path)
    assert proc.returncode == 1 and "it cannot change --lr" in proc.stderr
    # a onecycle schedule is planned for the run's length: it cannot be extended
    assert run("train", "--limit", 32, "--epochs", 1, "--out", tmp_path / "one",
               cwd=tmp_path).returncode == 0
    proc = run("train", "--resume", tmp_path / "one", "--epochs", 2, cwd=tmp_path)
    assert proc.returncode == 1 and "onecycle" in proc.stderr


def test_other_model_and_dataset(tmp_path):
    # fakedata is CIFAR-shaped (3x32x32); densenet_small needs >= 29x29: no resize here
    proc = run("train", "--model", "resnet_small", "--dataset", "fakedata", "--limit", 32,
               "--epochs", 1, "--batch-size", 16, "--optimizer", "sgd", "--scheduler",
               "cosine", "--augment", "--weight-decay", 1e-4, "--out", tmp_path / "r",
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "resnet_small (272,474 parameters) on fakedata" in proc.stdout
    assert gt.load(tmp_path / "r" / "last.pt")["run"]["input_shape"] == [3, 32, 32]


def test_small_images_are_resized_for_the_model(tmp_path):
    proc = run("train", "--model", "densenet_small", "--limit", 16, "--epochs", 1,
               "--val-fraction", 0, "--out", tmp_path / "r", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "resizing mnist's 28x28 images to 29x29" in proc.stdout
    assert gt.load(tmp_path / "r" / "best.pt")["run"]["model_kwargs"]["input_size"] == 29


def test_models_and_summary(tmp_path):
    from glasstorch.vision import models
    proc = run("models", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in models.list_models():
        info = models.get_model_info(name)
        assert any(line.startswith(name + " ") and f"{info.num_params:,}" in line
                   for line in proc.stdout.splitlines()), name
    proc = run("summary", "lenet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Total params: 61,706" in proc.stdout and "[1, 16, 5, 5]" in proc.stdout
    proc = run("summary", "resnet_small", "--input-size", 1, 20, 20, "--num-classes", 4,
               "--depth", 1, cwd=tmp_path)
    assert proc.returncode == 0 and "[1, 4]" in proc.stdout and "BasicBlock" not in proc.stdout


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "lenet5"], "unknown model 'lenet5'; choose from: alexnet, "),
    (["train", "--dataset", "imagenet"],
     "unknown dataset 'imagenet'; choose from: mnist, fashion-mnist, cifar10, fakedata"),
    (["train", "--dataset", "fashion-mnist", "--data-root", "empty"],
     "FashionMNIST not found under"),
    (["train", "--dataset", "cifar10", "--data-root", "empty"], "--download"),
    (["train", "--model", "resnet18", "--dropout", "0.5"], "resnet18 has no dropout option"),
    (["train", "--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'; choose from: sgd, adam"),
    (["train", "--epochs", "0"], "--epochs must be >= 1"),
    (["summary", "resnet9"], "unknown model 'resnet9'"),
    (["eval", "no/such/run"], "no such checkpoint or run folder: no/such/run"),
    (["train", "--resume", "no/such/run"], "cannot resume from no/such/run"),
])
def test_bad_input_gives_one_line(args, message, tmp_path):
    (tmp_path / "empty").mkdir()
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith(f"glasstorch {args[0]}: error: ") and message in proc.stderr
    assert not (tmp_path / "runs").exists()           # no run folder for a failed start


def test_bad_images_and_checkpoints(trained, tmp_path):
    tmp, out, _ = trained
    (tmp_path / "bad.png").write_text("not an image")
    np.save(tmp_path / "bad.npy", np.zeros((2, 5, 5, 5)))
    state = gt.load(out / "best.pt")
    state["run"]["model"] = "resnet_small"             # weights of a LeNet, said to be a ResNet
    gt.save(state, tmp_path / "other.pt")
    gt.save({"w": gt.zeros(2)}, tmp_path / "plain.pt")
    cases = [
        (["predict", out, "bad.png"], "cannot read image bad.png"),
        (["predict", out, "missing.png"], "cannot read image missing.png"),
        (["predict", out, "bad.npy"], "expected an array (H, W)"),
        (["eval", "other.pt"], "do not fit a resnet_small model"),
        (["predict", "other.pt", "bad.png"], "missing keys (conv1.weight"),
        (["eval", "plain.pt"], "is not a checkpoint written by `glasstorch train`"),
        (["eval", "bad.png"], "cannot read checkpoint bad.png"),
    ]
    for args, message in cases:
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == 1, args
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert message in proc.stderr, (args, proc.stderr)


def test_console_script_and_demo_default(tmp_path):
    script = shutil.which("glasstorch", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("the glasstorch console script is not installed next to this python")
    proc = subprocess.run([script, "models"], capture_output=True, text=True, timeout=60,
                          env=ENV)
    assert proc.returncode == 0 and "resnet18" in proc.stdout
    proc = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60,
                          env=ENV)
    assert all(c in proc.stdout for c in ("demo", "train", "eval", "predict", "summary"))
