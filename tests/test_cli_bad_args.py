"""More bad-argument classes of the command line (issue 10), table-driven: empty, corrupt and
missing checkpoints, negative/zero/huge numbers, an unwritable --out. Each must exit non-zero
with one error line on stderr naming the problem, no traceback, within the timeout."""
import os
import subprocess
import sys

import pytest


def _cli(args, cwd):
    env = dict(os.environ, GLASSTORCH_DEBUG="")
    return subprocess.run([sys.executable, "-m", "glasstorch", *args], capture_output=True,
                          text=True, timeout=120, env=env, cwd=cwd)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    (d / "empty.pt").write_bytes(b"")
    (d / "corrupt.pt").write_bytes(b"PK\x03\x04 not a checkpoint")
    (d / "fake.npy").write_bytes(b"not an array")
    return d


CASES = [
    (["eval", "empty.pt"], ["empty.pt", "not a glasstorch checkpoint"]),
    (["eval", "corrupt.pt"], ["corrupt.pt", "corrupt"]),
    (["eval", "missing.pt"], ["missing.pt"]),
    (["eval", "--batch-size", "-1", "corrupt.pt"], ["--batch-size"]),
    (["predict", "corrupt.pt", "fake.npy"], ["corrupt.pt"]),
    (["predict", "empty.pt", "fake.npy"], ["empty.pt"]),
    (["train", "--epochs", "-1", "--out", "r"], ["--epochs", ">= 1"]),
    (["train", "--epochs", "0", "--out", "r"], ["--epochs"]),
    (["train", "--limit", "0", "--out", "r"], ["--limit"]),
    (["train", "--batch-size", "0", "--out", "r"], ["--batch-size"]),
    (["train", "--lr", "1e400", "--out", "r"], ["--lr", "finite"]),
    (["demo", "--samples", "-5"], ["--samples"]),
]


@pytest.mark.parametrize("args, words", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_argument_one_line(files, args, words):
    out = _cli(args, files)
    assert out.returncode not in (0, None), out
    assert "Traceback" not in out.stderr, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "error" in lines[0], out.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert not (files / "r").exists()   # nothing written before the check
