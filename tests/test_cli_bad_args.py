"""More bad-argument classes of the command line (issue 10), table-driven: empty, corrupt and
missing checkpoints, negative/zero/huge numbers, an unwritable --out. Each must exit non-zero
with one error line on stderr naming the problem, no traceback, within the timeout."""
import errno
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
    (d / "afile").write_text("a file where a folder should be")
    (d / "notarun").mkdir()
    (d / "badjson").mkdir()
    (d / "badjson" / "config.json").write_text("{")
    (d / "listjson").mkdir()
    (d / "listjson" / "config.json").write_text("[1]")
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
    # an unwritable --out names the path and why, before any work
    (["train", "--out", "afile/r"], ["afile/r", "is a file, not a directory"]),
    (["train", "--out", "afile"], ["afile", "it is a file, not a directory"]),
    (["demo", "--out", "afile/r"], ["afile/r", "is a file, not a directory"]),
    (["train", "--out", "/sys/r"], ["/sys/r", "permission denied"]),
    (["demo", "--out", "/sys/r"], ["/sys/r", "permission denied"]),
    (["export", "corrupt.pt", "afile/m.onnx"], ["afile/m.onnx", "not a directory"]),
    # --resume of something that is not a run folder says what is missing
    (["train", "--resume", "missing"], ["missing", "no such run folder or checkpoint"]),
    (["train", "--resume", "notarun"], ["no config.json in notarun"]),
    (["train", "--resume", "badjson"], ["badjson/config.json", "not valid JSON"]),
    (["train", "--resume", "listjson"], ["listjson/config.json", "holds a list"]),
    (["summary", "lenet", "--input-size", "0", "28", "28"], ["--input-size", ">= 1"]),
    (["summary", "lenet", "--num-classes", "0"], ["--num-classes", ">= 1"]),
    (["run", "-n", "2", "missing.py"], ["no such script: missing.py"]),
    (["train", "--nproc", "0", "--out", "r"], ["--nproc", ">= 1"]),
    (["train", "--nproc", "-1", "--out", "r"], ["--nproc", ">= 1"]),
    (["run", "--threads", "0", "afile"], ["--threads", ">= 1"]),
    # tune checks numeric train options before any trial (else every trial fails alike)
    (["tune", "--trials", "1", "--lr", "bogus"], ["--lr", "expected float"]),
    (["tune", "--trials", "1", "--epochs", "1.5"], ["--epochs", "expected int"]),
    (["tune", "--trials", "1", "--batch-size", "32,x"], ["--batch-size", "expected int"]),
    (["tune", "--trials", "1", "--storage", "bogus://"], ["cannot open --storage bogus://"]),
]
# argparse's errors: one line naming the command, exit status 2 (--help stays full)
USAGE = [
    (["train", "--epochs", "x"], "glasstorch train: error: argument --epochs: invalid int"),
    (["train", "--bogus", "1"], "glasstorch train: error: unrecognized arguments: --bogus 1"),
    (["eval"], "glasstorch eval: error: the following arguments are required"),
    (["demo", "--samples"], "glasstorch demo: error: argument --samples: expected one"),
    (["--steps", "x"], "glasstorch demo: error: argument --steps: invalid int"),
    (["nosuchcmd"], "glasstorch: error: unknown command 'nosuchcmd' (choose from demo,"),
    (["lab", "bogus"], "glasstorch lab: error: argument lab_command: invalid choice"),
    (["export", "a.pt"], "glasstorch export: error: the following arguments are required"),
    (["predict", "--batch-size", "1"], "glasstorch predict: error:"),
    (["tune", "--trials", "x"], "glasstorch tune: error:"),
    (["run"], "glasstorch run: error: give a script"),
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


@pytest.mark.parametrize("args, start", USAGE, ids=[" ".join(c[0]) for c in USAGE])
def test_usage_error_one_line(files, args, start):
    out = _cli(args, files)
    assert out.returncode == 2, out
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), out.stderr
    assert "--help" in lines[0] or args == ["run"]   # run: its launcher's own check


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["lab", "run", "--help"]])
def test_help_stays_full(files, args):
    out = _cli(args, files)
    assert out.returncode == 0 and out.stdout.startswith("usage: glasstorch"), out
    assert len(out.stdout.splitlines()) > 5 and not out.stderr


@pytest.mark.parametrize("err, why", [(errno.ENOSPC, "no space left on device"),
                                      (errno.EACCES, "permission denied"),
                                      (errno.EROFS, "read-only file system")])
def test_out_says_why_it_cannot_be_written(tmp_path, monkeypatch, err, why):
    """The causes a root test run cannot provoke for real: the probe's OSError, in words."""
    from glasstorch.cli import CLIError, checks

    def refuse(**kw):
        raise OSError(err, os.strerror(err), kw.get("dir"))
    monkeypatch.setattr(checks.tempfile, "mkdtemp", refuse)
    with pytest.raises(CLIError, match=f"{tmp_path / 'r'}: {why} \\(in {tmp_path}\\)"):
        checks.writable_dir(str(tmp_path / "r"))
