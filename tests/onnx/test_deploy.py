"""Deployment: export_run writes a self-describing .onnx; examples/deploy_onnx.py serves it with
onnxruntime only (glasstorch made unimportable) and agrees with eager glasstorch."""
import os
import subprocess
import sys

import numpy as np
import pytest

import glasstorch as gt
from glasstorch.onnx.deploy import export_run, predict_probabilities, read_metadata
from glasstorch.vision import models

pytest.importorskip("onnxruntime")
PIL = pytest.importorskip("PIL.Image")
EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "deploy_onnx.py")
RUN = {"model": "lenet", "model_kwargs": {"num_classes": 10, "in_channels": 1, "input_size": 28},
       "classes": [f"{i} - digit{i}" for i in range(10)], "mean": [0.1307], "std": [0.3081],
       "input_shape": [1, 28, 28]}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deploy")
    gt.manual_seed(0)
    model = models.get_model("lenet", **RUN["model_kwargs"]).eval()
    export_run(model, RUN, tmp / "model.onnx")
    from glasstorch.vision.datasets import MNIST
    test = MNIST(None, train=False)
    digits = [test[i][0].numpy() for i in range(3)]
    for i, d in enumerate(digits):
        PIL.fromarray(d).save(tmp / f"d{i}.png")
    return tmp, model, digits


def test_metadata_and_probabilities(exported):
    tmp, model, digits = exported
    meta = read_metadata(tmp / "model.onnx")
    assert meta["classes"] == RUN["classes"] and meta["input_shape"] == [1, 28, 28]
    x = (np.stack(digits)[:, None].astype(np.float32) / 255 - 0.1307) / 0.3081
    probs = predict_probabilities(tmp / "model.onnx", x)
    with gt.no_grad():
        ref = gt.softmax(model(gt.tensor(x)), dim=1).numpy()
    np.testing.assert_allclose(probs, ref, rtol=1e-4, atol=1e-6)


def test_example_serves_without_glasstorch(exported):
    tmp, model, digits = exported
    blocker = tmp / "blocker" / "glasstorch"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('glasstorch must not be imported')")
    env = {**os.environ, "PYTHONPATH": str(tmp / "blocker"), "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, EXAMPLE, "model.onnx", "d0.png", "d1.png", "d2.png",
                           "--top-k", "2"], capture_output=True, text=True, cwd=tmp, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["d0.png", "d1.png", "d2.png"]
    for line, d in zip(lines, digits):      # the format of `glasstorch predict`
        x = (d.astype(np.float32) / 255 - 0.1307) / 0.3081
        with gt.no_grad():
            p = gt.softmax(model(gt.tensor(x).reshape(1, 1, 28, 28)), dim=1)[0].numpy()
        top = int(p.argmax())
        assert line.startswith(f"d{lines.index(line)}.png: {RUN['classes'][top]} "
                               f"({100 * p[top]:.1f}%)   next: ")


def test_predict_files_prints_the_checkpoint_format(exported):
    from glasstorch.onnx.deploy import predict_files
    from glasstorch.vision.transforms import functional as TF
    tmp, model, digits = exported

    def read(path, channels):
        with PIL.open(path) as img:
            return TF.to_tensor(img.convert("L"))
    lines = predict_files(tmp / "model.onnx", [str(tmp / "d0.png"), str(tmp / "d1.png")], read,
                          top_k=3)
    for line, d in zip(lines, digits):
        x = (d.astype(np.float32) / 255 - 0.1307) / 0.3081
        with gt.no_grad():
            p = gt.softmax(model(gt.tensor(x).reshape(1, 1, 28, 28)), dim=1)[0].numpy()
        order = np.argsort(-p, kind="stable")
        assert line.endswith(f": {RUN['classes'][order[0]]} ({100 * p[order[0]]:.1f}%)   next: "
                             f"{RUN['classes'][order[1]]} {100 * p[order[1]]:.1f}%, "
                             f"{RUN['classes'][order[2]]} {100 * p[order[2]]:.1f}%")
