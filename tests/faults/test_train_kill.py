"""SIGKILL `glasstorch train` for real, mid-epoch and while it writes a checkpoint, then
`--resume` the run: the final metrics equal those of a run that was never interrupted."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

ARGS = ["--model", "lenet", "--epochs", "3", "--limit", "128", "--batch-size", "32"]
pytestmark = [pytest.mark.slow, pytest.mark.ci,
              pytest.mark.skipif(sys.platform.startswith("win"), reason="SIGKILL")]


def _train(*args, wait=True):
    cmd = [sys.executable, "-m", "glasstorch", "train", *map(str, args)]
    env = dict(os.environ, GLASSTORCH_DEBUG="")
    if wait:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def _finals(run):
    rows = [json.loads(line) for line in open(run / "metrics.jsonl")]
    for r in rows:
        r.pop("time"), r.pop("throughput")
    results = json.loads((run / "results.json").read_text())
    results.pop("train_seconds")
    return rows, results


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    run = tmp_path_factory.mktemp("ref") / "run"
    out = _train(*ARGS, "--out", run)
    assert out.returncode == 0, out.stderr[-2000:]
    return _finals(run)


def _kill_when(proc, ready, timeout=300):
    start = time.monotonic()
    while not ready():
        if proc.poll() is not None or time.monotonic() - start > timeout:
            return False
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


def _resume_equals(run, reference):
    out = _train("--resume", run)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    rows, results = _finals(run)
    assert rows == reference[0]
    assert results == reference[1]


def test_sigkill_mid_epoch_then_resume(tmp_path, reference):
    run = tmp_path / "run"
    p = _train(*ARGS, "--out", run, wait=False)
    metrics = run / "metrics.jsonl"
    # one epoch logged, then a little into the second
    killed = _kill_when(p, lambda: metrics.exists() and metrics.read_text().count("\n") >= 1)
    assert killed, "the run ended before it could be killed"
    _resume_equals(run, reference)


def test_sigkill_during_checkpoint_write_then_resume(tmp_path, reference):
    """Killed while a temp checkpoint file exists (save in progress): last.pt is the previous
    epoch's (or absent for the first) and --resume still reproduces the run."""
    caught = 0
    for attempt in range(3):
        run = tmp_path / f"run{attempt}"
        p = _train(*ARGS, "--out", run, wait=False)
        if _kill_when(p, lambda: run.is_dir() and any(n.endswith(".tmp")
                                                      for n in os.listdir(run))):
            caught += 1
            _resume_equals(run, reference)
            break
    assert caught, "no checkpoint write was caught in progress"
