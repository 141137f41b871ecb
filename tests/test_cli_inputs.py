"""Bad inputs to the image commands: one line naming the problem, non-zero exit, no hang,
and never a confident answer from garbage; an existing run is never overwritten."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest


def _cli(*args, timeout=120):
    env = dict(os.environ, GLASSTORCH_DEBUG="")
    return subprocess.run([sys.executable, "-m", "glasstorch", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def _fails(out, *words):
    assert out.returncode != 0, out.stdout
    assert "Traceback" not in out.stderr, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    for w in words:
        assert w in lines[0], lines[0]


@pytest.mark.parametrize("args, words", [
    (["train", "--lr", "nan"], ["--lr", "finite"]),
    (["train", "--lr", "0"], ["--lr", "> 0"]),
    (["train", "--seed", str(2**70)], ["--seed", "64 bits"]),
    (["train", "--dropout", "1.5"], ["--dropout"]),
    (["demo", "--samples", "0"], ["--samples", ">= 1"]),
    (["demo", "--batch-size", "0"], ["--batch-size"]),
    (["demo", "--lr", "inf"], ["--lr", "finite"]),
])
def test_bad_options(tmp_path, args, words):
    _fails(_cli(*args, "--out", tmp_path / "r", timeout=60), *words)


def test_existing_run_is_not_overwritten(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "best.pt").write_bytes(b"precious")
    _fails(_cli("train", "--out", run, "--epochs", "1", "--limit", "8"), "already exists",
           "--resume")
    assert (run / "best.pt").read_bytes() == b"precious"


def test_existing_run_is_not_overwritten_by_a_language_model_run(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "last.pt").write_bytes(b"precious")
    _fails(_cli("train", "--model", "lstm-lm", "--dataset", "timemachine", "--out", run),
           "already exists")
    assert (run / "last.pt").read_bytes() == b"precious"


def test_unwritable_out(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _fails(_cli("train", "--out", blocker / "run", "--epochs", "1", "--limit", "8"),
           "cannot write the run folder")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = tmp_path_factory.mktemp("t") / "run"
    out = _cli("train", "--model", "lenet", "--epochs", "1", "--limit", "32", "--out", run,
               timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return run


@pytest.mark.parametrize("array, words", [
    (np.zeros((0, 28)), ["empty"]), (np.ones((28, 28), complex), ["complex"]),
    (np.full((28, 28), np.nan), ["NaN"])])
def test_bad_npy_images(tmp_path, trained, array, words):
    path = tmp_path / "x.npy"
    np.save(path, array)
    _fails(_cli("predict", trained, path), *words)


@pytest.mark.parametrize("name, words", [
    ("empty.npy", ["empty.npy", "the file is empty"]), ("missing.png", ["No such file"]),
    ("folder", ["folder", "Is a directory"]), ("text.png", ["cannot identify image file"])])
def test_unreadable_image_files(tmp_path, trained, name, words):
    (tmp_path / "empty.npy").write_bytes(b"")
    (tmp_path / "folder").mkdir()
    (tmp_path / "text.png").write_text("not an image")
    _fails(_cli("predict", trained, tmp_path / name), "cannot read image", *words)


def test_eval_batch_size_zero(trained):
    _fails(_cli("eval", trained, "--batch-size", "0"), "--batch-size", ">= 1")


def test_nan_weights_give_no_prediction(tmp_path, trained):
    import glasstorch as torch
    ck = torch.load(trained / "best.pt")
    for v in ck["model"].values():
        if v.is_floating_point():
            v.fill_(float("nan"))
    bad = tmp_path / "bad.pt"
    torch.save(ck, bad)
    img = tmp_path / "x.npy"
    np.save(img, np.zeros((28, 28), np.float32))
    _fails(_cli("predict", bad, img), "not finite")
