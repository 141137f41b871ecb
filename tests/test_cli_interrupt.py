"""Ctrl-C (SIGINT) during `glasstorch train`: exit status 130, the last line says how to continue
the run (`--resume`; tests/faults resumes killed runs), no traceback, no progress bar redrawn
after it."""
import pytest
import os
import signal
import subprocess
import sys
import time


def _start(args, cwd):
    env = dict(os.environ, GLASSTORCH_DEBUG="")
    return subprocess.Popen([sys.executable, "-m", "glasstorch", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd)


@pytest.mark.parametrize("args", [["--limit", "2048"], ["--model", "lstm-lm"]],
                         ids=["lenet", "lstm-lm"])
def test_ctrl_c_during_train(tmp_path, args):
    run = tmp_path / "run"
    p = _start(["train", "--epochs", "30", *args, "--out", run], tmp_path)
    first = p.stdout.readline()             # printed (flushed) just before the first epoch
    assert first.startswith("training "), first
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, (out, err)
    assert "Traceback" not in err, err
    assert err.rstrip().splitlines()[-1] == f"interrupted; continue with: glasstorch train " \
                                            f"--resume {run}"
    assert (run / "config.json").exists()


def test_ctrl_c_in_another_command_is_one_line(tmp_path):
    """Outside train (here: exec of a script that sleeps), the guard's line and 130."""
    (tmp_path / "slow.py").write_text("import torch, time\nprint('ready', flush=True)\n"
                                      "time.sleep(60)\n")
    p = _start(["exec", "slow.py"], tmp_path)
    assert p.stdout.readline() == "ready\n"
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130 and err == "glasstorch: interrupted\n", (p.returncode, err)
