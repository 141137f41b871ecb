"""The command line never ends in a traceback: bad inputs exit non-zero with one line on
stderr; GLASSTORCH_DEBUG=1 shows the traceback."""
import json
import os
import subprocess
import sys

import pytest


def _cli(*args, debug=False, cwd=None):
    env = dict(os.environ, GLASSTORCH_DEBUG="1" if debug else "")
    return subprocess.run([sys.executable, "-m", "glasstorch", *map(str, args)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


def _one_line_error(out):
    assert out.returncode not in (0, None), out
    assert "Traceback" not in out.stderr, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "error" in lines[0], out.stderr
    return lines[0]


@pytest.fixture
def corrupt_run(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"model": "lenet", "epochs": 2, "limit": 8}))
    (run / "last.pt").write_bytes(b"PK\x03\x04 this is not a checkpoint")
    return run


def test_bad_learning_rate(tmp_path):
    line = _one_line_error(_cli("train", "--lr", "-1", "--epochs", "1", "--limit", "8",
                                "--out", tmp_path / "r"))
    assert "--lr" in line


def test_corrupt_last_pt_on_resume(corrupt_run):
    line = _one_line_error(_cli("train", "--resume", corrupt_run))
    assert "last.pt" in line and "corrupt" in line


def test_corrupt_checkpoint_on_eval(corrupt_run):
    line = _one_line_error(_cli("eval", corrupt_run / "last.pt"))
    assert "last.pt" in line


def test_guard_one_line_or_traceback_with_debug(monkeypatch, capsys):
    """An exception no command handles: one line and status 1; GLASSTORCH_DEBUG=1 lets it
    (and its traceback) through; a full disk is worded for the user."""
    import errno

    from glasstorch._cli_guard import run

    def broken(argv):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setenv("GLASSTORCH_DEBUG", "")
    assert run(broken) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ZeroDivisionError: division by zero" in err
    monkeypatch.setenv("GLASSTORCH_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        run(broken)

    def full(argv):
        raise OSError(errno.ENOSPC, "No space left on device", "runs/x/last.pt")
    monkeypatch.setenv("GLASSTORCH_DEBUG", "0")
    assert run(full) == 1
    assert "no space left on device writing runs/x/last.pt" in capsys.readouterr().err
