"""`glasstorch tune` with a bad --storage: one error line (no traceback) and nothing made,
neither the runs folder nor --out nor the SQLite folder (the CLI rule: bad input is refused
before any state changes). The URL, its dialect and driver are checked with no I/O first; an
unreachable server fails while opening the study, which now comes before any folder."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("optuna")

BAD = [
    ("bogus://", ["cannot open --storage bogus://", "Can't load plugin"]),
    ("not a url", ["cannot open --storage not a url", "Could not parse"]),
    ("postgresql+nosuchdriver://u@h/db", ["postgresql.nosuchdriver"]),
    ("sqlite://relative.db", ["Invalid SQLite URL"]),
    ("sqlite:///afile/t.db", ["cannot make folder afile: a file is in the way"]),
    ("postgresql://u@127.0.0.1:1/db", ["cannot open --storage", "127.0.0.1"]),   # refused
]


@pytest.mark.parametrize("url, words", BAD, ids=[u for u, _ in BAD])
def test_bad_storage_fails_before_making_anything(tmp_path, url, words):
    (tmp_path / "afile").write_text("a file where a folder should be")
    env = dict(os.environ, GLASSTORCH_DEBUG="")
    p = subprocess.run([sys.executable, "-m", "glasstorch", "tune", "--trials", "1",
                        "--storage", url], capture_output=True, text=True, timeout=120,
                       cwd=tmp_path, env=env)
    assert p.returncode == 1, p.stdout + p.stderr     # (the CLI's error status)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("glasstorch tune: error:"), p.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert sorted(os.listdir(tmp_path)) == ["afile"]     # no runs/, no --out, no db folder


def test_storage_check_makes_no_io(tmp_path, monkeypatch):
    """_check_storage only parses: a valid SQLite URL's folder is returned, not made."""
    from glasstorch.train import tune
    monkeypatch.chdir(tmp_path)
    assert tune._check_storage("sqlite:///runs/x/t.db") == "runs/x"
    assert tune._check_storage("sqlite://") == ""
    assert os.listdir(tmp_path) == []
    with pytest.raises(tune.TuneError, match="No module named"):
        tune._check_storage("mysql+mysqldb://u@h/db") if _no("MySQLdb") else \
            pytest.skip("MySQLdb is installed")


def _no(module):
    import importlib.util
    return importlib.util.find_spec(module) is None
