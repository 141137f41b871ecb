"""`glasstorch export` and `glasstorch predict model.onnx`: the checkpoint -> ONNX ->
onnxruntime round trip from the command line, with the same output as the checkpoint path."""
import os
import subprocess
import sys

import pytest

import glasstorch as gt
from glasstorch.vision import models

pytest.importorskip("onnxruntime")
PIL = pytest.importorskip("PIL.Image")
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "glasstorch", *map(str, args)],
                          capture_output=True, text=True, timeout=180, cwd=cwd, env=ENV)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A LeNet checkpoint in the format `glasstorch train` writes, and two digit images."""
    tmp = tmp_path_factory.mktemp("export")
    kwargs = {"num_classes": 10, "in_channels": 1, "input_size": 28}
    gt.manual_seed(0)
    model = models.get_model("lenet", **kwargs)
    run_dict = {"model": "lenet", "model_kwargs": kwargs, "dataset": "mnist", "data_root": None,
                "classes": [f"{i} - d{i}" for i in range(10)], "mean": [0.1307],
                "std": [0.3081], "input_shape": [1, 28, 28]}
    gt.save({"model": model.state_dict(), "run": run_dict, "epoch": 1}, tmp / "best.pt")
    from glasstorch.vision.datasets import MNIST
    test = MNIST(None, train=False)
    PIL.fromarray(test[0][0].numpy()).save(tmp / "digit.png")
    PIL.fromarray(test[1][0].numpy()).resize((40, 40)).save(tmp / "big.png")
    return tmp


def test_export_then_predict_matches_the_checkpoint(checkpoint):
    tmp = checkpoint
    proc = run("export", tmp, "model.onnx", cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert "exported lenet" in proc.stdout and "opset 17" in proc.stdout
    onnx_out = run("predict", "model.onnx", "digit.png", "big.png", cwd=tmp)
    pt_out = run("predict", "best.pt", "digit.png", "big.png", cwd=tmp)
    assert onnx_out.returncode == 0 and pt_out.returncode == 0, onnx_out.stderr + pt_out.stderr
    assert onnx_out.stdout == pt_out.stdout
    assert onnx_out.stdout.count("next:") == 2


@pytest.mark.parametrize("args, message", [
    (["export", "missing.pt", "m.onnx"], "no such checkpoint or run folder: missing.pt"),
    (["export", "best.pt", "m.txt"], "should end in .onnx"),
    (["predict", "digit.png.onnx", "digit.png"], "cannot read ONNX model digit.png.onnx"),
])
def test_errors_are_one_line(checkpoint, args, message):
    proc = run(*args, cwd=checkpoint)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert message in proc.stderr and proc.stderr.count("\n") == 1
