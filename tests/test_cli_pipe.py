"""A reader that closes the pipe early (`glasstorch models | head -1`): every command exits
quietly with status 1 (Python's docs, "Note on SIGPIPE"), no traceback, no 'Exception ignored'
at shutdown. The reader here is gone before the command starts: stdout is the write end of a
pipe whose read end is already closed, so the first write (or the final flush) fails."""
import os
import subprocess
import sys

import pytest

BIG = "import torch\nfor i in range(20000):\n    print(torch.tensor([i, i + 1]))\n"
SMALL_EXIT = "import sys\nprint('one line')\nsys.exit(0)\n"


def _cli_into_closed_pipe(args, cwd, stderr_too=False):
    r, w = os.pipe()
    os.close(r)
    try:
        env = dict(os.environ, GLASSTORCH_DEBUG="")
        return subprocess.run([sys.executable, "-m", "glasstorch", *map(str, args)],
                              stdout=w, stderr=w if stderr_too else subprocess.PIPE,
                              text=True, timeout=120, env=env, cwd=cwd)
    finally:
        os.close(w)


@pytest.mark.parametrize("args", [
    ["models"], ["summary", "lenet"], ["lab", "list"], ["exec", "big.py"],
    ["exec", "small_exit.py"], ["demo", "--steps", "3", "--out", "demo"]],
    ids=lambda a: " ".join(a))
def test_closed_pipe_exits_quietly(tmp_path, args):
    (tmp_path / "big.py").write_text(BIG)
    (tmp_path / "small_exit.py").write_text(SMALL_EXIT)
    out = _cli_into_closed_pipe(args, tmp_path)
    assert out.returncode == 1, out
    assert "Traceback" not in out.stderr and "Exception ignored" not in out.stderr, out.stderr
    assert "error" not in out.stderr, out.stderr     # (demo's progress bar may be there)


def test_closed_pipe_on_both_streams(tmp_path):
    """`glasstorch exec big.py 2>&1 | head -1`: stderr is the same closed pipe."""
    (tmp_path / "big.py").write_text(BIG)
    out = _cli_into_closed_pipe(["exec", "big.py"], tmp_path, stderr_too=True)
    assert out.returncode == 1


def test_script_errors_still_show_their_traceback(tmp_path):
    """exec's own contract is unchanged: the script's exception is the script's traceback,
    even when stdout is a closed pipe."""
    (tmp_path / "bad.py").write_text("raise ValueError('mine')\n")
    out = _cli_into_closed_pipe(["exec", "bad.py"], tmp_path)
    assert out.returncode == 1
    assert "ValueError: mine" in out.stderr and "bad.py" in out.stderr


def test_pipe_closed_detects_only_gone_readers(tmp_path):
    from glasstorch._cli_guard import pipe_closed
    r, w = os.pipe()
    with os.fdopen(w, "w") as stream:
        assert not pipe_closed(stream)
        os.close(r)
        assert pipe_closed(stream)
    with open(tmp_path / "f", "w") as f:
        assert not pipe_closed(f)
