"""SIGKILL a process while it saves, many times at random moments: the checkpoint path always
loads (the old or the new contents, never a mix), and the next save removes the temp files
the killed saves left behind."""
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import glasstorch as gt

_WRITER = textwrap.dedent("""
    import sys
    import glasstorch as gt
    path = sys.argv[1]
    i = 0
    print("ready", flush=True)
    while True:
        i += 1
        gt.save({"step": i, "w": gt.full((1_000_000,), float(i))}, path)   # 4 MB
""")


def _temps(directory):
    return [n for n in os.listdir(directory) if n.endswith(".tmp")]


@pytest.mark.skipif(sys.platform.startswith("win"), reason="SIGKILL")
def test_sigkill_during_save_is_always_loadable_and_temps_are_cleaned(tmp_path):
    path = tmp_path / "ck.pt"
    gt.save({"step": 0, "w": gt.full((1_000_000,), 0.0)}, path)
    rng = random.Random(0)
    kills, left_behind = 20, 0
    for _ in range(kills):
        p = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE)
        p.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.3))
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
        left_behind = max(left_behind, len(_temps(tmp_path)))
        ck = gt.load(path)
        assert (ck["w"] == float(ck["step"])).all()        # one save's contents, whole
    assert left_behind >= 1            # the kills did land mid-save (each leaves one temp)
    gt.save({"step": -1, "w": gt.zeros(1)}, path)
    assert _temps(tmp_path) == []
    assert gt.load(path)["step"] == -1
    print(f"{kills} SIGKILLs during saves: always loadable; up to {left_behind} temp files "
          "left, 0 after the next save")


def test_stale_temp_of_a_save_in_progress_is_kept(tmp_path):
    """A temp file some other process is still writing (it holds the lock) is not removed."""
    fcntl = pytest.importorskip("fcntl")
    other = tmp_path / ".ck.pt.0123abcd.tmp"
    fd = os.open(other, os.O_WRONLY | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        pid = os.fork()
        if pid == 0:             # another process saving: sees a locked temp file
            try:
                gt.save(gt.ones(2), tmp_path / "ck.pt")
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        assert other.exists()
    finally:
        os.close(fd)
    gt.save(gt.ones(2), tmp_path / "ck.pt")      # now abandoned (unlocked): removed
    assert not other.exists()
