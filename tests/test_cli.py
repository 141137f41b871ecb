"""The main job (`python -m glasstorch`, cli.demo) in a subprocess, as a user runs it."""
import os
import subprocess
import sys

import numpy as np

import glasstorch as gt


def test_demo_main_job(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "glasstorch", "--steps", "100", "--out",
                           str(out)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    ckpt = out / "checkpoint.pt"
    plots = [p for p in ("loss.png", "loss.svg") if (out / p).exists()]
    assert ckpt.exists() and len(plots) == 1
    assert str(ckpt) in proc.stdout and plots[0] in proc.stdout and "recovered w" in proc.stdout
    state = gt.load(ckpt)
    assert state["step"] == 100 and len(state["losses"]) == 100
    assert state["losses"][-1] < 1e-2 * state["losses"][0]
    np.testing.assert_allclose(state["w"].detach().numpy(), [2.0, -3.4], atol=0.02)
    np.testing.assert_allclose(state["b"].item(), 4.2, atol=0.02)


def test_demo_is_the_default_command(capsys, tmp_path):
    from glasstorch import cli
    assert cli.main(["demo", "--steps", "3", "--out", str(tmp_path)]) == 0
    assert cli.main(["--steps", "3", "--out", str(tmp_path)]) == 0
    assert sorted(os.listdir(tmp_path)) in (["checkpoint.pt", "loss.png"],
                                            ["checkpoint.pt", "loss.svg"])
    assert capsys.readouterr().out.count("recovered b") == 2


def test_demo_without_optional_extras(monkeypatch, capsys, tmp_path):
    import xml.etree.ElementTree as ET
    from glasstorch import cli
    monkeypatch.setitem(sys.modules, "tqdm", None)          # import tqdm -> ImportError
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert cli.main(["--steps", "5", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "[" + "#" * 30 + "] 5/5 loss" in err                   # the built-in text bar
    svg = ET.parse(tmp_path / "loss.svg").getroot()
    assert svg.tag.endswith("svg") and len(svg.find("{*}polyline").get("points").split()) == 5
